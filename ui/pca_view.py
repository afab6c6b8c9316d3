"""What the PCA-versus-autoencoder page draws: PCA against the session's autoencoder at the same code size,
a sweep of code sizes, a linear autoencoder, 3-D manifolds, what each learns, 2-D codes, every layer's output
and transfer. Its extra models train in the background through ui.job_panel (cached by their keys)."""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
import streamlit as st

from aecore import figures, inspect_model, manifolds, metrics, pca_baseline, sweeps, trained, transfer
from aecore.data import DATASETS, Dataset
from aecore.figures import pca as pca_figures
from aecore.pca import PCA_MAX_COMPONENTS
from ui import job_panel, scorecard, shared, state, training


class Comparison(NamedTuple):
    """The session's trained model, its data and the PCA fitted on them: what every section reads."""

    result: object
    dataset: Dataset
    experiment: object
    owner: str | None  # the session, for a model trained on its upload (kept private), else None
    pca: object
    data_key: str  # names the PCA fit (see fitted_pca)
    model_key: tuple  # state.model_id(result)
    k: int  # the autoencoder's code size
    k_pca: int  # PCA's components at that size (at most what the data allows)


def comparison(result, dataset: Dataset) -> Comparison:
    experiment = result.experiment
    pca = fitted_pca(experiment, dataset)
    k = experiment.model.code_size
    return Comparison(result, dataset, experiment, state.session_id() if experiment.data.upload_id else None, pca,
                      experiment.data.key(), state.model_id(result), k, min(k, pca.n_components_))


def fitted_pca(experiment, dataset: Dataset):
    """PCA of the training split: shared for registered data sets, kept in the session for uploads."""
    if not experiment.data.upload_id:
        return pca_baseline.fitted_pca(experiment.data, dataset)
    cache = st.session_state.setdefault("pca_upload_fits", {})
    key = experiment.data.key()
    if key not in cache:
        cache[key] = pca_baseline.fitted_pca(experiment.data, dataset)
    return cache[key]


def watch(job_list: list, key: str) -> None:
    """Progress of background jobs (one bar, a Stop for all); the page redraws once they have all ended."""
    job_panel.job_panel(lambda: job_list, f"pca_{key}", prefix=lambda job: f"{job.label}: ",
                        texts=job_panel.Texts(starting="starting…"))


def submit_model(c: Comparison, model_experiment, label: str):
    """Queue one autoencoder (loaded from the disk cache when it was trained before)."""
    quick = trained.load_job(model_experiment) if trained.on_disk(model_experiment, c.owner) else None
    return job_panel.submit(model_experiment.key(), sweeps.train_job(model_experiment, c.dataset), label=label,
                            owner=c.owner, quick=quick, estimate=training.estimate_seconds(model_experiment, c.dataset))


def failed_message(job) -> None:
    if job_panel.failed(job):
        st.error(f"{job.label}: {job.error} Change the settings in the sidebar and train again.")


def memo(c: Comparison, key: tuple, compute):
    """What the page derives from the PCA fit or the model (never training): once per server for built-in
    data, once per session for an upload."""
    return shared.derive("pca_vs_ae", key, compute, data=c.experiment.data, max_entries=128)


def pca_curve(c: Comparison, max_components: int | None = None) -> pca_baseline.PCACurve:
    pca, dataset = c.pca, c.dataset
    k_max = min(max_components or pca.n_components_, pca.n_components_)
    return memo(c, ("curve", c.data_key, k_max), lambda: pca_baseline.pca_curve(pca, dataset, k_max))


def published_check(c: Comparison) -> None:
    """PCA on full MNIST against published figures (or where to find them)."""
    result, dataset, experiment, owner, pca, data_key, model_key, k, k_pca = c
    if experiment.data.name == "mnist":
        curve = pca_curve(c)
        rows = pca_baseline.published_check(curve)
        if rows:
            st.markdown("PCA on the full MNIST set against published figures (test MSE):\n\n"
                        "| k | here | published | ratio |\n|---|---|---|---|\n" + "\n".join(
                            f"| {kk} | {ours:.4f} | {pub:.4f} | {ratio:.3f} {'✓' if ok else '✗ (more than 5 % off)'} |"
                            for kk, ours, pub, ratio, ok in rows))
    else:
        st.caption("Published PCA figures for the full MNIST set (60,000 train / 10,000 test images) are test MSE "
                   + " / ".join(f"{v:.4f}" for v in pca_baseline.PUBLISHED_MNIST_PCA_TEST_MSE.values()) + " at k = "
                   + " / ".join(map(str, pca_baseline.PUBLISHED_MNIST_PCA_TEST_MSE)) + f". The figures here are from "
                   f"{experiment.data.name}, not full MNIST; pick 'MNIST 70k' in the sidebar to check them.")


def same_code_size(c: Comparison) -> None:
    """Section 1: PCA-k against the autoencoder-k, its scorecard, and test images side by side."""
    result, dataset, experiment, owner, pca, data_key, model_key, k, k_pca = c
    if k_pca < k:
        st.info(f"PCA can keep at most {pca.n_components_} components of this data, so it is shown with {k_pca}.")
    pca_per_image = memo(c, ("test_errors", data_key, k_pca), lambda: pca_baseline.pca_test_errors(pca, dataset, k_pca))
    pca_test_mse, ae_test_mse = float(pca_per_image.mean()), float(result.test_mse)
    cols = st.columns(5)
    cols[0].metric(f"PCA-{k_pca} test MSE", f"{pca_test_mse:.4f}")
    cols[1].metric(f"PCA-{k_pca} test PSNR", f"{metrics.psnr_from_mse(pca_test_mse):.1f} dB")
    cols[2].metric(f"Autoencoder-{k} test MSE", f"{ae_test_mse:.4f}",
                   delta=f"{(ae_test_mse / pca_test_mse - 1) * 100:+.0f} % vs PCA", delta_color="inverse")
    cols[3].metric(f"Autoencoder-{k} test PSNR", f"{result.test_psnr:.1f} dB")
    winner = "autoencoder" if ae_test_mse < pca_test_mse else "PCA"
    cols[4].metric("Winner (lower test MSE)", winner)
    scorecard.show(result, pca=(k_pca, pca_test_mse, dataset))
    if winner == "PCA":
        st.warning(f"PCA wins here: with k = {k} and {dataset.n_train:,} training images, the linear method "
                   "reconstructs held-out images better. Autoencoders win with small codes and enough data; see the "
                   "sweep below for where the lines cross.")
    if dataset.is_image:
        images_section(c, pca_per_image)


def side_by_side(c: Comparison, pca_per_image, count: int, order: str):
    result, dataset, experiment, owner, pca, data_key, model_key, k, k_pca = c
    gain = pca_per_image - result.per_image_test_mse
    if order == "random":
        chosen = np.random.default_rng(0).choice(len(dataset.x_test), size=count, replace=False)
    else:
        chosen = np.argsort(gain)[::-1][:count] if order.startswith("where the auto") else np.argsort(gain)[:count]
    shape = dataset.sample_shape
    return pca_figures.side_by_side(
        figures.as_images(dataset.x_test[chosen], shape), figures.as_images(pca.reconstruct(dataset.x_test[chosen], k_pca), shape),
        figures.as_images(result.test_reconstruction[chosen], shape), k,
        pca_per_image[chosen], result.per_image_test_mse[chosen],
        labels=[f"label {dataset.class_names[dataset.y_test[i]]}" for i in chosen])


@st.fragment
def images_section(c: Comparison, pca_per_image) -> None:
    """Its controls rerun this part only (st.fragment), not the page."""
    model_key, k_pca = c.model_key, c.k_pca
    c1, c2 = st.columns([1, 3])
    count = c1.slider("Images", 4, 12, 8, key="pca_count")
    order = c2.radio("Which test images", ["random", "where the autoencoder wins most", "where PCA wins most"],
                     horizontal=True, key="pca_order")
    st.plotly_chart(memo(c, ("side_by_side", model_key, k_pca, count, order), lambda: side_by_side(c, pca_per_image, count, order)),
                    key="pca_side_by_side")


def sweep_section(c: Comparison) -> None:
    """Section 2: PCA for every k, one autoencoder per code size of the sweep (trained on request)."""
    result, dataset, experiment, owner, pca, data_key, model_key, k, k_pca = c
    curve = pca_curve(c, min(PCA_MAX_COMPONENTS, pca.n_components_))
    sweep = sweeps.sweep_experiments(experiment, dataset.input_dim)
    points, sweep_jobs, missing = [], [], []
    for sweep_experiment in sweep:
        point = sweeps.known_point(sweep_experiment)
        job = job_panel.find(sweep_experiment.key(), owner)
        if point is None and job_panel.done(job):
            point = sweeps.SweepPoint.from_result(job.result)
            sweeps.remember_point(sweep_experiment, point)
        if point is not None:
            points.append(point)
        elif job is not None and job.active:
            sweep_jobs.append(job)
        else:
            failed_message(job)
            missing.append(sweep_experiment)
    if missing and not sweep_jobs:
        sizes = ", ".join(str(e.model.code_size) for e in missing)
        if st.button(f"Train the sweep: {len(missing)} model(s), code sizes {sizes}", key="pca_sweep_start",
                     type="primary", help="Runs in the background; about 10 s per model on mnist-5k. Cached: "
                                          "the next visit is instant."):
            for sweep_experiment in missing:
                sweep_jobs.append(submit_model(c, sweep_experiment, f"sweep model, code size {sweep_experiment.model.code_size}"))
    watch(sweep_jobs, "sweep")
    points.sort(key=lambda p: p.code_size)
    st.plotly_chart(memo(c, ("sweep_chart", data_key, len(curve.code_sizes), k,
                          tuple((p.code_size, p.test_mse, p.train_mse) for p in points)),
                         lambda: pca_figures.error_vs_code_size(
        curve.code_sizes, curve.test_mse, curve.train_mse, [p.code_size for p in points],
        [p.test_mse for p in points], [p.train_mse for p in points], current_k=k,
        title="Reconstruction error against code size (lower is better)")), key="pca_sweep_chart")
    if points:
        table = ["| code size k | PCA test MSE | autoencoder test MSE | autoencoder train MSE | AE / PCA | epochs | seconds |",
                 "|---|---|---|---|---|---|---|"]
        pca_wins = []
        for p in points:
            pca_value = float(curve.test_mse[min(p.code_size, len(curve.test_mse)) - 1])
            table.append(f"| {p.code_size} | {pca_value:.4f} | {p.test_mse:.4f} | {p.train_mse:.4f} | "
                         f"{p.test_mse / pca_value:.2f} | {p.epochs_run} | {p.seconds:.1f} |")
            if pca_value <= p.test_mse:
                pca_wins.append(p.code_size)
        st.markdown("\n".join(table))
        trained = f"{len(points)} of {len(sweep)} sweep models trained"
        if len(points) < len(sweep):  # no verdict about code sizes that have not been measured yet
            if pca_wins:
                st.info(f"{trained}. So far PCA wins on the test images at k = {', '.join(map(str, pca_wins))}; "
                        "the other code sizes are not measured yet: train the rest of the sweep for the full picture.")
            else:
                which = "that one" if len(points) == 1 else f"all {len(points)}"
                st.info(f"{trained}: the autoencoder beats PCA at {which} so far. The other code sizes are not "
                        "measured yet: train the rest (large codes are where PCA can catch up).")
        elif pca_wins:
            st.info(f"Where PCA still wins on the test images: k = {', '.join(map(str, pca_wins))}. With large codes, "
                    f"PCA keeps almost everything with a linear step, while a network trained on {dataset.n_train:,} "
                    "images in a short budget does not; more data, more epochs or less over-fitting close the gap.")
        else:
            st.success(f"All {len(sweep)} sweep models trained: the autoencoder beats PCA on the test images at every "
                       "code size.")


@st.fragment
def linear_section(c: Comparison) -> None:
    """Section 3. The toggle, its code size and the comparison: moving them reruns this part only."""
    result, dataset, experiment, owner, pca, data_key, model_key, k, k_pca = c
    linear_sizes = tuple(s for s in (2, 4, 8, 16, 32) if s < min(dataset.input_dim, pca.n_components_ + 1))
    if st.toggle("Train a linear autoencoder and compare it with PCA", key="pca_linear"):
        default_k = inspect_model.LINEAR_CODE_SIZE
        linear_k = st.select_slider("Code size of the linear autoencoder", linear_sizes,
                                    value=default_k if default_k in linear_sizes else linear_sizes[-1],
                                    key="pca_linear_code_size")
        linear = inspect_model.linear_experiment(experiment.data, linear_k, seed=experiment.train.seed)
        job = submit_model(c, linear, f"linear autoencoder, code {linear_k}")
        watch([job], "linear")
        failed_message(job)
        if job_panel.done(job):
            comparison = inspect_model.compare_linear(job.result, pca, dataset)
            cols = st.columns(4)
            cols[0].metric("Linear autoencoder test MSE", f"{comparison.ae_test_mse:.4f}")
            cols[1].metric(f"PCA-{linear_k} test MSE", f"{comparison.pca_test_mse:.4f}")
            cols[2].metric("Ratio AE / PCA", f"{comparison.ratio:.3f}",
                           help="1.000 = the same error. Within 2 % (≤ 1.02) counts as reaching PCA.")
            cols[3].metric("Largest principal angle", f"{comparison.angles_degrees.max():.1f}°")
            st.plotly_chart(pca_figures.angle_bars(
                comparison.angles_degrees, title=f"Angles between the decoder's {linear_k} directions and PCA's"),
                key="pca_angles")
            st.caption(f"Trained for {comparison.epochs_run} epochs in {comparison.seconds:.1f} s (Adam, MSE, early "
                       "stopping). Small angles mean the same subspace; the last angles are the largest because PCA's "
                       "later components explain little variance, so the loss barely cares about them.")


@st.fragment
def manifold_section(c: Comparison) -> None:
    """Section 4. Shape and code size rerun this part only."""
    c1, c2 = st.columns(2)
    manifold = c1.selectbox("Shape", manifolds.MANIFOLDS, key="pca_manifold", format_func=lambda n: DATASETS[n].label)
    manifold_k = c2.radio("Code size (PCA components = autoencoder code)", (1, 2), index=0 if manifold == "circle" else 1,
                          horizontal=True, key="pca_manifold_code_size")
    manifold_key = manifolds.manifold_key(manifold, manifold_k)
    job = job_panel.find(manifold_key)
    demo = job.result if job_panel.done(job) else None
    if demo is None and (job is None or not job.active):
        demo = manifolds.manifold_cached(manifold, manifold_k)
    if demo is None:
        if job is None or not job.active:
            failed_message(job)
            if st.button(f"Fit PCA and train the autoencoder on the {manifold}", key="pca_manifold_start",
                         type="primary", help="300 short epochs in the background (30–60 s on 2 free cores); the result is kept for "
                                              "everyone."):
                job = job_panel.submit(manifold_key, manifolds.manifold_job(manifold, manifold_k),
                                       label=f"{manifold} autoencoder", estimate=30)
        if job is not None:
            watch([job], "manifold")
    if demo is not None:
        st.plotly_chart(memo(c, ("manifold", manifold_key, demo.seconds), lambda: pca_figures.manifold_3d(
            demo.points, demo.position, demo.pca_reconstruction, demo.ae_reconstruction, demo.code_size, demo.pca_mse,
            demo.ae_mse)), key="pca_manifold_chart")
        better = "autoencoder" if demo.ae_mse < demo.pca_mse else "PCA"
        st.caption(f"Grey: held-out test points. Coloured: their reconstructions, coloured by position along the "
                   f"shape. Test MSE: PCA {demo.pca_mse:.4f}, autoencoder {demo.ae_mse:.4f} ({better} wins; "
                   f"{demo.epochs_run} epochs, {demo.seconds:.1f} s). Drag to rotate.")
        if demo.ae_mse > 0.9 * demo.pca_mse:
            loop = " A closed loop cannot be laid onto one number without cutting it somewhere, " if \
                demo.name == "circle" and demo.code_size == 1 else " "
            st.info(f"Here the autoencoder did not get past PCA.{loop}Gradient descent starts near the linear "
                    "solution (PCA's) and did not find its way off it in this training budget: non-linearity makes "
                    "a better code possible, it does not guarantee that training finds it.")


def what_each_learns(c: Comparison) -> None:
    """Section 5: PCA's components and the autoencoder's first-layer weights, PCA's explained variance."""
    result, dataset, experiment, owner, pca, data_key, model_key, k, k_pca = c
    if dataset.is_image and len(dataset.sample_shape) == 2:
        c1, c2 = st.columns(2)
        n_show = min(16, pca.n_components_)
        with c1:
            st.plotly_chart(memo(c, ("components", data_key), lambda: pca_figures.weight_images(
                figures.as_images(pca.components_[:n_show], dataset.sample_shape), n_cols=4,
                titles=[f"PC {i + 1}" for i in range(n_show)], title="PCA's first components (eigen-images)")),
                key="pca_components")
        with c2:
            try:
                weights = inspect_model.first_layer_weights(result, 16)
            except ValueError as exc:
                st.info(str(exc))
            else:
                st.plotly_chart(memo(c, ("ae_weights", model_key), lambda: pca_figures.weight_images(
                    figures.as_images(weights, dataset.sample_shape), n_cols=4,
                    title="Autoencoder: input weights of 16 first-layer units")), key="pca_ae_weights")
        st.caption("Red: positive weight, blue: negative, each pattern scaled to its own largest value. PCA's components "
                   "are ordered by the variance they explain and are smooth. The autoencoder's units (the 16 with the largest "
                   "weights) are not ordered and need not be smooth: each mixes many parts of the digit, and together with "
                   "the non-linear layers after them they reconstruct better than the same number of components.")
    st.plotly_chart(memo(c, ("explained_variance", data_key, k_pca), lambda: pca_figures.explained_variance(
        pca.explained_variance_ratio_, k_pca, title="How much of the variation PCA keeps with k components")),
                    key="pca_explained_variance")


def codes_chart(dataset: Dataset, encode, x_title: str, y_title: str, title: str):
    codes, accuracy = inspect_model.codes_2d(encode, dataset)
    return pca_figures.code_scatter(codes, dataset.y_test, dataset.class_names, x_title, y_title,
                                    title=f"{title} · kNN accuracy {accuracy:.0%}")


def codes_section(c: Comparison) -> None:
    """Section 6: 2-number codes of PCA and of an autoencoder with a 2-number code (the sweep's)."""
    result, dataset, experiment, owner, pca, data_key, model_key, k, k_pca = c
    sweep = sweeps.sweep_experiments(experiment, dataset.input_dim)
    two = next((e for e in sweep if e.model.code_size == 2), None)
    ae2 = result if k == 2 else None
    job2 = None
    if ae2 is None and two is not None:
        job2 = job_panel.find(two.key(), owner)
        if job_panel.done(job2):
            ae2 = job2.result
    c1, c2 = st.columns(2)
    with c1:
        st.plotly_chart(memo(c, ("codes_pca", data_key), lambda: codes_chart(
            dataset, lambda x: pca.transform(x, 2), "principal component 1", "principal component 2",
            "PCA-2 codes of the test images")), key="pca_codes_pca")
    with c2:
        if ae2 is not None:
            st.plotly_chart(memo(c, ("codes_ae", state.model_id(ae2)), lambda: codes_chart(
                dataset, ae2.encode, "code number 1", "code number 2", "Autoencoder-2 codes")), key="pca_codes_ae")
        elif two is not None:
            if job2 is not None and job2.active:
                watch([job2], "two")
            else:
                failed_message(job2)
                st.info("No autoencoder with a 2-number code yet. Train the sweep above, or only this model:")
                if st.button("Train the code-size-2 model", key="pca_two_start"):
                    job2 = submit_model(c, two, "sweep model, code size 2")
                    watch([job2], "two")


@st.fragment
def layers_section(c: Comparison) -> None:
    """Section 7. The test image slider reruns this part only."""
    result, dataset, experiment, owner, pca, data_key, model_key, k, k_pca = c
    index = st.slider("Test image", 0, len(dataset.x_test) - 1, 0, key="pca_layer_image")
    sample = dataset.x_test[index]
    shape2d = dataset.sample_shape if dataset.is_image and len(dataset.sample_shape) == 2 else None
    try:
        activations = memo(c, ("activations", model_key, index),
                           lambda: inspect_model.layer_activations(result, sample))
    except Exception as exc:  # unusual model types: say so rather than show a traceback
        st.info(f"The layers of this model type cannot be drawn one by one ({type(exc).__name__}).")
    else:
        st.plotly_chart(memo(c, ("layers_ae", model_key, index), lambda: pca_figures.ae_layer_strip(
            sample, activations, dataset.input_dim, shape2d, title="Autoencoder: every layer's output")),
            key="pca_layers_ae")

    def pca_layers():
        pca_code = pca.transform(sample[None], k_pca)[0]
        return pca_figures.pca_layer_strip(sample, pca_code, pca.inverse_transform(pca_code[None])[0], dataset.input_dim,
                                           shape2d, title="PCA: one linear step each way")

    st.plotly_chart(memo(c, ("layers_pca", data_key, k_pca, index), pca_layers), key="pca_layers_pca")


@st.fragment
def transfer_section(c: Comparison) -> None:
    """Section 8. Its settings rerun this part only."""
    result, dataset, experiment, owner, pca, data_key, model_key, k, k_pca = c
    labelled = dataset.class_names and len(dataset.class_names) >= 10 and dataset.is_image
    if not labelled:
        st.info("This experiment needs a labelled image data set with 10 classes, such as mnist-5k or digits-8x8.")
    else:
        c1, c2 = st.columns(2)
        n_images = c1.select_slider("Training images of digits 5–9", (50, 100, 200, 500), value=200,
                                    key="pca_transfer_images")
        reuse_decoder = c2.toggle("Also re-use the pre-trained decoder", key="pca_transfer_decoder")
        finetune_epochs = 40
        t_key = transfer.transfer_key(experiment, n_images, finetune_epochs, reuse_decoder)
        job = job_panel.find(t_key, owner)
        tr = job.result if job_panel.done(job) else None
        if tr is None and (job is None or not job.active):
            tr = transfer.transfer_cached(experiment, n_images, finetune_epochs, reuse_decoder)
        if tr is None:
            if job is None or not job.active:
                failed_message(job)
                if st.button("Run the transfer experiment", key="pca_transfer_start", type="primary",
                             help="Pre-training plus two small trainings, in the background."):
                    job = job_panel.submit(t_key, transfer.transfer_job(experiment, dataset, n_images, finetune_epochs,
                                                                       reuse_decoder),
                                           label="transfer experiment", owner=owner,
                                           estimate=training.estimate_seconds(experiment, dataset) + 10)
            if job is not None:
                watch([job], "transfer")
        if tr is not None:
            st.plotly_chart(pca_figures.transfer_curves(tr.scratch_history, tr.transfer_history, tr.n_target_images,
                                                        title="Training on a few images of digits 5–9"),
                            key="pca_transfer_chart")
            cols = st.columns(4)
            cols[0].metric("From scratch: test MSE", f"{tr.scratch_test_mse:.4f}")
            cols[1].metric("Pre-trained encoder: test MSE", f"{tr.transfer_test_mse:.4f}",
                           delta=f"{(tr.transfer_test_mse / tr.scratch_test_mse - 1) * 100:+.0f} % vs scratch",
                           delta_color="inverse")
            cols[2].metric("Pre-trained model alone", f"{tr.pretrain_test_mse:.4f}",
                           help="The model trained on 0–4 only, never shown a 5–9: how far it generalises.")
            cols[3].metric(f"PCA-{tr.pca_code_size} fitted on the same {tr.n_target_images}", f"{tr.pca_small_test_mse:.4f}")
            st.caption(f"Test MSE on the {tr.n_test} test images of digits 5–9. Loss: the sidebar's "
                       f"({experiment.model.loss.upper()}). PCA has no layers to transfer: the closest it gets is "
                       f"re-using components fitted on 0–4 (test MSE {tr.pca_pretrained_test_mse:.4f}) or fitting "
                       f"on the few images ({tr.pca_small_test_mse:.4f}). {tr.seconds:.0f} s in all.")
            best_ae = min(tr.transfer_test_mse, tr.scratch_test_mse)
            if tr.pca_small_test_mse < best_ae:
                st.info(f"Honest note: with only {tr.n_target_images} images, PCA fitted on them "
                        f"({tr.pca_small_test_mse:.4f}) still beats both autoencoders ({best_ae:.4f} at best). "
                        "Pre-training narrows the gap; with little data a linear method is hard to beat. Try 500 "
                        "images, or re-using the decoder too.")
