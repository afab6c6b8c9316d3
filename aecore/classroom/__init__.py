"""Class mode without accounts: the class store (SQLAlchemy), the board, polls and their figures. No streamlit.

Submodules: ``store`` (the database; imports SQLAlchemy), ``errors``, ``board``, ``polls``, ``figures``. Nothing
is imported here, so the app's start-up does not pay for SQLAlchemy until a class is used.
"""
