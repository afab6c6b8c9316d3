"""Home: what an autoencoder is, drawn from the current sidebar settings."""

import streamlit as st

from aecore import architecture, figures
from aecore.data import DATASETS
from aecore.figures import family as family_figures
from ui import runtime_fixes, shared, state

runtime_fixes.run_pages_through_app()

st.title("Autoencoder Lab")
st.markdown(
    "An **autoencoder** is a neural network trained to output its own input. The catch is the middle: "
    "the **encoder** must squeeze each input into a short **code** (a few numbers), and the **decoder** must "
    "rebuild the input from that code alone. To do that well, the network has to learn what the data has in "
    "common, because only the essentials fit through the bottleneck.\n\n"
    "Autoencoders are **data-specific** (a model trained on digits only compresses digits) and **lossy** "
    "(the output is close to, never exactly, the input). Change the settings in the sidebar, press **Train**, "
    "and watch what happens on the other pages."
)

experiment = state.current_experiment()
spec = DATASETS.get(experiment.data.name)
if spec is not None:
    sample_shape = spec.sample_shape
else:
    dataset = state.dataset_or_error(experiment.data)
    sample_shape = dataset.sample_shape if dataset is not None else (28, 28)
input_dim = 1
for size in sample_shape:
    input_dim *= size

model = experiment.model
st.subheader("The model in the sidebar")
title = "Numbers passed from layer to layer: input → code → output"
if model.kind == "conv" and len(sample_shape) >= 2:
    layers = architecture.conv_layers(model, sample_shape)
    st.plotly_chart(shared.derive("home_architecture", ("conv", tuple(layers)), lambda: family_figures.conv_architecture(
        layers, title=title), data=experiment.data), key="home_architecture")
    st.caption("Convolution blocks: each one slides small filters over the image, halving its size and making "
               "more feature maps; the decoder's transposed convolutions grow it back.")
else:
    layers = architecture.dense_layers(model, input_dim)
    st.plotly_chart(shared.derive("home_architecture", ("dense", tuple(layers)), lambda: figures.architecture(
        layers, title=title), data=experiment.data), key="home_architecture")
cols = st.columns(4)
cols[0].metric("Input numbers", f"{input_dim:,}", help="×".join(map(str, sample_shape)) + " values per sample")
cols[1].metric("Code numbers", f"{model.code_size:,}")
ratio = architecture.compression_ratio(model, input_dim)
cols[2].metric("Compression", f"{ratio:.1f} : 1" if ratio >= 1 else f"1 : {1 / ratio:.1f}",
               help="Input numbers per code number. Below 1 the code is larger than the input (over-complete).")
cols[3].metric("Weights to learn", f"{sum(layer.params for layer in layers):,}")
st.markdown(
    "- **Encoder** (green): input → code. It can be used alone, for example to feed a t-SNE plot or a classifier.\n"
    "- **Code** (red): the compressed representation. Its size is the main knob.\n"
    "- **Decoder** (orange): code → output, a mirror of the encoder. The output layer uses a sigmoid, so pixels "
    "stay between 0 (black) and 1 (white).\n"
    "- Training minimises the difference between output and input: `model.fit(x, x)`. "
    "A denoising autoencoder is trained with `model.fit(x_noisy, x)`."
)
st.page_link("pages/training.py", label="Next: train it and watch the loss fall", icon=":material/arrow_forward:")
st.info("**Teaching with it?** Before class, run `make warm` once on the machine that serves the app: it trains "
        "every lesson preset into the model cache (a few minutes), so in the lecture each preset's **Train** "
        "loads at once instead of making the room wait.", icon=":material/school:")
