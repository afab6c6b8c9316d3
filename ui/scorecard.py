"""The scorecard next to a result: the closest published reference, how this run compares, and its source."""

from __future__ import annotations

import streamlit as st

from aecore import scorecard as S
from ui import state


def show(result=None, pca: tuple | None = None) -> None:
    """Show the closest applicable reference for ``result`` (a trained model), or for PCA when ``pca`` is
    (k, test MSE, dataset); nothing at all where no reference applies."""
    if result is None and pca is None:
        return
    try:
        data = result.experiment.data if result is not None else None
        if pca is not None:
            k, test_mse, dataset = pca
            name = dataset.name if data is None else data.name
            if name not in S.MNIST_SETS or (data is not None and data.upload_id):
                return
            c95 = state.memo("scorecard", ("c95", name, dataset.n_train),
                             lambda: S.components_for_variance(dataset.x_train), max_entries=4)
            run = S.pca_run(name, k, test_mse, dataset.n_train, c95)
        else:
            if data.name not in S.MNIST_SETS or data.upload_id:
                return
            dataset = state.get_dataset(data)
            run = state.memo("scorecard", ("run", state.model_id(result)),
                             lambda: S.run_from_result(result, dataset.x_test, dataset.n_train), max_entries=8)
    except Exception:  # a scorecard must never break the page it sits on
        return
    found = S.compare_all(run)
    if not found:
        return
    with st.container(border=True, key=f"scorecard_{'pca' if pca is not None else 'model'}"):
        for c in (found[:1] if pca is None else found):
            link = f" [{c.reference.source}]({c.reference.url})" if c.reference.url else f" {c.reference.source}."
            st.markdown(f"**Scorecard** · {c.sentence} *Source:*{link}")
        if pca is None and len(found) > 1:
            with st.expander("Other references that apply"):
                for c in found[1:]:
                    st.markdown(f"{c.sentence} *Source:* {c.reference.source}")
