"""What the Applications page draws: one tab per application, each with its own background model
(ui.job_panel: Train, Stop, progress), a preview before it is trained and its figures after."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import streamlit as st

from aecore import corrupt, features, metrics, ood, restoration
from aecore.config import DataConfig, stable_hash
from aecore.data import Dataset
from aecore.figures import applications as F
from ui import job_panel, shared, state, training

ROOT = Path(__file__).resolve().parent.parent
SHOWN = 8  # images per row
DATA_CHOICES = {"mnist-5k": "MNIST 5k (28×28, default)", "digits-8x8": "Digits 8×8 (tiny, fast)",
                "mnist": "MNIST 70k (if downloaded)", "fashion-mnist": "Fashion-MNIST (if downloaded)"}
TEXTS = job_panel.Texts(starting="Starting: preparing the images and building the model…",
                        stopped_empty="Stopped before the first epoch finished: there is nothing to show yet. "
                                      "Press the button again.")


@dataclass(frozen=True)
class Source:
    """The images every application model trains on (the page's choice) and the test images previewed."""

    name: str
    dataset: Dataset
    preview_idx: np.ndarray
    preview: np.ndarray

    @property
    def config(self) -> DataConfig:
        return DataConfig(name=self.name)


def source(name: str, dataset: Dataset) -> Source:
    idx = shown_indices(len(dataset.x_test))
    return Source(name, dataset, idx, dataset.x_test[idx])  # the same test images in every section's preview


# --- background jobs: submit on Train, poll in ui.job_panel, show the kept result ----------------------

def section_job(section: str, key: str, fn, label: str, draw, button: str = "Train", estimate: float = 15.0,
                help: str | None = None) -> bool:
    """Train / Stop buttons and live progress for one section; ``draw(result)`` once it is trained. Returns
    whether there is a result to draw."""
    slot = f"applications_{section}_job"

    def find():
        return job_panel.find_or_mine(key, slot)

    def start():
        st.session_state[slot] = job_panel.submit(key, fn, label=label, estimate=estimate)

    job_panel.job_panel(find, f"applications_{section}", texts=dataclasses.replace(TEXTS, button=button),
                        start=start, start_help=help, draw=draw)
    job = find()
    return job is not None and not job.active and job.result is not None and not job_panel.failed(job)


def app_runner(cfg: restoration.AppConfig):
    def run(report, cancel):
        return restoration.run_application(cfg, report, cancel)

    return run


def model_controls(section: str, dataset, small: bool = False) -> dict:
    """Code size and epochs of one section's model. ``small``: the sidebar's default shape (for anomalies)."""
    choices = restoration.code_size_choices(dataset.input_dim, small)
    code_key = f"applications_{section}_code"
    if st.session_state.get(code_key) not in (None,) + choices:
        del st.session_state[code_key]  # the images changed size: fall back to this size's default
    with st.expander("Model and training"):
        c1, c2 = st.columns(2)
        code = c1.select_slider("Code size", choices, value=restoration.default_code_size(dataset.input_dim, small),
                                key=code_key,
                                help="Numbers in the bottleneck. Restoring detail needs a large code; spotting "
                                     "anomalies works best with a small one.")
        epochs = c2.slider("Epochs (at most)", 2, 60, 20, key=f"applications_{section}_epochs",
                           help="Early stopping on the validation split may end sooner.")
        shape = "input → 256 → 128 → code → 128 → 256 → output" if small else "input → 512 → code → 512 → output"
        st.caption(f"A dense autoencoder ({shape}, ReLU, sigmoid output, binary cross-entropy, Adam 0.002, "
                   "batch 128), trained with fit(model input, clean image); early stopping keeps the best epoch.")
    layers = dict(n_hidden_layers=2, first_layer_nodes=256) if small else dict(n_hidden_layers=1, first_layer_nodes=512)
    return {"code_size": code, "epochs": epochs, **layers}


def psnr_caption(targets, images) -> list[str]:
    targets = np.asarray(targets)
    images = np.asarray(images)
    if images.shape != targets.shape:
        images = np.repeat(images[..., None], targets.shape[-1], axis=-1)
    return [f"{p:.1f} dB" for p in metrics.psnr_from_mse(metrics.per_sample_mse(targets, images))]


def shown_indices(n: int, seed: int = 0) -> np.ndarray:
    return np.sort(np.random.default_rng(seed).choice(n, size=min(SHOWN, n), replace=False))


def figure(data: DataConfig, name: str, key: tuple, make):
    """A figure drawn from a data set and settings (a preview, a finished model's rows), drawn once for the
    whole server: 30 students on the same settings share it (an upload's stay in its session)."""
    return shared.derive("applications_figures", (name,) + key, make, data=data, max_entries=64)


def result_id(res: restoration.AppResult) -> tuple:
    """What tells one finished application model from another with the same settings (a stopped one)."""
    return res.config.key(), res.seconds, res.train.epochs_run


def denoising_figures(result, ds):
    """The session model's noisy input, output and clean target rows, the PSNR bars, and the input's PSNR."""
    idx = shown_indices(len(ds.x_test))
    noisy, clean = result.test_input[idx], ds.x_test[idx]
    out = np.clip(result.test_reconstruction[idx], 0, 1)
    grid = F.picture_rows([noisy, out, clean], ["noisy input (what the model saw)", "model output", "clean target"],
                          [psnr_caption(clean, noisy), psnr_caption(clean, out), None])
    psnr_in = metrics.psnr(ds.x_test, result.test_input)
    bars = F.psnr_bars({"noisy input": psnr_in, "denoised output": result.test_psnr}, title="Whole test set",
                       highlight="denoised output")
    return grid, bars, psnr_in


# --- denoising ---------------------------------------------------------------------------------------
@st.fragment
def denoising(source: Source) -> None:
    """This tab's controls rerun only this tab (st.fragment), not the page or the sidebar."""
    st.subheader("Denoising: fit(x_noisy, x)")
    result = training.current_result()
    family_page = ROOT / "pages" / "family.py"
    if result is None or result.experiment.train.noise_level <= 0:
        situation = ("No model has been trained in this session yet." if result is None else
                     "The model trained in the sidebar saw no noise, so it has nothing to show here.")
        st.info(f"Denoising uses **the model you train in the sidebar**. {situation} To train one: in the "
                "sidebar pick the type **Denoising** (it sets the noise to Gaussian σ = 0.5), then press "
                "**Train**. The model then sees noisy digits and must output clean ones.")
    else:
        if result.provisional:
            st.info(training.provisional_note(result), icon=":material/hourglass_top:")
        noise_cfg = result.experiment.train
        ds = state.dataset_or_error(result.experiment.data)
        if ds is not None and ds.is_image:
            grid, bars, psnr_in = figure(result.experiment.data, "denoise", (state.model_id(result),),
                                         lambda: denoising_figures(result, ds))
            left, right = st.columns([3, 2])
            with left:
                st.plotly_chart(grid, key="applications_denoise_grid")
            with right:
                st.plotly_chart(bars, key="applications_denoise_bars")
                st.metric("PSNR gain", f"{result.test_psnr - psnr_in:+.1f} dB",
                          help="Output PSNR minus noisy-input PSNR, against the clean test images.")
            st.caption(f"Noise: {noise_cfg.noise_kind.replace('_', ' ')} at level {noise_cfg.noise_level:g}. "
                       "PSNR under each image is measured against its clean version.")
        elif ds is not None:
            st.info("The session's model was trained on points, not images: train it on an image data set.")
    if family_page.exists():
        st.page_link("pages/family.py", label="Autoencoder family: the noise sweep shows where denoising breaks",
                     icon=":material/family_history:")

# --- watermark removal ---------------------------------------------------------------------------------
@st.fragment
def watermark_removal(source: Source) -> None:
    data_name, dataset, preview, preview_idx = source.name, source.dataset, source.preview, source.preview_idx
    st.subheader("Watermark removal: fit(x_marked, x)")
    c1, c2, c3, c4 = st.columns(4)
    wm_kind = c1.selectbox("Watermark", corrupt.WATERMARK_KINDS, format_func=corrupt.WATERMARK_LABELS.get,
                           key="applications_wm_kind")
    opacity = c2.slider("Opacity", 0.2, 1.0, 0.8, step=0.1, key="applications_wm_opacity",
                        help="1 paints the mark in solid white; lower values let the digit show through.")
    positions = [p for p in corrupt.WATERMARK_POSITIONS]
    position = c3.selectbox("Position while training", positions, index=0, key="applications_wm_position",
                            disabled=wm_kind == "lines", help="Crossing lines span the whole image.")
    unseen = c4.selectbox("Position for the extra test", positions, index=3, key="applications_wm_unseen",
                          disabled=wm_kind == "lines",
                          help="Where the mark goes in a second test the model never trained on.")
    settings = model_controls("wm", dataset)
    cfg = restoration.AppConfig(task="watermark", data=data_name, watermark_kind=wm_kind, opacity=opacity,
                                position=position, unseen_position=unseen, **settings)
    def draw(res) -> None:
        idx = shown_indices(len(res.targets))
        left, right = st.columns([3, 2])
        with left:
            st.plotly_chart(figure(source.config, "wm_grid", result_id(res), lambda: F.picture_rows(
                [res.inputs[idx], res.outputs[idx], res.targets[idx]],
                ["watermarked input", "model output", "clean target"],
                [psnr_caption(res.targets[idx], res.inputs[idx]), psnr_caption(res.targets[idx], res.outputs[idx]),
                 None])), key="applications_wm_grid")
        with right:
            bars = {"marked input": res.psnr_input, "model output": res.psnr_model}
            if res.unseen_inputs is not None and wm_kind != "lines":
                bars |= {"unseen position: input": res.psnr_unseen_input,
                         "unseen position: output": res.psnr_unseen_model}
            st.plotly_chart(F.psnr_bars(bars, title="Test set PSNR", highlight="model output"),
                            key="applications_wm_bars")
            # one under the other: side by side in this narrow column their labels would be cut off
            st.metric("Gain, whole image", f"{res.psnr_model - res.psnr_input:+.1f} dB",
                      help="Output PSNR minus marked-input PSNR over every pixel (trained position).")
            if res.psnr_mark_model is not None:
                st.metric("Gain where the mark was", f"{res.psnr_mark_model - res.psnr_mark_input:+.1f} dB",
                          help="The same, over only the pixels the mark changed.")
        if res.psnr_mark_model is not None:
            whole = res.psnr_model - res.psnr_input
            st.markdown(
                f"**Where the mark was** ({res.mark_fraction:.0%} of the pixels) the output is "
                f"**{res.psnr_mark_model - res.psnr_mark_input:+.1f} dB** better than the marked input "
                f"({res.psnr_mark_input:.1f} → {res.psnr_mark_model:.1f} dB): that is the removal. **Everywhere "
                "else** the marked input was already exact, but the model redraws every pixel through its code, "
                f"so it also blurs the digit a little there ({res.psnr_outside_model:.1f} dB). The whole-image "
                f"gain (**{whole:+.1f} dB**) adds both"
                + (": a faint mark leaves little to remove, so the blur outweighs it even though the mark is "
                   "gone." if whole < 0 else "."))
        if res.unseen_inputs is not None and wm_kind != "lines":
            gain_unseen = res.psnr_unseen_model - res.psnr_unseen_input
            if position == "random" or position == unseen:
                st.markdown(f"**The mark at {unseen}.** Training already put marks "
                            f"{'anywhere' if position == 'random' else 'there'}, so this position is not new to "
                            f"the model (pick a fixed training position to test one it never saw). Gain here: "
                            f"**{gain_unseen:+.1f} dB**.")
                label = f"mark at {unseen}"
            else:
                st.markdown(f"**A position it never saw ({unseen}).** The model learnt what digits look like, so it "
                            "might strip a mark elsewhere too — or it might not, because it only ever removed marks "
                            f"from the {position} corner. Gain here: **{gain_unseen:+.1f} dB**"
                            + (" — worse than doing nothing: it treats the unfamiliar mark as part of the digit."
                               if gain_unseen < 0 else "."))
                label = f"mark at {unseen} (never seen)"
            st.plotly_chart(figure(source.config, "wm_unseen_grid", result_id(res) + (label,), lambda: F.picture_rows(
                [res.unseen_inputs[idx], res.unseen_outputs[idx]], [label, "model output"],
                [psnr_caption(res.targets[idx], res.unseen_inputs[idx]),
                 psnr_caption(res.targets[idx], res.unseen_outputs[idx])])), key="applications_wm_unseen_grid")
        st.caption(f"{res.train.message} PSNR in dB against the clean test images (higher is better).")

    if not section_job("wm", cfg.key(), app_runner(cfg), "watermark removal", draw):
        st.plotly_chart(figure(source.config, "wm_preview", (wm_kind, opacity, position, cfg.seed), lambda: F.picture_rows(
            [corrupt.watermark(preview, wm_kind, opacity, position, seed=cfg.seed + 2)],
            ["what the model will see (preview)"])), key="applications_wm_preview")

# --- super-resolution ----------------------------------------------------------------------------------
@st.fragment
def super_resolution(source: Source) -> None:
    data_name, dataset, preview, preview_idx = source.name, source.dataset, source.preview, source.preview_idx
    st.subheader("Super-resolution: fit(x_small, x)")
    c1, c2 = st.columns(2)
    h = dataset.sample_shape[0]
    factor = c1.radio("Shrink the images to", (2, 4), index=1, horizontal=True, key="applications_sr_factor",
                      format_func=lambda f: f"{h // f}×{h // f} (÷{f})")
    resample = c2.selectbox("Scaled back up for the model's input with", corrupt.RESAMPLING, index=3,
                            key="applications_sr_resample",
                            help="The shrink averages blocks of pixels; this is how the small image is brought "
                                 "back to full size before the model sees it.")
    settings = model_controls("sr", dataset)
    cfg = restoration.AppConfig(task="superres", data=data_name, factor=factor, resample=resample, **settings)
    def draw(res) -> None:
        idx = shown_indices(len(res.targets))
        small = h // factor
        kept = corrupt.resize_images(corrupt.resize_images(res.targets[idx], (small, small), "box"), (h, h), "nearest")
        rows = [kept]
        titles = [f"what is kept: {small}×{small} pixels (drawn as blocks)"]
        captions = [None]
        if resample != "bicubic":
            rows.append(res.inputs[idx])
            titles.append(f"model input: scaled back up with {resample}")
            captions.append(psnr_caption(res.targets[idx], res.inputs[idx]))
        rows += [res.baseline[idx], res.outputs[idx], res.targets[idx]]
        titles += ["bicubic up-sampling (Pillow)" + (" = the model's input" if resample == "bicubic" else ""),
                   "autoencoder output", "original"]
        captions += [psnr_caption(res.targets[idx], res.baseline[idx]), psnr_caption(res.targets[idx], res.outputs[idx]),
                     None]
        left, right = st.columns([3, 2])
        with left:
            st.plotly_chart(figure(source.config, "sr_grid", result_id(res), lambda: F.picture_rows(rows, titles, captions)),
                            key="applications_sr_grid")
        with right:
            bars = {"bicubic": res.psnr_baseline, "autoencoder": res.psnr_model}
            if resample != "bicubic":
                bars = {f"input ({resample})": res.psnr_input, **bars}
            st.plotly_chart(F.psnr_bars(bars, title="Test set PSNR", highlight="autoencoder"),
                            key="applications_sr_bars")
            gain = res.psnr_model - res.psnr_baseline
            st.metric("Autoencoder against bicubic", f"{gain:+.1f} dB")
        verdict = ("beats" if gain > 0.2 else "loses to" if gain < -0.2 else "ties with")
        st.markdown(f"At {h // factor}×{h // factor} the autoencoder **{verdict}** bicubic up-sampling "
                    f"({res.psnr_model:.1f} dB against {res.psnr_baseline:.1f} dB). Bicubic only smooths between "
                    "the pixels it has; the autoencoder knows what digits look like and redraws the strokes — "
                    "which helps most when little is left to interpolate, and costs detail when its code is "
                    "too small to carry every stroke.")
        st.caption(res.train.message)

    if not section_job("sr", cfg.key(), app_runner(cfg), "super-resolution", draw):
        st.plotly_chart(figure(source.config, "sr_preview", (factor, resample), lambda: F.picture_rows(
            [corrupt.downsample(preview, factor, resample)], ["what the model will see (preview)"])),
            key="applications_sr_preview")

# --- colorization ----------------------------------------------------------------------------------------
@st.fragment
def colorization(source: Source) -> None:
    data_name, dataset, preview, preview_idx = source.name, source.dataset, source.preview, source.preview_idx
    st.subheader("Colorization: fit(grey, colour)")
    rule = st.radio("How the digits are coloured", restoration.COLOUR_RULES,
                    format_func=restoration.COLOUR_RULE_LABELS.get, horizontal=True, key="applications_col_rule")
    st.markdown("Each digit is painted with a stroke colour and a background colour; the model sees only the "
                "grey version. **It can only guess colours it can infer from the content**: when colours follow "
                "the digit's class it can learn them from the shape; when they are random per image nothing in "
                "the grey picture tells them, and the best it can do is an average, muddy colour.")
    settings = model_controls("col", dataset)
    cfg = restoration.AppConfig(task="colour", data=data_name, colour_rule=rule, **settings)
    def draw(res) -> None:
        idx = shown_indices(len(res.targets))
        left, right = st.columns([3, 2])
        with left:
            st.plotly_chart(figure(source.config, "col_grid", result_id(res), lambda: F.picture_rows(
                [res.inputs[idx], res.outputs[idx], res.targets[idx]],
                ["grey input", "predicted colours", "true colours"],
                [[f"digit {dataset.class_names[c]}" for c in res.labels[idx]],
                 psnr_caption(res.targets[idx], res.outputs[idx]), None])), key="applications_col_grid")
        with right:
            st.plotly_chart(F.psnr_bars({"grey input": res.psnr_input, "predicted colours": res.psnr_model},
                                        title="Test set PSNR (colour)", highlight="predicted colours"),
                            key="applications_col_bars")
        st.caption("The grey input's PSNR treats it as a colour image with three equal channels. "
                   + res.train.message)

    if not section_job("col", cfg.key(), app_runner(cfg), "colorization", draw):
        def colour_preview():
            coloured = restoration.colourize(preview, dataset.y_test[preview_idx], rule, seed=cfg.seed + 2)
            return F.picture_rows([corrupt.to_grey(coloured), coloured], ["grey input (preview)",
                                                                          "colour target (preview)"])

        st.plotly_chart(figure(source.config, "col_preview", (rule, cfg.seed), colour_preview), key="applications_col_preview")

# --- feature extraction ----------------------------------------------------------------------------------
@st.fragment
def feature_extraction(source: Source) -> None:
    data_name, dataset, preview, preview_idx = source.name, source.dataset, source.preview, source.preview_idx
    st.subheader("Feature extraction: a classifier on the codes")
    st.markdown("Train the autoencoder without labels, then give a **logistic regression** only its codes. "
                "Compared with the raw pixels and with PCA codes of the same size, with 100, 1,000 or all "
                "training labels. Uses the model you trained in the sidebar.")
    result = training.current_result()
    ds = state.dataset_or_error(result.experiment.data) if result is not None else None
    if result is None or ds is None:
        st.info("Train a model in the sidebar first: press **Train** there (the sidebar shows how long is left).")
    elif not ds.is_image or len(ds.class_names) < 2:
        st.info("This needs a labelled image data set.")
    else:
        if result.provisional:
            st.info(training.provisional_note(result), icon=":material/hourglass_top:")
        key = stable_hash("features", result.experiment, *training.provisional_tag(result))

        def run_features(report, cancel, result=result, ds=ds):
            return features.feature_extraction(result, ds, label_counts=(100, 1000, None), report=report)

        def draw(rows) -> None:
            if not rows:
                return
            import pandas as pd

            table = pd.DataFrame(rows).pivot_table(index=["features", "dimensions"], columns="labels",
                                                   values="accuracy", sort=False)
            table.columns = [f"{c:,} labels" for c in table.columns]
            st.plotly_chart(F.accuracy_figure(rows, title="Test accuracy of logistic regression"),
                            key="applications_feat_chart")
            left, right = st.columns([3, 2])
            with left:
                st.dataframe(table.style.format("{:.1%}"), key="applications_feat_table")
            with right:
                fewest = [r for r in rows if r["labels"] == min(x["labels"] for x in rows)]
                best = max(fewest, key=lambda r: r["accuracy"])
                why = ("Codes have far fewer numbers than the " f"{ds.input_dim} pixels, so a classifier fitted on few "
                       "labels over-fits less." if best["features"] != "raw pixels" else
                       "Here the raw pixels win: this model's code does not separate the classes better than the pixels do.")
                st.markdown(f"With only {fewest[0]['labels']} labels the best features are **{best['features']}** "
                            f"({best['accuracy']:.1%}). {why}")

        section_job("feat", key, run_features, "feature extraction", draw, button="Fit classifiers", estimate=20,
                    help="Fits 9 logistic regressions in the background (about 10–30 s).")

# --- anomaly detection -----------------------------------------------------------------------------------
@st.fragment
def anomaly_detection(source: Source) -> None:
    data_name, dataset, preview, preview_idx = source.name, source.dataset, source.preview, source.preview_idx
    st.subheader("Anomaly detection: a high reconstruction error means 'never seen anything like it'")
    held = st.selectbox("Digit left out of training (it becomes an anomaly)", [-1] + list(range(10)), index=8,
                        format_func=lambda d: "none" if d < 0 else f"digit {dataset.class_names[d]}",
                        key="applications_an_held")
    settings = model_controls("an", dataset, small=True)
    cfg = restoration.AppConfig(task="anomaly", data=data_name, held_out_digit=held, **settings)
    def draw(res) -> None:
        names = {"held_out": f"digit {dataset.class_names[held]} (held out)" if held >= 0 else "held out",
                 **ood.OOD_LABELS}
        options = list(res.anomaly_scores)
        chosen = st.radio("Anomalies to detect", options, format_func=names.get, horizontal=True,
                          key="applications_an_set")
        normal, odd = res.normal_scores, res.anomaly_scores[chosen]
        hi = float(np.quantile(np.r_[normal, odd], 0.995))
        threshold = st.slider("Threshold on the reconstruction MSE", 0.0, round(hi, 4),
                              float(round(np.quantile(normal, 0.95), 4)), step=max(round(hi / 400, 5), 1e-5),
                              format="%.4f", key=f"applications_an_threshold_{chosen}",
                              help="Images whose error is above it are flagged. Starts at the 95th percentile of "
                                   "the normal test digits.")
        false_alarms, detected = ood.detection_rates(normal, odd, threshold)
        fpr, tpr, _ = metrics.roc_curve(np.r_[np.zeros(len(normal)), np.ones(len(odd))], np.r_[normal, odd])
        area = metrics.auc(fpr, tpr)
        m = st.columns(3)
        m[0].metric("Detected", f"{detected:.0%}", help="Share of the anomalies above the threshold.")
        m[1].metric("False alarms", f"{false_alarms:.0%}", help="Share of the normal test digits above the threshold.")
        m[2].metric("AUC", f"{area:.3f}", help="Area under the ROC curve: 1 separates perfectly, 0.5 is guessing.")
        left, right = st.columns(2)
        with left:
            st.plotly_chart(F.error_histograms({"normal test digits": normal, names[chosen]: odd}, threshold,
                                               title="Reconstruction errors"), key="applications_an_hist")
        with right:
            st.plotly_chart(F.roc_figure({names[chosen]: (fpr, tpr, area)}, marker=(false_alarms, detected),
                                         title="ROC curve (every threshold)"), key="applications_an_roc")
        def worst_rows():
            worst = np.argsort(normal)[::-1][:SHOWN]
            rebuilt = np.clip(res.train.test_reconstruction[worst], 0, 1)
            return F.picture_rows([res.targets[worst], rebuilt], ["test digit", "reconstruction"],
                                  [[f"MSE {normal[i]:.3f}" for i in worst], None])

        def odd_rows():
            odd_idx = np.argsort(odd)[::-1][:SHOWN]
            return F.picture_rows([res.anomaly_images[chosen][odd_idx], res.anomaly_outputs[chosen][odd_idx]],
                                  [f"{names[chosen]}: most anomalous", "reconstruction"],
                                  [[f"MSE {odd[i]:.3f}" for i in odd_idx], None])

        st.markdown("**The most anomalous *normal* test digits** — real digits the model finds unusual:")
        st.plotly_chart(figure(source.config, "an_worst", result_id(res), worst_rows), key="applications_an_worst")
        st.plotly_chart(figure(source.config, "an_odd", result_id(res) + (chosen, names[chosen]), odd_rows), key="applications_an_odd")
        for name, why in res.missing.items():
            st.caption(f"{ood.OOD_LABELS.get(name, name)} is not available here: {why}")
        st.caption(res.train.message)

    section_job("an", cfg.key(), app_runner(cfg), "anomaly detection", draw)


SECTIONS = (denoising, watermark_removal, super_resolution, colorization, feature_extraction, anomaly_detection)
