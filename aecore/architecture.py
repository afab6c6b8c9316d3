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
    shape: tuple[int, ...] = ()  # (height, width, feature maps) for convolutional layers; () for vectors


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


def conv_spatial_sizes(cfg: ModelConfig, image_size: tuple[int, int]) -> list[tuple[int, int]]:
    """Height and width after each stride-2 block, input first ('same' padding rounds up)."""
    sizes = [tuple(image_size)]
    for _ in range(cfg.conv_depth):
        h, w = sizes[-1]
        sizes.append(((h + 1) // 2, (w + 1) // 2))
    return sizes


def conv_filter_counts(cfg: ModelConfig) -> list[int]:
    """Feature maps of each encoder block: the first has ``conv_filters``, each deeper block twice as many."""
    return [cfg.conv_filters * 2**i for i in range(cfg.conv_depth)]


def conv_layers(cfg: ModelConfig, sample_shape: tuple[int, ...]) -> list[LayerSpec]:
    """Layers of the convolutional autoencoder (aecore.models.build_conv), with parameter counts; a
    layer's width is the numbers it outputs (height × width × feature maps)."""
    height, width = sample_shape[0], sample_shape[1]
    channels = sample_shape[2] if len(sample_shape) > 2 else 1
    sizes = conv_spatial_sizes(cfg, (height, width))
    filters = conv_filter_counts(cfg)
    layers = [LayerSpec("input", height * width * channels, 0, "input", (height, width, channels))]
    previous = channels
    for i, (f, (h, w)) in enumerate(zip(filters, sizes[1:]), 1):
        kernel = 25 if i == 1 else 9
        layers.append(LayerSpec(f"conv {i} ({h}×{w}×{f})", h * w * f, kernel * previous * f + f, "encoder",
                                (h, w, f)))
        previous = f
    flat = layers[-1].width
    layers.append(LayerSpec("code", cfg.code_size, flat * cfg.code_size + cfg.code_size, "code"))
    layers.append(LayerSpec("dense", flat, cfg.code_size * flat + flat, "decoder"))
    h, w = sizes[-1]
    for i, f in enumerate(reversed(filters[:-1]), 1):
        h, w = h * 2, w * 2
        layers.append(LayerSpec(f"deconv {i} ({h}×{w}×{f})", h * w * f, 9 * previous * f + f, "decoder",
                                (h, w, f)))
        previous = f
    layers.append(LayerSpec("output", height * width * channels, 25 * previous * channels + channels, "output",
                            (height, width, channels)))
    return layers


def conv_macs(cfg: ModelConfig, sample_shape: tuple[int, ...]) -> int:
    """Multiply-adds of one forward pass of the convolutional autoencoder (matches aecore.models.build_conv).
    Here, not next to the Keras builder, so a time estimate never imports Keras in a page thread."""
    height, width = sample_shape[:2]
    channels = sample_shape[2] if len(sample_shape) > 2 else 1
    sizes = conv_spatial_sizes(cfg, (height, width))
    filters = conv_filter_counts(cfg)
    macs, previous = 0, channels
    for i, (f, (h, w)) in enumerate(zip(filters, sizes[1:])):
        macs += h * w * f * previous * (25 if i == 0 else 9)
        previous = f
    h, w = sizes[-1]
    flat = h * w * filters[-1]
    macs += 2 * flat * cfg.code_size
    size = (h, w)
    for f in reversed(filters[:-1]):
        size = (size[0] * 2, size[1] * 2)
        macs += size[0] * size[1] * f * previous * 9
        previous = f
    size = (size[0] * 2, size[1] * 2)
    macs += size[0] * size[1] * channels * previous * 25
    return int(macs)


def model_layers(cfg: ModelConfig, sample_shape: tuple[int, ...]) -> list[LayerSpec]:
    """The layers of any type: convolutional models for images, dense layers otherwise."""
    if cfg.kind == "conv" and len(sample_shape) >= 2:
        return conv_layers(cfg, sample_shape)
    size = 1
    for s in sample_shape:
        size *= s
    return dense_layers(cfg, size)


def compression_ratio(cfg: ModelConfig, input_dim: int) -> float:
    """How many input numbers per code number."""
    return input_dim / cfg.code_size
