"""Compiled training steps kept across trainings of the same architecture.

Tracing a Keras training step and compiling it with XLA costs about 1.3 s for every new model, a third of
the default model's training (benchmarks/time_to_quality.py). The weights and Adam's state are variables the
compiled step reads, so a kept model can train another model of the same architecture: its weights are set
to the new model's initial ones, Adam starts again from zero, and the learning-rate schedule reads its
figures from variables too. The result is the same, number for number, as a freshly compiled model's
(tests/test_compiled_trainers.py).

Only for XLA-compiled trainings (``aecore.train`` decides): they use no random numbers inside the step.
"""

from __future__ import annotations

import collections
import functools
import threading
from dataclasses import dataclass

import numpy as np

MAX_ARCHITECTURES = 16  # kept architectures, least recently used dropped first (a few MB each)


@functools.cache  # one class, made once Keras is imported
def _adjustable_cooldown():
    import keras
    from keras import ops

    class AdjustableCooldown(keras.optimizers.schedules.LearningRateSchedule):
        """``aecore.train``'s cooldown (and a constant rate: no cooldown), its figures in variables that
        ``set`` changes without tracing the step again. Same float32 arithmetic as the fixed one."""

        def __init__(self):
            self.rate, self.start, self.span, self.drop = (
                keras.Variable(0.0, dtype="float32", trainable=False, name=name)
                for name in ("rate", "start", "span", "drop"))

        def set(self, rate: float, total_steps: int, fraction: float, final: float) -> None:
            # As the fixed schedule computes them, in Python, before they become float32.
            self.rate.assign(rate)
            self.start.assign(total_steps * (1 - fraction))
            self.span.assign(max(total_steps * fraction, 1.0))
            self.drop.assign(1 - final)

        def __call__(self, step):
            progress = ops.clip((ops.cast(step, "float32") - self.start) / self.span, 0.0, 1.0)
            return self.rate * (1 - self.drop * progress)

        def get_config(self):  # never saved: the trained weights go to a model of their own
            return {}

    return AdjustableCooldown


@dataclass
class CompiledTrainer:
    """A compiled model (``built``: autoencoder, encoder, decoder) and its adjustable schedule."""

    built: object
    schedule: object

    @functools.cached_property
    def reconstruct(self):
        """The kept autoencoder's outputs as a traced graph call (an epoch's live preview), traced once per input
        shape for every later training: the preview and the code snapshot took 3.6 ms a call on average instead
        of about 13 ms as Keras's eager calls (cProfile of the default model, 2026-12-03 16:3x UTC)."""
        import tensorflow as tf

        return tf.function(lambda x: self.built.autoencoder(x, training=False))

    @functools.cached_property
    def encode(self):
        """The kept encoder's codes as a traced graph call (an epoch's code snapshot), as ``reconstruct``."""
        import tensorflow as tf

        return tf.function(lambda x: self.built.encoder(x, training=False))

    def start(self, initial_weights: list[np.ndarray], rate: float, total_steps: int, fraction: float,
              final: float) -> None:
        """Ready for a new training: ``initial_weights``, Adam from zero, the schedule's figures."""
        model = self.built.autoencoder
        model.set_weights(initial_weights)
        for variable in model.optimizer.variables:  # the step count and Adam's moments
            variable.assign(np.zeros(variable.shape, variable.dtype))
        self.schedule.set(rate, total_steps, fraction, final)


class CompiledTrainers:
    """Idle compiled trainers by architecture key; a training ``take``s one and ``give``s it back."""

    def __init__(self, max_architectures: int = MAX_ARCHITECTURES):
        self._idle: collections.OrderedDict[object, list[CompiledTrainer]] = collections.OrderedDict()
        self._lock = threading.Lock()
        self._max = max_architectures
        # Trainers made since the last clear, by key (each traced and compiled its step once).
        self.compiled: collections.Counter = collections.Counter()

    def take(self, key, make) -> CompiledTrainer:
        """An idle trainer of ``key``, or a new one from ``make(schedule)`` (a compiled BuiltModel)."""
        with self._lock:
            idle = self._idle.get(key)
            if idle:
                self._idle.move_to_end(key)
                return idle.pop()
        schedule = _adjustable_cooldown()()
        trainer = CompiledTrainer(make(schedule), schedule)
        with self._lock:
            self.compiled[key] += 1
        return trainer

    def give(self, key, trainer: CompiledTrainer) -> None:
        with self._lock:
            self._idle.setdefault(key, []).append(trainer)
            self._idle.move_to_end(key)
            while len(self._idle) > self._max:
                self._idle.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._idle.clear()
            self.compiled.clear()


TRAINERS = CompiledTrainers()
