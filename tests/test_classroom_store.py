"""The class store on SQLite (always) and on a real PostgreSQL server (AELAB_TEST_POSTGRES_URL; in CI it must run).

Each test makes its own classes, so the PostgreSQL database may be shared between runs.
"""

from __future__ import annotations

import csv
import io
import os
import sqlite3
import threading
import uuid

import numpy as np
import pytest

from aecore.classroom import board, figures, polls
from aecore.classroom import store as class_store
from aecore.classroom.store import (BadInput, ClassroomError, ClassStore, NicknameTaken, NotTeacher, RateLimited,
                                    UnknownClass)
from aecore.config import DataConfig, Experiment, ModelConfig, TrainConfig

POSTGRES_URL = os.environ.get("AELAB_TEST_POSTGRES_URL", "").strip()


def _postgres_reachable(url: str) -> bool:
    try:
        import sqlalchemy as sa

        engine = class_store.make_engine(url)
        with engine.connect() as conn:
            conn.execute(sa.text("select 1"))
        engine.dispose()
        return True
    except Exception:
        return False


@pytest.fixture(params=["sqlite", "postgresql"])
def store(request, tmp_path):
    if request.param == "sqlite":
        yield ClassStore("sqlite:///" + str(tmp_path / "class.sqlite3"))
        return
    if not POSTGRES_URL or not _postgres_reachable(POSTGRES_URL):
        if os.environ.get("CI"):
            pytest.fail("CI must run the PostgreSQL tests: .ci/run starts a server and sets AELAB_TEST_POSTGRES_URL "
                        f"(set: {bool(POSTGRES_URL)}, reachable: False)")
        pytest.skip("no PostgreSQL server (set AELAB_TEST_POSTGRES_URL; .ci/run starts one)")
    s = ClassStore(POSTGRES_URL)
    yield s
    s.engine.dispose()


def client() -> str:
    return "test-" + uuid.uuid4().hex[:12]


def tiny(code_size=8, epochs=3, kind="dense", upload_id="") -> Experiment:
    return Experiment(DataConfig(name="digits-8x8", upload_id=upload_id),
                      ModelConfig(kind=kind, code_size=code_size, n_hidden_layers=1, first_layer_nodes=32),
                      TrainConfig(epochs=epochs, batch_size=64))


def add(store, code, member, experiment, mse=0.02, psnr=17.0):
    return store.add_point(code, member.id, experiment.key(), board.settings_of(experiment),
                           board.data_label(experiment), mse, psnr, 0.01, 1.5)


def test_schema_created_on_first_use_and_sqlite_in_wal_mode(tmp_path):
    path = tmp_path / "fresh" / "class.sqlite3"
    path.parent.mkdir()
    s = ClassStore("sqlite:///" + str(path))
    s.create_class()
    with sqlite3.connect(path) as conn:
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        tables = {r[0] for r in conn.execute("select name from sqlite_master where type='table'")}
    assert {"aelab_classes", "aelab_members", "aelab_points", "aelab_drawings", "aelab_polls", "aelab_votes"} <= tables
    ClassStore("sqlite:///" + str(path))  # a second start finds the schema and changes nothing


def test_default_url_is_a_file_in_the_cache_folder_or_the_environment(monkeypatch, tmp_path):
    monkeypatch.setenv("AELAB_CACHE_DIR", str(tmp_path))
    monkeypatch.delenv("AELAB_CLASS_DB", raising=False)
    assert class_store.default_url() == "sqlite:///" + str(tmp_path / "classroom.sqlite3")
    monkeypatch.setenv("AELAB_CLASS_DB", "postgresql://u:p@db.example/aelab")
    assert class_store.default_url() == "postgresql://u:p@db.example/aelab"


def test_start_and_join_with_unique_nicknames(store):
    new = store.create_class()
    assert len(new.code) == class_store.CODE_LENGTH and set(new.code) <= set(class_store.CODE_ALPHABET)
    assert len(new.teacher_key) >= 30 and new.teacher_key not in new.code
    ada = store.join(new.code, "Ada", client())
    bob = store.join(new.code.lower(), "  Bob  ", client())  # typed in lower case, with spaces
    assert bob.nickname == "Bob" and ada.id != bob.id
    with pytest.raises(NicknameTaken):
        store.join(new.code, "ADA", client())  # case does not make a new nickname
    assert [m.nickname for m in store.members(new.code)] == ["Ada", "Bob"]
    with pytest.raises(BadInput, match="at most"):
        store.join(new.code, "x" * (class_store.NICKNAME_MAX + 1), client())
    with pytest.raises(BadInput):
        store.join(new.code, " \n\t ", client())


def test_teacher_key_is_stored_hashed_and_checked(store):
    new = store.create_class()
    import sqlalchemy as sa

    with store.engine.connect() as conn:
        stored = conn.execute(sa.select(class_store.classes.c.teacher_hash).where(
            class_store.classes.c.code == new.code)).scalar_one()
    assert stored != new.teacher_key and new.teacher_key not in stored
    assert store.is_teacher(new.code, new.teacher_key)
    for forged in ("", None, new.teacher_key[:-1], new.teacher_key + "x", stored, new.code):
        assert not store.is_teacher(new.code, forged)
        with pytest.raises(NotTeacher, match="Only the teacher"):
            store.push(new.code, forged, {"preset": "code2"}, "Training")
    other = store.create_class()
    with pytest.raises(NotTeacher):  # one class's key steers no other class
        store.end_class(other.code, new.teacher_key)


def test_wrong_code_joins_nothing(store):
    new = store.create_class()
    wrong = "".join("A" if c != "A" else "B" for c in new.code)
    with pytest.raises(UnknownClass, match="No class has this code"):
        store.join(wrong, "Eve", client())
    with pytest.raises(UnknownClass):
        store.join("", "Eve", client())
    assert store.members(new.code) == []


def test_joins_are_rate_limited_per_client(store):
    new = store.create_class()
    who = client()
    limit = class_store.JOIN_LIMIT[0]
    for i in range(limit):
        with pytest.raises(UnknownClass):
            store.join("ZZZZZZ", f"guess{i}", who)
    with pytest.raises(RateLimited, match="wait"):
        store.join(new.code, "Real", who)  # even the right code, from a client that flooded
    store.join(new.code, "Real", client())  # another client is not blocked
    # One network address (a school router) lets a whole class in, but not a flood.
    router = client()
    for i in range(class_store.NETWORK_JOIN_LIMIT[0]):
        try:
            store.join("ZZZZZZ", f"n{i}", client(), network=router)
        except UnknownClass:
            pass
    with pytest.raises(RateLimited, match="network"):
        store.join(new.code, "Late", client(), network=router)


def test_follow_push_and_version(store):
    new = store.create_class()
    assert store.follow(new.code).version == 0
    store.push(new.code, new.teacher_key, {"preset": "code2", "epochs": "3"}, "Reconstructions")
    follow = store.follow(new.code)
    assert follow.version == 1 and follow.params == {"preset": "code2", "epochs": "3"}
    assert follow.page == "Reconstructions"
    assert store.follow_version(new.code) == 1
    store.push(new.code, new.teacher_key, {}, "Training")
    assert store.follow_version(new.code) == 2
    assert store.pulse(new.code) == (2, None, False)
    poll = store.ask(new.code, new.teacher_key, "Q?", ["a", "b"])
    assert store.pulse(new.code) == (2, poll.id, False)
    store.reveal(new.code, new.teacher_key, poll.id, "a")
    assert store.pulse(new.code) == (2, poll.id, True)


def test_board_points_hold_settings_and_metrics_only(store):
    new = store.create_class()
    ada = store.join(new.code, "Ada", client())
    bob = store.join(new.code, "Bob", client())
    assert add(store, new.code, ada, tiny(8)) is not None
    assert add(store, new.code, ada, tiny(8)) is None  # the same model of the same student: once
    add(store, new.code, bob, tiny(8))
    add(store, new.code, bob, tiny(2, kind="sparse"), mse=0.05, psnr=13.0)
    uploaded = tiny(4, upload_id="abc123secret")
    add(store, new.code, ada, uploaded, mse=0.03)
    points = store.board(new.code)
    assert [p.nickname for p in points] == ["Ada", "Bob", "Bob", "Ada"]
    assert points[0].settings["model.code_size"] == 8 and points[0].test_mse == pytest.approx(0.02)
    up = points[-1]
    assert up.data == "your upload" and up.settings["data.name"] == "your upload"
    assert "abc123secret" not in repr(up.settings) and board.experiment_of(up.settings) is None
    assert board.experiment_of(points[0].settings) == tiny(8).replace(model=tiny(8).model.canonical())
    with pytest.raises(BadInput):
        store.add_point(new.code, ada.id, "k", {}, "digits-8x8", float("nan"), 0.0)
    other = store.create_class()
    with pytest.raises(UnknownClass):  # a member id of one class puts nothing on another's board
        add(store, other.code, ada, tiny(16))


def test_challenge_and_leaderboard(store):
    new = store.create_class()
    ada, bob, cy = (store.join(new.code, n, client()) for n in ("Ada", "Bob", "Cy"))
    add(store, new.code, ada, tiny(8, epochs=3), mse=0.030)
    add(store, new.code, bob, tiny(4, epochs=5), mse=0.025)
    add(store, new.code, cy, tiny(32, epochs=3), mse=0.010)  # better, but breaks the code limit
    limits = store.set_challenge(new.code, new.teacher_key, {"model.code_size": 8, "train.epochs": 10})
    assert store.challenge(new.code) == limits == {"model.code_size": 8.0, "train.epochs": 10.0}
    ranked = board.leaderboard(store.board(new.code), store.challenge(new.code))
    assert [p.nickname for p in ranked] == ["Bob", "Ada"]
    with pytest.raises(NotTeacher):
        store.set_challenge(new.code, "nope", {"model.code_size": 100})
    with pytest.raises(BadInput):
        store.set_challenge(new.code, new.teacher_key, {"data.upload_id": 1})


def test_drawings_for_the_class_map(store):
    new = store.create_class()
    ada = store.join(new.code, "Ada", client())
    image = np.zeros((28, 28))
    image[5:20, 12:15] = 1.0
    store.add_drawing(new.code, ada.id, image)
    (drawing,) = store.drawings(new.code)
    assert drawing.nickname == "Ada" and drawing.pixels.shape == (28, 28)
    assert np.abs(drawing.pixels - image).max() < 1 / 255
    with pytest.raises(BadInput):
        store.add_drawing(new.code, ada.id, np.zeros((8, 8)))
    for _ in range(class_store.MAX_DRAWINGS_PER_MEMBER - 1):
        store.add_drawing(new.code, ada.id, image)
    with pytest.raises(RateLimited):
        store.add_drawing(new.code, ada.id, image)
    with pytest.raises(NotTeacher):
        store.clear_drawings(new.code, "")
    assert store.clear_drawings(new.code, new.teacher_key) == class_store.MAX_DRAWINGS_PER_MEMBER
    assert store.drawings(new.code) == []


def test_polls_vote_tally_reveal_and_vote_rate_limit(store, monkeypatch):
    new = store.create_class()
    ada, bob = (store.join(new.code, n, client()) for n in ("Ada", "Bob"))
    q = polls.BY_KEY["pca64"]
    with pytest.raises(NotTeacher):
        store.ask(new.code, "", q.text, q.options, q.key)
    poll = store.ask(new.code, new.teacher_key, q.text, q.options, q.key)
    assert store.current_poll(new.code) == poll
    store.vote(new.code, ada.id, poll.id, 1)
    store.vote(new.code, bob.id, poll.id, 0)
    store.vote(new.code, bob.id, poll.id, 1)  # a changed vote replaces the first
    assert store.tally(new.code, poll.id) == [0, 2, 0]
    assert store.my_vote(new.code, bob.id, poll.id) == 1
    with pytest.raises(BadInput):
        store.vote(new.code, ada.id, poll.id, 7)
    # Flooding: one member's votes are limited, whatever answer it picks.
    for _ in range(class_store.VOTE_LIMIT[0]):
        try:
            store.vote(new.code, ada.id, poll.id, 0)
        except RateLimited:
            break
    with pytest.raises(RateLimited, match="too fast"):
        store.vote(new.code, ada.id, poll.id, 0)
    store.reveal(new.code, new.teacher_key, poll.id, "Measured: PCA wins.")
    assert store.current_poll(new.code).revealed == "Measured: PCA wins."
    monkeypatch.setattr(class_store, "VOTE_LIMIT", (100, 10.0))
    with pytest.raises(BadInput, match="revealed"):
        store.vote(new.code, bob.id, poll.id, 0)
    with pytest.raises(BadInput, match="between 2"):
        store.ask(new.code, new.teacher_key, "Typed question?", ["only one"])
    typed = store.ask(new.code, new.teacher_key, "Does **depth** help?", ["yes", "no", ""])
    assert typed.options == ("yes", "no") and typed.builtin is None


def test_end_class_deletes_every_row_and_csv_first(store):
    new = store.create_class()
    ada, bob = (store.join(new.code, n, client()) for n in ("Ada", "=HYPERLINK(\"x\")"))
    add(store, new.code, ada, tiny(8))
    add(store, new.code, bob, tiny(4))
    store.add_drawing(new.code, ada.id, np.zeros((28, 28)))
    poll = store.ask(new.code, new.teacher_key, "Q?", ["a", "b"])
    store.vote(new.code, ada.id, poll.id, 0)
    class_id = store.class_info(new.code).id
    rows = list(csv.DictReader(io.StringIO(board.board_csv(store.board(new.code)))))
    assert [r["nickname"] for r in rows] == ["Ada", "'=HYPERLINK(\"x\")"]  # no formula in a spreadsheet
    assert rows[0]["code_size"] == "8" and float(rows[0]["test_mse"]) == pytest.approx(0.02)
    assert store.row_counts(new.code) == {"classes": 1, "members": 2, "points": 2, "drawings": 1, "polls": 1,
                                          "votes": 1}
    with pytest.raises(NotTeacher):
        store.end_class(new.code, "student-guess")
    assert store.end_class(new.code, new.teacher_key) >= 8
    assert set(store.row_counts(class_id).values()) == {0}
    with pytest.raises(UnknownClass):
        store.join(new.code, "Late", client())
    with pytest.raises(UnknownClass, match="ended"):
        store.follow_version(new.code)


def test_concurrent_joins_and_points(store):
    """Thirty students join and post at once (threads): every one lands, no lock errors."""
    new = store.create_class()
    errors: list[BaseException] = []

    def student(i):
        try:
            m = store.join(new.code, f"student{i}", client())
            add(store, new.code, m, tiny(i % 16 + 1))
        except BaseException as exc:  # noqa: BLE001
            errors.append(exc)

    threads = [threading.Thread(target=student, args=(i,)) for i in range(30)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors[:3]
    assert len(store.board(new.code)) == 30 and len(store.members(new.code)) == 30


def test_nicknames_are_escaped_in_every_figure():
    evil = '<a href="https://evil.example">click</a><img src=x onerror=alert(1)> %{y} **bold**'
    point = class_store.BoardPoint(1, 1, evil, "k", board.settings_of(tiny(8)), "digits-8x8", 0.02, 17.0, 0.01, 1.0,
                                   None, 0.0)
    fig = figures.board_scatter([point], pca_curve=(np.arange(1, 65), np.linspace(0.1, 0.01, 64)))
    shown = repr(fig.to_plotly_json()["data"])
    assert "<a href" not in shown and "<img" not in shown and "&lt;a href" in shown and "%{y}" not in shown
    fig = figures.drawings_map(np.zeros((3, 2)), np.array([0, 1, 0]), ["0", "1"], ("a", "b"), np.zeros((1, 2)), [evil])
    shown = repr(fig.to_plotly_json()["data"])
    assert "<a href" not in shown and "&lt;a href" in shown
    fig = figures.poll_histogram([evil, "<b>no</b>"], [1, 2])
    shown = repr(fig.to_plotly_json()["data"])
    assert "<b>" not in shown and "&lt;b&gt;" in shown


def test_poll_answers_follow_the_measurements():
    class P:
        def __init__(self, mse):
            self.test_mse = mse

    assert polls.answer_pca64(0.011, []).correct is None
    assert polls.answer_pca64(0.011, [P(0.02), P(0.009)]).correct == 1
    assert polls.answer_pca64(0.011, [P(0.02)]).correct == 0
    assert polls.answer_pca64(0.011, [P(0.0112)]).correct == 2
    copy, grey = polls.noise_copy_error(lambda x: x)  # the identity copies everything
    assert copy == 0 and grey == pytest.approx(1 / 12, rel=0.05)
    assert polls.answer_copy_noise(copy, grey).correct == 0
    copy, grey = polls.noise_copy_error(lambda x: np.full_like(x, 0.5))
    assert polls.answer_copy_noise(copy, grey).correct == 1
    assert polls.answer_copy_noise(None, None).correct is None
    # A perfect copy of pixels that are all 0 or 1 has no entropy; grey pixels have some.
    assert polls.bce_floor(np.array([0.0, 1.0])) < 1e-5 < polls.bce_floor(np.array([0.5]))


def test_unknown_or_ended_class_messages_are_clear(store):
    with pytest.raises(ClassroomError) as info:
        store.board("NOPE99")
    assert "code" in str(info.value)
