"""The persistent model cache: round trip, restart survival, LRU eviction, what is never stored."""

import dataclasses
import os
import time

import numpy as np
import pytest

from aecore import cache
from aecore.train import train_autoencoder


@pytest.fixture(scope="module")
def trained(digits):
    from aecore.config import DataConfig, Experiment, ModelConfig, TrainConfig

    exp = Experiment(DataConfig(name="digits-8x8"), ModelConfig(code_size=8, n_hidden_layers=1, first_layer_nodes=32),
                     TrainConfig(epochs=2, batch_size=64, early_stopping=False, noise_level=0.2))
    return train_autoencoder(exp, digits)


def test_saved_model_survives_recreating_the_cache(tmp_path, trained, digits):
    first = cache.DiskCache(tmp_path)
    assert first.save(trained)
    assert first.contains(trained.experiment)
    del first
    again = cache.DiskCache(tmp_path)  # as after a server restart
    loaded = again.load(trained.experiment)
    assert loaded is not None and loaded.model is not trained.model
    x = digits.x_test[:6]
    np.testing.assert_allclose(loaded.reconstruct(x), trained.reconstruct(x), atol=1e-6)
    codes = loaded.encode(x)
    assert codes.shape == (6, 8)
    np.testing.assert_allclose(codes, trained.encode(x), atol=1e-6)
    np.testing.assert_allclose(loaded.decode(codes), trained.decode(codes), atol=1e-6)
    assert loaded.history == trained.history
    assert loaded.test_mse == trained.test_mse and loaded.best_epoch == trained.best_epoch
    np.testing.assert_array_equal(loaded.per_image_test_mse, trained.per_image_test_mse)
    assert [e for e, _ in loaded.code_snapshots] == [e for e, _ in trained.code_snapshots]
    np.testing.assert_array_equal(loaded.code_snapshots[-1][1], trained.code_snapshots[-1][1])
    assert loaded.experiment == trained.experiment and again.hits == 1


def test_uploads_and_partial_models_are_never_written(tmp_path, trained):
    disk = cache.DiskCache(tmp_path)
    upload = dataclasses.replace(trained, experiment=trained.experiment.replace(
        data=trained.experiment.data.replace(name="my-upload", upload_id="abc123")))
    stopped = dataclasses.replace(trained, stopped="cancelled",
                                  experiment=trained.experiment.replace(train=trained.experiment.train.replace(seed=9)))
    assert not disk.save(upload) and not disk.save(stopped)
    assert disk.entries() == []
    assert disk.load(upload.experiment) is None and not disk.contains(upload.experiment)


def test_lru_eviction_removes_the_least_recently_used(tmp_path):
    disk = cache.DiskCache(tmp_path, max_bytes=10**9)
    block = np.random.default_rng(0).random(20_000)  # incompressible, ~150 kB each
    for key in ("a", "b", "c"):
        assert disk.save_derived(key, {"values": block + ord(key), "label": key})
        time.sleep(0.02)
    assert disk.load_derived("a")["label"] == "a"  # "a" is now the most recently used; "b" the least
    per_entry = max(e["bytes"] for e in disk.entries())
    disk.max_bytes = int(2.5 * per_entry)
    assert disk.evict() == ["b"]
    assert disk.load_derived("b") is None
    assert {e["key"] for e in disk.entries()} == {"a", "c"}
    disk.save_derived("d", {"values": block})  # saving past the bound evicts again: "c" is now the oldest
    assert {e["key"] for e in disk.entries()} == {"a", "d"}


def test_derived_values_round_trip(tmp_path):
    disk = cache.DiskCache(tmp_path)
    value = {"k": (2, 8, 16), "mse": [0.05, 0.03], "codes": np.arange(12, dtype=np.float32).reshape(3, 4),
             "name": "sweep", "nested": {"ok": True, "none": None}}
    disk.save_derived("sweep1", value)
    back = cache.DiskCache(tmp_path).load_derived("sweep1")
    assert back["k"] == (2, 8, 16) and back["mse"] == [0.05, 0.03] and back["nested"] == {"ok": True, "none": None}
    np.testing.assert_array_equal(back["codes"], value["codes"])
    assert back["codes"].dtype == np.float32


def test_damaged_entry_is_a_miss_and_is_removed(tmp_path, trained):
    disk = cache.DiskCache(tmp_path)
    disk.save(trained)
    entry = tmp_path / "models" / trained.experiment.key()
    (entry / "model.keras").write_bytes(b"not a zip file")
    assert disk.load(trained.experiment) is None
    assert not entry.exists()


def test_default_cache_follows_the_environment(tmp_path, monkeypatch):
    monkeypatch.setenv("AELAB_CACHE_DIR", str(tmp_path / "elsewhere"))
    monkeypatch.setenv("AELAB_CACHE_MAX_MB", "5")
    disk = cache.default_cache()
    assert disk.directory == tmp_path / "elsewhere" and disk.max_bytes == 5 * 2**20
    assert os.path.isdir(tmp_path / "elsewhere" / "models")


def test_entries_from_before_training_noise_left_the_model_are_misses(tmp_path, trained):
    """Format 1 entries hold denoisers with their training noise as a layer (issue 12): not loaded."""
    import json

    disk = cache.DiskCache(tmp_path)
    assert disk.save(trained)
    meta_file = tmp_path / "models" / trained.experiment.key() / "meta.json"
    meta = json.loads(meta_file.read_text())
    assert meta["format"] == cache.FORMAT == 2
    meta_file.write_text(json.dumps({**meta, "format": 1}))
    assert disk.load(trained.experiment) is None
