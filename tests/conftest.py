"""Shared fixtures: an isolated cache directory and small data sets (tests never need the network)."""

import contextlib
import os
import sys
import tempfile
import types

import pytest

# Before any aecore import: keep test runs out of the user's cache and keras home.
_TMP = tempfile.mkdtemp(prefix="aelab-test-")
os.environ.setdefault("AELAB_CACHE_DIR", os.path.join(_TMP, "cache"))
os.environ.setdefault("KERAS_HOME", os.path.join(_TMP, "keras"))
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

# The app imports TensorFlow in a warm-up thread; under pytest's assertion rewriting a first import in a
# thread can crash ("AST constructor recursion depth mismatch"), so the main thread imports it first.
import tensorflow  # noqa: E402,F401


@pytest.fixture(scope="session")
def digits():
    from aecore.config import DataConfig
    from aecore.data import load_dataset

    return load_dataset(DataConfig(name="digits-8x8"))


@pytest.fixture(scope="session")
def mnist5k():
    from aecore.config import DataConfig
    from aecore.data import load_dataset

    return load_dataset(DataConfig())


@pytest.fixture
def tiny_experiment():
    """A model that trains on digits-8x8 in about a second."""
    from aecore.config import DataConfig, Experiment, ModelConfig, TrainConfig

    return Experiment(DataConfig(name="digits-8x8"),
                      ModelConfig(code_size=8, n_hidden_layers=1, first_layer_nodes=32),
                      TrainConfig(epochs=3, batch_size=64, early_stopping=False))


@pytest.fixture(scope="module")
def browser():
    """Headless Debian chromium driven by Playwright (the real-browser tests); skipped where it is missing,
    except in CI, where .ci/run installs it and a missing browser must fail."""
    from tests.browser import ARTIFACTS, CHROMIUM, CHROMIUM_ARGS

    if not os.path.exists(CHROMIUM) and not os.environ.get("CI"):
        pytest.skip("Debian's chromium is not installed (.ci/run installs it)")
    from playwright.sync_api import sync_playwright

    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as p:
        launched = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield launched
        launched.close()


@pytest.fixture(scope="module")
def server_url():
    """One app server (`streamlit run app.py` on a free port) shared by a browser test file's tests."""
    from tests.browser import streamlit_server

    with streamlit_server() as url:
        yield url


@contextlib.contextmanager
def _warmed_local_cluster(n_workers: int, env: dict[str, str] | None = None):
    """A Dask LocalCluster of ``n_workers`` worker processes (one thread each), every worker warmed: TensorFlow
    imported and one epoch trained on digits-8x8, in parallel (as `make warm` does for the app). ``env`` is set
    while the workers start (they inherit it), then restored."""
    import distributed

    from aecore import distributed as remote

    def warm():  # nested: pickled by value, so a worker does not import this conftest (its temp directory)
        from aecore.config import DataConfig, Experiment, ModelConfig, TrainConfig
        from aecore.data import load_dataset
        from aecore.train import train_autoencoder

        exp = Experiment(DataConfig(name="digits-8x8"),
                         ModelConfig(code_size=2, n_hidden_layers=1, first_layer_nodes=8),
                         TrainConfig(epochs=1, batch_size=256, early_stopping=False))
        return train_autoencoder(exp, load_dataset(exp.data)).epochs_run

    env = env or {}
    saved = {k: os.environ.get(k) for k in env}
    os.environ.update(env)
    # Worker processes are spawned, and a spawned child re-runs the parent's __main__ by its file. After an
    # AppTest that is app.py (Streamlit's script runner leaves it there), which fails outside Streamlit: give
    # the children an empty __main__ while the cluster lives (the nanny respawns killed workers too).
    real_main = sys.modules["__main__"]
    sys.modules["__main__"] = types.ModuleType("__main__")
    try:
        cluster = distributed.LocalCluster(n_workers=n_workers, processes=True, threads_per_worker=1,
                                           dashboard_address=None, silence_logs=40)
        with distributed.Client(cluster) as client:
            client.gather([client.submit(warm, workers=[w], allow_other_workers=False, pure=False)
                           for w in client.scheduler_info()["workers"]])
    finally:
        for k, v in saved.items():
            os.environ.pop(k, None) if v is None else os.environ.__setitem__(k, v)
    try:
        yield cluster
    finally:
        remote.close_clients()
        cluster.close()
        sys.modules["__main__"] = real_main


@pytest.fixture(scope="session")
def warmed_local_cluster():
    """Starts a test module's Dask cluster: ``with warmed_local_cluster(n_workers, env) as cluster`` in the
    module's own module-scoped ``cluster`` fixture (one cluster per module, its size the module's choice)."""
    return _warmed_local_cluster


@pytest.fixture
def client(cluster):
    """A client of the requesting module's ``cluster``."""
    import distributed

    with distributed.Client(cluster.scheduler_address, set_as_default=False) as client:
        yield client
