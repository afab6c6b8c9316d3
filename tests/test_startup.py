"""The first page paints without waiting on TensorFlow: nothing on the start-up path imports it."""

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_startup_modules_do_not_import_tensorflow():
    code = (
        "import sys; import ui.sidebar, ui.training, ui.state, ui.theme, aecore.figures, aecore.architecture, "
        "aecore.data, aecore.jobs, aecore.config; "
        "heavy = [m for m in ('tensorflow', 'keras') if m in sys.modules]; "
        "print(heavy); sys.exit(1 if heavy else 0)"
    )
    run = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, f"start-up imports pull in {run.stdout.strip()}: import them lazily"


def test_home_page_source_does_not_import_tensorflow():
    for page in ("pages/home.py",):
        text = (ROOT / page).read_text()
        assert "import tensorflow" not in text and "import keras" not in text
