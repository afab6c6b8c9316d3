"""t-SNE speed and quality: scikit-learn's TSNE (defaults) against the app's openTSNE Barnes-Hut, side by side.

Trains the default model on mnist-5k, encodes the first N images of the point pool (test images first),
then embeds the same codes with both implementations in one run and prints a markdown table:
seconds, the ratio, time to the first intermediate frame, trustworthiness (k = 10) towards the codes
and towards the pixels, and 5-fold kNN accuracy on the 2-D map. PCA-2 of the pixels and t-SNE of the
pixels are shown for contrast. The quality gate (kNN >= 0.90, trustworthiness >= 0.95 at 2,000 points)
is checked on openTSNE's map of the codes.

    .venv/bin/python benchmarks/tsne_speed.py            # 2,000 and 5,000 points
    .venv/bin/python benchmarks/tsne_speed.py --points 2000
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from aecore import embed  # noqa: E402  (sets OMP_WAIT_POLICY before openTSNE loads)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--points", type=int, nargs="+", default=[2000, 5000])
    parser.add_argument("--perplexity", type=float, default=embed.DEFAULT_PERPLEXITY)
    parser.add_argument("--iterations", type=int, default=embed.DEFAULT_ITERATIONS)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--no-pixels", action="store_true", help="skip t-SNE of the raw pixels")
    args = parser.parse_args()

    import numpy as np
    import sklearn
    from sklearn.manifold import TSNE as SklearnTSNE
    from threadpoolctl import threadpool_limits

    import openTSNE
    from aecore.config import Experiment
    from aecore.data import load_dataset
    from aecore.train import train_autoencoder

    experiment = Experiment()
    dataset = load_dataset(experiment.data)
    t0 = time.perf_counter()
    result = train_autoencoder(experiment, dataset)
    print(f"default model ({experiment.model.kind}, code size {experiment.model.code_size}) trained on "
          f"{experiment.data.name} in {time.perf_counter() - t0:.1f} s: {result.epochs_run} epochs, "
          f"test MSE {result.test_mse:.4f}")
    load = os.getloadavg()
    print(f"cores {os.cpu_count()}, load average {load[0]:.1f} / {load[1]:.1f} / {load[2]:.1f}; "
          f"scikit-learn {sklearn.__version__}, openTSNE {openTSNE.__version__} (Barnes-Hut, "
          f"n_jobs={embed.default_jobs()}, {args.iterations} iterations), perplexity {args.perplexity:g}\n")

    rows = []
    gate = []
    for n in args.points:
        x, labels, _, _ = embed.point_pool(dataset, n)
        codes = embed.as_code_matrix(result.encode(x))

        def scores(embedding, reference):
            return (embed.trustworthiness(reference, embedding), embed.trustworthiness(x, embedding),
                    embed.knn_accuracy(embedding, labels, seed=args.seed))

        start = time.perf_counter()
        with threadpool_limits(limits=1, user_api="blas"):  # the same environment as embed.tsne
            sk = SklearnTSNE(n_components=2, perplexity=args.perplexity,
                             random_state=args.seed).fit_transform(codes)
        sk_seconds = time.perf_counter() - start

        frames = []
        start = time.perf_counter()
        ours, _ = embed.tsne(codes, args.perplexity, args.iterations, args.seed, progress=frames.append)
        ours_seconds = time.perf_counter() - start
        first_frame = frames[0].elapsed
        first_optimised = next(f.elapsed for f in frames if f.iteration > 0)

        start = time.perf_counter()
        pca = embed.pca_2d(x)
        pca_seconds = time.perf_counter() - start

        sk_scores, ours_scores, pca_scores = scores(sk, codes), scores(ours, codes), scores(pca, x)
        rows.append((n, "codes", "scikit-learn TSNE (defaults)", sk_seconds, None, None, *sk_scores))
        rows.append((n, "codes", "openTSNE BH (the app)", ours_seconds, first_frame, first_optimised, *ours_scores))
        if not args.no_pixels and n == min(args.points):  # t-SNE of 784 pixels: the slowest row, once
            start = time.perf_counter()
            pix, _ = embed.tsne(embed.reduce_for_tsne(x), args.perplexity, args.iterations, args.seed)
            pix_seconds = time.perf_counter() - start
            rows.append((n, "pixels (PCA-50)", "openTSNE BH (the app)", pix_seconds, None, None, *scores(pix, x)))
        rows.append((n, "pixels", "PCA-2", pca_seconds, None, None, pca_scores[1], pca_scores[1], pca_scores[2]))
        print(f"{n:,} points: scikit-learn {sk_seconds:.1f} s, openTSNE {ours_seconds:.1f} s, "
              f"ratio {sk_seconds / ours_seconds:.1f}x", flush=True)
        if n == 2000:
            gate.append(ours_scores)
        rows.append((n, f"codes ({codes.shape[1]}-D)", "reference: no map, kNN in the code space", None, None,
                     None, None, None, embed.knn_accuracy(codes, labels, seed=args.seed)))

    print()
    print("| points | input | method | seconds | first frame (s) | first optimised frame (s) | "
          "trustworthiness to input | trustworthiness to pixels | kNN accuracy (5-fold) |")
    print("|---:|---|---|---:|---:|---:|---:|---:|---:|")
    fmt = lambda v, spec: "" if v is None else format(v, spec)  # noqa: E731
    for n, source, method, seconds, first, first_opt, trust, trust_px, knn in rows:
        print(f"| {n:,} | {source} | {method} | {fmt(seconds, '.1f')} | {fmt(first, '.2f')} | "
              f"{fmt(first_opt, '.2f')} | {fmt(trust, '.3f')} | {fmt(trust_px, '.3f')} | {knn:.3f} |")
    print()
    by_n = {}
    for n, source, method, seconds, *_ in rows:
        by_n.setdefault(n, {})[(source, method)] = seconds
    for n, times in by_n.items():
        sk_s = times[("codes", "scikit-learn TSNE (defaults)")]
        ours_s = times[("codes", "openTSNE BH (the app)")]
        print(f"{n:,} points: openTSNE is {sk_s / ours_s:.1f}x faster than scikit-learn ({ours_s:.1f} s vs {sk_s:.1f} s)")
    for trust, _, knn in gate:
        verdict = "PASS" if knn >= 0.90 and trust >= 0.95 else "FAIL"
        print(f"quality gate at 2,000 points (kNN >= 0.90, trustworthiness >= 0.95): kNN {knn:.3f}, "
              f"trustworthiness {trust:.3f} -> {verdict}")


if __name__ == "__main__":
    main()
