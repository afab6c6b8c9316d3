"""Applications: denoising, watermark removal, super-resolution, colorization, features, anomalies.

Each restoration / anomaly model trains as a background job keyed by the stable hash of its settings
(press its Train button); a finished model is kept, so coming back to the page shows it at once.
"""

import streamlit as st

from aecore.config import DataConfig
from aecore.data import DatasetUnavailable, load_dataset
from ui import applications_view as view
from ui import runtime_fixes

runtime_fixes.run_pages_through_app()

st.title("Applications")
st.markdown("An autoencoder trained with **fit(corrupted, clean)** learns to undo the corruption: the same "
            "recipe removes noise, watermarks and blur, and adds colour. Its code is also a compact "
            "description for a classifier, and its reconstruction error flags inputs unlike its training data. "
            "Each section trains its own small model in the background: press its **Train** button "
            "(its progress bar says how long is left; on MNIST 5k a watermark model took 37–46 s on a busy "
            "2-core server); finished models are kept, so coming back is instant.")

st.markdown("**PSNR, in plain words:** how close an image is to the clean original, in decibels (**dB**). Higher "
            "is closer: +3 dB halves the squared error, +10 dB divides it by ten. A **gain** is the model's "
            "output PSNR minus its input's.")

data_name = st.selectbox("Images for the application models", list(view.DATA_CHOICES),
                         format_func=view.DATA_CHOICES.get,
                         key="applications_data", help="MNIST 5k works offline. Digits 8×8 is tiny and trains in "
                                                        "seconds, but its 8×8 images show little.")
try:
    dataset = load_dataset(DataConfig(name=data_name))
except DatasetUnavailable as exc:
    st.error(f"{exc} Pick MNIST 5k above.")
    st.stop()

images = view.source(data_name, dataset)
tabs = st.tabs(["Denoising", "Watermark removal", "Super-resolution", "Colorization", "Feature extraction",
                "Anomaly detection"])
for tab, section in zip(tabs, view.SECTIONS):
    with tab:
        section(images)
