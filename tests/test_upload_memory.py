"""Peak memory of parsing the worst uploads (issue 17, section 2): each stays under +300 MB.

Each case runs in a fresh Python process: the file is made there, Python's garbage is collected, the
kernel's peak-RSS counter is reset (``/proc/self/clear_refs``), and ``parse_upload`` runs once. The increase
is the peak resident memory during parsing (``VmHWM``) minus the resident memory just before it
(``VmRSS``); it includes Pillow's and zlib's C allocations, which tracemalloc would not see.

Run ``python -m tests.test_upload_memory`` to print the table written into benchmarks/results/reliability.md.
"""

from __future__ import annotations

import gc
import io
import json
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parent.parent
LIMIT_MB = 300


# --- the uploads: every one is under the 20 MB upload limit --------------------------------------------------

def _png(image: np.ndarray) -> bytes:
    from PIL import Image

    buf = io.BytesIO()
    Image.fromarray(image).save(buf, "PNG", compress_level=9)
    return buf.getvalue()


def _zip(members: dict[str, bytes], method: int = zipfile.ZIP_DEFLATED) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", method) as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    return buf.getvalue()


def _solid_pngs(n: int, mode: str) -> bytes:
    """n PNGs of 4096×4096, solid colour (a few KB each), in two class folders."""
    if mode == "RGBA":
        members = [_png(np.full((4096, 4096, 4), (i * 9, 200 - i * 5, 30, 255 - i), np.uint8)) for i in range(2)]
    else:  # 16-bit grey
        members = [_png(np.full((4096, 4096), 1000 + i * 20_000, np.uint16)) for i in range(2)]
    return _zip({f"big/{'ab'[i % 2]}/{i}.png": members[i % 2] for i in range(n)})


def _sparse_digits(n: int, side: int, dtype, rng) -> np.ndarray:
    """MNIST-like: most pixels 0, the rest 1–255."""
    x = np.zeros((n, side, side), dtype)
    mask = rng.random(x.shape) < 0.19
    x[mask] = rng.integers(1, 256, int(mask.sum()))
    return x


def _npz_stream(arrays: dict[str, tuple[dict, object]]) -> bytes:
    """An .npz written member by member from chunks, so the maker never holds the whole array."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for key, (header, chunks) in arrays.items():
            head = io.BytesIO()
            np.lib.format.write_array_header_1_0(head, header)
            with zf.open(f"{key}.npy", "w", force_zip64=True) as member:
                member.write(head.getvalue())
                for chunk in chunks:
                    member.write(chunk)
    return buf.getvalue()


def make(case: str) -> tuple[str, bytes]:
    rng = np.random.default_rng(0)
    if case == "zip: 40 PNGs of 4096x4096, solid colour (hostile)":
        return "big.zip", _solid_pngs(40, "RGBA")
    if case == "zip: 16 RGBA PNGs of 4096x4096 (the pixel budget)":
        return "big16.zip", _solid_pngs(16, "RGBA")
    if case == "zip: 16 16-bit PNGs of 4096x4096 (the pixel budget)":
        return "big16bit.zip", _solid_pngs(16, "I;16")
    if case == "zip: 10,000 PNGs of 28x28":
        x = _sparse_digits(10_000, 28, np.uint8, rng)
        return "many.zip", _zip({f"d/{i % 10}/{i}.png": _png(img) for i, img in enumerate(x)})
    if case == "npz: 104 million labels for 20 images (hostile)":
        pattern = np.zeros(2**20, np.uint8)
        pattern[rng.integers(0, 2**20, 40_000)] = rng.integers(1, 10, 40_000)
        chunks = (pattern.tobytes() for _ in range(99))
        x = _sparse_digits(20, 28, np.uint8, rng)
        return "labels.npz", _npz_stream({
            "x": ({"descr": "|u1", "fortran_order": False, "shape": x.shape}, [x.tobytes()]),
            "y": ({"descr": "|u1", "fortran_order": False, "shape": (99 * 2**20,)}, chunks)})
    if case == "npz: 10,204 float64 images of 28x28 (the pixel limit)":
        n = 8_000_000 // 784
        chunks = (_sparse_digits(min(1000, n - s), 28, np.float64, rng).tobytes() for s in range(0, n, 1000))
        return "float64.npz", _npz_stream({
            "x": ({"descr": "<f8", "fortran_order": False, "shape": (n, 28, 28)}, chunks),
            "y": ({"descr": "<i8", "fortran_order": False, "shape": (n,)}, [(np.arange(n) % 10).tobytes()])})
    if case == "npz: 10,204 colour uint8 images of 28x28x3":
        n = 8_000_000 // 784
        x = np.repeat(_sparse_digits(n, 28, np.uint8, rng)[..., None], 3, axis=-1)
        buf = io.BytesIO()
        np.savez_compressed(buf, x=x, y=np.arange(n) % 10)
        return "colour.npz", buf.getvalue()
    if case == "csv: 10,000 rows of 784 values (the pixel limit)":
        x = _sparse_digits(10_000, 28, np.uint8, rng).reshape(10_000, -1)
        lines = [",".join(map(str, [i % 10] + row.tolist())) for i, row in enumerate(x)]
        return "big.csv", ("label," + ",".join(f"p{i}" for i in range(784)) + "\n" + "\n".join(lines)).encode()
    if case == "csv: one row of 9 million values (hostile)":
        return "wide.csv", b"0," * 9_000_000 + b"1\n"
    if case == "zip: 200,000 folder entries (hostile)":
        buf = io.BytesIO()
        with zipfile.ZipFile(buf, "w", zipfile.ZIP_STORED) as zf:
            for i in range(200_000):
                zf.writestr(zipfile.ZipInfo(f"{i}/"), b"")
        return "folders.zip", buf.getvalue()
    raise KeyError(case)


CASES = [
    "zip: 40 PNGs of 4096x4096, solid colour (hostile)",
    "zip: 16 RGBA PNGs of 4096x4096 (the pixel budget)",
    "zip: 16 16-bit PNGs of 4096x4096 (the pixel budget)",
    "zip: 10,000 PNGs of 28x28",
    "npz: 104 million labels for 20 images (hostile)",
    "npz: 10,204 float64 images of 28x28 (the pixel limit)",
    "npz: 10,204 colour uint8 images of 28x28x3",
    "csv: 10,000 rows of 784 values (the pixel limit)",
    "csv: one row of 9 million values (hostile)",
    "zip: 200,000 folder entries (hostile)",
]


def _status(field: str) -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])  # kB
    raise KeyError(field)


def measure(case: str) -> dict:
    """Run in the child: make the file, reset the peak, parse, report."""
    from aecore.uploads import UploadError, parse_upload

    from tests.bad_inputs import corpus

    parse_upload("warm.zip", corpus.good_zip())  # imports (PIL plugins, scikit-learn) before the measurement
    parse_upload("warm.csv", corpus.good_csv_header())
    filename, data = make(case)
    gc.collect()
    Path("/proc/self/clear_refs").write_text("5")  # the peak (VmHWM) restarts from the current RSS
    before = _status("VmRSS")
    started = time.perf_counter()
    try:
        upload = parse_upload(filename, data)
        outcome = f"accepted: {len(upload.dataset.x_train) + len(upload.dataset.x_val) + len(upload.dataset.x_test)} " \
                  f"images of {'×'.join(map(str, upload.dataset.sample_shape))}"
    except UploadError as exc:
        outcome = "refused: " + str(exc).split(" Accepted")[0][:160]
    seconds = time.perf_counter() - started
    return {"case": case, "file_mb": len(data) / 2**20, "peak_increase_mb": (_status("VmHWM") - before) / 1024,
            "seconds": seconds, "outcome": outcome}


def run_case(case: str) -> dict:
    code = ("import json, sys; from tests.test_upload_memory import measure; "
            "print('RESULT ' + json.dumps(measure(sys.argv[1])))")
    done = subprocess.run([sys.executable, "-c", code, case], cwd=ROOT, capture_output=True, text=True, timeout=600)
    lines = [line for line in done.stdout.splitlines() if line.startswith("RESULT ")]
    assert done.returncode == 0 and lines, done.stderr[-2000:]
    return json.loads(lines[-1][len("RESULT "):])


@pytest.mark.skipif(not Path("/proc/self/clear_refs").exists(), reason="needs Linux's /proc peak-RSS reset")
@pytest.mark.parametrize("case", CASES)
def test_parsing_an_upload_raises_peak_memory_by_less_than_300_mb(case):
    result = run_case(case)
    print(json.dumps(result))
    assert result["file_mb"] < 20, "every case is an upload the page would accept by size"
    assert result["peak_increase_mb"] < LIMIT_MB, result
    if "(hostile)" in case:
        assert result["outcome"].startswith("refused"), result
    else:
        assert result["outcome"].startswith("accepted"), result


if __name__ == "__main__":
    print("| upload | file | outcome | peak memory increase | time |\n|---|---|---|---|---|")
    for name in CASES:
        r = run_case(name)
        print(f"| {r['case']} | {r['file_mb']:.1f} MB | {r['outcome']} | +{r['peak_increase_mb']:.0f} MB "
              f"| {r['seconds']:.1f} s |")
