"""MNIST-style preprocessing of a drawn canvas: grey, crop, scale to 20×20 keeping aspect, centre of mass."""

import numpy as np
import pytest

from aecore import drawing

CENTRE = 14.0  # where MNIST puts the centre of mass in its 28×28 frame (measured: 14.02, 13.97)


def canvas(background=(0, 0, 0, 255)) -> np.ndarray:
    image = np.zeros((280, 280, 4), np.uint8)
    image[...] = background
    return image


def test_a_bar_is_cropped_scaled_to_20_pixels_keeping_its_aspect_and_centred():
    image = canvas()
    image[30:130, 200:240, :3] = 255  # 100 × 40 white bar in the top-right corner
    digit = drawing.mnist_style(image)
    assert digit.shape == (28, 28) and digit.dtype == np.float32
    assert digit.min() >= 0 and digit.max() == pytest.approx(1.0)
    # Ink along the middle column and row (a sub-pixel shift spreads an edge over two pixels, keeping its sum).
    assert digit[:, 14].sum() == pytest.approx(20, abs=0.05)  # the longer side fills the 20-pixel box
    assert digit[14, :].sum() == pytest.approx(8, abs=0.05)  # 40/100 of it: the aspect ratio is kept
    cy, cx = drawing.center_of_mass(digit)
    assert cy == pytest.approx(CENTRE, abs=0.05) and cx == pytest.approx(CENTRE, abs=0.05)


def test_centring_uses_the_centre_of_mass_not_the_bounding_box():
    image = canvas()
    image[20:260, 40:80, :3] = 255  # an "L" 240 tall and 200 wide: a stem...
    image[220:260, 40:240, :3] = 255  # ...and a heavy foot
    digit = drawing.mnist_style(image)
    cy, cx = drawing.center_of_mass(digit)
    assert cy == pytest.approx(CENTRE, abs=0.05) and cx == pytest.approx(CENTRE, abs=0.05)
    top, bottom, left, right = drawing.bounding_box(digit, threshold=0.5)
    box_centre = ((top + bottom - 1) / 2, (left + right - 1) / 2)
    # The mass sits low and left, so the bounding box is pushed up and right of the centre.
    assert box_centre[0] < CENTRE - 1 and box_centre[1] > CENTRE + 1
    assert bottom - top == 20 and right - left == 17  # 200/240 of 20


def test_any_pen_and_paper_give_the_same_digit():
    white_on_black = canvas()
    white_on_black[60:220, 120:160, :3] = 255
    black_on_white = canvas((255, 255, 255, 255))
    black_on_white[60:220, 120:160, :3] = 0
    transparent = np.zeros((280, 280, 4), np.uint8)
    transparent[60:220, 120:160] = (0, 0, 0, 255)  # the canvas's default: black pen, no background
    reference = drawing.mnist_style(white_on_black)
    for other in (black_on_white, transparent):
        np.testing.assert_allclose(drawing.mnist_style(other), reference, atol=1e-5)
    assert drawing.mnist_style(white_on_black[..., :3]) is not None  # RGB works too


def test_a_blank_canvas_is_no_digit():
    assert drawing.mnist_style(canvas()) is None
    assert drawing.mnist_style(canvas((255, 255, 255, 255))) is None
    assert drawing.mnist_style(np.zeros((280, 280, 4), np.uint8)) is None


def test_a_real_mnist_digit_drawn_large_comes_back_as_itself(mnist5k):
    # MNIST digits already fit 20×20 and are centred by mass: drawn 10× larger, the recipe must undo it.
    errors = []
    for digit in mnist5k.x_test[:20]:
        big = np.kron(digit, np.ones((10, 10), np.float32))
        rgba = np.dstack([np.repeat((big * 255).astype(np.uint8)[..., None], 3, axis=2),
                          np.full(big.shape, 255, np.uint8)])
        again = drawing.mnist_style(rgba)
        errors.append(float(((again - digit / digit.max()) ** 2).mean()))
    one_pixel_off = float(((np.roll(mnist5k.x_test[:20], 1, axis=2) - mnist5k.x_test[:20]) ** 2).mean())
    # Far closer than the same digits moved by one pixel (about 0.03): only sub-pixel differences remain.
    assert np.median(errors) < 0.01 < one_pixel_off


def test_other_image_sizes_are_averaged_down():
    image = canvas()
    image[40:240, 120:160, :3] = 255
    small = drawing.prepare(image, (8, 8))
    assert small.shape == (8, 8) and small.max() == pytest.approx(1.0)
    assert drawing.prepare(image, (28, 28)).shape == (28, 28)
    with pytest.raises(ValueError):
        drawing.fit_to_shape(drawing.mnist_style(image), (3, 4, 5))


def test_latent_plane_and_nearest_codes():
    rng = np.random.default_rng(0)
    codes = rng.normal(size=(200, 6)) * np.array([5, 3, 0.1, 0.1, 0.1, 0.1])
    plane = drawing.LatentPlane(codes)
    assert plane.pca_ is not None and "principal component 1" in plane.axis_titles[0]
    coords = plane.transform(codes)
    assert coords.shape == (200, 2)
    assert coords[:, 0].var() > coords[:, 1].var() > 0
    two = drawing.LatentPlane(codes[:, :2])
    np.testing.assert_allclose(two.transform(codes[:, :2]), codes[:, :2])
    assert drawing.LatentPlane(codes[:, :1]).transform(codes[:, :1]).shape == (200, 2)
    assert list(drawing.nearest(codes, codes[17], k=3))[0] == 17


def test_neighbour_verdict_calls_a_drawing_digit_like_only_when_neighbours_agree_and_it_is_rebuilt_well():
    errors = np.linspace(0.01, 0.05, 101)
    assert drawing.neighbour_verdict(["7"] * 7 + ["1"], 0.02, errors) == (True, "7", 7)
    # a mix of labels: the code falls between groups
    digit_like, majority, votes = drawing.neighbour_verdict(["7", "1", "4", "9", "7", "1", "3", "2"], 0.02, errors)
    assert not digit_like and majority == "7" and votes == 2
    # neighbours agree, but rebuilt worse than 99 % of the test digits: not like the training data
    assert drawing.neighbour_verdict(["0"] * 8, 0.2, errors)[0] is False
