"""A fragment's rerun cannot undo what a full run set in the sidebar (ui.runtime_fixes).

The browser sends every widget's value with a fragment's rerun. One sent while a full run was changing the
sidebar from code carries the old values; Streamlit used to apply them (and their callbacks) after that run.
Here the AppTest tree plays the browser that has not yet seen the full run's values.
"""

from __future__ import annotations

import pytest

from apphelpers import TINY_SETTINGS, go_to, open_app, train
from fragments import move

pytestmark = pytest.mark.app


@pytest.fixture(scope="module")
def reconstructions():
    at = go_to(train(open_app(timeout=120), TINY_SETTINGS), "pages/reconstruction.py")
    at.run()
    return at


def count_slider(at):
    return next(w for w in at.get("slider") if w.key == "reconstruction_count")


def test_a_fragment_rerun_keeps_the_servers_sidebar_values(reconstructions):
    at = reconstructions
    at.run()
    epochs = at.session_state["sidebar_epochs"]
    at.slider(key="sidebar_epochs").set_value(epochs + 2)  # the browser's older copy
    assert move(at, count_slider(at), 6)
    assert not at.exception, at.exception
    assert at.session_state["sidebar_epochs"] == epochs
    assert at.session_state["reconstruction_count"] == 6  # the fragment's own control still moves


def test_an_old_preset_in_a_fragment_rerun_does_not_rewrite_the_sidebar(reconstructions):
    at = reconstructions
    at.run()  # the whole tree again
    code_size, preset = at.session_state["sidebar_code_size"], at.session_state["sidebar_preset"]
    at.selectbox(key="sidebar_preset").set_value("code2")  # as if the browser still showed an earlier preset
    assert move(at, count_slider(at), 5)
    assert not at.exception, at.exception
    assert at.session_state["sidebar_preset"] == preset and at.session_state["sidebar_code_size"] == code_size


def test_a_sidebar_move_still_reruns_the_app_and_counts(reconstructions):
    at = reconstructions
    at.run()  # the tree shows the server's values again
    at.slider(key="sidebar_epochs").set_value(4).run()
    assert not at.exception, at.exception
    assert at.session_state["sidebar_epochs"] == 4
