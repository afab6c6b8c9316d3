"""A user's own data set: parse and validate an uploaded .npz, .csv or .zip of images.

Everything happens in memory: nothing is extracted or written to disk, ``.npz``
files are loaded with ``allow_pickle=False`` (so nothing is ever unpickled), and
zip archives (an ``.npz`` is one too) are checked for their declared *and* actual
uncompressed size before and while their members are read.

Memory and time are bounded before the work, from what the file declares: the number of
zip entries (folders included) from the raw bytes, every image's size from its header
(per image and in total, before any image is decoded; JPEGs count at their reduced
``draft`` size, and each image is shrunk as soon as it is decoded), an array's shape and
bytes from its ``.npy`` header (labels are checked against the images before either is
read; arrays are read as views of the member's bytes, never with ``np.load``), and a CSV
row's width from a count of its delimiters before it is split. Any damage (corrupt
deflate/LZMA/bzip2 streams, bad CRCs or local headers, methods Python cannot read, broken
quotes) ends in ``UploadError``; an exception no check foresaw does too, and is logged.

``parse_upload(filename, data)`` returns an ``Upload`` whose ``dataset`` is split
and scaled like the built-in sets (float32 in [0, 1], images keep their 2-D
shape), or raises ``UploadError`` with a message saying what was wrong and what
is accepted.
"""

from __future__ import annotations

import csv
import functools
import hashlib
import io
import logging
import lzma
import math
import posixpath
import re
import stat
import struct
import warnings
import zipfile
import zlib
from collections import Counter
from dataclasses import dataclass, field
from pathlib import PurePath

import numpy as np

from aecore.config import DataConfig
from aecore.corrupt import to_grey
from aecore.data import Dataset, split_dataset

# Limits. The upload itself is capped by Streamlit's server.maxUploadSize (see .streamlit/config.toml).
MIN_SAMPLES = 10  # a train, a validation and a test split need a few samples each
MAX_TOTAL_VALUES = 8_000_000  # ≈ 10,000 images of 28×28: 32 MB as float32, per session
MAX_SIDE = 64  # images larger than 64×64 are refused (arrays) or shrunk (zip of images)
MIN_SIDE = 4
MAX_CLASSES = 100
MAX_ZIP_MEMBERS = 20_000
MAX_UNCOMPRESSED_BYTES = 100 * 2**20  # declared and actual, summed over the members of a zip or .npz
MAX_COMPRESSION_RATIO = 200  # zip bombs reach 1,000:1 and more; PNG/JPEG inside a zip stay near 1:1
MAX_IMAGE_PIXELS = 4096 * 4096  # one decoded PNG/JPEG (a decompression bomb declares far more), from its header
# All images of one zip together, counted from their headers before each is decoded (JPEGs at their draft size):
# each image is shrunk right after decoding, so this bounds the time spent, not the memory kept.
MAX_DECODED_PIXELS = 16 * MAX_IMAGE_PIXELS
MAX_ARRAY_BYTES = 64 * 2**20  # one .npy member as stored: float64 at the pixel limit (8 bytes × 8 M) fits
MAX_NPY_HEADER = 65_536  # bytes of an .npy header (numpy's own default is 10,000)
MAX_CSV_ROW_VALUES = MAX_SIDE * MAX_SIDE + 2  # a 64×64 image, a label and a trailing empty value
MAX_LABEL_CHARS = 100
READ_CHUNK = 1 << 20
# The compression methods Python's zipfile reads: stored, deflate, bzip2, LZMA.
_ZIP_METHODS = {zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED, zipfile.ZIP_BZIP2, zipfile.ZIP_LZMA}
_ZIP_METHOD_NAMES = {1: "Shrink", 6: "Implode", 9: "Deflate64", 10: "PKWARE Implode", 18: "IBM TERSE",
                     19: "IBM LZ77", 93: "Zstandard", 94: "MP3", 95: "XZ", 96: "JPEG", 97: "WavPack",
                     98: "PPMd", 99: "AES encryption"}
_REMAKE_ZIP = ("Create the zip again with your computer's standard tool (e.g. 'Compress' or 'Send to → "
               "Compressed folder', which use Deflate) and upload the new file.")
_DAMAGED_ADVICE = "Download or export the file again (it may have been cut short or changed in transit) and upload it."
_DAMAGE_ERRORS = (zipfile.BadZipFile, zlib.error, lzma.LZMAError, OSError, EOFError, ValueError, NotImplementedError,
                  RuntimeError, IndexError, KeyError, struct.error)
log = logging.getLogger(__name__)

EXTENSIONS = ("npz", "csv", "zip")
IMAGE_EXTENSIONS = (".png", ".jpg", ".jpeg")
IMAGE_KEYS = ("x", "images", "x_train", "data", "X", "arr_0")
LABEL_KEYS = ("y", "labels", "label", "y_train", "targets", "target", "arr_1")
LABEL_COLUMNS = ("label", "labels", "y", "class", "target", "digit")
# Junk that macOS and Windows put in zips; skipped silently.
_JUNK = re.compile(r"(^|/)(__MACOSX/|\.DS_Store$|Thumbs\.db$|desktop\.ini$|\._)")

ACCEPTED = {
    "npz": ("Accepted: an .npz (numpy.savez) holding one image array of shape (n, height, width), "
            "(n, height, width, 1 or 3) or (n, pixels) with a square number of pixels, numbers 0–255 or 0–1, "
            "and optionally labels as a 1-D array named 'y' or 'labels'."),
    "csv": ("Accepted: a .csv with one image per row (a square number of pixel values, e.g. 784 = 28×28, "
            "numbers 0–255 or 0–1), optionally a header row and a label column named 'label' "
            "(or, without a header, a label as the first value of each row)."),
    "zip": ("Accepted: a .zip of PNG or JPEG images, one folder per class (the folder name becomes the "
            "label), or all images in one folder for unlabelled data."),
}
ACCEPTED["picture"] = "Accepted: one PNG or JPEG picture of at most 4096×4096 pixels."
ACCEPTED["any"] = ("Accepted files: .npz (an array of images, optional labels), .csv (one image per row, optional "
                   "label column) or .zip (PNG/JPEG images, folders as labels). Trained models (.keras) "
                   "are not accepted.")
LIMITS_TEXT = (f"at least {MIN_SAMPLES} images, at most {MAX_TOTAL_VALUES:,} pixels in total "
               f"(about {MAX_TOTAL_VALUES // 784:,} images of 28×28), images from {MIN_SIDE}×{MIN_SIDE} "
               f"to {MAX_SIDE}×{MAX_SIDE} pixels (in a zip, larger ones up to 4096×4096 are shrunk)")


class UploadError(ValueError):
    """An upload that cannot be used; the message says what was wrong and what is accepted."""


@dataclass
class Upload:
    """A parsed upload: the split data set, the hash of its bytes, and notes for the user."""

    name: str
    dataset: Dataset
    upload_id: str
    filename: str
    size_bytes: int
    notes: tuple[str, ...] = field(default_factory=tuple)

    @property
    def data_config(self) -> DataConfig:
        return DataConfig(name=self.name, upload_id=self.upload_id)


def upload_id(data: bytes) -> str:
    """The stable id of an upload: a hash of its bytes."""
    return hashlib.sha256(data).hexdigest()[:16]


def _fail(problem: str, kind: str = "any") -> UploadError:
    return UploadError(f"{problem} {ACCEPTED[kind]}")


def _short(name: object, limit: int = 60) -> str:
    """A user-supplied name for a message: control characters replaced, cut to ``limit`` characters."""
    text = "".join(ch if ch.isprintable() else "?" for ch in str(name)[:limit + 1])
    return text if len(text) <= limit else text[:limit - 1] + "…"


def _damaged(member: str, exc: BaseException, kind: str) -> UploadError:
    """A member whose bytes cannot be read back (corrupt compressed data, bad CRC, bad local header)."""
    if isinstance(exc, (zlib.error, lzma.LZMAError)) or "invalid data stream" in str(exc).lower():
        what = "its compressed data is corrupt"
    elif isinstance(exc, NotImplementedError):
        what = "it uses a compression method this app cannot read"
    elif "crc" in str(exc).lower():
        what = "its checksum does not match (the file was changed or cut short), or it holds more data than it " \
               "declares (a possible zip bomb)"
    else:
        what = "its entry in the archive is damaged"
    return _fail(f"'{_short(member)}' in the archive cannot be read: {what} ({type(exc).__name__}: "
                 f"{_short(exc, 80)}). {_DAMAGED_ADVICE}", kind)


def parse_upload(filename: str, data: bytes, name: str | None = None, split_seed: int = 0) -> Upload:
    """Parse, validate and split an uploaded file.

    Parameters
    ----------
    filename : the name the user's file had (its extension picks the format).
    data : the file's bytes.
    name : the data set's name in the app (default: ``filename``).

    Raises
    ------
    UploadError
        With a message for the user: what was wrong and what is accepted.
    """
    ext = PurePath(filename).suffix.lower().lstrip(".")
    shown = _short(filename)
    if ext == "keras" or ext in ("h5", "hdf5", "pkl", "pickle", "pt", "pth"):
        raise _fail(f"'{shown}' is a model or pickle file: this app does not load uploaded models or "
                    "pickles (they can run code).")
    if ext not in EXTENSIONS:
        hint = " A single image is not a data set: put your images in a .zip." if f".{ext}" in IMAGE_EXTENSIONS else ""
        raise _fail(f"'{shown}' is not a file type this app reads.{hint}")
    if len(data) == 0:
        raise _fail(f"'{shown}' is empty (0 bytes).", ext)
    try:
        if ext == "npz":
            X, y, class_names, notes = _parse_npz(data)
        elif ext == "csv":
            X, y, class_names, notes = _parse_csv(data)
        else:
            X, y, class_names, notes = _parse_zip(data)
        X, scale_notes = _check_and_scale(X, ext)
        notes = tuple(notes) + tuple(scale_notes)
        _check_labels(y, len(X), ext)
        ident = upload_id(data)
        display = name or filename
        cfg = DataConfig(name=display, split_seed=split_seed, upload_id=ident)
        shape = "×".join(str(s) for s in X.shape[1:])
        description = (f"Your upload '{shown}': {len(X):,} images of {shape} pixels, "
                       f"{len(class_names)} class(es).")
        dataset = split_dataset(display, X, y, class_names, cfg, description=description, is_image=True,
                                notes=notes)
    except UploadError:
        raise
    except MemoryError:
        raise _fail(f"'{shown}' needs more memory to read than this server has free: upload fewer or smaller "
                    "images.", ext) from None
    except Exception as exc:  # a case no check above foresaw: still one message, and the cause in the log
        log.warning("upload %r could not be parsed", filename, exc_info=True)
        raise _fail(f"'{shown}' is damaged or in a form this app cannot read ({type(exc).__name__}). Check that it "
                    "opens on your computer, save it again in one of the forms below, and upload it again.",
                    ext) from None
    return Upload(display, dataset, ident, filename, len(data), notes)


# --- checks shared by every format -------------------------------------------------------------------------

def _check_shape(shape: tuple[int, ...], kind: str) -> None:
    n = shape[0]
    if n < MIN_SAMPLES:
        raise _fail(f"The file holds {n} image{'s' if n != 1 else ''}: a data set needs at least {MIN_SAMPLES} "
                    "to split into training, validation and test images.", kind)
    h, w = shape[1], shape[2]
    if min(h, w) < MIN_SIDE or max(h, w) > MAX_SIDE:
        raise _fail(f"The images are {h}×{w} pixels: use images from {MIN_SIDE}×{MIN_SIDE} to {MAX_SIDE}×{MAX_SIDE} "
                    "(shrink larger ones first).", kind)
    total = math.prod(shape)
    if total > MAX_TOTAL_VALUES:
        raise _fail(f"The file holds {total:,} pixel values: at most {MAX_TOTAL_VALUES:,} fit in one session "
                    f"(about {MAX_TOTAL_VALUES // (h * w):,} images of {h}×{w}). Upload fewer images.", kind)


def _check_and_scale(X: np.ndarray, kind: str) -> tuple[np.ndarray, list[str]]:
    """Finite values in [0, 1] (kept) or [0, 255] (divided by 255); float32 (n, h, w).

    One float32 copy is made and scaled in place: the input may be a read-only view of the upload's bytes.
    """
    notes = []
    if X.dtype.kind == "b":
        X = X.view(np.uint8)
    if X.dtype.kind == "f":
        finite = np.isfinite(X)
        if not finite.all():
            bad = int(finite.size - np.count_nonzero(finite))
            what = "NaN (missing)" if np.isnan(X).any() else "infinite"
            raise _fail(f"{bad:,} value{'s are' if bad != 1 else ' is'} {what}: every pixel must be a number.", kind)
        del finite
    lo, hi = float(X.min()), float(X.max())
    tol = 1e-6
    if lo >= -tol and hi <= 1 + tol:
        out = np.array(X, dtype=np.float32, copy=True)
        np.clip(out, 0, 1, out=out)
    elif lo >= -tol and hi <= 255 + 1e-3:
        out = np.array(X, dtype=np.float32, copy=True)
        np.clip(out, 0, 255, out=out)
        out /= np.float32(255.0)
        notes.append("Pixel values 0–255 were divided by 255, so they run from 0 to 1 like the built-in sets.")
    else:
        raise _fail(f"The values run from {lo:.4g} to {hi:.4g}: pixels must lie between 0 and 255, or between "
                    "0 and 1.", kind)
    if float(out.max()) - float(out.min()) < 1e-6:
        raise _fail(f"Every pixel of every image has the same value ({float(out.min()):.3g}): there is nothing to "
                    "learn.", kind)
    return out, notes


def _check_labels(y: np.ndarray, n: int, kind: str) -> None:
    if len(y) != n:
        raise _fail(f"There are {len(y)} labels for {n} images: give one label per image.", kind)


def _labels_to_classes(raw: np.ndarray, kind: str) -> tuple[np.ndarray, tuple[str, ...]]:
    """Any 1-D labels (numbers or text) as class indices 0..k-1 and their names."""
    raw = np.asarray(raw)
    if raw.dtype.kind == "f":
        if not np.isfinite(raw).all():
            raise _fail("Some labels are NaN or infinite: labels must be whole numbers or names.", kind)
        if not np.all(raw == np.round(raw)):
            raise _fail("Some labels have decimals: labels must be whole numbers (classes) or names.", kind)
        raw = raw.astype(np.int64)
    if raw.dtype.kind not in "iuUSb":
        raise _fail(f"The labels have type {raw.dtype}: labels must be whole numbers or names.", kind)
    values, index = np.unique(raw, return_inverse=True)
    if len(values) > MAX_CLASSES:
        raise _fail(f"The labels name {len(values)} different classes: at most {MAX_CLASSES} are supported.", kind)
    names = tuple(v.decode(errors="replace") if isinstance(v, bytes) else str(v) for v in values.tolist())
    for i, label in enumerate(names):
        if not label.strip():
            count = int(np.count_nonzero(index.reshape(-1) == i))
            raise _fail(f"{count:,} image{'s have' if count != 1 else ' has'} an empty label: give every image a "
                        "label (or leave the labels out altogether).", kind)
        if len(label) > MAX_LABEL_CHARS:
            raise _fail(f"The label '{_short(label, 40)}' is {len(label):,} characters long: labels of at most "
                        f"{MAX_LABEL_CHARS} characters, please.", kind)
    return index.astype(np.int64).reshape(-1), names


def _unlabelled(n: int) -> tuple[np.ndarray, tuple[str, ...]]:
    return np.zeros(n, dtype=np.int64), ("all",)


def _square_side(d: int) -> int | None:
    side = math.isqrt(d)
    return side if side * side == d else None


# --- zip archives (and .npz, which are zips) ---------------------------------------------------------------

def _open_zip(data: bytes, kind: str) -> zipfile.ZipFile:
    what = "an .npz (a zip archive of arrays)" if kind == "npz" else "a zip archive"
    # Every central-directory entry starts with this signature: counting them is an upper bound on the entries,
    # found before zipfile builds one object per entry (200,000 directory entries cost ~100 MB that way).
    entries = data.count(b"PK\x01\x02")
    if entries > MAX_ZIP_MEMBERS:
        raise _fail(f"The archive holds {entries:,} entries (files and folders): at most {MAX_ZIP_MEMBERS:,} are "
                    "read. Upload fewer images.", kind)
    try:
        return zipfile.ZipFile(io.BytesIO(data))
    except NotImplementedError as exc:
        raise _fail(f"The file is {what} of a kind this app cannot read ({_short(exc)}). {_REMAKE_ZIP}",
                    kind) from None
    except _DAMAGE_ERRORS as exc:
        raise _fail(f"The file is not {what}, or it is damaged ({_short(exc)}). {_DAMAGED_ADVICE}",
                    kind) from None


def _members(zf: zipfile.ZipFile, kind: str) -> list[zipfile.ZipInfo]:
    """The archive's files (not folders), after every check that needs no member to be read."""
    entries = zf.infolist()
    if len(entries) > MAX_ZIP_MEMBERS:  # folders count too: each costs memory and time like a file
        raise _fail(f"The archive holds {len(entries):,} entries (files and folders): at most "
                    f"{MAX_ZIP_MEMBERS:,} are read. Upload fewer images.", kind)
    for info in entries:
        _check_member_name(info, kind)
    infos = [i for i in entries if not i.is_dir()]
    _check_members(infos, kind)
    return infos


def _check_members(infos: list[zipfile.ZipInfo], kind: str) -> None:
    """Refuse by what the archive *declares*, before reading any member."""
    names = Counter()
    declared = 0
    for info in infos:
        names[info.filename] += 1
        shown = _short(info.filename)
        if info.flag_bits & 0x1:
            raise _fail(f"'{shown}' is encrypted: upload an archive without a password.", kind)
        if info.compress_type not in _ZIP_METHODS:
            method = _ZIP_METHOD_NAMES.get(info.compress_type, f"method number {info.compress_type}")
            raise _fail(f"'{shown}' is compressed with {method}, which this app cannot read. {_REMAKE_ZIP}", kind)
        declared += info.file_size
        ratio = info.file_size / max(info.compress_size, 1)
        if info.file_size > 1_000_000 and ratio > MAX_COMPRESSION_RATIO:
            raise _fail(f"'{shown}' would expand {ratio:,.0f} times (from {info.compress_size:,} to "
                        f"{info.file_size:,} bytes): refused as a possible zip bomb.", kind)
    if declared > MAX_UNCOMPRESSED_BYTES:
        raise _fail(f"The archive would expand to {declared / 2**20:,.0f} MB: at most "
                    f"{MAX_UNCOMPRESSED_BYTES // 2**20} MB uncompressed are read (a possible zip bomb).", kind)
    dupes = [n for n, c in names.items() if c > 1]
    if dupes:
        raise _fail(f"The archive holds two files named '{_short(dupes[0])}'.", kind)


def _check_member_name(info: zipfile.ZipInfo, kind: str) -> None:
    name = info.filename
    if not name.strip("/\\ "):
        raise _fail(f"The archive holds an entry with {'an empty' if not name else 'a blank'} name: the archive is "
                    f"damaged. {_REMAKE_ZIP}", kind)
    parts = name.replace("\\", "/").split("/")
    if (name.startswith(("/", "\\")) or re.match(r"^[A-Za-z]:", name) or ".." in parts or "\x00" in name):
        raise _fail(f"The archive holds a file named '{_short(name)}', which points outside the archive (a "
                    "path-traversal name): refused.", kind)
    mode = info.external_attr >> 16
    if mode and stat.S_ISLNK(mode):
        raise _fail(f"'{_short(name)}' is a symbolic link: only ordinary files are read.", kind)


class _Budget:
    """Counts the bytes actually decompressed, whatever the archive declared, and the pixels decoded."""

    def __init__(self, kind: str):
        self.left = MAX_UNCOMPRESSED_BYTES
        self.pixels_left = MAX_DECODED_PIXELS
        self.kind = kind

    def read(self, zf: zipfile.ZipFile, info: zipfile.ZipInfo, limit: int | None = None) -> bytes:
        """The member's bytes; at most ``limit`` bytes are decompressed when given."""
        chunks = []
        size = 0
        try:
            with zf.open(info) as member:
                while True:
                    want = self.left + 1 if limit is None else min(self.left + 1, limit - size)
                    if want <= 0:
                        break
                    chunk = member.read(min(READ_CHUNK, want))
                    if not chunk:
                        break
                    size += len(chunk)
                    self.left -= len(chunk)
                    if self.left < 0 or size > info.file_size:
                        raise _fail(f"'{_short(info.filename)}' expands to more than it declared, or past "
                                    f"{MAX_UNCOMPRESSED_BYTES // 2**20} MB: refused as a possible zip bomb.",
                                    self.kind)
                    chunks.append(chunk)
        except UploadError:
            raise
        except _DAMAGE_ERRORS as exc:
            raise _damaged(info.filename, exc, self.kind) from None
        return b"".join(chunks)

    def spend_pixels(self, pixels: int, name: str) -> None:
        self.pixels_left -= pixels
        if self.pixels_left < 0:
            raise _fail(f"The images add up to more than {MAX_DECODED_PIXELS:,} pixels (reached at "
                        f"'{_short(name)}'; at most {MAX_DECODED_PIXELS // MAX_IMAGE_PIXELS} images of 4096×4096): "
                        f"this app trains on images of at most {MAX_SIDE}×{MAX_SIDE}, so shrink them first "
                        "(e.g. to 256×256) or upload fewer.", self.kind)


# --- .npz --------------------------------------------------------------------------------------------------

def _npy_header(head: bytes, key: str) -> tuple[tuple[int, ...], bool, np.dtype, int]:
    """Shape, Fortran order, dtype and data offset of an .npy file from its first bytes.

    ``head`` holds at least the whole header (see ``_npy_head``). Nothing but the header is parsed.
    """
    from numpy.lib import format as npformat

    def invalid(why: str) -> UploadError:
        return _fail(f"The array '{_short(key)}' is not a valid numpy array ({why}). Save it again with numpy.savez "
                     "and upload the new file.", "npz")

    if len(head) < 10 or head[:6] != b"\x93NUMPY":
        raise invalid("it does not start like an .npy file")
    major = head[6]
    if major not in (1, 2, 3):
        raise invalid(f"unknown format version {major}")
    size_len = 2 if major == 1 else 4
    if len(head) < 8 + size_len:
        raise invalid("its header is cut short")
    header_len = int.from_bytes(head[8:8 + size_len], "little")
    if header_len > MAX_NPY_HEADER:
        raise invalid(f"its header is {header_len:,} bytes long; at most {MAX_NPY_HEADER:,} are read")
    offset = 8 + size_len + header_len
    if len(head) < offset:
        raise invalid("its header is cut short")
    buf = io.BytesIO(head[:offset])
    try:
        version = npformat.read_magic(buf)
        if version == (1, 0):
            shape, fortran, dtype = npformat.read_array_header_1_0(buf, max_header_size=MAX_NPY_HEADER)
        elif version == (2, 0):
            shape, fortran, dtype = npformat.read_array_header_2_0(buf, max_header_size=MAX_NPY_HEADER)
        else:
            shape, fortran, dtype = npformat._read_array_header(buf, version, max_header_size=MAX_NPY_HEADER)
    except Exception as exc:  # numpy raises ValueError, SyntaxError... on a damaged header
        raise invalid(f"its header cannot be read: {type(exc).__name__}") from None
    if any(int(s) < 0 for s in shape):
        raise invalid(f"negative shape {tuple(shape)}")
    return tuple(int(s) for s in shape), bool(fortran), np.dtype(dtype), offset


def _npy_head(zf: zipfile.ZipFile, info: zipfile.ZipInfo) -> bytes:
    """The first bytes of an .npy member: enough for its header, however long (within MAX_NPY_HEADER)."""
    try:
        with zf.open(info) as member:
            head = member.read(12)
            if len(head) >= 12 and head[:6] == b"\x93NUMPY" and head[6] in (1, 2, 3):
                size_len = 2 if head[6] == 1 else 4
                header_len = int.from_bytes(head[8:8 + size_len], "little")
                if header_len <= MAX_NPY_HEADER:
                    head += member.read(8 + size_len + header_len - len(head))
            return head
    except _DAMAGE_ERRORS as exc:
        raise _damaged(info.filename, exc, "npz") from None


def _parse_npz(data: bytes):
    zf = _open_zip(data, "npz")
    with zf:
        infos = _members(zf, "npz")
        if not infos or not all(i.filename.endswith(".npy") for i in infos):
            raise _fail("The archive does not hold numpy arrays (.npy members), so it is not an .npz file.", "npz")
        npy = {PurePath(i.filename).stem: i for i in infos}
        budget = _Budget("npz")
        headers = {}
        for key, info in npy.items():
            shape, fortran, dtype, offset = _npy_header(_npy_head(zf, info), key)
            if dtype.hasobject or dtype.kind in "OVMm" or dtype.fields:
                raise _fail(f"The array '{_short(key)}' holds Python objects ({dtype}): such arrays can only be "
                            "loaded by unpickling, which could run code, so they are refused. Save plain numbers "
                            "(np.uint8 or np.float32).", "npz")
            headers[key] = (shape, fortran, dtype, offset)
        x_key = next((k for k in IMAGE_KEYS if k in headers), None)
        if x_key is None:
            candidates = [k for k, h in headers.items() if len(h[0]) >= 2]
            if len(candidates) != 1:
                found = ", ".join(_short(k, 30) for k in sorted(headers)[:10])
                raise _fail(f"Cannot tell which array holds the images (found: {found}). Name it "
                            "'x' or 'images'.", "npz")
            x_key = candidates[0]
        y_key = next((k for k in LABEL_KEYS if k in headers and k != x_key), None)
        shape, _, dtype, _ = headers[x_key]
        notes = []
        if dtype.kind not in "biuf":
            raise _fail(f"The images '{_short(x_key)}' have type {dtype}: pixels must be numbers.", "npz")
        if len(shape) == 2:
            side = _square_side(shape[1])
            if side is None:
                raise _fail(f"The images '{_short(x_key)}' have shape {shape}: {shape[1]} values per row is not a "
                            "square image.", "npz")
            image_shape = (shape[0], side, side)
        elif len(shape) == 3:
            image_shape = shape
        elif len(shape) == 4 and shape[3] in (1, 3):
            image_shape = shape[:3]
        else:
            raise _fail(f"The images '{_short(x_key)}' have {len(shape)} dimension{'s' if len(shape) != 1 else ''} "
                        f"(shape {shape}).", "npz")
        _check_shape(image_shape, "npz")
        # Shapes before values: the labels must match the images before either array is read.
        if y_key is not None:
            y_shape, _, y_dtype, _ = headers[y_key]
            if len(y_shape) != 1 and not (len(y_shape) == 2 and y_shape[1] == 1):
                raise _fail(f"The labels '{_short(y_key)}' have shape {y_shape}: give one label per image (a 1-D "
                            "array).", "npz")
            if y_shape[0] != image_shape[0]:
                raise _fail(f"There are {y_shape[0]:,} labels for {image_shape[0]:,} images: give one label per "
                            "image.", "npz")
            if y_dtype.kind not in "biufUS":
                raise _fail(f"The labels '{_short(y_key)}' have type {y_dtype}: labels must be whole numbers or "
                            "names.", "npz")
            if y_dtype.kind in "US" and y_dtype.itemsize // (4 if y_dtype.kind == "U" else 1) > MAX_LABEL_CHARS:
                raise _fail(f"The labels '{_short(y_key)}' are texts of up to "
                            f"{y_dtype.itemsize // (4 if y_dtype.kind == 'U' else 1):,} characters: labels of at "
                            f"most {MAX_LABEL_CHARS} characters, please.", "npz")
        X = _load_npy(zf, npy[x_key], headers[x_key], budget, x_key)
        if len(shape) == 2:
            X = X.reshape(image_shape)
        elif len(shape) == 4:
            if shape[3] == 3:
                grey = np.empty(image_shape, dtype=np.float32)
                for start in range(0, len(grey), 1024):  # in slices: no float copy of all three channels
                    grey[start:start + 1024] = to_grey(X[start:start + 1024], peak=None)  # any range
                X = grey
                notes.append("Colour images were converted to grey (luminance).")
            else:
                X = X[..., 0]
        if y_key is not None:
            raw = _load_npy(zf, npy[y_key], headers[y_key], budget, y_key).reshape(-1)
            y, class_names = _labels_to_classes(raw, "npz")
        else:
            y, class_names = _unlabelled(len(X))
            notes.append("No labels found ('y' or 'labels'): every image is in one class, 'all'.")
    return X, y, class_names, notes


def _load_npy(zf: zipfile.ZipFile, info: zipfile.ZipInfo, header: tuple, budget: _Budget, key: str) -> np.ndarray:
    """The array as a read-only view of the member's bytes (never unpickled, never copied)."""
    shape, fortran, dtype, offset = header
    count = math.prod(shape)
    nbytes = count * dtype.itemsize
    if nbytes > MAX_ARRAY_BYTES:
        raise _fail(f"The array '{_short(key)}' takes {nbytes / 2**20:,.0f} MB ({dtype}, shape {shape}): at most "
                    f"{MAX_ARRAY_BYTES // 2**20} MB per array are read. Save the images as np.uint8 (0–255) or "
                    "np.float32, or upload fewer.", "npz")
    raw = budget.read(zf, info, limit=offset + nbytes + 1)
    if len(raw) != offset + nbytes:
        raise _fail(f"The array '{_short(key)}' is damaged or truncated: its header promises {nbytes:,} bytes of "
                    f"values, the file holds {max(len(raw) - offset, 0):,}. {_DAMAGED_ADVICE}", "npz")
    try:
        array = np.frombuffer(raw, dtype=dtype, count=count, offset=offset)
        return array.reshape(shape, order="F" if fortran else "C")
    except (ValueError, TypeError) as exc:
        raise _fail(f"The array '{_short(key)}' cannot be read ({_short(exc)}). Save it again with numpy.savez "
                    "and upload the new file.", "npz") from None


# --- .csv --------------------------------------------------------------------------------------------------

def _is_number(text: str) -> bool:
    try:
        float(text)
        return True
    except ValueError:
        return False


def _is_sequence_header(cells: list[str]) -> bool:
    """A header of column numbers, as pandas writes it for unnamed columns: 0,1,…,n-1 (or 1,…,n)."""
    if len(cells) < MIN_SIDE * MIN_SIDE:
        return False
    try:
        values = [float(c) for c in cells]
    except ValueError:
        return False
    start = values[0]
    return start in (0.0, 1.0) and all(v == start + i for i, v in enumerate(values))


def _parse_csv(data: bytes):
    if data[:2] == b"PK" or data[:6] == b"\x93NUMPY":
        raise _fail("The file is named .csv but holds binary data (a zip or numpy file).", "csv")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise _fail("The file is not text (it is not UTF-8 encoded). Save it as 'CSV UTF-8' and upload it "
                    "again.", "csv") from None
    if "\x00" in text:
        raise _fail("The file is not text (it holds NUL bytes).", "csv")

    if "\n" not in text and "\r" in text:  # old Mac line ends
        text = text.replace("\r", "\n")
    delimiter = None  # the first row decides

    def too_wide(number: int, values: int) -> UploadError:
        return _fail(f"Row {number} holds {values:,} values: a row is one image of at most {MAX_SIDE}×{MAX_SIDE} "
                     f"= {MAX_SIDE * MAX_SIDE:,} pixels (and a label).", "csv")

    def lines(skip: int = 0):
        """(line number, line) of the non-blank lines, lazily, each refused from a count of its delimiters
        before it is copied out: a list of every line, or of a very wide row's cells, would cost far more."""
        number, start, end_of_text = 0, 0, len(text)
        while start < end_of_text:
            end = text.find("\n", start)
            end = end_of_text if end < 0 else end
            number += 1
            if number > skip:
                values = 1 + max(text.count(d, start, end) for d in ((delimiter,) if delimiter else ",;\t"))
                if values > MAX_CSV_ROW_VALUES:
                    raise too_wide(number, values)
                line = text[start:end]
                if line.strip():
                    yield number, line
            start = end + 1

    first = next(lines(), None)
    if first is None:
        raise _fail("The file holds no rows.", "csv")
    first_no, first_line = first
    delimiter = max(",;\t", key=first_line.count)
    if first_line.count(delimiter) == 0:
        raise _fail("The first row holds a single value: separate the values of a row with commas.", "csv")

    def check_width(number: int, line: str) -> None:
        values = line.count(delimiter) + 1
        if values > MAX_CSV_ROW_VALUES:  # refused from a count, before a list of millions of cells is made
            raise too_wide(number, values)

    def parse_line(number: int, line: str) -> list[str]:
        check_width(number, line)
        try:
            return next(csv.reader([line], delimiter=delimiter, strict=True))
        except (csv.Error, StopIteration) as exc:
            raise _csv_error(number, exc) from None

    first_cells = parse_line(first_no, first_line)
    header = None
    data_no, data_line = first_no, first_line
    cells = first_cells[:-1] if len(first_cells) > 1 and not first_cells[-1].strip() else first_cells
    numeric_header = _is_sequence_header([c.strip() for c in cells])
    if numeric_header or not all(_is_number(cell) for cell in cells):
        header = [cell.strip() for cell in first_cells]
        following = next(lines(first_no), None)
        if following is None:
            raise _fail("The file holds a header but no data rows.", "csv")
        data_no, data_line = following
    row = parse_line(data_no, data_line)
    trailing = len(row) > 1 and not row[-1].strip()  # "1,2,3," on every row: a trailing comma, not a column
    width_raw = len(row)
    width = width_raw - trailing
    label_col = None
    notes = []
    if trailing:
        notes.append("Every row ends with a comma: the empty value after it was ignored.")
    if header is not None:
        if len(header) == width + 1 and not header[-1]:  # a trailing comma on the header row (and maybe the rows)
            header = header[:-1]
        if len(header) != width:
            raise _fail(f"The header names {len(header)} columns but the rows hold {width} values.", "csv")
        if any(not name for name in header):
            raise _fail("The header has an empty column name.", "csv")
        dupes = [n for n, c in Counter(header).items() if c > 1]
        if dupes:
            raise _fail(f"The header names the column '{_short(dupes[0])}' twice.", "csv")
        label_cols = [i for i, name in enumerate(header) if name.lower() in LABEL_COLUMNS]
        if len(label_cols) > 1:
            raise _fail(f"The header has {len(label_cols)} label columns "
                        f"({', '.join(_short(header[i], 20) for i in label_cols)}): keep one.", "csv")
        label_col = label_cols[0] if label_cols else None
        text_col = next((i for i, cell in enumerate(row[:width]) if i != label_col and cell.strip()
                         and not _is_number(cell)), None)
        if text_col is not None:
            raise _fail(f"The header is not what this app expects: column '{_short(header[text_col], 30)}' holds "
                        f"text (row {data_no}: '{_short(row[text_col].strip(), 30)}'). Only a column named "
                        f"{' / '.join(repr(c) for c in LABEL_COLUMNS[:2])} may hold text.", "csv")
        if numeric_header:
            notes.append("The first row numbers the columns (0, 1, 2, …): it was read as a header.")
    if label_col is None and _square_side(width) is None and _square_side(width - 1) is not None:
        label_col = 0
        notes.append("No label column named 'label': the first value of each row was read as its label."
                     if header is not None else "No header: the first value of each row was read as its label.")
    n_pixels = width - (label_col is not None)
    side = _square_side(n_pixels)
    if side is None:
        raise _fail(f"Each row holds {n_pixels} pixel values, which is not a square image (e.g. 64 = 8×8, "
                    "784 = 28×28).", "csv")
    n_rows = sum(1 for _ in lines(first_no if header is not None else 0))
    _check_shape((n_rows, side, side), "csv")
    # Row by row into one float32 array: a list of 8 million cell strings would take ~0.5 GB.
    X = np.empty((n_rows, n_pixels), dtype=np.float32)
    labels = []
    pixel_cols = [i for i in range(width) if i != label_col]
    current = [data_no]

    def checked_lines():
        for number, line in lines(data_no - 1):
            current[0] = number
            yield line

    r = 0
    try:
        for row in csv.reader(checked_lines(), delimiter=delimiter, strict=True):
            number = current[0]
            if r >= n_rows:
                break
            if len(row) != width_raw:
                raise _fail(f"Row {number} has {len(row)} values but the first data row has {width_raw}: every row "
                            "must have the same number of values (ragged rows).", "csv")
            if trailing:
                last = row.pop()
                if last.strip():
                    raise _fail(f"Row {number} has a value after its last comma, but the first data row ends with "
                                "a comma: every row must have the same number of values (ragged rows).", "csv")
            if label_col is not None:
                label = row.pop(label_col).strip()
                if not label:
                    raise _fail(f"Row {number} has an empty label: give every row a label (or leave the label "
                                "column out altogether).", "csv")
                labels.append(label)
            try:
                X[r] = row
            except (ValueError, OverflowError):
                c = next((i for i, cell in enumerate(row) if not _is_number(cell)), 0)
                column, cell = pixel_cols[c], row[c].strip()
                if header is not None and cell:
                    raise _fail(f"The header is not what this app expects: column '{_short(header[column], 30)}' "
                                f"holds text (row {number}: '{_short(cell, 30)}'). Only a column named "
                                f"{' / '.join(repr(c) for c in LABEL_COLUMNS[:2])} may hold text.", "csv") from None
                what = "is empty" if not cell else f"holds '{_short(cell, 30)}', which is not a number"
                raise _fail(f"Row {number}, column {column + 1} {what}: every pixel must be a number.",
                            "csv") from None
            r += 1
    except csv.Error as exc:
        raise _csv_error(current[0], exc) from None
    X = X[:r].reshape(r, side, side)
    if r < MIN_SAMPLES:
        _check_shape(X.shape, "csv")
    if label_col is not None:
        raw = np.array(labels)
        if all(_is_number(v) for v in labels):
            raw = raw.astype(np.float64)
        y, class_names = _labels_to_classes(raw, "csv")
    else:
        y, class_names = _unlabelled(len(X))
        notes.append("No label column: every image is in one class, 'all'.")
    return X, y, class_names, notes


def _csv_error(number: int, exc: Exception) -> UploadError:
    message = str(exc)
    if "field larger than field limit" in message:
        problem = f"a single value is longer than {csv.field_size_limit():,} characters"
    elif "end of data" in message or "newline" in message:
        problem = "a quote (\") opens a value that is never closed"
    else:
        problem = _short(message, 80)
    return _fail(f"Row {number} cannot be read as CSV: {problem}. Save the file again as plain CSV (numbers "
                 "separated by commas, one image per row, no quotes) and upload it.", "csv")


# --- .zip of images ----------------------------------------------------------------------------------------

def _parse_zip(data: bytes):
    zf = _open_zip(data, "zip")
    with zf:
        infos = _members(zf, "zip")
        files = [i for i in infos if not _JUNK.search(i.filename)]
        others = [_short(i.filename, 40) for i in files if not i.filename.lower().endswith(IMAGE_EXTENSIONS)]
        images = [i for i in files if i.filename.lower().endswith(IMAGE_EXTENSIONS)]
        if not images:
            raise _fail("The zip holds no PNG or JPEG images" + (f" (only {', '.join(others[:3])})" if others else "")
                        + ".", "zip")
        if others:
            more = f" and {len(others) - 3} more" if len(others) > 3 else ""
            raise _fail(f"The zip mixes images with other files ({', '.join(others[:3])}{more}): remove them.", "zip")
        if len(images) < MIN_SAMPLES:
            raise _fail(f"The zip holds {len(images)} image{'s' if len(images) != 1 else ''}: a data set needs at "
                        f"least {MIN_SAMPLES}.", "zip")
        labels = _folder_labels([i.filename for i in images])
        _prescan(zf, images)
        budget = _Budget("zip")
        decoded = []  # (image shrunk to fit MAX_SIDE, its size before shrinking)
        kept_values = 0
        colour = 0
        for info in images:
            raw = budget.read(zf, info)
            if not raw:
                raise _fail(f"'{_short(info.filename)}' is empty (0 bytes).", "zip")
            image, size, is_colour = _decode_image(raw, info.filename, budget)
            del raw
            colour += is_colour
            decoded.append((image, size))
            kept_values += image.size
            if kept_values > 2 * MAX_TOTAL_VALUES:
                raise _fail(f"The images hold more than {MAX_TOTAL_VALUES:,} pixel values even at "
                            f"{MAX_SIDE}×{MAX_SIDE}: upload fewer images.", "zip")
        X, notes = _same_size(decoded)
        del decoded
        X /= np.float32(255.0)  # 0–255 always (16-bit images were scaled by their bit depth), however dark the set
        if colour:
            notes.insert(0, f"{colour:,} colour image{'s were' if colour != 1 else ' was'} converted to grey.")
        if labels is None:
            y, class_names = _unlabelled(len(X))
            notes.append("No class folders: every image is in one class, 'all'.")
        else:
            y, class_names = _labels_to_classes(np.array(labels), "zip")
    return X, y, class_names, notes


_GREY_MODES = ("L", "1", "I", "I;16", "I;16B", "I;16L", "I;16N", "F", "LA", "La")


def _too_large(name: str, size: tuple[int, int] | None = None, kind: str = "zip") -> UploadError:
    what = f"is {size[0]:,}×{size[1]:,} pixels" if size else "is too large"
    return _fail(f"'{_short(name)}' {what}: at most 4096×4096 = {MAX_IMAGE_PIXELS:,} pixels per image are decoded. "
                 f"This app trains on images of at most {MAX_SIDE}×{MAX_SIDE}: shrink it first (e.g. to 256×256).",
                 kind)


def _plan(img, name: str, kind: str = "zip") -> tuple[tuple[int, int], tuple[int, int], int]:
    """From the header alone: the upright size (h, w), the size to keep (th, tw) and the EXIF orientation.

    Refuses a format other than PNG/JPEG and an image over MAX_IMAGE_PIXELS; sets a JPEG's reduced decoding
    size (``draft``), so ``img.size`` is then what decoding will cost.
    """
    if img.format not in ("PNG", "JPEG", "MPO"):
        raise _fail(f"'{_short(name)}' is a {img.format} image, not PNG or JPEG.", kind)
    width, height = img.size
    if width * height > MAX_IMAGE_PIXELS:
        raise _too_large(name, (width, height), kind)
    try:
        # A PNG's getexif() decodes the whole image to look for EXIF after the pixels: only an EXIF block
        # before them (img.info) is read. A JPEG's EXIF is in its header.
        orientation = 1 if img.format == "PNG" and "exif" not in img.info else int(img.getexif().get(0x0112, 1))
    except Exception:  # a damaged EXIF block: keep the image as stored
        orientation = 1
    if orientation in (5, 6, 7, 8):
        width, height = height, width
    th, tw = _fit(height, width)
    if img.format in ("JPEG", "MPO"):
        img.draft(img.mode, (max(tw, th) * 2, max(tw, th) * 2))  # decoded at 1/2, 1/4 or 1/8 size
    return (height, width), (th, tw), orientation


def _prescan(zf: zipfile.ZipFile, images: list[zipfile.ZipInfo]) -> None:
    """Refuse too large images, and too many pixels in total, from the headers, before any image is decoded."""
    from PIL import Image

    scan = _Budget("zip")
    for info in images:
        try:
            with zf.open(info) as member:
                head = member.read(256 * 1024)  # PNG: 33 bytes; JPEG: up to its frame header, after EXIF
        except _DAMAGE_ERRORS as exc:
            raise _damaged(info.filename, exc, "zip") from None
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                img = Image.open(io.BytesIO(head))
        except Image.DecompressionBombError:
            raise _too_large(info.filename) from None
        except Exception:  # unreadable from its first bytes: decoding it will say what is wrong
            continue
        with img:
            try:
                _plan(img, info.filename)
            except UploadError:
                raise
            except Exception:
                continue
            scan.spend_pixels(img.width * img.height, info.filename)


def _decode_image(raw: bytes, name: str, budget: _Budget) -> tuple[np.ndarray, tuple[int, int], bool]:
    """One PNG/JPEG as a float32 0–255 grey image no larger than MAX_SIDE, within the pixel budget.

    The size is read from the header and checked before anything is decoded; JPEGs are decoded at a reduced
    size (``draft``); any other image is shrunk (``reduce``, then a resize) as soon as it is decoded, so a
    full-size copy never outlives this call. Returns the image, its size (height, width) as the file shows it
    (EXIF orientation applied), and whether it was in colour.
    """
    from PIL import Image

    try:
        with Image.open(io.BytesIO(raw)) as img:
            upright, (th, tw), orientation = _plan(img, name, budget.kind)
            transpose = _exif_transpose_table().get(orientation)
            is_colour = img.mode not in _GREY_MODES and not (img.mode in ("P", "PA") and _grey_palette(img))
            budget.spend_pixels(img.width * img.height, name)
            img.load()
            small = _workable(img)
            goal = (th, tw) if orientation in (5, 6, 7, 8) else (tw, th)  # (width, height) as stored
            if small.size != goal:
                factor = min(small.width // goal[0], small.height // goal[1])
                if factor >= 2:
                    small = small.reduce(factor)  # box average: cheap, and the big copy is dropped at once
                small = small.resize(goal, Image.Resampling.BILINEAR)
            if transpose is not None:
                small = small.transpose(transpose)
            return _to_grey(small), upright, is_colour
    except UploadError:
        raise
    except Image.DecompressionBombError:
        raise _too_large(name, kind=budget.kind) from None
    except Exception as exc:  # Pillow raises many types on damaged files (OSError, SyntaxError, ...)
        again = "zip it again" if budget.kind == "zip" else "upload it again"
        raise _fail(f"'{_short(name)}' is not a readable PNG or JPEG image (damaged or truncated: "
                    f"{type(exc).__name__}). Open it on your computer, save it again as PNG, and {again}.",
                    budget.kind) from None


def read_picture(data: bytes, name: str) -> np.ndarray:
    """One uploaded PNG or JPEG as grey 0–255 float32, upright and at most MAX_SIDE a side, with the checks of
    every uploaded image (format, size from the header before decoding). Raises ``UploadError``."""
    return _decode_image(data, name, _Budget("picture"))[0]


@functools.lru_cache(maxsize=1)
def _exif_transpose_table() -> dict:
    from PIL import Image

    t = Image.Transpose
    return {2: t.FLIP_LEFT_RIGHT, 3: t.ROTATE_180, 4: t.FLIP_TOP_BOTTOM, 5: t.TRANSPOSE, 6: t.ROTATE_270,
            7: t.TRANSVERSE, 8: t.ROTATE_90}  # the table of PIL.ImageOps.exif_transpose


def _fit(h: int, w: int) -> tuple[int, int]:
    """The size an h×w image is trained at: shrunk to fit MAX_SIDE×MAX_SIDE, shape kept."""
    if max(h, w) <= MAX_SIDE:
        return h, w
    scale = MAX_SIDE / max(h, w)
    return max(MIN_SIDE, round(h * scale)), max(MIN_SIDE, round(w * scale))


def _workable(img):
    """A mode Pillow can shrink, keeping what matters: 16-bit depth, transparency."""
    if img.mode == "1":
        return img.convert("L")
    if img.mode.startswith("I;16"):
        return img.convert("I")  # still 0–65535
    if img.mode in ("P", "PA", "L", "RGB") and ("transparency" in img.info or img.mode == "PA"):
        return img.convert("RGBA")
    if img.mode == "P":
        return img.convert("RGB")
    if img.mode not in ("L", "LA", "RGB", "RGBA", "I", "F"):
        return img.convert("RGB")  # CMYK, YCbCr...
    return img


def _grey_palette(img) -> bool:
    palette = img.getpalette() or []
    triples = [palette[i:i + 3] for i in range(0, len(palette), 3)]
    return all(r == g == b for r, g, b in triples)


def _to_grey(img) -> np.ndarray:
    """Grey 0–255 as float32. 16-bit images are scaled by their bit depth, whatever their content."""
    if img.mode == "I":  # only 16-bit PNGs decode to "I"
        return (np.asarray(img, dtype=np.float32) * np.float32(255.0 / 65535.0)).clip(0, 255)
    if img.mode == "F":
        return np.asarray(img, dtype=np.float32).clip(0, 255)
    if img.mode in ("RGBA", "LA"):
        rgba = np.asarray(img.convert("RGBA"), dtype=np.float32)
        alpha = rgba[..., 3] / 255.0
        lum = to_grey(rgba, peak=255.0)
        weight = float(alpha.sum())
        ink = float((lum * alpha).sum()) / weight if weight > 0 else 0.0
        # Over a background that contrasts with what is drawn: light ink (or ink only in the alpha channel of
        # a white layer) goes on black, dark ink on white. Over white alone, white ink would vanish.
        background = 0.0 if ink > 127.5 else 255.0
        return (lum * alpha + background * (1.0 - alpha)).astype(np.float32)
    if img.mode == "RGB":
        return to_grey(np.asarray(img), peak=255.0)
    return np.asarray(img, dtype=np.float32)  # "L": already grey


def _folder_labels(names: list[str]) -> list[str] | None:
    """Labels from folders, after dropping the folders every image shares; None when there are none."""
    dirs = [posixpath.dirname(n.replace("\\", "/")) for n in names]
    split = [[part for part in d.split("/") if part.strip()] for d in dirs]
    common = 0
    while all(len(s) > common for s in split) and len({s[common] for s in split}) == 1:
        common += 1
    rest = [s[common:] for s in split]
    if all(not r for r in rest):
        return None
    if any(not r for r in rest):
        loose = next(n for n, r in zip(names, rest) if not r)
        raise _fail(f"Some images are in class folders and some are not (e.g. '{_short(loose)}'): put every image "
                    "in a class folder, or all in one folder.", "zip")
    return [r[0].strip() for r in rest]


def _same_size(decoded: list[tuple[np.ndarray, tuple[int, int]]]) -> tuple[np.ndarray, list[str]]:
    """Every image at the most common size (shrunk to fit MAX_SIDE), with notes."""
    from PIL import Image

    notes = []
    sizes = Counter(size for _, size in decoded)
    (h, w), _ = sizes.most_common(1)[0]
    th, tw = _fit(h, w)
    if (th, tw) != (h, w):
        notes.append(f"The images ({w}×{h} pixels) were shrunk to {tw}×{th}, the largest this app trains on.")
    if min(th, tw) < MIN_SIDE:
        raise _fail(f"Most images are {w}×{h} pixels: use images of at least {MIN_SIDE}×{MIN_SIDE}.", "zip")
    _check_shape((len(decoded), th, tw), "zip")
    out = np.empty((len(decoded), th, tw), dtype=np.float32)
    resized = 0
    for i, (a, size) in enumerate(decoded):
        if a.shape == (th, tw):
            out[i] = a
        else:
            out[i] = np.asarray(Image.fromarray(a).resize((tw, th), Image.Resampling.BILINEAR))
        if size != (h, w):
            resized += 1
    if resized:
        notes.append(f"{resized:,} of {len(decoded):,} images had another size and were resized to {tw}×{th} "
                     "(the most common size).")
    return out, notes
