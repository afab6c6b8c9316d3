"""Class mode in the browser: start and join, follow the teacher, the board, the class map, polls, end of class.

app.py calls ``class_bar`` on every run (after st.navigation, before the sidebar's widgets): it reads the
class link once, applies what the teacher sent to a following student before the sidebar is drawn, puts
a finished model of a class member on the board, and draws the student's banner with its once-a-second
check. pages/classroom.py draws the rest through ``classroom_page``.

The teacher's rights come only from the teacher key in this session (read from the teacher's link, then
removed from the address bar so a projector never shows it); the store checks it for every action.
Every nickname and poll text is shown as text (safe_text.plain in markdown, escaped in charts).
"""

from __future__ import annotations

import io
import threading
from urllib.parse import urlencode

import numpy as np
import streamlit as st

from aecore import jobs
from aecore.classroom import board, polls
from aecore.classroom import figures as class_figures
from aecore.classroom.errors import NOT_TEACHER, ClassroomError, UnknownClass
from ui import links, safe_text, settings, state, training

# Session keys of class mode.
CODE = "class_code"  # the class this session belongs to (teacher or student)
TEACHER_KEY = "class_teacher_key"  # only in the teacher's session
MEMBER = "class_member"  # a student's aecore.classroom.Member
FOLLOWING = "class_following"  # a student follows the teacher (True) or explores freely
SEEN_VERSION = "class_seen_version"  # the teacher's last push this session has applied
PUSHED = "class_pushed"  # ((experiment, preset) before it, its experiment, its preset): the last push applied here
SEEN_POLL = "class_seen_poll"  # (poll id, revealed) the page was drawn with
REPORTED = "class_reported"  # model keys this session has put on the board
URL_READ = "class_url_read"
PREFILL = "class_prefill_code"  # a join link's code, for the join form
SELECTED = "classroom_board_selected"  # the board point the teacher clicked
NOTICE = "class_notice"  # a one-time message for the next run (e.g. the class ended)
LINK_ERROR = "class_link_error"  # why the link this session was opened with gave no teacher rights

CLASS_PARAM = "class"
TEACHER_PARAM = "teacher"
FOLLOW_SECONDS = 1.0  # a following student's check: at most one rerun a second
BOARD_SECONDS = 2.0  # the teacher's live board and poll
DRAWINGS_SECONDS = 3.0  # the teacher's class map
PAGE_PATH = "classroom"
PCA_DATA = ("mnist-5k", "digits-8x8")  # offline data sets whose PCA curve is drawn over the board

_pages: dict[str, object] = {}  # url path -> st.Page, set by class_bar (the same list for every session)


def store():
    from aecore.classroom.store import default_store  # SQLAlchemy only once a class is used

    return default_store()


def code() -> str | None:
    return st.session_state.get(CODE)


def is_teacher() -> bool:
    return bool(st.session_state.get(CODE) and st.session_state.get(TEACHER_KEY))


def member() -> "Member | None":
    return st.session_state.get(MEMBER) if st.session_state.get(CODE) else None


def _client() -> str:
    return state.session_id()


def _network() -> str | None:
    try:
        return st.context.ip_address
    except Exception:  # older runtimes, AppTest
        return None


def _leave(notice: str | None = None) -> None:
    for key in (CODE, TEACHER_KEY, MEMBER, FOLLOWING, SEEN_VERSION, PUSHED, SEEN_POLL, REPORTED, SELECTED):
        st.session_state.pop(key, None)
    if CLASS_PARAM in st.query_params:
        del st.query_params[CLASS_PARAM]
    if notice:
        st.session_state[NOTICE] = notice


# --- every run (app.py) ---------------------------------------------------------------------------------------

def class_bar(navigation, pages) -> None:
    """Class mode's part of every run: the class link, following, the board, the student's banner."""
    for page in pages:
        _pages[page.url_path] = page
    notice = st.session_state.pop(NOTICE, None)
    if notice:
        st.info(notice, icon=":material/school:")
    _read_url()
    if not code():
        return
    try:
        if is_teacher():
            return
        mine = member()
        if mine is None:
            return
        _report_finished_job(mine)
        if st.session_state.get(FOLLOWING, True):
            _apply_follow(navigation)
        _student_banner(mine, getattr(navigation, "url_path", ""))
    except UnknownClass:
        _leave("The class has ended (or this class code no longer exists). You can keep exploring on your own.")
    except ClassroomError as exc:
        st.warning(str(exc))


def _read_url() -> None:
    """Once per session: a join link (?class=CODE) fills the join form; a teacher link (&teacher=KEY) gives this
    session the teacher's rights when the key is right, and leaves the address bar without it."""
    if st.session_state.get(URL_READ):
        return
    st.session_state[URL_READ] = True
    given = st.query_params.get(CLASS_PARAM)
    key = st.query_params.get(TEACHER_PARAM)
    if key is not None:
        del st.query_params[TEACHER_PARAM]  # never on a projected address bar, nor in a link copied from it
    if not given:
        if key is not None:
            st.session_state[LINK_ERROR] = ("This teacher link has no class code. Open the whole teacher link, as "
                                            "it was given when the class started.")
        return
    from aecore.classroom.store import normalise_code

    class_code = normalise_code(given)
    st.session_state[PREFILL] = class_code
    if key is None:
        return
    try:
        ok = store().is_teacher(class_code, key)
    except ClassroomError:
        ok = False
    if ok:
        st.session_state[CODE] = class_code
        st.session_state[TEACHER_KEY] = key
    else:
        st.session_state[LINK_ERROR] = NOT_TEACHER + " This link's teacher key is not the key of class " + class_code + "."


def _report_finished_job(mine) -> None:
    """Put this session's finished model on the board (once per model): settings and metrics only."""
    job = st.session_state.get(state.JOB)
    if job is None or job.status != jobs.DONE or job.result is None:
        return
    result = job.result
    experiment = getattr(result, "experiment", None)
    if experiment is None or not hasattr(result, "test_mse"):
        return
    reported = st.session_state.setdefault(REPORTED, set())
    key = experiment.key()
    if key in reported:
        return
    reported.add(key)
    try:
        store().add_point(mine.class_code, mine.id, key, board.settings_of(experiment), board.data_label(experiment),
                          result.test_mse, result.test_psnr, getattr(result, "train_mse", None),
                          getattr(result, "seconds", None), trained_at=job.finished)
    except UnknownClass:
        raise
    except ClassroomError as exc:
        st.warning(f"Your model could not be put on the class board: {exc}")
        return
    st.toast("Your model is on the class board.", icon=":material/scatter_plot:")


def _apply_follow(navigation) -> None:
    """A following student takes the teacher's latest push: sidebar settings (before its widgets) and page."""
    follow = store().follow(code())
    if follow.version == st.session_state.get(SEEN_VERSION):
        if _push_undone():
            _set_sidebar(settings.values_of(st.session_state[PUSHED][1]), st.session_state[PUSHED][2])
        return
    st.session_state[SEEN_VERSION] = follow.version
    if follow.version == 0:
        return
    link = links.from_params(dict(follow.params))
    before = (state.current_experiment(), st.session_state.get(state.PRESET))
    _set_sidebar(link.values, link.preset)
    st.session_state[PUSHED] = (before, state.current_experiment(), link.preset)
    target = _pages.get(follow.page)
    if target is not None and follow.page != getattr(navigation, "url_path", None):
        st.switch_page(target)


def _set_sidebar(values: dict, preset: str) -> None:
    for key, value in values.items():
        st.session_state[key] = value
    st.session_state[state.PRESET] = preset
    st.session_state[state.AUTOLOAD] = True  # the teacher's model, when the cache has it, shows at once


def _push_undone() -> bool:
    """Whether the browser's values from before the last push came back.

    A request the browser sent while the push's run was drawing (the once-a-second check) carries the old
    widget values, and Streamlit applies them after that run, with their callbacks (the preset's rewrites every
    control): what the push changed is back to its old value (shown by an AppTest, never caught in a browser). A
    student who moves a setting to a third value has not been undone: that stays. Compared as experiments,
    where a setting the model does not use (the sparsity of a plain autoencoder) cannot differ."""
    pushed = st.session_state.get(PUSHED)
    if not pushed:
        return False
    before, after, preset = pushed
    now = state.current_experiment()
    compared = [(st.session_state.get(state.PRESET), before[1], preset)]
    compared += [(now.value_of(s.field), before[0].value_of(s.field), after.value_of(s.field))
                 for s in settings.SETTINGS]
    undone = False
    for current, old, new in compared:
        if old == new or current == new:
            continue
        if current != old:
            return False  # moved by the student
        undone = True
    return undone


def _student_banner(mine, page: str = "") -> None:
    following = st.session_state.setdefault(FOLLOWING, True)
    box = st.container(border=True)
    left, right = box.columns([5, 2], vertical_alignment="center")
    where = f"Class **{safe_text.plain(mine.class_code)}** · you are **{safe_text.plain(mine.nickname)}**"
    if following:
        left.markdown(f":material/school: {where} · **following the teacher**: the teacher's settings and "
                      "page come to you.")
        right.button("Explore freely", key="classroom_explore", on_click=_set_following, args=(False,),
                     width="stretch", help="Stop following: your settings and page stay as they are.")
    else:
        left.markdown(f":material/explore: {where} · **exploring freely**: the teacher's settings do not change yours.")
        right.button("Follow the teacher", key="classroom_follow", on_click=_set_following, args=(True,),
                     type="primary", width="stretch",
                     help="Take the teacher's latest settings and page, and the next ones they send.")
    version, poll_id, revealed = store().pulse(mine.class_code)
    st.session_state[SEEN_POLL] = (poll_id, revealed)
    if poll_id is not None and not revealed and _pages.get(PAGE_PATH) is not None:
        box.page_link(_pages[PAGE_PATH], label="The teacher asks a question: vote on the Classroom page",
                      icon=":material/how_to_vote:")
    # Following costs one cheap query a second and a rerun only when something changed. While this session's job
    # runs, the sidebar's progress poll does the check: one refreshing fragment fewer (several refreshing at once
    # can blank Streamlit's page, streamlit/streamlit#15084).
    every = FOLLOW_SECONDS if following and not training.is_running() else None

    def watch():
        check_follow()

    # A fragment's id comes from its name and place: a name per page and push gives every one a fresh timer.
    watch.__name__ = watch.__qualname__ = f"class_watch_{page}_{st.session_state.get(SEEN_VERSION)}".replace("-", "_")
    st.fragment(run_every=every)(watch)()


def check_follow() -> None:
    """A following student's check: rerun the app when the teacher pushed, a poll changed or a push was undone."""
    mine = member()
    if mine is None or not st.session_state.get(FOLLOWING, True):
        return
    try:
        now = store().pulse(mine.class_code)
    except UnknownClass:
        _leave("The class has ended. You can keep exploring on your own.")
        st.rerun(scope="app")
    except ClassroomError:
        return
    if now[0] != st.session_state.get(SEEN_VERSION) or _push_undone() or (now[1], now[2]) != st.session_state.get(SEEN_POLL):
        st.rerun(scope="app")


def _set_following(value: bool) -> None:
    st.session_state[FOLLOWING] = value
    if value:
        st.session_state[SEEN_VERSION] = None  # take the latest push at once


# --- the Draw page's button -----------------------------------------------------------------------------------

def send_drawing_button(rgba) -> None:
    """On the Draw page: a class member sends the drawing (28×28, as MNIST) to the class latent map."""
    mine = member()
    if mine is None or rgba is None:
        return
    if not st.button("Send to the class", key="draw_send_to_class", icon=":material/send:",
                     help="Your drawing appears on the teacher's class map, with your nickname."):
        return
    from aecore import drawing

    digit = drawing.prepare(np.asarray(rgba), (28, 28))
    if digit is None:
        st.warning("Draw a digit on the canvas first, then send it.")
        return
    try:
        store().add_drawing(mine.class_code, mine.id, digit)
    except ClassroomError as exc:
        st.warning(str(exc))
        return
    st.success("Sent: your drawing is on the teacher's class map.")


# --- the Classroom page ------------------------------------------------------------------------------------

def classroom_page() -> None:
    try:
        if is_teacher():
            _teacher_page()
        elif member() is not None:
            _student_page(member())
        else:
            _start_or_join()
    except UnknownClass:
        _leave("The class has ended (or this class code no longer exists).")
        st.rerun()


def _start_or_join() -> None:
    if st.session_state.get(LINK_ERROR):
        st.error(st.session_state[LINK_ERROR], icon=":material/lock:")
    st.markdown("A teacher starts a class and projects its code; students join with the code (or the link) and a "
                "nickname. No accounts, no e-mail: only your models' settings and scores reach the class board.")
    join, start = st.columns([3, 2], gap="large")
    with join:
        st.subheader("Join a class")
        prefill = st.session_state.get(PREFILL)
        if prefill and not st.session_state.get("classroom_join_code"):
            # The join link's code, also when the form was drawn empty before the link was read (or a run that set
            # it stopped before drawing the form, so Streamlit dropped the unused widget value).
            st.session_state["classroom_join_code"] = prefill
        with st.form("classroom_join_form", border=True):
            typed = st.text_input("Class code", max_chars=12, key="classroom_join_code", placeholder="e.g. K7P2QX")
            nickname = st.text_input("Nickname", max_chars=24, key="classroom_nickname",
                                     placeholder="a name your teacher will recognise")
            pressed = st.form_submit_button("Join", type="primary")
        if pressed:
            try:
                mine = store().join(typed, nickname, _client(), _network())
            except ClassroomError as exc:
                st.error(str(exc))
                return
            st.session_state[CODE] = mine.class_code
            st.session_state[MEMBER] = mine
            st.session_state[FOLLOWING] = True
            st.session_state[SEEN_VERSION] = None
            st.query_params[CLASS_PARAM] = mine.class_code
            st.rerun()
    with start:
        st.subheader("Teach a class")
        st.caption("Starts a class on this server and gives you its join code, a join link and a QR code to project.")
        if st.button("Start a class", key="classroom_start", icon=":material/co_present:"):
            try:
                new = store().create_class()
            except ClassroomError as exc:
                st.error(str(exc))
                return
            st.session_state[CODE] = new.code
            st.session_state[TEACHER_KEY] = new.teacher_key
            st.rerun()


def _base_url() -> str:
    """The Classroom page's address on this server, from the browser's address."""
    from urllib.parse import urlsplit

    url = (getattr(st.context, "url", None) or "").split("?", 1)[0].split("#", 1)[0].rstrip("/")
    if not url:
        return "/" + PAGE_PATH
    parts = urlsplit(url)
    segments = parts.path.rstrip("/").split("/")
    if segments and (segments[-1] in _pages or segments[-1] == PAGE_PATH):
        segments = segments[:-1]  # the page the browser is on
    return f"{parts.scheme}://{parts.netloc}{'/'.join(segments)}/{PAGE_PATH}"


def join_link(class_code: str) -> str:
    return f"{_base_url()}?{urlencode({CLASS_PARAM: class_code})}"


def teacher_link(class_code: str, key: str) -> str:
    return f"{_base_url()}?{urlencode({CLASS_PARAM: class_code, TEACHER_PARAM: key})}"


def qr_png(text: str, scale: int = 10) -> bytes:
    """The join link as a QR code (PNG): large modules and a wide quiet zone, to scan from the back of a room."""
    import segno

    out = io.BytesIO()
    segno.make(text, error="m").save(out, kind="png", scale=scale, border=4)
    return out.getvalue()


def _teacher_page() -> None:
    class_code, key = code(), st.session_state[TEACHER_KEY]
    students = store().members(class_code)
    tabs = st.tabs(["Join", "Send to the class", "Board", "Challenge", "Drawings", "Poll", "End class"])
    with tabs[0]:
        left, right = st.columns([3, 2], gap="large")
        with left:
            st.markdown("Join at the link below or scan the code, then type a nickname. Class code:")
            st.markdown(f"<div style='font-size:4.5rem;font-weight:700;letter-spacing:0.4rem;line-height:1.1'>"
                        f"{class_code}</div>", unsafe_allow_html=True)  # our own code: letters and digits only
            st.code(join_link(class_code), language=None)
            st.metric("Students in the class", len(students))
            if students:
                st.caption("Joined: " + ", ".join(safe_text.plain(m.nickname, 24) for m in students[-30:]))
            with st.expander("Your teacher link (private: do not project or share it)"):
                st.caption("It gives whoever opens it the right to steer, poll and end this class. Keep it to "
                           "reopen the class as its teacher, e.g. after a reload.")
                st.code(teacher_link(class_code, key), language=None)
        with right:
            st.image(qr_png(join_link(class_code)), caption="Scan to join", width=340)
    with tabs[1]:
        _send_tab(class_code, key, len(students))
    with tabs[2]:
        _board_tab(class_code)
    with tabs[3]:
        _challenge_tab(class_code, key)
    with tabs[4]:
        _drawings_tab(class_code, key)
    with tabs[5]:
        _poll_tab(class_code, key)
    with tabs[6]:
        _end_tab(class_code, key)


def _send_tab(class_code: str, key: str, n_students: int) -> None:
    st.markdown("Sends the sidebar's settings (and its lesson preset) and a page to every student who follows. "
                "Students exploring freely keep theirs until they follow again.")
    titles = {path: page.title for path, page in _pages.items() if path != PAGE_PATH}
    page = st.selectbox("Page to open on the students' screens", list(titles), format_func=titles.get,
                        index=list(titles).index("training") if "training" in titles else 0, key="classroom_send_page")
    preset = st.session_state.get(state.PRESET, links.NO_PRESET)
    experiment = state.current_experiment()
    what = ("the lesson preset **" + safe_text.plain(preset) + "**" if preset != links.NO_PRESET else "custom settings")
    st.caption(f"Now in the sidebar: {what} · {board.describe(board.settings_of(experiment))} on "
               f"{safe_text.plain(board.data_label(experiment))}.")
    if links.names_upload(experiment):
        st.caption("Your upload stays on your computer: students get the preset's built-in data set instead.")
    if st.button("Send to the class", type="primary", key="classroom_send", icon=":material/campaign:"):
        params = links.current_params(presenter=False)
        try:
            sent = store().push(class_code, key, params, page)
        except ClassroomError as exc:
            st.error(str(exc))
            return
        st.success(f"Sent (update {sent.version}) to the {n_students} student{'s' if n_students != 1 else ''} of "
                   f"the class: those who follow see it within a second.")


_pca_curves: dict[str, tuple[np.ndarray, np.ndarray]] = {}
_pca_lock = threading.Lock()


def _pca_curve(data_name: str) -> tuple[np.ndarray, np.ndarray] | None:
    """PCA's test MSE for every code size on a built-in data set, computed once per process."""
    if data_name not in PCA_DATA:
        return None
    with _pca_lock:
        if data_name not in _pca_curves:
            from aecore import pca_baseline
            from aecore.config import DataConfig
            from aecore.data import load_dataset

            cfg = DataConfig(name=data_name)
            dataset = load_dataset(cfg)
            pca = pca_baseline.fitted_pca(cfg, dataset)
            curve = pca_baseline.pca_curve(pca, dataset, min(128, pca.n_components_))
            _pca_curves[data_name] = (curve.code_sizes, curve.test_mse)
        return _pca_curves[data_name]


def _board_tab(class_code: str) -> None:
    @st.fragment(run_every=BOARD_SECONDS)
    def live():  # the controls live inside: a fragment may only draw into its own container
        controls = st.columns([2, 2, 2])
        x_setting = controls[0].selectbox("Across (x)", list(board.AXIS_SETTINGS), format_func=board.AXIS_SETTINGS.get,
                                          key="classroom_board_x")
        y_metric = controls[1].radio("Up (y)", list(board.METRICS),
                                     format_func=lambda m: board.METRICS[m].split(" (")[0], horizontal=True,
                                     key="classroom_board_y")
        points = store().board(class_code)
        if not points:
            st.info("No models yet. Every model a student of the class trains appears here as one point.")
            return
        datasets = sorted({p.data for p in points}, key=lambda d: -sum(p.data == d for p in points))
        data = controls[2].selectbox("Data set", datasets, key="classroom_board_data", format_func=safe_text.shorten)
        shown = [p for p in points if p.data == data]
        leaders = [p.id for p in board.leaderboard(shown, store().challenge(class_code))[:3]]
        curve = _pca_curve(data)
        fig = class_figures.board_scatter(shown, x_setting, y_metric, pca_curve=curve, highlight=leaders,
                                          title=f"The class board: {len(shown)} model{'s' if len(shown) != 1 else ''} "
                                                f"of {len({p.member_id for p in shown})} students on {data}")
        event = st.plotly_chart(fig, key="classroom_board_chart", on_select="rerun", selection_mode="points")
        chosen = _selected_point(event)
        if chosen is not None:
            st.session_state[SELECTED] = chosen
        st.caption("Each dot is one trained model, coloured by type" + (
            "; the dashed line is PCA with as many components as the code size" if curve is not None and
            x_setting == "model.code_size" else "") + ". Ringed: the challenge's top three. Click a dot to see its "
            "reconstructions.")
        picked = next((p for p in shown if p.id == st.session_state.get(SELECTED)), None)
        if picked is not None:
            _show_reconstructions(picked)
        st.dataframe(_table(shown), hide_index=True, width="stretch", key="classroom_board_table")

    live()


def _selected_point(event) -> int | None:
    try:
        points = event.selection.points
    except AttributeError:
        return None
    for point in points or []:
        custom = point.get("customdata")
        if custom:
            return int(custom[0])
    return None


def _table(points, markdown: bool = False) -> list[dict]:
    """Rows for st.dataframe (cells are plain text) or, with ``markdown``, for st.table (cells are markdown:
    every user string is escaped)."""
    text = safe_text.plain if markdown else safe_text.shorten
    return [{"nickname": text(p.nickname, 24), "model": text(board.describe(p.settings), 80), "data": text(p.data, 24),
             "test MSE": round(p.test_mse, 5), "PSNR (dB)": round(p.test_psnr, 2)} for p in points]


def _show_reconstructions(point) -> None:
    from aecore import figures
    from aecore.cache import default_cache

    experiment = board.experiment_of(point.settings)
    title = f"{safe_text.plain(point.nickname, 24)}'s model ({board.describe(point.settings)})"
    if experiment is None or not default_cache().contains(experiment):
        st.caption(f"{title}: not in this server's model cache"
                   + (" (trained on the student's own data)." if experiment is None else "."))
        return

    def load():
        return default_cache().load(experiment)

    result = state.memo("classroom_models", (experiment.key(),), load, max_entries=4)
    if result is None:
        st.caption(f"{title}: could not be loaded from the model cache.")
        return
    dataset = state.get_dataset(experiment.data)
    n = min(8, len(result.test_reconstruction))
    st.markdown(f"**{title}**, test MSE {result.test_mse:.4f}")
    st.plotly_chart(figures.image_grid(
        [figures.as_images(dataset.x_test[:n], dataset.sample_shape),
         figures.as_images(np.clip(result.test_reconstruction[:n], 0, 1), dataset.sample_shape)],
        ["test images", "its reconstructions"], image_px=60), key="classroom_board_reconstructions")


def _challenge_tab(class_code: str, key: str) -> None:
    st.markdown("Set limits; the leaderboard ranks the class's models that respect all of them, lowest test error "
                "first.")
    current = store().challenge(class_code)
    defaults = {"model.code_size": 8, "train.epochs": 10, "model.n_hidden_layers": 2, "model.first_layer_nodes": 256}
    limits = {}
    cols = st.columns(len(board.CHALLENGE_LABELS))
    for col, (name, label) in zip(cols, board.CHALLENGE_LABELS.items()):
        field = name.split(".", 1)[1]
        on = col.checkbox(f"Limit the {label.lower().removesuffix(' at most')}",
                          value=name in current or (not current and name in ("model.code_size", "train.epochs")),
                          key=f"classroom_limit_on_{field}")
        value = col.number_input(label, min_value=0, max_value=2048, value=int(current.get(name, defaults[name])),
                                 key=f"classroom_limit_{field}", disabled=not on)
        if on:
            limits[name] = value
    if st.button("Set the challenge", type="primary", key="classroom_set_challenge", icon=":material/flag:"):
        try:
            current = store().set_challenge(class_code, key, limits)
        except ClassroomError as exc:
            st.error(str(exc))
    if current:
        st.caption("Challenge: " + ", ".join(f"{board.CHALLENGE_LABELS[n].lower()} {v:g}" for n, v in current.items()))
    points = store().board(class_code)
    ranked = board.leaderboard(points, current)
    if not current:
        st.info("No challenge yet: set one above.")
    elif not ranked:
        st.info("No model respects the challenge yet.")
    else:
        # st.table reads well on a projector; its cells are markdown, so _table escapes every user string.
        st.table([{"rank": i + 1, **row} for i, row in enumerate(_table(ranked[:20], markdown=True))],
                 hide_index=True)
        if len({p.data for p in ranked}) > 1:
            st.caption("The ranking mixes data sets: compare errors within one data set (see the data column).")


def _class_model():
    """The class's model for the latent map: the teacher's current model once its training has ended (the class
    never sees a provisional one)."""
    from ui import training

    result = training.current_result()
    return None if result is None or result.provisional else result


def _drawings_tab(class_code: str, key: str) -> None:
    @st.fragment(run_every=DRAWINGS_SECONDS)
    def live():
        _drawings_map(class_code, key)

    live()


def _drawings_map(class_code: str, key: str) -> None:
    drawings = store().drawings(class_code)
    result = _class_model()
    st.markdown(f"Drawings sent from the **Draw a digit** page: {len(drawings)}. They are placed on the latent map "
                "of the class's model (the model trained in your sidebar).")
    if result is None:
        from ui import training

        st.info(training.wait_for_final("Placing the drawings on the class's map") if training.is_running() else
                "Train a model in the sidebar (the class's model): the drawings are placed on its latent map.")
    else:
        dataset = state.get_dataset(result.experiment.data)
        if not dataset.is_image or len(dataset.sample_shape) != 2:
            st.info("The class's model was not trained on images: train one on mnist-5k to place the drawings.")
        else:
            from aecore import drawing

            codes = state.memo("classroom_codes", (state.model_id(result),),
                               lambda: result.encode(dataset.x_test).reshape(len(dataset.x_test), -1), max_entries=2)
            plane = state.memo("classroom_plane", (state.model_id(result),), lambda: drawing.LatentPlane(codes),
                               max_entries=2)
            coords = plane.transform(codes)
            if drawings:
                shaped = np.stack([drawing.fit_to_shape(d.pixels, dataset.sample_shape) for d in drawings])
                points = plane.transform(result.encode(shaped).reshape(len(drawings), -1))
            else:
                points = np.zeros((0, 2))
            st.plotly_chart(class_figures.drawings_map(
                coords, dataset.y_test, dataset.class_names, plane.axis_titles, points, [d.nickname for d in drawings],
                title=f"The class's drawings on the codes of {len(coords):,} test images"), key="classroom_drawings_map")
            st.caption("Stars: the class's drawings (the nickname shows on hover). Dots: test images by label.")
    if drawings and st.button("Clear the drawings", key="classroom_clear_drawings", icon=":material/delete:"):
        try:
            store().clear_drawings(class_code, key)
        except ClassroomError as exc:
            st.error(str(exc))
            return
        st.rerun(scope="fragment")


def _poll_tab(class_code: str, key: str) -> None:
    poll = store().current_poll(class_code)
    with st.expander("Ask a new question", expanded=poll is None):
        choices = [q.key for q in polls.QUESTIONS] + ["typed"]
        labels = {q.key: q.text for q in polls.QUESTIONS}
        labels["typed"] = "Type your own question"
        which = st.radio("Question", choices, format_func=labels.get, key="classroom_poll_choice")
        if which == "typed":
            question = st.text_input("Question", max_chars=200, key="classroom_poll_text")
            options = st.text_area("Answers, one per line", "Yes\nNo", key="classroom_poll_options").splitlines()
        else:
            q = polls.BY_KEY[which]
            question, options = q.text, list(q.options)
            st.caption("The reveal measures: " + q.needs)
        if st.button("Ask the class", type="primary", key="classroom_ask", icon=":material/how_to_vote:"):
            try:
                poll = store().ask(class_code, key, question, options, None if which == "typed" else which)
            except ClassroomError as exc:
                st.error(str(exc))
                return
            st.rerun()
    if poll is None:
        return
    st.subheader(safe_text.plain(poll.question, limit=None))

    @st.fragment(run_every=None if poll.revealed else BOARD_SECONDS)
    def live():
        counts = store().tally(class_code, poll.id)
        st.plotly_chart(class_figures.poll_histogram(poll.options, counts,
                                                     title=f"{sum(counts)} vote{'s' if sum(counts) != 1 else ''}"),
                        key="classroom_poll_chart")

    live()
    if poll.revealed:
        st.success(safe_text.plain(poll.revealed, limit=None), icon=":material/lightbulb:")
        return
    typed_answer = ""
    if poll.builtin is None:
        typed_answer = st.text_input("The answer to show (optional)", max_chars=300, key="classroom_poll_answer")
    if st.button("Reveal the answer", key="classroom_reveal", icon=":material/visibility:"):
        with st.spinner("Measuring…"):
            answer = _measure(poll, class_code) if poll.builtin else (typed_answer or "Here are the class's votes.")
        try:
            store().reveal(class_code, key, poll.id, answer)
        except ClassroomError as exc:
            st.error(str(exc))
            return
        st.rerun()


def _measure(poll, class_code: str) -> str:
    """The revealed answer of a built-in question, measured by the app now."""
    from aecore.config import DataConfig
    from aecore.data import load_dataset

    options = poll.options
    if poll.builtin == "pca64":
        curve = _pca_curve("mnist-5k")
        pca_mse = float(curve[1][63])
        ae = [p for p in store().board(class_code) if p.data == "mnist-5k" and p.settings.get("model.code_size") == 64]
        answer = polls.answer_pca64(pca_mse, ae)
    elif poll.builtin == "copy_noise":
        answer = polls.answer_copy_noise(None, None)
        from aecore.cache import default_cache

        for p in store().board(class_code):
            experiment = board.experiment_of(p.settings)
            if p.settings.get("model.kind") == "overcomplete" and experiment and default_cache().contains(experiment):
                result = default_cache().load(experiment)
                if result is None:
                    continue
                shape = state.get_dataset(experiment.data).sample_shape
                copy, grey = polls.noise_copy_error(result.reconstruct, shape=shape)
                answer = polls.answer_copy_noise(copy, grey, board.describe(p.settings))
                break
    else:
        answer = polls.answer_bce_floor(polls.bce_floor(load_dataset(DataConfig()).x_test))
    if answer.correct is not None:
        return f"{answer.text} Right answer: {options[answer.correct]}."
    return answer.text


def _end_tab(class_code: str, key: str) -> None:
    points = store().board(class_code)
    st.markdown("Ending the class deletes everything it holds (members, board, drawings, polls) from the server. "
                "Download the board first if you want to keep it.")
    st.download_button("Download the board (CSV)", board.board_csv(points), file_name=f"class-{class_code}-board.csv",
                       mime="text/csv", key="classroom_download_csv", icon=":material/download:", on_click="ignore")
    sure = st.checkbox("I have what I need: delete this class", key="classroom_end_sure")
    if st.button("End the class", type="primary", disabled=not sure, key="classroom_end", icon=":material/logout:"):
        try:
            deleted = store().end_class(class_code, key)
        except ClassroomError as exc:
            st.error(str(exc))
            return
        _leave(f"Class {class_code} ended: {deleted} rows deleted from the class store.")
        st.rerun()


def _student_page(mine) -> None:
    st.markdown(f"You are in class **{safe_text.plain(mine.class_code)}** as **{safe_text.plain(mine.nickname)}**. "
                "Every model you train goes on the class board (its settings and scores only: never your data).")
    poll = store().current_poll(mine.class_code)
    if poll is None:
        st.info("No question from the teacher right now.")
    else:
        st.subheader(safe_text.plain(poll.question, limit=None))
        voted = store().my_vote(mine.class_code, mine.id, poll.id)
        if poll.revealed:
            counts = store().tally(mine.class_code, poll.id)
            st.plotly_chart(class_figures.poll_histogram(poll.options, counts), key="classroom_student_poll_chart")
            st.success(safe_text.plain(poll.revealed, limit=None), icon=":material/lightbulb:")
        else:
            choice = st.radio("Your prediction", range(len(poll.options)), index=voted,
                              format_func=lambda i: safe_text.plain(poll.options[i]), key=f"classroom_vote_{poll.id}")
            if st.button("Vote", type="primary", key="classroom_vote", disabled=choice is None):
                try:
                    store().vote(mine.class_code, mine.id, poll.id, int(choice))
                except ClassroomError as exc:
                    st.error(str(exc))
                else:
                    st.success("Vote counted. The teacher reveals the answer when everyone has voted.")
            elif voted is not None:
                st.caption(f"You voted: {safe_text.plain(poll.options[voted])}. You can change it until the reveal.")
    if st.button("Leave the class", key="classroom_leave"):
        _leave("You left the class. Join again with its code and a nickname.")
        st.rerun()
