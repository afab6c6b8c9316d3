"""Results derived from built-in data sets and cached models, computed once for the whole server.

Thirty students on the default settings look at the same PCA curves, eigen-images, image rows and maps:
``derive`` computes each once per key for every session (a process-wide store held by
``st.cache_resource``), while anything derived from an upload stays in its own session (``state.memo``).
Never for training (that is a job). Shared values are read by every session: treat them as read-only.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from typing import Any, Callable, Hashable

import streamlit as st

from aecore.config import DataConfig
from ui import state


class SharedStore:
    """Least-recently-used entries per store name; a key is computed once even when sessions ask at the same
    moment (the second waits for the first instead of repeating its work)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._stores: dict[str, OrderedDict] = {}
        self._computing: dict[tuple, threading.Lock] = {}

    def get(self, store: str, key: tuple, compute: Callable[[], Any], max_entries: int) -> Any:
        entries = self._entries(store)
        with self._lock:
            if key in entries:
                entries.move_to_end(key)
                return entries[key]
            key_lock = self._computing.setdefault((store, key), threading.Lock())
        with key_lock:
            with self._lock:
                if key in entries:  # another session computed it while this one waited
                    return entries[key]
            try:
                value = compute()
                with self._lock:
                    entries[key] = value
                    while len(entries) > max_entries:
                        entries.popitem(last=False)
            finally:  # after the value is in place: a session arriving now finds it, not an empty slot
                with self._lock:
                    self._computing.pop((store, key), None)
            return value

    def _entries(self, store: str) -> OrderedDict:
        with self._lock:
            return self._stores.setdefault(store, OrderedDict())

    def clear(self) -> None:
        with self._lock:
            self._stores.clear()


@st.cache_resource(show_spinner=False)
def server_store() -> SharedStore:
    """The one store of this server process (``st.cache_resource.clear()`` empties it with other resources)."""
    return SharedStore()


def is_private(data: DataConfig) -> bool:
    """Results derived from an upload belong to the session that uploaded it."""
    return bool(data.upload_id)


def derive(store: str, key: tuple[Hashable, ...], compute: Callable[[], Any], *, data: DataConfig,
           private: bool = False, max_entries: int = 32) -> Any:
    """The result of ``compute()`` for ``key``: once per server for built-in data, once per session for an upload.

    ``data`` is the data set the result is derived from: it decides where the result is kept and is part of the
    key. ``key`` holds everything else the result depends on (state.model_id(result), settings; never a job or
    another per-session object, which would keep one session's objects alive in every other). ``private``: the
    result also depends on something of this session's own (a picture it uploaded), so it stays in the session.
    """
    full_key = (data.key(),) + tuple(key)
    if private or is_private(data):
        return state.memo(store, full_key, compute, max_entries=max_entries)
    return server_store().get(store, full_key, compute, max_entries)
