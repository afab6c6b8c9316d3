"""t-SNE of the codes, embedding-quality figures and walks through the latent space.

t-SNE is openTSNE's Barnes-Hut implementation: below ~10k points it beats FFT
interpolation on two cores, and its callbacks hand out intermediate frames (so the
clusters can be watched forming) and let a cancel flag stop the optimiser.

Quality figures, both on a 2-D embedding:

- ``trustworthiness`` (k = 10): 1 when every point's 10 nearest neighbours on the
  map are also among its 10 nearest in the original space; it drops as the map
  invents neighbours.
- ``knn_accuracy``: 5-fold cross-validated accuracy of a 10-nearest-neighbour
  classifier trained on the 2-D positions (how well the map separates the classes).
"""

from __future__ import annotations

import os
import threading
import time
from dataclasses import dataclass, field
from typing import Callable, Sequence

import numpy as np

from aecore.pca import fit_pca, flatten
from aecore.progress import Count

# openTSNE's OpenMP threads spin while they wait for each other. On a shared 2-core machine (training jobs,
# other sessions) that spinning starves the optimiser: t-SNE of 360 points took 9.7 s with n_jobs=2 versus
# 1.25 s with n_jobs=1 under load, and 0.7 s with n_jobs=2 once idle threads sleep instead. libgomp reads
# this when openTSNE's extension loads, so set it before the first openTSNE import.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")


def _one_blas_thread(fn):
    """Run ``fn`` with NumPy's OpenBLAS on one thread. Its threads busy-wait too: on the shared 2-core
    machine (load ~30) PCA-2 of 2,000 MNIST images took 29 s with two BLAS threads and 1.6 s with one;
    these matrices are small enough that a second thread gains little even when the machine is idle."""
    import functools

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        from threadpoolctl import threadpool_limits

        with threadpool_limits(limits=1, user_api="blas"):
            return fn(*args, **kwargs)

    return wrapper


DEFAULT_PERPLEXITY = 30.0
# 100 exaggerated + 200 normal (openTSNE's own default is 250 + 500). On the default model's 2,000 codes the map
# is as trustworthy as after 500 (0.987 against 0.987, kNN accuracy 0.875 against 0.879) in 60 % of the time;
# the KL divergence falls by less than 1 % per 25 iterations from about 250 on.
DEFAULT_ITERATIONS = 300
DEFAULT_POINTS = 2000
QUALITY_K = 10
FRAME_EVERY = 25  # iterations between intermediate frames


@dataclass
class EmbedFrame:
    """One intermediate (or the final) state of the optimiser."""

    iteration: int  # completed iterations, counted over both phases
    iterations: int  # planned
    embedding: np.ndarray  # (n, 2) float32
    elapsed: float  # seconds since the job started
    kl_divergence: float | None = None
    phase: str = "start"  # "start" (initial layout), "exaggeration", "refinement", "done"

    @property
    def fraction(self) -> float:
        return min(self.iteration / max(self.iterations, 1), 1.0)

    @property
    def line(self) -> str:
        kl = f" · KL divergence {self.kl_divergence:.2f} nats" if self.kl_divergence is not None else ""
        return f"Iteration {self.iteration} of {self.iterations}{kl}"

    @property
    def partial(self) -> np.ndarray:
        return self.embedding


@dataclass
class LatentMap:
    """A 2-D map of some points, with its quality figures (what a background job returns)."""

    method: str  # "t-SNE of the codes", "codes (2-D)", "t-SNE of the pixels", "PCA-2 of the pixels"
    embedding: np.ndarray  # (n, 2)
    labels: np.ndarray  # (n,)
    seconds: float  # time spent embedding (not counting the quality figures)
    complete: bool = True  # False when stopped early
    trust: float | None = None  # trustworthiness (k = 10) towards what was embedded
    trust_pixels: float | None = None  # trustworthiness (k = 10) towards the pixels
    knn: float | None = None  # 5-fold kNN accuracy on the 2-D map
    codes: np.ndarray | None = None  # (n, code_size) when the map is of codes
    reconstructions: np.ndarray | None = None  # (n, ...) uint8 grey levels 0-255 of the reconstructions
    extra: dict = field(default_factory=dict)


# --- t-SNE -----------------------------------------------------------------------------------------------

def default_jobs() -> int:
    """openTSNE's threads: the OpenMP thread limit in force for the calling thread, at most the cores.
    openTSNE takes an explicit count, so without this a limit set around a job (aecore.jobs sizes one per
    job from the jobs running and the load) would not reach it. The cores when no OpenMP is loaded yet.
    Also at most the job's share from ``runtime.job_threads``: threadpoolctl lets only one thread set a limit,
    so the OpenMP limit alone can miss a job running beside another."""
    from threadpoolctl import threadpool_info

    from aecore import runtime

    cores = max(1, os.cpu_count() or 1)
    limits = [info["num_threads"] for info in threadpool_info() if info["user_api"] == "openmp"]
    return max(1, min([cores, runtime.job_threads(), *limits]))


@_one_blas_thread
def nearest_neighbours(x: np.ndarray, k: int, block: int = 512) -> tuple[np.ndarray, np.ndarray]:
    """Exact ``k`` nearest neighbours of every row of ``x`` (n, d), self excluded, nearest first:
    (indices (n, k) int64, Euclidean distances (n, k) float64).

    Brute force in blocks of rows: for the app's few thousand points one matrix product is far cheaper than
    building an approximate index (openTSNE's default above 1,000 points, Annoy, took 7x longer on 2,000
    codes), and the neighbours are exact.
    """
    x = np.asarray(x, dtype=np.float64).reshape(len(x), -1)
    n = len(x)
    k = int(min(k, n - 1))
    x_sq = (x * x).sum(axis=1)
    indices = np.empty((n, k), dtype=np.int64)
    distances = np.empty((n, k), dtype=np.float64)
    for lo in range(0, n, block):
        hi = min(lo + block, n)
        d = _squared_distances(x[lo:hi], x, x_sq)
        d[np.arange(hi - lo), np.arange(lo, hi)] = np.inf
        near = np.argpartition(d, k - 1, axis=1)[:, :k]
        near_d = np.take_along_axis(d, near, axis=1)
        order = np.argsort(near_d, axis=1, kind="stable")
        indices[lo:hi] = np.take_along_axis(near, order, axis=1)
        distances[lo:hi] = np.sqrt(np.take_along_axis(near_d, order, axis=1))
    return indices, distances


@_one_blas_thread
def tsne(x: np.ndarray, perplexity: float = DEFAULT_PERPLEXITY, iterations: int = DEFAULT_ITERATIONS,
         seed: int = 0, progress: Callable[[EmbedFrame], None] | None = None,
         cancel: threading.Event | None = None, frame_every: int = FRAME_EVERY,
         n_jobs: int | None = None, initialization: np.ndarray | None = None,
         start: float | None = None) -> tuple[np.ndarray, bool]:
    """Barnes-Hut t-SNE of ``x`` (n, d) into 2-D with openTSNE, on exact nearest neighbours.

    ``iterations`` counts both phases: the first third (at most 250) with early
    exaggeration, the rest without. ``progress`` receives an ``EmbedFrame`` for the
    initial layout, then every ``frame_every`` iterations; ``cancel`` stops the
    optimiser at the next frame. ``initialization`` (n, 2) replaces the PCA start
    (used to keep successive maps aligned).

    Returns ``(embedding (n, 2) float32, complete)``; ``complete`` is False when cancelled.
    """
    from openTSNE import TSNE, affinity, initialization as init_schemes
    from openTSNE.nearest_neighbors import PrecomputedNeighbors
    from openTSNE.tsne import OptimizationInterrupt

    x = np.ascontiguousarray(np.asarray(x, dtype=np.float64).reshape(len(x), -1))
    n = len(x)
    if n < 4:
        raise ValueError("t-SNE needs at least 4 points.")
    # openTSNE refuses a perplexity above (n - 1) / 3; lower it rather than fail on small sets.
    perplexity = float(min(perplexity, max((n - 1) / 3 - 1e-6, 1.0)))
    iterations = max(int(iterations), 2)
    exaggeration_iters = min(250, iterations // 3)
    start = time.perf_counter() if start is None else start
    n_jobs = n_jobs or default_jobs()

    if initialization is None:
        init = init_schemes.pca(x, 2, random_state=seed)
    else:
        init = init_schemes.rescale(np.asarray(initialization, dtype=np.float64))
    if progress is not None:
        progress(EmbedFrame(0, iterations, init.astype(np.float32), time.perf_counter() - start))
    if cancel is not None and cancel.is_set():
        return init.astype(np.float32), False

    done = {"offset": 0, "phase": "exaggeration"}

    def callback(iteration: int, error: float, embedding: np.ndarray) -> bool:
        if progress is not None:
            progress(EmbedFrame(done["offset"] + iteration, iterations, np.array(embedding, dtype=np.float32),
                                time.perf_counter() - start, float(error), done["phase"]))
        return bool(cancel is not None and cancel.is_set())

    # k = 3 perplexity neighbours, as openTSNE would take; the affinities are then openTSNE's own.
    neighbours, distances = nearest_neighbours(x, min(n - 1, int(3 * perplexity)))
    affinities = affinity.PerplexityBasedNN(knn_index=PrecomputedNeighbors(neighbours, distances),
                                            perplexity=perplexity, n_jobs=n_jobs)
    model = TSNE(n_components=2, negative_gradient_method="bh", n_jobs=n_jobs, random_state=seed,
                 callbacks=callback if (progress or cancel) else None,
                 callbacks_every_iters=max(int(frame_every), 1), verbose=False)
    embedding = model.prepare_initial(affinities=affinities, initialization=init)
    if cancel is not None and cancel.is_set():
        return init.astype(np.float32), False
    complete = True
    try:
        if exaggeration_iters:
            embedding.optimize(exaggeration_iters, exaggeration=12, momentum=0.5, inplace=True,
                               propagate_exception=True)
        done.update(offset=exaggeration_iters, phase="refinement")
        embedding.optimize(iterations - exaggeration_iters, momentum=0.8, inplace=True,
                           propagate_exception=True)
    except OptimizationInterrupt as stop:
        embedding, complete = stop.final_embedding, False
    result = np.asarray(embedding, dtype=np.float32)
    if progress is not None:
        progress(EmbedFrame(iterations if complete else done["offset"], iterations, result,
                            time.perf_counter() - start, None, "done"))
    return result, complete


@_one_blas_thread
def pca_2d(x: np.ndarray) -> np.ndarray:
    """The first two principal components of ``x`` (n, d), as (n, 2) float32."""
    return _principal_components(x, 2).astype(np.float32)


def _principal_components(x: np.ndarray, dims: int) -> np.ndarray:
    """Coordinates of ``x`` along its first ``dims`` principal axes (aecore.pca's PCA, float64)."""
    x = flatten(x).astype(np.float64)
    return fit_pca(x, dims).transform(x)


@_one_blas_thread
def reduce_for_tsne(x: np.ndarray, dims: int = 50) -> np.ndarray:
    """PCA to ``dims`` dimensions before t-SNE of raw pixels (standard practice; it speeds the
    neighbour search and removes pixel noise). Inputs with few dimensions pass through."""
    x = flatten(x).astype(np.float64)
    if x.shape[1] <= dims or len(x) <= dims:
        return x
    return _principal_components(x, dims)


# --- quality ---------------------------------------------------------------------------------------------

def _squared_distances(block: np.ndarray, x: np.ndarray, x_sq: np.ndarray) -> np.ndarray:
    d = (block * block).sum(axis=1)[:, None] - 2.0 * block @ x.T + x_sq[None, :]
    return np.maximum(d, 0.0)


def trustworthiness(x: np.ndarray, embedding: np.ndarray, k: int = QUALITY_K, block: int = 256) -> float:
    """Trustworthiness of ``embedding`` towards ``x`` (Venna & Kaski), as in scikit-learn.

    ``1 - 2 / (n k (2n - 3k - 1)) * sum_i sum_{j in N_k(i) on the map} max(0, r(i, j) - k)``
    where ``r(i, j)`` is the rank of ``j`` among ``i``'s neighbours in ``x``. Hand-written, not
    ``sklearn.manifold.trustworthiness``: scikit-learn's holds the n×n distances and their argsort at once
    (5,000 points: 400 MB); this goes in blocks of rows, a few MB.
    """
    return trustworthiness_each(x, [embedding], k, block)[0]


@_one_blas_thread
def trustworthiness_each(x: np.ndarray, embeddings: Sequence[np.ndarray], k: int = QUALITY_K,
                         block: int = 256) -> list[float]:
    """``trustworthiness`` of several maps of the same ``x`` in one pass over its distances: the n×n
    distance products are the cost (2,000 images of 784 pixels: 5.4 s at load 11 against 0.08 s for
    everything else), so the pixel maps share them."""
    from sklearn.neighbors import NearestNeighbors

    x = np.asarray(x, dtype=np.float64).reshape(len(x), -1)
    n = len(x)
    if not 0 < k < n / 2:
        raise ValueError(f"k must be between 1 and {n / 2 - 1:.0f} for {n} points.")
    neighbours = [NearestNeighbors(n_neighbors=k + 1).fit(np.asarray(e, dtype=np.float64))
                  .kneighbors(return_distance=False)[:, :k] for e in embeddings]
    x_sq = (x * x).sum(axis=1)
    penalties = [0.0] * len(neighbours)
    for lo in range(0, n, block):
        hi = min(lo + block, n)
        d = _squared_distances(x[lo:hi], x, x_sq)
        d[np.arange(hi - lo), np.arange(lo, hi)] = -1.0  # self is nearest of all, never counted as a rival
        for m, near in enumerate(neighbours):
            d_neigh = np.take_along_axis(d, near[lo:hi], axis=1)  # (b, k)
            # rank (1 = nearest, self excluded) = how many other points are strictly closer, plus one
            ranks = (d[:, None, :] < d_neigh[:, :, None]).sum(axis=2)  # counts self (-1 < d) => already +1
            penalties[m] += np.maximum(ranks - k, 0).sum()
    return [float(1.0 - p * 2.0 / (n * k * (2.0 * n - 3.0 * k - 1.0))) for p in penalties]


@_one_blas_thread
def knn_accuracy(embedding: np.ndarray, labels: np.ndarray, k: int = QUALITY_K, folds: int = 5,
                 seed: int = 0) -> float:
    """Mean accuracy over ``folds`` stratified folds of a ``k``-nearest-neighbour classifier on
    the map (uniform vote; ties go to the smaller label, as in scikit-learn)."""
    from sklearn.model_selection import StratifiedKFold
    from sklearn.neighbors import NearestNeighbors

    embedding = np.asarray(embedding, dtype=np.float64).reshape(len(embedding), -1)
    labels = np.asarray(labels)
    classes, y = np.unique(labels, return_inverse=True)
    smallest_class = np.bincount(y).min()
    folds = int(min(folds, smallest_class)) if smallest_class >= 2 else 2
    scores = []
    for train, test in StratifiedKFold(folds, shuffle=True, random_state=seed).split(embedding, y):
        kk = min(k, len(train))
        neigh = NearestNeighbors(n_neighbors=kk).fit(embedding[train]).kneighbors(
            embedding[test], return_distance=False)
        votes = np.zeros((len(test), len(classes)), dtype=np.int64)
        np.add.at(votes, (np.repeat(np.arange(len(test)), kk), y[train][neigh].ravel()), 1)
        scores.append(float((votes.argmax(axis=1) == y[test]).mean()))
    return float(np.mean(scores))


# --- codes and walks -------------------------------------------------------------------------------------

def as_code_matrix(codes) -> np.ndarray:
    """Encoder output as (n, code_size): flattened; for encoders with several outputs (a VAE's
    mean, log-variance, sample) the first one, the mean."""
    if isinstance(codes, (list, tuple)):
        codes = codes[0]
    codes = np.asarray(codes)
    return codes.reshape(len(codes), -1).astype(np.float32)


def interpolate_codes(code_a: np.ndarray, code_b: np.ndarray, steps: int = 10) -> np.ndarray:
    """``steps`` codes evenly spaced on the straight line from ``code_a`` to ``code_b`` (both included)."""
    code_a = np.asarray(code_a, dtype=np.float32).ravel()
    code_b = np.asarray(code_b, dtype=np.float32).ravel()
    if code_a.shape != code_b.shape:
        raise ValueError("Both codes must have the same size.")
    t = np.linspace(0.0, 1.0, max(int(steps), 2), dtype=np.float32)[:, None]
    return (1.0 - t) * code_a[None, :] + t * code_b[None, :]


def walk(encode: Callable[[np.ndarray], object], decode: Callable[[np.ndarray], np.ndarray],
         x_a: np.ndarray, x_b: np.ndarray, steps: int = 10) -> tuple[np.ndarray, np.ndarray]:
    """Decoded images along the straight line between the codes of samples ``x_a`` and ``x_b``.

    Returns (codes (steps, code_size), decoded (steps, ...)); the first and last decoded
    images are the reconstructions of ``x_a`` and ``x_b``.
    """
    codes = as_code_matrix(encode(np.stack([x_a, x_b])))
    line = interpolate_codes(codes[0], codes[1], steps)
    return line, np.asarray(decode(line))


def class_prototypes(codes: np.ndarray, labels: np.ndarray) -> dict[int, int]:
    """For each class, the index of its most typical point: the one whose code is nearest the class's
    mean code."""
    out = {}
    for label in np.unique(labels):
        members = np.flatnonzero(labels == label)
        centre = codes[members].mean(axis=0)
        out[int(label)] = int(members[np.argmin(((codes[members] - centre) ** 2).sum(axis=1))])
    return out


# --- background jobs -------------------------------------------------------------------------------------

def map_codes(codes: np.ndarray, x: np.ndarray, labels: np.ndarray, perplexity: float, iterations: int,
              seed: int, report: Callable[[EmbedFrame], None], cancel: threading.Event, n_jobs: int | None = None,
              start: float | None = None) -> LatentMap:
    """The map of ``codes`` (n, code_size) of the images ``x``: t-SNE, or the codes themselves when there
    are one or two numbers, then the quality figures. Intermediate ``EmbedFrame``s go to ``report``."""
    start = time.perf_counter() if start is None else start
    codes = as_code_matrix(codes)
    if codes.shape[1] == 2:
        embedding, complete, method = codes.copy(), True, "codes (2-D)"
        report(EmbedFrame(1, 1, embedding, time.perf_counter() - start, None, "done"))
    elif codes.shape[1] == 1:
        embedding = np.column_stack([codes[:, 0], np.zeros(len(codes), np.float32)])
        complete, method = True, "codes (1-D)"
        report(EmbedFrame(1, 1, embedding, time.perf_counter() - start, None, "done"))
    else:
        embedding, complete = tsne(codes, perplexity, iterations, seed, progress=report, cancel=cancel,
                                   n_jobs=n_jobs, start=start)
        method = "t-SNE of the codes"
    out = LatentMap(method, embedding, labels, time.perf_counter() - start, complete, codes=codes)
    if complete and len(x) > 2 * QUALITY_K + 2:
        out.trust = trustworthiness(codes, embedding)
        out.trust_pixels = trustworthiness(x, embedding)
        out.knn = knn_accuracy(embedding, labels, seed=seed)
    return out


MAP_KINDS = ("codes", "pixels", "snapshots")


def draw_map(kind: str, arguments: dict, report: Callable, cancel: threading.Event):
    """Draw a map here: ``kind`` "codes" runs ``map_codes(**arguments)``, "pixels"
    ``pixel_maps_job(**arguments)`` and "snapshots" ``snapshot_maps_job(**arguments)`` (what a Dask worker
    runs for ``map_on_cluster``)."""
    if kind == "codes":
        return map_codes(**arguments, report=report, cancel=cancel)
    job = {"pixels": pixel_maps_job, "snapshots": snapshot_maps_job}[kind]
    return job(**arguments)(report, cancel)


def snapshot_count(done: int, total: int, item: tuple[int, np.ndarray, float]) -> Count:
    """Progress of the maps over training: ``done`` of ``total`` epochs mapped, the last one ``item``
    = (epoch, embedding, knn)."""
    return Count(done, total, f"Mapped the codes of {done} of {total} epochs", partial=item)


def map_event(item) -> dict:
    """An ``EmbedFrame`` or the progress of the maps over training (``snapshot_count``) as a Dask event (the
    embedding as raw float32 bytes: a 5,000-point frame is 40 kB, five times less than a list)."""
    if isinstance(item, EmbedFrame):
        fields = {"kind": "frame", "iteration": int(item.iteration), "iterations": int(item.iterations),
                  "elapsed": float(item.elapsed), "phase": item.phase,
                  "kl": None if item.kl_divergence is None else float(item.kl_divergence)}
        embedding = item.embedding
    else:
        epoch, embedding, knn = item.partial
        fields = {"kind": "snapshot", "epoch": int(epoch), "knn": float(knn), "done": item.done,
                  "total": item.total}
    embedding = np.ascontiguousarray(embedding, dtype=np.float32)
    return {**fields, "shape": list(embedding.shape), "data": embedding.tobytes()}


def map_report(item: dict):
    """What ``map_event`` sent, back as the ``EmbedFrame`` or ``snapshot_count`` it was."""
    embedding = np.frombuffer(item["data"], dtype=np.float32).reshape(item["shape"]).copy()
    if item["kind"] == "snapshot":
        return snapshot_count(item["done"], item["total"], (item["epoch"], embedding, item["knn"]))
    return EmbedFrame(item["iteration"], item["iterations"], embedding, item["elapsed"], item["kl"], item["phase"])


def map_on_cluster(key: str, kind: str, arguments: dict, report: Callable, cancel: threading.Event,
                   address: str | None = None, client=None):
    """Draw a map (see ``draw_map``) on the Dask cluster under the key ``key``, relaying its frames to
    ``report`` and ``cancel`` to the worker. Blocks until it ends; returns the map(s), or None when stopped
    before the worker began. Raises what the job raised and ``RuntimeError`` with a clear message when the
    scheduler cannot be reached or the workers died."""
    import functools

    from aecore import distributed

    if kind not in MAP_KINDS:
        raise ValueError(f"Unknown kind of map {kind!r}: one of {', '.join(MAP_KINDS)}.")
    return distributed.run_remote(
        key, functools.partial(draw_map, kind), arguments, map_event, map_report, report, cancel,
        lambda attempts: distributed.killed_message(attempts, "drawing this map", "Press Try again", "fewer points"),
        address=address, client=client)


def _on_cluster(cluster_key: str | None) -> bool:
    """Whether a map job given ``cluster_key`` runs on the Dask cluster ($AELAB_DASK_SCHEDULER set)."""
    from aecore import distributed

    return cluster_key is not None and distributed.enabled()


def _elsewhere(run, cluster_key: str | None):
    run.runs_elsewhere = _on_cluster(cluster_key)  # the queue relays it without taking a local slot
    return run


def code_map_job(result, x: np.ndarray, labels: np.ndarray, perplexity: float, iterations: int, seed: int,
                 n_jobs: int | None = None, *, cluster_key: str | None = None):
    """A job function ``fn(report, cancel) -> LatentMap``: encode ``x`` with the trained model, map the
    codes to 2-D (``map_codes``), then the reconstructions for the click view. Intermediate
    ``EmbedFrame``s go to ``report``.

    With ``cluster_key`` (the job's key; never for an upload) and ``$AELAB_DASK_SCHEDULER`` set, the map is
    drawn on a Dask worker under that key (``map_on_cluster``): the codes are computed here,
    where the model is. Without either, everything runs in this process."""

    def run(report, cancel) -> LatentMap | None:
        start = time.perf_counter()
        codes = as_code_matrix(result.encode(x))
        if not np.isfinite(codes).all():
            raise ValueError("The model's codes contain NaN or infinite values: train it again with a lower "
                             "learning rate.")
        if _on_cluster(cluster_key):
            out = map_on_cluster(cluster_key, "codes", dict(
                codes=codes, x=x, labels=labels, perplexity=perplexity, iterations=iterations, seed=seed,
                n_jobs=n_jobs), report, cancel)
            if out is None:  # stopped before a worker began
                return None
        else:
            out = map_codes(codes, x, labels, perplexity, iterations, seed, report, cancel, n_jobs, start)
        # kept as 8-bit grey levels: 4x smaller in memory, and plenty for showing one image
        out.reconstructions = (np.clip(np.asarray(result.reconstruct(x)), 0, 1) * 255).round().astype(np.uint8)
        return out

    return _elsewhere(run, cluster_key)


def pixel_maps_job(x: np.ndarray, labels: np.ndarray, perplexity: float, iterations: int, seed: int,
                   n_jobs: int | None = None, *, cluster_key: str | None = None):
    """A job function ``fn(report, cancel) -> dict``: t-SNE of the raw pixels (after PCA to 50
    dimensions) and PCA-2 of the pixels, each a ``LatentMap`` with its quality figures. ``cluster_key``:
    as for ``code_map_job``."""

    def run(report, cancel) -> dict[str, LatentMap] | None:
        if _on_cluster(cluster_key):
            return map_on_cluster(cluster_key, "pixels", dict(
                x=x, labels=labels, perplexity=perplexity, iterations=iterations, seed=seed, n_jobs=n_jobs),
                report, cancel)
        start = time.perf_counter()
        pca = pca_2d(x)
        pca_map = LatentMap("PCA-2 of the pixels", pca, labels, time.perf_counter() - start)
        start = time.perf_counter()
        embedding, complete = tsne(reduce_for_tsne(x), perplexity, iterations, seed, progress=report,
                                   cancel=cancel, n_jobs=n_jobs, start=start)
        tsne_map = LatentMap("t-SNE of the pixels", embedding, labels, time.perf_counter() - start, complete)
        if len(x) > 2 * QUALITY_K + 2:
            done = [m for m in (pca_map, tsne_map) if m.complete]
            for m, trust in zip(done, trustworthiness_each(x, [m.embedding for m in done])):
                m.trust = m.trust_pixels = trust
                m.knn = knn_accuracy(m.embedding, labels, seed=seed)
        return {"pixels": tsne_map, "pca": pca_map}

    return _elsewhere(run, cluster_key)


def snapshot_maps_job(snapshots: Sequence[tuple[int, np.ndarray]], labels: np.ndarray, perplexity: float,
                      iterations: int, seed: int, n_jobs: int | None = None, *, cluster_key: str | None = None):
    """A job function ``fn(report, cancel) -> list[(epoch, embedding, knn)]`` mapping the codes recorded
    at several epochs. Each map starts from the previous one, so clusters keep their place from one
    epoch to the next; each finished map is reported as ``(epoch, embedding, knn)``. ``cluster_key``:
    as for ``code_map_job``."""

    def run(report, cancel):
        if _on_cluster(cluster_key):
            return map_on_cluster(cluster_key, "snapshots", dict(
                snapshots=[(int(e), np.asarray(c)) for e, c in snapshots], labels=labels, perplexity=perplexity,
                iterations=iterations, seed=seed, n_jobs=n_jobs), report, cancel)
        out = []
        previous = None
        for epoch, codes in snapshots:
            if cancel.is_set():
                break
            codes = as_code_matrix(codes)
            y = np.asarray(labels[: len(codes)])
            if codes.shape[1] <= 2:
                embedding = codes if codes.shape[1] == 2 else np.column_stack([codes[:, 0], np.zeros(len(codes))])
                embedding = embedding.astype(np.float32)
            else:
                embedding, complete = tsne(codes, perplexity, iterations, seed, cancel=cancel, n_jobs=n_jobs,
                                           initialization=previous)
                if not complete:
                    break
                previous = embedding
            item = (int(epoch), embedding, knn_accuracy(embedding, y, seed=seed))
            out.append(item)
            report(snapshot_count(len(out), len(snapshots), item))
        return out

    return _elsewhere(run, cluster_key)
