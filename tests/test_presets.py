"""Lesson presets: valid experiments, and the sidebar selector sets every control they name."""

import pytest

from aecore import presets
from aecore.config import Experiment
from aecore.data import DATASETS
from tests.apphelpers import open_app


def test_nine_valid_presets_with_two_line_explanations():
    keys = ["article", "code2", "denoise", "sparse", "identity", "linear", "vae", "conv", "convdenoise"]
    assert [p.key for p in presets.PRESETS] == keys  # the lesson's order; labels number them 1 to 9
    assert sorted(presets.BY_KEY) == sorted(keys)  # unique keys
    assert [p.label.split(" · ")[0] for p in presets.PRESETS] == [str(i) for i in range(1, 10)]
    kinds = {p.experiment().model.kind for p in presets.PRESETS}
    assert {"dense", "denoising", "sparse", "overcomplete", "variational", "conv"} <= kinds
    for preset in presets.PRESETS:
        experiment = preset.experiment()
        spec = DATASETS[experiment.data.name]
        input_dim = spec.sample_shape[0] * spec.sample_shape[1]
        experiment.validate(input_dim, 3600)  # raises if the preset could not train
        assert experiment.model == experiment.model.canonical()
        assert all(len(line) > 20 for line in preset.explanation) and len(preset.explanation) == 2
        for dotted, value in preset.settings:
            section, name = dotted.split(".")
            assert getattr(getattr(experiment, section), name) == value


def test_the_presets_say_what_the_issue_asks():
    article = presets.get("article").experiment().model
    assert (article.n_hidden_layers, article.first_layer_nodes, article.code_size, article.loss) == (1, 128, 32, "bce")
    assert presets.get("code2").experiment().model.code_size == 2
    denoise = presets.get("denoise").experiment()
    assert denoise.model.kind == "denoising" and denoise.train.noise_level == 0.5
    sparse = presets.get("sparse").experiment().model
    assert sparse.kind == "sparse" and sparse.sparsity_weight > 0 and sparse.code_size == article.code_size
    assert presets.get("identity").experiment().model.code_size > 784
    linear = presets.get("linear").experiment().model
    assert linear.activation == "linear" and linear.loss == "mse"
    assert presets.get("vae").experiment().model.kind == "variational"
    assert presets.get("conv").experiment().model.kind == "conv"
    assert presets.matching(presets.get("conv").experiment()) is presets.get("conv")
    assert presets.matching(Experiment()) is None
    assert len({p.experiment().key() for p in presets.PRESETS}) == 9


@pytest.fixture(scope="module")
def app(mnist5k):  # loaded once beforehand: the sidebar's conv controls read the data set
    return open_app()


def test_choosing_a_preset_sets_every_control(app):
    from ui import settings

    for preset in presets.PRESETS:
        app.selectbox(key="sidebar_preset").select(preset.key).run()
        assert not app.exception, app.exception
        assert app.session_state["sidebar_preset"] == preset.key
        shown = {s.key: app.session_state[s.key] for s in settings.SETTINGS}
        assert settings.experiment_from(shown) == preset.experiment(), preset.key
        for dotted, value in preset.settings:  # every control the preset names shows its value
            key = next(s.key for s in settings.SETTINGS if s.field == dotted)
            assert app.session_state[key] == value, (preset.key, key)
        captions = " ".join(c.value for c in app.sidebar.caption)
        assert preset.explanation[1][:40] in captions


def test_touching_a_slider_turns_the_preset_into_custom_and_keeps_its_values(app):
    app.selectbox(key="sidebar_preset").select("sparse").run()
    app.slider(key="sidebar_epochs").set_value(9).run()
    assert not app.exception, app.exception
    assert app.session_state["sidebar_preset"] == "custom"
    assert app.session_state["sidebar_kind"] == "sparse"
    assert app.session_state["sidebar_code_size"] == 32
    assert app.session_state["sidebar_sparsity_weight"] == 1e-3
    assert app.session_state["sidebar_epochs"] == 9
    # Choosing the preset again restores it completely.
    app.selectbox(key="sidebar_preset").select("sparse").run()
    assert app.session_state["sidebar_epochs"] == presets.get("sparse").experiment().train.epochs
    assert app.session_state["sidebar_preset"] == "sparse"


def test_a_request_sent_before_the_move_showed_does_not_undo_it(app):
    """The browser's older copy still names the preset (and its address still holds it): the move stays."""
    app.selectbox(key="sidebar_preset").select("sparse").run()
    assert app.query_params.get("preset") in ("sparse", ["sparse"])
    app.slider(key="sidebar_epochs").set_value(9).run()
    assert app.session_state["sidebar_preset"] == "custom"
    app.query_params["preset"] = "sparse"  # the address as it was when that request was sent
    app.selectbox(key="sidebar_preset").select("sparse").run()
    assert not app.exception, app.exception
    assert app.session_state["sidebar_preset"] == "custom" and app.session_state["sidebar_epochs"] == 9
    app.selectbox(key="sidebar_preset").select("sparse").run()  # chosen again after "custom" showed
    assert app.session_state["sidebar_preset"] == "sparse"


def test_no_preset_takes_far_more_optimizer_steps_than_the_default_model():
    """Presets tuned with batches of 128 (VAE 40 epochs, conv 15) would take up to 4x the steps at the
    default's batches of 32; a lesson preset should not keep the class waiting far longer than the default."""
    import math

    from aecore.config import Experiment

    n_train = 3600  # mnist-5k's training split, the presets' data set

    def steps(experiment):
        return experiment.train.epochs * math.ceil(n_train / experiment.train.batch_size)

    budget = 1.1 * steps(Experiment())
    over = {p.key: steps(p.experiment()) for p in presets.PRESETS if steps(p.experiment()) > budget}
    assert not over, (over, budget)
