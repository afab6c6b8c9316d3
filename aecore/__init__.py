"""Autoencoder Lab core library: data, models, training, comparisons and figures.

Never imports streamlit. TensorFlow/Keras is imported lazily inside the modules
that need it (models, train), so importing aecore itself is fast.
"""

__all__ = ["config", "data", "corrupt", "pca_baseline", "sweeps", "inspect_model", "manifolds", "transfer", "figures"]
