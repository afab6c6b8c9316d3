"""Directions in the code space (issue 15 part 3): the direction, its consistency figures, the image measures,
and the page after a tiny training."""

import numpy as np
import pytest

from aecore import directions
from aecore.figures import directions as direction_figures


def _groups(shift, n=40, dim=8, noise=1.0, seed=0):
    rng = np.random.default_rng(seed)
    a = rng.normal(0, noise, (n, dim))
    b = rng.normal(0, noise, (n, dim)) + shift
    return a, b


@pytest.mark.unit
def test_direction_recovers_a_known_shift():
    shift = np.array([3.0, -2.0, 0, 0, 1.0, 0, 0, 0])
    a, b = _groups(shift, n=400, noise=0.3)
    d = directions.direction(a, b)
    assert np.linalg.norm(d - shift) < 0.1
    cos = d @ shift / np.linalg.norm(d) / np.linalg.norm(shift)
    assert cos > 0.999
    # every image shifted by the same vector: the (randomly paired) differences all point its way
    cosines = directions.pair_cosines(a, a + shift)
    assert cosines.min() > 0.8 and cosines.mean() > 0.95


@pytest.mark.unit
def test_held_out_check_high_for_a_real_direction_and_chance_for_random_groups():
    shift = np.zeros(8)
    shift[0] = 3.0
    a, b = _groups(shift, n=40)
    real = directions.consistency(a, b)
    assert real.held_out_accuracy > 0.9
    assert real.halves_cosine > 0.8
    assert real.cosine_mean > 0.5 and real.cosine_positive > 0.9
    # two random groups from one cloud: a direction found on half of them says nothing about the rest
    accs, halves, cosines = [], [], []
    for seed in range(10):
        a, b = _groups(np.zeros(8), n=40, seed=seed)
        chance = directions.consistency(a, b, seed=seed)
        accs.append(chance.held_out_accuracy)
        halves.append(chance.halves_cosine)
        cosines.append(chance.cosine_mean)
    assert abs(np.mean(accs) - 0.5) < 0.08, accs
    assert abs(np.mean(halves)) < 0.15, halves
    assert np.mean(cosines) < 0.35
    # the page's yardstick: the real groups' codes shuffled into random groups score near chance
    a, b = _groups(shift, n=40)
    baseline = directions.random_baseline(a, b)
    assert abs(baseline.held_out_accuracy - 0.5) < 0.1 and abs(baseline.halves_cosine) < 0.3
    assert baseline.n_a == 40 and baseline.n_b == 40


def _stroke(slope: float, width: int = 1, size: int = 28) -> np.ndarray:
    """A vertical-ish stroke: its column moves ``slope`` pixels right per row up."""
    image = np.zeros((size, size))
    for row in range(4, size - 4):
        col = int(round(size / 2 + slope * (size / 2 - row)))
        image[row, col:col + width] = 1.0
    return image


@pytest.mark.unit
def test_slant_and_ink_rank_synthetic_images():
    slopes = [-0.4, -0.1, 0.0, 0.2, 0.5]
    images = np.stack([_stroke(s) for s in slopes])
    slant = directions.slant(images)
    assert list(np.argsort(slant)) == [0, 1, 2, 3, 4]  # leaning right ("/") is positive
    assert abs(slant[2]) < 0.02
    assert slant[4] == pytest.approx(0.5, abs=0.05)
    # the measure used for groups is the size of the slant: upright first
    assert list(np.argsort(directions.measure(images, directions.SLANT)))[:1] == [2]
    widths = np.stack([_stroke(0.0, width=w) for w in (3, 1, 5, 2)])
    assert list(np.argsort(directions.ink(widths.reshape(4, -1)))) == [1, 3, 0, 2]  # flat samples too


@pytest.mark.unit
def test_groups_by_measure_and_class():
    images = np.stack([_stroke(s) for s in (0.0, 0.5, 0.15, -0.6, 0.0, 0.3)] + [_stroke(0.0)] * 3)
    labels = np.array([1] * 6 + [7] * 3)
    upright, slanted = directions.groups_by_measure(images, labels, 1, directions.SLANT, fraction=1 / 3)
    assert set(upright) == {0, 4} and list(slanted) == [3, 1]  # most slanted first
    a, b = directions.groups_by_class(labels, 1, 7)
    assert len(a) == 6 and len(b) == 3
    with pytest.raises(ValueError):
        directions.groups_by_class(labels, 1, 1)
    with pytest.raises(ValueError):
        directions.groups_by_measure(images, labels, 7, directions.INK)  # 3 images: too few


@pytest.mark.unit
def test_walk_and_move_decode_along_the_direction():
    a, b = np.zeros((4, 3)), np.ones((4, 3))
    decoded = directions.walk(lambda codes: codes * 10, a, b, amounts=(0.0, 1.0, 2.0))
    assert np.allclose(decoded, [[0] * 3, [10] * 3, [20] * 3])
    one = directions.move(lambda codes: codes + 1, np.zeros(3), np.ones(3), -0.5)
    assert np.allclose(one, 0.5)
    fig = direction_figures.walk_strip(np.random.rand(3, 8, 8), (0.0, 1.0, 2.0))
    assert [a.text for a in fig.layout.annotations if a.text.startswith("t =")] == ["t = A", "t = B", "t = 2"]
    assert direction_figures.cosine_histogram(np.array([0.2, 0.5, 0.9])).data[0].type == "histogram"
    assert len(direction_figures.groups(np.random.rand(3, 64), np.random.rand(12, 64), "x", "y", (8, 8)).data) == 2


# --- the page, through the real app.py after a tiny training ---------------------------------------------

@pytest.mark.app
def test_directions_page_after_a_tiny_training():
    from tests.apphelpers import go_to, open_app, plotly_charts, texts, train

    at = open_app()
    train(at)
    go_to(at, "pages/directions.py")
    text = texts(at)
    assert "Directions in the code space" in text
    assert "upright 1s" in text and "slanted 1s" in text
    assert "Held-out accuracy" in text and "random" in text
    keys = {getattr(c, "key", None) for c in plotly_charts(at)}
    assert {"directions_groups", "directions_walk", "directions_moved", "directions_cosines"} <= keys, keys
    accuracy = next(m for m in at.metric if m.label == "Held-out accuracy")
    assert accuracy.value.endswith("%")

    # the slider moves the chosen image: a different amount decodes a different image
    moved_before = at.session_state["directions_amount"]
    at.slider(key="directions_amount").set_value(-1.0).run()
    assert not at.exception, at.exception
    assert at.session_state["directions_amount"] == -1.0 != moved_before
    assert "−1.00" in texts(at) or "-1.00" in texts(at)

    # two classes, then hand-picked groups with an image in both: one clear message, no traceback
    at.radio(key="directions_grouping").set_value("Two classes").run()
    assert not at.exception, at.exception
    at.selectbox(key="directions_class_b").set_value(4).run()
    assert not at.exception, at.exception
    assert any("Pick two different classes" in e.value for e in at.error)
    at.selectbox(key="directions_class_b").set_value(7).run()
    assert not at.error
    at.radio(key="directions_grouping").set_value("Tick images by hand").run()
    assert any("Tick at least 2 images" in i.value for i in at.info)
    at.multiselect(key="directions_hand_a_1").set_value([1, 2, 3]).run()
    at.multiselect(key="directions_hand_b_1").set_value([3, 4, 5]).run()
    assert any("in both groups" in e.value for e in at.error)
    at.multiselect(key="directions_hand_b_1").set_value([4, 5, 6, 7]).run()
    assert not at.exception and not at.error
    assert "your group A" in texts(at)
