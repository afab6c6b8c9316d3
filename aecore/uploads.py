"""A user's own data set: parse and validate an uploaded .npz, .csv or .zip of images.

Everything happens in memory: nothing is extracted or written to disk, ``.npz``
files are loaded with ``allow_pickle=False`` (so nothing is ever unpickled), and
zip archives (an ``.npz`` is one too) are checked for their declared *and* actual
uncompressed size before and while their members are read.

``parse_upload(filename, data)`` returns an ``Upload`` whose ``dataset`` is split
and scaled like the built-in sets (float32 in [0, 1], images keep their 2-D
shape), or raises ``UploadError`` with a message saying what was wrong and what
is accepted.
"""

from __future__ import annotations

import csv
import hashlib
import io
import math
import posixpath
import re
import stat
import zipfile
from collections import Counter
from dataclasses import dataclass, field
from pathlib import PurePath

import numpy as np

from aecore.config import DataConfig
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
MAX_IMAGE_PIXELS = 4096 * 4096  # one decoded PNG/JPEG (a decompression bomb declares far more)
READ_CHUNK = 1 << 20

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
ACCEPTED["any"] = ("Accepted files: .npz (an array of images, optional labels), .csv (one image per row, optional "
                   "label column) or .zip (PNG/JPEG images, folders as labels). Trained models (.keras) "
                   "are not accepted.")
LIMITS_TEXT = (f"at least {MIN_SAMPLES} images, at most {MAX_TOTAL_VALUES:,} pixels in total "
               f"(about {MAX_TOTAL_VALUES // 784:,} images of 28×28), images from {MIN_SIDE}×{MIN_SIDE} "
               f"to {MAX_SIDE}×{MAX_SIDE} pixels")


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
    if ext == "keras" or ext in ("h5", "hdf5", "pkl", "pickle", "pt", "pth"):
        raise _fail(f"'{filename}' is a model or pickle file: this app does not load uploaded models or "
                    "pickles (they can run code).")
    if ext not in EXTENSIONS:
        hint = " A single image is not a data set: put your images in a .zip." if f".{ext}" in IMAGE_EXTENSIONS else ""
        raise _fail(f"'{filename}' is not a file type this app reads.{hint}")
    if len(data) == 0:
        raise _fail(f"'{filename}' is empty (0 bytes).", ext)
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
    description = f"Your upload '{filename}': {len(X):,} images of {shape} pixels, {len(class_names)} class(es)."
    dataset = split_dataset(display, X, y, class_names, cfg, description=description, is_image=True, notes=notes)
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
    """Finite values in [0, 1] (kept) or [0, 255] (divided by 255); float32 (n, h, w)."""
    notes = []
    if X.dtype.kind == "b":
        X = X.astype(np.float32)
    finite = np.isfinite(X)
    if not finite.all():
        bad = int((~finite).sum())
        what = "NaN (missing)" if np.isnan(X).any() else "infinite"
        raise _fail(f"{bad:,} value{'s are' if bad != 1 else ' is'} {what}: every pixel must be a number.", kind)
    lo, hi = float(X.min()), float(X.max())
    tol = 1e-6
    if lo >= -tol and hi <= 1 + tol:
        X = np.clip(X, 0, 1).astype(np.float32)
    elif lo >= -tol and hi <= 255 + 1e-3:
        X = (np.clip(X, 0, 255) / 255.0).astype(np.float32)
        notes.append("Pixel values 0–255 were divided by 255, so they run from 0 to 1 like the built-in sets.")
    else:
        raise _fail(f"The values run from {lo:.4g} to {hi:.4g}: pixels must lie between 0 and 255, or between "
                    "0 and 1.", kind)
    if float(X.max()) - float(X.min()) < 1e-6:
        raise _fail(f"Every pixel of every image has the same value ({float(X.min()):.3g}): there is nothing to "
                    "learn.", kind)
    return X, notes


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
    return index.astype(np.int64).reshape(-1), names


def _unlabelled(n: int) -> tuple[np.ndarray, tuple[str, ...]]:
    return np.zeros(n, dtype=np.int64), ("all",)


def _square_side(d: int) -> int | None:
    side = math.isqrt(d)
    return side if side * side == d else None


# --- zip archives (and .npz, which are zips) ---------------------------------------------------------------

def _open_zip(data: bytes, kind: str) -> zipfile.ZipFile:
    try:
        return zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError, EOFError) as exc:
        what = "an .npz (a zip archive of arrays)" if kind == "npz" else "a zip archive"
        raise _fail(f"The file is not {what}, or it is damaged ({exc}).", kind) from None


def _check_members(infos: list[zipfile.ZipInfo], kind: str) -> None:
    """Refuse by what the archive *declares*, before reading any member."""
    if len(infos) > MAX_ZIP_MEMBERS:
        raise _fail(f"The archive holds {len(infos):,} files: at most {MAX_ZIP_MEMBERS:,} are read.", kind)
    names = Counter()
    declared = 0
    for info in infos:
        _check_member_name(info, kind)
        names[info.filename] += 1
        if info.flag_bits & 0x1:
            raise _fail(f"'{info.filename}' is encrypted: upload an archive without a password.", kind)
        declared += info.file_size
        ratio = info.file_size / max(info.compress_size, 1)
        if info.file_size > 1_000_000 and ratio > MAX_COMPRESSION_RATIO:
            raise _fail(f"'{info.filename}' would expand {ratio:,.0f} times (from {info.compress_size:,} to "
                        f"{info.file_size:,} bytes): refused as a possible zip bomb.", kind)
    if declared > MAX_UNCOMPRESSED_BYTES:
        raise _fail(f"The archive would expand to {declared / 2**20:,.0f} MB: at most "
                    f"{MAX_UNCOMPRESSED_BYTES // 2**20} MB uncompressed are read (a possible zip bomb).", kind)
    dupes = [n for n, c in names.items() if c > 1]
    if dupes:
        raise _fail(f"The archive holds two files named '{dupes[0]}'.", kind)


def _check_member_name(info: zipfile.ZipInfo, kind: str) -> None:
    name = info.filename
    parts = name.replace("\\", "/").split("/")
    if (name.startswith(("/", "\\")) or re.match(r"^[A-Za-z]:", name) or ".." in parts or "\x00" in name):
        raise _fail(f"The archive holds a file named '{name}', which points outside the archive (a path-traversal "
                    "name): refused.", kind)
    mode = info.external_attr >> 16
    if mode and stat.S_ISLNK(mode):
        raise _fail(f"'{name}' is a symbolic link: only ordinary files are read.", kind)


class _Budget:
    """Counts the bytes actually decompressed, whatever the archive declared."""

    def __init__(self, kind: str):
        self.left = MAX_UNCOMPRESSED_BYTES
        self.kind = kind

    def read(self, zf: zipfile.ZipFile, info: zipfile.ZipInfo) -> bytes:
        chunks = []
        size = 0
        try:
            with zf.open(info) as member:
                while True:
                    chunk = member.read(min(READ_CHUNK, self.left + 1))
                    if not chunk:
                        break
                    size += len(chunk)
                    self.left -= len(chunk)
                    if self.left < 0 or size > info.file_size:
                        raise _fail(f"'{info.filename}' expands to more than it declared, or past "
                                    f"{MAX_UNCOMPRESSED_BYTES // 2**20} MB: refused as a possible zip bomb.",
                                    self.kind)
                    chunks.append(chunk)
        except UploadError:
            raise
        except (zipfile.BadZipFile, OSError, EOFError, ValueError, NotImplementedError, RuntimeError) as exc:
            raise _fail(f"'{info.filename}' in the archive is damaged, or holds more data than it declares (a "
                        f"possible zip bomb), and cannot be read ({exc}).", self.kind) from None
        return b"".join(chunks)


# --- .npz --------------------------------------------------------------------------------------------------

def _npy_header(raw: bytes, key: str) -> tuple[tuple[int, ...], np.dtype]:
    from numpy.lib import format as npformat

    buf = io.BytesIO(raw)
    try:
        version = npformat.read_magic(buf)
        if version == (1, 0):
            shape, _, dtype = npformat.read_array_header_1_0(buf)
        else:
            shape, _, dtype = npformat.read_array_header_2_0(buf)
    except Exception as exc:  # numpy raises ValueError, SyntaxError... on a damaged header
        raise _fail(f"The array '{key}' is not a valid numpy array ({type(exc).__name__}).", "npz") from None
    return tuple(int(s) for s in shape), np.dtype(dtype)


def _parse_npz(data: bytes):
    zf = _open_zip(data, "npz")
    with zf:
        infos = [i for i in zf.infolist() if not i.is_dir()]
        _check_members(infos, "npz")
        npy = {PurePath(i.filename).stem if i.filename.endswith(".npy") else i.filename: i for i in infos}
        if not infos or not all(i.filename.endswith(".npy") for i in infos):
            raise _fail("The archive does not hold numpy arrays (.npy members), so it is not an .npz file.", "npz")
        budget = _Budget("npz")
        headers = {}
        for key, info in npy.items():
            with zf.open(info) as member:
                head = member.read(4096)
            shape, dtype = _npy_header(head, key)
            if dtype.hasobject or dtype.kind in "OVMm" or dtype.fields:
                raise _fail(f"The array '{key}' holds Python objects ({dtype}): such arrays can only be loaded by "
                            "unpickling, which could run code, so they are refused. Save plain numbers "
                            "(np.uint8 or np.float32).", "npz")
            headers[key] = (shape, dtype)
        x_key = next((k for k in IMAGE_KEYS if k in headers), None)
        if x_key is None:
            candidates = [k for k, (s, _) in headers.items() if len(s) >= 2]
            if len(candidates) != 1:
                raise _fail(f"Cannot tell which array holds the images (found: {', '.join(sorted(headers))}). Name it "
                            "'x' or 'images'.", "npz")
            x_key = candidates[0]
        y_key = next((k for k in LABEL_KEYS if k in headers and k != x_key), None)
        shape, dtype = headers[x_key]
        notes = []
        if dtype.kind not in "biuf":
            raise _fail(f"The images '{x_key}' have type {dtype}: pixels must be numbers.", "npz")
        if len(shape) == 2:
            side = _square_side(shape[1])
            if side is None:
                raise _fail(f"The images '{x_key}' have shape {shape}: {shape[1]} values per row is not a square "
                            "image.", "npz")
            image_shape = (shape[0], side, side)
        elif len(shape) == 3:
            image_shape = shape
        elif len(shape) == 4 and shape[3] in (1, 3):
            image_shape = shape[:3]
        else:
            raise _fail(f"The images '{x_key}' have {len(shape)} dimension{'s' if len(shape) != 1 else ''} "
                        f"(shape {shape}).", "npz")
        _check_shape(image_shape, "npz")
        X = _load_npy(zf, npy[x_key], budget, x_key)
        if len(shape) == 2:
            X = X.reshape(image_shape)
        elif len(shape) == 4:
            if shape[3] == 3:
                X = X.astype(np.float32) @ np.array([0.299, 0.587, 0.114], dtype=np.float32)
                notes.append("Colour images were converted to grey (luminance).")
            else:
                X = X[..., 0]
        if y_key is not None:
            y_shape, y_dtype = headers[y_key]
            if len(y_shape) != 1 and not (len(y_shape) == 2 and y_shape[1] == 1):
                raise _fail(f"The labels '{y_key}' have shape {y_shape}: give one label per image (a 1-D array).",
                            "npz")
            raw = _load_npy(zf, npy[y_key], budget, y_key).reshape(-1)
            y, class_names = _labels_to_classes(raw, "npz")
        else:
            y, class_names = _unlabelled(len(X))
            notes.append("No labels found ('y' or 'labels'): every image is in one class, 'all'.")
    return X, y, class_names, notes


def _load_npy(zf: zipfile.ZipFile, info: zipfile.ZipInfo, budget: _Budget, key: str) -> np.ndarray:
    raw = budget.read(zf, info)
    try:
        return np.load(io.BytesIO(raw), allow_pickle=False)
    except ValueError as exc:
        if "pickle" in str(exc).lower():
            raise _fail(f"The array '{key}' holds Python objects: refused (never unpickled).", "npz") from None
        raise _fail(f"The array '{key}' is damaged or truncated ({exc}).", "npz") from None
    except Exception as exc:
        raise _fail(f"The array '{key}' is damaged or truncated ({type(exc).__name__}).", "npz") from None


# --- .csv --------------------------------------------------------------------------------------------------

def _is_number(text: str) -> bool:
    try:
        float(text)
        return True
    except ValueError:
        return False


def _parse_csv(data: bytes):
    if data[:2] == b"PK" or data[:6] == b"\x93NUMPY":
        raise _fail("The file is named .csv but holds binary data (a zip or numpy file).", "csv")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise _fail("The file is not text (it is not UTF-8 encoded).", "csv") from None
    if "\x00" in text:
        raise _fail("The file is not text (it holds NUL bytes).", "csv")
    lines = [line for line in text.splitlines() if line.strip()]
    del text
    if not lines:
        raise _fail("The file holds no rows.", "csv")
    delimiter = max(",;\t", key=lines[0].count)
    if lines[0].count(delimiter) == 0:
        raise _fail("The first row holds a single value: separate the values of a row with commas.", "csv")
    first = next(csv.reader(lines[:1], delimiter=delimiter))
    header = None
    if not all(_is_number(cell) for cell in first):
        header = [cell.strip() for cell in first]
        lines = lines[1:]
    if not lines:
        raise _fail("The file holds a header but no data rows.", "csv")
    offset = 2 if header else 1  # file line number of lines[0] (blank lines aside)
    width = len(next(csv.reader(lines[:1], delimiter=delimiter)))
    label_col = None
    notes = []
    if header is not None:
        if len(header) != width:
            raise _fail(f"The header names {len(header)} columns but the rows hold {width} values.", "csv")
        if any(not name for name in header):
            raise _fail("The header has an empty column name.", "csv")
        dupes = [n for n, c in Counter(header).items() if c > 1]
        if dupes:
            raise _fail(f"The header names the column '{dupes[0]}' twice.", "csv")
        label_cols = [i for i, name in enumerate(header) if name.lower() in LABEL_COLUMNS]
        if len(label_cols) > 1:
            raise _fail(f"The header has {len(label_cols)} label columns "
                        f"({', '.join(header[i] for i in label_cols)}): keep one.", "csv")
        label_col = label_cols[0] if label_cols else None
        first_row = next(csv.reader(lines[:1], delimiter=delimiter))
        text_col = next((i for i, cell in enumerate(first_row) if i != label_col and cell.strip()
                         and not _is_number(cell)), None)
        if text_col is not None:
            raise _fail(f"The header is not what this app expects: column '{header[text_col]}' holds text "
                        f"(row 2: '{first_row[text_col].strip()[:30]}'). Only a column named "
                        f"{' / '.join(repr(c) for c in LABEL_COLUMNS[:2])} may hold text.", "csv")
    elif _square_side(width) is None and _square_side(width - 1) is not None:
        label_col = 0
        notes.append("No header: the first value of each row was read as its label.")
    n_pixels = width - (label_col is not None)
    side = _square_side(n_pixels)
    if side is None:
        raise _fail(f"Each row holds {n_pixels} pixel values, which is not a square image (e.g. 64 = 8×8, "
                    "784 = 28×28).", "csv")
    _check_shape((len(lines), side, side), "csv")
    # Row by row into one float array: a list of 8 million cell strings would take ~0.5 GB.
    X = np.empty((len(lines), n_pixels), dtype=np.float64)
    labels = []
    pixel_cols = [i for i in range(width) if i != label_col]
    for r, row in enumerate(csv.reader(lines, delimiter=delimiter)):
        if len(row) != width:
            raise _fail(f"Row {r + offset} has {len(row)} values but the first data row has {width}: every row "
                        "must have the same number of values (ragged rows).", "csv")
        if label_col is not None:
            labels.append(row[label_col].strip())
            del row[label_col]
        try:
            X[r] = row
        except ValueError:
            c = next(i for i, cell in enumerate(row) if not _is_number(cell))
            column, cell = pixel_cols[c], row[c].strip()
            if header is not None and cell:
                raise _fail(f"The header is not what this app expects: column '{header[column]}' holds text "
                            f"(row {r + offset}: '{cell[:30]}'). Only a column named "
                            f"{' / '.join(repr(c) for c in LABEL_COLUMNS[:2])} may hold text.", "csv") from None
            what = "is empty" if not cell else f"holds '{cell[:30]}', which is not a number"
            raise _fail(f"Row {r + offset}, column {column + 1} {what}: every pixel must be a number.",
                        "csv") from None
    X = X.reshape(len(lines), side, side)
    if label_col is not None:
        raw = np.array(labels)
        if all(_is_number(v) for v in labels):
            raw = raw.astype(np.float64)
        y, class_names = _labels_to_classes(raw, "csv")
    else:
        y, class_names = _unlabelled(len(X))
        notes.append("No label column: every image is in one class, 'all'.")
    return X, y, class_names, notes


# --- .zip of images ----------------------------------------------------------------------------------------

def _parse_zip(data: bytes):
    from PIL import Image

    zf = _open_zip(data, "zip")
    with zf:
        infos = [i for i in zf.infolist() if not i.is_dir()]
        _check_members(infos, "zip")
        files = [i for i in infos if not _JUNK.search(i.filename)]
        others = [i.filename for i in files if not i.filename.lower().endswith(IMAGE_EXTENSIONS)]
        images = [i for i in files if i.filename.lower().endswith(IMAGE_EXTENSIONS)]
        if not images:
            raise _fail("The zip holds no PNG or JPEG images" + (f" (only {', '.join(others[:3])})" if others else "")
                        + ".", "zip")
        if others:
            more = f" and {len(others) - 3} more" if len(others) > 3 else ""
            raise _fail(f"The zip mixes images with other files ({', '.join(others[:3])}{more}): remove them.", "zip")
        if len(images) < MIN_SAMPLES:
            raise _fail(f"The zip holds {len(images)} image{'s' if len(images) != 1 else ''}: a data set needs at least "
                        f"{MIN_SAMPLES}.", "zip")
        labels = _folder_labels([i.filename for i in images])
        budget = _Budget("zip")
        decoded = []
        colour = 0
        for info in images:
            raw = budget.read(zf, info)
            if not raw:
                raise _fail(f"'{info.filename}' is empty (0 bytes).", "zip")
            try:
                with Image.open(io.BytesIO(raw)) as img:
                    if img.width * img.height > MAX_IMAGE_PIXELS:
                        raise _fail(f"'{info.filename}' is {img.width}×{img.height} pixels: at most "
                                    f"{MAX_IMAGE_PIXELS:,} pixels per image are decoded.", "zip")
                    if img.format not in ("PNG", "JPEG", "MPO"):
                        raise _fail(f"'{info.filename}' is a {img.format} image, not PNG or JPEG.", "zip")
                    if img.mode not in ("L", "1", "I", "I;16", "F") and not (img.mode == "P" and _grey_palette(img)):
                        colour += 1
                    img.draft(img.mode, (MAX_SIDE * 2, MAX_SIDE * 2))  # JPEG: decode at a reduced size, cheaply
                    img.load()
                    decoded.append(_to_grey(img))
            except UploadError:
                raise
            except Exception as exc:  # Pillow raises many types on damaged files (OSError, SyntaxError, ...)
                raise _fail(f"'{info.filename}' is not a readable PNG or JPEG image (damaged or truncated: "
                            f"{type(exc).__name__}).", "zip") from None
        X, notes = _same_size(decoded)
        X /= 255.0  # 8-bit images: 0–255 always, however dark or light this set happens to be
        if colour:
            notes.insert(0, f"{colour:,} colour image{'s were' if colour != 1 else ' was'} converted to grey.")
        if labels is None:
            y, class_names = _unlabelled(len(X))
            notes.append("No class folders: every image is in one class, 'all'.")
        else:
            y, class_names = _labels_to_classes(np.array(labels), "zip")
    return X, y, class_names, notes


def _grey_palette(img) -> bool:
    palette = img.getpalette() or []
    triples = [palette[i:i + 3] for i in range(0, len(palette), 3)]
    return all(r == g == b for r, g, b in triples)


def _to_grey(img) -> np.ndarray:
    from PIL import Image

    if img.mode in ("RGBA", "LA", "PA") or (img.mode == "P" and "transparency" in img.info):
        rgba = img.convert("RGBA")
        white = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        img = Image.alpha_composite(white, rgba)
    if img.mode in ("I", "I;16", "F"):
        arr = np.asarray(img, dtype=np.float64)
        top = 65535.0 if arr.max() > 255 else 255.0
        return (arr / top * 255.0).astype(np.float32)
    return np.asarray(img.convert("L"), dtype=np.float32)


def _folder_labels(names: list[str]) -> list[str] | None:
    """Labels from folders, after dropping the folders every image shares; None when there are none."""
    dirs = [posixpath.dirname(n.replace("\\", "/")) for n in names]
    split = [d.split("/") if d else [] for d in dirs]
    common = 0
    while all(len(s) > common for s in split) and len({s[common] for s in split}) == 1:
        common += 1
    rest = [s[common:] for s in split]
    if all(not r for r in rest):
        return None
    if any(not r for r in rest):
        loose = next(n for n, r in zip(names, rest) if not r)
        raise _fail(f"Some images are in class folders and some are not (e.g. '{loose}'): put every image in a "
                    "class folder, or all in one folder.", "zip")
    return [r[0] for r in rest]


def _same_size(decoded: list[np.ndarray]) -> tuple[np.ndarray, list[str]]:
    """Resize every image to the most common size (shrunk to fit MAX_SIDE), with notes."""
    from PIL import Image

    notes = []
    sizes = Counter(a.shape for a in decoded)
    (h, w), _ = sizes.most_common(1)[0]
    if max(h, w) > MAX_SIDE:
        scale = MAX_SIDE / max(h, w)
        th, tw = max(MIN_SIDE, round(h * scale)), max(MIN_SIDE, round(w * scale))
        notes.append(f"The images ({w}×{h} pixels) were shrunk to {tw}×{th}, the largest this app trains on.")
    else:
        th, tw = h, w
    if min(th, tw) < MIN_SIDE:
        raise _fail(f"Most images are {w}×{h} pixels: use images of at least {MIN_SIDE}×{MIN_SIDE}.", "zip")
    out = np.empty((len(decoded), th, tw), dtype=np.float32)
    resized = 0
    for i, a in enumerate(decoded):
        if a.shape == (th, tw):
            out[i] = a
        else:
            if a.shape != (h, w):
                resized += 1
            out[i] = np.asarray(Image.fromarray(a.astype(np.float32)).resize((tw, th), Image.Resampling.BILINEAR))
    if resized:
        notes.append(f"{resized:,} of {len(decoded):,} images had another size and were resized to {tw}×{th} "
                     "(the most common size).")
    _check_shape(out.shape, "zip")
    return out, notes
