"""Honest bits: compression counted in real bits per pixel, not in nominal float bytes.

A code (an autoencoder's or PCA's) is stored by

1. quantising each code number uniformly onto ``2**bits`` levels over that number's range on the
   *training* set (the ranges are side information, shared like the decoder), then
2. entropy-coding the integer symbols, one static model per code number.

Three counts of the bits per image, all measured:

- ``entropy``: the empirical entropy of the test symbols, per number, summed — what an ideal entropy coder
  needs if it knew the test set's symbol frequencies (a lower bound; with few test images and many levels it
  is optimistic, since n images can never show more than log2(n) bits per number);
- ``coded``: the cross-entropy of the test symbols under frequencies counted on the *training* set
  (add-one smoothed) — what an arithmetic coder with a model fixed before seeing the test set spends;
- ``lzma``: the length of the symbols packed and compressed with a real general-purpose coder (an upper
  bound).

JPEG and PNG are measured by encoding every image with Pillow and counting the file's bytes. The decoder's
own size (its parameters × 32 bits) is reported separately: it is shared by every image.
"""

from __future__ import annotations

import lzma
from dataclasses import dataclass
from typing import Callable, Sequence

import numpy as np

from aecore import metrics
from aecore.pca import fit_pca

BIT_DEPTHS = tuple(range(2, 13))
JPEG_QUALITIES = (2, 5, 10, 15, 20, 30, 40, 50, 65, 80, 95)
PCA_SIZES = (2, 4, 8, 16, 32, 64)


# --- quantiser and entropy ----------------------------------------------------------------------

@dataclass(frozen=True)
class Quantiser:
    """A uniform quantiser per code number over its range on the training codes."""

    lo: np.ndarray
    hi: np.ndarray
    bits: int

    @classmethod
    def fit(cls, reference: np.ndarray, bits: int) -> "Quantiser":
        if not 1 <= int(bits) <= 16:
            raise ValueError("Choose between 1 and 16 bits per number.")
        ref = np.asarray(reference, np.float64).reshape(len(reference), -1)
        return cls(ref.min(axis=0), ref.max(axis=0), int(bits))

    @property
    def levels(self) -> int:
        return 2 ** self.bits

    @property
    def step(self) -> np.ndarray:
        return np.where(self.hi > self.lo, (self.hi - self.lo) / (self.levels - 1), 1.0)

    def encode(self, codes: np.ndarray) -> np.ndarray:
        """Integer symbols in [0, 2**bits - 1] (values outside the training range are clipped)."""
        flat = np.asarray(codes, np.float64).reshape(len(codes), -1)
        return np.clip(np.rint((flat - self.lo) / self.step), 0, self.levels - 1).astype(np.int64)

    def decode(self, symbols: np.ndarray) -> np.ndarray:
        return (self.lo + np.asarray(symbols, np.float64) * self.step).astype(np.float32)


def entropy_bits(symbols: np.ndarray) -> np.ndarray:
    """Empirical entropy (bits) of each column of integer ``symbols`` (n samples × d numbers)."""
    symbols = np.asarray(symbols).reshape(len(symbols), -1)
    out = np.empty(symbols.shape[1])
    for j in range(symbols.shape[1]):
        _, counts = np.unique(symbols[:, j], return_counts=True)
        p = counts / counts.sum()
        out[j] = float(-(p * np.log2(p)).sum())
    return out


def cross_entropy_bits(symbols: np.ndarray, reference: np.ndarray, levels: int) -> np.ndarray:
    """Bits per symbol of each column of ``symbols`` coded with the (add-one smoothed) frequencies of the
    same column of ``reference``: what an arithmetic coder with a model fixed in advance spends."""
    symbols = np.asarray(symbols).reshape(len(symbols), -1)
    reference = np.asarray(reference).reshape(len(reference), -1)
    out = np.empty(symbols.shape[1])
    for j in range(symbols.shape[1]):
        counts = np.bincount(reference[:, j], minlength=levels).astype(np.float64) + 1.0
        p = counts / counts.sum()
        out[j] = float(-np.log2(p[symbols[:, j]]).mean())
    return out


def lzma_bits(symbols: np.ndarray, bits: int) -> float:
    """Bits per image of the symbols (column by column, one or two bytes each) compressed with lzma."""
    symbols = np.asarray(symbols).reshape(len(symbols), -1)
    dtype = np.uint8 if bits <= 8 else np.uint16
    raw = np.ascontiguousarray(symbols.T.astype(dtype)).tobytes()
    return 8.0 * len(lzma.compress(raw, preset=6)) / len(symbols)


# --- points -------------------------------------------------------------------------------------

@dataclass(frozen=True)
class BitsPoint:
    """One way of storing the test images: bits per pixel against the error it leaves."""

    method: str  # "your autoencoder", "autoencoder", "PCA", "JPEG", "PNG"
    setting: str  # e.g. "16 numbers, 6 bits" or "quality 50"
    bits_per_pixel: float  # the headline count (coded with the training model; JPEG/PNG: file length)
    mse: float
    numbers: int = 0  # code numbers per image (0 for JPEG / PNG)
    bits: int = 0  # bits per number before entropy coding
    entropy_bpp: float | None = None  # ideal coder knowing the test frequencies (lower bound)
    lzma_bpp: float | None = None  # a real general-purpose coder (upper bound)

    @property
    def lossless(self) -> bool:
        return self.method == "PNG"

    @property
    def psnr(self) -> float:
        return float(metrics.psnr_from_mse(self.mse))


def code_bits_points(method: str, encode: Callable, decode: Callable, x: np.ndarray, x_train: np.ndarray,
                     bit_depths: Sequence[int] = BIT_DEPTHS) -> list[BitsPoint]:
    """A code quantised at each bit depth and entropy-coded; the same function for PCA and autoencoders."""
    pixels = int(np.prod(x.shape[1:]))
    codes = np.asarray(encode(x), np.float32)
    reference = np.asarray(encode(x_train), np.float32)
    code_shape = codes.shape[1:]
    numbers = int(np.prod(code_shape))
    points = []
    for b in bit_depths:
        quantiser = Quantiser.fit(reference, b)
        symbols, ref_symbols = quantiser.encode(codes), quantiser.encode(reference)
        rebuilt = np.asarray(decode(quantiser.decode(symbols).reshape((len(x),) + code_shape)))
        rebuilt = np.clip(rebuilt.reshape(x.shape), 0, 1)
        coded = float(cross_entropy_bits(symbols, ref_symbols, quantiser.levels).sum())
        ideal = float(entropy_bits(symbols).sum())
        points.append(BitsPoint(method, f"{numbers} numbers, {b} bits", coded / pixels, metrics.mse(x, rebuilt),
                                numbers=numbers, bits=int(b), entropy_bpp=ideal / pixels,
                                lzma_bpp=lzma_bits(symbols, b) / pixels))
    return points


def pca_basis(x_train: np.ndarray, k: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """(components k × pixels, mean) of a PCA fitted on the training images (aecore.pca's)."""
    fitted = fit_pca(x_train, k)
    return fitted.components_, fitted.mean_


def pca_bits_points(x: np.ndarray, x_train: np.ndarray, sizes: Sequence[int] = PCA_SIZES,
                    bit_depths: Sequence[int] = BIT_DEPTHS, seed: int = 0) -> list[BitsPoint]:
    components, mean = pca_basis(x_train, max(sizes), seed)
    points = []
    for k in sorted({min(k, len(components)) for k in sizes}):
        comps = components[:k]
        encode = lambda a, c=comps: (a.reshape(len(a), -1) - mean) @ c.T  # noqa: E731
        decode = lambda z, c=comps: z @ c + mean  # noqa: E731
        points += code_bits_points("PCA", encode, decode, x, x_train, bit_depths)
    return points


def jpeg_bits_points(x: np.ndarray, qualities: Sequence[int] = JPEG_QUALITIES) -> list[BitsPoint]:
    """JPEG (Pillow) at each quality: the measured file length of every image, in bits per pixel."""
    from aecore.compression import jpeg_decode, jpeg_encode

    pixels = int(np.prod(x.shape[1:]))
    points = []
    for q in qualities:
        files = [jpeg_encode(image, q) for image in x]
        decoded = np.asarray([jpeg_decode(f) for f in files]).reshape(x.shape)
        points.append(BitsPoint("JPEG", f"quality {q}", 8.0 * float(np.mean([len(f) for f in files])) / pixels,
                                metrics.mse(x, decoded)))
    return points


def png_bits_point(x: np.ndarray) -> BitsPoint:
    """PNG (Pillow, optimised): lossless up to 8-bit rounding of the pixels."""
    from aecore.compression import png_encode, to_uint8

    pixels = int(np.prod(x.shape[1:]))
    sizes = [len(png_encode(image)) for image in x]
    rounded = np.asarray([to_uint8(image) for image in x], np.float32) / 255.0
    return BitsPoint("PNG", "optimised", 8.0 * float(np.mean(sizes)) / pixels, metrics.mse(x, rounded))


def bits_comparison(x: np.ndarray, x_train: np.ndarray, autoencoders: list[tuple[str, object]] | None = None,
                    pca_sizes: Sequence[int] = PCA_SIZES, bit_depths: Sequence[int] = BIT_DEPTHS,
                    jpeg_qualities: Sequence[int] = JPEG_QUALITIES, seed: int = 0) -> list[BitsPoint]:
    """Every method's points on the test images ``x`` (codes learnt / fitted on ``x_train``)."""
    points = []
    for method, model in autoencoders or []:
        points += code_bits_points(method, model.encode, model.decode, x, x_train, bit_depths)
    points += pca_bits_points(x, x_train, pca_sizes, bit_depths, seed)
    points += jpeg_bits_points(x, jpeg_qualities)
    points.append(png_bits_point(x))
    return points


# --- reading the points -------------------------------------------------------------------------

def frontier(points: Sequence[BitsPoint]) -> list[BitsPoint]:
    """The points no other point beats on both counts (fewer bits and lower MSE), by bits."""
    best: list[BitsPoint] = []
    for p in sorted(points, key=lambda p: (p.bits_per_pixel, p.mse)):
        if not best or p.mse < best[-1].mse:
            best.append(p)
    return best


def decoder_bits(model) -> int:
    """The autoencoder decoder's size: its parameters × 32 bits (shared by every image)."""
    from aecore.compression import decoder_bytes

    return 8 * decoder_bytes(model)


def pca_decoder_bits(k: int, pixels: int) -> int:
    """PCA's decoder: k components and the mean image, float32."""
    return int((k + 1) * pixels * 32)
