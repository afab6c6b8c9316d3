"""Two runs side by side (A/B): same start, same data order, in step, deterministic; figures; the page."""

from __future__ import annotations

import threading

import numpy as np
import pytest

from aecore import ab_runs
from aecore.config import DataConfig, Experiment, ModelConfig, TrainConfig
from aecore.figures import ab as F


@pytest.fixture(scope="module")
def base():
    return Experiment(DataConfig(name="digits-8x8"), ModelConfig(code_size=8, n_hidden_layers=1, first_layer_nodes=32),
                      TrainConfig(epochs=2, batch_size=64))


@pytest.fixture(scope="module")
def noise_pair(base, digits):
    b = ab_runs.make_b(base, "noise_level", 0.3)
    reports = []
    result = ab_runs.train_pair(base, b, digits, "noise_level", progress=reports.append)
    return result, reports


@pytest.mark.unit
@pytest.mark.parametrize("setting,value", [("noise_level", 0.3), ("learning_rate", 0.01), ("loss", "mse"),
                                           ("activation", "tanh")])
def test_non_architectural_setting_starts_from_identical_weights(base, digits, setting, value):
    b = ab_runs.make_b(base, setting, value)
    assert ab_runs.SETTINGS[setting].value_of(b) == value and b != base
    wa = ab_runs.build_run(base, digits).autoencoder.get_weights()
    wb = ab_runs.build_run(b, digits).autoencoder.get_weights()
    assert len(wa) == len(wb)
    for x, y in zip(wa, wb):
        np.testing.assert_array_equal(x, y)
    # and a different seed gives different weights (the test above is not trivially true)
    wc = ab_runs.build_run(base.replace(train=base.train.replace(seed=1)), digits).autoencoder.get_weights()
    assert any(not np.array_equal(x, y) for x, y in zip(wa, wc))


@pytest.mark.unit
def test_trained_pair_reports_same_start_and_same_order(noise_pair):
    result, reports = noise_pair
    assert result.same_start and result.a.initial_digest == result.b.initial_digest
    assert result.same_order and len(result.a.order_digests) == 2
    assert result.a.order_digests[0] != result.a.order_digests[1]  # reshuffled every epoch
    # in step: one report per epoch both completed, each with both runs' losses
    assert [r.epoch for r in reports] == [1, 2]
    assert all({"loss", "val_loss", "b_loss", "b_val_loss"} <= set(r.logs) for r in reports)
    assert [r.logs["b_loss"] for r in reports] == result.b.history["loss"]
    assert result.epochs_run == 2 and result.stopped == "completed"
    # B's setting took effect: B trained on noisy inputs, A on clean ones
    assert np.array_equal(result.a.test_input, result.a.test_input.clip(0, 1))
    assert not np.allclose(result.b.test_input, result.a.test_input)
    assert np.isfinite(result.a.test_mse) and np.isfinite(result.b.test_mse)
    assert result.difference().shape == result.a.test_reconstruction.shape


@pytest.mark.unit
def test_epoch_order_depends_on_seed_and_epoch_only():
    o = ab_runs.epoch_order(100, 32, seed=3, epoch=0)
    assert len(o) == 96 and len(set(o)) == 96  # the last partial batch is dropped
    assert np.array_equal(o, ab_runs.epoch_order(100, 32, seed=3, epoch=0))
    assert not np.array_equal(o, ab_runs.epoch_order(100, 32, seed=3, epoch=1))
    assert not np.array_equal(o, ab_runs.epoch_order(100, 32, seed=4, epoch=0))


@pytest.mark.unit
def test_results_are_deterministic(base, digits, noise_pair):
    first, _ = noise_pair
    again = ab_runs.train_pair(base, ab_runs.make_b(base, "noise_level", 0.3), digits, "noise_level")
    assert again.a.history == first.a.history and again.b.history == first.b.history
    assert again.a.test_mse == first.a.test_mse and again.b.test_mse == first.b.test_mse


@pytest.mark.unit
def test_architectural_change_shares_seed_and_order_but_not_shapes(base, digits):
    b = ab_runs.make_b(base, "code_size", 4)
    result = ab_runs.train_pair(base.replace(train=base.train.replace(epochs=1)), b, digits, "code_size")
    assert result.b.experiment.model.code_size == 4 and result.b.experiment.train.epochs == 1
    assert not result.same_start and result.same_order
    # the layers before the code have the same shapes: built from one seed they start identical
    wa = ab_runs.build_run(base, digits).encoder.get_weights()
    wb = ab_runs.build_run(b, digits).encoder.get_weights()
    np.testing.assert_array_equal(wa[0], wb[0])


@pytest.mark.unit
def test_stop_before_first_epoch_and_bad_pairs(base, digits):
    from aecore.train import TrainingCancelled

    cancel = threading.Event()
    cancel.set()
    with pytest.raises(TrainingCancelled):
        ab_runs.train_pair(base, ab_runs.make_b(base, "learning_rate", 0.01), digits, cancel=cancel)
    with pytest.raises(ValueError, match="same as A"):
        ab_runs.train_pair(base, base, digits)
    with pytest.raises(ValueError, match="Run B cannot train"):
        ab_runs.train_pair(base, ab_runs.make_b(base, "code_size", 64), digits)  # 64 ≥ 8×8 inputs
    with pytest.raises(ValueError, match="Unknown setting"):
        ab_runs.make_b(base, "colour", 1)


@pytest.mark.unit
def test_stop_after_an_epoch_keeps_both_in_step(base, digits):
    cancel = threading.Event()
    a = base.replace(train=base.train.replace(epochs=5))
    result = ab_runs.train_pair(a, ab_runs.make_b(a, "learning_rate", 0.01), digits,
                                progress=lambda report: cancel.set() if report.epoch == 2 else None, cancel=cancel)
    assert result.stopped == "cancelled" and result.epochs_run == 2
    assert len(result.a.history["loss"]) == len(result.b.history["loss"]) == 2


@pytest.mark.unit
def test_figures(noise_pair):
    result, _ = noise_pair
    fig = F.ab_loss_curves(result.a.history, result.b.history, "A", "B", epochs=2)
    names = [t.name for t in fig.data]
    assert len(fig.data) == 4 and names[0].startswith("A") and names[2].startswith("B")
    a_line, b_line = fig.data[0].line, fig.data[2].line
    assert a_line.color == F.A_COLOUR and b_line.color == F.B_COLOUR and a_line.dash != b_line.dash
    grid = F.ab_images(result.a.test_input[:6], result.a.test_reconstruction[:6], result.b.test_reconstruction[:6],
                       "A", "B", inputs_b=result.b.test_input[:6])
    assert len(grid.data) == 5  # test images, what B sees, A, B, |A − B|
    heat = F.difference_map(result.a.test_reconstruction, result.b.test_reconstruction)
    assert heat.data[0].z.shape == (8, 8)
    np.testing.assert_allclose(np.asarray(heat.data[0].z).mean(), result.difference().mean(), rtol=1e-5)


# --- the page, through the real entry point ----------------------------------------------------------------

PAGE = "pages/ab_runs.py"


@pytest.mark.app
def test_page_trains_a_and_b_and_shows_both():
    import json

    from tests.apphelpers import TINY_SETTINGS, go_to, open_app, plotly_charts, set_sidebar, texts

    at = open_app()
    set_sidebar(at, **{**TINY_SETTINGS, "sidebar_epochs": 2})
    go_to(at, PAGE)
    assert "Train A and B" in [b.label for b in at.button]
    at.selectbox(key="ab_runs_setting").set_value("noise_level").run()
    assert not at.exception, at.exception
    at.selectbox(key="ab_runs_value_noise_level").set_value(0.3).run()
    at.button(key="ab_runs_train").click().run()
    assert not at.exception, at.exception
    job = at.session_state["ab_runs_job"]
    assert job.wait(180), "A/B training did not finish in time"
    at.run()
    assert not at.exception, at.exception
    assert not at.error, [e.value for e in at.error]
    assert job.status == "done", job.error
    text = texts(at)
    assert "identical weights" in text and "B: test MSE" in text
    charts = plotly_charts(at)
    assert len(charts) == 3  # loss curves, images through both, difference map
    traces = json.loads(charts[0].proto.spec)["data"]
    assert [t["name"].split(":")[0] for t in traces] == ["A (noise level 0)"] * 2 + ["B (noise level 0.3)"] * 2
    assert all(len(t["y"]) == 2 for t in traces)
    result = job.result
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["A: test MSE"] == f"{result.a.test_mse:.4f}" and metrics["B: test MSE"] == f"{result.b.test_mse:.4f}"


@pytest.mark.app
def test_page_refuses_an_impossible_b_with_one_message():
    from tests.apphelpers import TINY_SETTINGS, go_to, open_app, set_sidebar

    at = open_app()
    set_sidebar(at, **TINY_SETTINGS)
    go_to(at, PAGE)
    at.selectbox(key="ab_runs_setting").set_value("code_size").run()
    at.selectbox(key="ab_runs_value_code_size").set_value(64).run()  # not smaller than the 64 inputs
    at.button(key="ab_runs_train").click().run()
    assert not at.exception, at.exception
    assert len(at.error) == 1 and "Run B cannot train" in at.error[0].value
    assert st_job(at) is None


@pytest.mark.app
def test_page_stop_keeps_the_epochs_both_completed(monkeypatch):
    # long enough to press Stop mid-way; the time limit must not refuse it on a loaded machine
    monkeypatch.setenv("AELAB_MAX_JOB_SECONDS", "3600")
    import json
    import time

    from tests.apphelpers import TINY_SETTINGS, go_to, open_app, plotly_charts, set_sidebar, texts

    at = open_app()
    set_sidebar(at, **{**TINY_SETTINGS, "sidebar_epochs": 40, "sidebar_batch_size": 32})
    go_to(at, PAGE)
    at.selectbox(key="ab_runs_setting").set_value("learning_rate").run()
    at.button(key="ab_runs_train").click().run()
    assert not at.exception, at.exception
    job = at.session_state["ab_runs_job"]
    deadline = time.time() + 120
    while job.latest is None and time.time() < deadline:
        time.sleep(0.2)
    assert job.latest is not None, "no epoch finished"
    at.run()
    assert at.button(key="ab_runs_stop").disabled is False
    # while it trains: both runs' curves so far, live, on one chart
    live = [c for c in plotly_charts(at) if "Loss per epoch, A and B" in c.proto.spec]
    assert len(live) == 1
    names = [t["name"] for t in json.loads(live[0].proto.spec)["data"]]
    assert any(n.startswith("A (learning rate") for n in names) and any(n.startswith("B (learning rate") for n in names)
    at.button(key="ab_runs_stop").click().run()
    assert job.wait(60)
    at.run()
    assert not at.exception, at.exception
    assert job.status == "cancelled" and job.result is not None
    assert 1 <= job.result.epochs_run < 40
    assert len(job.result.a.history["loss"]) == len(job.result.b.history["loss"]) == job.result.epochs_run
    assert f"Stopped after {job.result.epochs_run} epoch(s)" in texts(at)


@pytest.mark.unit
def test_modules_import_neither_tensorflow_nor_streamlit():
    import subprocess
    import sys
    from pathlib import Path

    code = ("import sys, aecore.ab_runs, aecore.figures.ab; "
            "sys.exit(1 if {'tensorflow', 'keras', 'streamlit'} & set(sys.modules) else 0)")
    run = subprocess.run([sys.executable, "-c", code], cwd=Path(__file__).resolve().parent.parent, timeout=120)
    assert run.returncode == 0
    page = (Path(__file__).resolve().parent.parent / "pages" / "ab_runs.py").read_text()
    assert "import keras" not in page and "import tensorflow" not in page and len(page.splitlines()) < 250


@pytest.mark.app
def test_page_refuses_a_pair_over_the_time_limit(monkeypatch):
    from tests.apphelpers import TINY_SETTINGS, go_to, open_app, set_sidebar

    monkeypatch.setenv("AELAB_MAX_JOB_SECONDS", "1")
    at = open_app()
    set_sidebar(at, **{**TINY_SETTINGS, "sidebar_epochs": 100})
    go_to(at, PAGE)
    at.button(key="ab_runs_train").click().run()
    assert not at.exception, at.exception
    assert len(at.error) == 1 and "Two runs take twice as long as one" in at.error[0].value
    assert st_job(at) is None


def st_job(at):
    return at.session_state["ab_runs_job"] if "ab_runs_job" in at.session_state else None
