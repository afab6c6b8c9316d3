"""Pages read like a description of what the student sees: short, and no job queue or TensorFlow in them
(issue 12). Background jobs go through ui.job_panel; drawing lives in ui/ modules."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

pytestmark = pytest.mark.unit

PAGES = Path(__file__).resolve().parent.parent / "pages"
MAX_LINES = 250
FORBIDDEN = ("aecore.jobs", "keras", "tensorflow")
PAGE_FILES = sorted(path.name for path in PAGES.glob("*.py"))


def imported_modules(path: Path) -> set[str]:
    names = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
            names.update(f"{node.module}.{alias.name}" for alias in node.names)
    return names


@pytest.mark.parametrize("name", PAGE_FILES)
def test_page_is_short(name):
    lines = len((PAGES / name).read_text().splitlines())
    assert lines <= MAX_LINES, f"pages/{name} has {lines} lines (at most {MAX_LINES})"


@pytest.mark.parametrize("name", PAGE_FILES)
def test_page_imports_no_job_queue_and_no_tensorflow(name):
    bad = {m for m in imported_modules(PAGES / name) if any(m == f or m.startswith(f + ".") for f in FORBIDDEN)}
    assert not bad, f"pages/{name} imports {sorted(bad)}"


def test_every_page_is_checked():
    assert {"home.py", "latent_space.py", "limits.py", "pca_vs_ae.py"} <= set(PAGE_FILES) and len(PAGE_FILES) >= 15
