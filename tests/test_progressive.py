"""Progressive results: while a training runs, the model of its last finished epoch is usable (issue 14)."""

import numpy as np
import pytest

from aecore import metrics
from aecore.train import PROVISIONAL, train_autoencoder


def test_the_provisional_result_of_an_epoch_is_the_model_with_its_weights(digits, tiny_experiment, monkeypatch,
                                                                          tmp_path):
    import aecore.models

    from aecore import train
    from aecore.compiled_trainers import TRAINERS

    TRAINERS.clear()  # the first training of its architecture also builds the compiled trainer
    builds = []  # whether each build held the lock of seeded builds (a page's build never shifts a training's seed)
    real_build = aecore.models.build_model
    monkeypatch.setattr(aecore.models, "build_model",
                        lambda *a, **k: builds.append(train.SEEDED_BUILD.locked()) or real_build(*a, **k))
    exp = tiny_experiment.replace(train=tiny_experiment.train.replace(epochs=4))
    reports, asked = [], {}

    def progress(report):
        if reports:  # the epoch before: its weights were dropped when this one was reported
            assert reports[-1].provisional is None or not reports[-1].provisional.available
            assert reports[-1].provisional_result() is None
        reports.append(report)
        if report.epoch in (2, 4):
            asked[report.epoch] = ([w.copy() for w in report.provisional._weights], report.provisional_result())

    final = train_autoencoder(exp, digits, progress=progress)
    # Built lazily: the training's own model, its architecture's compiled trainer, plus one per epoch someone
    # asked for (2 and 4), not one per epoch.
    assert builds == [True, True, True, True]
    assert all(r.provisional_result() is None for r in reports)  # the end released the last one too

    weights2, second = asked[2]
    assert second.stopped == PROVISIONAL and second.provisional and second.epochs_run == second.best_epoch == 2
    assert all(np.array_equal(a, b) for a, b in zip(second.model.get_weights(), weights2, strict=True))
    rebuilt = real_build(exp.model, digits.sample_shape, exp.train)
    rebuilt.autoencoder.set_weights(weights2)
    expected = np.asarray(rebuilt.autoencoder(digits.x_test, training=False))
    np.testing.assert_allclose(second.test_reconstruction, expected, rtol=1e-5, atol=1e-6)
    assert second.test_mse == pytest.approx(metrics.per_sample_mse(digits.x_test, expected).mean(), rel=1e-5)
    np.testing.assert_allclose(second.reconstruct(digits.x_test[:5]), expected[:5], rtol=1e-5, atol=1e-6)
    assert second.encode(digits.x_test[:3]).shape == (3, 8)
    assert {k: len(v) for k, v in second.history.items()} == {k: 2 for k in final.history}
    assert [e for e, _ in second.code_snapshots] == [1, 2]
    assert second.message == "Provisional: the model after epoch 2 of 4."

    # The last epoch's provisional model is the final model in all but its name.
    _, fourth = asked[4]
    assert final.stopped == "completed" and fourth.stopped == PROVISIONAL
    assert all(np.array_equal(a, b) for a, b in zip(fourth.model.get_weights(), final.model.get_weights(), strict=True))
    np.testing.assert_allclose(fourth.test_reconstruction, final.test_reconstruction, rtol=1e-6, atol=1e-7)
    assert fourth.test_mse == pytest.approx(final.test_mse) and fourth.train_mse == pytest.approx(final.train_mse)
    assert fourth.history == final.history
    assert [e for e, _ in fourth.code_snapshots] == [e for e, _ in final.code_snapshots]

    # Keys made of the experiment (jobs shared by key, the Limits page's measurements) keep the two apart.
    from ui import limits_view, state, training

    assert training.provisional_tag(final) == () and training.provisional_tag(fourth) == ("provisional", 4)
    assert limits_view.subject(final, digits).experiment_key == exp.key()
    assert limits_view.subject(fourth, digits).experiment_key != exp.key()
    assert state.model_id(fourth) != state.model_id(final)

    # Never saved: the disk cache is for finished models.
    from aecore.cache import DiskCache

    store = DiskCache(tmp_path)
    assert not store.save(fourth) and not store.contains(exp)
    assert store.save(final)


# -- the pages while a training runs (AppTest through app.py) ---------------------------------------------------
PAUSE_EPOCH = 2


@pytest.fixture
def paused_training(monkeypatch):
    """Trainings pause right after reporting epoch ``PAUSE_EPOCH`` (between two epochs, as a slow training
    would be) until the returned event is set."""
    import threading

    from aecore import jobs

    resume = threading.Event()
    real_report = jobs.Job.report

    def report(self, item):
        real_report(self, item)
        if getattr(item, "epoch", None) == PAUSE_EPOCH:
            resume.wait(120)

    monkeypatch.setattr(jobs.Job, "report", report)
    yield resume
    resume.set()


def _start_paused(at, resume, seed: int):
    """Press Train on a 5-epoch digits model and wait until it pauses after epoch ``PAUSE_EPOCH``."""
    import time

    from tests.apphelpers import TINY_SETTINGS, set_sidebar

    set_sidebar(at, **{**TINY_SETTINGS, "sidebar_epochs": 5, "sidebar_early_stopping": False, "sidebar_seed": seed})
    at.button(key="sidebar_train").click().run()
    assert not at.exception, at.exception
    job = at.session_state["ae_job"]
    deadline = time.time() + 90
    while (job.latest is None or job.latest.epoch < PAUSE_EPOCH) and job.active and time.time() < deadline:
        time.sleep(0.05)
    assert job.active and job.latest.epoch == PAUSE_EPOCH, job
    return job


def test_a_page_shows_the_model_of_the_last_epoch_while_training_runs(paused_training):
    from ui import state

    from tests.apphelpers import go_to, open_app, plotly_charts, texts

    at = open_app()
    job = _start_paused(at, paused_training, seed=1401)
    go_to(at, "pages/reconstruction.py")
    shown = texts(at)
    assert "Provisional: the model after epoch 2 of 5. This page redraws with the final model when training ends." \
        in [i.value for i in at.info], shown
    assert "A model is training" not in shown
    assert len(plotly_charts(at)) >= 2  # the grid and the error histogram, of the epoch-2 model
    metrics = {m.label: m.value for m in at.metric}
    provisional = job.latest.provisional_result()
    assert metrics["Test MSE"] == f"{provisional.test_mse:.4f}"

    paused_training.set()
    assert job.wait(90) and job.status == "done"
    at.run()  # what the sidebar's status fragment does when the job ends: the whole page again
    assert not at.exception, at.exception
    assert not any("Provisional" in i.value for i in at.info)
    assert {m.label: m.value for m in at.metric}["Test MSE"] == f"{job.result.test_mse:.4f}"
    assert state.model_id(job.result) != state.model_id(provisional)  # figure caches never mix the two
    assert job.latest.provisional_result() is None  # nothing of the provisional model is kept


def test_export_refuses_a_provisional_model_in_one_line(paused_training):
    from tests.apphelpers import go_to, open_app

    at = open_app()
    job = _start_paused(at, paused_training, seed=1402)
    go_to(at, "pages/export.py")
    waits = [i.value for i in at.info if "waits for the final model" in i.value]
    assert waits == ["Downloading the model, its codes, figures and lesson bundle waits for the final model: "
                     "training is still running. Come back when it ends (the sidebar shows how long is left)."]
    assert not at.get("download_button")
    assert not any("Provisional" in i.value for i in at.info)
    paused_training.set()
    assert job.wait(90)
    at.run()
    assert not at.exception, at.exception
    assert at.get("download_button")  # the final model: every download is back


def test_the_class_map_never_shows_a_provisional_model(paused_training):
    from streamlit.testing.v1 import AppTest

    from tests.apphelpers import open_app

    at = open_app()
    _start_paused(at, paused_training, seed=1403)

    def script():  # the teacher's session, whose model is training
        import streamlit as st

        from ui import classroom, state

        st.session_state[state.JOB] = st.session_state["job_under_test"]
        st.write("class model:", repr(classroom._class_model()))

    probe = AppTest.from_function(script)
    probe.session_state["job_under_test"] = at.session_state["ae_job"]
    probe.run()
    assert not probe.exception, probe.exception
    assert at.session_state["ae_job"].latest.provisional_result() is not None  # there is one...
    assert "class model: None" in " ".join(m.value for m in probe.markdown)  # ...but not for the class


def test_a_job_without_a_report_yet_shows_an_estimate(monkeypatch):
    """Issue 14: 9 of 30 students in the free-exploration benchmark waited at "Starting: building the model…"
    with no time at all."""
    import re
    import threading
    import time

    from aecore import trained

    from tests.apphelpers import TINY_SETTINGS, open_app, set_sidebar

    release = threading.Event()

    def silent_job(experiment, dataset):
        def run(report, cancel):  # builds and traces for a while before its first epoch: reports nothing yet
            while not (release.is_set() or cancel.is_set()):
                time.sleep(0.02)
            return None

        return run

    monkeypatch.setattr(trained, "train_job", silent_job)
    at = open_app()
    set_sidebar(at, **{**TINY_SETTINGS, "sidebar_seed": 1404})
    at.button(key="sidebar_train").click().run()
    job = at.session_state["ae_job"]
    try:
        deadline = time.time() + 30
        while job.status != "running" and time.time() < deadline:
            time.sleep(0.02)
        at.run()
        lines = [p.proto.text for p in at.sidebar.get("progress")]
        assert len(lines) == 1 and re.fullmatch(
            r"Starting: (building the model|loading TensorFlow)… · about \d+ s left at most", lines[0]), lines
    finally:
        release.set()
        job.cancel()
        job.wait(30)


def test_a_panel_job_without_a_report_yet_shows_an_estimate():
    import threading
    import time

    from aecore import jobs

    from tests.test_job_panel import open_panel

    release = threading.Event()

    def work(report, cancel):
        release.wait(30)
        return "finished"

    job = jobs.default_queue().submit(f"panel-silent-{time.time()}", work, label="panel test", estimate_seconds=40)
    try:
        deadline = time.time() + 30
        while job.status != "running" and time.time() < deadline:
            time.sleep(0.02)
        at = open_panel(job.key)
        [line] = [p.proto.text for p in at.get("progress")]
        assert line.startswith("Starting… · about ") and line.endswith(" s left"), line
    finally:
        release.set()
        job.wait(30)


def test_reports_relayed_from_a_dask_worker_carry_no_provisional_model():
    """The Dask path degrades to what it was: its reports cross the cluster as plain values, without weights,
    so the pages wait for the final model (the in-process queue's reports carry it)."""
    from aecore import distributed
    from aecore.train import EpochReport

    sent = EpochReport(3, 10, {"loss": 0.5}, 1.2, np.zeros((2, 4), np.float32), 30)
    relayed = distributed._epoch_report({**distributed._report_dict(sent), "seq": 1})
    assert (relayed.epoch, relayed.epochs, relayed.logs) == (3, 10, {"loss": 0.5})
    assert relayed.provisional is None and relayed.provisional_result() is None


PAGES_WITH_A_MODEL = ("pages/pca_vs_ae.py", "pages/latent_space.py", "pages/directions.py", "pages/draw.py",
                      "pages/family.py", "pages/limits.py", "pages/applications.py", "pages/training.py")


def test_every_page_that_needs_a_model_works_on_a_provisional_one(paused_training):
    from aecore import jobs

    from tests.apphelpers import go_to, open_app, texts

    before = set(jobs.default_queue().active_jobs())
    at = open_app()
    job = _start_paused(at, paused_training, seed=1405)
    try:
        for page in PAGES_WITH_A_MODEL:
            go_to(at, page)  # raises on an exception
            shown = texts(at)
            assert "A model is training" not in shown, page
            if page not in ("pages/applications.py", "pages/training.py"):  # their own views, no model at the top
                assert "Provisional: the model after epoch 2 of 5." in shown, page
            assert "Traceback" not in shown, page
    finally:
        paused_training.set()
        job.wait(90)
        for started in set(jobs.default_queue().active_jobs()) - before:  # the maps the latent page started
            jobs.default_queue().cancel(started)
            started.wait(60)
