"""The shape of a model, worked out without TensorFlow (the home page draws it at start-up)."""

from __future__ import annotations

from dataclasses import dataclass

from aecore.config import ModelConfig


@dataclass(frozen=True)
class LayerSpec:
    name: str
    width: int  # numbers this layer outputs
    params: int
    part: str  # "input", "encoder", "code", "decoder", "output"


def dense_layers(cfg: ModelConfig, input_dim: int) -> list[LayerSpec]:
    """Layers of the stacked dense autoencoder, input to output, with parameter counts."""
    widths = list(cfg.layer_widths())
    layers = [LayerSpec("input", input_dim, 0, "input")]
    previous = input_dim
    for i, width in enumerate(widths, 1):
        layers.append(LayerSpec(f"encoder {i}", width, previous * width + width, "encoder"))
        previous = width
    code_params = previous * cfg.code_size + cfg.code_size
    if cfg.kind == "variational":  # mean and log-variance heads
        code_params *= 2
    layers.append(LayerSpec("code", cfg.code_size, code_params, "code"))
    previous = cfg.code_size
    for i, width in enumerate(reversed(widths), 1):
        layers.append(LayerSpec(f"decoder {i}", width, previous * width + width, "decoder"))
        previous = width
    layers.append(LayerSpec("output", input_dim, previous * input_dim + input_dim, "output"))
    return layers


def parameter_count(cfg: ModelConfig, input_dim: int) -> int:
    return sum(layer.params for layer in dense_layers(cfg, input_dim))


def compression_ratio(cfg: ModelConfig, input_dim: int) -> float:
    """How many input numbers per code number."""
    return input_dim / cfg.code_size
