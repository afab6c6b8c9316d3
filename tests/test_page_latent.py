"""AppTest: the latent-space page after a tiny training, through the real app.py and its sidebar."""

import sys
import time

from tests.apphelpers import go_to, open_app, plotly_charts, texts, train


def _page_jobs(at) -> list:
    """This session's map jobs (the codes', the pixels', the codes over training), as the page keeps them."""
    from ui import latent_view

    return [at.session_state[slot] for slot in latent_view.SLOTS if slot in at.session_state]


def _wait_for_jobs(at, timeout: float = 60) -> None:
    """Wait for this session's t-SNE jobs, then rerun so the page draws their results."""
    deadline = time.time() + timeout
    for job in _page_jobs(at):
        assert job.wait(max(deadline - time.time(), 1)), f"{job.label} did not finish"
    at.run()
    assert not at.exception, at.exception


def _latent_page_with_maps():
    """The app after a tiny training, on the latent page with every map finished (300 points, 150 iterations)."""
    at = open_app()
    train(at)
    at.session_state["latent_points"] = 300
    at.session_state["latent_iterations"] = 150
    go_to(at, "pages/latent_space.py")
    _wait_for_jobs(at)
    _wait_for_jobs(at)  # the over-training job is submitted once the page reruns
    return at


def test_latent_page_renders_maps_scores_and_walk():
    at = _latent_page_with_maps()
    text = texts(at)
    assert "t-SNE of the codes" in text
    assert "kNN accuracy on the map" in text
    # the scores' plain-language lines, visible (not only behind "?"), next to where they first appear
    assert "kNN accuracy: how often a point's 10 nearest neighbours on the map mostly share its label" in text
    assert "Trustworthiness: 1 means a point's neighbours on the map are its true neighbours" in text
    charts = plotly_charts(at)
    # main map, three side-by-side maps, the walk strip, the epoch map and its kNN curve
    assert len(charts) >= 7, len(charts)
    assert not at.error, [e.value for e in at.error]
    maps = [j.result for j in _page_jobs(at) if j.result is not None and hasattr(j.result, "embedding")]
    assert maps and maps[0].embedding.shape == (300, 2)
    assert 0.0 <= maps[0].knn <= 1.0 and 0.5 < maps[0].trust <= 1.0


def test_unrelated_rerun_reuses_the_drawn_maps(monkeypatch):
    """Finished maps are drawn once per job: a rerun for another widget reuses the figures, unchanged."""
    from aecore.figures import latent as latent_figures

    at = _latent_page_with_maps()
    before = [c.proto.spec for c in plotly_charts(at)]
    drawn = []
    original = latent_figures.latent_map
    monkeypatch.setattr(latent_figures, "latent_map", lambda *a, **k: drawn.append(k.get("title")) or original(*a, **k))
    at.run()
    assert not at.exception, at.exception
    assert drawn == []
    assert [c.proto.spec for c in plotly_charts(at)] == before


def test_stop_tsne_only_detaches_this_session_from_a_map_others_watch():
    """Issue 16 (item 2 of the latent fixes): "Stop t-SNE" cancels a map only when nobody else watches it;
    a map another session also watches keeps running for it, and this page says so."""
    from aecore import jobs as jobs_module

    at = open_app()
    train(at)
    at.session_state["latent_points"] = 300
    at.session_state["latent_iterations"] = 1500  # long enough to still run when Stop is pressed
    go_to(at, "pages/latent_space.py")
    mine = _page_jobs(at)
    code_job = next(j for j in mine if j.label == "t-SNE of the codes")
    pixel_job = next(j for j in mine if j.label == "t-SNE of the pixels")
    try:
        assert code_job.active and len(code_job.attached) == 1
        (me,) = code_job.attached  # this tab's session
        jobs_module.default_queue().attach(code_job, "another-session")  # a second tab on the same map
        at.button(key="latent_stop").click().run()
        assert not at.exception, at.exception
        assert code_job.active and not code_job.cancel_event.is_set(), \
            "the map another session watches was cancelled for everyone"
        assert "another-session" in code_job.attached
        assert me not in code_job.attached  # this tab left it
        assert pixel_job.cancel_event.is_set() or pixel_job.status == jobs_module.DONE  # this tab's alone: stopped
        assert "You stopped watching" in texts(at)  # the job panel's line, in the run of the press
        at.run()  # the panel's next refresh redraws the page (the browser's next poll)
        assert not at.exception, at.exception
        assert code_job.active and "another-session" in code_job.attached
        assert "you stopped watching it; it is still being computed for 1 other session" in texts(at)
        assert not any(b.label == "Stop t-SNE" for b in at.button)  # nothing this tab follows any more
        assert me not in code_job.attached, "the page joined the map it was told to leave"

        at.button(key=f"latent_watch_{code_job.key}").click().run()  # "Watch it again"
        assert not at.exception, at.exception
        assert me in code_job.attached
        assert any(b.label == "Stop t-SNE" for b in at.button)
        assert "you stopped watching it" not in texts(at)
    finally:
        for job in list(mine):
            jobs_module.default_queue().cancel(job)
        for job in list(mine):  # a t-SNE thread still running at exit aborts the process
            job.wait(30)


def test_one_self_refreshing_fragment_at_a_fixed_place(monkeypatch):
    """Bug 4 (white page, "Bad delta path index 14 (should be between [0, 13])"): several fragments refreshed
    themselves at places that moved when a job started or ended. The page has one refreshing fragment, the job
    panel of all its maps, at the same place whether its maps run or are done; once they are done it stops
    refreshing itself."""
    import streamlit as st
    import streamlit.runtime.fragment as fragment_module
    from aecore import jobs as jobs_module

    refreshing, places = [], []
    real_fragment, real_identity = st.fragment, fragment_module._make_fragment_identity
    page_files = ("pages/latent_space.py", "ui/latent_view.py", "ui/job_panel.py")

    def fragment(func=None, *, run_every=None, **kwargs):
        if run_every and sys._getframe(1).f_code.co_filename.endswith(page_files):
            refreshing.append(run_every)
        return real_fragment(func, run_every=run_every, **kwargs)

    def identity(func, *, delta_path, additional_hash_info):
        # the page's other fragments (its controls' parts, issue 18) never refresh themselves
        if func.__code__.co_filename.endswith("ui/job_panel.py") and func.__name__ == "panel":
            places.append(delta_path)
        return real_identity(func, delta_path=delta_path, additional_hash_info=additional_hash_info)

    monkeypatch.setattr(st, "fragment", fragment)
    monkeypatch.setattr(fragment_module, "_make_fragment_identity", identity)
    at = open_app()
    train(at)
    at.session_state["latent_points"] = 300
    at.session_state["latent_iterations"] = 1500  # still running during the next two runs
    go_to(at, "pages/latent_space.py")
    mine = _page_jobs(at)
    try:
        assert any(j.active for j in mine)
        refreshing.clear(), places.clear()
        at.run()
        assert len(refreshing) == 1, f"{len(refreshing)} self-refreshing fragments in one run"
        assert len(places) == 1
        running_place = places[-1]
        assert _block_at(at, running_place).get("progress")  # the maps' bar is inside it
    finally:
        for job in list(mine):
            jobs_module.default_queue().cancel(job)
        for job in list(mine):  # a t-SNE thread still running at exit aborts the process
            job.wait(30)
    refreshing.clear(), places.clear()
    at.run()
    assert not at.exception, at.exception
    assert refreshing == [] and places == [running_place]
    assert not _block_at(at, running_place).get("progress")


def _block_at(at, delta_path: str):
    """The element tree's block at a delta path such as "[0, 7]" (main is 0)."""
    block = at._tree
    for index in (int(i) for i in delta_path.strip("[]").split(",")):
        block = block.children[index]
    return block


def test_kl_divergence_gets_a_plain_line_while_the_map_forms():
    from aecore import embed
    from aecore import jobs as jobs_module

    at = open_app()
    train(at)
    at.session_state["latent_points"] = 300
    at.session_state["latent_iterations"] = 1500
    go_to(at, "pages/latent_space.py")
    mine = _page_jobs(at)
    code_job = next(j for j in mine if j.label == "t-SNE of the codes")
    try:
        deadline = time.time() + 60
        while time.time() < deadline and not (isinstance(code_job.latest, embed.EmbedFrame)
                                               and code_job.latest.kl_divergence is not None):
            time.sleep(0.2)
        assert code_job.active, "the map finished before the test could see it forming"
        at.run()
        assert not at.exception, at.exception
        bars = " ".join(p.proto.text for p in at.get("progress"))
        assert "KL divergence" in bars and "nats" in bars
        assert "KL divergence (in nats): how much the map's neighbourhoods still differ" in texts(at)
    finally:
        for job in list(mine):
            jobs_module.default_queue().cancel(job)
        for job in list(mine):  # a t-SNE thread still running at exit aborts the process
            job.wait(30)


def test_map_settings_and_the_walk_rerun_only_their_part(monkeypatch):
    """Issue 18: the walk's slider reruns the walk alone (not the maps above it, the sidebar or the page's top);
    the map settings rerun the maps' part, still without the sidebar and the page's top."""
    from aecore.figures import latent as latent_figures
    from fragments import move
    from ui import sidebar, training

    at = _latent_page_with_maps()
    page_runs, maps_drawn = [], []
    for module, name in ((sidebar, "draw_sidebar"), (training, "require_result")):
        real = getattr(module, name)
        monkeypatch.setattr(module, name, lambda *a, real=real, **k: page_runs.append(1) or real(*a, **k))
    real_map = latent_figures.latent_map
    monkeypatch.setattr(latent_figures, "latent_map", lambda *a, **k: maps_drawn.append(1) or real_map(*a, **k))

    assert move(at, at.slider(key="latent_walk_steps"), 12), "the walk's slider is not inside a fragment"
    assert not at.exception, at.exception
    assert page_runs == [] and maps_drawn == [] and not at.title
    assert [str(c.key) for c in plotly_charts(at)] == ["latent_walk"]
    assert "12 codes evenly spaced" in texts(at)

    at.run()
    page_runs.clear()
    assert move(at, at.slider(key="latent_points"), 200), "'Points' is not inside a fragment"
    assert not at.exception, at.exception
    assert page_runs == [] and not at.title
    assert at.slider(key="latent_points").value == 200
    _wait_for_jobs(at)  # the 200-point maps (nothing may run on when the test ends)
    assert page_runs == [1, 1]


def test_maps_of_built_in_data_are_offered_to_a_dask_cluster(monkeypatch):
    """The page names each map job by its shared key, so with AELAB_DASK_SCHEDULER set the maps run on the
    cluster's workers and identical requests from any app server share one run (an upload's never leave)."""
    from aecore import embed

    calls = {}
    for name in ("code_map_job", "pixel_maps_job", "snapshot_maps_job"):
        original = getattr(embed, name)

        def recording(*args, _name=name, _original=original, **kwargs):
            calls[_name] = kwargs.get("cluster_key")
            return _original(*args, **kwargs)

        monkeypatch.setattr(embed, name, recording)
    at = open_app()
    train(at)
    at.session_state["latent_points"] = 300
    at.session_state["latent_iterations"] = 150
    at.session_state["latent_seed"] = 17  # maps no other test asked for (a finished map is joined, not rebuilt)
    go_to(at, "pages/latent_space.py")
    assert not at.exception, at.exception
    assert calls.get("code_map_job") and calls.get("pixel_maps_job"), calls
    assert calls["code_map_job"] != calls["pixel_maps_job"]
    assert {calls["code_map_job"], calls["pixel_maps_job"]} <= {job.key for job in _page_jobs(at)}
    _wait_for_jobs(at)  # nothing may run on when the test ends
