"""What a page thread computes must not import TensorFlow or Keras: only the job queue's workers import it,
through runtime.import_tensorflow, so two threads never start the import at once. tests/conftest.py imports
TensorFlow first, so this runs in a fresh process, as the app starts."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.unit

ROOT = Path(__file__).resolve().parent.parent

# What the sidebar (ui.training.estimate_seconds → model_size) and the Family page
# (family.estimate_train_seconds, architecture.model_layers) compute for a convolutional model.
PAGE_THREAD = """
import sys
import numpy as np
from aecore import architecture, family
from aecore.config import Experiment, ModelConfig
from aecore.data import Dataset
from ui import training

x = np.zeros((10, 28, 28), np.float32)
y = np.zeros(10, np.int64)
dataset = Dataset("fake", x, y, x, y, x, y, tuple("0123456789"))
model = ModelConfig(kind="conv")
training.estimate_seconds(Experiment(model=model), dataset)
training.model_size(model, (28, 28, 3))
family.estimate_train_seconds(model, (28, 28), 5000, 20)
architecture.model_layers(model, (28, 28))
print(sorted(m for m in ("tensorflow", "keras") if m in sys.modules))
"""


def test_conv_time_estimate_imports_no_tensorflow():
    done = subprocess.run([sys.executable, "-c", PAGE_THREAD], cwd=ROOT, capture_output=True, text=True,
                          timeout=120, env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip().splitlines()[-1] == "[]"
