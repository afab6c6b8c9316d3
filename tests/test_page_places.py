"""A page drawn on the model of an epoch keeps every section at its place (its delta path) when it redraws with the
final model. Streamlit draws a rerun's elements place by place: a section that moves up one place leaves its old
copy on screen, faded, until the run ends (tests/test_browser_streamlit_elements.py): two of each chart at once."""

import pytest

from tests.test_progressive import _start_paused, paused_training  # noqa: F401 (a fixture)

pytestmark = pytest.mark.app


def _place(node, key: str, path: tuple = ()) -> tuple | None:
    """The delta path of the chart with ``key`` under ``node`` (an AppTest tree), else None."""
    for index, child in getattr(node, "children", {}).items():
        if getattr(child, "type", "") == "plotly_chart" and str(getattr(child.proto, "id", "")).endswith(key):
            return path + (index,)
        found = _place(child, key, path + (index,))
        if found is not None:
            return found
    return None


@pytest.mark.parametrize("page, key, seed", [("pages/directions.py", "directions_walk", 1407),
                                             ("pages/reconstruction.py", "reconstruction_histogram", 1408)])
def test_the_final_model_leaves_each_chart_at_its_place(paused_training, page, key, seed):  # noqa: F811
    from aecore import jobs

    from tests.apphelpers import go_to, open_app

    before_jobs = set(jobs.default_queue().active_jobs())
    at = open_app()
    job = _start_paused(at, paused_training, seed=seed)  # a model of its own: not cached
    try:
        go_to(at, page)
        assert any("Provisional" in i.value for i in at.info)
        provisional = _place(at.main, key)
        paused_training.set()
        assert job.wait(90) and job.status == "done"
        at.run()  # what the sidebar's status fragment does when the job ends: the whole page again
        assert not at.exception, at.exception
        assert not any("Provisional" in i.value for i in at.info)
        assert provisional is not None and _place(at.main, key) == provisional
    finally:
        paused_training.set()
        job.wait(90)
        for started in set(jobs.default_queue().active_jobs()) - before_jobs:
            jobs.default_queue().cancel(started)
            started.wait(60)
