"""What the autoencoder family page draws: for the trained type, the one thing that makes it different, plus
comparisons against a second model (trained in the background through ui.job_panel, cached by its key)."""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
import streamlit as st

from aecore import architecture, family, figures
from aecore.config import KIND_LABELS, NOISE_LABELS, Experiment
from aecore.data import Dataset
from aecore.figures import family as family_figures
from aecore.metrics import psnr
from aecore.ood import letters
from aecore.trained import on_disk
from ui import job_panel, shared, state, training

SWEEP_IMAGES = 300
ANALYSIS_IMAGES = 500
NOISE_X_TITLES = {"gaussian": "noise level σ (Gaussian, pixel range 0–1)",
                  "salt_pepper": "fraction of pixels set to black or white",
                  "masking": "fraction of pixels dropped (set to black)"}

KL_IN_WORDS = ("**KL divergence, in plain words:** how different two probability distributions are, 0 when they "
               "are the same. Here: how far each image's code distribution is from the standard normal. It is "
               "counted in **nats**, information measured with natural logarithms (1 nat ≈ 1.44 bits).")




def vae_is_training() -> bool:
    job = training.current_job()
    return job is not None and job.active and job.label == "variational"


def vae_live_view() -> None:
    """While this session's VAE trains: both parts of its loss, redrawn after every epoch."""
    st.header("Variational: training now")

    def curves(job) -> None:
        reports = list(job.reports)
        history = {k: [r.logs.get(k) for r in reports] for k in
                   ("reconstruction_loss", "kl_loss", "val_reconstruction_loss", "val_kl_loss")}
        title = f"Live: epoch {reports[-1].epoch} of {reports[-1].epochs}" if reports else "Live: first epoch…"
        st.plotly_chart(family_figures.vae_losses(history, title=title), key="family_vae_live")
        st.caption("Blue (left axis): how badly images are rebuilt, per pixel. Red (right axis): the KL divergence, "
                   "how far the codes' distributions are from N(0, I), in nats per image. Training trades one "
                   "against the other.")
        st.markdown(KL_IN_WORDS)

    job_panel.job_panel(training.current_job, "family_vae", stop="Stop training", live=curves,
                        stop_help="Stop training and keep the last completed epoch.")


class Trained(NamedTuple):
    """The session's trained model and what every section reads from it."""

    result: object
    dataset: Dataset
    experiment: Experiment
    model_cfg: object
    train_cfg: object
    kind: str
    owner: str | None  # the session, for a model trained on its upload (kept private), else None
    model_key: tuple  # state.model_id(result)


def trained(result, dataset: Dataset) -> Trained:
    experiment = result.experiment
    return Trained(result, dataset, experiment, experiment.model, experiment.train, experiment.model.kind,
                   state.session_id() if experiment.data.upload_id else None, state.model_id(result))


def memo(m: Trained, name: str, key: tuple, compute):
    """An analysis of a trained model (keyed by state.model_id of the models it uses): once per server for
    built-in data, once per session for an upload."""
    result, dataset, experiment, model_cfg, train_cfg, kind, owner, model_key = m
    return shared.derive("family", (name,) + key, compute, data=experiment.data, max_entries=128)


def companion_result(m: Trained, companion: family.Companion, what: str):
    """The comparison model's result; otherwise a button to train it, or its live progress (polled)."""
    result, dataset, experiment, model_cfg, train_cfg, kind, owner, model_key = m
    key = companion.experiment.key()
    job = job_panel.find(key, owner)
    if job_panel.done(job):
        return job.result
    if job is not None and job.active:
        job_panel.job_panel(lambda: job_panel.find(key, owner), f"family_companion_{kind}",
                            texts=job_panel.Texts(starting="starting…"), stop=None,
                            prefix=f"Comparison model ({companion.label}): ")
        return None
    if job_panel.failed(job):
        st.error(f"The comparison model failed: {job.error}")
    try:
        companion.experiment.validate_for(dataset)
    except ValueError as exc:
        st.info(f"No comparison possible with these settings: {exc}")
        return None
    if job is None and on_disk(companion.experiment, owner):  # trained before: load it, no button
        training.submit_experiment(companion.experiment, dataset, f"comparison {kind}", owner)
        st.rerun()
    estimate = family.estimate_train_seconds(companion.experiment.model, dataset.sample_shape, dataset.n_train,
                                             companion.experiment.train.epochs)
    st.info(f"To {what}, train a second model: **{companion.label}**. {companion.why} "
            f"It trains in the background (about {estimate:.0f} s at most) and is kept for everyone who asks "
            "for the same settings.")
    if st.button(f"Train the comparison model ({companion.label})", key=f"family_train_{kind}"):
        training.submit_experiment(companion.experiment, dataset, f"comparison {kind}", owner, estimate)
        st.rerun()
    return None


def images(m: Trained, x: np.ndarray) -> np.ndarray:
    result, dataset, experiment, model_cfg, train_cfg, kind, owner, model_key = m
    return figures.as_images(np.clip(x, 0, 1), dataset.sample_shape)


def test_subset(m: Trained, n: int) -> np.ndarray:
    result, dataset, experiment, model_cfg, train_cfg, kind, owner, model_key = m
    return dataset.x_test[:n]


# --- sections -----------------------------------------------------------------------------------------------

def denoising_section(m: Trained) -> None:
    result, dataset, experiment, model_cfg, train_cfg, kind, owner, model_key = m
    st.header("Denoising: clean in, noisy in, clean out")
    level, noise_kind = train_cfg.noise_level, train_cfg.noise_kind
    noise_name = NOISE_LABELS[noise_kind].split(" (")[0].lower()
    st.markdown(f"This model was trained with `fit(x_noisy, x)`: {noise_name} noise at level **{level:g}** was "
                "added afresh to every training batch, and the target was always the clean image.")
    clean = dataset.x_test
    noisy = result.test_input
    input_psnr, output_psnr = psnr(clean, noisy), result.test_psnr
    cols = st.columns(3)
    cols[0].metric("Noisy input PSNR", f"{input_psnr:.1f} dB", help="The corrupted test images against the clean ones.")
    cols[1].metric("Denoised output PSNR", f"{output_psnr:.1f} dB", help="The model's output against the clean images.")
    cols[2].metric("Gain", f"{output_psnr - input_psnr:+.1f} dB", help="Higher is better. 3 dB = half the squared error.")
    count = 8
    per_in = [psnr(clean[i:i + 1], noisy[i:i + 1]) for i in range(count)]
    per_out = [psnr(clean[i:i + 1], result.test_reconstruction[i:i + 1]) for i in range(count)]
    st.plotly_chart(figures.image_grid(
        [images(m, clean[:count]), images(m, noisy[:count]), images(m, result.test_reconstruction[:count])],
        ["clean (the target)", "noisy (what the model sees)", "denoised (the model's output)"],
        [None, [f"{v:.1f} dB" for v in per_in], [f"{v:.1f} dB" for v in per_out]], image_px=74),
        key="family_denoise_grid")
    st.caption("The numbers under each image are its PSNR against the clean image: higher is closer.")
    noise_sweep_view(m, companion_label="same model trained on clean images")


def noise_sweep_view(m: Trained, companion_label: str | None = None) -> None:
    result, dataset, experiment, model_cfg, train_cfg, kind, owner, model_key = m
    st.subheader("Noise sweep: where does it break?")
    default_kind = train_cfg.noise_kind if train_cfg.noise_level > 0 else "gaussian"
    noise_kind = st.radio("Noise used in the sweep", list(NOISE_LABELS), horizontal=True,
                          index=list(NOISE_LABELS).index(default_kind), format_func=NOISE_LABELS.get,
                          key="family_sweep_kind")
    x = test_subset(m, SWEEP_IMAGES)
    sweep = memo(m, "sweep", (model_key, noise_kind),
                 lambda: family.noise_sweep(result.reconstruct, x, noise_kind))
    outputs = [(f"{KIND_LABELS[kind].lower()} model's output", sweep.psnr_output)]
    other_id = None
    comp = family.companion(experiment, dataset.input_dim)
    if comp is not None and companion_label is not None and comp.label == companion_label:
        other = companion_result(m, comp, "see what training with noise adds")
        if other is not None:
            other_sweep = memo(m, "sweep", (state.model_id(other), noise_kind),
                               lambda: family.noise_sweep(other.reconstruct, x, noise_kind))
            outputs.append((f"output of the {comp.label}", other_sweep.psnr_output))
            other_id = state.model_id(other)
    trained_level = train_cfg.noise_level if noise_kind == train_cfg.noise_kind else None
    st.plotly_chart(memo(m, "sweep_chart", (model_key, noise_kind, other_id),
                         lambda: family_figures.noise_sweep(
                             sweep.levels, sweep.psnr_input, outputs, NOISE_X_TITLES[noise_kind],
                             trained_level=trained_level, title=f"PSNR of input and output, {SWEEP_IMAGES} test images")),
                    key="family_sweep_chart")
    above = [lvl for lvl, a, b in zip(sweep.levels, sweep.psnr_input, sweep.psnr_output) if lvl > 0 and b > a]
    st.caption("The grey line is the noisy input; at level 0 the input is the clean image itself (infinite PSNR, "
               "not drawn). Where the output line is above the grey one, the model removes noise. "
               + (f"Here it helps up to level {max(above):g}." if above else "Here it never helps."))


def sparse_section(m: Trained) -> None:
    result, dataset, experiment, model_cfg, train_cfg, kind, owner, model_key = m
    top = st.container()  # headline and claim: written once the numbers behind them are known
    x = test_subset(m, ANALYSIS_IMAGES * 2)
    codes = memo(m, "codes", (model_key,), lambda: result.encode(x))
    stats = family.sparsity_stats(codes)
    comp = family.companion(experiment, dataset.input_dim)
    other = companion_result(m, comp, "compare against the same model without the penalty")
    rows = [("sparse", stats, result)]
    if other is not None:
        other_codes = memo(m, "codes", (state.model_id(other),), lambda: other.encode(x))
        rows.append(("no penalty", family.sparsity_stats(other_codes), other))
    headline, claim = family.sparsity_claim(stats, rows[1][1] if other is not None else None)
    top.header(headline)
    top.markdown(f"An L1 penalty (weight **{model_cfg.sparsity_weight:g}**) on the code adds the sum of |code "
                 f"values| to the loss, pushing the model to describe each image with small codes. {claim}")
    cols = st.columns(4)
    for label, s, r in rows:
        cols[0].metric(f"Mean |activation| ({label})", f"{s.mean_activation:.3f}")
        cols[1].metric(f"Active units ({label})", f"{100 * s.fraction_active:.0f}%",
                       help="Share of (image, unit) pairs above 1% of the largest activation.")
        cols[2].metric(f"Final loss ({label})", f"{r.history['loss'][r.best_epoch - 1]:.4f}",
                       help="Keras's loss at the kept epoch, including the sparsity penalty.")
        cols[3].metric(f"Test MSE ({label})", f"{r.test_mse:.4f}")
    if other is not None:
        loss_gap = result.history["loss"][result.best_epoch - 1] - other.history["loss"][other.best_epoch - 1]
        quality = (f"the penalty costs some reconstruction quality (test MSE {result.test_mse:.4f} against "
                   f"{other.test_mse:.4f})" if result.test_mse > other.test_mse else
                   f"here the penalty costs no reconstruction quality on the test images (test MSE "
                   f"{result.test_mse:.4f} against {other.test_mse:.4f}); the training loss includes the "
                   "penalty itself")
        st.markdown(f"The sparse model's final training loss is **{loss_gap:+.4f}** against the model without the "
                    f"penalty (the source article saw about +0.01): {quality}.")
        series = [("sparse", codes), ("no penalty", other_codes)]
    else:
        series = [("sparse", codes)]
    st.plotly_chart(family_figures.activation_histograms(
        series, title=f"Code activations of {len(x)} test images"), key="family_sparse_histogram")
    st.caption(f"On average {stats.active_per_image:.1f} of {model_cfg.code_size} units are active per image"
               + (f"; {stats.dead_units} unit(s) are never active." if stats.dead_units else "."))
    st.subheader("What each code unit stands for")
    one_hot = family.unit_codes(codes)
    drawn = memo(m, "units", (model_key,), lambda: result.decode(one_hot))
    n_cols = min(8, model_cfg.code_size)
    st.plotly_chart(family_figures.image_mosaic(images(m, drawn), n_cols, [f"unit {i + 1}" for i in range(len(drawn))],
                                                title="Decoded one-hot codes: one unit on, all others 0"),
                    key="family_sparse_units")
    st.caption("Each image decodes a code with a single unit switched on (at its typical strong value, the 99th "
               "percentile of its activations) and every other unit at 0.")


def conv_section(m: Trained) -> None:
    result, dataset, experiment, model_cfg, train_cfg, kind, owner, model_key = m
    st.header("Convolutional: filters that slide over the image")
    layers = architecture.conv_layers(model_cfg, dataset.sample_shape)
    st.plotly_chart(family_figures.conv_architecture(layers, title="Numbers passed from layer to layer"),
                    key="family_conv_architecture")
    st.caption(f"{sum(layer.params for layer in layers):,} weights. Each block halves the image and doubles the "
               "feature maps; the decoder's transposed convolutions double the size back.")
    kernels = result.encoder.get_layer("conv_1").get_weights()[0]
    st.plotly_chart(family_figures.filters(kernels, title=f"The {kernels.shape[-1]} learned first-layer filters "
                                                          f"({kernels.shape[0]}×{kernels.shape[1]} pixels)"),
                    key="family_conv_filters")
    st.caption("Each filter is a small pattern the first layer looks for everywhere in the image: red weights "
               "respond to bright pixels, blue to dark ones. Many look like edge and stroke detectors.")
    estimate = family.estimate_train_seconds(model_cfg, dataset.sample_shape, dataset.n_train, train_cfg.epochs)
    st.markdown(f"Training took **{result.seconds:.1f} s** for {result.epochs_run} epochs "
                f"({result.samples_per_second:,.0f} images/s); the estimate shown before training was at most "
                f"{estimate:.0f} s.")
    if train_cfg.noise_level > 0:
        denoising_section(m)
        return
    comp = family.companion(experiment, dataset.input_dim)
    other = companion_result(m, comp, "compare against a dense model with the same code size")
    if other is not None:
        st.plotly_chart(family_figures.bars(
            ["test MSE"], [("convolutional", [result.test_mse]), (comp.label, [other.test_mse])],
            "mean squared error per pixel (lower is better)", title="Same code size, different layers"),
            key="family_conv_bars")
        st.markdown(f"Convolutional: **{result.test_psnr:.1f} dB** in {result.seconds:.0f} s; {comp.label}: "
                    f"**{other.test_psnr:.1f} dB** in {other.seconds:.0f} s.")


def contractive_section(m: Trained) -> None:
    result, dataset, experiment, model_cfg, train_cfg, kind, owner, model_key = m
    st.header("Contractive: codes that barely move")
    st.markdown(f"The loss adds **{model_cfg.contractive_weight:g} × ‖∂code/∂input‖²**, the squared size of the "
                "encoder's Jacobian, so small changes of the input change the code little. Below, every test image "
                f"gets the same small random perturbation (Gaussian, σ = {family.SENSITIVITY_STD}) and we measure "
                "how far its code moves.")
    x = test_subset(m, ANALYSIS_IMAGES)
    curve = memo(m, "sensitivity", (model_key,), lambda: family.sensitivity_curve(result.encode, x))
    comp = family.companion(experiment, dataset.input_dim)
    other = companion_result(m, comp, "compare against the same model without the penalty")
    series_abs = [("contractive", [s.mean_change for s in curve])]
    series_rel = [("contractive", [s.relative_change for s in curve])]
    fixed = curve[family.SENSITIVITY_STDS.index(family.SENSITIVITY_STD)]
    cols = st.columns(4)
    cols[0].metric("Code change (contractive)", f"{fixed.mean_change:.3f}",
                   help="Mean distance between the codes of x and x + δ.")
    cols[1].metric("Relative change (contractive)", f"{100 * fixed.relative_change:.1f}%",
                   help="Code change divided by the typical distance between codes of different images.")
    if other is not None:
        other_curve = memo(m, "sensitivity", (state.model_id(other),), lambda: family.sensitivity_curve(other.encode, x))
        other_fixed = other_curve[family.SENSITIVITY_STDS.index(family.SENSITIVITY_STD)]
        cols[2].metric("Code change (no penalty)", f"{other_fixed.mean_change:.3f}",
                       delta=f"{fixed.mean_change / max(other_fixed.mean_change, 1e-12):.2f}× for contractive",
                       delta_color="off")
        cols[3].metric("Relative change (no penalty)", f"{100 * other_fixed.relative_change:.1f}%")
        series_abs.append(("no penalty", [s.mean_change for s in other_curve]))
        series_rel.append(("no penalty", [s.relative_change for s in other_curve]))
        st.markdown(f"Test MSE: contractive **{result.test_mse:.4f}**, without the penalty **{other.test_mse:.4f}**.")
    left, right = st.columns(2)
    left.plotly_chart(family_figures.sensitivity(family.SENSITIVITY_STDS, series_abs, "mean code change ‖Δcode‖",
                                                 title="How far codes move", marked_std=family.SENSITIVITY_STD),
                      key="family_contractive_abs")
    right.plotly_chart(family_figures.sensitivity(
        family.SENSITIVITY_STDS, [(n, [100 * v for v in vals]) for n, vals in series_rel],
        "code change as % of the spread of codes", title="Relative to the spread of codes",
        marked_std=family.SENSITIVITY_STD), key="family_contractive_rel")
    st.caption("Left: the raw distance. Right: divided by the typical distance between codes of different images, "
               "so a model cannot look contractive just by shrinking all its codes.")
    if "contractive_penalty" in result.history:
        st.markdown(f"Jacobian penalty at the kept epoch: {result.history['contractive_penalty'][result.best_epoch - 1]:.3f} "
                    f"(at epoch 1: {result.history['contractive_penalty'][0]:.3f}).")


def variational_section(m: Trained) -> None:
    result, dataset, experiment, model_cfg, train_cfg, kind, owner, model_key = m
    st.header("Variational: a code you can sample")
    st.markdown("The encoder outputs a **mean** and a **log-variance** for each code number; training decodes a "
                "random sample mean + σ·ε (the reparameterisation trick). The loss is the **reconstruction** error "
                f"plus β = {model_cfg.kl_weight:g} × the **KL divergence** that pulls the codes toward a standard "
                "normal distribution, so every region of code space decodes to something digit-like.")
    st.markdown(KL_IN_WORDS)
    vae_loss_view(m)
    code_size = model_cfg.code_size
    st.subheader("New images from random codes")
    seed = st.session_state.get("family_vae_seed", 0)
    if st.button("Draw new random codes", key="family_vae_resample"):
        st.session_state["family_vae_seed"] = seed = seed + 1
    samples = memo(m, "prior", (model_key, seed),
                   lambda: family.sample_prior(result.decode, code_size, n=24, seed=seed))
    st.plotly_chart(family_figures.image_mosaic(images(m, samples), 12,
                                                title=f"24 codes drawn from N(0, I), decoded (draw {seed + 1})"),
                    key="family_vae_samples")
    st.caption("None of these is a training image: each is the decoder's picture of a random code.")
    st.subheader("The map of the code space")
    if code_size == 2:
        grid, values = memo(m, "manifold", (model_key,), lambda: family.manifold_grid(result.decode, 15))
        caption = "The 2-D code space decoded on a 15 × 15 grid (positions are the prior's 5%–95% quantiles)."
    else:
        grid, values = memo(m, "manifold", (model_key,),
                            lambda: family.manifold_grid(result.decode, 15, code_size=code_size))
        caption = (f"The code has {code_size} numbers: this grid varies numbers 1 and 2 and keeps the other "
                   f"{code_size - 2} at 0 (the prior's mean). Set the code size to 2 to see the whole space.")
    flat = images(m, grid.reshape((-1,) + grid.shape[2:]))
    st.plotly_chart(family_figures.manifold(flat.reshape(grid.shape[:2] + flat.shape[1:]), values,
                                            title="Decoded 15 × 15 grid of codes"), key="family_vae_manifold")
    st.caption(caption)
    st.subheader("Morphing between two test images")
    names = dataset.class_names
    cols = st.columns(2)
    a = cols[0].selectbox("From", range(len(names)), index=min(1, len(names) - 1), format_func=lambda c: names[c],
                          key="family_vae_from")
    b = cols[1].selectbox("To", range(len(names)), index=min(7, len(names) - 1), format_func=lambda c: names[c],
                          key="family_vae_to")
    ia = int(np.flatnonzero(dataset.y_test == a)[0])
    ib = int(np.flatnonzero(dataset.y_test == b)[0] if a != b else np.flatnonzero(dataset.y_test == b)[1])
    frames, fractions = memo(m, "interp", (model_key, ia, ib),
                             lambda: family.interpolate(result.encode, result.decode, dataset.x_test[ia],
                                                        dataset.x_test[ib], steps=9))
    st.plotly_chart(figures.image_grid(
        [images(m, np.stack([dataset.x_test[ia]] + [np.full(dataset.sample_shape, np.nan)] * 7 + [dataset.x_test[ib]])),
         images(m, frames)],
        ["the two test images", "decoded codes along the straight line between their codes"],
        [None, [f"{f:.0%}" for f in fractions]], image_px=74), key="family_vae_interpolation")


def vae_loss_view(m: Trained) -> None:
    """Reconstruction and KL curves of the trained VAE."""
    result, dataset, experiment, model_cfg, train_cfg, kind, owner, model_key = m
    st.plotly_chart(family_figures.vae_losses(result.history, title="Loss split into its two parts"),
                    key="family_vae_losses")
    if "kl_loss" in result.history:
        e = result.best_epoch - 1
        st.caption(f"At the kept epoch (validation): reconstruction {result.history['val_reconstruction_loss'][e]:.4f} "
                   f"per pixel, KL {result.history['val_kl_loss'][e]:.2f} nats per image. The reconstruction term "
                   "wants precise, spread-out codes; the KL term pulls them together toward N(0, I).")


def overcomplete_section(m: Trained) -> None:
    result, dataset, experiment, model_cfg, train_cfg, kind, owner, model_key = m
    st.header("Over-complete: the identity trap")
    st.markdown(f"The code has **{model_cfg.code_size}** numbers for an input of **{dataset.input_dim}**, no hidden "
                "layer is narrower than that and nothing penalises the code. The easiest solution is to copy the "
                "input through. The test: images that are **not digits**. A model that learned what digits look "
                "like cannot rebuild them; a model that learned to copy can.")
    noise_sets = {}
    if dataset.is_image and len(dataset.sample_shape) == 2:  # letters are drawn as 2-D images
        noise_sets["letters (never in the training data)"] = memo(m,
            "letters", (dataset.sample_shape,), lambda: letters(200, dataset.sample_shape, seed=0)[0])
    noise_sets["random images with the digits' statistics"] = memo(m,
        "data_noise", (experiment.data.key(),), lambda: family.data_noise_images(dataset.x_train, 200))
    noise_sets["uniform random pixels"] = family.noise_images(dataset.sample_shape, 200, seed=0)
    x = test_subset(m, ANALYSIS_IMAGES)
    names = list(noise_sets)
    first = names[0].split(" (")[0]

    def tests(model_result, key):
        return memo(m, "identity", (key, tuple(names)), lambda: [family.identity_test(model_result.reconstruct, noise, x)
                                                              for noise in noise_sets.values()])

    mine = tests(result, model_key)
    comp = family.companion(experiment, dataset.input_dim)
    other = companion_result(m, comp, "see what a bottleneck changes")
    theirs = tests(other, state.model_id(other)) if other is not None else None
    # Short metric labels under a model name: long ones are cut off ("MSE on random images (under-comp…").
    columns = st.columns(2 if theirs is not None else 1)
    for col, name, measured in zip(columns, [f"over-complete, code of {model_cfg.code_size}", comp.label],
                                   [mine, theirs]):
        col.markdown(f"**{name[0].upper() + name[1:]}**")
        left, right = col.columns(2)
        left.metric(f"MSE, {first}", f"{measured[0].noise_mse:.4f}",
                    help=f"Reconstruction error on {names[0]}: PSNR {measured[0].noise_psnr:.1f} dB.")
        right.metric("MSE, test digits", f"{measured[0].data_mse:.4f}")
    rows, titles, captions = [], [], []
    for i, (name, noise) in enumerate(noise_sets.items()):
        given, copied = noise[:8], np.clip(result.reconstruct(noise[:8]), 0, 1)
        rows += [images(m, given), images(m, copied)]
        titles += [f"{name}: what it is given", "over-complete model's output"]
        captions += [None, [f"{v:.3f}" for v in ((copied - given) ** 2).reshape(8, -1).mean(axis=1)]]
        if other is not None:
            rebuilt = np.clip(other.reconstruct(noise[:8]), 0, 1)
            rows.append(images(m, rebuilt))
            titles.append(f"{comp.label}'s output")
            captions.append([f"{v:.3f}" for v in ((rebuilt - given) ** 2).reshape(8, -1).mean(axis=1)])
        if i == 0:
            st.plotly_chart(figures.image_grid(rows, titles, captions, image_px=64), key="family_overcomplete_copy")
            st.caption("The number under each output is its MSE against the image it was given (lower = closer "
                       "copy). " + ("The over-complete model hands back what it is given, letters included; the "
                                    "under-complete one can only answer with something digit-like."
                                    if theirs is not None else "Train the comparison model to see a bottleneck "
                                                               "next to it."))
            rows, titles, captions = [], [], []
    if theirs is not None:
        ratio = theirs[0].noise_mse / max(mine[0].noise_mse, 1e-12)
        st.markdown(
            f"On {names[0]} the over-complete model's error is **{ratio:.1f}× "
            f"{'lower' if ratio >= 1 else 'higher'}** than the under-complete model's "
            f"({mine[0].noise_psnr:.1f} dB against {theirs[0].noise_psnr:.1f} dB): "
            + ("it copies images that are not digits, because what it learned is closer to copying (the identity) "
               "than to what digits look like. A low error on the test set alone does not prove a useful code. "
               if ratio >= 1.2 else "here it does not copy them clearly better; train it for more epochs to see "
               "the trap. ")
            + f"On uniform random pixels both fail (MSE {mine[-1].noise_mse:.3f} and {theirs[-1].noise_mse:.3f}): "
            "the identity is only learned in the directions the training digits vary in, and pixels that are black "
            "in every training image (the borders) are never copied.")
        short = {"random images with the digits' statistics": "digit-like random images"}
        labels = [short.get(n, n.split(" (")[0]) for n in names] + ["test digits"]
        st.plotly_chart(family_figures.bars(
            labels, [("over-complete", [t.noise_mse for t in mine] + [mine[0].data_mse]),
                     (comp.label, [t.noise_mse for t in theirs] + [theirs[0].data_mse])],
            "reconstruction MSE per pixel (lower = closer copy)", title="Who can rebuild what"),
            key="family_overcomplete_bars")
    st.plotly_chart(figures.image_grid(rows, titles, captions, image_px=64), key="family_overcomplete_grid")
    st.caption("Random images with the digits' statistics: a Gaussian with the training images' per-pixel mean "
               "and pixel-to-pixel covariance, so they have ink where digits have ink, but no strokes and no shape.")


def plain_section(m: Trained) -> None:
    result, dataset, experiment, model_cfg, train_cfg, kind, owner, model_key = m
    if train_cfg.noise_level > 0:
        denoising_section(m)
        return
    st.header("The plain under-complete autoencoder")
    st.markdown("This is the family's reference member: a dense encoder squeezes each image into "
                f"**{model_cfg.code_size}** numbers and a dense decoder rebuilds it. Every other type changes one "
                "ingredient: pick one in the sidebar's **Autoencoder type** and press **Train**. Meanwhile, here is "
                "what this model, trained only on clean images, does with noisy ones.")
    noise_sweep_view(m)


SECTIONS = {"dense": plain_section, "denoising": denoising_section, "sparse": sparse_section,
            "conv": conv_section, "contractive": contractive_section, "variational": variational_section,
            "overcomplete": overcomplete_section}

