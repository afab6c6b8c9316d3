"""The settings table (ui/settings.py): one row per sidebar setting, and everything derived from it agrees."""

import ast
from pathlib import Path

import pytest

from aecore import presets
from aecore.config import MODEL_KINDS, Experiment
from tests.apphelpers import open_app
from ui import links, settings, state

ROOT = Path(__file__).resolve().parent.parent

# The query names shared links have used since they exist (a renamed one would break every old link), in
# the order links write them.
PUBLISHED_URL_NAMES = {
    "sidebar_dataset": "data", "sidebar_kind": "kind", "sidebar_code_size": "code",
    "sidebar_n_hidden_layers": "layers", "sidebar_first_layer_nodes": "nodes", "sidebar_activation": "act",
    "sidebar_loss": "loss", "sidebar_l2_weight": "l2", "sidebar_dropout": "dropout",
    "sidebar_sparsity_weight": "sparsity", "sidebar_contractive_weight": "contractive", "sidebar_kl_weight": "kl",
    "sidebar_conv_filters": "filters", "sidebar_conv_depth": "blocks", "sidebar_noise_kind": "noise",
    "sidebar_noise_level": "level", "sidebar_epochs": "epochs", "sidebar_batch_size": "batch",
    "sidebar_learning_rate": "lr", "sidebar_seed": "seed", "sidebar_early_stopping": "es",
    "sidebar_patience": "patience",
}

# The autoencoder type under which each type-specific setting is kept (canonical() resets it elsewhere).
_KIND_FOR = {"model.sparsity_weight": "sparse", "model.contractive_weight": "contractive",
             "model.kl_weight": "variational", "model.conv_filters": "conv", "model.conv_depth": "conv"}


def test_one_row_per_setting_with_the_published_link_names():
    assert [(s.key, s.url) for s in settings.SETTINGS] == list(PUBLISHED_URL_NAMES.items())
    assert len({s.field for s in settings.SETTINGS}) == len(settings.SETTINGS)
    assert not {links.PRESET_PARAM, links.PRESENTER_PARAM} & set(settings.BY_URL)
    for setting in settings.SETTINGS:
        Experiment().value_of(setting.field)  # raises for a field the Experiment does not have
        assert setting.widget in ("selectbox", "select_slider", "slider", "number_input", "toggle"), setting.key
        assert setting.label and setting.help, setting.key
        if setting.options:  # the default is shown, or the sidebar switches to the fallback
            assert setting.default in setting.options or setting.fallback in setting.options, setting.key
        elif setting.widget != "toggle":
            assert setting.low <= setting.default <= setting.high, setting.key


def _other_value(setting: settings.Setting):
    """A value the widget can show that is not the default."""
    if setting.widget == "toggle":
        return not setting.default
    if setting.options:
        return next(o for o in reversed(setting.options) if o != setting.default)
    return setting.high if setting.low == setting.default else setting.low


@pytest.mark.parametrize("setting", settings.SETTINGS, ids=lambda s: s.url)
def test_every_setting_round_trips_through_a_link(setting):
    value = _other_value(setting)
    fields = {setting.field: value}
    if setting.field in _KIND_FOR:
        fields["model.kind"] = _KIND_FOR[setting.field]
    if setting is settings.CODE_SIZE:
        value = fields[setting.field] = settings.max_code_size("dense")
    experiment = Experiment.from_fields(fields)
    assert experiment.value_of(setting.field) == value
    params = links.to_params(experiment)
    assert params[setting.url] == settings.format_value(value)
    opened = links.from_params(params)
    assert not opened.problems
    assert opened.values[setting.key] == value
    assert opened.experiment() == experiment


@pytest.mark.parametrize("setting", settings.SETTINGS, ids=lambda s: s.url)
def test_a_link_accepts_every_value_the_widget_offers_and_nothing_past_its_ends(setting):
    if setting.widget == "toggle":
        shown = [False, True]
    elif setting.options:
        shown = list(setting.options)
    else:
        shown = [setting.low, setting.high]
    for value in shown:
        assert setting.parse(settings.format_value(value)) == value
    if setting.low is not None:
        for outside in (setting.low - 1, setting.high + 1):
            with pytest.raises(ValueError):
                setting.parse(settings.format_value(outside))


def test_the_experiment_is_built_one_way():
    """Presets, links and the session build the same experiment from the same values."""
    for preset in presets.PRESETS:
        values = settings.values_of(preset.experiment())
        assert settings.experiment_from(values) == preset.experiment()
        assert links.from_params({"preset": preset.key}).experiment() == preset.experiment()
    assert settings.experiment_from({}) == Experiment() == settings.experiment_from(settings.default_values())
    upload = settings.experiment_from({"sidebar_dataset": "mine.csv"}, upload_id="abc")
    assert (upload.data.name, upload.data.upload_id) == ("mine.csv", "abc")


def _ui_imports(path: Path) -> set[str]:
    """The ui modules a file imports anywhere in it: a lazy import inside a function hides a cycle from
    Python, not from a reader (links -> sidebar -> presets -> links used to hide that way)."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.ImportFrom) and node.module == "ui":
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and (node.module or "").startswith("ui."):
            found.add(node.module.split(".")[1])
        elif isinstance(node, ast.Import):
            found |= {alias.name.split(".")[1] for alias in node.names if alias.name.startswith("ui.")}
    return found


def test_no_import_cycle_among_ui_modules():
    modules = {path.stem: path for path in (ROOT / "ui").glob("*.py") if path.stem != "__init__"}
    graph = {name: _ui_imports(path) & set(modules) for name, path in modules.items()}
    assert graph["settings"] == set()  # the table depends on aecore only, so every ui module may use it

    def cycle_from(start, node, path):
        for nxt in sorted(graph[node]):
            if nxt == start:
                return path + [nxt]
            if nxt not in path:
                found = cycle_from(start, nxt, path + [nxt])
                if found:
                    return found
        return None

    cycles = [c for c in (cycle_from(name, name, [name]) for name in sorted(graph)) if c]
    assert not cycles, [" -> ".join(c) for c in cycles]


@pytest.fixture(scope="module")
def app(mnist5k):  # loaded once beforehand: the sidebar's conv controls read the data set
    return open_app()


_WIDGETS = ("selectbox", "select_slider", "slider", "number_input", "toggle")
_NOT_SETTINGS = {state.PRESET, state.PRESENTER}  # the lesson selector and presenter mode: not model settings


def test_every_sidebar_widget_is_a_row_of_the_table(app):
    drawn = set()
    for kind in MODEL_KINDS:
        app.selectbox(key=settings.KIND.key).set_value(kind).run()
        assert not app.exception, app.exception
        for widget in _WIDGETS:
            for element in getattr(app.sidebar, widget):
                if element.key in _NOT_SETTINGS:
                    continue
                setting = settings.BY_KEY.get(element.key)
                assert setting is not None, f"{element.label!r} ({element.key}) has no row in ui/settings.py"
                assert setting.widget == widget, setting.key
                assert element.label.startswith(setting.label) and element.help == setting.help, setting.key
                if widget in ("slider", "number_input"):
                    top = settings.max_code_size(kind) if setting is settings.CODE_SIZE else setting.high
                    assert (element.min, element.max) == (setting.low, top), setting.key
                drawn.add(setting.key)
    assert drawn == set(settings.BY_KEY)  # and every row is drawn for some type


def test_the_sidebars_experiment_is_built_once_per_set_of_values():
    """Every rerun asks for it several times; one frozen object serves them all."""
    values = settings.default_values()
    first = settings.experiment_from(values)
    assert settings.experiment_from(dict(values)) is first
    moved = {**values, settings.CODE_SIZE.key: 4}
    assert settings.experiment_from(moved).model.code_size == 4
    assert settings.experiment_from(values, upload_id="u1").data.upload_id == "u1"
