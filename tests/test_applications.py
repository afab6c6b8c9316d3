"""The Applications page's library: coloured digits and each application model trained for a moment on
digits-8x8 (aecore.restoration), out-of-distribution sets (aecore.ood), ROC/AUC (aecore.metrics), features
(aecore.features), byte counting (aecore.compression)."""

import gzip

import numpy as np
import pytest

from aecore import compression, corrupt, features, metrics, ood, restoration


# --- coloured digits -----------------------------------------------------------------------------

def test_colourize_by_class_is_learnable(digits):
    coloured = restoration.colourize(digits.x_test, digits.y_test, "class")
    assert coloured.shape == digits.x_test.shape + (3,) and coloured.dtype == np.float32
    assert 0 <= coloured.min() and coloured.max() <= 1
    strokes, backgrounds = restoration.class_colours()
    for c in range(10):
        idx = np.flatnonzero(digits.y_test == c)[:3]
        for i in idx:
            dark = digits.x_test[i] == 0
            np.testing.assert_allclose(coloured[i][dark], np.broadcast_to(backgrounds[c], coloured[i][dark].shape),
                                       atol=1e-6)
            bright = digits.x_test[i] == 1
            if bright.any():
                np.testing.assert_allclose(coloured[i][bright][0], strokes[c], atol=1e-6)
    assert len({tuple(np.round(s, 3)) for s in strokes}) == 10, "every class has its own stroke colour"
    # equal grey levels: the grey input carries no colour hint, only the digit's shape does
    expected = restoration.BACKGROUND_LUMA + (restoration.STROKE_LUMA - restoration.BACKGROUND_LUMA) * digits.x_test
    np.testing.assert_allclose(corrupt.to_grey(coloured), expected, atol=2e-3)
    np.testing.assert_allclose(corrupt.to_grey(restoration.colourize(digits.x_test, digits.y_test, "random")),
                               expected, atol=2e-3)


def test_colourize_random_rule_and_dataset(digits):
    a = restoration.colourize(digits.x_test[:20], digits.y_test[:20], "random", seed=1)
    np.testing.assert_array_equal(a, restoration.colourize(digits.x_test[:20], digits.y_test[:20], "random", seed=1))
    same_class = np.flatnonzero(digits.y_test[:20] == digits.y_test[0])
    corner = a[:, 0, 0, :]  # background colour of each image
    if len(same_class) > 1:
        assert not np.allclose(corner[same_class[0]], corner[same_class[1]]), "random: class does not decide"
    with pytest.raises(ValueError):
        restoration.colourize(digits.x_test[:2], digits.y_test[:2], "rainbow")
    ds = restoration.colour_dataset(digits, "class")
    assert ds.sample_shape == digits.sample_shape + (3,)
    assert len(ds.x_train) == len(digits.x_train) and (ds.y_test == digits.y_test).all()
    grey = corrupt.to_grey(ds.x_test)
    assert grey.shape == digits.x_test.shape


# --- out-of-distribution sets --------------------------------------------------------------------

def test_letters_noise_and_photos():
    imgs, chosen = ood.letters(30, (28, 28), seed=2)
    assert imgs.shape == (30, 28, 28) and imgs.dtype == np.float32 and len(chosen) == 30
    assert set(chosen) <= set(ood.LETTERS) and len(set(chosen)) > 5
    assert 0 <= imgs.min() and imgs.max() <= 1 and (imgs.reshape(30, -1).max(axis=1) > 0.8).all()
    assert imgs[:, :2].max() < 0.05, "a margin like MNIST's"
    np.testing.assert_array_equal(imgs, ood.letters(30, (28, 28), seed=2)[0])
    noise = ood.noise_images(5, (8, 8), seed=1)
    assert noise.shape == (5, 8, 8) and 0 <= noise.min() and noise.max() <= 1
    photos = ood.photo_patches(6, (28, 28), seed=0)
    assert photos.shape == (6, 28, 28) and 0 <= photos.min() and photos.max() <= 1
    assert photos.reshape(6, -1).std(axis=1).min() > 0.01, "real texture, not blank"


def test_ood_sets_skip_fashion_when_not_cached(tmp_path, monkeypatch):
    monkeypatch.setenv("KERAS_HOME", str(tmp_path))  # empty keras cache

    def no_download(*_, **__):
        raise AssertionError("the out-of-distribution sets must never download")

    import keras
    monkeypatch.setattr(keras.datasets.fashion_mnist, "load_data", no_download)
    assert not ood.fashion_cached()
    sets, missing = ood.ood_sets((8, 8), n=10, seed=0, trained_on="digits-8x8")
    assert set(sets) == {"letters", "noise", "photos"}
    assert "fashion" in missing and "not been downloaded on this server" in missing["fashion"]
    # never a server path in a message users see (issue 16: it showed /root/.keras/...)
    assert str(tmp_path) not in missing["fashion"] and "/" not in missing["fashion"]
    assert all(v.shape == (10, 8, 8) for v in sets.values())


def test_fashion_is_used_when_cached(tmp_path, monkeypatch):
    """A tiny Fashion-MNIST in a temporary keras cache (the real files' format) is picked up."""
    import aecore.data

    monkeypatch.setenv("KERAS_HOME", str(tmp_path))
    monkeypatch.setattr(aecore.data, "_cache", {})  # keep this fake Fashion-MNIST out of the other tests
    folder = tmp_path / "datasets" / "fashion-mnist"
    folder.mkdir(parents=True)
    rng = np.random.default_rng(0)
    for prefix, n in (("train", 30), ("t10k", 12)):
        images = rng.integers(0, 256, size=(n, 28, 28), dtype=np.uint8)
        labels = rng.integers(0, 10, size=n, dtype=np.uint8)
        (folder / f"{prefix}-images-idx3-ubyte.gz").write_bytes(gzip.compress(bytes(16) + images.tobytes()))
        (folder / f"{prefix}-labels-idx1-ubyte.gz").write_bytes(gzip.compress(bytes(8) + labels.tobytes()))
    assert ood.fashion_cached()
    sets, missing = ood.ood_sets((28, 28), n=5, seed=0, trained_on="mnist-5k")
    assert "fashion" in sets and not missing
    assert sets["fashion"].shape == (5, 28, 28) and 0 <= sets["fashion"].min() and sets["fashion"].max() <= 1


# --- ROC / AUC ---------------------------------------------------------------------------------------

def test_roc_and_auc():
    fpr, tpr, thr = metrics.roc_curve([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8])  # a worked example: AUC 3/4
    np.testing.assert_allclose(fpr, [0, 0, 0.5, 0.5, 1])
    np.testing.assert_allclose(tpr, [0, 0.5, 0.5, 1, 1])
    assert thr[0] == np.inf and list(thr[1:]) == [0.8, 0.4, 0.35, 0.1]
    assert metrics.auc(fpr, tpr) == pytest.approx(0.75)
    # AUC = the chance that an anomaly scores above a normal sample, ties counting half (Mann–Whitney)
    rng = np.random.default_rng(0)
    labels = np.r_[np.zeros(300), np.ones(120)]
    scores = np.r_[rng.normal(0, 1, 300), rng.normal(1.2, 1, 120)].round(1)  # rounding makes ties
    normal, odd = scores[:300], scores[300:]
    pairs = (odd[:, None] > normal[None, :]).mean() + 0.5 * (odd[:, None] == normal[None, :]).mean()
    fpr, tpr, thr = metrics.roc_curve(labels, scores)
    assert len(thr) == len(np.unique(scores)) + 1 and metrics.auc(fpr, tpr) == pytest.approx(pairs, abs=1e-12)
    perfect = metrics.roc_curve([0, 0, 1, 1], [0.1, 0.2, 0.8, 0.9])
    assert metrics.auc(perfect[0], perfect[1]) == pytest.approx(1.0)
    with pytest.raises(ValueError):
        metrics.roc_curve([1, 1], [0.1, 0.2])


def test_detection_rates():
    false_alarms, detected = ood.detection_rates(np.array([0.1, 0.2, 0.3, 0.4]), np.array([0.35, 0.5]), 0.25)
    assert false_alarms == 0.5 and detected == 1.0


# --- byte counting and rate–distortion ---------------------------------------------------------------

def test_jpeg_sizes_are_the_encoded_lengths(digits):
    x = corrupt.resize_images(digits.x_test[:20], (28, 28), "bicubic")
    points = {(p.method, p.setting): p for p in compression.jpeg_points(x, qualities=(10, 90))}
    for q in (10, 90):
        full = [len(compression.jpeg_encode(im, q)) for im in x]
        assert points[("JPEG", f"quality {q}")].bytes_per_image == pytest.approx(np.mean(full))
        assert points[("JPEG (shared tables)", f"quality {q}")].bytes_per_image < np.mean(full)
        decoded = np.stack([compression.jpeg_decode(compression.jpeg_encode(im, q)) for im in x])
        assert points[("JPEG", f"quality {q}")].mse == pytest.approx(metrics.mse(x, decoded))
    assert points[("JPEG", "quality 90")].mse < points[("JPEG", "quality 10")].mse
    assert points[("JPEG", "quality 90")].bytes_per_image > points[("JPEG", "quality 10")].bytes_per_image
    assert compression.jpeg_encode(x[0], 50)[:2] == b"\xff\xd8"  # a real JPEG file


def test_lossless_points_count_bytes_exactly(digits):
    x = np.round(digits.x_test[:15] * 255) / 255
    points = {p.method: p for p in compression.lossless_points(x)}
    assert points["raw 8-bit"].bytes_per_image == 64
    assert points["PNG"].bytes_per_image == pytest.approx(np.mean([len(compression.png_encode(im)) for im in x]))
    packed = gzip.compress(compression.to_uint8(x[0]).tobytes(), 9, mtime=0)
    assert gzip.decompress(packed) == compression.to_uint8(x[0]).tobytes()
    assert all(p.lossless and p.mse < 1e-10 for p in points.values())


def test_code_quantisation():
    rng = np.random.default_rng(0)
    codes = rng.normal(size=(200, 6)).astype(np.float32)
    np.testing.assert_array_equal(compression.quantise_codes(codes, "float32"), codes)
    assert np.abs(compression.quantise_codes(codes, "float16") - codes).max() < 5e-3
    q8 = compression.quantise_codes(codes, "8-bit", reference=codes)
    step = (codes.max(axis=0) - codes.min(axis=0)) / 255
    assert (np.abs(q8 - codes) <= step / 2 + 1e-6).all()
    assert max(len(np.unique(q8[:, j])) for j in range(6)) <= 256


def test_pca_points_match_a_closed_form_reconstruction(digits):
    from sklearn.decomposition import PCA

    x_train, x = digits.x_train, digits.x_test[:100]
    points = [p for p in compression.pca_points(x_train, x, sizes=(4, 16)) if p.setting.endswith("float32")]
    assert [p.bytes_per_image for p in points] == [16, 64]
    pca = PCA(16).fit(x_train.reshape(len(x_train), -1))
    rebuilt = np.clip(pca.inverse_transform(pca.transform(x.reshape(len(x), -1))), 0, 1)
    assert points[1].mse == pytest.approx(metrics.mse(x.reshape(len(x), -1), rebuilt), rel=1e-4)
    assert points[0].mse > points[1].mse
    best = compression.smallest_size(points, points[1].mse * 1.0001)
    assert best["PCA"].bytes_per_image == 64


# --- feature extraction -----------------------------------------------------------------------------

def test_feature_accuracy_table(digits):
    train_pca, test_pca, _ = features.pca_codes(digits.x_train, digits.x_test, 8)
    feature_sets = {"raw pixels": (digits.flat(digits.x_train), digits.flat(digits.x_test)),
                    "PCA": (train_pca, test_pca)}
    rows = features.feature_accuracy_table(feature_sets, digits.y_train, digits.y_test, label_counts=(50, None))
    assert len(rows) == 4
    assert [r["labels"] for r in rows] == [50, 50, len(digits.y_train), len(digits.y_train)]
    assert {r["dimensions"] for r in rows} == {64, 8}
    full = {r["features"]: r["accuracy"] for r in rows if r["labels"] > 50}
    few = {r["features"]: r["accuracy"] for r in rows if r["labels"] == 50}
    assert full["raw pixels"] > 0.9 and full["PCA"] > 0.8
    assert few["raw pixels"] < full["raw pixels"]
    idx = features.label_subset(digits.y_train, 50)
    assert len(idx) == 50 and len(np.unique(digits.y_train[idx])) == 10


# --- application models (tiny) ------------------------------------------------------------------------

TINY = dict(data="digits-8x8", code_size=8, first_layer_nodes=32, n_hidden_layers=1, epochs=2)


def test_config_keys_ignore_other_tasks_settings():
    a = restoration.AppConfig(task="superres", opacity=0.3)
    b = restoration.AppConfig(task="superres", opacity=0.9)
    assert a.key() == b.key()
    assert (restoration.AppConfig(task="watermark", opacity=0.3).key()
            != restoration.AppConfig(task="watermark", opacity=0.9).key())
    assert restoration.AppConfig(task="superres", factor=2).key() != restoration.AppConfig(task="superres", factor=4).key()
    with pytest.raises(ValueError):
        restoration.AppConfig(task="superres", factor=3).validate()


@pytest.mark.parametrize("task", ["watermark", "superres", "colour"])
def test_restoration_models_train_and_report(digits, task):
    result = restoration.run_application(restoration.AppConfig(task=task, **TINY), dataset=digits)
    n = len(digits.x_test)
    out_shape = (n, 8, 8, 3) if task == "colour" else (n, 8, 8)
    assert result.outputs.shape == out_shape == result.targets.shape
    assert result.inputs.shape == (n, 8, 8)
    assert 0 <= result.outputs.min() and result.outputs.max() <= 1
    assert np.isfinite([result.psnr_input, result.psnr_model]).all()
    assert result.psnr_model == pytest.approx(metrics.psnr(result.targets, result.outputs))
    assert result.train.epochs_run == 2
    if task == "watermark":
        assert result.unseen_outputs.shape == (n, 8, 8) and np.isfinite(result.psnr_unseen_model)
        # the gain where the mark was (issue 16: a faint mark's whole-image "gain" hides that it was removed)
        region = restoration.mark_region(result.inputs, result.targets)
        assert result.mark_fraction == pytest.approx(region.mean()) and 0 < result.mark_fraction < 1
        assert result.psnr_mark_input == pytest.approx(
            metrics.psnr_from_mse(np.mean((result.inputs[region] - result.targets[region]) ** 2)))
        assert result.psnr_mark_input < result.psnr_input  # the mark's pixels are the damaged ones
        assert np.isfinite([result.psnr_mark_model, result.psnr_outside_model]).all()
    if task == "superres":
        assert result.baseline.shape == (n, 8, 8) and result.baseline_name == "bicubic up-sampling"
    if task == "colour":
        np.testing.assert_allclose(result.inputs, corrupt.to_grey(result.targets), atol=1e-5)


def test_anomaly_model_scores_every_set(digits):
    result = restoration.run_application(
        restoration.AppConfig(task="anomaly", held_out_digit=3, **{**TINY, "epochs": 4}),
        dataset=digits, n_ood=40)  # 2 epochs leave the model near the mean image
    assert not (result.labels == 3).any(), "the held-out digit is not among the normal test digits"
    assert len(result.normal_scores) == len(result.labels)
    assert {"held_out", "letters", "noise", "photos"} <= set(result.anomaly_scores)
    assert len(result.anomaly_scores["held_out"]) == int((digits.y_test == 3).sum())
    assert result.anomaly_scores["noise"].mean() > result.normal_scores.mean()


def test_region_psnr_measures_only_the_marked_pixels():
    rng = np.random.default_rng(0)
    targets = rng.random((20, 8, 8)).astype(np.float32) * 0.5
    marked = corrupt.watermark(targets, "logo", 0.5, "top-left", seed=0)
    region = restoration.mark_region(marked, targets)
    restored = targets.copy()
    restored[~region] += 0.1  # the mark removed exactly, everything else blurred by 0.1
    assert restoration.region_psnr(targets, restored, region) > 100  # exact where the mark was
    assert restoration.region_psnr(targets, restored, ~region) == pytest.approx(20.0, abs=0.01)  # 10·log10(1 / 0.01)
    assert np.isnan(restoration.region_psnr(targets, restored, np.zeros_like(region)))
