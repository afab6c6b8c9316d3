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


def test_train_pressed_while_the_warm_up_imports_tensorflow():
    """The app's warm-up thread and a job worker both start the first TensorFlow import at once (Train
    pressed right after the page appeared): the job must train, and neither thread may hit a half-imported
    module (seen as _DeadlockError / "partially initialized module" before every job thread took the lock)."""
    code = """
import sys, threading, os
os.environ["AELAB_CACHE_DIR"] = sys.argv[1]
from aecore import jobs, runtime
from aecore.config import DataConfig, Experiment, ModelConfig, TrainConfig
from aecore.data import load_dataset
from aecore.train import train_autoencoder
dataset = load_dataset(DataConfig(name="digits-8x8"))
experiment = Experiment(DataConfig(name="digits-8x8"), ModelConfig(code_size=8, n_hidden_layers=1, first_layer_nodes=32),
                        TrainConfig(epochs=2, batch_size=64))
errors = []
def warm_up():
    try:
        runtime.import_tensorflow()
    except BaseException as exc:
        errors.append(repr(exc))
warm = threading.Thread(target=warm_up)
queue = jobs.app_queue()
warm.start()
job = queue.submit(experiment.key(), lambda report, cancel: train_autoencoder(experiment, dataset, report, cancel))
job.wait(240)
warm.join(240)
print(job.status, job.error, errors)
sys.exit(0 if job.status == jobs.DONE and not errors else 1)
"""
    import tempfile

    with tempfile.TemporaryDirectory() as cache:
        run = subprocess.run([sys.executable, "-c", code, cache], cwd=ROOT, capture_output=True, text=True,
                             timeout=300)
    assert run.returncode == 0, run.stdout[-2000:] + run.stderr[-2000:]


def test_modules_that_plotly_probes_are_imported_by_the_thread_that_starts_background_work():
    """plotly reads pandas and PIL.Image from sys.modules while drawing; a job or the warm-up thread importing
    them at that moment left them half-initialised ("partially initialized module 'pandas' has no attribute
    'Series'", seen as a broken page). Submitting a job imports them first, completely, in the caller."""
    code = """
import sys
from aecore import jobs
assert "pandas" not in sys.modules, "pandas was already imported: the test proves nothing"
queue = jobs.app_queue()
job = queue.submit("k", lambda report, cancel: 1)
assert hasattr(sys.modules["pandas"], "Series") and hasattr(sys.modules["PIL.Image"], "open")
assert job.wait(240) and job.result == 1
"""
    run = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stdout[-2000:] + run.stderr[-2000:]
