"""Shareable links: the sidebar round-trips through the URL; bad values fall back with one warning."""

from streamlit.testing.v1 import AppTest

from aecore import presets
from aecore.config import DataConfig, Experiment, ModelConfig, TrainConfig
from tests.apphelpers import APP, open_app, set_sidebar
from ui import links


def test_defaults_give_an_empty_query_and_presets_a_short_one():
    assert links.to_params(Experiment()) == {}
    for preset in presets.PRESETS:
        params = links.to_params(preset.experiment(), preset.key)
        assert params == {"preset": preset.key}
        state = links.from_params(params)
        assert state.preset == preset.key and not state.problems
        assert state.experiment() == preset.experiment()


def test_a_custom_experiment_round_trips():
    experiment = Experiment(
        DataConfig(name="digits-8x8"),
        ModelConfig(kind="contractive", code_size=12, n_hidden_layers=3, first_layer_nodes=512, activation="elu",
                    loss="mse", l2_weight=1e-5, dropout=0.1, contractive_weight=1e-3),
        TrainConfig(epochs=40, batch_size=64, learning_rate=0.0003, seed=7, early_stopping=False, patience=3,
                    noise_level=0.25))
    params = links.to_params(experiment, presenter=True)
    assert params["present"] == "1" and "preset" not in params
    assert len(params) == 17 + 1  # the 17 settings that differ from the defaults, and presenter mode
    state = links.from_params(params)
    assert not state.problems and state.presenter and state.preset == "custom"
    assert state.experiment() == experiment.replace(model=experiment.model.canonical())


def test_a_preset_with_changes_keeps_only_the_differences():
    experiment = presets.get("denoise").experiment()
    changed = experiment.replace(train=experiment.train.replace(epochs=7))
    params = links.to_params(changed, "denoise")
    assert params == {"preset": "denoise", "epochs": "7"}
    state = links.from_params(params)
    assert state.experiment() == changed
    assert state.preset == "custom"  # the link moved away from the preset


def test_bad_values_fall_back_to_the_base_and_are_listed():
    state = links.from_params({"preset": "denoise", "epochs": "many", "lr": "0.0042", "kind": "magic",
                               "code": "500", "es": "maybe", "present": "2", "utm_source": "mail"})
    base = presets.get("denoise").experiment()
    assert sorted(p.split("=")[0] for p in state.problems) == ["code", "epochs", "es", "kind", "lr", "present"]
    assert state.experiment() == base  # every bad value fell back to the preset's
    assert state.preset == "denoise"
    assert links.from_params({"preset": "nope"}).problems == ["preset=nope"]


def test_the_app_restores_a_link_and_mirrors_changes_to_the_url():
    at = AppTest.from_file(APP, default_timeout=60)
    at.query_params.update({"preset": "code2", "epochs": "12", "present": "1"})
    at.run()
    assert not at.exception, at.exception
    assert at.session_state["sidebar_code_size"] == 2
    assert at.session_state["sidebar_epochs"] == 12
    assert at.session_state["sidebar_presenter"] is True
    assert at.slider(key="sidebar_code_size").value == 2
    assert not at.warning
    # The URL now says the same thing, relative to the defaults (the preset was left by epochs=12).
    assert dict(at.query_params) == {"code": "2", "epochs": "12", "present": "1"}
    set_sidebar(at, sidebar_activation="tanh")
    assert at.query_params["act"] == "tanh"
    at.toggle(key="sidebar_presenter").set_value(False).run()
    assert "present" not in at.query_params


def test_a_bad_link_shows_one_warning_and_no_traceback():
    at = AppTest.from_file(APP, default_timeout=60)
    at.query_params.update({"code": "-3", "lr": "fast", "data": "../../etc/passwd"})
    at.run()
    assert not at.exception, at.exception
    assert len(at.warning) == 1
    assert "code=-3" in at.warning[0].value and "lr=fast" in at.warning[0].value
    assert at.session_state["sidebar_code_size"] == ModelConfig().code_size
    assert at.session_state["sidebar_dataset"] == DataConfig().name
    # The warning is shown once: the next run is clean.
    at.run()
    assert not at.warning


def test_share_url_holds_the_settings():
    at = open_app()
    set_sidebar(at, sidebar_code_size=5)
    assert dict(at.query_params) == {"code": "5"}


def _shown_on_first_draw(at, setting):
    """What a browser that draws ``setting``'s widget for the first time from this run would show: the run's value
    if it marks one as set, else the widget's default."""
    kind = {"selectbox": at.selectbox, "select_slider": at.select_slider, "slider": at.slider,
            "number_input": at.number_input, "toggle": at.toggle}[setting.widget]
    proto = kind(key=setting.key).proto
    if proto.set_value:
        return kind(key=setting.key).value
    if setting.widget == "selectbox":
        return kind(key=setting.key).options[proto.default]
    if setting.widget == "select_slider":
        return kind(key=setting.key).options[int(proto.default[0])]
    if setting.widget == "slider":
        return proto.default[0]
    return proto.default


def test_every_sidebar_widget_carries_its_value_in_the_runs_after_a_link():
    """A link's values are marked as set in the run that restores them only; a browser that draws a widget after
    a later run (a cached model's load reruns the app) draws the widget's default: it must be the link's value."""
    from ui import settings

    at = AppTest.from_file(APP, default_timeout=60)
    at.query_params.update({"preset": "code2", "present": "1"})  # every setting of preset 2, which stays selected
    at.run()
    at.run()  # a later run: nothing writes the values again
    assert not at.exception, at.exception
    drawn = [s for s in settings.SETTINGS if any(w.key == s.key for w in at.sidebar)]
    assert len(drawn) >= 12, [s.key for s in drawn]
    for setting in drawn:
        value = at.session_state[setting.key]
        shown = _shown_on_first_draw(at, setting)
        expected = setting.format(value) if setting.format and setting.widget == "selectbox" else value
        if setting.widget == "select_slider":
            expected = str(value)
        assert shown == expected, (setting.key, shown, value)
    preset = at.selectbox(key="sidebar_preset")
    assert preset.value == "code2" and preset.proto.default == preset.options.index(preset.format_func("code2"))
    assert at.toggle(key="sidebar_presenter").proto.default is True
