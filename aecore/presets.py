"""Lesson presets: named experiments a teacher can switch to in one click.

Each preset is plain data: the configuration fields it sets (everything else keeps
its default) and a two-line explanation of what to look at. ``Preset.experiment()``
turns it into the full, canonical ``Experiment`` that keys the model cache, so a
preset trained once (``python -m aecore warm``) is found again by the app.
"""

from __future__ import annotations

from dataclasses import dataclass

from aecore.config import Experiment


@dataclass(frozen=True)
class Preset:
    """One lesson: ``settings`` maps ``"section.field"`` to a value; unnamed fields keep their defaults."""

    key: str  # short and stable: it appears in shared links (?preset=...)
    title: str
    explanation: tuple[str, str]  # two lines: what it is, what to look at
    settings: tuple[tuple[str, object], ...]

    def experiment(self) -> Experiment:
        """The full experiment (defaults plus this preset's settings), model canonicalised."""
        return Experiment.from_fields(dict(self.settings))

    @property
    def label(self) -> str:
        return self.title


def _preset(key: str, title: str, line1: str, line2: str, **settings) -> Preset:
    return Preset(key, title, (line1, line2),
                  tuple((name.replace("__", "."), value) for name, value in settings.items()))


# The source article's model: one hidden layer of 128 on each side, a code of 32, sigmoid out, BCE.
_ARTICLE = dict(model__kind="dense", model__code_size=32, model__n_hidden_layers=1, model__first_layer_nodes=128,
                model__activation="relu", model__loss="bce")

# The VAE and convolutional presets keep the batches of 128 (and the conv denoiser its 25 epochs) they were
# measured with: the default's batches of 32 would give them 1.6-4x the steps, and a conv step is the costly one.
PRESETS: tuple[Preset, ...] = (
    _preset("article", "1 · The article's autoencoder (784-128-32-128-784)",
            "The model of the source article: 784 pixels → 128 → a code of 32 → 128 → 784, binary cross-entropy.",
            "Look at the Reconstructions page: digits come back recognisable but smoothed, because 32 numbers "
            "cannot hold every stroke.",
            **_ARTICLE),
    _preset("code2", "2 · A 2-number bottleneck",
            "Every digit is squeezed into just 2 numbers, so each image becomes one point on a plane.",
            "Reconstructions turn into blurry 'average' digits; the Latent space page shows the digits as "
            "clusters on that plane.",
            model__kind="dense", model__code_size=2, model__loss="bce"),
    _preset("denoise", "3 · Denoising at σ = 0.5",
            "Trained with fit(x_noisy, x): Gaussian noise of σ = 0.5 on every input, the clean digit as target.",
            "Compare the noisy input (about 9 dB PSNR) with the output (about 15 dB): it has learnt what a "
            "digit looks like.",
            model__kind="denoising", train__noise_kind="gaussian", train__noise_level=0.5),
    _preset("sparse", "4 · Sparse against plain",
            "Preset 1 plus an L1 penalty on the code (weight 0.001): the code numbers are pulled toward zero.",
            "The loss ends about 0.02 higher than preset 1 (the article saw 0.01) while the codes shrink "
            "about 9-fold: compare their bar charts on the Draw a digit page.",
            **{**_ARTICLE, "model__kind": "sparse"}, model__sparsity_weight=1e-3),
    _preset("identity", "5 · Too much capacity learns the identity",
            "A code of 1,024 numbers for a 784-pixel image and no penalty: nothing forces it to compress.",
            "The test error is tiny, but it also copies what is not a digit: draw a scribble on the Draw a "
            "digit page and it comes back almost unchanged.",
            model__kind="overcomplete", model__code_size=1024, model__n_hidden_layers=0, model__loss="mse"),
    _preset("linear", "6 · A linear autoencoder is PCA",
            "No hidden layers, linear activation, squared error: the encoder can only project, like PCA.",
            "It learns the subspace of the first 16 principal components: its test MSE matches PCA's with 16 "
            "components (PCA versus autoencoder page).",
            model__kind="dense", model__code_size=16, model__n_hidden_layers=0, model__activation="linear",
            model__loss="mse"),
    _preset("vae", "7 · A variational autoencoder generates digits",
            "The code is a probability distribution over 2 numbers, pulled toward a standard normal.",
            "Decode points of that plane that no image produced: new, plausible digits come out (Autoencoder "
            "family page).",
            model__kind="variational", model__code_size=2, model__kl_weight=1.0, model__loss="bce",
            train__epochs=40, train__batch_size=128),
    _preset("conv", "8 · Convolutional",
            "Two convolution blocks (16 and 32 filters) shrink 28×28 to 7×7 before a code of 16 numbers.",
            "Convolutions look at neighbouring pixels together: a lower error than the dense model with the "
            "same code size (Reconstructions page).",
            model__kind="conv", model__code_size=16, model__conv_filters=16, model__conv_depth=2,
            model__loss="bce", train__epochs=15, train__batch_size=128),
    _preset("convdenoise", "9 · Convolutional denoising at σ = 0.5",
            "Preset 8's convolutions with a code of 32 numbers, trained with fit(x_noisy, x) at σ = 0.5.",
            "It cleans the same noisy digits better than the dense denoiser of preset 3 (about 17.5 dB "
            "against 15.8 dB): filters see strokes, not single pixels (Autoencoder family page).",
            model__kind="conv", model__code_size=32, model__conv_filters=16, model__conv_depth=2,
            model__loss="bce", train__noise_kind="gaussian", train__noise_level=0.5, train__epochs=25,
            train__batch_size=128),
)

BY_KEY: dict[str, Preset] = {p.key: p for p in PRESETS}


def get(key: str) -> Preset | None:
    return BY_KEY.get(key)


def matching(experiment: Experiment) -> Preset | None:
    """The preset whose experiment equals ``experiment`` (canonical models compared), if any."""
    canonical = experiment.replace(model=experiment.model.canonical())
    for preset in PRESETS:
        if preset.experiment() == canonical:
            return preset
    return None
