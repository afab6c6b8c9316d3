"""Generate the upload corpus (bad and good files) in a directory: no binaries are committed.

``make_corpus(folder)`` writes every case's file and returns the cases. A case either must be refused
with a message containing ``expect`` (``ok=False``), or must load, with ``expect`` in its notes (``ok=True``).
Run ``python -m tests.bad_inputs.corpus <folder>`` to write the files for manual tries in the browser.
"""

from __future__ import annotations

import functools
import io
import struct
import sys
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import numpy as np


@dataclass(frozen=True)
class Case:
    name: str
    filename: str
    make: Callable[[], bytes]
    expect: str  # a substring of the error message (bad files) or of the notes (good files)
    ok: bool = False


@functools.lru_cache(maxsize=None)
def _digits(n: int = 100) -> tuple[np.ndarray, np.ndarray]:
    """n real 8×8 digits as uint8 0–255, 10 classes, deterministic."""
    from sklearn.datasets import load_digits

    bunch = load_digits()
    order = np.argsort(bunch.target, kind="stable")
    per = n // 10
    pick = np.concatenate([order[bunch.target[order] == d][:per] for d in range(10)])
    return (bunch.images[pick] * 16).clip(0, 255).astype(np.uint8), bunch.target[pick].astype(np.int64)


def _npz(**arrays) -> bytes:
    buf = io.BytesIO()
    np.savez_compressed(buf, **arrays)
    return buf.getvalue()


def _png(image: np.ndarray, fmt: str = "PNG", mode: str | None = None) -> bytes:
    from PIL import Image

    img = Image.fromarray(image)
    if mode:
        img = img.convert(mode)
    buf = io.BytesIO()
    img.save(buf, fmt)
    return buf.getvalue()


def _zip(members: dict[str, bytes], method: int = zipfile.ZIP_DEFLATED) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", method, compresslevel=1) as zf:  # level 1: the bombs are made in a blink
        for name, data in members.items():
            zf.writestr(zipfile.ZipInfo(name) if name.startswith("/") else name, data,
                        compress_type=method)
    return buf.getvalue()


def _image_members(n: int = 30, folders: bool = True, fmt: str = "PNG") -> dict[str, bytes]:
    x, y = _digits(max(n, 10))
    ext = "png" if fmt == "PNG" else "jpg"
    return {(f"digits/{label}/{i}.{ext}" if folders else f"{i}.{ext}"): _png(img, fmt)
            for i, (img, label) in enumerate(zip(x[:n], y[:n]))}


def _csv(rows: list[list[object]], header: list[str] | None = None) -> bytes:
    lines = ([",".join(header)] if header else []) + [",".join(str(v) for v in row) for row in rows]
    return ("\n".join(lines) + "\n").encode()


def _digit_rows(n: int = 20, label: bool = True) -> list[list[object]]:
    x, y = _digits(100)
    return [([int(y[i])] if label else []) + x[i].reshape(-1).tolist() for i in range(0, 100, 100 // n)][:n]


# --- bad files -------------------------------------------------------------------------------------------

def corrupt_png_zip() -> bytes:
    members = _image_members(20)
    name = sorted(members)[3]
    data = bytearray(members[name])
    data[30:60] = b"\xff" * 30  # garble the IHDR/IDAT bytes
    members[name] = bytes(data)
    return _zip(members)


def truncated_jpeg_zip() -> bytes:
    members = _image_members(20, fmt="JPEG")
    name = sorted(members)[5]
    members[name] = members[name][: len(members[name]) // 3]
    return _zip(members)


def not_an_image_zip() -> bytes:
    members = _image_members(20)
    members["digits/3/notes.png"] = b"this is text pretending to be an image\n" * 5
    return _zip(members)


def gif_named_png_zip() -> bytes:
    members = _image_members(20)
    x, _ = _digits(10)
    members["digits/1/odd.png"] = _png(x[0], "GIF")
    return _zip(members)


def zip_without_images() -> bytes:
    return _zip({"readme.txt": b"hello", "data/values.csv": b"1,2,3\n", "model.keras": b"PK fake"})


def zip_mixed_files() -> bytes:
    members = _image_members(20)
    members["digits/notes.txt"] = b"my notes"
    members["digits/labels.csv"] = b"0,1\n"
    return _zip(members)


def zip_path_traversal() -> bytes:
    members = _image_members(12, folders=False)
    members["../../evil.png"] = next(iter(members.values()))
    return _zip(members)


def zip_absolute_path() -> bytes:
    members = _image_members(12, folders=False)
    members["/tmp/evil.png"] = next(iter(members.values()))
    return _zip(members)


def zip_bomb_ratio() -> bytes:
    """One member of 20 MB of zeros: about 20 KB compressed, a ratio of ~1,000:1."""
    members = _image_members(12)
    members["digits/0/bomb.png"] = bytes(20 * 2**20)
    return _zip(members)


def zip_bomb_total() -> bytes:
    """110 members of 1,000,000 zero bytes each: small ratios one by one, 105 MB declared in total."""
    members = _image_members(12)
    zeros = bytes(1_000_000)
    for i in range(110):
        members[f"digits/0/pad{i}.png"] = zeros
    return _zip(members)


def zip_lying_sizes() -> bytes:
    """A member that declares 1,000 bytes but inflates to 20 MB (headers rewritten)."""
    members = _image_members(12)
    members["digits/0/liar.png"] = bytes(20 * 2**20)
    data = bytearray(_zip(members))
    declared = 1000
    for signature, offset in ((b"PK\x03\x04", 22), (b"PK\x01\x02", 24)):
        start = 0
        while (pos := data.find(signature, start)) >= 0:
            name_offset = 30 if signature == b"PK\x03\x04" else 46
            name_len = struct.unpack_from("<H", data, pos + (26 if signature == b"PK\x03\x04" else 28))[0]
            name = bytes(data[pos + name_offset: pos + name_offset + name_len])
            if name == b"digits/0/liar.png":
                struct.pack_into("<I", data, pos + offset, declared)
            start = pos + 4
    return bytes(data)


def zip_too_few_images() -> bytes:
    return _zip(_image_members(5))


def zip_decompression_bomb_image() -> bytes:
    members = _image_members(12)
    members["digits/0/huge.png"] = _png(np.zeros((5000, 5000), dtype=np.uint8))
    return _zip(members)


def zip_encrypted_flag() -> bytes:
    data = bytearray(_zip(_image_members(12)))
    pos = data.find(b"PK\x01\x02")
    flags = struct.unpack_from("<H", data, pos + 8)[0]
    struct.pack_into("<H", data, pos + 8, flags | 0x1)
    return bytes(data)


def zip_images_and_loose_files() -> bytes:
    members = _image_members(20)
    x, _ = _digits(10)
    members["loose.png"] = _png(x[0])
    return _zip(members)


def npz_object_array() -> bytes:
    buf = io.BytesIO()
    np.savez(buf, x=np.array([{"pixels": [0, 1]}] * 20, dtype=object))
    return buf.getvalue()


def npz_object_labels() -> bytes:
    x, _ = _digits(20)
    buf = io.BytesIO()
    np.savez(buf, x=x, y=np.array([object()] * 20, dtype=object))
    return buf.getvalue()


def npz_one_dimension() -> bytes:
    return _npz(x=np.arange(200, dtype=np.float32) / 200)


def npz_five_dimensions() -> bytes:
    return _npz(x=np.zeros((20, 2, 8, 8, 2), dtype=np.float32))


def npz_nan() -> bytes:
    x = _digits(20)[0].astype(np.float32) / 255
    x[3, 2, 2] = np.nan
    return _npz(x=x)


def npz_inf() -> bytes:
    x = _digits(20)[0].astype(np.float32) / 255
    x[5, 1, 1] = np.inf
    return _npz(x=x)


def npz_out_of_range() -> bytes:
    x = _digits(20)[0].astype(np.float32)
    x[0, 0, 0] = 300.0
    x[1, 0, 0] = -5.0
    return _npz(x=x)


def npz_negative_unit() -> bytes:
    return _npz(x=(_digits(20)[0].astype(np.float32) / 127.5 - 1.0))  # [-1, 1], tanh-style


def npz_not_a_zip() -> bytes:
    return b"\x93NUMPY not really" + bytes(range(256)) * 4


def npz_ambiguous_arrays() -> bytes:
    x, _ = _digits(20)
    return _npz(first=x, second=x)


def npz_label_count() -> bytes:
    x, y = _digits(20)
    return _npz(x=x, y=y[:7])


def npz_label_decimals() -> bytes:
    x, y = _digits(20)
    return _npz(x=x, y=y + 0.5)


def npz_too_large_images() -> bytes:
    return _npz(x=np.zeros((12, 200, 200), dtype=np.uint8))


def npz_text_images() -> bytes:
    return _npz(x=np.array([["a"] * 16] * 12))


def npz_constant() -> bytes:
    return _npz(x=np.full((20, 8, 8), 7, dtype=np.uint8))


def npz_non_square_flat() -> bytes:
    return _npz(x=np.zeros((20, 10), dtype=np.uint8))


def npz_bomb() -> bytes:
    """An .npz whose array is 150 MB of zeros: tiny on disk, refused before it is decompressed."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as zf:
        header = io.BytesIO()
        np.lib.format.write_array_header_1_0(header, {"descr": "|u1", "fortran_order": False,
                                                      "shape": (150 * 2**20 // 784, 28, 28)})
        with zf.open("x.npy", "w", force_zip64=True) as member:
            member.write(header.getvalue())
            zeros = bytes(2**20)
            for _ in range(150):
                member.write(zeros)
    return buf.getvalue()


def npz_truncated() -> bytes:
    data = _npz(x=_digits(20)[0])
    return data[: len(data) // 2]


def csv_ragged() -> bytes:
    rows = _digit_rows(20)
    rows[6] = rows[6][:-3]
    return _csv(rows)


def csv_text_cells() -> bytes:
    rows = _digit_rows(20)
    rows[4][10] = "dark"
    return _csv(rows)


def csv_empty_cell() -> bytes:
    rows = _digit_rows(20)
    rows[8][20] = ""
    return _csv(rows)


def csv_bad_header_text_column() -> bytes:
    rows = [[f"img{i}.png"] + row for i, row in enumerate(_digit_rows(20))]
    return _csv(rows, ["filename", "label"] + [f"pixel{i}" for i in range(64)])


def csv_header_wrong_width() -> bytes:
    return _csv(_digit_rows(20), ["label"] + [f"pixel{i}" for i in range(60)])


def csv_header_duplicates() -> bytes:
    return _csv(_digit_rows(20), ["label"] + [f"pixel{i % 32}" for i in range(64)])


def csv_header_two_labels() -> bytes:
    rows = [[row[0]] + row for row in _digit_rows(20)]
    return _csv(rows, ["label", "class"] + [f"pixel{i}" for i in range(64)])


def csv_one_row() -> bytes:
    return _csv(_digit_rows(1), ["label"] + [f"pixel{i}" for i in range(64)])


def csv_header_only() -> bytes:
    return _csv([], ["label"] + [f"pixel{i}" for i in range(64)])


def csv_not_square() -> bytes:
    return _csv([[1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]] * 20)


def csv_nan() -> bytes:
    rows = _digit_rows(20)
    rows[2][5] = "nan"
    return _csv(rows)


def csv_out_of_range() -> bytes:
    rows = _digit_rows(20)
    rows[2][5] = 1000
    return _csv(rows)


def csv_binary() -> bytes:
    return _zip(_image_members(12))


def csv_not_utf8() -> bytes:
    return "label,pixel\n".encode("utf-16")


def csv_single_column() -> bytes:
    return b"\n".join(str(i).encode() for i in range(30))


# --- issue 17: what escaped the parser, what cost memory, what was accepted but wrong ---------------------

def _members_at(data: bytes, signature: bytes):
    """(offset, name) of every local (PK\x03\x04) or central (PK\x01\x02) header of a zip."""
    name_len_at, name_at = (26, 30) if signature == b"PK\x03\x04" else (28, 46)
    start = 0
    while (pos := data.find(signature, start)) >= 0:
        name_len = struct.unpack_from("<H", data, pos + name_len_at)[0]
        yield pos, bytes(data[pos + name_at: pos + name_at + name_len])
        start = pos + 4


def _patch(data: bytes, member: bytes, local: dict[int, tuple[str, int]] = {},  # noqa: B006 (read only)
           central: dict[int, tuple[str, int]] = {}) -> bytes:  # noqa: B006
    """Rewrite fields (offset -> (struct format, value)) of one member's local and central headers."""
    data = bytearray(data)
    for signature, fields in ((b"PK\x03\x04", local), (b"PK\x01\x02", central)):
        for pos, name in list(_members_at(bytes(data), signature)):
            if name == member:
                for offset, (fmt, value) in fields.items():
                    struct.pack_into(fmt, data, pos + offset, value)
    return bytes(data)


def _garble_data(data: bytes, member: bytes, skip: int = 0, pattern: bytes = b"\xff") -> bytes:
    """Overwrite a member's compressed bytes (after ``skip`` of them) with ``pattern``; headers stay intact."""
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        info = zf.getinfo(member.decode())
    data = bytearray(data)
    pos = info.header_offset
    name_len, extra_len = struct.unpack_from("<HH", data, pos + 26)
    start = pos + 30 + name_len + extra_len + skip
    size = info.compress_size - skip
    data[start:start + size] = (pattern * size)[:size]
    return bytes(data)


def _savez(compressed: bool = False, **arrays) -> bytes:
    buf = io.BytesIO()
    (np.savez_compressed if compressed else np.savez)(buf, **arrays)
    return buf.getvalue()


def zip_corrupt_deflate() -> bytes:
    """A PNG member whose deflate stream is garbage (invalid block type): zlib.error while reading."""
    members = _image_members(12)
    data = _zip(members)
    return _garble_data(data, sorted(members)[2].encode())


def zip_corrupt_lzma() -> bytes:
    members = _image_members(12)
    data = _zip(members, zipfile.ZIP_LZMA)
    return _garble_data(data, sorted(members)[4].encode(), skip=9, pattern=b"\x00\xff\x13")


def zip_corrupt_bzip2() -> bytes:
    members = _image_members(12)
    data = _zip(members, zipfile.ZIP_BZIP2)
    return _garble_data(data, sorted(members)[1].encode(), skip=4, pattern=b"\x11\x22")


def zip_deflate64() -> bytes:
    """A member marked as Deflate64 (method 9), which Python's zipfile cannot read."""
    members = _image_members(12)
    name = sorted(members)[0].encode()
    return _patch(_zip(members), name, {8: ("<H", 9)}, {10: ("<H", 9)})


def zip_version_99() -> bytes:
    """'Version needed to extract' 9.9 in the central directory: zipfile refuses to open the archive."""
    members = _image_members(12)
    name = sorted(members)[0].encode()
    return _patch(_zip(members), name, {4: ("<H", 99)}, {6: ("<H", 99)})


def zip_empty_member_name() -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in _image_members(12).items():
            zf.writestr(name, data)
        zf.writestr(zipfile.ZipInfo(""), b"nameless")
    return buf.getvalue()


def zip_bad_local_header() -> bytes:
    members = _image_members(12)
    data = bytearray(_zip(members))
    pos = next(p for p, n in _members_at(bytes(data), b"PK\x03\x04") if n == sorted(members)[3].encode())
    data[pos:pos + 4] = b"PK\x07\x07"
    return bytes(data)


def zip_many_directories() -> bytes:
    """25,000 folder entries and 12 images: folders count toward the 20,000-entry limit."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_STORED) as zf:
        for i in range(25_000):
            zf.writestr(zipfile.ZipInfo(f"d{i}/"), b"")
        for name, data in _image_members(12).items():
            zf.writestr(name, data)
    return buf.getvalue()


def _png_header_only(width: int, height: int, bit_depth: int = 8, colour_type: int = 0) -> bytes:
    """A PNG that declares width × height but holds one tiny IDAT: a decompression bomb by its header alone."""
    import zlib

    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    ihdr = struct.pack(">IIBBBBB", width, height, bit_depth, colour_type, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(b"\x00" * 64))
            + chunk(b"IEND", b""))


def zip_huge_dimension_png() -> bytes:
    """60,000 × 4,000 pixels declared: Pillow itself refuses it (DecompressionBombError) when it opens it."""
    members = _image_members(12)
    members["digits/0/wide.png"] = _png_header_only(60_000, 4_000)
    return _zip(members)


def zip_wide_png() -> bytes:
    """60,000 × 1,000 pixels declared: under Pillow's own limit, over the app's."""
    members = _image_members(12)
    members["digits/0/wide.png"] = _png_header_only(60_000, 1_000)
    return _zip(members)


def npz_corrupt_deflate() -> bytes:
    x, y = _digits(20)
    return _garble_data(_savez(True, x=x, y=y), b"x.npy")


def npz_bad_crc() -> bytes:
    """A stored .npz whose pixel bytes were changed after the CRC was written: BadZipFile while reading."""
    x, y = _digits(20)
    data = bytearray(_savez(False, x=x, y=y))
    pos = next(p for p, n in _members_at(bytes(data), b"PK\x03\x04") if n == b"x.npy")
    start = pos + 30 + struct.unpack_from("<H", data, pos + 26)[0] + struct.unpack_from("<H", data, pos + 28)[0]
    data[start + 200] ^= 0x55  # a pixel, well after the .npy header
    return bytes(data)


def npz_bad_local_header() -> bytes:
    """The member's local header is damaged: zipfile fails as soon as the .npy header is read."""
    x, y = _digits(20)
    data = bytearray(_savez(False, x=x, y=y))
    pos = next(p for p, n in _members_at(bytes(data), b"PK\x03\x04") if n == b"x.npy")
    data[pos:pos + 4] = b"PK\x00\x00"
    return bytes(data)


def npz_empty_member_name() -> bytes:
    buf = io.BytesIO()
    x, y = _digits(20)
    with zipfile.ZipFile(buf, "w") as zf:
        for key, arr in (("x", x), ("y", y)):
            member = io.BytesIO()
            np.save(member, arr)
            zf.writestr(f"{key}.npy", member.getvalue())
        zf.writestr(zipfile.ZipInfo(""), b"")
    return buf.getvalue()


def _npy_with_header(arr: np.ndarray, pad: int, version: tuple[int, int] = (1, 0),
                     header_len: int | None = None) -> bytes:
    """An .npy file whose header dict is padded with ``pad`` spaces (valid for numpy's own reader)."""
    header = repr({"descr": np.lib.format.dtype_to_descr(arr.dtype), "fortran_order": False,
                   "shape": arr.shape}).encode("latin1") + b" " * pad
    header += b" " * ((-(len(header) + 1 + (10 if version == (1, 0) else 12))) % 64) + b"\n"
    size = struct.pack("<H" if version == (1, 0) else "<I", header_len if header_len is not None else len(header))
    return b"\x93NUMPY" + bytes(version) + size + header + arr.tobytes()


def _npz_members(members: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    return buf.getvalue()


def npz_long_header() -> bytes:
    """A valid .npz whose image header is ~6,000 bytes long (numpy reads headers up to 10,000)."""
    x, y = _digits(100)
    return _npz_members({"x.npy": _npy_with_header(x, 6000), "y.npy": _npy_with_header(y, 0)})


def npz_header_too_long() -> bytes:
    x, _ = _digits(20)
    return _npz_members({"x.npy": _npy_with_header(x, 0, (2, 0), header_len=2**31)})


def npz_header_promises_more() -> bytes:
    """The header says 200 images; the member holds 20."""
    x, _ = _digits(20)
    good = _npy_with_header(x, 0)
    return _npz_members({"x.npy": good.replace(b"(20, 8, 8)", b"(200, 8, 8)")})


def npz_many_labels() -> bytes:
    """20 images and 2,000,000 labels: refused from the shapes, before a label is read or counted."""
    x, _ = _digits(20)
    return _npz(x=x, y=np.random.default_rng(0).integers(0, 10, 2_000_000).astype(np.uint8))


def npz_empty_label() -> bytes:
    x, y = _digits(20)
    labels = np.array([str(v) for v in y])
    labels[3] = ""
    return _npz(x=x, y=labels)


def npz_long_labels() -> bytes:
    x, y = _digits(20)
    return _npz(x=x, y=np.array([f"{v}" * 300 for v in y]))


def npz_float64_colour_too_big() -> bytes:
    """Colour float64 images of 9,000 × 28 × 28 × 3: 170 MB as stored, more than one array may take."""
    header = io.BytesIO()
    np.lib.format.write_array_header_1_0(header, {"descr": "<f8", "fortran_order": False,
                                                  "shape": (9000, 28, 28, 3)})
    return _npz_members({"x.npy": header.getvalue() + bytes(64)})


def csv_unterminated_quote() -> bytes:
    rows = _digit_rows(20)
    rows[5][7] = '"12'
    return _csv(rows)


def csv_field_over_limit() -> bytes:
    rows = _digit_rows(20)
    rows[4][10] = "1" * 200_000
    return _csv(rows)


def csv_wide_row() -> bytes:
    """One row of 1,000,000 values: refused from a count of its commas."""
    return ("0," * 999_999 + "0\n").encode()


def csv_empty_label() -> bytes:
    rows = _digit_rows(20)
    rows[6][0] = ""
    return _csv(rows, ["label"] + [f"pixel{i}" for i in range(64)])


def csv_value_after_trailing_comma() -> bytes:
    rows = [row + [""] for row in _digit_rows(20)]
    rows[9][-1] = 5
    return _csv(rows)


def zip_control_names() -> bytes:
    """Folder names with markup and control characters: accepted, shown as text (pages/your_data.py)."""
    x, y = _digits(20)
    names = ("[Log in](https://evil.example)", "**bold**\x07")
    return _zip({f"set/{names[int(label) % 2]}/{i}.png": _png(img) for i, (img, label) in enumerate(zip(x, y))})


def csv_numeric_header() -> bytes:
    """pandas.DataFrame.to_csv(index=False) of unnamed columns: a header row 0,1,…,63."""
    return _csv(_digit_rows(50, label=False), [str(i) for i in range(64)])


def csv_numeric_header_28() -> bytes:
    rng = np.random.default_rng(1)
    rows = (rng.random((12, 784)) * 255).astype(np.uint8).tolist()
    return _csv(rows, [str(i) for i in range(784)])


def csv_trailing_commas() -> bytes:
    return _csv([row + [""] for row in _digit_rows(50)])


def csv_trailing_commas_header() -> bytes:
    return _csv([row + [""] for row in _digit_rows(50)], ["label"] + [f"pixel{i}" for i in range(64)] + [""])


def _png16(image: np.ndarray) -> bytes:
    from PIL import Image

    buf = io.BytesIO()
    Image.fromarray(image.astype(np.uint16)).save(buf, "PNG")
    return buf.getvalue()


def zip_png16_dark() -> bytes:
    """16-bit PNGs whose brightest pixel is 200 of 65,535: dark images, not bright ones."""
    x, y = _digits(20)
    return _zip({f"d/{label}/{i}.png": _png16(img.astype(np.uint16) * 200 // 255)
                 for i, (img, label) in enumerate(zip(x, y))})


def _exif_jpeg(image: np.ndarray, orientation: int) -> bytes:
    from PIL import Image

    img = Image.fromarray(image)
    exif = Image.Exif()
    exif[0x0112] = orientation
    buf = io.BytesIO()
    img.save(buf, "JPEG", quality=95, exif=exif.tobytes())
    return buf.getvalue()


def zip_exif_rotated() -> bytes:
    """Camera JPEGs stored on their side (16 wide × 8 high) with EXIF orientation 6: upright they are 8 × 16."""
    members = {}
    for i in range(12):
        upright = np.zeros((16, 8), np.uint8)
        upright[:4] = 255  # a bright top band when the picture is upright
        stored = np.rot90(upright, k=1)  # what the camera stored; orientation 6 turns it back clockwise
        members[f"rot/{i}.jpg"] = _exif_jpeg(np.ascontiguousarray(stored), 6)
    return _zip(members)


def zip_alpha_ink() -> bytes:
    """White RGBA images whose ink is only in the alpha channel (as drawing apps export strokes)."""
    x, y = _digits(20)
    members = {}
    for i, (img, label) in enumerate(zip(x, y)):
        rgba = np.zeros((8, 8, 4), np.uint8)
        rgba[..., :3] = 255
        rgba[..., 3] = img
        members[f"ink/{label}/{i}.png"] = _png(rgba)
    return _zip(members)


def zip_alpha_ink_black() -> bytes:
    x, y = _digits(20)
    members = {}
    for i, (img, label) in enumerate(zip(x, y)):
        la = np.zeros((8, 8, 2), np.uint8)
        la[..., 1] = img
        members[f"ink/{label}/{i}.png"] = _png(la, mode=None)
    return _zip(members)


# --- good files (each must load; ``expect`` is in the notes) ---------------------------------------------

def good_npz() -> bytes:
    x, y = _digits(100)
    return _npz(x=x, y=y)


def good_npz_flat_channels() -> bytes:
    x, y = _digits(100)
    return _npz(images=x[..., None].astype(np.float32) / 255, labels=np.array([f"digit {d}" for d in y]))


def good_npz_unlabelled_flat() -> bytes:
    return _npz(x=_digits(100)[0].reshape(100, -1))


def good_csv_header() -> bytes:
    return _csv(_digit_rows(50), ["label"] + [f"pixel{i}" for i in range(64)])


def good_csv_no_header() -> bytes:
    return _csv(_digit_rows(50))


def good_zip() -> bytes:
    return _zip(_image_members(60))


def zip_different_sizes() -> bytes:
    from PIL import Image

    members = _image_members(30)
    for i, name in enumerate(sorted(members)[:4]):
        img = Image.open(io.BytesIO(members[name])).resize((12, 10))
        buf = io.BytesIO()
        img.save(buf, "PNG")
        members[name] = buf.getvalue()
    return _zip(members)


def zip_colour_jpegs_macos() -> bytes:
    x, y = _digits(30)
    colour = np.stack([x, x // 2, 255 - x], axis=-1).astype(np.uint8)
    members = {f"set/{'odd' if d % 2 else 'even'}/{i}.jpg": _png(img, "JPEG") for i, (img, d) in
               enumerate(zip(colour, y))}
    members["__MACOSX/set/._0.jpg"] = b"resource fork"
    members["set/.DS_Store"] = b"\x00\x00"
    return _zip(members)


def zip_large_photos() -> bytes:
    rng = np.random.default_rng(0)
    members = {f"photos/{i}.png": _png((rng.random((120, 160)) * 255).astype(np.uint8)) for i in range(12)}
    return _zip(members)


def zip_non_square() -> bytes:
    """40 digits stretched to 12 wide × 8 high: a valid upload that a convolutional model must refuse."""
    from PIL import Image

    x, y = _digits(40)
    return _zip({f"wide/{label}/{i}.png": _png(np.asarray(Image.fromarray(img).resize((12, 8))))
                 for i, (img, label) in enumerate(zip(x, y))})


BAD = [
    Case("empty csv", "empty.csv", lambda: b"", "is empty"),
    Case("empty npz", "empty.npz", lambda: b"", "is empty"),
    Case("empty zip", "empty.zip", lambda: b"", "is empty"),
    Case("corrupt png in zip", "corrupt_png.zip", corrupt_png_zip, "not a readable PNG or JPEG"),
    Case("truncated jpeg in zip", "truncated_jpeg.zip", truncated_jpeg_zip, "not a readable PNG or JPEG"),
    Case("text named .png in zip", "fake_png.zip", not_an_image_zip, "not a readable PNG or JPEG"),
    Case("gif named .png in zip", "gif.zip", gif_named_png_zip, "not PNG or JPEG"),
    Case("zip with no images", "no_images.zip", zip_without_images, "holds no PNG or JPEG images"),
    Case("zip with mixed files", "mixed.zip", zip_mixed_files, "mixes images with other files"),
    Case("zip path traversal", "traversal.zip", zip_path_traversal, "path-traversal"),
    Case("zip absolute path", "absolute.zip", zip_absolute_path, "path-traversal"),
    Case("zip bomb by ratio", "bomb_ratio.zip", zip_bomb_ratio, "zip bomb"),
    Case("zip bomb by total size", "bomb_total.zip", zip_bomb_total, "zip bomb"),
    Case("zip lying about sizes", "bomb_lying.zip", zip_lying_sizes, "zip bomb"),
    Case("zip with too few images", "five.zip", zip_too_few_images, "at least 10"),
    Case("decompression-bomb image", "huge_image.zip", zip_decompression_bomb_image, "pixels per image"),
    Case("encrypted zip member", "encrypted.zip", zip_encrypted_flag, "encrypted"),
    Case("images in and out of folders", "loose.zip", zip_images_and_loose_files, "class folder"),
    Case("not a zip", "garbage.zip", lambda: b"this is not a zip file at all" * 10, "not a zip archive"),
    Case("npz object array", "objects.npz", npz_object_array, "Python objects"),
    Case("npz object labels", "object_labels.npz", npz_object_labels, "Python objects"),
    Case("npz 1-D array", "flat.npz", npz_one_dimension, "1 dimension"),
    Case("npz 5-D array", "five_d.npz", npz_five_dimensions, "5 dimensions"),
    Case("npz NaN", "nan.npz", npz_nan, "NaN"),
    Case("npz infinite", "inf.npz", npz_inf, "infinite"),
    Case("npz outside [0, 255]", "range.npz", npz_out_of_range, "between 0 and 255"),
    Case("npz in [-1, 1]", "tanh.npz", npz_negative_unit, "between 0 and 255"),
    Case("npz not a zip", "fake.npz", npz_not_a_zip, "not an .npz"),
    Case("npz ambiguous arrays", "two.npz", npz_ambiguous_arrays, "Cannot tell which array"),
    Case("npz label count", "labels.npz", npz_label_count, "7 labels for 20 images"),
    Case("npz decimal labels", "decimal_labels.npz", npz_label_decimals, "decimals"),
    Case("npz images too large", "large.npz", npz_too_large_images, "200×200"),
    Case("npz text images", "text.npz", npz_text_images, "must be numbers"),
    Case("npz constant images", "constant.npz", npz_constant, "same value"),
    Case("npz non-square rows", "nonsquare.npz", npz_non_square_flat, "not a square image"),
    Case("npz bomb", "bomb.npz", npz_bomb, "zip bomb"),
    Case("npz truncated", "truncated.npz", npz_truncated, "not an .npz"),
    Case("csv ragged rows", "ragged.csv", csv_ragged, "ragged"),
    Case("csv text cell", "text.csv", csv_text_cells, "'dark', which is not a number"),
    Case("csv empty cell", "hole.csv", csv_empty_cell, "is empty"),
    Case("csv header with a text column", "filenames.csv", csv_bad_header_text_column, "header is not what"),
    Case("csv header of the wrong width", "header_width.csv", csv_header_wrong_width, "header names 61 columns"),
    Case("csv header with duplicates", "header_dupes.csv", csv_header_duplicates, "twice"),
    Case("csv header with two labels", "two_labels.csv", csv_header_two_labels, "2 label columns"),
    Case("csv one row only", "one_row.csv", csv_one_row, "holds 1 image"),
    Case("csv header only", "header_only.csv", csv_header_only, "no data rows"),
    Case("csv rows not square", "eleven.csv", csv_not_square, "not a square image"),
    Case("csv NaN", "nan.csv", csv_nan, "NaN"),
    Case("csv outside [0, 255]", "range.csv", csv_out_of_range, "between 0 and 255"),
    Case("csv that is a zip", "zip.csv", csv_binary, "binary data"),
    Case("csv not UTF-8", "utf16.csv", csv_not_utf8, "not text"),
    Case("csv with one value per row", "column.csv", csv_single_column, "single value"),
    # issue 17, section 1: exceptions that escaped the parser
    Case("zip with a corrupt deflate stream", "bad_deflate.zip", zip_corrupt_deflate, "compressed data is corrupt"),
    Case("zip with a corrupt LZMA stream", "bad_lzma.zip", zip_corrupt_lzma, "cannot be read"),
    Case("zip with a corrupt bzip2 stream", "bad_bzip2.zip", zip_corrupt_bzip2, "cannot be read"),
    Case("zip member in Deflate64", "deflate64.zip", zip_deflate64, "compressed with Deflate64"),
    Case("zip needing version 9.9", "version99.zip", zip_version_99, "of a kind this app cannot read"),
    Case("zip member with an empty name", "nameless.zip", zip_empty_member_name, "an empty name"),
    Case("zip member with a bad local header", "bad_local.zip", zip_bad_local_header, "cannot be read"),
    Case("npz with a corrupt deflate stream", "bad_deflate.npz", npz_corrupt_deflate, "compressed data is corrupt"),
    Case("npz member with a bad CRC", "bad_crc.npz", npz_bad_crc, "checksum does not match"),
    Case("npz member with a bad local header", "bad_local.npz", npz_bad_local_header, "cannot be read"),
    Case("npz member with an empty name", "nameless.npz", npz_empty_member_name, "an empty name"),
    Case("npz header longer than read", "long_header.npz", npz_header_too_long, "header is 2,147,483,648 bytes"),
    Case("npz header promising more values", "short_values.npz", npz_header_promises_more, "promises 12,800 bytes"),
    Case("csv with an unterminated quote", "quote.csv", csv_unterminated_quote, "never closed"),
    Case("csv field over the csv limit", "long_field.csv", csv_field_over_limit, "longer than 131,072 characters"),
    Case("csv value after the trailing comma", "trailing_value.csv", csv_value_after_trailing_comma,
         "after its last comma"),
    # section 2: small uploads that cost memory
    Case("zip of 25,000 folders", "folders.zip", zip_many_directories, "25,010 entries"),
    Case("npz with 2,000,000 labels", "many_labels.npz", npz_many_labels, "2,000,000 labels for 20 images"),
    Case("npz float64 colour too big", "colour64.npz", npz_float64_colour_too_big, "at most 64 MB per array"),
    Case("csv of one very wide row", "wide_row.csv", csv_wide_row, "Row 1 holds 1,000,000 values"),
    # section 3: accepted but wrong
    Case("png 60,000 pixels wide (Pillow's own limit)", "huge_dims.zip", zip_huge_dimension_png, "is too large"),
    Case("png 60,000 pixels wide (the app's limit)", "wide_png.zip", zip_wide_png, "is 60,000×1,000 pixels"),
    Case("npz empty label", "empty_label.npz", npz_empty_label, "1 image has an empty label"),
    Case("npz labels too long", "long_labels.npz", npz_long_labels, "at most 100 characters"),
    Case("csv empty label", "empty_label.csv", csv_empty_label, "Row 8 has an empty label"),
]
# Refused by name before any byte is read; the app's uploader does not even offer these types.
BAD_BY_NAME = [
    Case("keras model", "model.keras", lambda: b"PK\x03\x04 a keras model", "does not load uploaded models"),
    Case("pickle", "data.pkl", lambda: b"\x80\x04K\x01.", "does not load uploaded models"),
    Case("single png", "digit.png", lambda: _png(np.zeros((8, 8), np.uint8)), "put your images in a .zip"),
]
GOOD = [
    Case("npz with labels", "digits.npz", good_npz, "divided by 255", ok=True),
    Case("npz (n, h, w, 1) with text labels", "digits_float.npz", good_npz_flat_channels, "", ok=True),
    Case("npz flat rows, no labels", "flat_rows.npz", good_npz_unlabelled_flat, "one class", ok=True),
    Case("csv with header", "digits.csv", good_csv_header, "divided by 255", ok=True),
    Case("csv without header", "digits_noheader.csv", good_csv_no_header, "first value of each row", ok=True),
    Case("zip of class folders", "digits.zip", good_zip, "", ok=True),
    Case("zip of different sizes", "sizes.zip", zip_different_sizes, "were resized to 8×8", ok=True),
    Case("zip of colour jpegs with macOS junk", "colour.zip", zip_colour_jpegs_macos, "converted to grey", ok=True),
    Case("zip of large images", "photos.zip", zip_large_photos, "shrunk to 64×48", ok=True),
    Case("zip of non-square images", "wide.zip", zip_non_square, "", ok=True),
    Case("csv with a numeric header 0..63", "pandas.csv", csv_numeric_header, "numbers the columns", ok=True),
    Case("csv with a numeric header 0..783", "pandas28.csv", csv_numeric_header_28, "numbers the columns", ok=True),
    Case("csv with a trailing comma on every row", "trailing.csv", csv_trailing_commas, "ends with a comma", ok=True),
    Case("csv with trailing commas and a header", "trailing_header.csv", csv_trailing_commas_header,
         "ends with a comma", ok=True),
    Case("zip of dark 16-bit PNGs", "png16.zip", zip_png16_dark, "", ok=True),
    Case("zip of EXIF-rotated JPEGs", "rotated.zip", zip_exif_rotated, "", ok=True),
    Case("zip with ink only in alpha (white layer)", "alpha_white.zip", zip_alpha_ink, "", ok=True),
    Case("zip with ink only in alpha (black layer)", "alpha_black.zip", zip_alpha_ink_black, "", ok=True),
    Case("npz with a long header", "long_header_ok.npz", npz_long_header, "", ok=True),
    Case("zip with markup in folder names", "markup.zip", zip_control_names, "", ok=True),
]
ALL = BAD + BAD_BY_NAME + GOOD


def make_corpus(folder: Path | str, cases: list[Case] = ALL) -> list[tuple[Case, Path]]:
    """Write every case's file into ``folder``; return (case, path) pairs."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    out = []
    for case in cases:
        path = folder / case.filename
        if not path.exists():
            path.write_bytes(case.make())
        out.append((case, path))
    return out


if __name__ == "__main__":
    for case, path in make_corpus(sys.argv[1] if len(sys.argv) > 1 else "tests/artifacts/bad_inputs"):
        print(f"{'good' if case.ok else 'bad '}  {path.stat().st_size:>9,} B  {path}")
