"""What the Limits page draws: the session's model on inputs unlike its training data (data-specific) and as a
compressor against JPEG and PCA (lossy), counted in real bits or in nominal bytes. Its measurements and the
optional code-size sweep run in the background through ui.job_panel."""

from __future__ import annotations

from pathlib import Path
from typing import NamedTuple

import numpy as np
import pandas as pd
import streamlit as st

from aecore import bits as B
from aecore import compression as C  # the page's compression() section takes the name
from aecore import corrupt, metrics, ood, uploads
from aecore.config import DataConfig, stable_hash
from aecore.data import Dataset
from aecore.figures import applications as F
from aecore.figures import bits as FB
from ui import job_panel, scorecard, shared, state, training
from ui.safe_text import plain

ROOT = Path(__file__).resolve().parent.parent
N_OOD = 200  # images per out-of-distribution set
N_COMPRESS = 400  # test images in the rate–distortion comparison
N_BITS = 1000  # test images in the honest-bits comparison
SWEEP_SIZES = (4, 8, 16, 32, 64)
SWEEP_DATA = ("mnist-5k", "digits-8x8", "mnist", "fashion-mnist")  # built-in sets the sweep can train on
MSE_TARGETS = (0.03, 0.02, 0.01, 0.005)
VIEWS = {"bits": "real bits per pixel (quantised and entropy-coded)", "bytes": "nominal bytes (float numbers)"}
MEASURING = job_panel.Texts(starting="Working…")
SWEEP_TEXTS = job_panel.Texts(starting="Working…", button="Add a code-size sweep",
                              stopped_empty="Stopped before the first model finished: there is nothing to add yet.",
                              stopped_early="Stopped: the sweep is not added. The models it finished are kept, so "
                                            "pressing **Add a code-size sweep** again only trains the rest.")


class Subject(NamedTuple):
    """The session's trained model and its data: what every section reads."""

    result: object
    dataset: Dataset
    shape: tuple[int, int]  # one image's height and width
    experiment_key: str
    model_key: tuple  # state.model_id(result)


def subject(result, dataset: Dataset) -> Subject:
    experiment_key = stable_hash(result.experiment.key(), *tag) if (tag := training.provisional_tag(result)) else \
        result.experiment.key()  # a provisional model's measurements are never the final model's
    return Subject(result, dataset, tuple(dataset.sample_shape), experiment_key, state.model_id(result))


def memo(s: Subject, name: str, key: tuple, compute, private: bool = False):
    """Quick inference results and figures (never training): once per server for built-in data and the shared
    test sets, in the session for anything derived from an upload (``private``: the user's own picture)."""
    return shared.derive("limits", (name,) + key, compute, data=s.result.experiment.data, private=private,
                         max_entries=96)


# --- data-specific ---------------------------------------------------------------------------------------

@st.cache_data(show_spinner="Drawing letters, cutting photos…", max_entries=8)
def ood_images(shape: tuple[int, int], trained_on: str, fashion_cached: bool):
    # fashion_cached is part of the cache key: copying Fashion-MNIST into the cache shows it at once
    return ood.ood_sets(shape, N_OOD, seed=0, trained_on=trained_on)


def read_upload(data: bytes, name: str, shape: tuple[int, int]) -> tuple[np.ndarray, bool]:
    """An uploaded picture as a grey image of ``shape`` in [0, 1], white on black like MNIST, cut to its middle
    square. Returns (image, whether it was inverted). Raises ``UploadError`` for what cannot be read."""
    grey = uploads.read_picture(data, name) / np.float32(255.0)
    side = min(grey.shape)
    top, left = (grey.shape[0] - side) // 2, (grey.shape[1] - side) // 2
    grey = grey[top: top + side, left: left + side]
    inverted = bool(np.median(grey) > 0.5)  # dark ink on light paper: flip it
    if inverted:
        grey = 1.0 - grey
    return corrupt.resize_images(grey[None], shape, "box")[0], inverted


def data_specific(s: Subject) -> None:
    """The test images and the foreign sets (letters, noise, photos, Fashion-MNIST when downloaded) rebuilt by the
    session's model, with their errors; a picture of the user's own joins them."""
    sets, missing = ood_images(s.shape, s.dataset.name, ood.fashion_cached())
    groups = {f"test images ({s.dataset.name})": s.dataset.x_test[:N_OOD]}
    groups |= {ood.OOD_LABELS[name]: images for name, images in sets.items()}
    foreign_sets(s, groups, missing)


@st.fragment
def foreign_sets(s: Subject, shared_groups: dict, missing: dict) -> None:
    """The upload and everything drawn from it: a new picture reruns this part only."""
    groups = dict(shared_groups)
    upload = st.file_uploader("Try your own picture (PNG or JPEG; a drawing, a photo, anything)",
                              type=["png", "jpg", "jpeg"], key="limits_upload")
    if upload is not None:
        try:
            mine, inverted = read_upload(upload.getvalue(), upload.name, s.shape)
            groups["your picture"] = mine[None]
            if inverted:
                st.caption("Your picture was mostly light, so it was inverted to white on black like the digits.")
        except uploads.UploadError as exc:
            st.error(plain(str(exc), limit=None))
    if (ROOT / "pages" / "draw.py").exists():
        st.page_link("pages/draw.py", label="Or draw a digit (or anything else) on the Draw page",
                     icon=":material/draw:")

    picture_id = upload.file_id if upload is not None and "your picture" in groups else None

    def group_key(name: str) -> tuple:
        return s.model_key, name, picture_id if name == "your picture" else None

    recon = {name: memo(s, "recon", group_key(name),
                        lambda images=images: np.clip(s.result.reconstruct(images), 0, 1),
                        private=name == "your picture")
             for name, images in groups.items()}
    errors = {name: memo(s, "errors", group_key(name),
                         lambda name=name: metrics.per_sample_mse(groups[name], recon[name]),
                         private=name == "your picture")
              for name in groups}

    cols = st.columns(2)
    for i, name in enumerate(groups):
        images = groups[name][:6]
        with cols[i % 2]:
            st.plotly_chart(memo(s, "rows", group_key(name), lambda images=images, name=name: F.picture_rows(
                [images, recon[name][:6]], [f"{name}", "reconstruction"],
                [None, [f"MSE {e:.3f}" for e in errors[name][:6]]], image_px=62),
                private=name == "your picture"), key=f"limits_rows_{i}")

    error_table(s, groups, errors, picture_id)
    for name, why in missing.items():
        st.caption(f"**{ood.OOD_LABELS[name]}** is left out: {why}")
    st.caption("Letters are drawn with Pillow's default font (scaled to MNIST's 20×20 box); photo patches are cut from "
               "the two sample photos that ship with scikit-learn. scikit-image is not installed on purpose: its sample "
               "images would add a large package for a handful of photos that scikit-learn already provides.")


def error_table(s: Subject, groups: dict, errors: dict, picture_id) -> None:
    """Each set's errors against the test images': boxes, a table, the closest foreign set, histograms."""
    reference = float(np.median(errors[next(iter(groups))]))
    p99 = float(np.quantile(errors[next(iter(groups))], 0.99))
    TIMES, ABOVE = "× test median", "above the test 99th percentile"
    table = pd.DataFrame([{"images": name, "count": len(errors[name]), "median MSE": float(np.median(errors[name])),
                           TIMES: float(np.median(errors[name])) / max(reference, 1e-12),
                           ABOVE: float(np.mean(errors[name] > p99))}
                          for name in groups])
    st.plotly_chart(memo(s, "boxes", (s.model_key, picture_id), lambda: F.error_boxes(
        errors, title="Reconstruction error per image"), private=picture_id is not None), key="limits_error_boxes")
    left, right = st.columns([3, 2])
    with left:
        # Formatted by the browser (a pandas Styler took ~9 ms of every rerun); "percent" with steps of 0.01
        # shows whole percents, like "{:.0%}".
        number = st.column_config.NumberColumn
        st.dataframe(table, hide_index=True, key="limits_error_table", column_config={
            "median MSE": number(format="%.4f"), TIMES: number(format="%.1f×"),
            ABOVE: number(format="percent", step=0.01)})
    with right:
        closest = table.iloc[1:].sort_values("median MSE").iloc[0] if len(table) > 1 else None
        if closest is not None:
            st.markdown(f"Even the closest foreign set, **{closest['images']}**, comes back with a median error "
                        f"{float(closest[TIMES]):.1f}× that of the test images: the decoder can only "
                        "draw what it learnt, so a letter comes back as a digit-like blob, and noise or a photo as the "
                        "average stroke.")
    with st.expander("The same errors as histograms"):
        st.plotly_chart(memo(s, "histograms", (s.model_key, picture_id), lambda: F.error_histograms(
            errors, title="Reconstruction errors by input set"), private=picture_id is not None), key="limits_error_hist")


# --- lossy compression -----------------------------------------------------------------------------------

@st.fragment
def compression(s: Subject) -> None:
    """The cost view and its settings: moving them reruns this part only."""
    view = st.radio("Count the cost in", tuple(VIEWS), horizontal=True, key="limits_compress_view",
                    format_func=VIEWS.get)
    if view == "bits":
        bits_view(s)
    else:
        bytes_view(s)


def measurement(name: str, key: str, work, label: str, estimate: float, draw) -> None:
    """A quick measurement (seconds; never in the page script), started on its own and shown by the job panel
    ``name``, then ``draw(result)``. A failed one stays shown in this session; a stopped one starts again."""
    slot = f"{name}_job"
    job = job_panel.find_or_mine(key, slot)
    if job is None or job_panel.stopped(job):
        st.session_state[slot] = job_panel.submit(key, work, label=label, estimate=estimate)
    job_panel.job_panel(lambda: job_panel.find_or_mine(key, slot), name, texts=MEASURING,
                        stop=None, draw=draw)


def sweep_key(data: DataConfig) -> str:
    return stable_hash("limits_sweep", data, SWEEP_SIZES)


def sweep_models(s: Subject) -> dict:
    """The code-size sweep's models (code size → model) once it has finished, else {}."""
    job = job_panel.find(sweep_key(s.result.experiment.data))
    return job.result if job_panel.done(job) else {}


def sweep_panel(s: Subject) -> dict:
    """The button that adds default autoencoders at several code sizes (the autoencoder becomes a curve), its
    progress and Stop. Returns the sweep's models once it has finished, else {}."""
    data = s.result.experiment.data
    key, slot = sweep_key(data), "limits_sweep_job"

    def find():
        return job_panel.find_or_mine(key, slot)

    def start():
        def run_sweep(report, cancel, data_name=data.name):
            return C.train_code_size_sweep(data_name, SWEEP_SIZES, report=report, cancel=cancel)

        st.session_state[slot] = job_panel.submit(key, run_sweep, label="code-size sweep",
                                                  estimate=12 * len(SWEEP_SIZES))

    job = find()
    can_sweep = data.name in SWEEP_DATA and not data.upload_id
    job_panel.job_panel(find, "limits_sweep", texts=SWEEP_TEXTS, start=start,
                        start_disabled=not can_sweep or job_panel.done(job),
                        start_help=f"Trains default autoencoders with codes of {', '.join(map(str, SWEEP_SIZES))} "
                                   "numbers in the background (about 10 s each), so the autoencoder becomes a curve, "
                                   "not one model.")
    return job.result if job_panel.done(job) else {}


def with_sweep(s: Subject, models: dict) -> list:
    return [("your autoencoder", s.result)] + [("autoencoder", m) for _, m in sorted(models.items())]


def bits_view(s: Subject) -> None:
    """Compression in real bits: codes quantised and entropy-coded against PCA, JPEG and PNG, at one MSE."""
    st.markdown("Each code number is rounded onto **2^b levels** over its range on the training set, then the "
                "integer symbols are **entropy-coded** (one frequency table per number, counted on the training "
                "set); PCA's code is stored the same way, JPEG and PNG are real files written by Pillow. "
                "Everything is in **bits per pixel**, measured on the test images, and compared at the **same "
                "error**. Fewer bits and lower error is better: down and to the left.")
    chosen = st.select_slider("Bits per code number (before entropy coding)", options=B.BIT_DEPTHS, value=6,
                              key="limits_bits_depth",
                              help="The uniform quantiser's levels per number: 2 bits = 4 levels, 12 bits = 4,096.")
    models = sweep_models(s)
    x_test, x_train = s.dataset.x_test[:N_BITS], s.dataset.x_train
    key = stable_hash("limits_bits", s.experiment_key, sweep_key(s.result.experiment.data) if models else "",
                      len(x_test))

    def run_bits(report, cancel, models=with_sweep(s, models)):
        return B.bits_comparison(x_test, x_train, models)

    measurement("limits_bits", key, run_bits, "honest bits", 30, lambda points: bits_result(s, points, key, chosen))


def bits_result(s: Subject, points: list, key: str, chosen: int) -> None:
    """The measured bits: the chart, the table at the same error, what each method needs, the decoder's cost."""
    pixels = int(np.prod(s.shape))
    pick = {p.bits: p for p in points if p.method == "your autoencoder"}[chosen]
    target = pick.mse
    st.plotly_chart(memo(s, "bits_chart", (key, chosen), lambda: FB.bits_figure(
        points, chosen, target, title="Bits per pixel against test error")), key="limits_bits_chart")
    st.caption(f"What the chart shows: test MSE (up is worse) against bits per pixel (right is more), log scales; "
               f"your autoencoder at 2–12 bits per number (ringed: {chosen} bits), PCA and any sweep at their best "
               "code size and bit depth, JPEG at qualities 2–95, PNG as the vertical line.")
    best = C.smallest_size(points, target, size="bits_per_pixel")
    png = next(p for p in points if p.lossless)
    rows = []
    for method in dict.fromkeys(p.method for p in points):
        p = pick if method == "your autoencoder" else best.get(method)
        if p is None:
            rows.append({"method": method, "setting": "never reaches this error", "bits per pixel": None,
                         "bytes per image": None, "ideal coder (bpp)": None, "lzma (bpp)": None, "test MSE": None})
            continue
        rows.append({"method": method + (" (lossless)" if p.lossless else ""), "setting": p.setting,
                     "bits per pixel": p.bits_per_pixel, "bytes per image": p.bits_per_pixel * pixels / 8,
                     "ideal coder (bpp)": p.entropy_bpp, "lzma (bpp)": p.lzma_bpp, "test MSE": p.mse})
    st.markdown(f"**At the same error** — test MSE ≤ {target:.4f}, your autoencoder's at {chosen} bits per number "
                f"(each method's cheapest measured setting):")
    # A Styler (~9 ms), not the browser's column formats as below: JPEG and PNG have no ideal-coder or lzma count,
    # shown as "—" (a browser-formatted number column shows a missing value as "None").
    st.dataframe(pd.DataFrame(rows).style.format(
        {"bits per pixel": "{:.3f}", "bytes per image": "{:.1f}", "ideal coder (bpp)": "{:.3f}",
         "lzma (bpp)": "{:.3f}", "test MSE": "{:.4f}"}, na_rep="—"), hide_index=True, key="limits_bits_table")
    dec_bits = memo(s, "decoder_bits", (s.model_key,), lambda: B.decoder_bits(s.result))  # counts the weights
    pca_best = best.get("PCA")
    lines = [f"Your autoencoder needs **{pick.bits_per_pixel:.3f} bits per pixel** ({pick.bits_per_pixel * pixels / 8:.1f} "
             f"bytes per image) at MSE {pick.mse:.4f}."]
    if pca_best is not None:
        lines.append(f"PCA reaches the same error with **{pca_best.bits_per_pixel:.3f}** ({pca_best.setting}).")
    else:
        lines.append("PCA with up to 64 numbers never reaches this error.")
    jpeg_best = best.get("JPEG")
    lines.append(f"JPEG needs **{jpeg_best.bits_per_pixel:.2f}** ({jpeg_best.setting})." if jpeg_best else
                 "JPEG never reaches this error at any quality tried.")
    lines.append(f"PNG stores the images exactly in **{png.bits_per_pixel:.2f}**.")
    st.markdown(" ".join(lines))
    saving = (png.bits_per_pixel - pick.bits_per_pixel) * pixels  # bits saved per image against PNG
    decoder_text = (f"**The decoder is not free:** {dec_bits:,} bits ({dec_bits / 8 / 1024:,.0f} KB: its parameters × 32 "
                    f"bits) must be sent once")
    if saving > 0:
        decoder_text += (f"; against PNG it pays for itself after about **{int(np.ceil(dec_bits / saving)):,} "
                         "images**.")
    else:
        decoder_text += "."
    if pca_best is not None:
        pca_dec = B.pca_decoder_bits(pca_best.numbers, pixels)
        decoder_text += (f" PCA's decoder (its {pca_best.numbers} components and the mean image, float32) is "
                         f"{pca_dec:,} bits ({pca_dec / 8 / 1024:,.0f} KB).")
    st.markdown(decoder_text)
    n_test = min(N_BITS, len(s.dataset.x_test))
    st.caption(f"Three counts of the code's bits: **bits per pixel** uses symbol frequencies counted on the training "
               f"set (what an arithmetic coder fixed in advance spends); **ideal coder** is the entropy of the "
               f"{n_test:,} test images' own symbols (a lower bound — with {n_test:,} images it can never "
               f"exceed log2({n_test:,}) = {np.log2(n_test):.1f} bits per number, so it flatters high bit "
               "depths); **lzma** is a real general-purpose coder on the packed symbols (an upper bound). JPEG and "
               "PNG are whole files, headers included. Ranges and frequency tables, like the decoder, are shared "
               "side information.")
    scorecard.show(s.result)


def bytes_view(s: Subject) -> None:
    """Compression in nominal bytes: float codes of the autoencoder (and an optional sweep) and PCA against JPEG
    files and lossless PNG / gzip, on the test images or on photo patches."""
    st.markdown("Store each test image as: the **autoencoder's code** (float32, float16 or 8-bit numbers), a **PCA "
                "code** of the same sizes, a **JPEG** file (Pillow, several qualities, the encoded length measured), "
                "or losslessly as **PNG** / **gzip**. Fewer bytes and lower error is better: down and to the left.")
    c1, c2 = st.columns(2)
    which = c1.radio("Images to compress", ("test", "photos"), horizontal=True, key="limits_rd_images",
                     format_func={"test": f"test images ({s.dataset.name})", "photos": "photo patches"}.get)
    metric = c2.radio("Error shown as", ("mse", "psnr"), horizontal=True, key="limits_rd_metric",
                      format_func={"mse": "MSE (log scale)", "psnr": "PSNR (dB)"}.get)
    c2.caption("**PSNR** (peak signal-to-noise ratio, in decibels, dB) is the MSE on a log scale, higher is better: "
               "+10 dB = a 10 times smaller squared error. With pixels in [0, 1], MSE 0.01 is 20 dB.")
    models = sweep_panel(s)
    images = s.dataset.x_test[:N_COMPRESS] if which == "test" else ood.photo_patches(N_COMPRESS, s.shape, seed=1)
    x_train = s.dataset.x_train
    key = stable_hash("limits_rd", s.experiment_key, which, sweep_key(s.result.experiment.data) if models else "",
                      N_COMPRESS)

    def run_rd(report, cancel, images=images, models=with_sweep(s, models)):
        return C.rate_distortion(images, x_train, models)

    measurement("limits_rd", key, run_rd, "rate–distortion", 8,
                lambda points: rate_distortion_result(s, points, key, which, metric))


def rate_distortion_result(s: Subject, points: list, key: str, which: str, metric: str) -> None:
    """The measured bytes: the chart, the fewest bytes at each error level, who wins where and why."""
    st.plotly_chart(memo(s, "rd_chart", (key, metric), lambda: F.rate_distortion_figure(
        points, metric, title="Bytes per image against error")), key="limits_rd_chart")
    rows = []
    for target in MSE_TARGETS:
        best = C.smallest_size(points, target)
        rows.append({"keep MSE ≤": target, **{m: (f"{p.bytes_per_image:.0f} B" if p else "—") for m, p in
                                             ((m, best.get(m)) for m in dict.fromkeys(q.method for q in points
                                                                                      if not q.lossless))}})
    st.markdown("**Fewest bytes per image that keep the error at or below each level** (— = never reaches it):")
    st.dataframe(pd.DataFrame(rows), hide_index=True, key="limits_rd_table")

    lossless = {p.method: p for p in points if p.lossless}
    lines = []
    for target in MSE_TARGETS:
        best = C.smallest_size([p for p in points if not p.lossless], target)
        if best:
            winner = min(best.values(), key=lambda p: p.bytes_per_image)
            lines.append(f"- at MSE ≤ {target}: **{winner.method}** ({winner.setting}, "
                         f"{winner.bytes_per_image:.0f} bytes)")
    jpeg_min = min((p for p in points if p.method == "JPEG"), key=lambda p: p.bytes_per_image)
    st.markdown("**Who wins where** (measured on these images):\n" + "\n".join(lines))
    if which == "test":
        verdict = (f"On {s.dataset.name} a whole JPEG file is never smaller than {jpeg_min.bytes_per_image:.0f} bytes — "
                   f"its headers and tables alone outweigh a {s.shape[0]}×{s.shape[1]} digit — while PNG stores the "
                   f"digit exactly in {lossless['PNG'].bytes_per_image:.0f} bytes. The learnt codes spend a handful of "
                   "bytes because the decoder already knows what digits look like.")
    else:
        verdict = ("On photo patches the picture flips: the digit autoencoder and the digit PCA cannot describe "
                   "textures they never saw, whatever their code size, while JPEG — built for photos — keeps improving "
                   "with quality. That is the article's point: JPEG wins on photos.")
    st.markdown(verdict + f" The autoencoder's decoder ({C.decoder_bytes(s.result) / 1024:,.0f} KB of float32 "
                "weights), the PCA basis and the JPEG tables are side information shared by every image, not counted "
                "per image.")
    st.caption("8-bit codes map each code number's range in the training set onto 256 levels. “JPEG (shared "
               "tables)” is the same JPEG stream without its quantisation and Huffman tables, as if every image "
               "shared one copy of them. Lossless methods are the dashed vertical lines (their error is zero).")
