"""The Limits page's background work through ui.job_panel (AppTest through the real entry point, digits-8x8):
the code-size sweep's button, progress, Stop and result, and measurements that start on their own."""

from __future__ import annotations

import threading
import time

import pytest

from aecore.progress import Count
from tests.apphelpers import TINY_SETTINGS, go_to, open_app, texts, train

pytestmark = pytest.mark.app

LIMITS = "pages/limits.py"


def wait_for(condition, timeout: float = 60) -> None:
    deadline = time.time() + timeout
    while not condition() and time.time() < deadline:
        time.sleep(0.05)
    assert condition(), "timed out"


def limits_page(code_size: int):
    """The Limits page after a tiny model of its own (its code size keeps its measurements apart from other
    tests' in this process)."""
    at = train(open_app(), {**TINY_SETTINGS, "sidebar_code_size": code_size})
    return go_to(at, LIMITS)


def test_the_code_size_sweep_runs_through_the_job_panel(monkeypatch):
    from aecore import compression, jobs
    from ui import limits_view

    at = limits_page(7)
    at.radio(key="limits_compress_view").set_value("bytes").run()
    assert at.session_state["limits_rd_job"].wait(120)
    at.run()
    start = at.button(key="limits_sweep_train")
    assert start.label == "Add a code-size sweep" and not start.disabled
    assert at.button(key="limits_sweep_stop").disabled  # nothing to stop yet
    assert "autoencoder" not in {p.method for p in at.session_state["limits_rd_job"].result}

    release, model = threading.Event(), at.session_state["ae_job"].result

    def sweep(data, sizes, report=None, cancel=None, **kwargs):  # one model reported, then held until released
        report(Count(1, 4, "Trained 1 of 4 models (code size 4)"))
        while not (release.is_set() or cancel.is_set()):
            time.sleep(0.02)
        return {} if cancel.is_set() else {8: model}

    monkeypatch.setattr(compression, "train_code_size_sweep", sweep)
    key = limits_view.sweep_key(model.experiment.data)
    try:
        at.button(key="limits_sweep_train").click().run()
        assert not at.exception, at.exception
        job = at.session_state["limits_sweep_job"]
        wait_for(lambda: job.latest is not None)
        at.run()
        [bar] = at.get("progress")
        assert bar.proto.text.startswith("Trained 1 of 4 models (code size 4) · about ")
        assert bar.proto.text.endswith(" s left") and bar.proto.value == 25
        assert at.button(key="limits_sweep_train").disabled and not at.button(key="limits_sweep_stop").disabled

        at.button(key="limits_sweep_stop").click().run()  # nobody else watches: the sweep is cancelled
        assert job.wait(10) and job.status == jobs.CANCELLED
        at.run()
        assert not at.exception, at.exception
        assert "Stopped: the sweep is not added." in texts(at)
        assert not at.button(key="limits_sweep_train").disabled  # it can be started again

        release.set()
        at.button(key="limits_sweep_train").click().run()
        job = at.session_state["limits_sweep_job"]
        assert job.wait(30) and job.status == jobs.DONE
        at.run()  # the panel saw it end: the page redraws with the sweep in the comparison
        assert at.button(key="limits_sweep_train").disabled  # done: nothing to add
        rd = at.session_state["limits_rd_job"]
        assert rd.wait(120)
        at.run()
        assert not at.exception, at.exception
        assert {"your autoencoder", "autoencoder"} <= {p.method for p in rd.result}
        assert "Who wins where" in texts(at)
    finally:
        jobs.default_queue().forget(key)  # the stand-in sweep must not reach other tests


def test_a_failed_measurement_stays_shown_and_is_not_started_again(monkeypatch):
    from aecore import bits

    calls = []

    def broken(*args, **kwargs):
        calls.append(1)
        raise ValueError("no bits today")

    monkeypatch.setattr(bits, "bits_comparison", broken)
    at = limits_page(5)
    job = at.session_state["limits_bits_job"]
    assert job.wait(60) and job.status == "failed"
    at.run()
    assert not at.exception, at.exception
    assert "no bits today" in [e.value for e in at.error]
    at.select_slider(key="limits_bits_depth").set_value(4).run()
    assert at.session_state["limits_bits_job"] is job and len(calls) == 1
    assert not at.get("progress") and "Your autoencoder needs" not in texts(at)


def test_your_picture_goes_through_the_upload_checks():
    """The Limits page's own-picture upload is read like every uploaded image: one grey conversion, PNG or
    JPEG only, the size checked from the header first, and a message saying what to do."""
    import io

    import numpy as np
    from PIL import Image

    from aecore import uploads
    from ui import limits_view

    picture = np.zeros((40, 60, 3), np.uint8)
    picture[10:30, 25:35] = (200, 120, 40)  # an orange bar on black
    data = io.BytesIO()
    Image.fromarray(picture).save(data, format="PNG")
    image, inverted = limits_view.read_upload(data.getvalue(), "bar.png", (28, 28))
    assert image.shape == (28, 28) and not inverted
    grey = uploads.read_picture(data.getvalue(), "bar.png")
    assert grey[20, 30] == pytest.approx(0.299 * 200 + 0.587 * 120 + 0.114 * 40, abs=0.01)  # corrupt.to_grey

    gif = io.BytesIO()
    Image.fromarray(picture).save(gif, format="GIF")
    with pytest.raises(uploads.UploadError, match="not PNG or JPEG"):
        limits_view.read_upload(gif.getvalue(), "**bold**.gif", (28, 28))
    with pytest.raises(uploads.UploadError, match="upload it again"):
        limits_view.read_upload(b"\x89PNG\r\n\x1a\n" + b"\0" * 40, "broken.png", (28, 28))
