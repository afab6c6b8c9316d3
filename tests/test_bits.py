"""aecore.bits: quantiser, entropy counts, PCA and autoencoder coded the same way, JPEG/PNG in bits per pixel."""

import io

import numpy as np
import pytest

from aecore import bits as B
from aecore import compression


def test_entropy_of_known_distributions():
    rng = np.random.default_rng(0)
    constant = np.zeros((500, 1), np.int64)
    assert B.entropy_bits(constant)[0] == 0.0
    # exactly uniform over 8 symbols: 3 bits
    uniform = np.tile(np.arange(8), 100)[:, None]
    assert B.entropy_bits(uniform)[0] == pytest.approx(3.0)
    # a fair coin and a 1/4-3/4 coin, one per column
    coins = np.stack([np.tile([0, 1], 200), np.tile([0, 1, 1, 1], 100)], axis=1)
    h = B.entropy_bits(coins)
    assert h[0] == pytest.approx(1.0)
    assert h[1] == pytest.approx(-(0.25 * np.log2(0.25) + 0.75 * np.log2(0.75)))
    # a random sample's plug-in entropy is close to (and not above) the true one
    sample = rng.integers(0, 16, size=(20000, 1))
    assert 3.98 < B.entropy_bits(sample)[0] <= 4.0


def test_cross_entropy_is_at_least_the_entropy_and_matches_with_same_frequencies():
    symbols = np.tile([0, 1, 1, 1], 250)[:, None]
    same = B.cross_entropy_bits(symbols, symbols, levels=4)[0]
    ideal = B.entropy_bits(symbols)[0]
    assert ideal <= same < ideal + 0.01  # add-one smoothing costs almost nothing with 1,000 samples
    skewed = np.tile([0, 0, 0, 1], 250)[:, None]  # a model counted on different data costs more
    assert B.cross_entropy_bits(symbols, skewed, levels=4)[0] > ideal + 0.5


def test_quantiser_round_trip_error_is_at_most_half_a_step():
    rng = np.random.default_rng(1)
    train = rng.normal(size=(400, 5)) * np.array([1, 2, 3, 0.1, 10])
    test = rng.uniform(train.min(axis=0), train.max(axis=0), size=(300, 5))
    for b in (2, 4, 8, 12):
        q = B.Quantiser.fit(train, b)
        symbols = q.encode(test)
        assert symbols.min() >= 0 and symbols.max() <= 2 ** b - 1
        error = np.abs(q.decode(symbols) - test)
        assert np.all(error <= q.step / 2 + 1e-5), b
    q8, q12 = B.Quantiser.fit(train, 8), B.Quantiser.fit(train, 12)
    assert np.all(q12.step < q8.step / 15)
    # out of the training range: clipped to the end levels
    assert B.Quantiser.fit(train, 4).encode(train.max(axis=0, keepdims=True) + 100).tolist() == [[15] * 5]
    with pytest.raises(ValueError):
        B.Quantiser.fit(train, 0)


def test_lzma_bits_is_a_real_upper_bound_for_a_long_run():
    rng = np.random.default_rng(2)
    symbols = rng.integers(0, 256, size=(2000, 4))
    per_image = B.lzma_bits(symbols, 8)
    assert per_image >= B.entropy_bits(symbols).sum() * 0.98  # random bytes do not compress
    assert B.lzma_bits(np.zeros((2000, 4), np.int64), 8) < 1.0  # constant symbols nearly vanish


def test_pca_and_autoencoder_are_coded_the_same_way(digits):
    x, x_train = digits.x_test[:120], digits.x_train
    pixels = int(np.prod(x.shape[1:]))
    components, mean = B.pca_basis(x_train, 8)

    class LinearModel:  # an "autoencoder" whose encoder/decoder are exactly PCA-8
        def encode(self, a):
            return (a.reshape(len(a), -1) - mean) @ components.T

        def decode(self, z):
            return z @ components + mean

    model = LinearModel()
    ae = B.code_bits_points("autoencoder", model.encode, model.decode, x, x_train, (3, 6, 10))
    pca = [p for p in B.pca_bits_points(x, x_train, sizes=(8,), bit_depths=(3, 6, 10)) if p.numbers == 8]
    assert [p.bits for p in ae] == [3, 6, 10] == [p.bits for p in pca]
    for a, p in zip(ae, pca):
        assert a.bits_per_pixel == pytest.approx(p.bits_per_pixel)
        assert a.mse == pytest.approx(p.mse, rel=1e-4)
    # more bits per number: lower error, more bits per pixel; the ideal count never exceeds the coded one
    assert ae[0].mse > ae[1].mse > ae[2].mse
    assert ae[0].bits_per_pixel < ae[1].bits_per_pixel < ae[2].bits_per_pixel
    for a in ae:
        assert a.entropy_bpp <= a.bits_per_pixel + 1e-9
        assert a.bits_per_pixel <= a.bits * a.numbers / pixels + 0.05  # entropy coding never costs more (±smoothing)
    # the error of the float code is the floor the quantised ones approach
    exact = np.clip((model.decode(model.encode(x))).reshape(x.shape), 0, 1)
    assert ae[2].mse == pytest.approx(float(np.mean((exact - x) ** 2)), rel=0.02)


def test_jpeg_and_png_bits_per_pixel_come_from_real_encodes(digits):
    from PIL import Image

    from aecore.compression import jpeg_encode, png_encode

    x = digits.x_test[:30]
    pixels = int(np.prod(x.shape[1:]))
    jpeg = B.jpeg_bits_points(x, (10, 90))
    expected = [8 * np.mean([len(jpeg_encode(image, q)) for image in x]) / pixels for q in (10, 90)]
    assert [p.bits_per_pixel for p in jpeg] == pytest.approx(expected)
    assert jpeg[0].mse > jpeg[1].mse > 0
    with Image.open(io.BytesIO(jpeg_encode(x[0], 10))) as im:
        assert im.format == "JPEG" and im.size == (8, 8)
    png = B.png_bits_point(x)
    assert png.lossless and png.mse < 1e-5
    assert png.bits_per_pixel == pytest.approx(8 * np.mean([len(png_encode(image)) for image in x]) / pixels)
    with Image.open(io.BytesIO(png_encode(x[0]))) as im:
        assert im.format == "PNG"


def test_frontier_cheapest_and_decoder_sizes(digits):
    points = [B.BitsPoint("A", "a", 1.0, 0.02), B.BitsPoint("A", "b", 2.0, 0.01), B.BitsPoint("A", "c", 3.0, 0.015),
              B.BitsPoint("B", "d", 0.5, 0.05)]
    assert [p.setting for p in B.frontier(points)] == ["d", "a", "b"]
    best = compression.smallest_size(points, 0.016, size="bits_per_pixel")
    assert best["A"].setting == "b" and "B" not in best
    assert B.pca_decoder_bits(16, 784) == 17 * 784 * 32


def test_bits_comparison_with_a_trained_model(digits, tiny_experiment):
    from aecore.train import train_autoencoder

    result = train_autoencoder(tiny_experiment, digits)
    x = digits.x_test[:80]
    points = B.bits_comparison(x, digits.x_train, [("your autoencoder", result)], pca_sizes=(4, 8),
                               bit_depths=(4, 8), jpeg_qualities=(20, 80))
    methods = {p.method for p in points}
    assert methods == {"your autoencoder", "PCA", "JPEG", "PNG"}
    ae = [p for p in points if p.method == "your autoencoder"]
    assert [p.numbers for p in ae] == [8, 8]
    n_params = sum(int(np.prod(w.shape)) for w in result.decoder.get_weights())
    assert B.decoder_bits(result) == 32 * n_params


# --- the Limits page (AppTest through the real entry point) ----------------------------------------------

def test_limits_page_shows_the_bits_view_and_the_bytes_view():
    from tests.apphelpers import go_to, open_app, plotly_charts, texts, train

    at = open_app()
    train(at)
    go_to(at, "pages/limits.py")
    assert at.radio(key="limits_compress_view").value == "bits"  # real bits first
    job = at.session_state["limits_bits_job"]
    assert job.wait(120), "the bits job did not finish"
    at.run()
    assert not at.exception, at.exception
    points = job.result
    assert {p.method for p in points} == {"your autoencoder", "PCA", "JPEG", "PNG"}
    mine = {p.bits: p for p in points if p.method == "your autoencoder"}
    assert sorted(mine) == list(B.BIT_DEPTHS)
    text = texts(at)
    assert "At the same error" in text and f"MSE ≤ {mine[6].mse:.4f}" in text
    assert f"{mine[6].bits_per_pixel:.3f} bits per pixel" in text
    assert "The decoder is not free" in text and "parameters × 32" in text
    table = next(d.value for d in at.dataframe if "ideal coder (bpp)" in d.value.columns)
    assert list(table["method"])[0] == "your autoencoder" and "PNG (lossless)" in list(table["method"])
    assert table["bits per pixel"].iloc[0] == pytest.approx(mine[6].bits_per_pixel)
    charts = len(plotly_charts(at))
    # another bit depth: the same job's points, a new matched MSE (no recomputation)
    at.select_slider(key="limits_bits_depth").set_value(3).run()
    assert not at.exception, at.exception
    assert at.session_state["limits_bits_job"] is job
    assert f"MSE ≤ {mine[3].mse:.4f}" in texts(at)
    # the nominal bytes view is still there
    at.radio(key="limits_compress_view").set_value("bytes").run()
    assert not at.exception, at.exception
    assert at.session_state["limits_rd_job"].wait(120)
    at.run()
    assert "Who wins where" in texts(at) and len(plotly_charts(at)) >= charts - 1
