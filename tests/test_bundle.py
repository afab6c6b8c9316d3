"""The lesson bundle: one .zip that reproduces a run; its notebook retrains to the same test MSE (within 2 %)."""

import io
import json
import time
import zipfile

import pytest

from aecore import bundle, export
from aecore.config import DataConfig, Experiment, ModelConfig, TrainConfig
from tests.apphelpers import go_to, open_app, train

LINK = "http://localhost:8501/export?data=digits-8x8&code=8&layers=1&nodes=32&epochs=2"
TINY = Experiment(DataConfig(name="digits-8x8"), ModelConfig(code_size=8, n_hidden_layers=1, first_layer_nodes=32),
                  TrainConfig(epochs=2))


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    """One tiny run and its bundle, shared by the tests below (training and PNG export take seconds)."""
    from aecore.data import load_dataset
    from aecore.train import train_autoencoder

    dataset = load_dataset(TINY.data)
    result = train_autoencoder(TINY, dataset)
    start = time.perf_counter()
    data = bundle.build_bundle(result, dataset, LINK)
    seconds = time.perf_counter() - start
    folder = tmp_path_factory.mktemp("bundle")
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        archive.extractall(folder)
    print(f"bundle built in {seconds:.1f} s, {len(data) / 1e3:.0f} kB")
    return result, dataset, data, folder


def test_the_zip_holds_every_listed_file(built):
    result, dataset, data, folder = built
    names = zipfile.ZipFile(io.BytesIO(data)).namelist()
    listed = [bundle.NOTEBOOK, bundle.SETTINGS, bundle.LINK, bundle.MODEL, bundle.CODES, bundle.SCRIPT, bundle.README]
    ext = "png" if export.png_available() else "html"
    listed += [f"figures/{name}.{ext}" for name in bundle.FIGURE_NAMES]
    assert sorted(names) == sorted(listed)
    assert (folder / bundle.LINK).read_text().strip() == LINK
    readme = (folder / bundle.README).read_text()
    assert all(name in readme for name in listed if name != bundle.README)
    codes = (folder / bundle.CODES).read_text().splitlines()
    assert len(codes) == len(dataset.x_test) + 1 and codes[0].endswith("code_8")
    if ext == "png":
        for name in bundle.FIGURE_NAMES:
            assert (folder / f"figures/{name}.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert (folder / bundle.MODEL).stat().st_size > 10_000
    assert "train_autoencoder" in (folder / bundle.SCRIPT).read_text()


def test_settings_json_round_trips_to_the_same_experiment(built):
    result, _, _, folder = built
    settings = json.loads((folder / bundle.SETTINGS).read_text())
    again = bundle.experiment_from_dict(settings["experiment"])
    assert again == result.experiment and again.key() == settings["key"] == TINY.key()
    assert settings["seed"] == TINY.train.seed and settings["share_link"] == LINK
    assert settings["result"]["test_mse"] == pytest.approx(result.test_mse)
    assert len(settings["result"]["history"]["loss"]) == result.epochs_run


def test_the_notebook_reloads_the_model_and_retrains_to_the_same_test_mse(built, tmp_path, monkeypatch):
    """Executes lesson.ipynb with nbclient on the venv's python3 kernel (ipykernel's spec: jupyter_client starts
    it with this interpreter); the notebook finds aecore through PYTHONPATH, as in the app's folder."""
    import nbclient
    import nbformat

    from tests.test_export import ROOT

    result, _, _, folder = built
    monkeypatch.setenv("PYTHONPATH", str(ROOT))
    monkeypatch.setenv("AELAB_CACHE_DIR", str(tmp_path / "cache"))
    notebook = nbformat.read(folder / bundle.NOTEBOOK, as_version=4)
    nbclient.NotebookClient(notebook, timeout=300, kernel_name="python3",
                            resources={"metadata": {"path": str(folder)}}).execute()
    numbers = json.loads((folder / bundle.REPRODUCTION).read_text())
    # The bundled model, loaded again, measures the app's test MSE; retrained from scratch, the same within 2 %.
    assert numbers["bundled_test_mse"] == pytest.approx(result.test_mse, rel=1e-4)
    assert numbers["retrained_test_mse"] == pytest.approx(result.test_mse, rel=bundle.TOLERANCE)
    printed = "".join(out.get("text", "") for cell in notebook.cells if cell.cell_type == "code"
                      for out in cell.outputs)
    assert f"bundled model test MSE   {numbers['bundled_test_mse']:.6f}" in printed
    assert f"retrained test MSE       {numbers['retrained_test_mse']:.6f}" in printed
    plotted = [out for cell in notebook.cells for out in cell.get("outputs", [])
               if "application/vnd.plotly.v1+json" in out.get("data", {})]
    assert len(plotted) == 2  # loss curves and reconstructions, drawn again
    print(f"test MSE: app {result.test_mse:.6f}, notebook's bundled {numbers['bundled_test_mse']:.6f}, "
          f"retrained {numbers['retrained_test_mse']:.6f}")


@pytest.mark.app
def test_the_export_page_offers_the_lesson_bundle():
    at = open_app()
    train(at, {"sidebar_dataset": "digits-8x8", "sidebar_code_size": 8, "sidebar_n_hidden_layers": 1,
               "sidebar_first_layer_nodes": 32, "sidebar_epochs": 1})
    go_to(at, "pages/export.py")
    assert not at.exception, at.exception
    labels = [b.label for b in at.get("download_button")]
    assert "Lesson bundle (.zip)" in labels
    assert labels.index("Lesson bundle (.zip)") < labels.index("Interactive HTML")
