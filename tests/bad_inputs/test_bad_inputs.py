"""Every file of the generated corpus through the real upload path: refused with one clear message, or loaded.

The corpus is generated into a temporary folder (tests/bad_inputs/corpus.py); no binaries are committed.
Each case is parsed by aecore.uploads.parse_upload, and then uploaded through the "Your own data" page
with AppTest's file uploader, one shared session: a refused file must show exactly one st.error, and the
data set selected before must still be selected.
"""

from __future__ import annotations

import hashlib
import os
import re
import sys
from pathlib import Path

import numpy as np
import pytest

from tests.bad_inputs.corpus import ALL, BAD, BAD_BY_NAME, GOOD, make_corpus

PAGE = "pages/your_data.py"


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    return {case.name: path for case, path in make_corpus(tmp_path_factory.mktemp("bad_inputs"))}


class WriteWatch:
    """Records files opened for writing (an audit hook: it sees every open(), os.open and rename)."""

    installed = False
    active = False
    writes: list[str] = []

    @classmethod
    def install(cls) -> None:
        if cls.installed:
            return

        def hook(event, args):
            if not cls.active:
                return
            if event == "open" and len(args) >= 3:
                path, mode, flags = args[0], args[1], args[2]
                writing = (isinstance(mode, str) and any(m in mode for m in "wax+")) or (
                    isinstance(flags, int) and flags & (os.O_WRONLY | os.O_RDWR | os.O_CREAT))
                if writing and isinstance(path, (str, bytes, os.PathLike)):
                    cls.writes.append(os.fsdecode(path))
            elif event in ("os.rename", "os.replace", "shutil.move", "os.mkdir"):
                cls.writes.append(os.fsdecode(args[-1] if event != "os.mkdir" else args[0]))

        sys.addaudithook(hook)
        cls.installed = True


@pytest.mark.parametrize("case", ALL, ids=[c.name for c in ALL])
def test_parse(case, corpus):
    from aecore.data import cache_dir
    from aecore.uploads import UploadError, parse_upload

    data = Path(corpus[case.name]).read_bytes()
    cache = str(cache_dir())
    WriteWatch.install()
    WriteWatch.writes = []
    WriteWatch.active = True
    try:
        if not case.ok:
            with pytest.raises(UploadError) as info:
                parse_upload(case.filename, data)
            message = str(info.value)
            assert case.expect in message
            assert "Accepted" in message, "the message must say what is accepted"
            assert "Traceback" not in message and len(message) < 700
            return
        upload = parse_upload(case.filename, data)
    finally:
        WriteWatch.active = False
        outside = [p for p in WriteWatch.writes if not os.path.abspath(p).startswith(cache)]
        assert not outside, f"parsing wrote outside the cache directory: {outside}"
    ds = upload.dataset
    assert case.expect in " ".join(upload.notes)
    assert upload.upload_id == hashlib.sha256(data).hexdigest()[:16]
    for x in (ds.x_train, ds.x_val, ds.x_test):
        assert x.dtype == np.float32 and x.ndim == 3 and x.shape[1:] == ds.sample_shape
        assert 0.0 <= x.min() and x.max() <= 1.0 and np.isfinite(x).all()
    assert min(len(ds.x_train), len(ds.x_val), len(ds.x_test)) >= 1
    assert max(ds.sample_shape) <= 64 and ds.is_image
    assert ds.y_train.max() < len(ds.class_names)


@pytest.fixture(scope="module")
def page():
    """One session on the 'Your own data' page, digits-8x8 selected in the sidebar."""
    from tests.apphelpers import go_to, open_app, set_sidebar

    at = open_app()
    set_sidebar(at, sidebar_dataset="digits-8x8")
    go_to(at, PAGE)
    return at


PAGE_CASES = BAD + GOOD  # BAD_BY_NAME cannot reach the page: the uploader only offers .npz, .csv and .zip


def _unescaped(markdown: str) -> str:
    """The text a markdown body shows: the page escapes every markup character of user-supplied text."""
    return re.sub(r"\\(.)", r"\1", markdown)


@pytest.mark.parametrize("case", PAGE_CASES, ids=[c.name for c in PAGE_CASES])
def test_through_the_page(case, corpus, page):
    at = page
    before = at.session_state["sidebar_dataset"]
    uploads_before = dict(at.session_state["ae_uploads"])
    at.file_uploader(key="your_data_file").set_value(
        (case.filename, Path(corpus[case.name]).read_bytes(), "application/octet-stream")).run()
    assert not at.exception, at.exception
    errors = [_unescaped(e.value) for e in at.error]
    if case.ok:
        assert errors == []
        assert at.session_state["sidebar_dataset"] == case.filename  # the new upload is selected
        assert at.selectbox(key="sidebar_dataset").value == case.filename
        assert case.filename in at.session_state["ae_uploads"]
        assert any("Loaded" in s.value for s in at.success)
    else:
        assert len(errors) == 1, errors
        assert case.expect in errors[0] and "Accepted" in errors[0]
        assert at.session_state["sidebar_dataset"] == before  # the previous data set is still selected
        assert at.selectbox(key="sidebar_dataset").value == before
        assert dict(at.session_state["ae_uploads"]) == uploads_before
        assert not at.success


def test_refused_by_name_are_not_offered_by_the_uploader(page):
    allowed = page.file_uploader(key="your_data_file").allowed_type
    assert sorted(allowed) == [".csv", ".npz", ".zip"]
    for case in BAD_BY_NAME:
        assert Path(case.filename).suffix not in allowed


def test_a_file_over_the_upload_limit_is_refused(page):
    """The browser enforces server.maxUploadSize itself; the page refuses larger files from any other client."""
    from streamlit import config

    assert page.file_uploader(key="your_data_file").proto.max_upload_size_mb == config.get_option(
        "server.maxUploadSize")
    before = page.session_state["sidebar_dataset"]
    configured = config.get_option("server.maxUploadSize")
    config.set_option("server.maxUploadSize", 1)
    try:
        big = b"0," * (600 * 1024)  # 1.2 MB of CSV
        page.file_uploader(key="your_data_file").set_value(("big.csv", big, "text/csv")).run()
    finally:
        config.set_option("server.maxUploadSize", configured)
    errors = [_unescaped(e.value) for e in page.error]
    assert len(errors) == 1 and "the limit is 1 MB" in errors[0], errors
    assert page.session_state["sidebar_dataset"] == before
