"""The class board: what a trained model puts on it (settings and metrics only), challenges, the CSV."""

from __future__ import annotations

import csv
import dataclasses
import io
from typing import Any, Sequence

from aecore.config import DataConfig, Experiment, ModelConfig, TrainConfig

UPLOAD_DATA = "your upload"  # what the board says about a model trained on a student's own data
_SECTIONS = {"data": DataConfig, "model": ModelConfig, "train": TrainConfig}

# Settings the teacher can put on the board's x axis: "section.field" -> axis title.
AXIS_SETTINGS = {
    "model.code_size": "Code size",
    "train.epochs": "Epochs (at most)",
    "model.n_hidden_layers": "Hidden layers",
    "model.first_layer_nodes": "Nodes in the first hidden layer",
    "train.noise_level": "Noise level",
    "train.learning_rate": "Learning rate",
    "train.batch_size": "Batch size",
    "model.dropout": "Dropout",
    "model.l2_weight": "L2 weight decay",
}
LOG_AXES = {"model.code_size", "train.learning_rate", "train.batch_size", "model.first_layer_nodes"}
METRICS = {"test_mse": "Test MSE (lower is better)", "test_psnr": "Test PSNR in dB (higher is better)"}
CHALLENGE_LABELS = {
    "model.code_size": "Code size at most",
    "train.epochs": "Epochs at most",
    "model.n_hidden_layers": "Hidden layers at most",
    "model.first_layer_nodes": "Nodes in the first layer at most",
}


def settings_of(experiment: Experiment) -> dict[str, Any]:
    """Every setting of ``experiment`` as ``{"section.field": value}``; an upload's name and id are left out
    (the data set is then called UPLOAD_DATA): nothing of a student's upload leaves the session."""
    out: dict[str, Any] = {}
    for section in _SECTIONS:
        for f in dataclasses.fields(getattr(experiment, section)):
            out[f"{section}.{f.name}"] = getattr(getattr(experiment, section), f.name)
    if experiment.data.upload_id:
        out["data.name"] = UPLOAD_DATA
        out["data.upload_id"] = ""
    return out


def data_label(experiment: Experiment) -> str:
    return UPLOAD_DATA if experiment.data.upload_id else experiment.data.name


def experiment_of(settings: dict[str, Any]) -> Experiment | None:
    """The experiment a board point describes (None for an upload's, or settings this version cannot read)."""
    if settings.get("data.name") == UPLOAD_DATA:
        return None
    values: dict[str, dict[str, Any]] = {name: {} for name in _SECTIONS}
    for dotted, value in settings.items():
        section, _, name = str(dotted).partition(".")
        if section in _SECTIONS:
            values[section][name] = value
    try:
        experiment = Experiment(**{name: cls(**values[name]) for name, cls in _SECTIONS.items()})
    except TypeError:
        return None
    return experiment.replace(model=experiment.model.canonical())


def meets(settings: dict[str, Any], limits: dict[str, float]) -> bool:
    """Whether a model's settings respect every limit of a challenge (each an upper bound)."""
    for name, limit in limits.items():
        value = settings.get(name)
        if value is None or float(value) > float(limit):
            return False
    return True


def leaderboard(points: Sequence, limits: dict[str, float], data: str | None = None) -> list:
    """The board's points that meet the challenge, best test MSE first (on one data set when ``data``)."""
    eligible = [p for p in points if meets(p.settings, limits) and (data is None or p.data == data)]
    return sorted(eligible, key=lambda p: (p.test_mse, p.created))


def describe(settings: dict[str, Any]) -> str:
    """A short line naming a model: type, code size, layers, epochs."""
    kind = settings.get("model.kind", "?")
    layers = settings.get("model.n_hidden_layers")
    parts = [str(kind), f"code {settings.get('model.code_size')}"]
    if kind != "conv" and layers is not None:
        parts.append(f"{layers}×{settings.get('model.first_layer_nodes')}" if layers else "no hidden layer")
    parts.append(f"{settings.get('train.epochs')} epochs")
    if settings.get("train.noise_level"):
        parts.append(f"noise {settings.get('train.noise_level'):g}")
    return ", ".join(parts)


CSV_SETTINGS = ("data.name", "model.kind", "model.code_size", "model.n_hidden_layers", "model.first_layer_nodes",
                "model.activation", "model.loss", "model.l2_weight", "model.dropout", "model.sparsity_weight",
                "model.contractive_weight", "model.kl_weight", "model.conv_filters", "model.conv_depth",
                "train.epochs", "train.batch_size", "train.learning_rate", "train.seed", "train.noise_kind",
                "train.noise_level", "train.early_stopping", "train.patience")
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _cell(value: Any) -> Any:
    # A nickname such as "=HYPERLINK(...)" must stay text when the CSV is opened in a spreadsheet.
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value


def board_csv(points: Sequence) -> str:
    """The board as CSV: nickname, settings, metrics (one row per model)."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["nickname", "data", *[k.split(".", 1)[1] for k in CSV_SETTINGS[1:]], "test_mse", "test_psnr", "train_mse",
                     "training_seconds"])
    for p in points:
        writer.writerow([_cell(p.nickname), _cell(p.data), *[_cell(p.settings.get(k)) for k in CSV_SETTINGS[1:]],
                         f"{p.test_mse:.6f}", f"{p.test_psnr:.3f}",
                         "" if p.train_mse is None else f"{p.train_mse:.6f}",
                         "" if p.seconds is None else f"{p.seconds:.2f}"])
    return out.getvalue()
