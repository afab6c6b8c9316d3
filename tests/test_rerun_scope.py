"""A page widget reruns only its own part (st.fragment), and shared derived results are computed once per server."""

from __future__ import annotations

import threading

import pytest

from apphelpers import TINY_SETTINGS, go_to, open_app, train
from fragments import move

pytestmark = pytest.mark.app


class Calls:
    """Counts calls of a module function while the test runs (the page scripts look it up at call time)."""

    def __init__(self, monkeypatch, module, name: str):
        self.count = 0
        original = getattr(module, name)

        def counted(*args, **kwargs):
            self.count += 1
            return original(*args, **kwargs)

        monkeypatch.setattr(module, name, counted)


@pytest.fixture(scope="module")
def trained_app():
    at = open_app(timeout=120)
    return train(at, TINY_SETTINGS)


# (page, widget kind, key, new value): a control of each page that drives figures only
PAGE_WIDGETS = [
    ("pages/reconstruction.py", "slider", "reconstruction_count", 6),
    ("pages/pca_vs_ae.py", "slider", "pca_count", 5),
    ("pages/pca_vs_ae.py", "slider", "pca_layer_image", 3),
    ("pages/limits.py", "select_slider", "limits_bits_depth", 8),
    ("pages/family.py", "radio", "family_sweep_kind", "salt_pepper"),
]


@pytest.mark.parametrize("page,kind,key,value", PAGE_WIDGETS, ids=[w[2] for w in PAGE_WIDGETS])
def test_page_widget_reruns_only_its_fragment(trained_app, monkeypatch, page, kind, key, value):
    from aecore import jobs
    from ui import sidebar, training

    at = go_to(trained_app, page)
    for _ in range(120):  # a page may start quick background work (the Limits page's bit counts)
        if not jobs.default_queue().active_jobs():
            break
        threading.Event().wait(0.5)
    at.run()
    widget = next(w for w in at.get(kind) if w.key == key)
    sidebar_calls = Calls(monkeypatch, sidebar, "draw_sidebar")
    page_calls = Calls(monkeypatch, training, "require_result")
    assert move(at, widget, value), f"{key} is not inside a fragment: moving it reruns the whole page"
    assert not at.exception, at.exception
    assert (sidebar_calls.count, page_calls.count) == (0, 0), "the sidebar or the page body ran again"
    assert next(w for w in at.get(kind) if w.key == key).value == value
    assert at.get("plotly_chart"), "the fragment drew no figure"
    at.run()  # a sidebar change or a reload still reruns the whole page, with the moved value kept
    assert sidebar_calls.count == 1 and page_calls.count == 1
    assert at.session_state[key] == value


def test_shared_result_computed_once_for_two_sessions(monkeypatch):
    """Two sessions on the same cached model: the page's figures are computed by the first and reused by the
    second (before, every session, and every rerun, drew its own)."""
    from aecore import figures
    from ui import shared

    shared.server_store().clear()
    histograms = Calls(monkeypatch, figures, "histogram")
    sessions = [train(open_app(timeout=120), TINY_SETTINGS) for _ in range(2)]
    assert sessions[0].session_state["ae_job"].result is sessions[1].session_state["ae_job"].result
    for at in sessions:
        go_to(at, "pages/reconstruction.py")
        assert at.get("plotly_chart")
    assert histograms.count == 1


def test_upload_results_stay_in_their_session():
    from aecore.config import DataConfig
    from ui import shared

    upload = DataConfig(name="my.npz", upload_id="abc123")
    assert shared.is_private(upload) and not shared.is_private(DataConfig(name="mnist-5k"))


def test_sessions_asking_at_the_same_moment_compute_once():
    """The second session waits for the first one's result instead of repeating the work."""
    from ui.shared import SharedStore

    store, started, calls, results = SharedStore(), threading.Event(), [], []

    def compute():
        calls.append(1)
        started.set()
        threading.Event().wait(0.3)  # a slow figure
        return object()

    def ask():
        results.append(store.get("figures", ("model", 8), compute, 4))

    first = threading.Thread(target=ask)
    first.start()
    started.wait(5)
    second = threading.Thread(target=ask)
    second.start()
    first.join(5)
    second.join(5)
    assert len(calls) == 1 and len(results) == 2 and results[0] is results[1]


@pytest.mark.parametrize("page", ["pages/limits.py", "pages/latent_space.py"])
def test_a_whole_page_rerun_copies_no_shared_figure(trained_app, monkeypatch, page):
    """Issue 18: st.plotly_chart asks each figure for plotly's to_dict() (a deep copy of all its data) on every
    rerun; the page's shared figures built theirs once, so a sidebar move on a settled page copies none (before:
    one copy per chart, 7 on Limits, the largest a 1,000-point map on Latent space)."""
    import plotly.basedatatypes

    from aecore import jobs

    at = go_to(trained_app, page)
    for _ in range(2):  # the page's background work (bit counts, t-SNE maps), then the page drawn with it
        for _ in range(600):
            if not jobs.default_queue().active_jobs():
                break
            threading.Event().wait(0.5)
        at.run()
    assert not at.exception, at.exception
    copies = Calls(monkeypatch, plotly.basedatatypes.BaseFigure, "to_dict")
    at.run()
    assert not at.exception, at.exception
    assert len(at.get("plotly_chart")) >= 3
    assert copies.count == 0
