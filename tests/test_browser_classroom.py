"""Real browser, four contexts (a teacher and three students) walk one lesson of class mode:

start a class; join by link and by code; follow a preset, then settings; train (digits-8x8, a few seconds
each); the points appear on the teacher's board; a challenge ranks them; a drawing (with the mouse on the
Draw page) appears on the class map; a poll is answered and revealed; the board's CSV is downloaded, the
class ends and its rows are gone from the store.
"""

from __future__ import annotations

import csv
import io
import re
import shutil
import time

import pytest

from aecore.classroom.store import ClassStore
from tests.browser import ARTIFACTS, ROOT, press_train, streamlit_server, wait_idle

SCREENSHOTS = ROOT / "tests" / "screenshots"
VIEWPORT = {"width": 1280, "height": 720}  # the projector
# Poll text is shown as text: an invisible word joiner follows each ':' (see ui/safe_text).
REVEALED = re.compile(r"Right answer:\W*No:\W*it stops near 0\.06")
TRAINED = re.compile(r"Trained for|Early stopping after|Shared: another session|Loaded from the cache")


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("classroom")
    db = "sqlite:///" + str(tmp / "class.sqlite3")
    with streamlit_server(env={"AELAB_CLASS_DB": db, "AELAB_CACHE_DIR": str(tmp / "cache")}) as url:
        yield url, db


def main(page):
    return page.get_by_test_id("stMain")


def sidebar(page):
    return page.get_by_test_id("stSidebar")


def select(page, where, label: str, option: str, attempts: int = 3) -> None:
    """Pick ``option`` in the selectbox ``label`` (a click that lands during a rerun can close the list: again)."""
    for attempt in range(attempts):
        where.get_by_test_id("stSelectbox").filter(has_text=label).first.click()
        try:
            page.get_by_role("option", name=option, exact=True).click(timeout=5_000)
            break
        except Exception:
            page.keyboard.press("Escape")
            if attempt == attempts - 1:
                raise
    wait_idle(page)
    selected(where, label, option)


def selected(where, label: str, text: str, timeout: float = 60.0) -> None:
    """Wait until the selectbox ``label`` shows ``text``."""
    box = where.get_by_test_id("stSelectbox").filter(has_text=label).first
    deadline = time.time() + timeout
    def shown() -> str:
        return box.inner_text() + " " + box.locator("input").first.input_value()

    while text not in shown():
        assert time.time() < deadline, f"{label} shows {shown()!r}, not {text!r}"
        time.sleep(0.3)


OPENED: list = []
CONSOLE: list[str] = []  # every screen's console errors and warnings, written out when the lesson fails


def open_page(browser, url: str):
    page = browser.new_context(viewport=VIEWPORT).new_page()
    screen = len(OPENED)
    OPENED.append(page)
    page.on("console", lambda msg: CONSOLE.append(f"{time.time():.1f} screen {screen} {msg.type}: {msg.text}")
            if msg.type in ("error", "warning") else None)
    page.goto(url)
    page.get_by_role("button", name="Train").wait_for(timeout=120_000)
    wait_idle(page)
    return page


def join(page, nickname: str, code: str | None = None) -> None:
    if code is not None:
        main(page).get_by_label("Class code").fill(code)
    main(page).get_by_label("Nickname").fill(nickname)
    main(page).get_by_role("button", name="Join").click()
    main(page).get_by_text("following the teacher").first.wait_for(timeout=30_000)
    wait_idle(page)


def tab(page, name: str) -> None:
    main(page).get_by_role("tab", name=name).click()
    page.wait_for_timeout(300)


def go(page, title: str) -> None:
    """Open a page from the sidebar's navigation (unfolding "View N more" when the list is folded)."""
    nav = page.get_by_test_id("stSidebarNav")
    link = nav.locator("a").filter(has_text=title).first
    if not link.is_visible():
        more = nav.get_by_text(re.compile(r"View \d+ more"))
        if more.count():
            more.first.click()
    link.click()
    wait_idle(page)


def no_exception(*pages) -> None:
    for page in pages:
        assert page.locator("[data-testid='stException']").count() == 0


def test_a_lesson_in_class_mode(browser, server):
    try:
        lesson(browser, server)
    except Exception:
        for i, page in enumerate(OPENED):  # what each of the four screens showed when it failed
            page.screenshot(path=str(ARTIFACTS / f"classroom-failed-{i}.png"))
        (ARTIFACTS / "classroom-failed-console.txt").write_text("\n".join(CONSOLE))
        raise


def lesson(browser, server):
    url, db = server
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)

    # 1. The teacher starts a class: code, join link, QR code.
    teacher = open_page(browser, url + "/classroom")
    main(teacher).get_by_role("button", name="Start a class").click()
    link = main(teacher).locator("code").filter(has_text="?class=").first
    link.wait_for(timeout=30_000)
    join_url = link.inner_text().strip()
    code = join_url.rsplit("class=", 1)[1]
    assert re.fullmatch(r"[A-Z2-9]{6}", code) and join_url.startswith(url + "/classroom?")
    assert main(teacher).get_by_test_id("stImage").count() >= 1  # the QR code
    qr_box = main(teacher).get_by_test_id("stImage").locator("img").first.bounding_box()
    assert qr_box["width"] >= 300  # scannable from the back of a room when projected
    assert "teacher=" not in teacher.url  # the key is never on the (projected) address bar
    class_id = ClassStore(db).class_info(code).id

    # 2. Three students: two by the link, one by typing the code; one nickname is HTML.
    ada = open_page(browser, join_url)
    deadline = time.time() + 20
    while main(ada).get_by_label("Class code").input_value() != code:  # filled from the link
        assert time.time() < deadline, main(ada).get_by_label("Class code").input_value()
        time.sleep(0.3)
    join(ada, "Ada")
    bo = open_page(browser, url + "/classroom")
    join(bo, "Bo", code=code.lower())
    cy = open_page(browser, join_url)
    join(cy, "<b>Cy</b>")

    # 3. Follow a preset, then settings: the teacher sends, the students' sidebars and pages follow.
    teacher_side = sidebar(teacher)
    select(teacher, teacher_side, "Lesson preset", "2 · A 2-number bottleneck")
    tab(teacher, "Send to the class")
    main(teacher).get_by_role("button", name="Send to the class").click()
    main(teacher).get_by_text("Sent (update 1)").wait_for(timeout=20_000)
    for student in (ada, bo, cy):
        selected(sidebar(student), "Lesson preset", "2 · A 2-number bottleneck")
        main(student).get_by_role("heading", name="Training").wait_for(timeout=20_000)
    wait_idle(ada)
    ada.screenshot(path=str(ARTIFACTS / "classroom-student-followed.png"))
    select(teacher, teacher_side, "Data set", "Digits 8×8 (offline)")  # a few seconds per training
    main(teacher).get_by_role("button", name="Send to the class").click()
    main(teacher).get_by_text("Sent (update 2)").wait_for(timeout=20_000)
    for student in (ada, bo, cy):
        selected(sidebar(student), "Data set", "Digits 8×8 (offline)")
        wait_idle(student)

    # 4. Three distinct models: Bo and Cy explore freely (a larger code; the sparse type).
    main(bo).get_by_role("button", name="Explore freely").click()
    main(bo).get_by_text("exploring freely").wait_for(timeout=20_000)
    slider = sidebar(bo).get_by_test_id("stSlider").filter(has_text="Code size").get_by_role("slider")
    slider.focus()
    bo.keyboard.press("ArrowRight")
    wait_idle(bo)
    slider.focus()
    bo.keyboard.press("ArrowRight")
    wait_idle(bo)
    bo.wait_for_function("() => window.location.search.includes('code=4')", timeout=20_000)
    main(cy).get_by_role("button", name="Explore freely").click()
    main(cy).get_by_text("exploring freely").wait_for(timeout=20_000)
    select(cy, sidebar(cy), "Autoencoder type", "Sparse")
    for student in (ada, bo, cy):
        press_train(student)
    for student in (ada, bo, cy):
        sidebar(student).get_by_text(TRAINED).first.wait_for(timeout=180_000)
    main(ada).get_by_text("Test PSNR").first.wait_for(timeout=30_000)  # Ada follows, on the Training page
    wait_idle(ada)
    ada.mouse.move(700, 650)  # no button tooltip in the picture
    ada.wait_for_timeout(500)
    ada.screenshot(path=str(ARTIFACTS / "classroom-student.png"))

    # 5. The board: three points, from three students.
    tab(teacher, "Board")
    main(teacher).get_by_text("The class board: 3 models of 3 students on digits-8x8").first.wait_for(timeout=30_000)
    wait_idle(teacher)
    main(teacher).get_by_test_id("stTabs").first.evaluate("e => e.scrollIntoView()")  # the tabs and the board
    teacher.wait_for_timeout(1000)
    teacher.screenshot(path=str(ARTIFACTS / "classroom-board.png"))
    points = ClassStore(db).board(code)
    assert sorted(p.nickname for p in points) == ["<b>Cy</b>", "Ada", "Bo"]
    assert all(p.created - p.trained_at < 10 for p in points)

    # 6. A challenge ranks the models that respect it (a code of at most 2: Ada's and Cy's).
    tab(teacher, "Challenge")
    main(teacher).get_by_text("Limit the epochs").click()
    wait_idle(teacher)
    limit = main(teacher).get_by_label("Code size at most")
    limit.fill("2")
    limit.press("Enter")
    wait_idle(teacher)
    main(teacher).get_by_role("button", name="Set the challenge").click()
    wait_idle(teacher)
    table = main(teacher).get_by_test_id("stTable")
    table.wait_for(timeout=20_000)
    ranked = table.inner_text()
    assert "Ada" in ranked and "<b>Cy</b>" in ranked and "Bo" not in ranked  # the HTML nickname as text
    assert table.locator("b").count() == 0

    # 7. A drawing with the mouse on the Draw page reaches the class map (the teacher's model places it).
    press_train(teacher)  # Ada's settings: shared or loaded, at once
    sidebar(teacher).get_by_text(TRAINED).first.wait_for(timeout=120_000)
    go(ada, "Draw a digit")
    canvas = ada.locator("canvas").last
    canvas.wait_for(timeout=30_000)
    ada.wait_for_timeout(1000)
    box = canvas.bounding_box()
    ada.mouse.move(box["x"] + 140, box["y"] + 40)
    ada.mouse.down()
    for t in range(25):
        ada.mouse.move(box["x"] + 140, box["y"] + 40 + t * 8)
    ada.mouse.up()
    main(ada).get_by_text("Reconstruction MSE").wait_for(timeout=60_000)
    wait_idle(ada)
    main(ada).get_by_role("button", name="Send to the class").click()
    main(ada).get_by_text("Sent: your drawing is on the teacher's class map").wait_for(timeout=20_000)
    tab(teacher, "Drawings")
    main(teacher).get_by_text("class drawings").first.wait_for(timeout=30_000)
    assert [d.nickname for d in ClassStore(db).drawings(code)] == ["Ada"]

    # 8. Predict, then reveal.
    tab(teacher, "Poll")
    main(teacher).get_by_text("Can binary cross-entropy on MNIST go down to 0 with a big enough model?").click()
    main(teacher).get_by_role("button", name="Ask the class").click()
    wait_idle(teacher)
    vote_link = main(ada).get_by_role("link", name=re.compile("The teacher asks a question"))
    vote_link.wait_for(timeout=20_000)  # Ada follows: the question reaches her page within a second or two
    vote_link.click()
    wait_idle(ada)
    main(ada).get_by_test_id("stRadio").get_by_text(re.compile(r"^No:\W*it stops near")).click()
    wait_idle(ada)
    main(ada).get_by_role("button", name="Vote").click()
    main(ada).get_by_text("Vote counted").wait_for(timeout=20_000)
    go(bo, "Classroom")
    main(bo).get_by_test_id("stRadio").get_by_text(re.compile(r"^Yes, with enough capacity")).click()
    wait_idle(bo)
    main(bo).get_by_role("button", name="Vote").click()
    main(bo).get_by_text("Vote counted").wait_for(timeout=20_000)
    tab(teacher, "Poll")
    main(teacher).get_by_text("2 votes").first.wait_for(timeout=20_000)
    main(teacher).get_by_role("button", name="Reveal the answer").click()
    main(teacher).get_by_text(REVEALED).wait_for(timeout=60_000)
    main(ada).get_by_text(REVEALED).wait_for(timeout=20_000)

    # 9. The board's CSV first, then the end of the class: every row of it is gone.
    tab(teacher, "End class")
    with teacher.expect_download() as download:
        main(teacher).get_by_role("button", name="Download the board (CSV)").click()
    rows = list(csv.DictReader(io.StringIO(open(download.value.path()).read())))
    assert sorted(r["nickname"] for r in rows) == ["<b>Cy</b>", "Ada", "Bo"]
    main(teacher).get_by_text("I have what I need: delete this class").click()
    main(teacher).get_by_role("button", name="End the class").click()
    main(teacher).get_by_text(re.compile(f"Class {code} ended")).wait_for(timeout=20_000)
    assert set(ClassStore(db).row_counts(class_id).values()) == {0}
    main(ada).get_by_text(re.compile("The class has ended")).wait_for(timeout=20_000)
    no_exception(teacher, ada, bo, cy)
    for name in ("classroom-board.png", "classroom-student.png"):
        shutil.copyfile(ARTIFACTS / name, SCREENSHOTS / name)
