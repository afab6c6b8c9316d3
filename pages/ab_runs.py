"""Two runs side by side: the sidebar's model (A) and the same model with one setting changed (B), trained in
step from the same seed; both loss curves on one chart, the same test images through both, where they differ."""

import streamlit as st

from aecore import ab_runs
from ui import ab_view, job_panel, runtime_fixes, state

runtime_fixes.run_pages_through_app()

st.title("Two runs side by side")
st.markdown("Change **one** setting and see what it does. Run **A** is the model described in the sidebar; run "
            "**B** is the same model with the one setting you pick below. Both start from the same seed, so "
            "with the same layer shapes they start from **identical weights**, and both see the same images "
            "in the same order. They train in step, one epoch each in turn, so the two loss curves grow "
            "together. Any difference you see comes from that one setting.")

a = state.current_experiment()
dataset = state.dataset_or_error(a.data)
if dataset is None:
    st.stop()


@st.fragment(key="ab_runs_page")
def two_runs(a, dataset) -> None:
    """The page below its introduction: choosing B or pressing a button reruns this part, not the whole app."""
    left, right = st.columns(2)
    setting = left.selectbox("Setting to vary", list(ab_runs.SETTINGS), key="ab_runs_setting",
                             format_func=lambda name: ab_runs.SETTINGS[name].label)
    spec = ab_runs.SETTINGS[setting]
    a_value = spec.value_of(a)
    choices = [c for c in spec.choices if c != a_value]
    default = ab_runs.other_choice(setting, a)
    value_key = f"ab_runs_value_{setting}"
    if st.session_state.get(value_key) not in (None, *choices):
        del st.session_state[value_key]  # A now has the value B had: fall back to B's default
    value = right.selectbox(f"{spec.label} for B (A has {spec.text(a_value)}, from the sidebar)", choices,
                            index=choices.index(default) if default in choices else 0, key=value_key,
                            format_func=spec.text)
    b = ab_runs.make_b(a, setting, value)
    start_note = ("so they start from **identical weights**" if not spec.architectural else
                  "the layer shapes differ, so they share the seed and the data order, but not every weight")
    st.caption(f"A: {spec.label.lower()} {spec.text(a_value)} · B: {spec.text(value)} · everything else as in the "
               f"sidebar ({a.train.epochs} epochs each, seed {a.train.seed}, no early stopping): {start_note}.")

    job_panel.job_panel(ab_view.this_pair, "ab_runs", texts=ab_view.TEXTS,
                        start=lambda: ab_view.train_pair(a, b, setting, dataset), live=ab_view.live_curves,
                        stop_help="Stop both runs; the last epoch both completed is kept.",
                        draw=ab_view.trained_pair((a, b, setting), dataset))
    if ab_view.this_pair() is None:
        st.info("Pick the setting and B's value, then press **Train A and B**: "
                f"{ab_view.estimate_for_both(a, b, dataset)} for both.")


two_runs(a, dataset)
