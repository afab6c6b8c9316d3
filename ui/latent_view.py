"""What the latent-space page draws: t-SNE of the codes (live while it forms, then clickable, with the digit under
the cursor), pixels / codes / PCA side by side, a walk between two codes, and the codes over training. Its maps
run in the background through ui.job_panel: one panel (one bar, one Stop) for all of them."""

from __future__ import annotations

import base64
from typing import NamedTuple

import numpy as np
import streamlit as st

from aecore import embed
from aecore.config import stable_hash
from aecore.data import Dataset, point_pool, pool_size
from aecore.figures import latent as latent_figures
from ui import job_panel, shared, state, training
from ui.safe_text import plain

PANEL = "latent"  # the job panel's key: its Stop is "latent_stop"
SLOTS = ("latent_code_job", "latent_pixel_job", "latent_snapshot_job")  # this session's job of each map
MIN_POINTS = 60
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


def available_points(dataset: Dataset) -> int:
    """How many images a map can show (at most 5,000)."""
    return min(5000, pool_size(dataset))


class Maps(NamedTuple):
    """One choice of map settings, its images and its three map jobs: what every section reads."""

    result: object
    dataset: Dataset
    points: int
    x: np.ndarray
    labels: np.ndarray
    splits: np.ndarray
    split_index: np.ndarray
    class_names: list
    code_size: int
    codes_what: str  # "t-SNE of the codes", or "the codes" when they are drawn directly
    code_key: str
    code_job: job_panel.Job
    pixel_job: job_panel.Job
    snapshots: list  # (epoch, codes) kept during training
    snapshot_labels: np.ndarray | None
    snapshot_job: job_panel.Job | None
    drawn: tuple  # how its jobs stood when the page was drawn (see job_states)

    @property
    def jobs(self) -> list:
        return [job for job in (self.code_job, self.pixel_job, self.snapshot_job) if job is not None]


def settings(available: int) -> tuple[int, int, int, int]:
    """The four map settings in one row: points, perplexity, iterations and seed."""
    step = 100 if available >= 1000 else 10
    max_points = available // step * step
    controls = st.columns(4)
    points = controls[0].slider("Points", min(100, max_points - step), max_points,
                                min(embed.DEFAULT_POINTS, max_points), step=step, key="latent_points",
                                help="Test images first, then validation and training images.")
    perplexity = controls[1].slider("Perplexity", 5, 100, int(embed.DEFAULT_PERPLEXITY), step=5,
                                    key="latent_perplexity",
                                    help="Roughly how many neighbours each point tries to keep close. Small: many "
                                         "tight clumps; large: the global layout counts more.")
    iterations = controls[2].slider("Iterations", 100, 1500, embed.DEFAULT_ITERATIONS, step=50,
                                    key="latent_iterations",
                                    help="The first third (at most 250) pulls clusters together (early "
                                         "exaggeration), the rest refines.")
    seed = int(controls[3].number_input("Seed", 0, 9999, 0, step=1, key="latent_seed"))
    return points, perplexity, iterations, seed


def map_job(slot: str, key: str, work, label: str, owner: str | None, estimate: float) -> job_panel.Job:
    """This session's job for one map: the one it has for ``key`` (even stopped or failed, until it asks again),
    else the one queued or kept for ``key`` (joined), else a new one (``work()`` builds its function)."""
    before = st.session_state.get(slot)
    if before is not None and before.key != key and before.active:
        training.stop_watching(before)  # the settings moved on: free the worker for the new map
    job = job_panel.find_or_mine(key, slot, owner)
    if job is None or (job.active and job.id not in job_panel.left(PANEL)):
        job = job_panel.submit(key, work(), label=label, owner=owner, estimate=estimate)  # or join it
        st.session_state[slot] = job
    return job


def start_maps(result, dataset: Dataset, points: int, perplexity: int, iterations: int, seed: int) -> Maps:
    """The images for ``points`` and the jobs of their maps (the codes', the pixels', the codes over training).
    Built-in data's maps are shared by key (and offered to a Dask cluster); an upload's stay in its session."""
    x, labels, splits, split_index = point_pool(dataset, points)
    owner = state.session_id() if result.experiment.data.upload_id else None
    model_id = (result.experiment.key(), result.epochs_run, result.best_epoch, result.stopped)
    code_key = stable_hash("latent-codes", model_id, points, perplexity, iterations, seed)
    pixel_key = stable_hash("latent-pixels", result.experiment.data.key(), points, perplexity, iterations, seed)
    estimate = 2 + points / 1000 * iterations / 250
    code_job = map_job(SLOTS[0], code_key, lambda: embed.code_map_job(
        result, x, labels, perplexity, iterations, seed, cluster_key=None if owner else code_key),
        "t-SNE of the codes", owner, estimate)
    pixel_job = map_job(SLOTS[1], pixel_key, lambda: embed.pixel_maps_job(
        x, labels, perplexity, iterations, seed, cluster_key=None if owner else pixel_key),
        "t-SNE of the pixels", owner, estimate)
    snapshots = list(result.code_snapshots or [])
    snapshot_labels = snapshot_job = None
    if snapshots:
        snapshot_labels = dataset.y_test[: len(snapshots[0][1])]
        snapshot_key = stable_hash("latent-snapshots", model_id, perplexity, seed)
        snapshot_job = map_job(SLOTS[2], snapshot_key, lambda: embed.snapshot_maps_job(
            snapshots, snapshot_labels, perplexity, min(iterations, 500), seed,
            cluster_key=None if owner else snapshot_key), "t-SNE over epochs", owner, 1.5 * len(snapshots))
    code_size = result.experiment.model.code_size
    jobs = [job for job in (code_job, pixel_job, snapshot_job) if job is not None]
    return Maps(result, dataset, points, x, labels, splits, split_index, [str(c) for c in dataset.class_names],
                code_size, "t-SNE of the codes" if code_size > 2 else "the codes", code_key, code_job, pixel_job,
                snapshots, snapshot_labels, snapshot_job, job_states(jobs))


def job_states(jobs: list) -> tuple:
    """Whether each job runs, and whether this session left it to others (its Stop while others watched)."""
    left = job_panel.left(PANEL)
    return tuple((job.id, job.active, job.id in left) for job in jobs)


def memo(m: Maps, key: tuple, compute):
    """A figure drawn from a finished job's map (keyed by the job's id: a map computed again is a new job) or
    from the model. Sessions on the same settings share one job, so on built-in data the figure is drawn once
    for the whole server; an upload's stay in its session."""
    return shared.derive("latent_space", key, compute, data=m.result.experiment.data, max_entries=64)


def _restart(job: job_panel.Job, label: str) -> None:
    """A button that asks for the map again (this session forgets how its job ended)."""
    if st.button(label, key=f"latent_restart_{job.key}"):
        slot = next((s for s in SLOTS if st.session_state.get(s) is job), None)
        if slot is not None:
            st.session_state.pop(slot)
        st.rerun()


def why_not_shown(job: job_panel.Job, what: str, running_note: bool = True) -> None:
    """One line for a map that is not done: failed, stopped, left to the other sessions, or still running."""
    if job_panel.failed(job):
        st.error(f"{what}: {plain(job.error, limit=None)}")
        _restart(job, "Try again")
    elif job.active and job.cancel_event.is_set():  # stopped for everyone, still ending its current step
        st.info(f"{what}: stopped before the end.")
    elif job.active and job.id in job_panel.left(PANEL):  # this session stopped watching; others still watch
        others = len(job.attached - {state.session_id()})
        st.info(f"{what}: you stopped watching it; it is still being computed for {others} other "
                f"session{'s' if others != 1 else ''}.")
        if st.button("Watch it again", key=f"latent_watch_{job.key}"):
            job_panel.watch_again(PANEL, job)
            st.rerun()
    elif job.active:
        if running_note:
            st.info(f"{what}: being computed; the bar under the map of the codes above follows every map.")
    else:
        st.info(f"{what}: stopped before the end.")
        _restart(job, "Start again")


def progress_panel(m: Maps) -> None:
    """The page's only self-refreshing part: one bar and one Stop for all its maps, and the codes' map while it
    forms. It sits at a place no job changes (several refreshing fragments whose places moved from one run to
    the next turned the page white: "Bad delta path index 14", cf. streamlit/streamlit#15084), under the
    finished map: above it, its Stop and bar went when the last map ended, and the map jumped up under a
    pointer aimed at one of its points."""
    names = {m.code_job.id: m.codes_what, m.pixel_job.id: "Side by side, t-SNE of the pixels"}

    def polled() -> list:
        if job_states(m.jobs) != m.drawn:  # a map ended, or Stop left it to others: redraw the page with it
            st.rerun(scope="app")
        return m.jobs

    def live(current) -> None:
        frame = m.code_job.latest if m.code_job.active and m.code_job.id not in job_panel.left(PANEL) else None
        if isinstance(frame, embed.EmbedFrame):
            if frame.kl_divergence is not None:
                st.caption("KL divergence (in nats): how much the map's neighbourhoods still differ from the "
                           "codes'. t-SNE moves the points to lower it; it falls as the clusters settle.")
            st.plotly_chart(latent_figures.latent_map(
                frame.embedding, m.labels, m.class_names, splits=m.splits, split_index=m.split_index,
                title=f"Clusters forming: iteration {frame.iteration}"), key="latent_live_map")

    job_panel.job_panel(polled, PANEL, stop="Stop t-SNE", live=live,
                        prefix=lambda job: f"{names.get(job.id, 'Codes over training')}: ",
                        texts=job_panel.Texts(starting="starting…", button="Watch it again"))


@st.fragment
def main_map(m: Maps) -> None:
    """The finished map (clickable), the clicked point's image and reconstruction, and the map's scores."""
    job = m.code_job
    if job.active or job.result is None:  # failed, stopped before a first map, or not done
        why_not_shown(job, m.codes_what, running_note=False)
        return
    latent = job.result
    labels, class_names = m.labels, m.class_names
    picked = {k: v[1] for k, v in st.session_state.setdefault("latent_picked", {}).items() if v[0] == m.code_key}
    if not latent.complete:
        st.warning("t-SNE was stopped early: this is the map as it was then, without scores.")
        _restart(job, "Run it to the end")
    left, right = st.columns([3, 1])
    with left:
        highlight = [picked[k] for k in ("A", "B") if k in picked]
        event = st.plotly_chart(memo(m, ("map", job.id, job.status, tuple(highlight)), lambda: latent_figures.latent_map(
            latent.embedding, labels, class_names, splits=m.splits, split_index=m.split_index, highlight=highlight,
            axis_name="t-SNE" if m.code_size > 2 else "code",
            title=f"{latent.method}: {m.points:,} images, coloured by their label")),
            key="latent_map", on_select="rerun", selection_mode="points")
        hover_images("latent_map", m.result.experiment.data.key(), m.x, m.dataset.sample_shape)
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
            st.plotly_chart(memo(m, ("clicked", job.id, chosen), lambda: latent_figures.original_and_reconstruction(
                m.x[chosen], latent.reconstructions[chosen] / 255.0,
                f"label {class_names[labels[chosen]]} · {m.splits[chosen]} image {m.split_index[chosen]}",
                m.dataset.sample_shape)), key="latent_clicked")
            a, b = st.columns(2)
            for column, end, label, what in ((a, "A", "From here", "Start"), (b, "B", "To here", "End")):
                if column.button(label, key=f"latent_pick_{end.lower()}",
                                 help=f"{what} the walk below at this point ({end})."):
                    st.session_state["latent_picked"][end] = (m.code_key, chosen)
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


def side_by_side(m: Maps) -> None:
    """Three maps of the same images: t-SNE of the pixels, the codes' map and PCA-2 of the pixels."""
    columns = st.columns(3)
    pixel_maps = m.pixel_job.result if job_panel.done(m.pixel_job) else None
    code_map = m.code_job.result if job_panel.done(m.code_job) else None
    entries = [(pixel_maps["pixels"] if pixel_maps else None, m.pixel_job, "t-SNE of the pixels"),
               (code_map, m.code_job, m.codes_what),
               (pixel_maps["pca"] if pixel_maps else None, m.pixel_job, "PCA-2 of the pixels")]
    for number, (column, (latent, job, what)) in enumerate(zip(columns, entries)):
        with column:
            if latent is None:
                if number == 0:  # the PCA map comes with the pixels' job: one line and one button for both
                    why_not_shown(job, what)
                elif number == 1:
                    st.info(f"{what}: see the map above.")
                continue
            axis = "PCA" if latent.method.startswith("PCA") else "t-SNE" if "t-SNE" in latent.method else "code"
            st.plotly_chart(memo(m, ("compare", number, job.id, job.status), lambda: latent_figures.latent_map(
                latent.embedding, m.labels, m.class_names, splits=m.splits, split_index=m.split_index,
                title=latent_figures.quality_title(latent.method, latent.trust_pixels, latent.knn),
                axis_name=axis, height=380, show_legend=False, marker_size=3)), key=f"latent_compare_{number}")
            st.caption(f"{latent.seconds:.1f} s" + (f" · trustworthiness towards the codes {latent.trust:.3f}"
                                                    if latent.codes is not None and latent.trust is not None else ""))


@st.fragment
def walk(m: Maps) -> None:
    """Decode the codes on the straight line between two images' codes: two classes' typical images, or two
    points picked on the map. Its controls rerun this part only."""
    st.subheader("Walk the latent space")
    st.markdown("Take the codes of two images and decode the points on the straight line between them. A smooth "
                "morph means the space between the clusters still decodes to digit-like images; blurry or strange "
                "images in the middle show where the autoencoder has never been.")
    latent = m.code_job.result if job_panel.done(m.code_job) else None
    if latent is None:
        st.info("The walk appears when the map above is ready.")
        return
    class_names, labels = m.class_names, m.labels
    walk_cols = st.columns([2, 1, 1, 2])
    if st.session_state.pop(FOLLOW_PICKS, False):
        # set in the run that draws the radio: a widget value set in an earlier run could be overwritten by
        # the browser's older value arriving with a refresh in between (the walk stayed on two classes)
        st.session_state["latent_walk_mode"] = WALK_MODES[1]
    mode = walk_cols[0].radio("Walk between", WALK_MODES, key="latent_walk_mode", horizontal=False)
    steps = walk_cols[3].slider("Images on the line", 5, 15, 10, key="latent_walk_steps")
    if mode == WALK_MODES[0]:
        names = list(range(len(class_names)))
        start_class = walk_cols[1].selectbox("From", names, index=min(4, len(names) - 1), key="latent_walk_from",
                                             format_func=lambda c: class_names[c])
        end_class = walk_cols[2].selectbox("To", names, index=min(9, len(names) - 1), key="latent_walk_to",
                                           format_func=lambda c: class_names[c])
        prototypes = memo(m, ("prototypes", m.code_job.id), lambda: embed.class_prototypes(latent.codes, labels))
        ends = [prototypes.get(start_class), prototypes.get(end_class)]
        names_ab = [f"typical {class_names[start_class]}", f"typical {class_names[end_class]}"]
        st.caption("A typical image of a class: the one whose code is nearest the mean code of its class.")
    else:
        picked = {k: v[1] for k, v in st.session_state.get("latent_picked", {}).items() if v[0] == m.code_key}
        ends = [picked.get("A"), picked.get("B")]
        names_ab = ["A", "B"]
        walk_cols[1].markdown(f"**A**: {'point ' + str(ends[0]) if ends[0] is not None else 'not picked'}")
        walk_cols[2].markdown(f"**B**: {'point ' + str(ends[1]) if ends[1] is not None else 'not picked'}")
    if any(e is None for e in ends):
        st.info("Click a point on the map and press **From here**, then another and press **To here**.")
        return
    if mode != WALK_MODES[0]:
        names_ab = [f"{n} ({class_names[labels[e]]})" for n, e in zip(names_ab, ends)]

    def walk_figure():
        line = embed.interpolate_codes(latent.codes[ends[0]], latent.codes[ends[1]], steps)
        return latent_figures.walk_strip(m.result.decode(line), names_ab[0], names_ab[1], m.dataset.sample_shape)

    st.plotly_chart(memo(m, ("walk", m.code_job.id, state.model_id(m.result), tuple(ends), steps, tuple(names_ab)),
                         walk_figure), key="latent_walk")
    distance = float(np.linalg.norm(latent.codes[ends[0]] - latent.codes[ends[1]]))
    st.caption(f"{steps} codes evenly spaced over a distance of {distance:.2f} in the {m.code_size}-number "
               "code space; the two ends are the reconstructions of the chosen images.")


@st.fragment
def over_training(m: Maps) -> None:
    """The codes kept after several epochs, mapped one after the other; a slider steps through them."""
    st.subheader("Codes over training")
    job = m.snapshot_job
    if job is None:
        st.info("This model kept no codes during training. Train it again to record them.")
        return
    st.markdown(f"During training the codes of the first {len(m.snapshot_labels)} test images were kept after epochs "
                f"{', '.join(str(e) for e, _ in m.snapshots)}. Step through them: each map starts from the "
                "previous one, so clusters keep their place while they form.")
    done = list(job.result if (job_panel.done(job) or job_panel.stopped(job)) and job.result else [])
    if not job_panel.done(job):
        why_not_shown(job, "The maps over training")
    if not done:
        return
    epochs = [e for e, _, _ in done]
    if st.session_state.get("latent_epoch") not in epochs:
        st.session_state.pop("latent_epoch", None)  # another model's epochs
    epoch = st.select_slider("Epoch", epochs, value=epochs[-1], key="latent_epoch") if len(epochs) > 1 \
        else epochs[-1]
    chosen = done[epochs.index(epoch)]
    left, right = st.columns([3, 2])
    done_key = (job.id, job.status, len(done), epoch)
    left.plotly_chart(memo(m, ("epoch_map",) + done_key, lambda: latent_figures.latent_map(
        chosen[1], m.snapshot_labels, m.class_names, axis_name="t-SNE" if m.code_size > 2 else "code", height=480,
        title=f"Codes after epoch {epoch} · kNN accuracy {chosen[2]:.1%}")), key="latent_epoch_map")
    right.plotly_chart(memo(m, ("epoch_knn",) + done_key, lambda: latent_figures.knn_over_epochs(
        epochs, [k for _, _, k in done], current=epoch)), key="latent_epoch_knn")
