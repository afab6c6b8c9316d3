"""Export: the reproduce script trains the same model as the app; model, codes CSV and figures download."""

import csv
import io
import os
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from aecore import export, figures
from aecore.config import DataConfig, Experiment, ModelConfig, TrainConfig
from tests.apphelpers import go_to, open_app, train

ROOT = Path(__file__).resolve().parent.parent


def test_the_script_names_only_what_differs_from_the_defaults():
    experiment = Experiment(DataConfig(name="digits-8x8"), ModelConfig(kind="sparse", sparsity_weight=1e-5),
                            TrainConfig(epochs=2))
    script = export.reproduce_script(experiment)
    compile(script, "reproduce_autoencoder.py", "exec")
    assert "DataConfig(name='digits-8x8')" in script
    assert "ModelConfig(kind='sparse', sparsity_weight=1e-05)" in script
    assert "TrainConfig(epochs=2)" in script
    assert len(script.splitlines()) < 45
    upload = export.reproduce_script(Experiment(DataConfig(name="mine", upload_id="abc123")), "mine.npz")
    compile(upload, "reproduce_autoencoder.py", "exec")
    assert "parse_upload" in upload and "'mine.npz'" in upload


def test_codes_csv_has_a_row_per_image_with_labels():
    codes = np.arange(12, dtype=np.float32).reshape(4, 3) / 7
    text = export.codes_csv(codes, np.array([0, 1, 1, 2]), ("zero", "one", "two"))
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0] == ["test_index", "label", "label_name", "code_1", "code_2", "code_3"]
    assert len(rows) == 5
    assert rows[3][:3] == ["2", "1", "one"]
    np.testing.assert_allclose(np.array([r[3:] for r in rows[1:]], dtype=float), codes, rtol=1e-5)
    assert list(csv.reader(io.StringIO(export.codes_csv(codes))))[0][:2] == ["test_index", "code_1"]


def test_figures_export_as_html_and_png():
    fig = figures.loss_curves({"loss": [0.3, 0.2], "val_loss": [0.31, 0.25]}, title="loss")
    html = export.figure_html(fig)
    assert "<html>" in html[:100] and "plotly" in html and len(html) > 1_000_000  # plotly.js is inside
    assert len(export.figure_html(fig, offline=False)) < 100_000
    if not export.png_available():
        pytest.skip("kaleido or Chromium is not installed")
    png = export.figure_png(fig, scale=1)
    assert png[:8] == b"\x89PNG\r\n\x1a\n" and len(png) > 5_000


def test_the_exported_script_reproduces_the_apps_model(tmp_path):
    at = open_app()
    train(at, {"sidebar_dataset": "digits-8x8", "sidebar_code_size": 8, "sidebar_n_hidden_layers": 1,
               "sidebar_first_layer_nodes": 32, "sidebar_epochs": 2})
    result = at.session_state["ae_job"].result
    go_to(at, "pages/export.py")
    assert not at.exception, at.exception
    assert [b.label for b in at.get("download_button")][:3] == [
        "Model (.keras)", "Codes of the test set (.csv)", "Python script (.py)"]
    script = next(c.value for c in at.code if "train_autoencoder" in c.value)
    assert "epochs=2" in script and "digits-8x8" in script
    path = tmp_path / "reproduce_autoencoder.py"
    path.write_text(script)
    env = {**os.environ, "PYTHONPATH": str(ROOT), "AELAB_CACHE_DIR": str(tmp_path / "cache")}
    done = subprocess.run([sys.executable, str(path), str(tmp_path / "again.keras")], cwd=tmp_path, env=env,
                          capture_output=True, text=True, timeout=240)
    assert done.returncode == 0, done.stderr[-2000:]
    mse = float(re.search(r"test_mse=([0-9.]+)", done.stdout).group(1))
    # Same settings and seed: the same model, up to floating-point noise between processes.
    assert mse == pytest.approx(result.test_mse, rel=0.02), (mse, result.test_mse)
    assert (tmp_path / "again.keras").stat().st_size > 10_000

    import keras

    import aecore.models  # noqa: F401  (custom layers)

    exported = tmp_path / "app.keras"
    exported.write_bytes(export.model_bytes(result.model))
    loaded = keras.saving.load_model(exported, compile=False)
    x = result.test_input[:16]
    np.testing.assert_allclose(loaded.predict(x, verbose=0), result.reconstruct(x), atol=1e-5)


def test_exported_figures_get_room_for_tick_labels_and_axis_titles():
    """Inside the app plotly's default template is Streamlit's (placeholder colours, no automatic margins), so
    the exported loss-curve and code-map PNGs had tick labels under their axis titles. An export lays the
    figure out for a file: a real template, margins, automargin and a gap between tick labels and titles."""
    import plotly.io as pio
    import streamlit.elements.plotly_chart  # noqa: F401  (sets Streamlit's plotly template, as in the app)

    from aecore.figures import drawing as drawing_figures

    assert pio.templates.default == "streamlit"
    rng = np.random.default_rng(0)
    loss = figures.loss_curves({"loss": list(np.linspace(0.25, 0.065, 25)), "val_loss": list(np.linspace(0.2, 0.07, 25))},
                               loss_label="binary cross-entropy", best_epoch=20, title="Loss per epoch")
    code_map = drawing_figures.latent_map(rng.normal(size=(300, 2)) * 3, rng.integers(0, 10, 300),
                                          [str(i) for i in range(10)], ("code direction 1", "code direction 2"),
                                          title="Codes of the test images")
    for name, fig in (("loss", loss), ("code-map", code_map)):
        assert "#000001" in str(fig.layout.template.layout.colorway)  # Streamlit's placeholder colours
        out = export.for_export(fig)
        assert "#000001" not in str(out.layout.template.layout.colorway)
        assert out.layout.margin.l >= 70 and out.layout.margin.b >= 60 and out.layout.margin.t >= 50
        axes = [out.layout[key] for key in out.layout if key.startswith(("xaxis", "yaxis"))]
        assert axes and all(axis.automargin is True and axis.title.standoff >= 10 for axis in axes)
        assert fig.layout.margin.l == 10  # the figure shown in the app is left as it is
        assert '"automargin":true' in export.figure_html(out, offline=False).replace(" ", "")
        if export.png_available():
            from tests.browser import ARTIFACTS

            ARTIFACTS.mkdir(parents=True, exist_ok=True)
            png = export.figure_png(fig, scale=1)
            (ARTIFACTS / f"export-{name}.png").write_bytes(png)
            assert png[:8] == b"\x89PNG\r\n\x1a\n"


def test_picking_a_figure_reruns_only_the_figures_part(monkeypatch):
    """Issue 18: the 'Figure' picker reruns its preview and downloads (st.fragment), not the sidebar or the
    page's top; no rerun writes the codes' CSV (it is written when downloaded)."""
    from fragments import move
    from ui import sidebar

    at = open_app()
    train(at, {"sidebar_dataset": "digits-8x8", "sidebar_code_size": 8, "sidebar_n_hidden_layers": 1,
               "sidebar_first_layer_nodes": 32, "sidebar_epochs": 1})
    written, page_runs = [], []
    real_csv, real_sidebar = export.codes_csv, sidebar.draw_sidebar
    monkeypatch.setattr(export, "codes_csv", lambda *a, **k: written.append(1) or real_csv(*a, **k))
    monkeypatch.setattr(sidebar, "draw_sidebar", lambda *a, **k: page_runs.append(1) or real_sidebar(*a, **k))
    go_to(at, "pages/export.py")
    page_runs.clear()
    assert move(at, at.selectbox(key="export_figure"), "Reconstructions"), "'Figure' is not inside a fragment"
    assert not at.exception, at.exception
    assert page_runs == [] and not at.title
    charts = [c for c in at.get("plotly_chart")]
    assert len(charts) == 1 and "reconstruction" in charts[0].proto.spec.lower()
    at.run()
    assert not at.exception, at.exception
    assert at.selectbox(key="export_figure").value == "Reconstructions" and written == []
