"""Uploads: every format loads a small valid file with its pixels and labels intact; the page manages them."""

from __future__ import annotations

import hashlib
import io
import zipfile

import numpy as np
import pytest

from aecore.config import DataConfig, Experiment, ModelConfig, TrainConfig
from aecore.uploads import UploadError, parse_upload
from tests.apphelpers import go_to, open_app, set_sidebar
from tests.bad_inputs import corpus

PAGE = "pages/your_data.py"


def _all(ds):
    x = np.concatenate([ds.x_train, ds.x_val, ds.x_test])
    y = np.concatenate([ds.y_train, ds.y_val, ds.y_test])
    return x, np.array([ds.class_names[i] for i in y])


def _canonical(x, labels):
    """Images (as 0–255 integers) with their labels, in a fixed order, to compare as sets."""
    flat = np.rint(np.asarray(x, dtype=np.float64).reshape(len(x), -1) * 255).astype(np.int64)
    rows = sorted((str(label), tuple(row)) for label, row in zip(labels, flat))
    return rows


@pytest.mark.parametrize("filename, make", [
    ("digits.npz", corpus.good_npz),
    ("digits.csv", lambda: corpus._csv([[int(corpus._digits(100)[1][i])] + corpus._digits(100)[0][i].reshape(-1).tolist()
                                        for i in range(100)], ["label"] + [f"pixel{i}" for i in range(64)])),
    ("digits.zip", lambda: corpus._zip({f"d/{label}/{i}.png": corpus._png(img) for i, (img, label) in
                                         enumerate(zip(*corpus._digits(100)))})),
])
def test_every_format_keeps_each_image_with_its_label(filename, make):
    x_orig, y_orig = corpus._digits(100)
    upload = parse_upload(filename, make())
    ds = upload.dataset
    assert ds.sample_shape == (8, 8) and ds.is_image and len(ds.class_names) == 10
    assert len(ds.x_train) + len(ds.x_val) + len(ds.x_test) == 100
    assert len(ds.x_test) == 20 and len(ds.x_val) == 8  # the built-in sets' fractions: 20 % test, 8 % validation
    x, labels = _all(ds)
    assert x.dtype == np.float32 and x.min() >= 0 and x.max() <= 1
    assert _canonical(x, labels) == _canonical(x_orig / 255.0, [str(v) for v in y_orig])
    # Stratified: every class is in the test split.
    assert set(ds.y_test.tolist()) == set(range(10))


def test_data_already_in_0_1_is_kept_and_0_255_is_divided():
    x, y = corpus._digits(100)
    unit = parse_upload("unit.npz", corpus._npz(x=x.astype(np.float32) / 255, y=y))
    bytes_ = parse_upload("bytes.npz", corpus._npz(x=x, y=y))
    assert not unit.notes and any("divided by 255" in n for n in bytes_.notes)
    np.testing.assert_allclose(np.sort(_all(unit.dataset)[0].ravel()), np.sort(_all(bytes_.dataset)[0].ravel()),
                               atol=1e-6)


def test_the_upload_id_is_the_hash_of_the_bytes_and_keys_every_cache():
    a, b = corpus.good_npz(), corpus.good_csv_header()
    up_a, up_b = parse_upload("a.npz", a), parse_upload("a.csv", b)
    assert up_a.upload_id == hashlib.sha256(a).hexdigest()[:16]
    assert parse_upload("renamed.npz", a).upload_id == up_a.upload_id
    exp = lambda up: Experiment(up.data_config)  # noqa: E731
    assert exp(up_a).key() != exp(up_b).key()
    assert exp(up_a).key() != Experiment(DataConfig(name=up_a.name)).key()
    up_a.data_config.validate()  # an upload's name is not a registered data set: its id makes it valid


def test_labels_come_from_folders_below_the_shared_top_folder():
    members = {f"my photos/{cls}/{i}.png": corpus._png(np.full((6, 6), 40 * i, np.uint8)) for cls in ("cat", "dog")
               for i in range(1, 7)}
    ds = parse_upload("pets.zip", corpus._zip(members)).dataset
    assert ds.class_names == ("cat", "dog") and ds.sample_shape == (6, 6)


def test_large_images_are_shrunk_keeping_their_shape():
    upload = parse_upload("photos.zip", corpus.zip_large_photos())  # 160×120 pixels
    assert upload.dataset.sample_shape == (48, 64)
    assert any("shrunk to 64×48" in note for note in upload.notes)


def test_a_zip_is_read_in_memory_only(tmp_path, monkeypatch):
    """zipfile's extract functions are never used: nothing is written, whatever the member names."""
    called = []
    monkeypatch.setattr(zipfile.ZipFile, "extract", lambda *a, **k: called.append(a))
    monkeypatch.setattr(zipfile.ZipFile, "extractall", lambda *a, **k: called.append(a))
    monkeypatch.chdir(tmp_path)
    parse_upload("digits.zip", corpus.good_zip())
    with pytest.raises(UploadError):
        parse_upload("traversal.zip", corpus.zip_path_traversal())
    assert called == [] and list(tmp_path.iterdir()) == []


def test_an_npz_is_never_unpickled(monkeypatch):
    import pickle

    def refuse(*args, **kwargs):
        raise AssertionError("an upload was unpickled")

    monkeypatch.setattr(pickle, "load", refuse)
    monkeypatch.setattr(pickle, "loads", refuse)
    with pytest.raises(UploadError, match="Python objects"):
        parse_upload("objects.npz", corpus.npz_object_array())
    parse_upload("digits.npz", corpus.good_npz())


def test_training_on_an_upload_works_end_to_end():
    from aecore.train import train_autoencoder

    upload = parse_upload("digits.zip", corpus.good_zip())
    experiment = Experiment(upload.data_config, ModelConfig(code_size=4, n_hidden_layers=1, first_layer_nodes=16),
                            TrainConfig(epochs=2, batch_size=16, early_stopping=False))
    result = train_autoencoder(experiment, upload.dataset)
    assert result.epochs_run == 2 and np.isfinite(result.test_mse)
    assert result.test_reconstruction.shape == upload.dataset.x_test.shape


def test_the_page_selects_an_upload_renames_a_clash_and_removes_it():
    at = open_app()
    set_sidebar(at, sidebar_dataset="digits-8x8")
    go_to(at, PAGE)
    assert any(".keras" in m.value and "not" in m.value for m in at.markdown), "say that models are not accepted"
    uploader = at.file_uploader(key="your_data_file")
    uploader.set_value(("digits.npz", corpus.good_npz(), "application/octet-stream")).run()
    assert at.session_state["sidebar_dataset"] == "digits.npz"
    assert [p.type for p in at.get("plotly_chart")], "a preview of the upload is drawn"
    # Another file with the same name gets its own entry; the same bytes again do not duplicate it.
    at.file_uploader(key="your_data_file").set_value(
        ("digits.npz", corpus.good_npz_unlabelled_flat(), "application/octet-stream")).run()
    assert list(at.session_state["ae_uploads"]) == ["digits.npz", "digits (2).npz"]
    assert at.session_state["sidebar_dataset"] == "digits (2).npz"
    at.file_uploader(key="your_data_file").set_value(
        ("again.npz", corpus.good_npz(), "application/octet-stream")).run()
    assert list(at.session_state["ae_uploads"]) == ["digits.npz", "digits (2).npz"]
    assert at.session_state["sidebar_dataset"] == "digits.npz"
    # Remove the selected one: the sidebar falls back to the default data set, the other upload stays.
    upload_id = at.session_state["ae_uploads"]["digits.npz"].upload_id
    at.button(key=f"your_data_remove_{upload_id}").click().run()
    assert not at.exception
    assert list(at.session_state["ae_uploads"]) == ["digits (2).npz"]
    assert at.session_state["sidebar_dataset"] == "mnist-5k"
    assert "digits.npz" not in at.selectbox(key="sidebar_dataset").options
