"""Trained-and-dropped models must not leave TensorFlow graphs behind (the soak's linear memory growth).

Each traced Keras train step registers a ``tf.custom_gradient`` (tf.distribute's all-reduce of the
gradients) in TensorFlow's process-wide gradient registry, whose closure holds the step's FuncGraph:
without ``aecore.runtime.release_training_graphs`` every model left ~1,200 Operations alive for good.
XLA trainings trace their step in a kept trainer of the architecture (``aecore.compiled_trainers``): the
tests here make each training compile its own (``_train``) and drop the kept ones as an eviction would.
"""

import collections
import gc
import time
import weakref

import pytest

from aecore import jobs
from aecore.compiled_trainers import TRAINERS
from aecore.runtime import _custom_gradient_graph, release_training_graphs
from aecore.train import train_autoencoder


def _registry() -> dict:
    from tensorflow.python.framework import ops

    return ops._gradient_registry._registry


def _train(experiment, dataset):
    """Train with a trainer compiled for it; return the result and weak references to the train-step graphs it
    registered."""
    TRAINERS.clear()
    before = set(_registry().copy())
    result = train_autoencoder(experiment, dataset)
    new = {k: v for k, v in _registry().copy().items() if k not in before and k.startswith("CustomGradient-")}
    graphs = [_custom_gradient_graph(entry) for entry in new.values()]
    assert graphs and all(g is not None for g in graphs), "the train step registered no custom gradient"
    return result, list(new), [weakref.ref(g) for g in graphs]


def _live_graph_objects() -> tuple[int, int]:
    gc.collect()
    counts = collections.Counter(type(o).__name__ for o in gc.get_objects())
    return counts["FuncGraph"], counts["Operation"]


def _release() -> None:
    TRAINERS.clear()  # the kept trainers go, as the least recently used do past their limit
    gc.collect()
    release_training_graphs()
    gc.collect()


@pytest.fixture
def quick(tiny_experiment):
    return tiny_experiment.replace(train=tiny_experiment.train.replace(epochs=2))


def test_released_results_free_their_graphs_and_do_not_accumulate(digits, quick):
    result, _, refs = _train(quick, digits)
    del result
    _release()
    assert all(r() is None for r in refs)
    graphs_1, ops_1 = _live_graph_objects()

    all_refs = []
    for seed in (1, 2, 3):
        result, _, refs = _train(quick.replace(train=quick.train.replace(seed=seed)), digits)
        assert result.reconstruct(digits.x_test[:4]).shape == (4,) + digits.x_test.shape[1:]
        all_refs += refs
        del result
        _release()
    assert all(r() is None for r in all_refs)
    graphs_4, ops_4 = _live_graph_objects()
    # One leaked model was 2 FuncGraphs and ~1,200 Operations; three more would be 6 and ~3,700.
    assert graphs_4 - graphs_1 <= 1 and ops_4 - ops_1 < 600, (graphs_1, ops_1, graphs_4, ops_4)


def test_a_kept_model_keeps_its_train_step_and_trains_again(digits, quick):
    result, names, refs = _train(quick, digits)
    gc.collect()
    release_training_graphs()  # must not touch a live model's entries (the kept trainer's)
    assert all(name in _registry() for name in names)
    assert all(r() is not None for r in refs)
    history = result.model.fit(digits.x_train[:256], digits.x_train[:256], epochs=1, batch_size=64, verbose=0)
    assert history.history["loss"][0] > 0
    del result, history
    _release()
    assert not any(name in _registry() for name in names)
    assert all(r() is None for r in refs)


def test_job_queue_frees_evicted_and_cancelled_models(digits, quick):
    queue = jobs.app_queue(workers=1, keep_results=1)
    refs = []
    for seed in (11, 12, 13):
        experiment = quick.replace(train=quick.train.replace(seed=seed))
        holder = {}

        def fn(report, cancel, experiment=experiment, holder=holder):
            result = train_autoencoder(experiment, digits)
            holder["refs"] = [weakref.ref(result.model), weakref.ref(result.encoder)]
            return result

        job = queue.submit(experiment.key(), fn, label="memory")
        assert job.wait(60) and job.status == jobs.DONE, job.error
        refs.append(holder["refs"])
    del job
    # The queue keeps the last result only; its idle release (in the worker thread) frees the others.
    deadline = time.time() + 15
    while time.time() < deadline and not all(r() is None for batch in refs[:2] for r in batch):
        time.sleep(0.1)
    assert all(r() is None for batch in refs[:2] for r in batch)
    assert all(r() is not None for r in refs[2])  # the kept result's model is still usable


def test_trainings_of_one_architecture_trace_one_train_step(digits, quick):
    _, names, _ = _train(quick, digits)  # compiles the architecture's trainer
    before = set(_registry().copy())
    for seed in (21, 22, 23):
        train_autoencoder(quick.replace(train=quick.train.replace(seed=seed)), digits)
    assert not [k for k in _registry().copy() if k not in before and k.startswith("CustomGradient-")]
    _release()
    assert not any(name in _registry() for name in names)
