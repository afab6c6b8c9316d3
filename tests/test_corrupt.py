"""Corruptions: shapes, value ranges, determinism by seed, and what each one does to an image."""

import numpy as np
import pytest

from aecore import corrupt


@pytest.fixture(scope="module")
def images():
    rng = np.random.default_rng(1)
    x = np.zeros((12, 28, 28), np.float32)
    x[:, 6:22, 12:16] = rng.uniform(0.6, 1.0, size=(12, 16, 4))  # a bar, like a "1"
    return x


@pytest.mark.parametrize("kind", ["gaussian", "salt_pepper", "masking"])
def test_noise_shapes_ranges_and_seeds(images, kind):
    a = corrupt.add_noise(images, kind, 0.3, seed=4)
    assert a.shape == images.shape and a.dtype == np.float32
    assert 0 <= a.min() and a.max() <= 1
    np.testing.assert_array_equal(a, corrupt.add_noise(images, kind, 0.3, seed=4))
    assert not np.array_equal(a, corrupt.add_noise(images, kind, 0.3, seed=5))
    np.testing.assert_array_equal(corrupt.add_noise(images, kind, 0.0), images)


@pytest.mark.parametrize("kind", corrupt.WATERMARK_KINDS)
@pytest.mark.parametrize("position", corrupt.WATERMARK_POSITIONS)
def test_watermark_shapes_ranges_and_seeds(images, kind, position):
    marked = corrupt.watermark(images, kind, 0.6, position, seed=3)
    assert marked.shape == images.shape and marked.dtype == np.float32
    assert 0 <= marked.min() and marked.max() <= 1
    assert (marked >= images - 1e-6).all(), "a white watermark only brightens pixels"
    assert (marked - images).max() <= 0.6 + 1e-6, "opacity bounds the change"
    assert (marked - images).sum() > 5, "the mark is visible"
    np.testing.assert_array_equal(marked, corrupt.watermark(images, kind, 0.6, position, seed=3))


def test_watermark_position_moves_the_mark():
    blank = np.zeros((1, 28, 28), np.float32)
    top_left = corrupt.watermark(blank, "text", 1.0, "top-left", jitter=0)[0]
    bottom_right = corrupt.watermark(blank, "text", 1.0, "bottom-right", jitter=0)[0]
    assert top_left[:14, :14].sum() > 5 * top_left[14:, 14:].sum()
    assert bottom_right[14:, 14:].sum() > 5 * bottom_right[:14, :14].sum()
    np.testing.assert_allclose(top_left.sum(), bottom_right.sum(), rtol=0.02)  # same mark, moved
    random = corrupt.watermark(np.zeros((20, 28, 28), np.float32), "logo", 1.0, "random", seed=1)
    centres = [np.argwhere(im > 0.5).mean(axis=0) for im in random]
    assert np.std(centres, axis=0).min() > 2, "random positions differ between images"


def test_watermark_opacity_and_colour_images(images):
    blank = np.zeros((1, 28, 28), np.float32)
    full = corrupt.watermark(blank, "logo", 1.0, "centre", jitter=0)
    half = corrupt.watermark(blank, "logo", 0.5, "centre", jitter=0)
    np.testing.assert_allclose(half, full * 0.5, atol=1e-6)
    colour = np.repeat(images[..., None], 3, axis=-1)
    marked = corrupt.watermark(colour, "lines", 0.5, "top-left", seed=2)
    assert marked.shape == colour.shape
    np.testing.assert_allclose(marked[..., 0], corrupt.watermark(images, "lines", 0.5, "top-left", seed=2), atol=1e-6)
    with pytest.raises(ValueError):
        corrupt.watermark(images, "text", 1.5)
    with pytest.raises(ValueError):
        corrupt.watermark(images, "text", 0.5, "middle")


@pytest.mark.parametrize("factor,small", [(2, 14), (4, 7)])
@pytest.mark.parametrize("resample", corrupt.RESAMPLING)
def test_downsample_shapes_ranges_and_loss(images, factor, small, resample):
    out = corrupt.downsample(images, factor, resample)
    assert out.shape == images.shape and out.dtype == np.float32
    assert 0 <= out.min() and out.max() <= 1
    np.testing.assert_array_equal(out, corrupt.downsample(images, factor, resample))
    assert corrupt.resize_images(images, (small, small), "box").shape == (len(images), small, small)
    assert np.abs(out - images).mean() > 0.005, "detail is lost"


def test_downsample_loses_more_at_factor_four(images):
    err = lambda f: float(((corrupt.downsample(images, f, "bicubic") - images) ** 2).mean())  # noqa: E731
    assert err(4) > err(2) > 0
    # box down-sampling keeps the mean brightness
    np.testing.assert_allclose(corrupt.resize_images(images, (14, 14), "box").mean(), images.mean(), rtol=1e-3)


def test_resize_colour_and_grey_conversion():
    rng = np.random.default_rng(0)
    colour = rng.random((3, 28, 28, 3)).astype(np.float32)
    small = corrupt.resize_images(colour, (7, 7), "box")
    assert small.shape == (3, 7, 7, 3)
    np.testing.assert_allclose(small[..., 1], corrupt.resize_images(colour[..., 1], (7, 7), "box"), atol=1e-6)
    grey = corrupt.to_grey(colour)
    assert grey.shape == (3, 28, 28) and 0 <= grey.min() and grey.max() <= 1
    np.testing.assert_allclose(corrupt.to_grey(np.ones((1, 2, 2, 3))), 1.0, atol=1e-6)


def test_the_one_grey_conversion_is_pillows_luma_without_its_rounding():
    from PIL import Image

    rng = np.random.default_rng(2)
    rgb = rng.integers(0, 256, size=(16, 16, 3), dtype=np.uint8)
    pillow = np.asarray(Image.fromarray(rgb).convert("L"), dtype=np.float32)
    grey = corrupt.to_grey(rgb, peak=255.0)
    assert np.abs(grey - pillow).max() <= 0.5 + 1e-3  # same weights; Pillow rounds to whole levels
    assert not np.array_equal(grey, np.round(grey)), "no 8-bit rounding"
    rgba = np.concatenate([rgb, np.full((16, 16, 1), 7, np.uint8)], axis=-1)
    np.testing.assert_array_equal(corrupt.to_grey(rgba, peak=255.0), grey)  # alpha is the caller's business
    np.testing.assert_allclose(corrupt.to_grey(rgb / 255.0), grey / 255.0, atol=1e-6)  # any scale
    assert corrupt.to_grey(np.array([[-3.0, 0.0, 0.0]]), peak=None)[0] < 0  # raw values of any range kept
    with pytest.raises(ValueError):
        corrupt.to_grey(np.zeros((2, 28, 28)))  # grey images are not colour: refused, not silently mixed


def test_noise_formulas_run_on_tensors_too():
    """The trainer's noise (keras.ops on TensorFlow's draws) uses ``corrupted``: the same draw gives the
    same corruption as numpy."""
    from keras import ops

    rng = np.random.default_rng(0)
    x = rng.random((4, 8, 8)).astype(np.float32)
    for kind, draw in (("gaussian", rng.standard_normal(x.shape)), ("salt_pepper", rng.random(x.shape)),
                       ("masking", rng.random(x.shape))):
        draw = draw.astype(np.float32)
        np.testing.assert_allclose(np.asarray(corrupt.corrupted(ops.convert_to_tensor(x), kind, 0.3,
                                                                ops.convert_to_tensor(draw), xp=ops)),
                                   corrupt.corrupted(x, kind, 0.3, draw), atol=1e-6)
