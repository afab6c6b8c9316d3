"""Shared fixtures: an isolated cache directory and small data sets (tests never need the network)."""

import os
import tempfile

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
