"""Feature extraction: how well a linear classifier reads the digit from raw pixels, PCA codes or an
autoencoder's codes, with few or many labels (scikit-learn's logistic regression)."""

from __future__ import annotations

from typing import Callable

import numpy as np

from aecore.data import Dataset
from aecore.pca import PCABaseline
from aecore.progress import Count


def logistic_accuracy(train_x: np.ndarray, train_y: np.ndarray, test_x: np.ndarray, test_y: np.ndarray,
                      seed: int = 0) -> float:
    """Test accuracy of a standardised multinomial logistic regression."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    clf = make_pipeline(StandardScaler(), LogisticRegression(max_iter=300, C=0.5, random_state=seed))
    clf.fit(train_x.reshape(len(train_x), -1), train_y)
    return float(clf.score(test_x.reshape(len(test_x), -1), test_y))


def label_subset(y: np.ndarray, n: int | None, seed: int = 0) -> np.ndarray:
    """Indices of ``n`` labelled training samples, stratified by class (all of them for ``None``)."""
    if n is None or n >= len(y):
        return np.arange(len(y))
    from sklearn.model_selection import train_test_split

    idx, _ = train_test_split(np.arange(len(y)), train_size=n, stratify=y, random_state=seed)
    return np.sort(idx)


def feature_accuracy_table(features: dict[str, tuple[np.ndarray, np.ndarray]], y_train: np.ndarray,
                           y_test: np.ndarray, label_counts: tuple[int | None, ...] = (100, 1000, None),
                           seed: int = 0, report: Callable | None = None) -> list[dict]:
    """Test accuracy of logistic regression on each feature set with each number of labels.

    ``features``: name → (train features, test features). Returns one row per (features, labels):
    {"features", "dimensions", "labels", "accuracy"}.
    """
    rows = []
    for count in label_counts:
        idx = label_subset(y_train, count, seed)
        for name, (train_f, test_f) in features.items():
            acc = logistic_accuracy(train_f[idx], y_train[idx], test_f, y_test, seed)
            rows.append({"features": name, "dimensions": int(np.prod(train_f.shape[1:])),
                         "labels": len(idx), "accuracy": acc})
            if report is not None:
                total = len(label_counts) * len(features)
                report(Count(len(rows), total, f"Fitted {len(rows)} of {total} classifiers: {name} with "
                                               f"{len(idx):,} labels", partial=rows[-1]))
    return rows


def pca_codes(x_train: np.ndarray, x_test: np.ndarray, k: int):
    """PCA with ``k`` components fitted on ``x_train``: (train codes, test codes, fitted PCA)."""
    pca = PCABaseline(k).fit(x_train)
    return pca.transform(x_train), pca.transform(x_test), pca


def feature_extraction(result, dataset: Dataset, label_counts: tuple[int | None, ...] = (100, 1000, None),
                       seed: int = 0, report: Callable | None = None) -> list[dict]:
    """Accuracy table: raw pixels, PCA codes of the code's size and the autoencoder's codes."""
    codes_train = result.encode(dataset.x_train).reshape(len(dataset.x_train), -1)
    codes_test = result.encode(dataset.x_test).reshape(len(dataset.x_test), -1)
    k = codes_train.shape[1]
    pca_train, pca_test, _ = pca_codes(dataset.x_train, dataset.x_test, k)
    features = {"raw pixels": (dataset.flat(dataset.x_train), dataset.flat(dataset.x_test)),
                f"PCA ({pca_train.shape[1]} numbers)": (pca_train, pca_test),
                f"autoencoder code ({k} numbers)": (codes_train, codes_test)}
    return feature_accuracy_table(features, dataset.y_train, dataset.y_test, label_counts, seed, report)
