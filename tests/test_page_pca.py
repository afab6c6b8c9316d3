"""The PCA-versus-autoencoder page through the real entry point, after a tiny training."""

from aecore import inspect_model, jobs, manifolds, pca_baseline, sweeps
from tests.apphelpers import TINY_SETTINGS, go_to, open_app, plotly_charts, texts, train

PAGE = "pages/pca_vs_ae.py"


def _wait_for_jobs(timeout: float = 180) -> None:
    for job in jobs.default_queue().active_jobs():
        assert job.wait(timeout), f"{job.label} did not finish in time"


def test_page_without_a_model_explains_what_to_do():
    at = open_app()
    go_to(at, PAGE)
    assert "press **Train**" in texts(at)
    assert not plotly_charts(at)


def test_every_section_renders_then_the_background_experiments_fill_in(monkeypatch):
    fast_manifold = manifolds.manifold_experiment
    monkeypatch.setattr(manifolds, "manifold_experiment",
                        lambda name, code_size, seed=0, epochs=2: fast_manifold(name, code_size, seed, epochs=2))
    fast_linear = inspect_model.linear_experiment
    monkeypatch.setattr(inspect_model, "linear_experiment",
                        lambda data, code_size=8, seed=0, **kw: fast_linear(data, code_size, seed, epochs=3))
    at = open_app()
    train(at)  # digits-8x8, code size 8, 3 epochs
    go_to(at, PAGE)
    text = texts(at)
    for section in ("1 · Same code size: k = 8", "2 · Error against code size", "3 · A linear autoencoder is PCA",
                    "4 · Non-linear manifolds in 3-D", "5 · What each one learns", "6 · Codes in two dimensions",
                    "7 · A representation at every layer", "8 · Re-using pre-trained layers"):
        assert section in [h.value for h in at.header], section
    assert "digits-8x8, not full MNIST" in text  # the page says which data its figures come from
    metrics = {m.label: m.value for m in at.metric}
    assert float(metrics["PCA-8 test MSE"]) > 0 and float(metrics["Autoencoder-8 test MSE"]) > 0
    assert metrics["Winner (lower test MSE)"] in ("PCA", "autoencoder")
    charts_before = len(plotly_charts(at))
    # grid, sweep chart (PCA only so far), components, AE weights, explained variance, PCA codes, two layer strips
    assert charts_before >= 8

    # The sweep (5 code sizes below 64 pixels), the 2-D model among them, in the background.
    at.button(key="pca_sweep_start").click().run()
    assert not at.exception
    _wait_for_jobs()
    at.run()
    assert "| code size k | PCA test MSE |" in texts(at)
    sweep_chart = [c for c in plotly_charts(at)][1]
    assert '"autoencoder, test"' in sweep_chart.proto.spec
    assert "Autoencoder-2 codes" in "".join(c.proto.spec for c in plotly_charts(at))

    # Linear autoencoder, manifold demo and transfer experiment.
    at.toggle(key="pca_linear").set_value(True).run()
    at.button(key="pca_manifold_start").click().run()
    at.button(key="pca_transfer_start").click().run()
    assert not at.exception
    _wait_for_jobs()
    at.run()
    assert not at.exception
    labels = {m.label for m in at.metric}
    assert {"Ratio AE / PCA", "Largest principal angle", "From scratch: test MSE",
            "Pre-trained encoder: test MSE"} <= labels
    specs = "".join(c.proto.spec for c in plotly_charts(at))
    assert "scatter3d" in specs and "principal angle" in specs and "from the pre-trained encoder" in specs

    # A second visit is instant: everything comes from the caches, nothing is queued again.
    at2 = open_app()
    train(at2)
    go_to(at2, PAGE)
    assert "pca_sweep_start" not in {b.key for b in at2.button}
    assert not jobs.default_queue().active_jobs()
    assert "| code size k | PCA test MSE |" in texts(at2)


def test_a_rerun_for_one_widget_reuses_everything_else(monkeypatch):
    """Moving 'Images' rebuilds only the side-by-side grid; the other figures and scores are memoised per
    (data set, model, settings) and come out exactly as before."""
    at = open_app()
    train(at)
    go_to(at, PAGE)
    before = [c.proto.spec for c in plotly_charts(at)]
    calls = []
    for module, name in ((pca_baseline, "pca_curve"), (pca_baseline, "pca_test_errors"), (inspect_model, "codes_2d"),
                         (inspect_model, "layer_activations")):
        original = getattr(module, name)
        monkeypatch.setattr(module, name, lambda *a, _f=original, _n=name, **k: calls.append(_n) or _f(*a, **k))
    at.slider(key="pca_count").set_value(9).run()
    at.slider(key="pca_count").set_value(8).run()
    assert not at.exception
    assert calls == []
    assert [c.proto.spec for c in plotly_charts(at)] == before
    at.slider(key="pca_layer_image").set_value(3).run()  # a setting the layer strips depend on: drawn anew
    assert calls == ["layer_activations"]


def test_the_sweep_verdict_waits_for_the_models_it_speaks_about():
    """With one sweep model trained the page must not say the autoencoder beats PCA "at every code size":
    it says how many are trained and that the verdict is so far."""
    at = open_app()
    train(at, {**TINY_SETTINGS, "sidebar_first_layer_nodes": 24})  # settings of its own: no sweep model of them exists yet
    go_to(at, PAGE)
    at.button(key="pca_two_start").click().run()
    assert not at.exception
    _wait_for_jobs()
    at.run()
    sweep_size = len(sweeps.sweep_experiments(at.session_state["ae_job"].result.experiment, 64))
    verdicts = [el.value for el in list(at.info) + list(at.success) if "sweep models trained" in el.value]
    assert len(verdicts) == 1, texts(at)
    verdict = verdicts[0]
    trained = int(verdict.split(" of ")[0])
    assert 1 <= trained < sweep_size and verdict.startswith(f"{trained} of {sweep_size} sweep models trained")
    assert "so far" in verdict.lower() and "not measured yet" in verdict
    assert "at every code size" not in verdict
