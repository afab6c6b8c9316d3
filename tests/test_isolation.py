"""Two sessions of one server process: uploads, models trained on uploads and widget state never leak.

AppTest gives every session the same id ("test session id"); a real server gives each browser tab its own.
The `sessions` fixture restores that, so the process-wide job queue sees two different sessions.
"""

from __future__ import annotations

import threading

import pytest

from aecore.config import TrainConfig
from tests.apphelpers import go_to, open_app, set_sidebar
from tests.bad_inputs import corpus

PAGE = "pages/your_data.py"
SMALL = {"sidebar_code_size": 4, "sidebar_n_hidden_layers": 1, "sidebar_first_layer_nodes": 32,
         "sidebar_epochs": 2, "sidebar_batch_size": 16}


@pytest.fixture
def sessions(monkeypatch):
    """Open two app sessions, 'alice' and 'bob', each with its own session id."""
    from streamlit.testing.v1 import local_script_runner

    ids: dict[int, str] = {}
    original = local_script_runner.LocalScriptRunner.__init__

    def init(self, script_path, session_state, *args, **kwargs):
        original(self, script_path, session_state, *args, **kwargs)
        if id(session_state) in ids:
            self._session_id = ids[id(session_state)]

    monkeypatch.setattr(local_script_runner.LocalScriptRunner, "__init__", init)
    opened = []
    for name in ("alice", "bob"):
        from streamlit.testing.v1 import AppTest

        from tests.apphelpers import APP

        at = AppTest.from_file(APP, default_timeout=60)
        ids[id(at._session_state)] = f"session-{name}"
        at.run()
        assert not at.exception
        opened.append(at)
    return opened


def _upload(at, filename: str, data: bytes):
    go_to(at, PAGE)
    at.file_uploader(key="your_data_file").set_value((filename, data, "application/octet-stream")).run()
    assert not at.exception, at.exception
    assert not at.error, [e.value for e in at.error]
    return at


def _train(at, timeout: float = 120):
    at.button(key="sidebar_train").click().run()
    assert not at.exception, at.exception
    assert not at.error, [e.value for e in at.error]
    job = at.session_state["ae_job"]
    assert job.wait(timeout)
    at.run()
    return job


def test_uploads_and_models_trained_on_them_stay_in_their_session(sessions):
    from aecore import jobs

    alice, bob = sessions
    data = corpus.good_zip()
    _upload(alice, "class.zip", data)
    set_sidebar(alice, **SMALL)
    assert alice.session_state["sidebar_dataset"] == "class.zip"
    job_a = _train(alice)
    assert job_a.status == "done" and job_a.owner == "session-alice"
    assert job_a.result.experiment.data.upload_id

    # Bob sees neither the upload nor anything trained on it.
    bob.run()
    assert "class.zip" not in bob.selectbox(key="sidebar_dataset").options
    assert bob.session_state["ae_uploads"] == {}
    assert "ae_job" not in bob.session_state or bob.session_state["ae_job"] is None
    key = job_a.key
    assert jobs.default_queue().find(key) is None, "an upload's model must not be findable without its owner"
    assert jobs.default_queue().find(key, owner="session-bob") is None

    # Bob uploads the very same bytes and trains the same settings: his own job, not Alice's model.
    _upload(bob, "class.zip", data)
    set_sidebar(bob, **SMALL)
    job_b = _train(bob)
    assert job_b.key == job_a.key  # same experiment...
    assert job_b is not job_a and job_b.owner == "session-bob"  # ...but never shared across sessions
    assert "session-bob" not in job_a.attached and "session-alice" not in job_b.attached
    assert alice.session_state["ae_job"] is job_a

    # Alice removes her upload: Bob's copy is untouched.
    go_to(alice, PAGE)
    alice.button(key=f"your_data_remove_{job_a.result.experiment.data.upload_id}").click().run()
    assert alice.session_state["ae_uploads"] == {}
    assert alice.session_state["sidebar_dataset"] == "mnist-5k"
    bob.run()
    assert list(bob.session_state["ae_uploads"]) == ["class.zip"]
    assert bob.session_state["sidebar_dataset"] == "class.zip"


def test_a_session_cannot_reach_another_sessions_upload_by_name(sessions):
    from ui import state

    alice, bob = sessions
    _upload(alice, "secret.csv", corpus.good_csv_header())
    # A new session forges the name of Alice's upload into its state before its first run (a crafted message).
    from streamlit.testing.v1 import AppTest

    from tests.apphelpers import APP

    mallory = AppTest.from_file(APP, default_timeout=60)
    mallory.session_state["sidebar_dataset"] = "secret.csv"
    mallory.run()
    assert not mallory.exception
    # The name resolves in Bob's own session only: the data set is reported as unavailable, never Alice's data.
    # Streamlit drops a selectbox value that is not among the options; the sidebar's experiment never names it.
    assert mallory.session_state["sidebar_dataset"] != "secret.csv" or any(
        "not available in this session" in e.value for e in mallory.error), mallory.session_state["sidebar_dataset"]
    assert "secret.csv" not in mallory.selectbox(key="sidebar_dataset").options
    assert mallory.session_state[state.UPLOADS] == {}
    bob.run()
    assert bob.session_state[state.UPLOADS] == {} and "secret.csv" not in bob.selectbox(key="sidebar_dataset").options
    assert "secret.csv" in alice.session_state[state.UPLOADS]


def test_widget_state_is_per_session_even_when_runs_overlap(sessions):
    alice, bob = sessions
    errors = []

    def move(at, values):
        try:
            for _ in range(3):
                set_sidebar(at, **values)
        except Exception as exc:  # reported below: a failure in a thread must fail the test
            errors.append(exc)

    threads = [threading.Thread(target=move, args=(alice, {"sidebar_code_size": 3, "sidebar_kind": "sparse"})),
               threading.Thread(target=move, args=(bob, {"sidebar_code_size": 40, "sidebar_epochs": 7}))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert not errors, errors
    alice.run()
    bob.run()
    assert alice.slider(key="sidebar_code_size").value == 3 and alice.session_state["sidebar_kind"] == "sparse"
    assert alice.slider(key="sidebar_epochs").value == TrainConfig().epochs  # Bob's epochs did not reach Alice
    assert bob.slider(key="sidebar_code_size").value == 40 and bob.session_state["sidebar_kind"] == "dense"
    assert bob.slider(key="sidebar_epochs").value == 7
