"""PCA versus autoencoder: the same data, the same code size, and the evidence for non-linearity."""

import streamlit as st

from aecore.data import DATASETS
from ui import pca_view, runtime_fixes, state, training

runtime_fixes.run_pages_through_app()

st.title("PCA versus autoencoder")
st.markdown(
    "**PCA** (principal component analysis) compresses each image into *k* numbers with one linear step: "
    "it keeps the *k* directions along which the training images vary most. An **autoencoder** with a "
    "*k*-number code can bend and fold: its encoder and decoder are non-linear. Here both work on the same "
    "training images and are judged on the same held-out test images."
)
result = training.require_result()
experiment = result.experiment
dataset = state.dataset_or_error(experiment.data)
if dataset is None:
    st.stop()
c = pca_view.comparison(result, dataset)
spec = DATASETS.get(experiment.data.name)
data_label = spec.label if spec is not None else f"{experiment.data.name} (your upload)"
st.caption(f"Data for every figure on this page: **{data_label}**, {dataset.summary()}. "
           "PCA is fitted on the training images; all MSE and PSNR figures are on the test images.")
st.caption("**PSNR** (peak signal-to-noise ratio, in decibels, dB) is the MSE on a log scale, higher is better: "
           "+10 dB = a 10 times smaller squared error, +3 dB ≈ half. With pixels in [0, 1], MSE 0.01 is 20 dB.")
pca_view.published_check(c)

st.header(f"1 · Same code size: k = {c.k}")
pca_view.same_code_size(c)

st.header("2 · Error against code size")
st.markdown("PCA is cheap, so it is drawn for every k. For the autoencoder one model is trained per code size, "
            "with every other sidebar setting kept as it is. **Solid**: test images; **dotted**: training images. "
            "A dotted line far below its solid one means the model memorised its training images (over-fitting).")
pca_view.sweep_section(c)

st.header("3 · A linear autoencoder is PCA")
st.markdown("Remove every activation, use a linear output and the mean squared error, and the best an autoencoder "
            "can do is exactly PCA: its decoder learns to draw with the same *k* directions (in some other order "
            "and mixture). The **principal angles** between the two sets of directions measure that: 0° = the same "
            "subspace.")
st.caption("Principal angles in plain words: line up the directions each method draws with as well as possible, "
           "then measure the angle between each matched pair. 0° = the autoencoder uses exactly PCA's directions "
           "(mixed differently), 90° = a direction PCA does not use at all.")
pca_view.linear_section(c)

st.header("4 · Non-linear manifolds in 3-D")
st.markdown("Points on a curved sheet or loop need fewer numbers than their three coordinates, but only a "
            "non-linear code can follow the curve. PCA can only flatten it onto a line or a plane.")


pca_view.manifold_section(c)

st.header("5 · What each one learns")
pca_view.what_each_learns(c)

st.header("6 · Codes in two dimensions")
st.markdown("With a 2-number code both methods draw each image as a point. Classes that stay apart are easier to "
            "tell apart from the code alone: the **kNN accuracy** is how often the 5 nearest training codes name "
            "the right class.")
pca_view.codes_section(c)

st.header("7 · A representation at every layer")
st.markdown("PCA has one linear step from the image to its code. An autoencoder passes the image through several "
            "layers, and each one holds a representation of it that can be reused: here is the output of every "
            "layer for one test image (brighter = larger).")


pca_view.layers_section(c)

st.header("8 · Re-using pre-trained layers")
st.markdown("Layers trained on one task can start another. Here the encoder is pre-trained on the digits 0–4, "
            "then a model for the digits 5–9 is trained from **only a few images**, once starting from the "
            "pre-trained encoder and once from scratch (same architecture, same initial decoder, same epochs).")


pca_view.transfer_section(c)
