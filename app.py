"""Autoencoder Lab: entry point. Page config, the shared sidebar, navigation over pages/."""

from pathlib import Path

import streamlit as st

from ui import classroom, links, presets, runtime_fixes, sidebar, state, theme

ROOT = Path(__file__).parent
# (file, title, icon); a page appears once its file exists.
PAGES = [
    ("pages/home.py", "What is an autoencoder?", ":material/school:"),
    ("pages/training.py", "Training", ":material/model_training:"),
    ("pages/ab_runs.py", "Two runs side by side", ":material/compare_arrows:"),
    ("pages/step_mode.py", "Slow motion", ":material/slow_motion_video:"),
    ("pages/reconstruction.py", "Reconstructions", ":material/grid_view:"),
    ("pages/pca_vs_ae.py", "PCA versus autoencoder", ":material/compare:"),
    ("pages/latent_space.py", "Latent space (t-SNE)", ":material/scatter_plot:"),
    ("pages/directions.py", "Directions in the code space", ":material/open_with:"),
    ("pages/family.py", "Autoencoder family", ":material/family_history:"),
    ("pages/applications.py", "Applications", ":material/build:"),
    ("pages/limits.py", "Limits", ":material/warning:"),
    ("pages/draw.py", "Draw a digit", ":material/draw:"),
    ("pages/your_data.py", "Your own data", ":material/upload_file:"),
    ("pages/export.py", "Export and share", ":material/download:"),
    ("pages/classroom.py", "Classroom", ":material/groups:"),
]

st.set_page_config(page_title="Autoencoder Lab", page_icon=":material/compress:", layout="wide")
runtime_fixes.keep_keras_state_between_reruns()
runtime_fixes.keep_outside_widgets_in_fragment_runs()
state.init_session()
links.restore_from_url()  # a shared link sets the sidebar once per session, before its widgets exist
if links.presenter_mode():
    st.set_page_config(initial_sidebar_state="collapsed")
theme.apply(presenter=links.presenter_mode())
pages = [st.Page(str(ROOT / path), title=title, icon=icon, default=(i == 0))
         for i, (path, title, icon) in enumerate(PAGES) if (ROOT / path).exists()]
# st.navigation must come before the sidebar's widgets: called after them, it resets their values on the
# first rerun (measured with Streamlit 1.67).
navigation = st.navigation(pages)
# The class notice and the presenter banner come and go between runs: each in a container of its own, so the
# page below keeps its places (tests/test_app_places.py).
with st.container():
    classroom.class_bar(navigation, pages)  # class mode: a teacher's push is applied before the sidebar is drawn
sidebar.draw_sidebar()
links.mirror_to_url()
with st.container():
    presets.presenter_banner()
try:
    navigation.run()
finally:
    # After the page has been sent: importing TensorFlow holds the GIL for seconds and would delay it.
    state.warm_up_tensorflow()
