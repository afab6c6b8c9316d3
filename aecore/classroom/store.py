"""The class store: classes, members, the board, drawings and polls in one SQL database (SQLAlchemy Core).

An SQLite file in the cache folder by default (WAL mode: nothing to install or start); PostgreSQL when
``$AELAB_CLASS_DB`` holds a URL (``postgresql+psycopg://user:password@host/db``), so several app servers
share one class. The schema is created on first use.

Rights: the teacher's come from a secret key (only its SHA-256 is stored; compared with
``hmac.compare_digest``), checked here for every teacher action; a student is a member id the student's
own session holds after joining with the class's code and a nickname. Joins and votes are rate-limited in
the database (so the limit holds across servers). Only settings and metrics reach the board, never data.

Every refusal is a ``ClassroomError`` whose message says what happened and what to do next.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import secrets
import threading
import time
import unicodedata
from dataclasses import dataclass, field
from typing import Any, Iterable

import numpy as np
import sqlalchemy as sa

# Join codes: no 0/O, 1/I/L (read aloud from a projector). 31^6 ≈ 8.9e8 codes; with joins limited to
# JOIN_LIMIT attempts per client per minute, guessing one of a handful of live classes is hopeless.
CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
CODE_LENGTH = 6
NICKNAME_MAX = 24
QUESTION_MAX = 200
OPTION_MAX = 60
MAX_OPTIONS = 6
MAX_MEMBERS = 200
DRAWING_SHAPE = (28, 28)
MAX_DRAWINGS_PER_MEMBER = 10
MAX_DRAWINGS_PER_CLASS = 400
MAX_POINTS_PER_CLASS = 2000
JOIN_LIMIT = (10, 60.0)  # attempts (right or wrong) per client (a browser session) per window of seconds
# per network address: a class behind one school router shares it, so it allows the whole class, not a flood
NETWORK_JOIN_LIMIT = (120, 60.0)
VOTE_LIMIT = (5, 10.0)  # votes per member per window of seconds (a member may change its vote)
CHALLENGE_FIELDS = ("model.code_size", "train.epochs", "model.n_hidden_layers", "model.first_layer_nodes")


from aecore.classroom.errors import (NO_CLASS, NOT_TEACHER, BadInput, ClassroomError, NicknameTaken,  # noqa: E402,F401
                                     NotTeacher, RateLimited, UnknownClass)


def hash_key(key: str) -> str:
    return hashlib.sha256(key.encode("utf-8", "surrogatepass")).hexdigest()


def normalise_code(code: object) -> str:
    """A join code as typed: spaces and dashes dropped, upper case."""
    text = "".join(ch for ch in str(code or "") if ch.isalnum()).upper()
    return text[:CODE_LENGTH + 4]


def clean_nickname(nickname: object) -> str:
    """One line of visible text, at most NICKNAME_MAX characters; raises BadInput when empty."""
    text = " ".join("".join(ch if not (ch.isspace() or unicodedata.category(ch) in ("Cc", "Cf", "Cs", "Co"))
                            else " " for ch in str(nickname or "")).split())
    if not text:
        raise BadInput("Type a nickname (a first name or any name your teacher will recognise).")
    if len(text) > NICKNAME_MAX:
        raise BadInput(f"A nickname has at most {NICKNAME_MAX} characters: choose a shorter one.")
    return text


def _nickname_key(nickname: str) -> str:
    return unicodedata.normalize("NFKC", nickname).casefold()


def _clean_text(value: object, limit: int, what: str) -> str:
    text = " ".join(str(value or "").split())
    if not text:
        raise BadInput(f"Type the {what}.")
    return text[:limit]


metadata = sa.MetaData()
classes = sa.Table(
    "aelab_classes", metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("code", sa.String(16), nullable=False, unique=True),
    sa.Column("teacher_hash", sa.String(64), nullable=False),
    sa.Column("created", sa.Float, nullable=False),
    sa.Column("follow_version", sa.Integer, nullable=False, default=0),
    sa.Column("follow", sa.Text, nullable=False, default="{}"),
    sa.Column("challenge", sa.Text, nullable=False, default="{}"),
)
members = sa.Table(
    "aelab_members", metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("class_id", sa.Integer, sa.ForeignKey("aelab_classes.id", ondelete="CASCADE"), nullable=False),
    sa.Column("nickname", sa.String(NICKNAME_MAX * 4), nullable=False),
    sa.Column("nickname_key", sa.String(NICKNAME_MAX * 4), nullable=False),
    sa.Column("joined", sa.Float, nullable=False),
    sa.UniqueConstraint("class_id", "nickname_key", name="aelab_members_unique_nickname"),
)
points = sa.Table(
    "aelab_points", metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("class_id", sa.Integer, sa.ForeignKey("aelab_classes.id", ondelete="CASCADE"), nullable=False,
              index=True),
    sa.Column("member_id", sa.Integer, sa.ForeignKey("aelab_members.id", ondelete="CASCADE"), nullable=False),
    sa.Column("model_key", sa.String(64), nullable=False),
    sa.Column("settings", sa.Text, nullable=False),
    sa.Column("data", sa.String(64), nullable=False),
    sa.Column("test_mse", sa.Float, nullable=False),
    sa.Column("test_psnr", sa.Float, nullable=False),
    sa.Column("train_mse", sa.Float, nullable=True),
    sa.Column("seconds", sa.Float, nullable=True),
    sa.Column("trained_at", sa.Float, nullable=True),  # when the training ended (for latency figures)
    sa.Column("created", sa.Float, nullable=False),
    sa.UniqueConstraint("class_id", "member_id", "model_key", name="aelab_points_unique_model"),
)
drawings = sa.Table(
    "aelab_drawings", metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("class_id", sa.Integer, sa.ForeignKey("aelab_classes.id", ondelete="CASCADE"), nullable=False,
              index=True),
    sa.Column("member_id", sa.Integer, sa.ForeignKey("aelab_members.id", ondelete="CASCADE"), nullable=False),
    sa.Column("pixels", sa.LargeBinary, nullable=False),  # 28x28 uint8
    sa.Column("created", sa.Float, nullable=False),
)
polls = sa.Table(
    "aelab_polls", metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("class_id", sa.Integer, sa.ForeignKey("aelab_classes.id", ondelete="CASCADE"), nullable=False,
              index=True),
    sa.Column("question", sa.Text, nullable=False),
    sa.Column("options", sa.Text, nullable=False),  # JSON list of strings
    sa.Column("builtin", sa.String(40), nullable=True),
    sa.Column("revealed", sa.Text, nullable=True),  # the measured answer, once revealed
    sa.Column("created", sa.Float, nullable=False),
)
votes = sa.Table(
    "aelab_votes", metadata,
    sa.Column("poll_id", sa.Integer, sa.ForeignKey("aelab_polls.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("member_id", sa.Integer, sa.ForeignKey("aelab_members.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("option", sa.Integer, nullable=False),
    sa.Column("at", sa.Float, nullable=False),
)
attempts = sa.Table(
    "aelab_attempts", metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("scope", sa.String(64), nullable=False),
    sa.Column("at", sa.Float, nullable=False),
    sa.Index("aelab_attempts_scope_at", "scope", "at"),
)
CLASS_TABLES = (votes, polls, drawings, points, members)  # children first: deleted before their class


@dataclass(frozen=True)
class ClassInfo:
    id: int
    code: str
    created: float


@dataclass(frozen=True)
class NewClass:
    """What "Start a class" gives the teacher: the code for students, the key for the teacher's link only."""

    code: str
    teacher_key: str


@dataclass(frozen=True)
class Member:
    id: int
    class_code: str
    nickname: str


@dataclass(frozen=True)
class Follow:
    """What the teacher last sent to the class: link parameters (a preset and settings) and a page."""

    version: int
    params: dict[str, str] = field(default_factory=dict)
    page: str = ""


@dataclass(frozen=True)
class BoardPoint:
    id: int
    member_id: int
    nickname: str
    model_key: str
    settings: dict[str, Any]
    data: str
    test_mse: float
    test_psnr: float
    train_mse: float | None
    seconds: float | None
    trained_at: float | None
    created: float


@dataclass(frozen=True)
class Drawing:
    id: int
    nickname: str
    pixels: np.ndarray  # 28x28 float in [0, 1]
    created: float


@dataclass(frozen=True)
class Poll:
    id: int
    question: str
    options: tuple[str, ...]
    builtin: str | None
    revealed: str | None
    created: float


@dataclass
class Timing:
    """Seconds spent in the database (for the benchmark's share of time)."""

    seconds: float = 0.0
    calls: int = 0


def default_url() -> str:
    """``$AELAB_CLASS_DB`` when set, else an SQLite file in the cache folder."""
    url = os.environ.get("AELAB_CLASS_DB", "").strip()
    if url:
        return url
    from aecore.data import cache_dir

    directory = str(cache_dir())
    os.makedirs(directory, exist_ok=True)
    return "sqlite:///" + os.path.join(directory, "classroom.sqlite3")


def _sqlite_pragmas(dbapi_connection, _record) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


def make_engine(url: str) -> sa.Engine:
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://"):]  # psycopg 3, not the default psycopg2
    if url.startswith("sqlite"):
        engine = sa.create_engine(url, connect_args={"timeout": 10, "check_same_thread": False})
        sa.event.listen(engine, "connect", _sqlite_pragmas)
    else:
        engine = sa.create_engine(url, pool_pre_ping=True, pool_size=5, max_overflow=10)
    return engine


class ClassStore:
    """All class state, in one database. Thread-safe (one engine, a transaction per call)."""

    def __init__(self, url: str | None = None):
        self.url = url or default_url()
        self.engine = make_engine(self.url)
        self.timing = Timing()
        self._timing_lock = threading.Lock()
        metadata.create_all(self.engine)  # first use creates the schema; later uses change nothing

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    # -- plumbing ----------------------------------------------------------------------------------------
    def _tx(self):
        store = self

        class _Timed:
            def __enter__(self):
                self.start = time.perf_counter()
                self.cm = store.engine.begin()
                return self.cm.__enter__()

            def __exit__(self, *exc):
                try:
                    return self.cm.__exit__(*exc)
                finally:
                    with store._timing_lock:
                        store.timing.seconds += time.perf_counter() - self.start
                        store.timing.calls += 1

        return _Timed()

    def _class_row(self, conn, code: str):
        code = normalise_code(code)
        if not code:
            raise UnknownClass(NO_CLASS)
        row = conn.execute(sa.select(classes).where(classes.c.code == code)).first()
        if row is None:
            raise UnknownClass(NO_CLASS)
        return row

    def _teacher_row(self, conn, code: str, teacher_key: str | None):
        row = self._class_row(conn, code)
        given = hash_key(str(teacher_key or ""))
        if not teacher_key or not hmac.compare_digest(given, row.teacher_hash):
            raise NotTeacher(NOT_TEACHER)
        return row

    def _member_row(self, conn, class_row, member_id: int):
        row = conn.execute(sa.select(members).where(members.c.id == int(member_id),
                                                    members.c.class_id == class_row.id)).first()
        if row is None:
            raise UnknownClass("You are not in this class (any more): join it again with its code and a nickname.")
        return row

    def _rate(self, conn, scope: str, limit: tuple[int, float], message: str) -> None:
        """Count one attempt in ``scope``; refuse when the window already holds ``limit`` of them."""
        count, window = limit
        now = time.time()
        conn.execute(sa.delete(attempts).where(attempts.c.scope == scope, attempts.c.at < now - window))
        used = conn.execute(sa.select(sa.func.count()).select_from(attempts).where(
            attempts.c.scope == scope)).scalar_one()
        if used >= count:
            raise RateLimited(message)
        conn.execute(sa.insert(attempts).values(scope=scope[:64], at=now))

    # -- teacher: the class --------------------------------------------------------------------------------
    def create_class(self) -> NewClass:
        """A new class with a fresh join code and teacher key."""
        teacher_key = secrets.token_urlsafe(24)
        for _ in range(20):
            code = "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))
            try:
                with self._tx() as conn:
                    conn.execute(sa.insert(classes).values(
                        code=code, teacher_hash=hash_key(teacher_key), created=time.time(), follow_version=0,
                        follow="{}", challenge="{}"))
                return NewClass(code, teacher_key)
            except sa.exc.IntegrityError:
                continue  # that code is taken: draw another
        raise ClassroomError("Could not find a free class code; try again.")

    def is_teacher(self, code: str, teacher_key: str | None) -> bool:
        try:
            with self._tx() as conn:
                self._teacher_row(conn, code, teacher_key)
            return True
        except ClassroomError:
            return False

    def class_info(self, code: str) -> ClassInfo:
        with self._tx() as conn:
            row = self._class_row(conn, code)
        return ClassInfo(row.id, row.code, row.created)

    def end_class(self, code: str, teacher_key: str) -> int:
        """Delete the class and every row that belongs to it; returns the number of rows deleted."""
        with self._tx() as conn:
            row = self._teacher_row(conn, code, teacher_key)
            deleted = 0
            poll_ids = sa.select(polls.c.id).where(polls.c.class_id == row.id)
            deleted += conn.execute(sa.delete(votes).where(votes.c.poll_id.in_(poll_ids))).rowcount
            for table in (polls, drawings, points, members):
                deleted += conn.execute(sa.delete(table).where(table.c.class_id == row.id)).rowcount
            deleted += conn.execute(sa.delete(classes).where(classes.c.id == row.id)).rowcount
        return deleted

    def row_counts(self, code_or_id: str | int) -> dict[str, int]:
        """Rows per table for one class (by code, or by id once the class is gone)."""
        with self._tx() as conn:
            if isinstance(code_or_id, int):
                class_id = code_or_id
            else:
                class_id = self._class_row(conn, code_or_id).id
            counts = {"classes": conn.execute(sa.select(sa.func.count()).select_from(classes).where(
                classes.c.id == class_id)).scalar_one()}
            for table in (members, points, drawings, polls):
                counts[table.name.removeprefix("aelab_")] = conn.execute(
                    sa.select(sa.func.count()).select_from(table).where(table.c.class_id == class_id)).scalar_one()
            counts["votes"] = conn.execute(sa.select(sa.func.count()).select_from(votes).join(
                polls, polls.c.id == votes.c.poll_id).where(polls.c.class_id == class_id)).scalar_one()
        return counts

    # -- students: joining -----------------------------------------------------------------------------------
    def join(self, code: str, nickname: str, client: str, network: str | None = None) -> Member:
        """Join the class ``code`` as ``nickname``. ``client`` (a browser session) and ``network`` (its address)
        identify who asks, for the rate limits."""
        nickname = clean_nickname(nickname)
        wait = int(JOIN_LIMIT[1])
        with self._tx() as conn:
            self._rate(conn, f"join:{client}"[:64], JOIN_LIMIT,
                       f"Too many tries to join from here: wait {wait} seconds, then type the code again.")
        if network:
            with self._tx() as conn:
                self._rate(conn, f"joinnet:{network}"[:64], NETWORK_JOIN_LIMIT,
                           f"Too many tries to join from this network: wait {wait} seconds, then try again.")
        with self._tx() as conn:
            row = self._class_row(conn, code)
            count = conn.execute(sa.select(sa.func.count()).select_from(members).where(
                members.c.class_id == row.id)).scalar_one()
            if count >= MAX_MEMBERS:
                raise ClassroomError(f"This class is full ({MAX_MEMBERS} members). Ask your teacher.")
            taken = conn.execute(sa.select(members.c.id).where(
                members.c.class_id == row.id, members.c.nickname_key == _nickname_key(nickname))).first()
            if taken is not None:
                raise NicknameTaken("Somebody in this class already has this nickname: choose another one "
                                    "(add an initial, for example).")
            try:
                member_id = conn.execute(sa.insert(members).values(
                    class_id=row.id, nickname=nickname, nickname_key=_nickname_key(nickname),
                    joined=time.time())).inserted_primary_key[0]
            except sa.exc.IntegrityError:
                raise NicknameTaken("Somebody in this class just took this nickname: choose another one.") from None
        return Member(int(member_id), row.code, nickname)

    def member(self, code: str, member_id: int) -> Member:
        with self._tx() as conn:
            row = self._class_row(conn, code)
            m = self._member_row(conn, row, member_id)
        return Member(m.id, row.code, m.nickname)

    def members(self, code: str) -> list[Member]:
        with self._tx() as conn:
            row = self._class_row(conn, code)
            rows = conn.execute(sa.select(members).where(members.c.class_id == row.id).order_by(members.c.id)).all()
        return [Member(m.id, row.code, m.nickname) for m in rows]

    # -- follow the teacher ---------------------------------------------------------------------------------
    def push(self, code: str, teacher_key: str, params: dict[str, str], page: str = "") -> Follow:
        """The teacher sends link parameters (a preset and settings) and a page to every follower."""
        clean = {str(k)[:40]: str(v)[:80] for k, v in dict(params).items()}
        if len(clean) > 64:
            raise BadInput("Too many settings to send.")
        with self._tx() as conn:
            row = self._teacher_row(conn, code, teacher_key)
            version = row.follow_version + 1
            conn.execute(sa.update(classes).where(classes.c.id == row.id).values(
                follow_version=version, follow=json.dumps({"params": clean, "page": str(page)[:200]})))
        return Follow(version, clean, str(page)[:200])

    def follow_version(self, code: str) -> int:
        """The cheap check a following student makes every second."""
        with self._tx() as conn:
            value = conn.execute(sa.select(classes.c.follow_version).where(
                classes.c.code == normalise_code(code))).scalar()
        if value is None:
            raise UnknownClass("The class has ended (or its code changed): you can keep exploring on your own.")
        return int(value)

    def pulse(self, code: str) -> tuple[int, int | None, bool]:
        """One cheap query for a student's once-a-second check: (follow version, current poll id, revealed)."""
        code = normalise_code(code)
        with self._tx() as conn:
            version = conn.execute(sa.select(classes.c.id, classes.c.follow_version).where(
                classes.c.code == code)).first()
            if version is None:
                raise UnknownClass("The class has ended: you can keep exploring on your own.")
            poll = conn.execute(sa.select(polls.c.id, polls.c.revealed).where(polls.c.class_id == version.id).order_by(
                polls.c.id.desc()).limit(1)).first()
        return int(version.follow_version), (None if poll is None else int(poll.id)), bool(
            poll is not None and poll.revealed is not None)

    def follow(self, code: str) -> Follow:
        with self._tx() as conn:
            row = self._class_row(conn, code)
        data = json.loads(row.follow or "{}")
        return Follow(row.follow_version, dict(data.get("params", {})), str(data.get("page", "")))

    # -- the board ------------------------------------------------------------------------------------------
    def add_point(self, code: str, member_id: int, model_key: str, settings: dict[str, Any], data: str,
                  test_mse: float, test_psnr: float, train_mse: float | None = None, seconds: float | None = None,
                  trained_at: float | None = None) -> int | None:
        """One trained model of a member on the board (settings and metrics only). The same model of the same
        member is recorded once; returns its id, or None when it was already there."""
        values = dict(model_key=str(model_key)[:64], settings=json.dumps(settings, sort_keys=True),
                      data=str(data)[:64], test_mse=float(test_mse), test_psnr=float(test_psnr),
                      train_mse=None if train_mse is None else float(train_mse),
                      seconds=None if seconds is None else float(seconds), trained_at=trained_at)
        if not np.isfinite(values["test_mse"]):
            raise BadInput("This model's test error is not a number (it diverged): it is not put on the board.")
        with self._tx() as conn:
            row = self._class_row(conn, code)
            self._member_row(conn, row, member_id)
            exists = conn.execute(sa.select(points.c.id).where(
                points.c.class_id == row.id, points.c.member_id == int(member_id),
                points.c.model_key == values["model_key"])).first()
            if exists is not None:
                return None
            count = conn.execute(sa.select(sa.func.count()).select_from(points).where(
                points.c.class_id == row.id)).scalar_one()
            if count >= MAX_POINTS_PER_CLASS:
                raise ClassroomError("The class board is full. The teacher can download it and start a new class.")
            try:
                return int(conn.execute(sa.insert(points).values(
                    class_id=row.id, member_id=int(member_id), created=time.time(), **values)).inserted_primary_key[0])
            except sa.exc.IntegrityError:
                return None  # the same model, recorded by a concurrent rerun

    def board(self, code: str) -> list[BoardPoint]:
        with self._tx() as conn:
            row = self._class_row(conn, code)
            rows = conn.execute(sa.select(points, members.c.nickname).join(
                members, members.c.id == points.c.member_id).where(points.c.class_id == row.id).order_by(
                points.c.id)).all()
        return [BoardPoint(r.id, r.member_id, r.nickname, r.model_key, json.loads(r.settings), r.data, r.test_mse,
                           r.test_psnr, r.train_mse, r.seconds, r.trained_at, r.created) for r in rows]

    def set_challenge(self, code: str, teacher_key: str, limits: dict[str, float]) -> dict[str, float]:
        """The teacher's limits (``{"model.code_size": 8, "train.epochs": 10}``: at most these values)."""
        clean: dict[str, float] = {}
        for name, value in dict(limits).items():
            if name not in CHALLENGE_FIELDS:
                raise BadInput(f"Unknown challenge limit '{str(name)[:40]}'.")
            if value is None:
                continue
            value = float(value)
            if not np.isfinite(value) or value < 0:
                raise BadInput("A challenge limit must be a positive number.")
            clean[name] = value
        with self._tx() as conn:
            row = self._teacher_row(conn, code, teacher_key)
            conn.execute(sa.update(classes).where(classes.c.id == row.id).values(challenge=json.dumps(clean)))
        return clean

    def challenge(self, code: str) -> dict[str, float]:
        with self._tx() as conn:
            row = self._class_row(conn, code)
        return {k: float(v) for k, v in json.loads(row.challenge or "{}").items()}

    # -- drawings ------------------------------------------------------------------------------------------
    def add_drawing(self, code: str, member_id: int, pixels: np.ndarray) -> int:
        """A student's drawing (28x28, values in [0, 1]) for the class latent map."""
        image = np.asarray(pixels, dtype=np.float64)
        if image.shape != DRAWING_SHAPE or not np.all(np.isfinite(image)):
            raise BadInput("Only a 28×28 drawing can be sent to the class.")
        raw = np.clip(np.round(image * 255), 0, 255).astype(np.uint8).tobytes()
        with self._tx() as conn:
            row = self._class_row(conn, code)
            self._member_row(conn, row, member_id)
            mine = conn.execute(sa.select(sa.func.count()).select_from(drawings).where(
                drawings.c.class_id == row.id, drawings.c.member_id == int(member_id))).scalar_one()
            if mine >= MAX_DRAWINGS_PER_MEMBER:
                raise RateLimited(f"You have sent {MAX_DRAWINGS_PER_MEMBER} drawings already: that is the limit.")
            total = conn.execute(sa.select(sa.func.count()).select_from(drawings).where(
                drawings.c.class_id == row.id)).scalar_one()
            if total >= MAX_DRAWINGS_PER_CLASS:
                raise RateLimited("The class map is full: ask the teacher to clear it.")
            return int(conn.execute(sa.insert(drawings).values(
                class_id=row.id, member_id=int(member_id), pixels=raw, created=time.time())).inserted_primary_key[0])

    def drawings(self, code: str) -> list[Drawing]:
        with self._tx() as conn:
            row = self._class_row(conn, code)
            rows = conn.execute(sa.select(drawings, members.c.nickname).join(
                members, members.c.id == drawings.c.member_id).where(drawings.c.class_id == row.id).order_by(
                drawings.c.id)).all()
        return [Drawing(r.id, r.nickname, np.frombuffer(r.pixels, dtype=np.uint8).reshape(DRAWING_SHAPE) / 255.0,
                        r.created) for r in rows]

    def clear_drawings(self, code: str, teacher_key: str) -> int:
        with self._tx() as conn:
            row = self._teacher_row(conn, code, teacher_key)
            return conn.execute(sa.delete(drawings).where(drawings.c.class_id == row.id)).rowcount

    # -- polls ---------------------------------------------------------------------------------------------
    def ask(self, code: str, teacher_key: str, question: str, options: Iterable[str],
            builtin: str | None = None) -> Poll:
        """A new poll; it becomes the class's current one."""
        question = _clean_text(question, QUESTION_MAX, "question")
        opts = tuple(_clean_text(o, OPTION_MAX, "answer") for o in options if str(o or "").strip())
        if not 2 <= len(opts) <= MAX_OPTIONS:
            raise BadInput(f"A poll needs between 2 and {MAX_OPTIONS} answers: type one per line.")
        with self._tx() as conn:
            row = self._teacher_row(conn, code, teacher_key)
            created = time.time()
            poll_id = conn.execute(sa.insert(polls).values(
                class_id=row.id, question=question, options=json.dumps(opts), builtin=builtin,
                created=created)).inserted_primary_key[0]
        return Poll(int(poll_id), question, opts, builtin, None, created)

    def current_poll(self, code: str) -> Poll | None:
        with self._tx() as conn:
            row = self._class_row(conn, code)
            p = conn.execute(sa.select(polls).where(polls.c.class_id == row.id).order_by(
                polls.c.id.desc()).limit(1)).first()
        if p is None:
            return None
        return Poll(p.id, p.question, tuple(json.loads(p.options)), p.builtin, p.revealed, p.created)

    def vote(self, code: str, member_id: int, poll_id: int, option: int) -> None:
        """A member's vote (a later vote replaces it until the answer is revealed)."""
        with self._tx() as conn:
            row = self._class_row(conn, code)
            self._member_row(conn, row, member_id)
            self._rate(conn, f"vote:{row.id}:{int(member_id)}", VOTE_LIMIT,
                       "You are voting too fast: wait a few seconds, then vote again.")
        with self._tx() as conn:
            p = conn.execute(sa.select(polls).where(polls.c.id == int(poll_id), polls.c.class_id == row.id)).first()
            if p is None:
                raise BadInput("This poll is not open in your class any more.")
            if p.revealed is not None:
                raise BadInput("The answer has been revealed: voting is closed.")
            n = len(json.loads(p.options))
            if not 0 <= int(option) < n:
                raise BadInput("Pick one of the answers.")
            conn.execute(sa.delete(votes).where(votes.c.poll_id == p.id, votes.c.member_id == int(member_id)))
            conn.execute(sa.insert(votes).values(poll_id=p.id, member_id=int(member_id), option=int(option),
                                                 at=time.time()))

    def my_vote(self, code: str, member_id: int, poll_id: int) -> int | None:
        with self._tx() as conn:
            return conn.execute(sa.select(votes.c.option).where(
                votes.c.poll_id == int(poll_id), votes.c.member_id == int(member_id))).scalar()

    def tally(self, code: str, poll_id: int) -> list[int]:
        """Votes per answer of a poll of the class."""
        with self._tx() as conn:
            row = self._class_row(conn, code)
            p = conn.execute(sa.select(polls).where(polls.c.id == int(poll_id), polls.c.class_id == row.id)).first()
            if p is None:
                raise BadInput("No such poll in this class.")
            counts = [0] * len(json.loads(p.options))
            for option, n in conn.execute(sa.select(votes.c.option, sa.func.count()).where(
                    votes.c.poll_id == p.id).group_by(votes.c.option)).all():
                if 0 <= option < len(counts):
                    counts[option] = int(n)
        return counts

    def reveal(self, code: str, teacher_key: str, poll_id: int, answer: str) -> None:
        with self._tx() as conn:
            row = self._teacher_row(conn, code, teacher_key)
            done = conn.execute(sa.update(polls).where(polls.c.id == int(poll_id), polls.c.class_id == row.id).values(
                revealed=str(answer)[:2000])).rowcount
            if not done:
                raise BadInput("No such poll in this class.")


_stores: dict[str, ClassStore] = {}
_stores_lock = threading.Lock()


def default_store() -> ClassStore:
    """The process-wide store for ``default_url()`` (one engine per database)."""
    url = default_url()
    with _stores_lock:
        if url not in _stores:
            _stores[url] = ClassStore(url)
        return _stores[url]
