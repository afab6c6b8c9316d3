"""Latent space: t-SNE of the codes, drawn live while it optimises, with the digit under the cursor."""

import streamlit as st

from ui import latent_view as view
from ui import runtime_fixes, state, training

runtime_fixes.run_pages_through_app()

st.title("Latent space (t-SNE)")
st.markdown("The encoder squeezes every image into a short **code**. t-SNE then draws those codes in 2-D so that "
            "codes that are close stay close: if the autoencoder learnt something about digits, images of the "
            "same digit gather in clusters, without the model ever seeing a label.")
result = training.require_result()  # in a container of its own: the sections keep their places
dataset = state.dataset_or_error(result.experiment.data)
if dataset is None:
    st.stop()
if not dataset.is_image:
    st.info("This data set is made of 3-D points, not images: see the PCA versus autoencoder page for its plot.")
    st.stop()

available = view.available_points(dataset)
if available < view.MIN_POINTS:
    st.error(f"This data set has only {available} images: a map needs at least {view.MIN_POINTS}. "
             "Choose a larger data set.")
    st.stop()


@st.fragment
def maps() -> None:
    """The map settings and everything they drive. A move of them (or a click on the map) reruns this part
    only, not the sidebar; the map, the walk and the epochs below have their own fragments inside it."""
    m = view.start_maps(result, dataset, *view.settings(available))

    st.subheader("t-SNE of the codes" if m.code_size > 2 else f"The {m.code_size}-number codes themselves")
    if m.code_size <= 2:
        st.caption(f"The code has {m.code_size} number(s), so it is drawn directly: no t-SNE needed.")
    view.main_map(m)
    view.progress_panel(m)  # under the map: its Stop and bar go when the last map ends, and the map stays put

    st.subheader("Side by side: pixels, codes and PCA on the same images")
    st.markdown("Is the autoencoder's code a better starting point than the raw pixels? The three maps below use the "
                "same images. Each has two scores: **trustworthiness** (k = 10) measured against the *pixels*, so "
                "the three are comparable, and the **kNN accuracy** of a 10-nearest-neighbour classifier on the map.")
    view.side_by_side(m)

    view.walk(m)
    view.over_training(m)


maps()
