"""Unit tests for aecore.embed on small blobs and a tiny trained model."""

import os
import threading

import numpy as np
import pytest
from sklearn.datasets import make_blobs

from aecore import embed
from aecore.data import point_pool, pool_size


@pytest.fixture(scope="module")
def blobs():
    x, y = make_blobs(n_samples=240, n_features=8, centers=4, cluster_std=1.0, random_state=0)
    return x.astype(np.float32), y


def test_tsne_shape_frames_and_separation(blobs):
    x, y = blobs
    frames = []
    embedding, complete = embed.tsne(x, perplexity=20, iterations=150, seed=1, progress=frames.append,
                                     frame_every=25, n_jobs=2)
    assert complete
    assert embedding.shape == (240, 2) and embedding.dtype == np.float32
    assert np.isfinite(embedding).all()
    # the initial layout first, then every 25 iterations over both phases, then the final map
    assert frames[0].iteration == 0 and frames[0].phase == "start"
    assert [f.iteration for f in frames[1:-1]] == list(range(25, 151, 25))
    assert frames[-1].phase == "done" and np.array_equal(frames[-1].embedding, embedding)
    assert all(f.embedding.shape == (240, 2) for f in frames)
    assert embed.knn_accuracy(embedding, y) > 0.95  # well separated blobs stay separated


def test_tsne_honours_cancel(blobs):
    x, _ = blobs
    cancel = threading.Event()
    frames = []

    def progress(frame):
        frames.append(frame)
        if frame.iteration >= 25:
            cancel.set()

    embedding, complete = embed.tsne(x, iterations=300, progress=progress, cancel=cancel, frame_every=25)
    assert not complete
    assert embedding.shape == (240, 2)
    assert max(f.iteration for f in frames) < 100  # stopped at the frame after the flag was set


def test_trustworthiness_of_a_perfect_embedding_is_one(blobs):
    x, _ = blobs
    plane = x[:, :2]
    assert embed.trustworthiness(plane, plane) == pytest.approx(1.0)
    # scaling and rotating keeps every neighbourhood
    angle = 0.7
    rotation = np.array([[np.cos(angle), -np.sin(angle)], [np.sin(angle), np.cos(angle)]])
    assert embed.trustworthiness(plane, 3.0 * plane @ rotation) == pytest.approx(1.0)


def test_trustworthiness_matches_scikit_learn(blobs):
    from sklearn.manifold import trustworthiness

    x, _ = blobs
    rng = np.random.default_rng(0)
    for embedding in (embed.pca_2d(x), rng.normal(size=(len(x), 2))):
        ours = embed.trustworthiness(x, embedding, k=10, block=37)  # odd block size: the chunking must not matter
        assert ours == pytest.approx(trustworthiness(x, embedding, n_neighbors=10), abs=1e-12)
    # a random map is much less trustworthy than PCA
    assert embed.trustworthiness(x, rng.normal(size=(len(x), 2))) < embed.trustworthiness(x, embed.pca_2d(x))


def test_knn_accuracy_matches_scikit_learn(blobs):
    from sklearn.model_selection import StratifiedKFold, cross_val_score
    from sklearn.neighbors import KNeighborsClassifier

    x, y = blobs
    rng = np.random.default_rng(3)
    noisy = embed.pca_2d(x) + rng.normal(scale=4.0, size=(len(x), 2))  # overlapping classes: accuracy < 1
    for seed in (0, 5):
        ours = embed.knn_accuracy(noisy, y, k=10, folds=5, seed=seed)
        theirs = cross_val_score(KNeighborsClassifier(n_neighbors=10), noisy, y,
                                 cv=StratifiedKFold(5, shuffle=True, random_state=seed)).mean()
        assert ours == pytest.approx(theirs, abs=1e-12)
        assert 0.3 < ours < 1.0


def test_pca_2d_matches_scikit_learn(blobs):
    from sklearn.decomposition import PCA

    x, _ = blobs
    ours = embed.pca_2d(x)
    theirs = PCA(2).fit_transform(x)
    assert np.allclose(np.abs(ours), np.abs(theirs), atol=1e-3)  # equal up to the sign of each axis


def test_interpolation_line():
    a, b = np.array([0.0, 2.0, -1.0]), np.array([1.0, 0.0, 3.0])
    line = embed.interpolate_codes(a, b, steps=5)
    assert line.shape == (5, 3)
    assert np.allclose(line[0], a) and np.allclose(line[-1], b) and np.allclose(line[2], (a + b) / 2)
    assert np.allclose(np.diff(line, axis=0), (b - a) / 4, atol=1e-6)  # evenly spaced
    with pytest.raises(ValueError):
        embed.interpolate_codes(a, b[:2])


def test_point_pool_takes_test_images_first(digits):
    x, y, splits, index = point_pool(digits, 500)
    n_test = len(digits.x_test)
    assert len(x) == len(y) == 500
    assert np.array_equal(x[:n_test], digits.x_test) and (splits[:n_test] == "test").all()
    assert splits[n_test] == "validation" and index[n_test] == 0
    assert pool_size(digits) == len(digits.x_train) + len(digits.x_val) + n_test


def test_walk_endpoints_are_reconstructions_and_the_job_maps_codes(digits, tiny_experiment):
    from aecore.train import train_autoencoder

    result = train_autoencoder(tiny_experiment, digits)
    x_a, x_b = digits.x_test[0], digits.x_test[1]
    line, decoded = embed.walk(result.encode, result.decode, x_a, x_b, steps=7)
    assert line.shape == (7, tiny_experiment.model.code_size)
    assert decoded.shape == (7,) + digits.sample_shape
    rebuilt = result.reconstruct(np.stack([x_a, x_b]))
    assert np.allclose(decoded[0], rebuilt[0], atol=1e-5) and np.allclose(decoded[-1], rebuilt[1], atol=1e-5)

    x, y, _, _ = point_pool(digits, 200)
    reports = []
    latent = embed.code_map_job(result, x, y, perplexity=15, iterations=100, seed=0)(reports.append,
                                                                                      threading.Event())
    assert latent.complete and latent.method == "t-SNE of the codes"
    assert latent.embedding.shape == (200, 2) and latent.codes.shape == (200, tiny_experiment.model.code_size)
    assert latent.reconstructions.shape == (200,) + digits.sample_shape and latent.reconstructions.dtype == np.uint8
    assert 0.5 < latent.trust <= 1.0 and 0.0 < latent.trust_pixels <= 1.0 and 0.0 <= latent.knn <= 1.0
    assert isinstance(reports[0], embed.EmbedFrame) and reports[-1].phase == "done"
    # prototypes are members of their class
    prototypes = embed.class_prototypes(latent.codes, y)
    assert all(y[i] == label for label, i in prototypes.items())

    snapshots = result.code_snapshots[:2]
    reported = []
    maps = embed.snapshot_maps_job(snapshots, digits.y_test, 15, 60, 0)(reported.append, threading.Event())
    assert [m[0] for m in maps] == [e for e, _ in snapshots] == [1, 2]
    assert all(m[1].shape == (len(snapshots[0][1]), 2) and 0.0 <= m[2] <= 1.0 for m in maps)
    assert len(reported) == 2  # each epoch's map is reported as soon as it is done
    assert [r.partial[0] for r in reported] == [1, 2] and reported[-1].fraction == 1.0


def test_nearest_neighbours_are_exact(blobs):
    from sklearn.neighbors import NearestNeighbors

    x, _ = blobs
    indices, distances = embed.nearest_neighbours(x, 12, block=50)  # blocks must not matter
    theirs_d, theirs_i = NearestNeighbors(n_neighbors=12).fit(x).kneighbors()
    assert indices.shape == distances.shape == (240, 12)
    assert np.allclose(distances, theirs_d, atol=1e-9)
    assert (indices == theirs_i).mean() > 0.99  # only exact ties may swap
    assert not (indices == np.arange(240)[:, None]).any()  # self is never a neighbour


def test_tsne_runs_every_iteration_asked_and_is_repeatable(blobs):
    x, y = blobs
    frames = []
    embedding, complete = embed.tsne(x, progress=frames.append)
    assert complete and frames[-1].iteration == embed.DEFAULT_ITERATIONS and frames[-1].fraction == 1.0
    assert [f.phase for f in frames if f.iteration == embed.DEFAULT_ITERATIONS // 3] == ["exaggeration"]
    assert embed.knn_accuracy(embedding, y) > 0.95
    again, _ = embed.tsne(x)  # without frames or cancel (no callbacks): the same map
    assert np.array_equal(again, embedding)


def test_trustworthiness_of_several_maps_in_one_pass(blobs):
    x, _ = blobs
    maps = [embed.pca_2d(x), np.random.default_rng(1).normal(size=(len(x), 2)), x[:, :2]]
    assert embed.trustworthiness_each(x, maps, block=64) == [embed.trustworthiness(x, m) for m in maps]


def test_tsne_threads_follow_the_openmp_limit_of_the_job(blobs):
    import os

    import openTSNE.tsne  # noqa: F401  (loads OpenMP)
    from threadpoolctl import threadpool_limits

    with threadpool_limits(limits=1, user_api="openmp"):  # as aecore.runtime limits a job on a busy machine
        assert embed.default_jobs() == 1
    assert 1 <= embed.default_jobs() <= (os.cpu_count() or 1)


def test_map_threads_follow_the_jobs_share_on_a_busy_machine(monkeypatch):
    """Under load one thread per map (threads splitting each iteration wait for a core), even when no OpenMP
    limit reached the calling thread."""
    monkeypatch.setattr(os, "getloadavg", lambda: (50.0, 50.0, 50.0))
    assert embed.default_jobs() == 1
