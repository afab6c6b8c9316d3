"""The Applications and Limits pages through the real entry point (AppTest): tiny models on digits-8x8."""

import numpy as np

from aecore.config import DataConfig
from aecore.data import load_dataset

from tests.apphelpers import go_to, open_app, plotly_charts, texts, train

APPS = "pages/applications.py"
LIMITS = "pages/limits.py"


def _press_and_wait(at, section: str, timeout: float = 120):
    at.button(key=f"applications_{section}_train").click().run()
    assert not at.exception, at.exception
    job = at.session_state[f"applications_{section}_job"]
    assert job is not None and job.wait(timeout), "the application job did not finish"
    at.run()
    assert not at.exception, at.exception
    return job


def _tiny(at, section: str):
    at.session_state[f"applications_{section}_code"] = 8 if section == "an" else 32
    at.session_state[f"applications_{section}_epochs"] = 2


def test_applications_page_trains_in_the_background_and_keeps_results():
    at = open_app()
    at.session_state["applications_data"] = "digits-8x8"
    go_to(at, APPS)
    page_text = texts(at)
    assert "Applications" in page_text
    assert "Train a model in the sidebar first" in page_text  # feature extraction needs the session's model
    # denoising explains what to do when the session has no model yet
    assert "No model has been trained in this session yet." in page_text
    assert "pick the type **Denoising**" in page_text and "press **Train**" in page_text
    assert "there is none yet" not in page_text and "that model was trained" not in page_text
    previews = len(plotly_charts(at))
    assert previews >= 3  # a preview of each corruption (watermark, down-sampling, colour) before training

    _tiny(at, "wm")
    at.session_state["applications_wm_kind"] = "logo"
    job = _press_and_wait(at, "wm")
    assert job.status == "done"
    result = job.result
    assert result.config.watermark_kind == "logo" and result.config.data == "digits-8x8"
    assert np.isfinite(result.psnr_model) and np.isfinite(result.psnr_unseen_model)
    keys = {getattr(c, "key", None) for c in plotly_charts(at)}
    assert any("applications_wm_grid" in str(k) for k in keys) or len(plotly_charts(at)) > previews
    # the gain where the mark was, next to the whole-image gain, and why they differ (issue 16, projector 5)
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Gain where the mark was"] == f"{result.psnr_mark_model - result.psnr_mark_input:+.1f} dB"
    assert metrics["Gain, whole image"] == f"{result.psnr_model - result.psnr_input:+.1f} dB"
    assert "Where the mark was" in texts(at) and "blurs the digit" in texts(at)
    assert "PSNR, in plain words" in page_text  # dB explained where it first appears

    # the kept result comes back at once: no new job for the same settings
    at.run()
    assert at.session_state["applications_wm_job"] is job

    _tiny(at, "an")
    at.session_state["applications_an_held"] = 3
    job = _press_and_wait(at, "an")
    assert job.status == "done"
    text = texts(at)
    assert "AUC" in text and "Detected" in text
    at.radio(key="applications_an_set").set_value("noise").run()
    assert not at.exception, at.exception
    auc = [m for m in at.metric if m.label == "AUC"][0]
    assert float(auc.value) > 0.9  # random noise is nothing like a digit
    assert "Fashion-MNIST is not available here" in texts(at)


def test_denoising_and_features_use_the_sessions_model():
    at = open_app()
    train(at, {"sidebar_dataset": "digits-8x8", "sidebar_code_size": 8, "sidebar_n_hidden_layers": 1,
               "sidebar_first_layer_nodes": 32, "sidebar_epochs": 3, "sidebar_kind": "denoising",
               "sidebar_noise_level": 0.3})
    at.session_state["applications_data"] = "digits-8x8"
    go_to(at, APPS)
    assert "PSNR gain" in texts(at)
    at.button(key="applications_feat_train").click().run()
    job = at.session_state["applications_feat_job"]
    assert job.wait(120)
    at.run()
    assert not at.exception, at.exception
    rows = job.result
    n_train = len(load_dataset(DataConfig(name="digits-8x8")).x_train)
    assert {r["labels"] for r in rows} == {100, 1000, n_train}
    assert len(rows) == 9 and all(0.1 <= r["accuracy"] <= 1 for r in rows)
    assert len(at.dataframe) == 1
    assert "With only 100 labels" in texts(at)


def test_limits_page_compares_inputs_and_compression():
    at = open_app()
    go_to(at, LIMITS)
    assert "No model yet. Choose settings in the sidebar and press **Train**" in texts(at)
    train(at)
    go_to(at, LIMITS)
    at.radio(key="limits_compress_view").set_value("bytes").run()  # the nominal-bytes view
    text = texts(at)
    from aecore.ood import fashion_cached  # conftest's empty keras cache: missing, unless KERAS_HOME has it
    left_out = "**Fashion-MNIST** is left out: Fashion-MNIST has not been downloaded on this server"
    assert (left_out in text) != fashion_cached() and "Fashion-MNIST" in text
    assert "Letters" in text or "letters" in text
    assert len(plotly_charts(at)) >= 2
    job = at.session_state["limits_rd_job"]
    assert job.wait(120)
    at.run()
    assert not at.exception, at.exception
    points = job.result
    methods = {p.method for p in points}
    assert {"your autoencoder", "PCA", "JPEG", "JPEG (shared tables)", "PNG", "gzip"} <= methods
    assert len(plotly_charts(at)) >= 3
    text = texts(at)
    assert "Who wins where" in text and "at MSE ≤ 0.01" in text

    at.radio(key="limits_rd_images").set_value("photos").run()
    job = at.session_state["limits_rd_job"]
    assert job.wait(120)
    at.run()
    assert not at.exception, at.exception
    assert "JPEG wins on photos" in texts(at)
    photos = {(p.method, p.setting): p for p in job.result}
    digits_ae = photos[("your autoencoder", "8 numbers, float32")]
    best_jpeg = min((p for p in job.result if p.method == "JPEG"), key=lambda p: p.mse)
    assert best_jpeg.mse < digits_ae.mse  # a digit model cannot describe photo texture


def test_a_tabs_control_reruns_only_its_tab(monkeypatch):
    """Issue 18: moving 'Opacity' reruns the watermark tab alone (its st.fragment), as the browser asks, not
    the sidebar, the page's top or the other tabs; its preview shows the new opacity."""
    from fragments import move
    from ui import sidebar

    at = open_app()
    at.session_state["applications_data"] = "digits-8x8"
    go_to(at, APPS)
    before = next(c for c in plotly_charts(at) if "applications_wm_preview" in str(c.key)).proto.spec
    sidebar_calls = []
    real_sidebar = sidebar.draw_sidebar
    monkeypatch.setattr(sidebar, "draw_sidebar", lambda *a, **k: sidebar_calls.append(1) or real_sidebar(*a, **k))
    assert move(at, at.slider(key="applications_wm_opacity"), 0.5), "'Opacity' is not inside a fragment"
    assert not at.exception, at.exception
    assert sidebar_calls == [] and not at.title, "the sidebar or the page's top ran again"
    keys = [str(c.key) for c in plotly_charts(at)]
    assert keys == ["applications_wm_preview"], keys  # not the other tabs' previews
    assert plotly_charts(at)[0].proto.spec != before
    at.run()  # a whole-page run keeps the moved value
    assert at.session_state["applications_wm_opacity"] == 0.5 and sidebar_calls == [1]


def test_previews_are_drawn_once_for_the_whole_server(monkeypatch):
    """Issue 18: a second session on the same images and settings reuses the previews the first one drew."""
    from aecore.figures import applications as figures

    drawn = []
    real = figures.picture_rows
    monkeypatch.setattr(figures, "picture_rows", lambda *a, **k: drawn.append(1) or real(*a, **k))
    sessions = []
    for _ in range(2):
        at = open_app()
        at.session_state["applications_data"] = "digits-8x8"
        at.session_state["applications_wm_opacity"] = 0.3  # settings no other test draws first
        sessions.append(go_to(at, APPS))
        drawn.append("session")
    first, second = " ".join(map(str, drawn)).split("session")[:2]
    assert first.split() and not second.split(), drawn
    specs = [[c.proto.spec for c in plotly_charts(at)] for at in sessions]
    assert specs[0] == specs[1]
