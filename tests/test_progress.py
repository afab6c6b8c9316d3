"""One progress protocol (issue 12): every long computation reports objects with a share done, one line of
plain text and what it has so far, so one panel shows any job."""

from __future__ import annotations

import threading
import time

import numpy as np
import pytest

from aecore import ab_runs, compression, embed, features, train, transfer
from aecore.progress import Count, Progress

pytestmark = pytest.mark.unit


def test_every_report_type_speaks_the_protocol():
    reports = [
        train.EpochReport(3, 10, {"loss": 0.07}, 1.5, preview=np.zeros((2, 4))),
        embed.EmbedFrame(150, 300, np.zeros((5, 2), np.float32), 2.0, kl_divergence=1.25, phase="refinement"),
        embed.snapshot_count(2, 5, (4, np.zeros((5, 2), np.float32), 0.9)),
        ab_runs.ABReport(2, 8, {"loss": 0.1, "val_loss": 0.11, "b_loss": 0.2, "b_val_loss": 0.21}, 3.0),
        Count(1, 4, "Trained 1 of 4 models (code size 4)"),
        transfer.stage_count("pre-training on the digits 0-4", 6, 24),
    ]
    for report in reports:
        assert isinstance(report, Progress), type(report)
        assert 0.0 <= report.fraction <= 1.0
        assert report.line and "\n" not in report.line
    assert [r.fraction for r in reports] == [0.3, 0.5, 0.4, 0.25, 0.25, 0.25]
    assert reports[0].line == "Epoch 3 of 10 · loss 0.0700"
    assert reports[1].line == "Iteration 150 of 300 · KL divergence 1.25 nats"
    assert reports[2].partial[0] == 4  # the map of epoch 4 travels with its progress


def test_a_map_over_the_cluster_keeps_its_progress():
    item = embed.snapshot_count(2, 5, (4, np.arange(10, dtype=np.float32).reshape(5, 2), 0.75))
    back = embed.map_report(embed.map_event(item))
    assert (back.done, back.total, back.line) == (2, 5, item.line)
    assert back.partial[0] == 4 and np.array_equal(back.partial[1], item.partial[1]) and back.partial[2] == 0.75


def test_feature_extraction_reports_each_classifier_as_a_count():
    rng = np.random.default_rng(0)
    x, y = rng.random((60, 3)), np.arange(60) % 3
    reported = []
    rows = features.feature_accuracy_table({"pixels": (x, x[:30]), "codes": (x, x[:30])}, y, y[:30],
                                           label_counts=(30, None), report=reported.append)
    assert [(r.done, r.total) for r in reported] == [(1, 4), (2, 4), (3, 4), (4, 4)]
    assert [r.partial for r in reported] == rows
    assert reported[0].line == "Fitted 1 of 4 classifiers: pixels with 30 labels"


def test_a_sweep_reports_each_model_it_has(monkeypatch):
    from aecore import trained

    monkeypatch.setattr(trained, "trained_model", lambda experiment, dataset, cancel=None: type(
        "Result", (), {"stopped": "completed", "experiment": experiment})())
    reported = []
    models = compression.train_code_size_sweep("digits-8x8", (2, 4), report=reported.append,
                                               cancel=threading.Event())
    assert sorted(models) == [2, 4]
    assert [r.line for r in reported] == ["Trained 1 of 2 models (code size 2)",
                                          "Trained 2 of 2 models (code size 4)"]
    assert [r.partial.experiment.model.code_size for r in reported] == [2, 4]


def test_the_queue_says_the_time_left_of_any_job_at_its_pace_so_far():
    from aecore import jobs

    queue, release = jobs.JobQueue(workers=1), threading.Event()

    def work(report, cancel):
        report(Count(1, 4, "1 of 4 maps"))  # a quarter done...
        release.wait(10)
        return "done"

    job = queue.submit("pace", work, estimate_seconds=100.0)
    while job.latest is None:
        time.sleep(0.01)
    job.working -= 3.0  # ...after 3 s of its own work: about 9 s are left, whatever it was expected to take
    assert 8.5 <= queue.remaining_seconds(job) <= 9.5
    release.set()
    assert job.wait(10) and job.result == "done"
