"""A lesson bundle: one .zip that reproduces a run exactly.

It holds the settings and seed (``settings.json`` and the share link), the trained model (``.keras``), the codes
of the test set (CSV), the figures (PNG, or HTML when this machine cannot render PNG), the reproduce script and
a notebook (``lesson.ipynb``) that loads the model, draws the figures again and retrains from scratch with the
same seed, printing both test MSEs (and writing them to ``reproduction.json``).

The notebook and the script run with the Autoencoder Lab's ``aecore`` package: the notebook finds it when it
is importable, in ``AELAB_HOME``, or in the folder it runs from or one of its parents.
"""

from __future__ import annotations

import contextlib
import dataclasses
import io
import json
import platform
import time
import zipfile
from typing import Any

import numpy as np

from aecore import export
from aecore.config import LOSS_LABELS, DataConfig, Experiment, ModelConfig, TrainConfig

NOTEBOOK = "lesson.ipynb"
SETTINGS = "settings.json"
LINK = "share_link.txt"
MODEL = "autoencoder.keras"
CODES = "test_codes.csv"
SCRIPT = "reproduce_autoencoder.py"
README = "README.txt"
REPRODUCTION = "reproduction.json"  # written by the notebook when it has retrained
FIGURE_NAMES = ("loss_curves", "reconstructions")
RECONSTRUCTION_COUNT = 10
TOLERANCE = 0.02  # the retrained test MSE must lie within 2 % of the bundled model's


# --- settings -----------------------------------------------------------------------------------------------

def _plain(value: Any) -> Any:
    if isinstance(value, (np.floating, np.integer)):
        return value.item()
    return value


def experiment_dict(experiment: Experiment) -> dict[str, dict[str, Any]]:
    """The experiment as plain JSON values, one object per section."""
    return {section: {k: _plain(v) for k, v in dataclasses.asdict(getattr(experiment, section)).items()}
            for section in ("data", "model", "train")}


def experiment_from_dict(values: dict[str, dict[str, Any]]) -> Experiment:
    """The inverse of ``experiment_dict`` (JSON lists come back as tuples: configs hold tuples)."""
    def section(cls, data):
        return cls(**{k: tuple(v) if isinstance(v, list) else v for k, v in (data or {}).items()})

    return Experiment(data=section(DataConfig, values.get("data")), model=section(ModelConfig, values.get("model")),
                      train=section(TrainConfig, values.get("train")))


def settings_json(result, share_link: str) -> str:
    """``settings.json``: the experiment, its key, seeds, the share link and the run's measured numbers."""
    experiment = result.experiment
    versions = {"python": platform.python_version()}
    for name in ("numpy", "keras", "tensorflow"):
        with contextlib.suppress(Exception):
            versions[name] = __import__(name).__version__
    settings = {
        "experiment": experiment_dict(experiment),
        "key": experiment.key(),
        "seed": experiment.train.seed,
        "split_seed": experiment.data.split_seed,
        "share_link": share_link,
        "result": {
            "test_mse": float(result.test_mse),
            "test_psnr": float(result.test_psnr),
            "train_mse": float(result.train_mse),
            "epochs_run": int(result.epochs_run),
            "best_epoch": int(result.best_epoch),
            "stopped": result.stopped,
            "history": {k: [float(v) for v in vals] for k, vals in result.history.items()},
        },
        "versions": versions,
    }
    return json.dumps(settings, indent=2)


# --- figures (the Export page and the notebook draw the same ones) ------------------------------------------

def loss_figure(history: dict, experiment: Experiment, best_epoch: int | None = None):
    """Training and validation loss per epoch, labelled with the experiment's loss."""
    from aecore import figures

    loss = LOSS_LABELS.get(experiment.model.loss, "loss").lower()
    return figures.loss_curves(history, loss_label=loss, best_epoch=best_epoch, title="Loss per epoch")


def reconstruction_figure(x_test: np.ndarray, reconstruction: np.ndarray, count: int = RECONSTRUCTION_COUNT):
    """The first ``count`` test images over their reconstructions, each with its MSE; ``None`` when the samples
    are not 2-D images."""
    from aecore import figures, metrics

    sample_shape = tuple(np.asarray(x_test).shape[1:])
    if len(sample_shape) != 2:
        return None
    per_image = metrics.per_sample_mse(x_test, reconstruction)
    chosen = np.arange(min(count, len(x_test)))
    originals = figures.as_images(x_test[chosen], sample_shape)
    rebuilt = figures.as_images(np.clip(reconstruction[chosen], 0, 1), sample_shape)
    return figures.image_grid([originals, rebuilt], ["test images", "reconstructions"],
                              captions=[None, [f"MSE {per_image[i]:.3f}" for i in chosen]],
                              title=f"Test MSE {float(per_image.mean()):.4f}")


def lesson_figures(result, dataset) -> dict[str, Any]:
    """Name -> figure for the bundle (loss curves; reconstructions for image data)."""
    out = {"loss_curves": loss_figure(result.history, result.experiment, result.best_epoch)}
    if getattr(dataset, "is_image", True):
        fig = reconstruction_figure(dataset.x_test, result.test_reconstruction)
        if fig is not None:
            out["reconstructions"] = fig
    return out


# --- the notebook -------------------------------------------------------------------------------------------

_FIND_AECORE = '''import json
import os
import sys
from pathlib import Path


def find_aecore():
    """Make the Autoencoder Lab's aecore package importable, or say what to do."""
    try:
        import aecore  # noqa: F401
        return
    except ImportError:
        pass
    folders = [os.environ.get("AELAB_HOME", ""), *map(str, [Path.cwd(), *Path.cwd().parents])]
    for folder in folders:
        if folder and (Path(folder) / "aecore" / "__init__.py").is_file():
            sys.path.insert(0, folder)
            return
    raise ImportError("This notebook needs the Autoencoder Lab's aecore package: open it inside the app's "
                      "folder, or set AELAB_HOME to that folder (and pip install -r requirements.txt there).")


find_aecore()
HERE = Path.cwd()  # the bundle's folder: Jupyter runs a notebook in its own folder
SETTINGS = json.loads((HERE / "settings.json").read_text())
print("settings key", SETTINGS["key"], "seed", SETTINGS["seed"])
print("share link:", SETTINGS["share_link"])'''

_CHECK_KEY = '''assert experiment.key() == SETTINGS["key"], (
    "The settings above are not those in settings.json: was the notebook edited?")
print(experiment)'''

_LOAD_MODEL = '''import keras
import numpy as np

import aecore.models  # noqa: F401  (registers the custom layers the model file names)
from aecore import corrupt, metrics

model = keras.saving.load_model(HERE / "autoencoder.keras", compile=False)
noise = experiment.train
# What the model saw at test time: the clean test images, or with the run's noise (seed + 2, as in training).
x_test_in = (corrupt.add_noise(dataset.x_test, noise.noise_kind, noise.noise_level, noise.seed + 2)
             if noise.noise_level > 0 else dataset.x_test)
reconstruction = np.asarray(model.predict(x_test_in, batch_size=512, verbose=0))
bundled_test_mse = float(metrics.per_sample_mse(dataset.x_test, reconstruction).mean())
print(f"bundled model: test_mse={bundled_test_mse:.6f} (recorded in the app: {SETTINGS['result']['test_mse']:.6f})")'''

_FIGURES = '''import plotly.io as pio

from aecore import bundle

pio.renderers.default = "plotly_mimetype+notebook_connected"
bundle.loss_figure(SETTINGS["result"]["history"], experiment, SETTINGS["result"]["best_epoch"]).show()
figure = bundle.reconstruction_figure(dataset.x_test, reconstruction)
if figure is not None:
    figure.show()'''

_COMPARE = '''retrained_test_mse = float(result.test_mse)
difference = abs(retrained_test_mse - bundled_test_mse) / bundled_test_mse
print(f"bundled model test MSE   {bundled_test_mse:.6f}")
print(f"retrained test MSE       {retrained_test_mse:.6f}  ({100 * difference:.2f} % apart)")
(HERE / "reproduction.json").write_text(json.dumps({
    "recorded_test_mse": SETTINGS["result"]["test_mse"],
    "bundled_test_mse": bundled_test_mse,
    "retrained_test_mse": retrained_test_mse,
    "relative_difference": difference,
}, indent=2))
print("reproduced within 2 %" if difference <= 0.02 else "NOT reproduced within 2 %: see the versions in settings.json")'''


def notebook(experiment: Experiment, upload_filename: str | None = None) -> str:
    """The lesson notebook (nbformat 4, unexecuted) as JSON text."""
    import nbformat
    from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

    settings_code, training_code = export.reproduce_parts(experiment, upload_filename)
    model = experiment.model
    data_note = ("This model was trained on an upload: put the same file next to this notebook (the cell below "
                 "reads it). " if experiment.data.upload_id else "")
    cells = [
        new_markdown_cell(
            f"# Lesson bundle: a {model.kind} autoencoder, code of {model.code_size} numbers\n\n"
            "This folder reproduces one Autoencoder Lab run: `settings.json` (every setting, the seed, the share "
            "link and the measured numbers), `autoencoder.keras` (the trained model), `test_codes.csv`, the "
            "figures and `reproduce_autoencoder.py`.\n\n"
            "**Run all cells.** The notebook loads the model, draws its figures again, then trains the same "
            "model from scratch with the same seed and compares the two test MSEs (they agree within 2 %; the "
            "numbers are also written to `reproduction.json`). It needs the app's `aecore` package: open it in "
            "the Autoencoder Lab folder or set `AELAB_HOME` to it."),
        new_code_cell(_FIND_AECORE),
        new_markdown_cell("## The settings\n\n" + data_note +
                          "Only what differs from the defaults is written out; the key must match settings.json."),
        new_code_cell(settings_code + "\n\n" + _CHECK_KEY),
        new_markdown_cell("## The trained model\n\nLoad the bundled model and measure its test MSE again."),
        new_code_cell(_LOAD_MODEL),
        new_markdown_cell("## The figures again\n\nThe loss per epoch of the original run, and test images over "
                          "the bundled model's reconstructions."),
        new_code_cell(_FIGURES),
        new_markdown_cell("## Train again from scratch, with the same seed"),
        new_code_cell(training_code),
        new_code_cell(_COMPARE),
    ]
    nb = new_notebook(cells=cells, metadata={
        "kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"},
        "language_info": {"name": "python"},
    })
    nbformat.validate(nb)
    return nbformat.writes(nb)


# --- the zip ------------------------------------------------------------------------------------------------

def _readme(experiment: Experiment, share_link: str, names: list[str]) -> str:
    lines = [
        "Autoencoder Lab - lesson bundle",
        "",
        f"Settings key {experiment.key()}, seed {experiment.train.seed}.",
        f"Open these settings in the app: {share_link}",
        "",
        "Files:",
        f"  {NOTEBOOK}  loads the model, draws the figures, retrains with the same seed (run all cells)",
        f"  {SETTINGS}  every setting, the seed, the share link, the run's test MSE and loss history",
        f"  {LINK}  the link to these settings in the app",
        f"  {MODEL}  the trained model: keras.saving.load_model (import aecore.models first)",
        f"  {CODES}  the codes of the test images, one row each",
        f"  {SCRIPT}  trains the same model again from the command line",
    ]
    lines += [f"  {name}" for name in names if name.startswith("figures/")]
    lines += ["", "The notebook and the script need the app's aecore package (run them in the app's folder, or "
              "set AELAB_HOME to it).", ""]
    return "\n".join(lines)


def build_bundle(result, dataset, share_link: str, upload_filename: str | None = None,
                 png: bool | None = None) -> bytes:
    """The lesson bundle of a trained run as the bytes of a .zip.

    Parameters
    ----------
    result : aecore.train.TrainResult
        The run (its experiment, model, history and test numbers).
    dataset : aecore.data.Dataset
        The data it was trained on (test codes and the reconstruction figure).
    share_link : str
        The app's link to these settings.
    upload_filename : str, optional
        For a run on an upload: the file name the script and notebook read again.
    png : bool, optional
        Figures as PNG (kaleido; a few seconds each) or as small HTML files; default: PNG when available.
    """
    experiment = result.experiment
    lock = getattr(result, "_lock", None) or contextlib.nullcontext()
    with lock:  # Keras models are not thread-safe; a download runs in its own thread
        model_file = export.model_bytes(result.model)
    codes = np.asarray(result.encode(dataset.x_test)).reshape(len(dataset.x_test), -1)  # encode takes the lock
    if png is None:
        png = export.png_available()
    files: dict[str, bytes | str] = {
        NOTEBOOK: notebook(experiment, upload_filename),
        SETTINGS: settings_json(result, share_link),
        LINK: share_link + "\n",
        MODEL: model_file,
        CODES: export.codes_csv(codes, dataset.y_test, dataset.class_names),
        SCRIPT: export.reproduce_script(experiment, upload_filename),
    }
    for name, fig in lesson_figures(result, dataset).items():
        if png:
            files[f"figures/{name}.png"] = export.figure_png(fig)
        else:
            files[f"figures/{name}.html"] = export.figure_html(fig, offline=False)
    files[README] = _readme(experiment, share_link, list(files))
    out = io.BytesIO()
    stamp = time.localtime()[:6]
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, content in files.items():
            info = zipfile.ZipInfo(name, date_time=stamp)
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, content)
    return out.getvalue()


def bundle_name(experiment: Experiment) -> str:
    """The download's file name."""
    return f"lesson-{experiment.model.kind}-code{experiment.model.code_size}-{experiment.key()[:8]}.zip"
