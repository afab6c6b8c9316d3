"""PCA baseline, sweep, linear autoencoder = PCA, principal angles, layers, transfer (tiny data)."""

import threading

import numpy as np
import pytest

from aecore import inspect_model, metrics, pca_baseline, sweeps, transfer
from aecore.config import DataConfig, Experiment, ModelConfig, TrainConfig
from aecore.data import keras_datasets_dir, load_dataset
from aecore.pca import PCA_MAX_COMPONENTS, PCABaseline


def test_pca_reconstruction_equals_the_closed_form(digits):
    pca = PCABaseline(10).fit(digits.x_train)
    X = digits.x_train.reshape(len(digits.x_train), -1).astype(np.float64)
    mean = X.mean(axis=0)
    _, _, vt = np.linalg.svd(X - mean, full_matrices=False)
    V = vt[:10].T  # closed form: projection onto the top-10 right singular vectors
    test = digits.x_test.reshape(len(digits.x_test), -1).astype(np.float64)
    expected = (test - mean) @ V @ V.T + mean
    rec = pca.reconstruct(digits.x_test)
    assert rec.shape == digits.x_test.shape
    np.testing.assert_allclose(rec.reshape(len(rec), -1), expected, atol=1e-5)
    # orthonormal components, variance ratios sorted and summing below 1
    np.testing.assert_allclose(pca.components_ @ pca.components_.T, np.eye(10), atol=1e-10)
    assert np.all(np.diff(pca.explained_variance_) <= 1e-12)
    assert 0 < pca.explained_variance_ratio_.sum() < 1


def test_pca_matches_scikit_learn_and_the_one_pass_mse_curve(digits):
    from sklearn.decomposition import PCA

    ours = PCABaseline(20).fit(digits.x_train)
    theirs = PCA(20, svd_solver="full").fit(digits.x_train.reshape(len(digits.x_train), -1))
    np.testing.assert_allclose(ours.explained_variance_ratio_, theirs.explained_variance_ratio_, rtol=1e-5)
    curve = ours.mse_by_components(digits.x_test)
    assert curve.shape == (20,) and np.all(np.diff(curve) <= 1e-12)
    for k in (1, 5, 20):
        direct = metrics.mse(digits.x_test, ours.reconstruct(digits.x_test, k))
        assert curve[k - 1] == pytest.approx(direct, rel=1e-6)
    codes = ours.transform(digits.x_test, 3)
    assert codes.shape == (len(digits.x_test), 3)
    assert ours.inverse_transform(codes).shape == digits.x_test.shape


def test_pca_on_full_mnist_reads_the_keras_cache_and_reports_against_published(monkeypatch, tmp_path):
    monkeypatch.setenv("KERAS_HOME", str(tmp_path))
    rng = np.random.default_rng(1)
    folder = keras_datasets_dir()
    folder.mkdir(parents=True)
    np.savez(folder / "mnist.npz", x_train=rng.integers(0, 256, (400, 28, 28), dtype=np.uint8),
             y_train=np.repeat(np.arange(10), 40), x_test=rng.integers(0, 256, (100, 28, 28), dtype=np.uint8),
             y_test=np.repeat(np.arange(10), 10))
    cfg = DataConfig(name="mnist", split_seed=97)
    ds = load_dataset(cfg)
    pca = pca_baseline.fitted_pca(cfg, ds)
    assert pca.n_components_ == PCA_MAX_COMPONENTS and pca.n_features_in_ == 784
    assert pca_baseline.fitted_pca(cfg, ds) is pca  # memoised by the config's hash
    curve = pca_baseline.pca_curve(pca, ds)
    rows = pca_baseline.published_check(curve)
    assert [r[0] for r in rows] == [2, 8, 16, 32, 64]
    for k, ours, published, ratio, ok in rows:
        assert ours == pytest.approx(curve.test_mse[k - 1]) and ratio == pytest.approx(ours / published)
        assert not ok  # uniform noise is nothing like MNIST: the check must say so


def test_principal_angles_of_identical_subspaces_are_zero():
    rng = np.random.default_rng(0)
    A = rng.normal(size=(50, 4))
    mixed = A @ rng.normal(size=(4, 4))  # another basis of the same subspace
    np.testing.assert_allclose(inspect_model.principal_angles(A, mixed), 0, atol=1e-5)
    e = np.eye(3)
    np.testing.assert_allclose(inspect_model.principal_angles(e[:, :1], e[:, 1:2]), [90.0])
    angle = inspect_model.principal_angles(e[:, :1], (e[:, 0] + e[:, 1])[:, None])
    np.testing.assert_allclose(angle, [45.0])


def test_sweep_returns_one_figure_per_code_size(digits):
    base = Experiment(DataConfig(name="digits-8x8"), ModelConfig(code_size=8, n_hidden_layers=1, first_layer_nodes=32),
                      TrainConfig(epochs=1, batch_size=128, early_stopping=False))
    assert sweeps.sweep_code_sizes(64) == (2, 4, 8, 16, 32)  # 64 would not compress 8×8 images
    points = sweeps.run_sweep(base, digits, code_sizes=(2, 4, 64))
    assert [p.code_size for p in points] == [2, 4]
    for p, experiment in zip(points, sweeps.sweep_experiments(base, 64, (2, 4))):
        assert p.test_mse > 0 and p.train_mse > 0 and p.epochs_run == 1
        assert p.experiment_key == experiment.key()
        assert sweeps.known_point(experiment) == p  # cached by the experiment key
    # the same model the sidebar would train: only the code size differs
    assert sweeps.sweep_experiments(base, 64, (8,))[0].key() == base.key()


def test_linear_autoencoder_reaches_pca_on_a_tiny_set(digits):
    experiment = inspect_model.linear_experiment(DataConfig(name="digits-8x8"), code_size=4, epochs=60,
                                           learning_rate=0.01, batch_size=64)
    reducer = pca_baseline.AutoencoderReducer(experiment).fit(digits.x_train, X_val=digits.x_val)
    assert reducer.n_components_ == 4
    assert reducer.transform(digits.x_test[:5]).shape == (5, 4)
    assert reducer.inverse_transform(np.zeros((2, 4))).shape == (2, 8, 8)
    pca = PCABaseline(4).fit(digits.x_train)
    # AutoencoderReducer.fit used x_val as its test split: compare on real test images here
    ae_mse = metrics.mse(digits.x_test, reducer.reconstruct(digits.x_test))
    pca_mse = metrics.mse(digits.x_test, pca.reconstruct(digits.x_test))
    assert ae_mse / pca_mse < 1.05
    angles = inspect_model.principal_angles(inspect_model.decoder_subspace(reducer.result_), pca.components_.T)
    assert angles.shape == (4,) and angles[:2].max() < 15


def test_first_layer_weights_knn_and_layer_activations(digits, tiny_experiment):
    from aecore.train import train_autoencoder

    result = train_autoencoder(tiny_experiment, digits)
    weights = inspect_model.first_layer_weights(result, 5)
    assert weights.shape == (5, 64)
    norms = np.linalg.norm(weights, axis=1)
    assert np.all(np.diff(norms) <= 1e-6)  # strongest first
    layers = inspect_model.layer_activations(result, digits.x_test[0])
    sizes = [values.size for _, values in layers]
    assert sizes == [32, 8, 32, 64]  # encoder 1, code, decoder 1, reconstruction
    np.testing.assert_allclose(layers[-1][1].ravel(), result.reconstruct(digits.x_test[:1]).ravel(), atol=1e-5)
    pca = PCABaseline(2).fit(digits.x_train)
    accuracy = metrics.knn_accuracy(pca.transform(digits.x_train), digits.y_train, pca.transform(digits.x_test),
                                    digits.y_test)
    assert 0.3 < accuracy <= 1.0  # far above chance (0.1) even in two dimensions


def test_transfer_experiment_returns_both_curves(digits):
    experiment = Experiment(DataConfig(name="digits-8x8"),
                            ModelConfig(code_size=8, n_hidden_layers=1, first_layer_nodes=32, loss="mse"),
                            TrainConfig(epochs=2, batch_size=64))
    reports = []
    tr = transfer.run_transfer(experiment, digits, n_images=60, finetune_epochs=2, report=reports.append)
    assert tr.n_target_images == 60 and tr.n_test == int(np.isin(digits.y_test, (5, 6, 7, 8, 9)).sum())
    for history in (tr.scratch_history, tr.transfer_history):
        assert len(history["loss"]) == 2 and len(history["val_loss"]) == 2
    assert len(tr.pretrain_history["loss"]) == 2
    assert all(np.isfinite([tr.scratch_test_mse, tr.transfer_test_mse, tr.pca_small_test_mse]))
    assert [r.done for r in reports] == list(range(1, 7)) and reports[-1].fraction == 1.0
    assert reports[0].line == "pre-training on classes 0, 1, 2, 3, 4 (epoch 1 of 6 in total)"
    cancel = threading.Event()
    cancel.set()
    with pytest.raises(RuntimeError, match="cancelled"):
        transfer.run_transfer(experiment, digits, n_images=60, finetune_epochs=1, cancel=cancel)


def test_figures_build_from_arrays():
    from aecore.figures import pca as pca_figures

    rng = np.random.default_rng(0)
    fig = pca_figures.error_vs_code_size(np.arange(1, 11), np.linspace(0.05, 0.01, 10), np.linspace(0.04, 0.005, 10),
                                         [2, 4], [0.04, 0.03], [0.02, 0.01], current_k=4)
    assert len(fig.data) == 4 and fig.layout.xaxis.title.text.startswith("code size")
    fig = pca_figures.manifold_3d(rng.random((30, 3)), rng.integers(0, 10, 30), rng.random((30, 3)),
                                  rng.random((30, 3)), 2, 0.02, 0.005)
    assert len(fig.data) == 4 and "0.0200" in fig.layout.annotations[0].text
    assert pca_figures.as_heat_map(np.arange(16.0)).shape == (4, 4)
    assert pca_figures.as_heat_map(np.arange(64.0), (8, 8)).shape == (8, 8)
    assert pca_figures.as_heat_map(np.arange(7.0)).size >= 7
    fig = pca_figures.weight_images(rng.normal(size=(6, 8, 8)), n_cols=3, titles=list("abcdef"))
    assert fig.data[0].z.shape == (17, 26)
