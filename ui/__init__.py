"""Streamlit glue: sidebar, session keys, training view, shared widgets. Pages call into here."""
