"""The autoencoder family: for the trained type, the one thing that makes it different, plus comparisons
against a second model (trained in the background, cached by its experiment key)."""

from __future__ import annotations

import streamlit as st

from aecore.config import KIND_LABELS
from aecore.metrics import psnr_from_mse
from ui import family_view, runtime_fixes, state, training

runtime_fixes.run_pages_through_app()

st.title("The autoencoder family")
st.markdown(
    "Every member of the family is the same idea (encoder → code → decoder, trained to rebuild its input) with "
    "**one ingredient changed**. Pick a type in the sidebar, press **Train**, and this page shows what that "
    "ingredient does, next to a model trained without it.\n\n"
    "| type | what changes | what this page shows |\n|---|---|---|\n"
    "| Denoising | trained with `fit(x_noisy, x)` | clean / noisy / denoised, PSNR across noise levels |\n"
    "| Sparse | L1 penalty on the code | how many code units are active, what each unit draws |\n"
    "| Convolutional | convolutions instead of dense layers | the learned filters, quality against a dense model |\n"
    "| Contractive | penalty on the encoder's Jacobian | how far codes move when the input is disturbed |\n"
    "| Variational | the code is a distribution | new digits sampled from the prior, the code map, morphing |\n"
    "| Over-complete | code ≥ input, no penalty | it copies letters it never saw: it learned the identity |"
)

if family_view.vae_is_training():
    family_view.vae_live_view()
    st.stop()
result = training.require_result()
dataset = state.dataset_or_error(result.experiment.data)
if dataset is None:
    st.stop()
model = family_view.trained(result, dataset)

st.caption(f"Showing the trained model: **{KIND_LABELS[model.kind]}**, code size {model.model_cfg.code_size}, "
           f"test MSE {result.test_mse:.4f} ({psnr_from_mse(result.test_mse):.1f} dB).")
# the section's own controls rerun the section only, not the page
st.fragment(family_view.SECTIONS[model.kind])(model)
