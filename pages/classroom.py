"""Classroom: a teacher starts a class and steers it; students join with a code and a nickname."""

import streamlit as st

from ui import classroom, runtime_fixes

runtime_fixes.run_pages_through_app()

st.title("Classroom")
classroom.classroom_page()
