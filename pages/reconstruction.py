"""Reconstructions: test images, what the model saw, what it rebuilt, and where it erred."""

import numpy as np
import streamlit as st

from aecore import figures
from aecore.metrics import psnr_from_mse
from ui import runtime_fixes, shared, state, training

runtime_fixes.run_pages_through_app()

st.title("Reconstructions")
result = training.require_result()
dataset = state.dataset_or_error(result.experiment.data)
if dataset is None:
    st.stop()

cols = st.columns(4)
cols[0].metric("Test MSE", f"{result.test_mse:.4f}", help="Mean squared error per pixel on held-out test images.")
cols[1].metric("Test PSNR", f"{result.test_psnr:.1f} dB", help="Peak signal-to-noise ratio: higher is better.")
cols[2].metric("Train MSE", f"{result.train_mse:.4f}",
               help="Much lower than the test MSE means the model memorised its training images.")
noisy = result.experiment.train.noise_level > 0
if noisy:
    input_mse = shared.derive("reconstruction_input_mse", (state.model_id(result),),
                              lambda: float(((result.test_input - dataset.x_test) ** 2).mean()), data=result.experiment.data)
    cols[3].metric("Noisy input PSNR", f"{psnr_from_mse(input_mse):.1f} dB",
                   help="How far the corrupted inputs are from the clean images, before denoising.")

st.caption("**PSNR** (peak signal-to-noise ratio, in decibels, dB) is the MSE on a log scale, higher is better: "
           "+10 dB = a 10 times smaller squared error, +3 dB ≈ half. With pixels in [0, 1], MSE 0.01 is 20 dB.")

if not dataset.is_image:
    st.info("This data set is made of 3-D points, not images: see the PCA versus autoencoder page for its plot.")
    st.stop()


@st.fragment
def image_rows() -> None:
    """The controls and the rows they pick: moving them redraws this part only."""
    controls = st.columns([2, 3, 2, 1])
    count = controls[0].slider("Images", 4, 16, 10, key="reconstruction_count")
    classes = controls[1].multiselect("Classes", list(range(len(dataset.class_names))), key="reconstruction_classes",
                                      format_func=lambda c: dataset.class_names[c], placeholder="all classes")
    order = controls[2].radio("Which images", ["random", "worst", "best"], horizontal=True,
                              key="reconstruction_order",
                              help="Worst and best: the highest and lowest reconstruction error in the test set.")
    if controls[3].button("Reshuffle", key="reconstruction_reshuffle", disabled=order != "random"):
        st.session_state["reconstruction_shuffle"] = st.session_state.get("reconstruction_shuffle", 0) + 1
    shuffle = st.session_state.get("reconstruction_shuffle", 0) if order == "random" else 0
    st.plotly_chart(shared.derive("reconstruction_grid", (state.model_id(result), count, tuple(classes), order, shuffle),
                                  lambda: grid(count, classes, order, shuffle), data=result.experiment.data),
                    key="reconstruction_grid")
    st.caption("Pixels are scaled to [0, 1]: black is 0, white is 1. The error row shows |original − reconstruction|.")


def grid(count: int, classes: list, order: str, shuffle: int):
    candidates = np.flatnonzero(np.isin(dataset.y_test, classes)) if classes else np.arange(len(dataset.y_test))
    errors = result.per_image_test_mse[candidates]
    if order == "worst":
        chosen = candidates[np.argsort(errors)[::-1][:count]]
    elif order == "best":
        chosen = candidates[np.argsort(errors)[:count]]
    else:
        rng = np.random.default_rng(shuffle)
        chosen = rng.choice(candidates, size=min(count, len(candidates)), replace=False)
    originals = figures.as_images(dataset.x_test[chosen], dataset.sample_shape)
    rebuilt = figures.as_images(np.clip(result.test_reconstruction[chosen], 0, 1), dataset.sample_shape)
    many = len(chosen) > 10  # short captions, so that neighbours do not run into each other
    rows, titles, captions, error_rows = [originals], ["original (test set" + (", label under each)" if many else ")")], [
        [("" if many else "label ") + str(dataset.class_names[dataset.y_test[i]]) for i in chosen]], [False]
    if noisy:
        rows.append(figures.as_images(result.test_input[chosen], dataset.sample_shape))
        titles.append("noisy input (what the model saw)")
        captions.append(None)
        error_rows.append(False)
    rows += [rebuilt, np.abs(originals - rebuilt)]
    titles += ["reconstruction" + (" (MSE under each image)" if many else ""),
               "absolute error (white = exact, red = wrong)"]
    captions += [figures.error_captions(result.per_image_test_mse[chosen]), None]
    error_rows += [False, True]
    return figures.image_grid(rows, titles, captions, error_rows)


image_rows()

st.subheader("How the errors are spread")
st.plotly_chart(shared.derive("reconstruction_histogram", (state.model_id(result),), lambda: figures.histogram(
    result.per_image_test_mse, "reconstruction MSE of one test image", title="Test images by reconstruction error"),
    data=result.experiment.data), key="reconstruction_histogram")
