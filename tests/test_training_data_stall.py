"""A training paused between epochs (turns, aecore.jobs) must not stall when it continues.

Keras's fit drops the last epoch's tf.data iterator when the next epoch takes its first batch. With tf.data's
autotuning on, the iterator's destructor waits for the iterator's autotuning thread, and on a busy machine
that thread often misses its cancellation and sleeps on until its next scheduled optimisation, a period that
doubles up to 60 s (gdb during a stall: two workers in RootDataset::Iterator::~Iterator ->
~LogicalThreadWrapper, the thread still waiting in Model::OptimizeLoop). In a class of 12 trainings taking
turns on 2 workers, 8 of 120 epoch starts waited 0.5-19 s, 35 s in all, often both workers at once, the
machine then idle (benchmarks/classroom.py --free --sessions 12 --thread-cpu, 2026-12-03 10:23 UTC).
"""

from __future__ import annotations

import subprocess
import sys
import time

import numpy as np

ITERATORS = 16
BUSY_PROCESSES = 3  # a class's load: the stall shows when the deleting thread has to wait for a core


def test_dropping_a_training_iterator_on_a_busy_machine_does_not_wait():
    from aecore import runtime, train
    from aecore.config import TrainConfig

    runtime.ensure_tensorflow_configured()
    x = np.random.default_rng(0).random((512, 64), dtype=np.float32)
    noise = train.training_noise(TrainConfig(noise_level=0.3))
    busy = [subprocess.Popen([sys.executable, "-c", "while True: pass"]) for _ in range(BUSY_PROCESSES)]
    took, iterators = [], []
    try:
        for i in range(ITERATORS):  # clean and noisy pipelines, each an epoch begun
            iterator = iter(train._batches(x, x, 32, i, noise if i % 2 else None))
            next(iterator)
            iterators.append(iterator)
        time.sleep(1.5)  # paused for other trainings' turns: the autotuning period has grown past a second
        while iterators and max(took, default=0.0) < 0.3:  # one stall is enough (later ones last longer)
            iterator = iterators.pop()
            started = time.perf_counter()
            del iterator  # what fit does at the next epoch's first step
            took.append(time.perf_counter() - started)
    finally:
        for process in busy:
            process.kill()
            process.wait()
        iterators.clear()  # the rest on an idle machine, where the thread rarely misses its cancellation
    assert max(took) < 0.3, f"dropping an iterator took (s): {[round(t, 2) for t in took]}"


def test_training_pipelines_do_not_autotune():
    """The cause, checked directly: the pipelines fit trains on run without tf.data's autotuning thread."""
    from aecore import runtime, train
    from aecore.config import TrainConfig

    runtime.ensure_tensorflow_configured()
    x = np.zeros((64, 4), dtype=np.float32)
    for noise in (None, train.training_noise(TrainConfig(noise_level=0.3))):
        assert train._batches(x, x, 8, 0, noise).options().autotune.enabled is False
    for keyed in (False, True):  # and the step-by-step replay's (aecore.stepping)
        assert train.shuffled_batches(x, x, 8, 0, keyed=keyed).options().autotune.enabled is False
