"""Limits: autoencoders are data-specific (out-of-distribution inputs) and lossy (against JPEG and PCA)."""

import streamlit as st

from ui import limits_view as view
from ui import runtime_fixes, state, training

runtime_fixes.run_pages_through_app()

st.title("Limits")
st.markdown("Two claims from the article, tested live: an autoencoder is **data-specific** (it only knows how to "
            "rebuild what it was trained on) and **lossy** (its reconstructions are approximate — so how does it "
            "compare with JPEG and PCA as a compressor?).")
result = training.require_result()
dataset = state.dataset_or_error(result.experiment.data)
if dataset is None:
    st.stop()
if not dataset.is_square_image or len(dataset.sample_shape) != 2:
    st.info("This page needs a model trained on grey square images (MNIST 5k, say): pick one in the sidebar and "
            "press **Train**.")
    st.stop()
model = view.subject(result, dataset)

st.header("Data-specific: it rebuilds everything as what it knows")
view.data_specific(model)

st.header("Lossy compression against JPEG and PCA")
view.compression(model)
