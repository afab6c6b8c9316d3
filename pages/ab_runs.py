"""Two runs side by side: the sidebar's model (A) and the same model with one setting changed (B), trained in
step from the same seed; both loss curves on one chart, the same test images through both, where they differ."""

import numpy as np
import streamlit as st

from aecore import ab_runs, jobs
from aecore.config import LOSS_LABELS
from aecore.figures import ab as F
from ui import runtime_fixes, state, training
from ui.safe_text import plain

runtime_fixes.run_pages_through_app()

POLL_SECONDS = 0.5
JOB_KEY = "ab_runs_job"  # this page's A/B job (a page-owned key, like the Applications page's)
SEEN_KEY = "ab_runs_seen"
SHOWN = 8  # test images in the grid

st.title("Two runs side by side")
st.markdown("Change **one** setting and see what it does. Run **A** is the model described in the sidebar; run "
            "**B** is the same model with the one setting you pick below. Both start from the same seed, so "
            "with the same layer shapes they start from **identical weights**, and both see the same images "
            "in the same order. They train in step, one epoch each in turn, so the two loss curves grow "
            "together. Any difference you see comes from that one setting.")

a = state.current_experiment()
dataset = state.dataset_or_error(a.data)
if dataset is None:
    st.stop()


def names(pair) -> tuple[str, str]:
    pa, pb, varied = pair
    spec_ = ab_runs.SETTINGS[varied]
    return f"A ({spec_.label.lower()} {spec_.text(spec_.value_of(pa))})", \
        f"B ({spec_.label.lower()} {spec_.text(spec_.value_of(pb))})"


def loss_chart(pair, history_a, history_b, key: str) -> None:
    name_a, name_b = names(pair)
    loss_a, loss_b = (LOSS_LABELS.get(e.model.loss, "loss").lower() for e in pair[:2])
    label = loss_a if loss_a == loss_b else f"loss (A: {loss_a}, B: {loss_b})"
    st.plotly_chart(F.ab_loss_curves(history_a, history_b, name_a, name_b, loss_label=label,
                                     epochs=pair[0].train.epochs, title="Loss per epoch, A and B (lower is better)"),
                    key=key)
    st.caption("What it shows: the loss of both runs after each epoch. A is blue, solid with circles; B is "
               "vermillion, dashed with squares. Thick lines: training images; thin lines with open markers: "
               "validation images." + (" The two losses are on different scales: compare the test MSE below."
                                       if loss_a != loss_b else ""))


@st.fragment(key="ab_runs_page")
def two_runs(a, dataset) -> None:
    """The page below its introduction: choosing B or pressing a button reruns this part, not the whole app."""
    left, right = st.columns(2)
    setting = left.selectbox("Setting to vary", list(ab_runs.SETTINGS), key="ab_runs_setting",
                             format_func=lambda name: ab_runs.SETTINGS[name].label)
    spec = ab_runs.SETTINGS[setting]
    a_value = spec.value_of(a)
    choices = [c for c in spec.choices if c != a_value]
    default = ab_runs.other_choice(setting, a)
    value_key = f"ab_runs_value_{setting}"
    if st.session_state.get(value_key) not in (None, *choices):
        del st.session_state[value_key]  # A now has the value B had: fall back to B's default
    value = right.selectbox(f"{spec.label} for B (A has {spec.text(a_value)}, from the sidebar)", choices,
                            index=choices.index(default) if default in choices else 0, key=value_key,
                            format_func=spec.text)
    b = ab_runs.make_b(a, setting, value)
    start_note = ("so they start from **identical weights**" if not spec.architectural else
                  "the layer shapes differ, so they share the seed and the data order, but not every weight")
    st.caption(f"A: {spec.label.lower()} {spec.text(a_value)} · B: {spec.text(value)} · everything else as in the "
               f"sidebar ({a.train.epochs} epochs each, seed {a.train.seed}, no early stopping): {start_note}.")

    queue = jobs.default_queue()
    owner = state.session_id() if a.data.upload_id else None
    job = st.session_state.get(JOB_KEY)
    active = job is not None and job.active
    buttons = st.columns([1, 1, 4])
    if buttons[0].button("Train A and B", key="ab_runs_train", type="primary", disabled=active,
                         use_container_width=True):
        try:
            ab_runs.validate_pair(a, b, dataset)
        except ValueError as exc:
            st.error(f"{plain(str(exc), limit=None)} Change the sidebar or the value for B, then train again.")
            st.stop()
        work = training.epoch_work(a, dataset) + training.epoch_work(b, dataset)

        def run(report, cancel, a=a, b=b, setting=setting):
            return ab_runs.train_pair(a, b, dataset, setting, progress=report, cancel=cancel)

        job = queue.submit(ab_runs.pair_key(a, b), run, label="A/B runs", owner=owner,
                           estimate_seconds=queue.estimate(work, a.train.epochs), session=state.session_id(),
                           epoch_work=work, epochs=a.train.epochs, about=(a, b, setting))
        if job.refused:
            st.error(f"{plain(job.error or 'Not started: too long.', limit=None)} Two runs take twice as long as "
                     "one: lower the epochs or the model's size in the sidebar.", icon=":material/timer_off:")
            st.stop()
        st.session_state[JOB_KEY] = job
        st.rerun()  # redraw with Train disabled and Stop enabled, and start polling
    if buttons[1].button("Stop", key="ab_runs_stop", disabled=not active, use_container_width=True,
                         help="Stop both runs; the last epoch both completed is kept."):
        queue.cancel(job, session=state.session_id())

    if job is not None and not job.active:
        st.session_state[SEEN_KEY] = (job.id, job.status)

    with buttons[2]:
        @st.fragment(run_every=POLL_SECONDS if active else None)
        def poll():
            current = st.session_state.get(JOB_KEY)
            if current is None:
                return
            if current.active:
                report = current.latest
                text = ("Waiting in the queue…" if current.status == jobs.QUEUED else
                        "Starting: building both models…"
                        if report is None else f"Epoch {report.epoch} of {report.epochs} done by both · "
                        f"A loss {report.logs['loss']:.4f} · B loss {report.logs['b_loss']:.4f}")
                fraction = 0.0 if report is None else min(report.epoch / max(report.epochs, 1), 1.0)
                st.progress(fraction, text=text)
            elif st.session_state.get(SEEN_KEY) != (current.id, current.status):
                st.session_state[SEEN_KEY] = (current.id, current.status)
                st.rerun()  # the job ended: redraw the page with its result

        poll()

    if job is None:
        work_of_both = training.epoch_work(a, dataset) + training.epoch_work(b, dataset)
        st.info("Pick the setting and B's value, then press **Train A and B**: "
                f"{training.estimate_text(queue.estimate(work_of_both, a.train.epochs))} for both.")
        st.stop()
    pair = job.about

    if job.active:
        @st.fragment(run_every=POLL_SECONDS)
        def live():
            current = st.session_state.get(JOB_KEY)
            if current is None or not current.active:
                return
            reports = list(current.reports)
            history_a = {k: [r.logs[k] for r in reports] for k in ("loss", "val_loss")}
            history_b = {k: [r.logs[f"b_{k}"] for r in reports] for k in ("loss", "val_loss")}
            loss_chart(pair, history_a, history_b, key="ab_runs_live_chart")

        live()
        st.stop()

    result = job.result
    if result is None:
        if job.status == jobs.CANCELLED:
            st.info(plain(job.error, limit=None) if job.error else
                    "Stopped before both runs finished a first epoch: there is nothing to show yet.")
        else:
            st.error(plain(job.error, limit=None) if job.error else "Training failed.")
        st.stop()
    if job.status == jobs.CANCELLED:
        st.warning(f"Stopped after {result.epochs_run} epoch(s) that both runs completed: showing those.")
    if pair != (a, b, setting):
        st.caption("The settings above or in the sidebar changed since this pair was trained: below is the trained "
                   "pair. Press **Train A and B** for the new one.")
    name_a, name_b = names(pair)
    st.success(f"Trained {name_a} and {name_b} for {result.epochs_run} epochs each, in step, in "
               f"{result.seconds:.1f} s. "
               + ("Both started from identical weights and saw the same images in the same order." if result.same_start
                  else "Same seed and same data order; the layer shapes differ, so not every starting weight is "
                       "shared."))

    loss_chart(pair, result.a.history, result.b.history, key="ab_runs_chart")

    cols = st.columns(4)
    cols[0].metric("A: test MSE", f"{result.a.test_mse:.4f}")
    cols[1].metric("A: test PSNR", f"{result.a.test_psnr:.1f} dB")
    cols[2].metric("B: test MSE", f"{result.b.test_mse:.4f}",
                   delta=f"{result.b.test_mse - result.a.test_mse:+.4f} vs A",
                   delta_color="inverse")
    cols[3].metric("B: test PSNR", f"{result.b.test_psnr:.1f} dB",
                   delta=f"{result.b.test_psnr - result.a.test_psnr:+.1f} dB vs A")
    winner = "A" if result.a.test_mse < result.b.test_mse else "B"
    st.caption(f"Measured on the {len(result.a.per_image_test_mse):,} test images (never trained on): "
               f"{winner} rebuilds them better. MSE: lower is better; PSNR: higher is better.")

    if dataset.is_image:
        grid_col, map_col = st.columns([3, 2])
        noisy = [r.test_input[:SHOWN] if r.experiment.train.noise_level > 0 else None for r in (result.a, result.b)]
        with grid_col:
            st.plotly_chart(F.ab_images(dataset.x_test[:SHOWN], result.a.test_reconstruction[:SHOWN],
                                        result.b.test_reconstruction[:SHOWN], name_a, name_b, inputs_a=noisy[0],
                                        inputs_b=noisy[1]), key="ab_runs_images")
            st.caption("What it shows: the same test images through both models, with each image's MSE, and the "
                       "difference |A − B| per pixel (white: they draw the same; red: they differ).")
        with map_col:
            st.plotly_chart(F.difference_map(result.a.test_reconstruction, result.b.test_reconstruction,
                                             title="Where A and B differ (all test images)"), key="ab_runs_map")
            diff = result.difference()
            st.caption(f"What it shows: the mean |A − B| of each pixel over all {len(diff):,} test images (light: "
                       f"they differ most). Mean over all pixels {float(np.mean(diff)):.3f}; largest pixel "
                       f"{float(diff.max()):.2f}.")


two_runs(a, dataset)
