"""Page tests through the real entry point: sidebar, training job, pages."""

import re
import time

from tests.apphelpers import TINY_SETTINGS, go_to, open_app, plotly_charts, set_sidebar, texts, train


def test_home_paints_without_a_model_and_draws_the_architecture():
    at = open_app()
    assert "Autoencoder Lab" in texts(at)
    assert plotly_charts(at), "the architecture diagram is missing"
    assert at.button(key="sidebar_train").label == "Train"  # at.button raises KeyError when it is missing


def test_home_architecture_follows_the_sidebar():
    at = open_app()
    set_sidebar(at, sidebar_code_size=2)
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Code numbers"] == "2"
    assert metrics["Compression"] == "392.0 : 1"


def test_train_through_the_ui_then_find_the_grid():
    at = open_app()
    train(at)
    job = at.session_state["ae_job"]
    assert job.status == "done" and job.result.epochs_run >= 1
    go_to(at, "pages/reconstruction.py")
    assert len(plotly_charts(at)) >= 2  # grid and error histogram
    assert "Test MSE" in texts(at)
    go_to(at, "pages/training.py")
    assert plotly_charts(at)


def test_pages_explain_when_there_is_no_model():
    at = open_app()
    go_to(at, "pages/reconstruction.py")
    assert "No model yet. Choose settings in the sidebar and press **Train**" in texts(at)


def test_impossible_settings_give_one_clear_error():
    at = open_app()
    set_sidebar(at, sidebar_dataset="digits-8x8", sidebar_code_size=100)
    at.button(key="sidebar_train").click().run()
    errors = [e.value for e in at.error]
    assert len(errors) == 1 and "not smaller than the input" in errors[0]
    assert not at.exception


def test_changing_a_slider_after_training_marks_the_model_out_of_date():
    at = open_app()
    train(at)
    set_sidebar(at, sidebar_code_size=4)
    go_to(at, "pages/reconstruction.py")
    assert any("changed since this model was trained" in w.value for w in at.warning)


def _train_slowly(at, **extra):
    """Press Train on a digits model that trains for a while (many epochs) and wait for its first epoch."""
    settings = {**TINY_SETTINGS, "sidebar_epochs": 200, "sidebar_early_stopping": False, **extra}
    set_sidebar(at, **settings)
    at.button(key="sidebar_train").click().run()
    assert not at.exception, at.exception
    job = at.session_state["ae_job"]
    deadline = time.time() + 60
    while not job.reports and job.active and time.time() < deadline:
        time.sleep(0.1)
    assert job.active and job.reports, job
    return job


def test_stop_is_enabled_in_the_run_that_starts_training_and_stops_it():
    """Bug 1 of issue 16: the sidebar decided "running" before handling the Train click, so Stop stayed
    greyed out through the whole training."""
    at = open_app()
    set_sidebar(at, **{**TINY_SETTINGS, "sidebar_epochs": 200, "sidebar_early_stopping": False})
    at.button(key="sidebar_train").click().run()
    job = at.session_state["ae_job"]
    try:
        assert job.active
        assert not at.button(key="sidebar_stop").disabled, "Stop is greyed out right after Train"
        at.button(key="sidebar_stop").click().run()
        assert job.wait(60) and job.status == "cancelled"
    finally:
        job.cancel()
    at.run()
    assert at.button(key="sidebar_stop").disabled  # the job ended: nothing to stop


def test_live_loss_chart_names_the_running_jobs_loss():
    """Bug 2 of issue 16: while training with binary cross-entropy the live chart said mean squared error."""
    import json

    at = open_app()
    go_to(at, "pages/training.py")
    job = _train_slowly(at, sidebar_loss="bce")
    try:
        at.run()
        charts = [c for c in plotly_charts(at) if "Loss per epoch" in c.proto.spec]
        assert charts, "no live loss chart while training"
        figure = json.loads(charts[0].proto.spec)
        names = " ".join(trace.get("name", "") for trace in figure["data"])
        assert "binary cross-entropy" in names and "mean squared error" not in names, names
        assert "binary cross-entropy" in json.dumps(figure["layout"]).lower()
    finally:
        job.cancel()
        job.wait(60)


def test_a_training_over_the_time_limit_is_refused_naming_the_settings(monkeypatch):
    """Issue 17 §5: one student's huge job must not block the class; the message says what to lower."""
    from aecore import jobs

    monkeypatch.setenv("AELAB_MAX_JOB_SECONDS", "60")
    at = open_app()
    set_sidebar(at, sidebar_dataset="mnist-5k", sidebar_n_hidden_layers=4, sidebar_first_layer_nodes=1024,
                sidebar_code_size=128, sidebar_epochs=200, sidebar_batch_size=16, sidebar_early_stopping=False)
    before = len(jobs.default_queue().active_jobs())
    at.button(key="sidebar_train").click().run()
    assert not at.exception, at.exception
    errors = [e.value for e in at.sidebar.error]
    assert len(errors) == 1, errors
    message = errors[0]
    assert "Not started" in message and "AELAB_MAX_JOB_SECONDS" in message and "60 s" in message
    for setting in ("**Epochs** (now 200)", "raise **Batch size** (now 16", "**Nodes in the first hidden layer** (now 1024)",
                    "**Hidden layers** (now 4)", "**Code size** (now 128)"):
        assert setting in message, (setting, message)
    assert "ae_job" not in at.session_state or at.session_state["ae_job"] is None
    assert len(jobs.default_queue().active_jobs()) == before
    assert at.button(key="sidebar_stop").disabled  # nothing is running


def test_no_noise_slider_for_the_plain_type():
    """Issue 16, projector 9: the plain autoencoder has no noise; only types that use noise show the slider."""
    at = open_app()
    set_sidebar(at, sidebar_kind="dense")
    assert not [s for s in at.sidebar.slider if s.key == "sidebar_noise_level"]
    assert at.session_state["sidebar_noise_level"] == 0
    set_sidebar(at, sidebar_kind="denoising")
    assert [s for s in at.sidebar.slider if s.key == "sidebar_noise_level"]
    assert at.session_state["sidebar_noise_level"] == 0.5
    set_sidebar(at, sidebar_kind="dense")  # back to plain: the noise goes with the slider
    assert at.session_state["sidebar_noise_level"] == 0 and not at.exception


def test_no_model_text_gives_an_honest_estimate_and_mentions_make_warm():
    at = open_app()
    go_to(at, "pages/reconstruction.py")
    info = " ".join(i.value for i in at.info)
    assert "about 10 seconds" not in info
    assert "make warm" in info
    assert "measured speed" in info or "cautious guess" in info, info
    assert re.search(r"train in about \d+ (s|min) \(", info), info


def test_a_training_stopped_at_the_time_limit_says_so_and_keeps_its_last_epoch(monkeypatch):
    """Issue 17 §5: no session holds the worker past the teacher's limit; the page says why training ended."""
    from aecore import jobs

    queue = jobs.default_queue()
    monkeypatch.setattr(queue.speed, "factor", 0.001)  # an estimate that passes the check before training...
    monkeypatch.setattr(queue.speed, "overhead", 0.0)
    monkeypatch.setenv("AELAB_MAX_JOB_SECONDS", "15")  # ...and a limit it reaches while training
    at = open_app()
    # 200 epochs of 250 steps on mnist-5k: far past 15 s on any machine (200 epochs of digits-8x8 once finished in
    # under 15 s on a quiet one).
    set_sidebar(at, **{**TINY_SETTINGS, "sidebar_dataset": "mnist-5k", "sidebar_epochs": 200, "sidebar_batch_size": 16,
                            "sidebar_early_stopping": False})
    at.button(key="sidebar_train").click().run()
    job = at.session_state["ae_job"]
    assert job.wait(90) and job.hit_limit and job.status == "cancelled" and job.result is not None, (job.error, job.status, job.result and (job.result.epochs_run, job.result.seconds, job.result.message))
    at.run()
    warnings = [w.value for w in at.sidebar.warning]
    assert any("time limit of 15 s" in w and "AELAB_MAX_JOB_SECONDS" in w and "Test MSE" in w for w in warnings), warnings
    assert job.result.epochs_run >= 1 and job.result.epochs_run < 200
