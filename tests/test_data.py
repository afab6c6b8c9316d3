import numpy as np
import pytest

from aecore.config import DataConfig
from aecore.data import DATASETS, DatasetUnavailable, keras_datasets_dir, load_dataset, split_dataset


def test_mnist5k_shapes_ranges_and_split(mnist5k):
    ds = mnist5k
    assert ds.sample_shape == (28, 28)
    assert len(ds.x_train) + len(ds.x_val) + len(ds.x_test) == 5000
    assert len(ds.x_test) == 1000 and len(ds.x_val) == 400
    for x in (ds.x_train, ds.x_val, ds.x_test):
        assert x.dtype == np.float32 and x.min() >= 0 and x.max() <= 1
    # stratified: 100 test images per digit, 40 validation images per digit
    assert np.all(np.bincount(ds.y_test) == 100)
    assert np.all(np.bincount(ds.y_val) == 40)


def test_split_is_deterministic_and_seeded():
    X = np.random.default_rng(0).random((200, 4, 4)).astype(np.float32)
    y = np.repeat(np.arange(4), 50)
    a = split_dataset("t", X, y, ("a", "b", "c", "d"), DataConfig(split_seed=1))
    b = split_dataset("t", X, y, ("a", "b", "c", "d"), DataConfig(split_seed=1))
    c = split_dataset("t", X, y, ("a", "b", "c", "d"), DataConfig(split_seed=2))
    assert np.array_equal(a.x_test, b.x_test)
    assert not np.array_equal(a.x_test, c.x_test)
    assert np.all(np.bincount(a.y_test) == 10)


def test_digits_and_manifolds_are_scaled(digits):
    assert digits.sample_shape == (8, 8) and digits.x_train.max() <= 1.0
    roll = load_dataset(DataConfig(name="swiss-roll"))
    assert roll.sample_shape == (3,) and not roll.is_image
    assert roll.x_train.min() >= 0 and roll.x_train.max() <= 1


def test_every_registered_set_names_its_shape():
    for name, spec in DATASETS.items():
        assert spec.sample_shape and spec.label, name


def test_offline_download_gives_a_clear_message(monkeypatch, tmp_path):
    import keras

    monkeypatch.setenv("KERAS_HOME", str(tmp_path))

    def no_network(*args, **kwargs):
        raise OSError("Network is unreachable")

    monkeypatch.setattr(keras.datasets.mnist, "load_data", no_network)
    with pytest.raises(DatasetUnavailable, match="mnist-5k, digits-8x8") as raised:
        load_dataset(DataConfig(name="mnist", split_seed=99))
    assert str(tmp_path) not in str(raised.value) and ".keras" not in str(raised.value)  # no server paths


def test_a_damaged_cached_file_is_reported_without_a_server_path(monkeypatch, tmp_path):
    import aecore.data

    monkeypatch.setenv("KERAS_HOME", str(tmp_path))
    monkeypatch.setattr(aecore.data, "_cache", {})  # another test loads a good fake mnist with the same split
    folder = keras_datasets_dir()
    folder.mkdir(parents=True)
    (folder / "mnist.npz").write_bytes(b"not a zip file")
    with pytest.raises(DatasetUnavailable, match="damaged") as raised:
        load_dataset(DataConfig(name="mnist", split_seed=97))
    assert str(tmp_path) not in str(raised.value) and "datasets/" not in str(raised.value)


def test_mnist_file_in_keras_cache_is_used_without_network(monkeypatch, tmp_path):
    monkeypatch.setenv("KERAS_HOME", str(tmp_path))
    rng = np.random.default_rng(0)
    folder = keras_datasets_dir()
    folder.mkdir(parents=True)
    np.savez(folder / "mnist.npz", x_train=rng.integers(0, 256, (300, 28, 28), dtype=np.uint8),
             y_train=np.repeat(np.arange(10), 30), x_test=rng.integers(0, 256, (50, 28, 28), dtype=np.uint8),
             y_test=np.repeat(np.arange(10), 5))
    ds = load_dataset(DataConfig(name="mnist", split_seed=98))
    assert len(ds.x_test) == 50 and ds.x_train.max() <= 1.0 and ds.sample_shape == (28, 28)
