"""Pre-trained layers: pre-train on some classes, then fit a few images of others from the pre-trained
encoder and from scratch, against PCA fitted on either. A job function and its cache."""

from __future__ import annotations

import threading
import time
from dataclasses import asdict, dataclass
from typing import Callable

import numpy as np

from aecore import metrics
from aecore.config import Experiment, ModelConfig, stable_hash
from aecore.data import Dataset
from aecore.pca import PCABaseline
from aecore.progress import Count
from aecore.validation import validation_logs


def stage_count(stage: str, step: int, steps: int) -> Count:
    """Progress of the whole experiment: ``step`` of the ``steps`` epochs of its three fits done, now in
    ``stage``. Nothing partial: the stages' models are only worth showing together, at the end."""
    return Count(step, steps, f"{stage} (epoch {step} of {steps} in total)")


@dataclass
class TransferResult:
    pretrain_classes: tuple[int, ...]
    target_classes: tuple[int, ...]
    n_target_images: int
    reuse_decoder: bool
    pretrain_history: dict[str, list[float]]
    scratch_history: dict[str, list[float]]
    transfer_history: dict[str, list[float]]
    scratch_test_mse: float
    transfer_test_mse: float
    pretrain_test_mse: float  # the pre-trained model, untouched, on the target test images
    seconds: float
    n_test: int = 0
    pca_code_size: int = 0
    pca_small_test_mse: float = float("nan")  # PCA fitted on the same few target images
    pca_pretrained_test_mse: float = float("nan")  # PCA fitted on the pre-training classes


def transfer_key(experiment: Experiment, n_images: int, finetune_epochs: int, reuse_decoder: bool) -> str:
    return "transfer-" + stable_hash(experiment.data, _transfer_model(experiment.model), experiment.train,
                                     n_images, finetune_epochs, reuse_decoder)


def _transfer_model(cfg: ModelConfig) -> ModelConfig:
    # The transfer demo reuses dense layers; other types are compared through their dense equivalent.
    return cfg.replace(kind="dense").canonical()


def run_transfer(experiment: Experiment, dataset: Dataset, n_images: int = 200, finetune_epochs: int = 40,
                 reuse_decoder: bool = False, report: Callable | None = None,
                 cancel: threading.Event | None = None,
                 pretrain_classes: tuple[int, ...] = (0, 1, 2, 3, 4),
                 target_classes: tuple[int, ...] = (5, 6, 7, 8, 9)) -> TransferResult:
    """Pre-train on ``pretrain_classes``, then fit ``n_images`` of ``target_classes`` from the pre-trained
    encoder and from scratch (same seed, same epochs, no early stopping so the curves are complete)."""
    import keras

    from aecore.models import BuiltModel, compile_model, dense_decoder, dense_encoder
    from aecore.runtime import ensure_tensorflow_configured

    model_cfg, train_cfg = _transfer_model(experiment.model), experiment.train.replace(noise_level=0.0)
    shape = dataset.sample_shape
    pre_tr = np.isin(dataset.y_train, pretrain_classes)
    pre_val = np.isin(dataset.y_val, pretrain_classes)
    tgt_tr = np.flatnonzero(np.isin(dataset.y_train, target_classes))
    tgt_val, tgt_test = np.isin(dataset.y_val, target_classes), np.isin(dataset.y_test, target_classes)
    if pre_tr.sum() < 10 or len(tgt_tr) < 10 or tgt_val.sum() < 1 or tgt_test.sum() < 1:
        raise ValueError("This data set does not have enough labelled images of both groups of classes for "
                         "the transfer experiment; use mnist-5k or digits-8x8.")
    chosen = np.random.default_rng(train_cfg.seed).choice(tgt_tr, size=min(n_images, len(tgt_tr)), replace=False)
    x_small, x_val, x_test = dataset.x_train[chosen], dataset.x_val[tgt_val], dataset.x_test[tgt_test]
    ensure_tensorflow_configured()
    start = time.perf_counter()
    pretrain_epochs = train_cfg.epochs
    total = pretrain_epochs + 2 * finetune_epochs
    done = [0]

    class Progress(keras.callbacks.Callback):
        # The trainer's fast path (aecore.train): cancel checked at batch *begin* (an on_train_batch_end
        # callback makes Keras sync the loss after every batch) and aecore.validation at the epoch's end.
        def __init__(self, stage, validation):
            super().__init__()
            self.stage, self.validation = stage, validation

        def on_train_batch_begin(self, batch, logs=None):
            if cancel is not None and cancel.is_set():
                self.model.stop_training = True

        def on_epoch_end(self, epoch, logs=None):
            if logs is not None:  # the same dict reaches Keras's History after us
                logs.update(validation_logs(self.model, self.validation, self.validation))
            done[0] += 1
            if report is not None:
                report(stage_count(self.stage, done[0], total))

    def build(seed):
        from aecore.train import SEEDED_BUILD

        with SEEDED_BUILD:
            keras.utils.set_random_seed(seed)
            encoder, decoder = dense_encoder(model_cfg, shape), dense_decoder(model_cfg, shape)
            inputs = keras.Input(shape)
            auto = keras.Model(inputs, decoder(encoder(inputs)))
        return compile_model(BuiltModel(auto, encoder, decoder), model_cfg, train_cfg)

    def fit(built, x, val, epochs, stage):
        history = built.autoencoder.fit(x, x, epochs=epochs, batch_size=min(train_cfg.batch_size, len(x)),
                                        shuffle=True, callbacks=[Progress(stage, val)], verbose=0)
        if cancel is not None and cancel.is_set():
            from aecore.train import TrainingCancelled

            raise TrainingCancelled("Stopped: the transfer experiment was cancelled.")
        return {k: [float(v) for v in vals] for k, vals in history.history.items()}

    def test_mse(built):
        rec = np.asarray(built.autoencoder.predict(x_test, batch_size=512, verbose=0))
        return metrics.mse(x_test, rec)

    pre = build(train_cfg.seed)
    pre_history = fit(pre, dataset.x_train[pre_tr], dataset.x_val[pre_val], pretrain_epochs,
                      f"pre-training on classes {', '.join(map(str, pretrain_classes))}")
    pretrain_test = test_mse(pre)

    scratch = build(train_cfg.seed + 1)
    transfer = build(train_cfg.seed + 1)  # same initial weights as scratch, then the pre-trained encoder
    transfer.encoder.set_weights(pre.encoder.get_weights())
    if reuse_decoder:
        transfer.decoder.set_weights(pre.decoder.get_weights())
    scratch_history = fit(scratch, x_small, x_val, finetune_epochs, f"from scratch on {len(x_small)} images")
    transfer_history = fit(transfer, x_small, x_val, finetune_epochs,
                           f"from the pre-trained encoder on {len(x_small)} images")
    k = min(model_cfg.code_size, len(x_small) - 1, dataset.input_dim)
    pca_small = PCABaseline(k).fit(x_small)
    pca_pre = PCABaseline(k).fit(dataset.x_train[pre_tr])
    return TransferResult(tuple(pretrain_classes), tuple(target_classes), len(x_small), reuse_decoder,
                          pre_history, scratch_history, transfer_history, test_mse(scratch), test_mse(transfer),
                          pretrain_test, time.perf_counter() - start, n_test=len(x_test), pca_code_size=k,
                          pca_small_test_mse=metrics.mse(x_test, pca_small.reconstruct(x_test)),
                          pca_pretrained_test_mse=metrics.mse(x_test, pca_pre.reconstruct(x_test)))


def transfer_job(experiment: Experiment, dataset: Dataset, n_images: int = 200, finetune_epochs: int = 40,
                 reuse_decoder: bool = False):
    def run(report, cancel):
        from aecore import cache

        result = run_transfer(experiment, dataset, n_images, finetune_epochs, reuse_decoder, report, cancel)
        if not experiment.data.upload_id:
            cache.default_cache().save_derived(transfer_key(experiment, n_images, finetune_epochs, reuse_decoder),
                                               asdict(result))
        return result

    return run


def transfer_cached(experiment: Experiment, n_images: int, finetune_epochs: int,
                    reuse_decoder: bool) -> TransferResult | None:
    """The experiment's result from the disk cache (never for uploads)."""
    from aecore import cache

    if experiment.data.upload_id:
        return None
    stored = cache.default_cache().load_derived(transfer_key(experiment, n_images, finetune_epochs, reuse_decoder))
    return TransferResult(**stored) if stored is not None else None
