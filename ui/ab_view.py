"""What the two-runs page draws: its A/B job (submitted, watched), both loss curves, and the trained pair."""

from __future__ import annotations

import numpy as np
import streamlit as st

from aecore import ab_runs
from aecore.config import LOSS_LABELS
from aecore.figures import ab as F
from ui import job_panel, state, training
from ui.safe_text import plain

JOB_KEY = "ab_runs_job"  # this page's A/B job (a page-owned key, like the Applications page's)
SHOWN = 8  # test images in the grid
TEXTS = job_panel.Texts(starting="Starting: building both models…", failed="Training failed.",
                        stopped_empty="Stopped before both runs finished a first epoch: there is nothing to show "
                                      "yet.", stopped_early=None, button="Train A and B")


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


def pair_work(a, b, dataset) -> float:
    return training.epoch_work(a, dataset) + training.epoch_work(b, dataset)


def estimate_for_both(a, b, dataset) -> str:
    return training.estimate_text(job_panel.estimate(pair_work(a, b, dataset), a.train.epochs))


def train_pair(a, b, setting, dataset) -> None:
    """Check the pair and queue both runs for this session; a refusal or a wrong pair is one st.error."""
    try:
        ab_runs.validate_pair(a, b, dataset)
    except ValueError as exc:
        st.error(f"{plain(str(exc), limit=None)} Change the sidebar or the value for B, then train again.")
        st.stop()
    work = pair_work(a, b, dataset)

    def run(report, cancel):
        return ab_runs.train_pair(a, b, dataset, setting, progress=report, cancel=cancel)

    job = job_panel.submit(ab_runs.pair_key(a, b), run, label="A/B runs",
                           owner=state.session_id() if a.data.upload_id else None,
                           estimate=job_panel.estimate(work, a.train.epochs), epoch_work=work, epochs=a.train.epochs,
                           about=(a, b, setting))
    if job.refused:
        st.error(f"{plain(job.error or 'Not started: too long.', limit=None)} Two runs take twice as long as "
                 "one: lower the epochs or the model's size in the sidebar.", icon=":material/timer_off:")
        st.stop()
    st.session_state[JOB_KEY] = job


def this_pair():
    return st.session_state.get(JOB_KEY)


def live_curves(job) -> None:
    """Both loss curves so far, redrawn after every epoch."""
    reports = list(job.reports)
    history_a = {k: [r.logs[k] for r in reports] for k in ("loss", "val_loss")}
    history_b = {k: [r.logs[f"b_{k}"] for r in reports] for k in ("loss", "val_loss")}
    loss_chart(job.about, history_a, history_b, key="ab_runs_live_chart")


def trained_pair(chosen, dataset):
    """Draws a finished (or early-stopped) pair: ``chosen`` is the (A, B, setting) the page shows now."""

    def draw(result) -> None:
        job = this_pair()
        pair = job.about
        if job_panel.stopped(job):
            st.warning(f"Stopped after {result.epochs_run} epoch(s) that both runs completed: showing those.")
        if pair != chosen:
            st.caption("The settings above or in the sidebar changed since this pair was trained: below is the "
                       "trained pair. Press **Train A and B** for the new one.")
        name_a, name_b = names(pair)
        st.success(f"Trained {name_a} and {name_b} for {result.epochs_run} epochs each, in step, in "
                   f"{result.seconds:.1f} s. "
                   + ("Both started from identical weights and saw the same images in the same order."
                      if result.same_start else "Same seed and same data order; the layer shapes differ, so not "
                                                "every starting weight is shared."))
        loss_chart(pair, result.a.history, result.b.history, key="ab_runs_chart")
        scores(result)
        if dataset.is_image:
            side_by_side(result, dataset, name_a, name_b)

    return draw


def scores(result) -> None:
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


def side_by_side(result, dataset, name_a: str, name_b: str) -> None:
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
