"""Home: what an autoencoder is, drawn from the current sidebar settings."""

import streamlit as st

from aecore import architecture, figures
from aecore.data import DATASETS
from ui import runtime_fixes, state

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
if model.kind == "conv":
    st.caption("Convolutional models are drawn on the Autoencoder family page; below is the dense equivalent.")
layers = architecture.dense_layers(model, input_dim)
st.plotly_chart(figures.architecture(layers, title="Numbers passed from layer to layer: input → code → output"),
                key="home_architecture")
cols = st.columns(4)
cols[0].metric("Input numbers", f"{input_dim:,}", help="×".join(map(str, sample_shape)) + " values per sample")
cols[1].metric("Code numbers", f"{model.code_size:,}")
ratio = architecture.compression_ratio(model, input_dim)
cols[2].metric("Compression", f"{ratio:.1f} : 1" if ratio >= 1 else f"1 : {1 / ratio:.1f}",
               help="Input numbers per code number. Below 1 the code is larger than the input (over-complete).")
cols[3].metric("Weights to learn", f"{architecture.parameter_count(model, input_dim):,}")
st.markdown(
    "- **Encoder** (green): input → code. It can be used alone, for example to feed a t-SNE plot or a classifier.\n"
    "- **Code** (red): the compressed representation. Its size is the main knob.\n"
    "- **Decoder** (orange): code → output, a mirror of the encoder. The output layer uses a sigmoid, so pixels "
    "stay between 0 (black) and 1 (white).\n"
    "- Training minimises the difference between output and input: `model.fit(x, x)`. "
    "A denoising autoencoder is trained with `model.fit(x_noisy, x)`."
)
st.page_link("pages/training.py", label="Next: train it and watch the loss fall", icon=":material/arrow_forward:")
