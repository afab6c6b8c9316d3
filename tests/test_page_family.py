"""The Autoencoder family page, through the real entry point: one section per type, and comparisons."""

import json

import pytest

from aecore import family, jobs
from tests.apphelpers import TINY_SETTINGS, go_to, open_app, plotly_charts, set_sidebar, texts, train

PAGE = "pages/family.py"

KINDS = {
    "dense": ({}, "plain under-complete", 1),
    "denoising": ({"sidebar_noise_level": 0.5}, "Noise sweep", 2),
    "conv": ({"sidebar_conv_filters": 4, "sidebar_conv_depth": 1}, "learned first-layer filters", 2),
    "contractive": ({}, "Code change (contractive)", 2),
    "variational": ({"sidebar_code_size": 2}, "New images from random codes", 4),
}


def page_text(at) -> str:
    return texts(at) + "\n".join(h.value for h in at.header)


def chart_traces(chart) -> list:
    return json.loads(chart.proto.spec)["data"]


def trained_family_page(kind: str, extra: dict):
    at = open_app()
    train(at, {**TINY_SETTINGS, "sidebar_kind": kind, **extra})
    assert at.session_state["ae_job"].status == "done", at.session_state["ae_job"].error
    return go_to(at, PAGE)


@pytest.mark.parametrize("kind", list(KINDS))
def test_each_type_shows_its_own_section(kind):
    extra, marker, min_charts = KINDS[kind]
    at = trained_family_page(kind, extra)
    assert not at.error, [e.value for e in at.error]
    assert marker in page_text(at) or any(marker in str(c.proto.spec) for c in plotly_charts(at))
    assert len(plotly_charts(at)) >= min_charts
    if kind == "variational":
        names = [t.get("name", "") for c in plotly_charts(at) for t in chart_traces(c)]
        assert any("KL" in n for n in names) and any("reconstruction" in n for n in names)
        titles = [json.loads(c.proto.spec)["layout"].get("title", {}).get("text", "") for c in plotly_charts(at)]
        assert any("15 × 15" in t for t in titles), titles
        assert "KL divergence, in plain words" in texts(at) and "1 nat ≈ 1.44 bits" in texts(at)


def _train_comparison(at, kind: str):
    """Press the page's comparison button (absent when the disk cache already had the model), wait for the
    background job, redraw."""
    if any(b.key == f"family_train_{kind}" for b in at.button):
        at.button(key=f"family_train_{kind}").click().run()
        assert not at.exception, at.exception
    result = at.session_state["ae_job"].result
    dataset_dim = result.test_input[0].size
    comp = family.companion(result.experiment, dataset_dim)
    job = jobs.default_queue().find(comp.experiment.key())
    assert job is not None and job.wait(120), "the comparison model did not finish"
    at.run()
    assert not at.exception, at.exception
    return at


def test_sparse_section_compares_with_the_unpenalised_model():
    at = trained_family_page("sparse", {"sidebar_sparsity_weight": 1e-2, "sidebar_epochs": 5})
    assert "Mean |activation| (sparse)" in texts(at)
    _train_comparison(at, "sparse")
    metrics = {m.label: m.value for m in at.metric}
    assert float(metrics["Mean |activation| (sparse)"]) < float(metrics["Mean |activation| (no penalty)"])
    histogram = [c for c in plotly_charts(at) if any(t.get("type") == "histogram" for t in chart_traces(c))][0]
    assert len(chart_traces(histogram)) == 2
    assert "final training loss" in texts(at)
    assert all(len(m.label) <= 30 for m in at.metric), [m.label for m in at.metric]  # not cut off in 4 columns
    plain_mse, sparse_mse = float(metrics["Test MSE (no penalty)"]), float(metrics["Test MSE (sparse)"])
    if sparse_mse != plain_mse:  # (equal after rounding: either sentence is right)
        assert ("costs some reconstruction quality" in texts(at)) == (sparse_mse > plain_mse)
    # the headline's claim matches the page's own numbers (issue 16: "silent" next to 94 % active)
    active = metrics["Active units (sparse)"]
    headline = [h.value for h in at.header if h.value.startswith("Sparse")][0]
    assert ("silent" in headline) == (float(active.rstrip("%")) < 50), (headline, active)
    assert f"{active} of the (image, unit) pairs are active" in texts(at)
    if "silent" not in headline:
        mean_sparse = float(metrics["Mean |activation| (sparse)"])
        mean_plain = float(metrics["Mean |activation| (no penalty)"])
        assert f"against {mean_plain:.2f} without the penalty" in texts(at)
        assert abs(mean_sparse - float(texts(at).split("mean |activation| ")[1].split(" ")[0])) < 0.006


def test_overcomplete_section_runs_the_identity_test_against_a_bottleneck():
    at = trained_family_page("overcomplete", {"sidebar_code_size": 128, "sidebar_n_hidden_layers": 0,
                                              "sidebar_epochs": 5})
    assert "MSE, letters" in [m.label for m in at.metric]
    _train_comparison(at, "overcomplete")
    labels = [m.label for m in at.metric]
    assert labels.count("MSE, letters") == 2 and labels.count("MSE, test digits") == 2
    assert all(len(label) <= 20 for label in labels), labels  # short enough not to be cut off in a column
    assert "**Under-complete, code of 8**" in texts(at)
    assert "On uniform random pixels both fail" in texts(at)
    # the identity trap shown: letters it was never trained on, the over-complete copy, the bottleneck's answer
    copy_grid = [c for c in plotly_charts(at) if "what it is given" in c.proto.spec][0]
    spec = json.loads(copy_grid.proto.spec)
    row_titles = [a["text"] for a in spec["layout"]["annotations"]]
    assert any(t.startswith("letters") for t in row_titles)
    assert "over-complete model's output" in row_titles
    assert any(t.startswith("under-complete") for t in row_titles)


def test_sidebar_enters_overcomplete_with_a_large_code_and_restores_it():
    at = open_app()
    set_sidebar(at, sidebar_dataset="digits-8x8", sidebar_code_size=8, sidebar_n_hidden_layers=2)
    set_sidebar(at, sidebar_kind="overcomplete")
    assert at.session_state["sidebar_code_size"] >= 64 and at.session_state["sidebar_n_hidden_layers"] == 0
    assert any("copying its input" in w.value for w in at.sidebar.warning)
    set_sidebar(at, sidebar_kind="dense")
    assert at.session_state["sidebar_code_size"] == 8 and at.session_state["sidebar_n_hidden_layers"] == 2


def test_conv_shows_a_time_estimate_before_training():
    at = open_app()
    set_sidebar(at, sidebar_kind="conv")
    # A caption, or a warning when this machine has measured itself slow enough for it to exceed a minute.
    assert any("training time" in c.value.lower() for c in [*at.sidebar.caption, *at.sidebar.warning])


def test_vae_live_view_has_a_stop_that_works_while_it_trains():
    """Issue 16, bug 1: the VAE's live view is drawn while the job runs; its Stop must be clickable then."""
    at = open_app()
    set_sidebar(at, **{**TINY_SETTINGS, "sidebar_kind": "variational", "sidebar_code_size": 2,
                       "sidebar_epochs": 200, "sidebar_early_stopping": False})
    go_to(at, PAGE)
    at.button(key="sidebar_train").click().run()
    assert not at.exception, at.exception
    job = at.session_state["ae_job"]
    assert job.active, job.status
    assert "Variational: training now" in [h.value for h in at.header]
    assert "KL divergence, in plain words" in texts(at)  # nats explained where they first appear
    stop = at.button(key="family_vae_stop")
    assert not stop.disabled
    stop.click().run()
    assert not at.exception, at.exception
    assert job.wait(60), "Stop did not end the training"
    assert job.status == jobs.CANCELLED
    at.run()
    assert not at.exception, at.exception
    assert "Variational: training now" not in [h.value for h in at.header]
