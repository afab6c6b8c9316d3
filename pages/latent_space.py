"""Latent space: t-SNE of the codes, drawn live while it optimises, with the digit under the cursor."""

import base64

import numpy as np
import streamlit as st

from aecore import embed, jobs
from aecore.config import stable_hash
from aecore.figures import latent as latent_figures
from ui import runtime_fixes, shared, state, training

runtime_fixes.run_pages_through_app()

POLL_SECONDS = 0.5
JOBS_KEY = "latent_jobs"  # page-local: map key -> this session's Job (keeps a stopped map from restarting)
DETACHED_KEY = "latent_detached"  # ids of running jobs this session stopped watching (others still do)
KEEP_JOBS = 9
WALK_MODES = ["two digit classes", "two points picked on the map"]
FOLLOW_PICKS = "latent_walk_follow_picks"  # a point was just picked on the map: walk between the picks

# Plotly cannot put an image in a hover label (plotly.py#4905, plotly.js#1323): this component listens to
# the chart's own plotly_hover events and shows the digit under the cursor from one sprite sheet.
HOVER_JS = r"""
export default function (component) {
  const { data } = component;
  if (!data || !data.chart_key) { return; }
  const tip = document.createElement("div");
  tip.setAttribute("data-testid", "latentHoverImage");
  const size = data.size;
  Object.assign(tip.style, {
    position: "fixed", display: "none", zIndex: 100000, pointerEvents: "none",
    width: size + "px", height: size + "px", border: "3px solid #333", borderRadius: "6px",
    backgroundColor: "black", backgroundImage: "url(" + data.sprite + ")", backgroundRepeat: "no-repeat",
    backgroundSize: (data.columns * size) + "px " + (data.rows * size) + "px",
    imageRendering: "pixelated", boxShadow: "0 4px 14px rgba(0,0,0,0.35)",
  });
  document.body.appendChild(tip);
  const attached = new WeakSet();
  const show = (ev) => {
    const pt = ev && ev.points && ev.points[0];
    if (!pt || !pt.customdata) { return; }
    const i = Number(pt.customdata[0]);
    if (!(i >= 0 && i < data.count)) { return; }
    const col = i % data.columns, row = Math.floor(i / data.columns);
    tip.style.backgroundPosition = (-col * size) + "px " + (-row * size) + "px";
    tip.dataset.index = String(i);
    const e = ev.event || {};
    const x = (e.clientX || 0), y = (e.clientY || 0);
    tip.style.left = Math.max(4, x - size - 24) + "px";
    tip.style.top = Math.max(4, y - size - 24) + "px";
    tip.style.display = "block";
  };
  const hide = () => { tip.style.display = "none"; };
  const attach = () => {
    const gd = document.querySelector(".st-key-" + data.chart_key + " .js-plotly-plot");
    if (gd && gd.on && !attached.has(gd)) {
      gd.on("plotly_hover", show);
      gd.on("plotly_unhover", hide);
      attached.add(gd);
    }
  };
  attach();
  const timer = setInterval(attach, 500);
  return () => { clearInterval(timer); tip.remove(); };
}
"""
_hover_images = st.components.v2.component("latent_hover_images", js=HOVER_JS)


@st.cache_data(max_entries=8, show_spinner=False)
def sprite(data_key: str, points: int, _images: np.ndarray, sample_shape: tuple) -> tuple[str, int]:
    """The points' images as one base64 PNG sprite sheet (cached by data set and number of points)."""
    png, columns, _, _ = latent_figures.sprite_png(_images, sample_shape=sample_shape)
    return "data:image/png;base64," + base64.b64encode(png).decode(), columns


def hover_images(chart_key: str, data_key: str, images: np.ndarray, sample_shape, size: int = 112) -> None:
    uri, columns = sprite(data_key, len(images), images, tuple(sample_shape))
    data = {"chart_key": chart_key, "sprite": uri, "columns": columns, "rows": int(np.ceil(len(images) / columns)),
            "count": len(images), "size": size}
    _hover_images(data=data, key=f"{chart_key}_hover")


def memo(key: tuple, compute):
    """A figure drawn from a finished job's map (keyed by the job's id: a map computed again is a new job) or
    from the model. Sessions on the same settings share one job, so on built-in data the figure is drawn once
    for the whole server; an upload's stay in its session."""
    return shared.derive("latent_space", key, compute, data=result.experiment.data, max_entries=64)


def session_job(key: str, fn, label: str, owner: str | None, estimate: float) -> jobs.Job:
    """This session's job for ``key``: the one it already has (even stopped), else a queued or shared one."""
    mine = st.session_state.setdefault(JOBS_KEY, {})
    job = mine.get(key)
    if job is None:
        for other_key, other in list(mine.items()):
            if other.active and other.label == label:  # settings moved on: free the worker for the new map
                jobs.default_queue().cancel(other, session=state.session_id())
                mine.pop(other_key)
        job = jobs.default_queue().submit(key, fn, label=label, owner=owner, estimate_seconds=estimate,
                                          session=state.session_id())
        mine[key] = job
        while len(mine) > KEEP_JOBS:  # the oldest maps go (the queue may still hold them for everyone)
            mine.pop(next(iter(mine)))
    else:
        mine[key] = mine.pop(key)  # most recently used last
    return job


def watched(job: jobs.Job | None) -> bool:
    """Whether this session follows ``job`` live: it runs, and this session has not stopped watching it."""
    return job is not None and job.active and job.id not in st.session_state.get(DETACHED_KEY, set())


def stop(page_jobs: list[jobs.Job]) -> None:
    """Stop this session's maps. A map nobody else watches is cancelled; a shared one goes on for the
    others and this session stops watching it (as the sidebar's Stop does for a training)."""
    detached = st.session_state.setdefault(DETACHED_KEY, set())
    for job in page_jobs:
        if watched(job) and not jobs.default_queue().cancel(job, session=state.session_id()):
            detached.add(job.id)


def restart_button(key: str, label: str) -> None:
    if st.button(label, key=f"latent_restart_{key}"):
        st.session_state[JOBS_KEY].pop(key, None)
        st.rerun()


def settled(job: jobs.Job, key: str, what: str, note_while_running: bool = True) -> bool:
    """For a job that is not done: one line saying why (with its button) and True; False when it is done."""
    if job.status == jobs.DONE:
        return False
    if job.status == jobs.FAILED:
        st.error(f"{what}: {job.error}")
        restart_button(key, "Try again")
    elif watched(job):
        if note_while_running:
            st.info(f"{what}: being computed; its progress is shown under “t-SNE of the codes” above.")
    elif job.active:  # this session stopped watching a map that others still watch
        others = len(job.attached - {state.session_id()})
        st.info(f"{what}: you stopped watching it; it is still being computed for {others} other "
                f"session{'s' if others != 1 else ''}.")
        if st.button("Watch it again", key=f"latent_watch_{key}"):
            jobs.default_queue().attach(job, state.session_id())
            st.session_state[DETACHED_KEY].discard(job.id)
            st.rerun()
    else:
        st.info(f"{what}: stopped before the end.")
        restart_button(key, "Start again")
    return True


def progress(where, job: jobs.Job, what: str) -> None:
    """One progress bar for ``job`` in the placeholder ``where``."""
    if job.status in (jobs.QUEUED, jobs.LOADING):
        queue = jobs.default_queue()
        where.progress(0.0, text=f"{what}: waiting in the queue ({queue.position(job)} job(s) ahead, about "
                                 f"{queue.wait_estimate(job):.0f} s).")
        return
    frame = job.latest
    if isinstance(frame, embed.EmbedFrame):
        kl = f" · KL divergence {frame.kl_divergence:.2f} nats" if frame.kl_divergence is not None else ""
        where.progress(frame.fraction, text=f"{what}: iteration {frame.iteration} of {frame.iterations}{kl} · "
                                            f"{frame.elapsed:.1f} s")
    else:
        where.progress(0.0, text=f"{what}: starting…")


st.title("Latent space (t-SNE)")
st.markdown("The encoder squeezes every image into a short **code**. t-SNE then draws those codes in 2-D so that "
            "codes that are close stay close: if the autoencoder learnt something about digits, images of the "
            "same digit gather in clusters, without the model ever seeing a label.")
result = training.require_result()
dataset = state.dataset_or_error(result.experiment.data)
if dataset is None:
    st.stop()
if not dataset.is_image:
    st.info("This data set is made of 3-D points, not images: see the PCA versus autoencoder page for its plot.")
    st.stop()

available = min(5000, embed.pool_size(dataset))
if available < 60:
    st.error(f"This data set has only {available} images: a map needs at least 60. Choose a larger data set.")
    st.stop()


@st.fragment
def maps() -> None:
    """The map settings and everything they drive. A move of them (or a click on the map) reruns this part
    only, not the sidebar; the walk and the epochs below have their own fragments inside it."""
    step = 100 if available >= 1000 else 10
    max_points = available // step * step
    code_size = result.experiment.model.code_size
    controls = st.columns(4)
    points = controls[0].slider("Points", min(100, max_points - step), max_points,
                                min(embed.DEFAULT_POINTS, max_points), step=step, key="latent_points",
                                help="Test images first, then validation and training images.")
    perplexity = controls[1].slider("Perplexity", 5, 100, int(embed.DEFAULT_PERPLEXITY), step=5,
                                    key="latent_perplexity",
                                    help="Roughly how many neighbours each point tries to keep close. Small: many "
                                         "tight clumps; large: the global layout counts more.")
    iterations = controls[2].slider("Iterations", 100, 1500, embed.DEFAULT_ITERATIONS, step=50, key="latent_iterations",
                                    help="The first third (at most 250) pulls clusters together (early "
                                         "exaggeration), the rest refines.")
    seed = int(controls[3].number_input("Seed", 0, 9999, 0, step=1, key="latent_seed"))

    x, labels, splits, split_index = embed.point_pool(dataset, points)
    owner = state.session_id() if result.experiment.data.upload_id else None
    model_id = (result.experiment.key(), result.epochs_run, result.best_epoch, result.stopped)
    code_key = stable_hash("latent-codes", model_id, points, perplexity, iterations, seed)
    pixel_key = stable_hash("latent-pixels", result.experiment.data.key(), points, perplexity, iterations, seed)
    estimate = 2 + points / 1000 * iterations / 250
    code_job = session_job(code_key, embed.code_map_job(result, x, labels, perplexity, iterations, seed,
                                                           cluster_key=None if owner else code_key),
                           "t-SNE of the codes", owner, estimate)
    pixel_job = session_job(pixel_key, embed.pixel_maps_job(x, labels, perplexity, iterations, seed,
                                                             cluster_key=None if owner else pixel_key),
                            "t-SNE of the pixels", owner, estimate)
    snapshots = list(result.code_snapshots or [])
    snap_job = snap_key = snap_labels = None
    if snapshots:
        snap_labels = dataset.y_test[: len(snapshots[0][1])]
        snap_key = stable_hash("latent-snapshots", model_id, perplexity, seed)
        snap_job = session_job(snap_key, embed.snapshot_maps_job(snapshots, snap_labels, perplexity,
                                                                 min(iterations, 500), seed,
                                                                 cluster_key=None if owner else snap_key),
                               "t-SNE over epochs", owner, 1.5 * len(snapshots))
    page_jobs = [job for job in (code_job, pixel_job, snap_job) if job is not None]
    class_names = [str(c) for c in dataset.class_names]
    codes_what = "t-SNE of the codes" if code_size > 2 else "the codes"
    picked = st.session_state.setdefault("latent_picked", {})  # "A"/"B" -> (code_key, point index)
    picked = {k: v[1] for k, v in picked.items() if v[0] == code_key}

    # --- the map ---------------------------------------------------------------------------------------------

    st.subheader("t-SNE of the codes" if code_size > 2 else f"The {code_size}-number codes themselves")
    if code_size <= 2:
        st.caption(f"The code has {code_size} number(s), so it is drawn directly: no t-SNE needed.")

    # The page's only self-refreshing part: the progress of all its maps, and the codes' map while it forms.
    # Several refreshing fragments whose places moved from one run to the next turned the page white ("Bad
    # delta path index 14 (should be between [0, 13])", cf. streamlit/streamlit#15084): this one sits at a
    # place no job changes and always draws the same six slots, running or not.
    @st.fragment(run_every=POLL_SECONDS if any(watched(j) for j in page_jobs) else None)
    def live(followed: frozenset = frozenset(j.id for j in page_jobs if watched(j))):
        if any(j.id in followed and not watched(j) for j in page_jobs):
            st.rerun(scope="app")  # a map ended: redraw the page with it
        code_bar, kl_line, live_map, pixel_bar, snap_bar, stop_slot = (st.empty() for _ in range(6))
        if watched(code_job):
            progress(code_bar, code_job, codes_what)
            frame = code_job.latest
            if isinstance(frame, embed.EmbedFrame) and frame.kl_divergence is not None:
                kl_line.caption("KL divergence (in nats): how much the map's neighbourhoods still differ from the "
                                "codes'. t-SNE moves the points to lower it; it falls as the clusters settle.")
            if isinstance(frame, embed.EmbedFrame):
                live_map.plotly_chart(latent_figures.latent_map(
                    frame.embedding, labels, class_names, splits=splits, split_index=split_index,
                    title=f"Clusters forming: iteration {frame.iteration}"), key="latent_live_map")
        if watched(pixel_job):
            progress(pixel_bar, pixel_job, "Side by side, t-SNE of the pixels")
        if watched(snap_job):
            done = len(snap_job.reports)
            snap_bar.progress(done / len(snapshots), text=f"Codes over training: the codes of {done} of "
                                                          f"{len(snapshots)} epochs mapped.")
        if any(watched(j) for j in page_jobs) and stop_slot.button("Stop t-SNE", key="latent_stop"):
            stop(page_jobs)
            st.rerun(scope="app")

    live()

    @st.fragment
    def main_map(latent: embed.LatentMap) -> None:
        """The finished map (clickable), the clicked point's image and reconstruction, and the map's scores."""
        if not latent.complete:
            st.warning("t-SNE was stopped early: this is the map as it was then, without scores.")
            restart_button(code_key, "Run it to the end")
        left, right = st.columns([3, 1])
        with left:
            highlight = [picked[k] for k in ("A", "B") if k in picked]
            event = st.plotly_chart(memo(("map", code_job.id, code_job.status, tuple(highlight)),
                                         lambda: latent_figures.latent_map(
                latent.embedding, labels, class_names, splits=splits, split_index=split_index, highlight=highlight,
                axis_name="t-SNE" if code_size > 2 else "code",
                title=f"{latent.method}: {points:,} images, coloured by their label")),
                key="latent_map", on_select="rerun", selection_mode="points")
            hover_images("latent_map", result.experiment.data.key(), x, dataset.sample_shape)
            st.caption("Hover over a point to see its image; click one to compare it with its reconstruction. "
                       "Click a class in the legend to hide it; drag to pan, scroll to zoom.")
        with right:
            chosen = None
            for point in (event.selection.points if event and event.selection else []):
                custom = point.get("customdata")
                if custom is not None:
                    chosen = int(custom[0])
            if chosen is None:
                st.info("Click a point on the map to see the image and what the autoencoder rebuilt from its code.")
            else:
                st.plotly_chart(memo(("clicked", code_job.id, chosen),
                                     lambda: latent_figures.original_and_reconstruction(
                    x[chosen], latent.reconstructions[chosen] / 255.0,
                    f"label {class_names[labels[chosen]]} · {splits[chosen]} image {split_index[chosen]}",
                    dataset.sample_shape)), key="latent_clicked")
                a, b = st.columns(2)
                for column, end, label, what in ((a, "A", "From here", "Start"), (b, "B", "To here", "End")):
                    if column.button(label, key=f"latent_pick_{end.lower()}", help=f"{what} the walk below at this "
                                                                                  f"point ({end})."):
                        st.session_state["latent_picked"][end] = (code_key, chosen)
                        st.session_state[FOLLOW_PICKS] = True  # the walk below switches to the picked points
                        st.rerun()
            if latent.complete and latent.knn is not None:
                st.metric("kNN accuracy on the map", f"{latent.knn:.1%}",
                          help="5-fold accuracy of a 10-nearest-neighbour classifier that only sees the 2-D positions.")
                st.caption("kNN accuracy: how often a point's 10 nearest neighbours on the map mostly share its "
                           "label. High: the classes form clean clusters.")
                st.metric("Trustworthiness (k = 10)", f"{latent.trust:.3f}",
                          help="1.000: every point's 10 nearest neighbours on the map are also among its 10 nearest "
                               "codes. Lower: the map invents neighbours.")
                st.caption("Trustworthiness: 1 means a point's neighbours on the map are its true neighbours among "
                           "the codes; lower means the map invents some.")
            st.caption(f"Computed in {latent.seconds:.1f} s.")

    if code_job.status == jobs.CANCELLED and code_job.result is not None:
        main_map(code_job.result)  # stopped early: the map as it was then
    elif not settled(code_job, code_key, codes_what, note_while_running=False):
        main_map(code_job.result)

    # --- side by side ----------------------------------------------------------------------------------------

    st.subheader("Side by side: pixels, codes and PCA on the same images")
    st.markdown("Is the autoencoder's code a better starting point than the raw pixels? The three maps below use the "
                "same images. Each has two scores: **trustworthiness** (k = 10) measured against the *pixels*, so "
                "the three are comparable, and the **kNN accuracy** of a 10-nearest-neighbour classifier on the map.")
    columns = st.columns(3)
    pixel_maps = pixel_job.result if pixel_job.status == jobs.DONE else None
    entries = [(pixel_maps["pixels"] if pixel_maps else None, pixel_job, pixel_key, "t-SNE of the pixels"),
               (code_job.result if code_job.status == jobs.DONE else None, code_job, code_key, codes_what),
               (pixel_maps["pca"] if pixel_maps else None, pixel_job, pixel_key, "PCA-2 of the pixels")]
    for number, (column, (latent, job, key, what)) in enumerate(zip(columns, entries)):
        with column:
            if latent is None:
                if number == 0:  # the PCA map comes with the pixels' job: one line and one button for both
                    settled(job, key, what)
                elif number == 1:
                    st.info(f"{what}: see the map above.")
                continue
            axis = "PCA" if latent.method.startswith("PCA") else "t-SNE" if "t-SNE" in latent.method else "code"
            st.plotly_chart(memo(("compare", number, job.id, job.status), lambda: latent_figures.latent_map(
                latent.embedding, labels, class_names, splits=splits, split_index=split_index,
                title=latent_figures.quality_title(latent.method, latent.trust_pixels, latent.knn),
                axis_name=axis, height=380, show_legend=False, marker_size=3)), key=f"latent_compare_{number}")
            st.caption(f"{latent.seconds:.1f} s" + (f" · trustworthiness towards the codes {latent.trust:.3f}"
                                                    if latent.codes is not None and latent.trust is not None else ""))

    # --- walk the latent space -------------------------------------------------------------------------------

    @st.fragment
    def walk() -> None:
        st.subheader("Walk the latent space")
        st.markdown("Take the codes of two images and decode the points on the straight line between them. A smooth "
                    "morph means the space between the clusters still decodes to digit-like images; blurry or strange "
                    "images in the middle show where the autoencoder has never been.")
        latent_done = code_job.result if code_job.status == jobs.DONE else None
        if latent_done is None:
            st.info("The walk appears when the map above is ready.")
        else:
            walk_cols = st.columns([2, 1, 1, 2])
            if st.session_state.pop(FOLLOW_PICKS, False):
                # set in the run that draws the radio: a widget value set in an earlier run could be overwritten by
                # the browser's older value arriving with a refresh in between (the walk stayed on two classes)
                st.session_state["latent_walk_mode"] = WALK_MODES[1]
            mode = walk_cols[0].radio("Walk between", WALK_MODES, key="latent_walk_mode", horizontal=False)
            steps = walk_cols[3].slider("Images on the line", 5, 15, 10, key="latent_walk_steps")
            if mode == WALK_MODES[0]:
                names = list(range(len(class_names)))
                start_class = walk_cols[1].selectbox("From", names, index=min(4, len(names) - 1),
                                                     key="latent_walk_from", format_func=lambda c: class_names[c])
                end_class = walk_cols[2].selectbox("To", names, index=min(9, len(names) - 1), key="latent_walk_to",
                                                   format_func=lambda c: class_names[c])
                prototypes = memo(("prototypes", code_job.id),
                                  lambda: embed.class_prototypes(latent_done.codes, labels))
                ends = [prototypes.get(start_class), prototypes.get(end_class)]
                names_ab = [f"typical {class_names[start_class]}", f"typical {class_names[end_class]}"]
                st.caption("A typical image of a class: the one whose code is nearest the mean code of its class.")
            else:
                ends = [picked.get("A"), picked.get("B")]
                names_ab = ["A", "B"]
                walk_cols[1].markdown(f"**A**: {'point ' + str(ends[0]) if ends[0] is not None else 'not picked'}")
                walk_cols[2].markdown(f"**B**: {'point ' + str(ends[1]) if ends[1] is not None else 'not picked'}")
            if any(e is None for e in ends):
                st.info("Click a point on the map and press **From here**, then another and press **To here**.")
            else:
                names_ab = [f"{n} ({class_names[labels[e]]})" if mode != WALK_MODES[0] else n
                            for n, e in zip(names_ab, ends)]

                def walk_figure():
                    line = embed.interpolate_codes(latent_done.codes[ends[0]], latent_done.codes[ends[1]], steps)
                    return latent_figures.walk_strip(result.decode(line), names_ab[0], names_ab[1],
                                                     dataset.sample_shape)

                st.plotly_chart(memo(("walk", code_job.id, state.model_id(result), tuple(ends), steps, tuple(names_ab)),
                                     walk_figure), key="latent_walk")
                distance = float(np.linalg.norm(latent_done.codes[ends[0]] - latent_done.codes[ends[1]]))
                st.caption(f"{steps} codes evenly spaced over a distance of {distance:.2f} in the {code_size}-number "
                           "code space; the two ends are the reconstructions of the chosen images.")

    walk()

    # --- codes over training ---------------------------------------------------------------------------------

    @st.fragment
    def over_training() -> None:
        st.subheader("Codes over training")
        if snap_job is None:
            st.info("This model kept no codes during training. Train it again to record them.")
        else:
            st.markdown(f"During training the codes of the first {len(snap_labels)} test images were kept after epochs "
                        f"{', '.join(str(e) for e, _ in snapshots)}. Step through them: each map starts from the "
                        "previous one, so clusters keep their place while they form.")
            done = list(snap_job.result if snap_job.status in (jobs.DONE, jobs.CANCELLED) and snap_job.result else [])
            if snap_job.status != jobs.DONE:
                settled(snap_job, snap_key, "The maps over training")
            if done:
                epochs = [e for e, _, _ in done]
                if st.session_state.get("latent_epoch") not in epochs:
                    st.session_state.pop("latent_epoch", None)  # another model's epochs
                epoch = st.select_slider("Epoch", epochs, value=epochs[-1], key="latent_epoch") if len(epochs) > 1 \
                    else epochs[-1]
                chosen = done[epochs.index(epoch)]
                left, right = st.columns([3, 2])
                done_key = (snap_job.id, snap_job.status, len(done), epoch)
                left.plotly_chart(memo(("epoch_map",) + done_key, lambda: latent_figures.latent_map(
                    chosen[1], snap_labels, class_names, axis_name="t-SNE" if code_size > 2 else "code", height=480,
                    title=f"Codes after epoch {epoch} · kNN accuracy {chosen[2]:.1%}")), key="latent_epoch_map")
                right.plotly_chart(memo(("epoch_knn",) + done_key, lambda: latent_figures.knn_over_epochs(
                    epochs, [k for _, _, k in done], current=epoch)), key="latent_epoch_knn")

    over_training()


maps()
