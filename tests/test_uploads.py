"""Uploads: every format loads a small valid file with its pixels and labels intact; the page manages them."""

from __future__ import annotations

import hashlib
import io
import re
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


# --- issue 17, section 3: accepted, and now right ------------------------------------------------------------

def test_16_bit_pngs_are_scaled_by_their_bit_depth_not_their_content():
    x, _ = _all(parse_upload("png16.zip", corpus.zip_png16_dark()).dataset)
    assert x.max() == pytest.approx(200 / 65535, abs=1e-4)  # was 200/255 = 0.78: dark images came out bright


def test_exif_orientation_is_applied():
    ds = parse_upload("rotated.zip", corpus.zip_exif_rotated()).dataset
    assert ds.sample_shape == (16, 8)  # upright: 8 wide, 16 high (stored 16 wide, 8 high)
    x, _ = _all(ds)
    assert x[:, :4].mean() > 0.8 and x[:, 6:].mean() < 0.2  # the bright band is on top


@pytest.mark.parametrize("make, n, side", [(corpus.csv_numeric_header, 50, 8), (corpus.csv_numeric_header_28, 12, 28)])
def test_a_numeric_header_row_is_a_header(make, n, side):
    upload = parse_upload("pandas.csv", make())
    x, _ = _all(upload.dataset)
    assert len(x) == n and upload.dataset.sample_shape == (side, side)
    assert any("numbers the columns" in note for note in upload.notes)
    if side == 8:
        rows = corpus._digit_rows(50, label=False)
        assert _canonical(x, ["all"] * n) == _canonical(np.array(rows, dtype=np.float64) / 255, ["all"] * n)


@pytest.mark.parametrize("make", [corpus.csv_trailing_commas, corpus.csv_trailing_commas_header])
def test_a_trailing_comma_on_every_row_is_ignored(make):
    plain = _all(parse_upload("plain.csv", corpus.good_csv_no_header()).dataset)
    trailing = parse_upload("trailing.csv", make())
    x, labels = _all(trailing.dataset)
    assert _canonical(x, labels) == _canonical(*plain)
    assert any("ends with a comma" in note for note in trailing.notes)


@pytest.mark.parametrize("make, white_ink", [(corpus.zip_alpha_ink, True), (corpus.zip_alpha_ink_black, False)])
def test_ink_only_in_the_alpha_channel_is_kept(make, white_ink):
    x_orig, y_orig = corpus._digits(20)
    x, labels = _all(parse_upload("alpha.zip", make()).dataset)
    expected = x_orig / 255.0 if white_ink else 1 - x_orig / 255.0  # white strokes on black; black on white
    assert _canonical(x, labels) == _canonical(expected, [str(v) for v in y_orig])


def test_a_valid_npz_with_a_long_header_loads():
    long_ = _all(parse_upload("long.npz", corpus.npz_long_header()).dataset)
    assert _canonical(*long_) == _canonical(*_all(parse_upload("digits.npz", corpus.good_npz()).dataset))


@pytest.mark.parametrize("make, says", [
    (corpus.zip_huge_dimension_png, "at most 4096×4096 = 16,777,216 pixels per image"),
    (corpus.zip_wide_png, "'digits/0/wide.png' is 60,000×1,000 pixels: at most 4096×4096"),
])
def test_a_huge_image_is_too_large_and_the_message_names_the_limit(make, says):
    with pytest.raises(UploadError, match="shrink it first") as info:
        parse_upload("huge.zip", make())
    assert says in str(info.value) and "damaged" not in str(info.value)


def test_empty_labels_are_refused_not_a_class_named_empty():
    for filename, make in (("e.csv", corpus.csv_empty_label), ("e.npz", corpus.npz_empty_label)):
        with pytest.raises(UploadError, match="empty label"):
            parse_upload(filename, make())


# --- issue 17, section 2: budgets checked before the work ---------------------------------------------------

def test_decoded_pixels_are_counted_from_the_headers_in_total(monkeypatch):
    from aecore import uploads

    members = {f"big/{i}.png": corpus._png(np.full((300, 200), i * 20, np.uint8)) for i in range(12)}
    data = corpus._zip(members)
    monkeypatch.setattr(uploads, "MAX_DECODED_PIXELS", 300 * 200 * 11)
    with pytest.raises(UploadError, match="add up to more than 660,000 pixels"):
        parse_upload("big.zip", data)
    monkeypatch.setattr(uploads, "MAX_DECODED_PIXELS", 300 * 200 * 12)
    assert parse_upload("big.zip", data).dataset.sample_shape == (64, 43)


def test_jpegs_count_at_their_reduced_decoding_size(monkeypatch):
    """A 1024×1024 JPEG is decoded at 1/8 size (draft): it costs 128×128 pixels of the budget, not 1024×1024."""
    from aecore import uploads

    rng = np.random.default_rng(0)
    members = {f"j/{i}.jpg": corpus._png((rng.random((1024, 1024)) * 255).astype(np.uint8), "JPEG")
               for i in range(10)}
    monkeypatch.setattr(uploads, "MAX_DECODED_PIXELS", 10 * 128 * 128)
    assert parse_upload("photos.zip", corpus._zip(members)).dataset.sample_shape == (64, 64)


def test_labels_are_checked_from_the_shape_before_they_are_read(monkeypatch):
    from aecore import uploads

    def never(*args, **kwargs):
        raise AssertionError("np.unique ran on labels that did not match the images")

    monkeypatch.setattr(uploads.np, "unique", never)
    with pytest.raises(UploadError, match="2,000,000 labels for 20 images"):
        parse_upload("labels.npz", corpus.npz_many_labels())


# --- the page: Remove clears the uploader; user-supplied names are text ----------------------------------------

def _uploaders(at):
    return [u for u in at.get("file_uploader")]


def test_remove_also_clears_the_file_from_the_uploader():
    """Issue 16, bug 9: after Remove the file chip stayed while the page said 'No uploads yet'."""
    at = open_app()
    go_to(at, PAGE)
    at.file_uploader(key="your_data_file").set_value(
        ("digits.npz", corpus.good_npz(), "application/octet-stream")).run()
    assert at.session_state["sidebar_dataset"] == "digits.npz"
    upload_id = at.session_state["ae_uploads"]["digits.npz"].upload_id
    at.button(key=f"your_data_remove_{upload_id}").click().run()
    assert not at.exception
    assert any("No uploads yet" in i.value for i in at.info)
    (uploader,) = _uploaders(at)
    assert uploader.value is None, "the removed file still shows in the uploader"
    # The fresh uploader works: the same file can be uploaded again.
    uploader.set_value(("digits.npz", corpus.good_npz(), "application/octet-stream")).run()
    assert list(at.session_state["ae_uploads"]) == ["digits.npz"] and not at.error
    assert any("Loaded" in s.value for s in at.success)


def test_remove_keeps_the_file_of_another_upload_in_the_uploader():
    at = open_app()
    go_to(at, PAGE)
    at.file_uploader(key="your_data_file").set_value(("a.npz", corpus.good_npz(), "application/octet-stream")).run()
    at.file_uploader(key="your_data_file").set_value(
        ("b.csv", corpus.good_csv_header(), "application/octet-stream")).run()
    upload_id = at.session_state["ae_uploads"]["a.npz"].upload_id
    at.button(key=f"your_data_remove_{upload_id}").click().run()
    assert list(at.session_state["ae_uploads"]) == ["b.csv"]
    assert at.file_uploader(key="your_data_file").value.name == "b.csv"


def test_folder_and_file_names_are_shown_as_text_not_markup():
    at = open_app()
    go_to(at, PAGE)
    name = "[Log in again](https://evil.example) ![x](https://evil.example/i.png) " + "x" * 200 + ".zip"
    at.file_uploader(key="your_data_file").set_value((name, corpus.zip_control_names(), "application/zip")).run()
    assert not at.exception and not at.error
    shown = " ".join(m.value for m in at.markdown) + " ".join(s.value for s in at.success)
    assert "classes:" in shown
    for markup in (r"\[Log in", r"\]\(https", r"\*\*bold", r"!\[x", r"https://"):
        assert not re.search(r"(?<!\\)" + markup, shown), f"{markup!r} would render as markup"
    assert r"\[Log in\]\(https\:" in shown and r"\*\*bold\*\*" in shown  # escaped: shown as typed
    assert "x" * 100 not in shown  # long names are cut


def test_too_many_pixels_in_total_are_refused_before_any_image_is_decoded(monkeypatch):
    from aecore import uploads

    def never(*args, **kwargs):
        raise AssertionError("an image was decoded before the headers were added up")

    big = corpus._png(np.full((400, 300), 90, np.uint8))
    data = corpus._zip({f"big/{i}.png": big for i in range(12)})
    monkeypatch.setattr(uploads, "MAX_DECODED_PIXELS", 400 * 300 * 11)
    monkeypatch.setattr(uploads, "_decode_image", never)
    with pytest.raises(UploadError, match="reached at 'big/11.png'"):
        parse_upload("big.zip", data)


@pytest.mark.parametrize("newline", ["\r\n", "\r"])
def test_windows_and_old_mac_line_ends_read_like_unix_ones(newline):
    unix = corpus.good_csv_header()
    other = parse_upload("other.csv", unix.replace(b"\n", newline.encode()))
    assert _canonical(*_all(other.dataset)) == _canonical(*_all(parse_upload("unix.csv", unix).dataset))


def test_a_trailing_comma_on_the_header_row_only_is_ignored():
    rows = corpus._digit_rows(50)
    data = corpus._csv(rows, ["label"] + [f"pixel{i}" for i in range(64)] + [""])
    x, labels = _all(parse_upload("header_comma.csv", data).dataset)
    assert _canonical(x, labels) == _canonical(*_all(parse_upload("plain.csv", corpus.good_csv_no_header()).dataset))


def test_an_rgb_picture_and_the_same_picture_with_an_opaque_alpha_give_the_same_grey():
    """One grey conversion (issue 12): RGB images went through Pillow's convert("L"), rounded to whole grey
    levels, while RGBA ones were mixed in floating point; the same picture came out up to 0.5/255 apart."""
    from aecore.corrupt import to_grey

    rng = np.random.default_rng(3)
    pictures = rng.integers(0, 256, size=(12, 10, 10, 3), dtype=np.uint8)
    opaque = np.concatenate([pictures, np.full((12, 10, 10, 1), 255, np.uint8)], axis=-1)
    rgb = _all(parse_upload("rgb.zip", corpus._zip({f"a/{i}.png": corpus._png(p) for i, p in
                                                    enumerate(pictures)})).dataset)[0]
    rgba = _all(parse_upload("rgba.zip", corpus._zip({f"a/{i}.png": corpus._png(p) for i, p in
                                                      enumerate(opaque)})).dataset)[0]
    def rows(x):  # the images in a fixed order (the split shuffles them)
        return sorted(map(tuple, np.asarray(x, np.float32).reshape(len(x), -1)))

    assert rows(rgb) == rows(rgba)
    np.testing.assert_allclose(rows(rgb), rows(to_grey(pictures, peak=255.0) / np.float32(255.0)), atol=1e-6)
