"""Take a trained model out of the app: the model file, the codes of the test set, figures, and a short
Python script that reproduces the training with ``aecore``."""

from __future__ import annotations

import csv
import dataclasses
import io
import tempfile
from pathlib import Path
from typing import Sequence

import numpy as np

from aecore.config import Experiment


def _non_default_args(config) -> str:
    """``name=value`` for each field that differs from the dataclass default (short and readable)."""
    default = type(config)()
    parts = [f"{f.name}={getattr(config, f.name)!r}" for f in dataclasses.fields(config)
             if getattr(config, f.name) != getattr(default, f.name)]
    return ", ".join(parts)


def reproduce_parts(experiment: Experiment, upload_filename: str | None = None) -> tuple[str, str]:
    """The two halves of the reproduce script: (settings, training).

    The first imports aecore and defines ``data``, ``dataset`` and ``experiment``; the second trains it again
    into ``result`` and prints its test MSE. ``reproduce_script`` and the lesson bundle's notebook share them.
    """
    data = experiment.data
    model_args = _non_default_args(experiment.model)
    train_args = _non_default_args(experiment.train)
    lines = [
        "from aecore.config import DataConfig, Experiment, ModelConfig, TrainConfig",
        "from aecore.train import train_autoencoder",
        "",
    ]
    if data.upload_id:
        filename = upload_filename or f"{data.name}"
        lines += [
            "from pathlib import Path",
            "",
            "from aecore.uploads import parse_upload",
            "",
            f"DATA_FILE = Path({filename!r})  # your uploaded file: keep it next to this script",
            f"upload = parse_upload(DATA_FILE.name, DATA_FILE.read_bytes(), name={data.name!r}, "
            f"split_seed={data.split_seed!r})",
            "dataset = upload.dataset",
            "data = upload.data_config",
        ]
    else:
        lines += [
            "from aecore.data import load_dataset",
            "",
            f"data = DataConfig({_non_default_args(data.replace(upload_id=''))})",
            "dataset = load_dataset(data)",
        ]
    lines += [
        "experiment = Experiment(",
        "    data=data,",
        f"    model=ModelConfig({model_args}),",
        f"    train=TrainConfig({train_args}),",
        ")",
    ]
    training = [
        "def report(epoch):",
        "    print(f\"epoch {epoch.epoch}/{epoch.epochs}  loss {epoch.logs.get('loss', float('nan')):.4f}  \"",
        "          f\"val_loss {epoch.logs.get('val_loss', float('nan')):.4f}\")",
        "",
        "",
        "result = train_autoencoder(experiment, dataset, progress=report)",
        "print(result.message)",
        'print(f"test_mse={result.test_mse:.6f} test_psnr={result.test_psnr:.2f} train_mse={result.train_mse:.6f}")',
    ]
    return "\n".join(lines), "\n".join(training)


def reproduce_script(experiment: Experiment, upload_filename: str | None = None) -> str:
    """A runnable script that trains ``experiment`` again with aecore and saves the model.

    For a built-in data set the script is self-contained. For an upload (``experiment.data.upload_id``)
    it reads the same file again (``upload_filename``, expected next to the script): the split, and so
    the model, only match when the bytes are the same.
    """
    settings, training = reproduce_parts(experiment, upload_filename)
    lines = [
        '"""Train an Autoencoder Lab model again, outside the app.',
        "",
        "Run it from the Autoencoder Lab folder (or anywhere aecore is importable):",
        "    python reproduce_autoencoder.py [output.keras]",
        "Same settings and seed give the same model up to floating-point noise between machines.",
        '"""',
        "import sys",
        "",
        settings,
        "",
        "",
        training,
        'output = sys.argv[1] if len(sys.argv) > 1 else "autoencoder.keras"',
        "result.model.save(output)",
        'print(f"saved {output}")',
        "",
    ]
    return "\n".join(lines)


def codes_csv(codes: np.ndarray, labels: np.ndarray | None = None,
              class_names: Sequence[str] | None = None) -> str:
    """One row per sample: its index, label (number and name) and code numbers ``code_1 ... code_k``."""
    codes = np.asarray(codes).reshape(len(codes), -1)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    header = ["test_index"]
    if labels is not None:
        header += ["label", "label_name"]
    writer.writerow(header + [f"code_{i + 1}" for i in range(codes.shape[1])])
    for i, row in enumerate(codes):
        prefix = [i]
        if labels is not None:
            label = int(labels[i])
            name = class_names[label] if class_names is not None and 0 <= label < len(class_names) else str(label)
            prefix += [label, name]
        writer.writerow(prefix + [f"{v:.6g}" for v in row])
    return out.getvalue()


def model_bytes(model) -> bytes:
    """The Keras model as the bytes of a ``.keras`` file (architecture, weights, custom layers)."""
    with tempfile.TemporaryDirectory(prefix="aelab-export-") as folder:
        path = Path(folder) / "autoencoder.keras"
        model.save(path)
        return path.read_bytes()


EXPORT_TEMPLATE = "plotly_white"
EXPORT_MARGIN = dict(l=80, r=30, t=60, b=70)  # the least room around the plot; automargin grows it further


def for_export(fig):
    """A copy of ``fig`` that lays itself out in a file, away from the app.

    Inside Streamlit, plotly's default template is Streamlit's: placeholder colours (#000001...) that only the
    app's browser code replaces, and no automatic margins, so tick labels and axis titles of a figure built
    with the app's tight margins overlapped in an exported PNG. Here every figure gets a real template,
    margins with room for the tick labels, automatic margins on every axis and a gap between tick labels
    and axis titles.
    """
    import plotly.graph_objects as go

    out = go.Figure(fig)
    template = fig.layout.template
    if not template or not (template.layout.to_plotly_json() or template.data.to_plotly_json()) or \
            "#000001" in str(template.layout.colorway):
        out.update_layout(template=EXPORT_TEMPLATE)
    margin = out.layout.margin
    out.update_layout(margin={side: max(getattr(margin, side) or 0, least) for side, least in EXPORT_MARGIN.items()})
    out.update_xaxes(automargin=True, title_standoff=12)
    out.update_yaxes(automargin=True, title_standoff=12)
    return out


def figure_html(fig, offline: bool = True) -> str:
    """A standalone HTML page of a plotly figure (interactive). ``offline`` embeds plotly.js (~4.7 MB) so
    the file opens without internet; otherwise it loads plotly.js from its CDN."""
    return for_export(fig).to_html(include_plotlyjs=True if offline else "cdn", full_html=True)


def png_available() -> bool:
    """Whether plotly can export PNG here: kaleido installed and a Chrome/Chromium it can drive."""
    try:
        import kaleido  # noqa: F401
        from choreographer.browsers.chromium import Chromium
    except ImportError:
        return False
    try:
        return bool(Chromium.find_browser(skip_local=False))
    except Exception:
        return False


def figure_png(fig, scale: float = 2.0) -> bytes:
    """The figure as PNG bytes via plotly's own exporter (kaleido, driving a headless Chromium: ~4 s)."""
    if not png_available():
        raise RuntimeError("PNG export needs the kaleido package and Chromium; download the HTML version instead.")
    return for_export(fig).to_image(format="png", scale=scale)
