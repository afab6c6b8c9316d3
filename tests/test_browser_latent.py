"""Real browser: the latent-space page draws its map, shows the digit under the cursor and the clicked point."""

import re

import pytest

from tests.browser import ARTIFACTS, goto_page, open_page, press_train, wait_idle


def _save_state(page, name: str, events: list[str]) -> str:
    """What the page showed when a wait timed out: a screenshot, the text of the sidebar and the page, and
    the browser's errors (also returned, so that a CI log shows it)."""
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)
    text = "\n".join(events[-20:]) + "\n\n" + page.locator("body").inner_text(timeout=5_000)
    (ARTIFACTS / f"{name}.txt").write_text(text)
    return text


def test_hover_shows_the_digit_and_click_shows_its_reconstruction(browser, server_url):
    events: list[str] = []  # the browser's side of a failure
    # fewer points keep the test quick: 600 (the slider's minimum + 5 steps); a tall tab shows the map whole
    page = _digits_model_on_latent_page(browser, server_url, events, steps_up=5,
                                        viewport={"width": 1440, "height": 1000})
    points = page.locator(f"{MAP} .js-plotly-plot .scatterlayer .trace .points path")
    page.wait_for_timeout(1500)  # plotly draws after the run; the hover component attaches within 0.5 s
    assert page.locator("[data-testid='stException']").count() == 0
    assert points.count() >= 500  # default 600 points after Home + 5 steps of 100

    tip = page.locator("[data-testid='latentHoverImage']")
    shown = False
    for i in range(0, 60, 7):  # hover a few points until one is not hidden under another
        box = points.nth(i).bounding_box()
        page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
        page.wait_for_timeout(400)
        if tip.is_visible():
            shown = True
            break
    assert shown, "no hover image appeared"
    assert tip.evaluate("el => getComputedStyle(el).backgroundImage").startswith('url("data:image/png;base64,')
    assert re.fullmatch(r"\d+", tip.get_attribute("data-index") or "")
    assert page.locator(".hoverlayer .hovertext").count() >= 1  # plotly's own label next to the image
    page.screenshot(path=str(ARTIFACTS / "latent-hover.png"))
    tip_box = tip.bounding_box()
    assert tip_box["width"] >= 100 and tip_box["height"] >= 100

    # click the hovered point: original and reconstruction appear with the walk buttons
    page.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    page.get_by_role("button", name="From here").wait_for(timeout=30_000)
    wait_idle(page)
    page.wait_for_timeout(1000)
    assert page.locator(".st-key-latent_clicked .js-plotly-plot").count() == 1
    page.screenshot(path=str(ARTIFACTS / "latent-clicked.png"))

    # pick it as the start of a walk: the strip switches to "two points picked on the map"
    page.get_by_role("button", name="From here").click()
    wait_idle(page)
    # the current run's radio (a rerun can keep the previous one, faded, for a moment), given time to switch
    from playwright.sync_api import expect

    walk = page.locator(".st-key-latent_walk_mode:not([data-stale='true'])")
    walk.scroll_into_view_if_needed()
    expect(walk.get_by_role("radio", name="two points picked on the map")).to_be_checked(timeout=30_000)
    page.wait_for_timeout(1000)
    page.screenshot(path=str(ARTIFACTS / "latent-walk.png"))
    assert page.locator("[data-testid='stException']").count() == 0


# --- bug 4 (white page with several self-refreshing maps) and bug 8 (walk mode) --------------------------

MAP = ".st-key-latent_map:not([data-stale='true'])"  # a rerun can keep the previous run's map, faded, a moment
CLICKED = ".st-key-latent_clicked:not([data-stale='true'])"
CRASH_SIGNS = ("Bad delta path", "Cannot send rerun", "Cannot set a node", "Bad 'setIn' index")


def _digits_model_on_latent_page(browser, url: str, events: list[str], steps_up: int = 1,
                                 viewport: dict | None = None):
    """A new tab (1280 x 720 unless ``viewport``): digits-8x8 with the sidebar's default model, trained (or
    loaded), on the latent page with 100 + 100 * ``steps_up`` points; returns the page once the first map is done."""
    page, _ = open_page(browser, viewport or {"width": 1280, "height": 720}, errors=events, prefix="page error: ")
    page.on("console", lambda msg: events.append(f"console {msg.type}: {msg.text}")
            if msg.type in ("error", "warning") else None)
    page.on("crash", lambda _: events.append("the page crashed"))
    page.goto(url)
    page.get_by_role("button", name="Train").wait_for(timeout=90_000)
    wait_idle(page)
    option = page.get_by_role("option", name="Digits 8×8 (offline)")
    for attempt in range(3):  # a click that lands while the sidebar redraws can be lost
        page.get_by_test_id("stSidebar").get_by_test_id("stSelectbox").filter(has_text="Data set").click()
        try:
            option.wait_for(timeout=10_000)
            break
        except Exception as exc:
            if attempt == 2:
                raise AssertionError("the data set list never opened; the page showed:\n"
                                     + _save_state(page, "latent-robust-no-options", events)[-3000:]) from exc
    option.click()
    wait_idle(page)
    heading = page.get_by_role("heading", name="Latent space (t-SNE)")
    for attempt in range(3):  # a navigation click that lands while the sidebar redraws can be lost
        goto_page(page, url, "Latent space (t-SNE)")
        try:
            heading.wait_for(timeout=15_000)
            break
        except Exception as exc:
            if attempt == 2:
                raise AssertionError("the latent page never opened; the page showed:\n"
                                     + _save_state(page, "latent-robust-no-page", events)[-3000:]) from exc
    press_train(page)
    thumb = page.locator(".st-key-latent_points input[type='range']")
    try:
        thumb.wait_for(state="attached", timeout=240_000)
    except Exception as exc:
        raise AssertionError("the page's controls never appeared; it showed:\n"
                             + _save_state(page, "latent-robust-no-controls", events)[-3000:]) from exc
    wait_idle(page)
    thumb.focus()
    page.keyboard.press("Home")
    for _ in range(steps_up):
        page.keyboard.press("ArrowRight")
    wait_idle(page)
    _wait_for_map(page, events, "latent-robust-no-map")
    return page


def _wait_for_map(page, events: list[str], name: str, timeout: float = 240_000) -> None:
    points = page.locator(f"{MAP} .js-plotly-plot .scatterlayer .trace .points path")
    try:
        points.first.wait_for(timeout=timeout)
    except Exception as exc:
        raise AssertionError("the map never appeared; the page showed:\n"
                             + _save_state(page, name, events)[-3000:]) from exc
    wait_idle(page)


def _crashes(events: list[str]) -> list[str]:
    return [e for e in events if e.startswith("page error") or any(sign in e for sign in CRASH_SIGNS)]


def test_stop_and_slider_presses_while_maps_refresh_keep_the_page(browser, server_url):
    """Bug 4: default model, map done, Perplexity to 50, Stop t-SNE, then four ArrowLeft presses back to 30
    while the other maps and "Codes over training" still refresh: the page stays (no white page, no
    "Bad delta path" / "Cannot send rerun" in the console)."""
    events: list[str] = []
    url = server_url
    page = _digits_model_on_latent_page(browser, url, events)
    main = page.get_by_test_id("stMain")
    page.locator(".st-key-latent_iterations input[type='range']").focus()
    page.keyboard.press("End")  # 1,500 iterations: the maps still run when Stop is pressed
    wait_idle(page)
    perplexity = page.locator(".st-key-latent_perplexity input[type='range']")
    for round_ in range(2):  # the crash was intermittent: drive the sequence twice
        perplexity.focus()
        presses = 4 + round_  # 30 -> 50, then 55 (a map not stopped before), one rerun per press
        for _ in range(presses):
            page.keyboard.press("ArrowRight")
            page.wait_for_timeout(150)
        stop = page.get_by_role("button", name="Stop t-SNE")
        try:
            stop.wait_for(timeout=60_000)
        except Exception as exc:
            raise AssertionError(f"round {round_}: Stop t-SNE never appeared; the page showed:\n"
                                 + _save_state(page, "latent-robust-no-stop", events)[-3000:]) from exc
        page.wait_for_timeout(500)  # let the maps refresh a few times
        try:
            stop.click(timeout=20_000)
        except Exception as exc:
            raise AssertionError(f"round {round_}: Stop t-SNE went away; the page showed:\n"
                                 + _save_state(page, "latent-robust-stop-gone", events)[-3000:]) from exc
        page.get_by_text("t-SNE was stopped early").or_(page.get_by_text("stopped before the end")).first.wait_for()
        page.wait_for_timeout(300)
        perplexity.focus()
        for _ in range(presses):  # back to 30 while the pixel maps and the maps over training still refresh
            page.keyboard.press("ArrowLeft")
            page.wait_for_timeout(250)
        page.wait_for_timeout(3000)  # several polls of whatever still refreshes
        assert not _crashes(events), _save_state(page, "latent-robust-crash", events)[-3000:]
        _wait_for_map(page, events, "latent-robust-no-map-after")
        assert perplexity.input_value() == "30"
        assert main.get_by_text("Latent space (t-SNE)").first.is_visible()
        assert page.locator("[data-testid='stException']").count() == 0
    page.wait_for_timeout(2000)
    page.screenshot(path=str(ARTIFACTS / "latent-after-stop-and-presses.png"))
    assert not _crashes(events), _save_state(page, "latent-robust-crash", events)[-3000:]
    page.close()


def test_from_here_and_to_here_switch_the_walk_to_the_picked_points(browser, server_url):
    """Bug 8: after "From here" / "To here" on the map, "Walk between" shows the picked points and the strip
    walks from A to B (it stayed on "two digit classes", "typical 4 -> typical 9")."""
    events: list[str] = []
    page = _digits_model_on_latent_page(browser, server_url, events)
    points = page.locator(f"{MAP} .js-plotly-plot .scatterlayer .trace .points path")
    walk = page.locator(".st-key-latent_walk:not([data-stale='true'])")
    walk.wait_for()
    assert "typical" in walk.text_content()  # the default walk: between two digit classes

    def pick(index: int, button: str) -> None:
        page.locator(MAP).scroll_into_view_if_needed()
        box = points.nth(index).bounding_box()
        page.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
        page.get_by_role("button", name=button).wait_for(timeout=30_000)
        wait_idle(page)
        page.get_by_role("button", name=button).click()
        wait_idle(page)
        page.wait_for_timeout(500)

    pick(3, "From here")
    pick(120, "To here")
    mode = page.locator(".st-key-latent_walk_mode:not([data-stale='true'])")
    mode.scroll_into_view_if_needed()
    assert mode.get_by_role("radio", name="two points picked on the map").is_checked()
    for _ in range(20):  # the strip is redrawn by the run that the press started
        strip = walk.text_content()
        if "typical" not in strip:
            break
        page.wait_for_timeout(500)
    assert re.search(r"from A \(\w+\) to B \(\w+\)", strip), strip
    assert "typical" not in strip
    walk.scroll_into_view_if_needed()
    page.wait_for_timeout(500)
    page.screenshot(path=str(ARTIFACTS / "latent-walk-picked.png"))
    assert not _crashes(events), events
    assert page.locator("[data-testid='stException']").count() == 0
    page.close()


def test_stop_in_one_tab_leaves_the_map_to_the_other_tab(browser, server_url):
    """Issue 12: two tabs follow the same maps; "Stop t-SNE" in one only leaves them (that tab says they are still
    computed for the other session, and offers to watch again), the other tab's maps run to the end, and the
    tab that left shows the finished map too."""
    events: list[str] = []
    first = _digits_model_on_latent_page(browser, server_url, events, steps_up=5)  # 600 points
    second = _digits_model_on_latent_page(browser, server_url, events, steps_up=5)
    for page in (first, second):  # 1,500 iterations: the same new maps, asked for by both tabs
        page.locator(".st-key-latent_iterations input[type='range']").focus()
        page.keyboard.press("End")
    second_main = second.get_by_test_id("stMain")
    try:
        second_main.get_by_text("shared with 1 other session").first.wait_for(timeout=60_000)
        wait_idle(first)
        first.get_by_role("button", name="Stop t-SNE").click(timeout=20_000)
        first.get_by_text("you stopped watching it; it is still being computed for 1 other session").first.wait_for()
        assert first.get_by_role("button", name="Watch it again").count() >= 1
        assert first.get_by_role("button", name="Stop t-SNE").count() == 0
        assert second.get_by_role("button", name="Stop t-SNE").count() == 1  # still running for this tab
    except Exception as exc:
        raise AssertionError("the tabs did not share the maps as expected; the first tab showed:\n"
                             + _save_state(first, "latent-two-tabs-first", events)[-3000:] + "\nthe second:\n"
                             + _save_state(second, "latent-two-tabs-second", events)[-3000:]) from exc
    wait_idle(first)
    first.wait_for_timeout(1000)
    first.screenshot(path=str(ARTIFACTS / "latent-stopped-watching.png"))
    for page in (second, first):  # the map ends for the tab that watched it, and the one that left sees it too
        page.get_by_role("button", name="Stop t-SNE").wait_for(state="detached", timeout=240_000)
        _wait_for_map(page, events, "latent-two-tabs-no-map")
        page.get_by_text("kNN accuracy on the map").first.wait_for(timeout=60_000)
        assert page.get_by_text("t-SNE was stopped early").count() == 0
        assert page.get_by_text("you stopped watching it").count() == 0
    assert not _crashes(events), events
    for page in (first, second):
        assert page.locator("[data-testid='stException']").count() == 0
        page.close()


def _aim(page, points, avoid: str | None = None) -> tuple[float, float, str]:
    """Hover points of the map until plotly labels one (other than ``avoid``); the pointer stays on it. Returns
    where it is and what the label names ("test image 17")."""
    page.locator(MAP).scroll_into_view_if_needed()
    label = page.locator(".hoverlayer .hovertext")
    for i in range(0, 90, 7):  # a point hidden under another gets no label of its own
        box = points.nth(i).bounding_box()
        if box is None:
            continue
        x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
        page.mouse.move(x, y)
        page.wait_for_timeout(300)
        if label.count():
            found = re.search(r"(test|validation|training) image \d+", label.first.text_content() or "")
            if found and found.group(0) != avoid:
                return x, y, found.group(0)
    raise AssertionError("no point of the map showed its label")


def test_a_point_aimed_at_while_the_other_maps_run_is_the_point_clicked(browser, server_url):
    """The map of the codes is done while the pixels' map and the ten maps over training still run, and their
    panel polls twice a second (with two workers; a redraw of the page when each ends). A click during those
    polls shows its point, and so does a click aimed while they ran that lands as the last one ends. Before, the
    panel (Stop t-SNE and its bar) sat above the map and went with the last map: the map jumped up under the
    pointer and the click landed beside its point (CI: "From here" never appeared)."""
    events: list[str] = []
    page = _digits_model_on_latent_page(browser, server_url, events, steps_up=0)  # 100 points: a quick map
    for key in ("latent_perplexity", "latent_iterations"):  # the maps over training (360 codes each) take long
        page.locator(f".st-key-{key} input[type='range']").focus()
        page.keyboard.press("End")
        wait_idle(page)
    stop = page.get_by_role("button", name="Stop t-SNE")
    stop.wait_for(timeout=60_000)
    _wait_for_map(page, events, "latent-aim-no-map")
    points = page.locator(f"{MAP} .js-plotly-plot .scatterlayer .trace .points path")

    def shown(what: str, name: str) -> None:
        """The clicked point's image and reconstruction, titled with ``what``, and the walk's buttons."""
        try:
            wait_idle(page)
            page.wait_for_function("([css, what]) => [...document.querySelectorAll(css)].some("
                                   "e => e.textContent.includes(what))", arg=[CLICKED, what], timeout=30_000)
            page.get_by_role("button", name="From here").wait_for(timeout=10_000)
        except Exception as exc:
            raise AssertionError(f"the click on {what} did not show it; the page showed:\n"
                                 + _save_state(page, name, events)[-3000:]) from exc

    # a click while the other maps run (the panel polls around it)
    x, y, first = _aim(page, points)
    assert stop.is_visible(), "the other maps ended before the test clicked: they need to take longer"
    page.mouse.click(x, y)
    shown(first, "latent-click-while-running")
    assert stop.is_visible(), "the other maps ended before the test aimed again: they need to take longer"
    stop.scroll_into_view_if_needed()
    page.screenshot(path=str(ARTIFACTS / "latent-panel-under-map.png"))  # the running maps' bar under the map

    # aimed while they run, pressed as the last one ends (the page redraws without the panel)
    x, y, second = _aim(page, points, avoid=first)
    assert stop.is_visible(), "the other maps ended before the test aimed: they need to take longer"
    top = page.locator(MAP).bounding_box()["y"]
    stop.wait_for(state="detached", timeout=240_000)
    page.mouse.click(x, y)
    shown(second, "latent-click-after-maps")
    assert page.locator(MAP).bounding_box()["y"] == top, "the map moved when the other maps ended"
    page.mouse.move(1270, 710)  # the digit under the pointer off the picture
    wait_idle(page)
    page.wait_for_timeout(1000)
    page.screenshot(path=str(ARTIFACTS / "latent-click-as-maps-end.png"))
    assert not _crashes(events), events
    assert page.locator("[data-testid='stException']").count() == 0
    page.close()
