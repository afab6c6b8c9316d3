"""Compression counted in bytes per image: rate–distortion points for autoencoder codes (float32, float16,
8-bit), PCA codes, JPEG and lossless PNG / gzip, the Pillow codecs they use (``aecore.bits`` counts the
same codecs in real bits), and the code-size sweep that gives the autoencoder's curve its points."""

from __future__ import annotations

import gzip
import io
import threading
from dataclasses import dataclass
from typing import Callable

import numpy as np

from aecore import metrics
from aecore.config import DataConfig, Experiment, TrainConfig
from aecore.data import load_dataset
from aecore.pca import PCABaseline
from aecore.progress import Count


@dataclass(frozen=True)
class RDPoint:
    """One way of storing the test images: bytes per image against the error it leaves."""

    method: str  # "autoencoder", "PCA", "JPEG", "JPEG (shared tables)", "PNG", "gzip", "raw 8-bit"
    setting: str  # e.g. "16 numbers, float16" or "quality 50"
    bytes_per_image: float
    mse: float

    @property
    def psnr(self) -> float:
        return float(metrics.psnr_from_mse(self.mse))

    @property
    def lossless(self) -> bool:
        return self.method in ("PNG", "gzip", "raw 8-bit")


def to_uint8(image: np.ndarray) -> np.ndarray:
    return np.clip(np.rint(np.asarray(image, np.float64) * 255.0), 0, 255).astype(np.uint8)


def jpeg_encode(image: np.ndarray, quality: int, streamtype: int = 0) -> bytes:
    """A grey image in [0, 1] as a JPEG file (Pillow, 8-bit). ``streamtype`` 2 leaves out the tables
    (an "abbreviated" stream: the tables are shared by every image, like a decoder's weights)."""
    from PIL import Image

    buf = io.BytesIO()
    Image.fromarray(to_uint8(image), mode="L").save(buf, format="JPEG", quality=int(quality), streamtype=streamtype)
    return buf.getvalue()


def jpeg_decode(data: bytes) -> np.ndarray:
    from PIL import Image

    with Image.open(io.BytesIO(data)) as im:
        return np.asarray(im.convert("L"), dtype=np.float32) / 255.0


def png_encode(image: np.ndarray) -> bytes:
    from PIL import Image

    buf = io.BytesIO()
    Image.fromarray(to_uint8(image), mode="L").save(buf, format="PNG", optimize=True)
    return buf.getvalue()


def jpeg_points(x: np.ndarray, qualities=(5, 10, 20, 30, 50, 75, 90)) -> list[RDPoint]:
    """JPEG at each quality: the whole file, and the same stream without its (shareable) tables."""
    points = []
    for q in qualities:
        sizes, shared, decoded = [], [], []
        for image in x:
            data = jpeg_encode(image, q)
            sizes.append(len(data))
            shared.append(len(jpeg_encode(image, q, streamtype=2)))
            decoded.append(jpeg_decode(data))
        mse = metrics.mse(x, np.asarray(decoded))
        points.append(RDPoint("JPEG", f"quality {q}", float(np.mean(sizes)), mse))
        points.append(RDPoint("JPEG (shared tables)", f"quality {q}", float(np.mean(shared)), mse))
    return points


def lossless_points(x: np.ndarray) -> list[RDPoint]:
    """Lossless references: raw 8-bit pixels, gzip of them, PNG (the error is 8-bit rounding only)."""
    q = [to_uint8(image) for image in x]
    mse = metrics.mse(x, np.asarray(q, np.float32) / 255.0)
    return [RDPoint("raw 8-bit", "1 byte per pixel", float(np.mean([a.size for a in q])), mse),
            RDPoint("gzip", "level 9", float(np.mean([len(gzip.compress(a.tobytes(), 9, mtime=0)) for a in q])), mse),
            RDPoint("PNG", "optimised", float(np.mean([len(png_encode(image)) for image in x])), mse)]


CODE_PRECISIONS = (("float32", 4.0), ("float16", 2.0), ("8-bit", 1.0))


def quantise_codes(codes: np.ndarray, precision: str, reference: np.ndarray | None = None) -> np.ndarray:
    """Codes as they come back after storing them at ``precision``.

    "8-bit" maps each code number's range (taken from ``reference``, the training codes: shared side
    information like the decoder) onto 256 levels.
    """
    codes = np.asarray(codes, np.float32)
    if precision == "float32":
        return codes
    if precision == "float16":
        return codes.astype(np.float16).astype(np.float32)
    if precision != "8-bit":
        raise ValueError(f"Unknown precision '{precision}'.")
    ref = codes if reference is None else np.asarray(reference, np.float32)
    lo, hi = ref.min(axis=0), ref.max(axis=0)
    step = np.where(hi > lo, (hi - lo) / 255.0, 1.0)
    levels = np.clip(np.rint((codes - lo) / step), 0, 255)
    return (lo + levels * step).astype(np.float32)


def code_points(method: str, encode: Callable, decode: Callable, x: np.ndarray, x_reference: np.ndarray,
                label: str = "") -> list[RDPoint]:
    """Points for a code at float32, float16 and 8-bit: bytes = numbers × bytes per number."""
    codes, reference = np.asarray(encode(x), np.float32), np.asarray(encode(x_reference), np.float32)
    numbers = int(np.prod(codes.shape[1:]))
    points = []
    for precision, nbytes in CODE_PRECISIONS:
        rebuilt = np.clip(np.asarray(decode(quantise_codes(codes, precision, reference))).reshape(x.shape), 0, 1)
        points.append(RDPoint(method, f"{label or numbers} numbers, {precision}", numbers * nbytes,
                              metrics.mse(x, rebuilt)))
    return points


def pca_points(x_train: np.ndarray, x: np.ndarray, sizes=(2, 4, 8, 16, 32, 64)) -> list[RDPoint]:
    pca = PCABaseline(max(sizes)).fit(x_train)  # nested components: one fit serves every size
    points = []
    for k in sizes:
        k = min(k, pca.n_components_)
        points += code_points("PCA", lambda a, k=k: pca.transform(a, k), pca.inverse_transform, x, x_train)
    return points


def rate_distortion(x: np.ndarray, x_train: np.ndarray, autoencoders: list[tuple[str, object]] | None = None,
                    pca_sizes=(2, 4, 8, 16, 32, 64), jpeg_qualities=(5, 10, 20, 30, 50, 75, 90)) -> list[RDPoint]:
    """Every method's points on the images ``x`` (PCA and the autoencoders learnt from ``x_train``).

    ``autoencoders``: (method name, model) pairs, the model having ``encode``/``decode`` (a
    TrainResult); models sharing a name form one curve (e.g. "autoencoder" for a code-size sweep,
    "your autoencoder" for the session's model).
    """
    points = []
    for method, model in autoencoders or []:
        points += code_points(method, model.encode, model.decode, x, x_train)
    points += pca_points(x_train, x, pca_sizes)
    points += jpeg_points(x, jpeg_qualities)
    points += lossless_points(x)
    return points


def decoder_bytes(model) -> int:
    """Size of a model's decoder weights at float32: side information shared by every image."""
    return int(sum(int(np.prod(w.shape)) for w in model.decoder.get_weights()) * 4)


def smallest_size(points, max_mse: float, size: str = "bytes_per_image") -> dict:
    """Per method, the point of fewest ``size`` (an attribute: bytes per image here, ``bits_per_pixel`` for
    ``aecore.bits``'s points) among those with MSE at or below ``max_mse``."""
    best: dict = {}
    for p in points:
        if p.mse <= max_mse and (p.method not in best or getattr(p, size) < getattr(best[p.method], size)):
            best[p.method] = p
    return best


def train_code_size_sweep(data: str = "mnist-5k", code_sizes=(4, 8, 16, 32, 64), epochs: int | None = None,
                          seed: int = 0, report: Callable | None = None,
                          cancel: threading.Event | None = None) -> dict[int, object]:
    """The sidebar's default model at the code sizes that compress this data (for the rate–distortion curve):
    the very experiments of the PCA page's sweep (``epochs`` None: the default training), each found in
    memory or the disk cache when trained before, else trained and saved."""
    from aecore.sweeps import sweep_experiments
    from aecore.trained import trained_model
    from aecore.train import TrainingCancelled

    dataset = load_dataset(DataConfig(name=data))
    train_cfg = TrainConfig(seed=seed) if epochs is None else TrainConfig(epochs=epochs, seed=seed)
    # 64 numbers do not compress 8×8 digits: sweep_experiments keeps the sizes below the input's
    experiments = sweep_experiments(Experiment(DataConfig(name=data), train=train_cfg), dataset.input_dim,
                                    tuple(code_sizes))
    results = {}
    for i, experiment in enumerate(experiments):
        if cancel is not None and cancel.is_set():
            break
        try:
            result = trained_model(experiment, dataset, cancel=cancel)
        except TrainingCancelled:
            break
        if result.stopped == "cancelled":  # a partial model is neither kept nor shown
            break
        results[experiment.model.code_size] = result
        if report is not None:
            report(Count(i + 1, len(experiments), f"Trained {i + 1} of {len(experiments)} models (code size "
                                                   f"{experiment.model.code_size})", partial=result))
    return results
