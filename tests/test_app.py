"""Page tests through the real entry point: sidebar, training job, pages."""

import time

from tests.apphelpers import go_to, open_app, plotly_charts, set_sidebar, texts, train


def test_home_paints_without_a_model_and_draws_the_architecture():
    at = open_app()
    assert "Autoencoder Lab" in texts(at)
    assert plotly_charts(at), "the architecture diagram is missing"
    assert at.button(key="sidebar_train") is not None


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
    assert "press **Train**" in texts(at) or "Train" in texts(at)


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
