"""Training: live progress, loss curves and reconstructions while the model learns."""

import streamlit as st

from ui import runtime_fixes, scorecard, state, training

runtime_fixes.run_pages_through_app()

st.title("Training")
st.markdown("Press **Train** in the sidebar. The loss curves and the reconstructions below update after every "
            "epoch; you can switch pages while it trains. **Stop** keeps the last completed epoch.")
job = training.current_job()
shown = training.job_experiment(job)  # the model being trained or shown, whatever the sidebar says now
dataset = state.dataset_or_error(shown.data if shown else state.current_experiment().data)
if job is not None and job.result is not None:
    training.outdated_warning(shown)
training.live_training_view(dataset)
scorecard.show(job.result if job is not None and job.status == "done" else None)
