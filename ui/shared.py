"""Results derived from built-in data sets and cached models, computed once for the whole server.

Thirty students on the default settings look at the same PCA curves, eigen-images, image rows and maps:
``derive`` computes each once per key for every session (a process-wide store held by
``st.cache_resource``), while anything derived from an upload stays in its own session (``state.memo``).
Never for training (that is a job). Shared values are read by every session: treat them as read-only.
A plotly figure comes back as a ``SentFigure``: its plotly dict is built once, not on every rerun that draws it.
"""

from __future__ import annotations

import functools
import threading
from collections import OrderedDict
from typing import Any, Callable, Hashable

import numpy as np
import plotly.graph_objects as go
import streamlit as st

from aecore.config import DataConfig
from ui import state


class SentFigure(go.Figure):
    """A figure whose plotly dict is built once and then handed out as it is.

    ``st.plotly_chart`` asks a figure for ``to_dict()`` on every rerun that draws it: a deep copy of every trace
    and a base64 pass over its arrays (about 5 ms a chart and 10 ms for a 2,000-point map here, three times
    that on a slow server), though a derived figure never changes. Its text arrays (hover data) are made plain
    lists once too, as plotly's JSON encoder would on every call, so the JSON is the same. Plotly reports every
    change of a figure through the hooks below (its widget uses them): a change drops the dict.
    The dict is shared by every caller: read it, never change it.
    """

    _sent_dict: dict | None = None

    def to_dict(self) -> dict:
        spec = self._sent_dict
        if spec is None:
            spec = _json_ready(super().to_dict())
            self._sent_dict = spec
        return spec

    def _changed(self, *args, **kwargs) -> None:
        self._sent_dict = None

    _send_addTraces_msg = _send_moveTraces_msg = _send_deleteTraces_msg = _changed
    _send_restyle_msg = _send_relayout_msg = _send_update_msg = _send_animate_msg = _changed


def _json_ready(node):
    """``node`` with its remaining numpy arrays (text, mixed; numbers are base64 already) as lists."""
    if isinstance(node, dict):
        return {key: _json_ready(value) for key, value in node.items()}
    if isinstance(node, (list, tuple)):
        return [_json_ready(value) for value in node]
    if isinstance(node, np.ndarray):
        return node.tolist()
    return node


def sent_once(value: Any) -> Any:
    """``value``, a plotly figure becoming a ``SentFigure`` (the same object: its class is swapped rather than
    the figure copied, which would validate every array again) with its dict built now."""
    if type(value) is go.Figure:
        value.__class__ = SentFigure
        value.to_dict()
    return value


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


@functools.lru_cache(maxsize=256)
def data_key(data: DataConfig) -> str:
    """``data.key()``, once per configuration: it dumps and hashes the fields (a fraction of a millisecond, but
    pages ask for it for every figure on every rerun)."""
    return data.key()


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
    full_key = (data_key(data),) + tuple(key)
    if private or is_private(data):
        return state.memo(store, full_key, lambda: sent_once(compute()), max_entries=max_entries)
    return server_store().get(store, full_key, lambda: sent_once(compute()), max_entries)
