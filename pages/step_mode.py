"""Slow motion: the sidebar's model trains one batch at a time; after each step the student sees the batch, its
reconstructions, the loss of every step so far and where the loss depends most on the input pixels."""

from typing import NamedTuple

import numpy as np
import streamlit as st

from aecore.config import LOSS_LABELS
from aecore.figures.stepping import batch_view, step_losses
from aecore.stepping import Stepper
from ui import runtime_fixes, state
from ui.safe_text import plain

runtime_fixes.run_pages_through_app()

STEPPER = "step_mode_stepper"  # this session's (settings key, Stepper): never shared between sessions
PLAYING = "step_mode_playing"
VIEW = "step_mode_view"  # (stepper, steps, StepView): the figures of the step on display
PACES = {"1 step every 2 s": 2.0, "1 step a second": 1.0, "2 steps a second": 0.5}


def stepping_key(experiment) -> str:
    """What the steps depend on: not the epoch limit or early stopping (a stepper has neither)."""
    train = experiment.train.replace(epochs=1, early_stopping=False)
    return experiment.replace(train=train).key()


def reset() -> None:
    st.session_state.pop(STEPPER, None)
    st.session_state.pop(VIEW, None)
    st.session_state[PLAYING] = False


class StepView(NamedTuple):
    losses: object  # the loss of every step (a plotly figure)
    batch: object  # the batch, its reconstructions and |dL/dx|
    shown: int
    largest_gradient: float


def step_view(stepper: Stepper, loss_label: str, sample_shape) -> StepView:
    """This step's figures, built once per step: a move of the pace or any other rerun between two steps redraws
    them without running the model again (building the batch's picture grid alone takes tens of ms)."""
    held = st.session_state.get(VIEW)
    if held is not None and held[0] is stepper and held[1] == stepper.steps:
        return held[2]
    images = stepper.last_batch()
    reconstructions = stepper.reconstruct(images)
    gradients = stepper.input_gradient(images)
    per_image = ((reconstructions - images) ** 2).reshape(len(images), -1).mean(axis=1)
    losses = step_losses(stepper.losses, stepper.steps_per_epoch, loss_label,
                         title=f"{loss_label.capitalize()} of each batch") if stepper.steps else None
    view = StepView(losses, batch_view(images, reconstructions, gradients, sample_shape,
                                       captions=[f"{v:.3f}" for v in per_image], image_px=56),
                    len(images), float(np.max(gradients)))
    st.session_state[VIEW] = (stepper, stepper.steps, view)
    return view


st.title("Slow motion")
st.markdown("Train the model described in the sidebar **one batch at a time**. Each step shows the batch it "
            "learned from, how the model now rebuilds those images, the loss of every step so far, and a map of "
            "|dL/dx|: how strongly the loss reacts to each input pixel, largest where the model is most wrong.")

experiment = state.current_experiment()
dataset = state.dataset_or_error(experiment.data)
if dataset is None:
    st.stop()
if not dataset.is_image:
    st.info("Slow motion shows images: pick an image data set (digits or MNIST) in the sidebar.")
    st.stop()

key = stepping_key(experiment)
held = st.session_state.get(STEPPER)
if held is not None and held[0] != key:
    reset()  # the sidebar changed: start again from the new model's first step
    st.info("The sidebar's settings changed, so slow motion starts again from step 0 with the new model.")
if st.session_state.get(STEPPER) is None:
    try:
        with st.spinner("Building the model..."):
            st.session_state[STEPPER] = (key, Stepper(experiment, dataset))
    except ValueError as exc:  # settings that cannot train on this data set
        st.error(plain(str(exc), limit=None))
        st.stop()
stepper: Stepper = st.session_state[STEPPER][1]
playing = bool(st.session_state.get(PLAYING, False))

loss_label = LOSS_LABELS.get(experiment.model.loss, "loss").lower()
pace_now = PACES.get(st.session_state.get("step_mode_pace"), 1.0)


@st.fragment(run_every=pace_now if playing else None, key="step_mode_steps")
def steps_view() -> None:
    # Every control lives in the fragment (a fragment may not put widgets in outside containers); those that
    # change the fragment's refresh (Play, Pause, the pace, Reset) rerun the whole page.
    playing_now = bool(st.session_state.get(PLAYING, False))
    controls = st.columns([1, 1, 1, 1, 2], vertical_alignment="bottom")
    take = 1 if playing_now else 0
    if controls[0].button("Next batch", key="step_mode_next", disabled=playing_now, width="stretch"):
        take = 1
    if controls[1].button("Next 10", key="step_mode_next10", disabled=playing_now, width="stretch"):
        take = 10
    # Two buttons, not one toggle: a press that reaches the server twice (a queued auto-refresh replays it)
    # must not pause and play again.
    if playing_now:
        if controls[2].button("Pause", key="step_mode_pause", icon=":material/pause:", width="stretch"):
            st.session_state[PLAYING] = False
            st.rerun()
    elif controls[2].button("Play", key="step_mode_play", icon=":material/play_arrow:", width="stretch"):
        st.session_state[PLAYING] = True
        st.rerun()
    if controls[3].button("Reset", key="step_mode_reset", icon=":material/restart_alt:", width="stretch"):
        reset()
        st.rerun()
    pace = controls[4].selectbox("Pace while playing", list(PACES), index=1, key="step_mode_pace")
    if playing_now and PACES[pace] != pace_now:
        st.rerun()  # the fragment's refresh interval is set by the full run
    try:
        if take:
            stepper.step(take)
    except FloatingPointError as exc:
        st.session_state[PLAYING] = False
        st.error(str(exc))
    per_epoch = stepper.steps_per_epoch
    batch_size = experiment.train.batch_size
    cols = st.columns(4)
    cols[0].metric("Steps taken", f"{stepper.steps}")
    in_epoch = (stepper.steps - 1) % per_epoch + 1 if stepper.steps else 0
    cols[1].metric("Epoch", f"{stepper.epoch}" if stepper.steps else "–",
                   help=f"{per_epoch} steps of {batch_size} images make one epoch (one pass over the "
                        f"{len(dataset.x_train):,} training images).")
    cols[1].caption(f"step {in_epoch} of {per_epoch} in this epoch" if stepper.steps else "no step yet")
    if stepper.steps:
        first, last = stepper.losses[0], stepper.losses[-1]
        cols[2].metric(f"Batch {loss_label}", f"{last:.4f}", delta=f"{last - first:+.4f} since step 1",
                       delta_color="inverse")
        cols[3].metric("Batch MSE", f"{stepper.history[-1].mse:.4f}")
    if not stepper.steps:
        st.info("Press **Next batch** to take the first step, or **Play** to watch the steps go by.")
    left, right = st.columns([2, 3])
    view = step_view(stepper, loss_label, dataset.sample_shape)
    with left:
        if stepper.steps:
            st.plotly_chart(view.losses, key="step_mode_loss")
            st.caption("Each point is one batch's loss, measured as the model trained on it (before its update). "
                       "The line is noisy because every batch holds different images; its trend falls.")
    with right:
        which = f"step {stepper.steps}" if stepper.steps else "the first step, before training"
        st.plotly_chart(view.batch, key="step_mode_batch")
        st.caption(f"The first {view.shown} of the {batch_size} images in the batch of {which}; their "
                   "reconstructions by the model as it is now; and |dL/dx| per pixel (each image's MSE below it), pale "
                   f"yellow (≈ 0) to dark red (the batch's largest, {view.largest_gradient:.2g}).")


steps_view()
