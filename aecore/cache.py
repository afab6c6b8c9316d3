"""A persistent, size-bounded disk cache of trained models and derived results.

Finished models are keyed by ``Experiment.key()`` (the hash of data set, model
config, training config and seed) and survive a restart of the server, so a
preset trained once (or pre-trained with ``python -m aecore warm``) loads in a
fraction of a second for every later session. Derived results (sweeps,
embeddings, anything made of arrays and plain values) are kept the same way
under a key of the caller's choosing.

Layout, one directory per entry (written to a temporary directory, then renamed,
so a reader never sees half an entry; several processes may share the folder)::

    <cache dir>/models/<experiment key>/model.keras   the autoencoder (encoder and decoder inside)
                                        arrays.npz    history, reconstructions, snapshots...
                                        meta.json     metrics, experiment, versions
    <cache dir>/derived/<key>/...                     same format, no model

The least recently used entries are deleted once the cache outgrows its bound
(``AELAB_CACHE_MAX_MB``, default 1024 MB). A use refreshes an entry's ``meta.json``
modification time, which is the LRU clock: it needs no index and survives restarts.

Never cached: results that were stopped by the user (partial), an epoch's provisional model, diverged runs
(they raise and produce no result), and anything trained on an uploaded data set
(``experiment.data.upload_id``): uploads stay in their user's session and never
touch the disk.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import os
import shutil
import threading
import time
import uuid
from pathlib import Path
from typing import Any

import numpy as np

from aecore.config import Experiment

log = logging.getLogger("aecore.cache")

FORMAT = 2  # 2: training noise is no longer a layer of the saved model (issue 12); older entries are misses
DEFAULT_MAX_MB = 1024
_MODEL_FIELDS = ("model", "encoder", "decoder")
_SKIP_FIELDS = ("_lock", "experiment")


def _encode(value: Any, arrays: dict[str, np.ndarray]) -> Any:
    """Plain JSON for ``value``, with numpy arrays moved into ``arrays`` and referenced by name."""
    if isinstance(value, np.ndarray):
        name = f"a{len(arrays)}"
        arrays[name] = value
        return {"__array__": name}
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, tuple):
        return {"__tuple__": [_encode(v, arrays) for v in value]}
    if isinstance(value, list):
        return [_encode(v, arrays) for v in value]
    if isinstance(value, dict):
        if not all(isinstance(k, str) for k in value):
            raise TypeError("only string dictionary keys can be cached")
        return {"__dict__": {k: _encode(v, arrays) for k, v in value.items()}}
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {"__config__": type(value).__name__, "fields": _encode(dataclasses.asdict(value), arrays)}
    raise TypeError(f"cannot cache a value of type {type(value).__name__}")


def _decode(value: Any, arrays) -> Any:
    if isinstance(value, list):
        return [_decode(v, arrays) for v in value]
    if isinstance(value, dict):
        if "__array__" in value:
            return arrays[value["__array__"]]
        if "__tuple__" in value:
            return tuple(_decode(v, arrays) for v in value["__tuple__"])
        if "__dict__" in value:
            return {k: _decode(v, arrays) for k, v in value["__dict__"].items()}
        if "__config__" in value:
            return _decode(value["fields"], arrays)  # configs come back as plain dicts
    return value


def _dir_size(path: Path) -> int:
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file())


def cacheable(result) -> tuple[bool, str]:
    """Whether a TrainResult may be stored on disk, and why not."""
    experiment = getattr(result, "experiment", None)
    if experiment is None:
        return False, "no experiment"
    if experiment.data.upload_id:
        return False, "trained on an uploaded data set (kept in its session only)"
    if getattr(result, "stopped", "") == "cancelled":
        return False, "stopped before the end (a partial model)"
    if getattr(result, "provisional", False):
        return False, "the model of an epoch while its training goes on (provisional)"
    if not np.isfinite(getattr(result, "test_mse", np.nan)):
        return False, "the test error is not a finite number"
    return True, ""


class DiskCache:
    """Trained models and derived results on disk, least recently used first out.

    Parameters
    ----------
    directory
        Root of the cache; ``models/`` and ``derived/`` are created inside it.
    max_bytes
        Size bound of everything stored; older entries are evicted past it.
    """

    def __init__(self, directory: str | os.PathLike, max_bytes: int = DEFAULT_MAX_MB * 2**20):
        self.directory = Path(directory)
        self.max_bytes = int(max_bytes)
        self._lock = threading.RLock()
        self.hits = 0
        self.misses = 0
        for sub in ("models", "derived"):
            (self.directory / sub).mkdir(parents=True, exist_ok=True)

    # -- paths ---------------------------------------------------------------------------------------------
    def _entry(self, kind: str, key: str) -> Path:
        if not key or any(c in key for c in "/\\."):
            raise ValueError(f"bad cache key {key!r}")
        return self.directory / kind / key

    def _touch(self, entry: Path) -> None:
        try:
            os.utime(entry / "meta.json")
        except OSError:
            pass

    def _write_entry(self, kind: str, key: str, meta: dict, arrays: dict[str, np.ndarray],
                     models: dict | None = None) -> Path:
        final = self._entry(kind, key)
        tmp = self.directory / kind / f".tmp-{key}-{uuid.uuid4().hex[:8]}"
        tmp.mkdir(parents=True)
        try:
            if models:
                import keras

                for name, model in models.items():
                    keras.saving.save_model(model, tmp / f"{name}.keras")
            np.savez_compressed(tmp / "arrays.npz", **arrays)
            meta = {**meta, "format": FORMAT, "saved": time.time()}
            (tmp / "meta.json").write_text(json.dumps(meta, indent=1))
            with self._lock:
                if final.exists():
                    shutil.rmtree(final, ignore_errors=True)
                os.replace(tmp, final)
        finally:
            if tmp.exists():
                shutil.rmtree(tmp, ignore_errors=True)
        self.evict()
        return final

    def _read_meta(self, entry: Path) -> dict | None:
        try:
            meta = json.loads((entry / "meta.json").read_text())
        except (OSError, ValueError):
            return None
        return meta if meta.get("format") == FORMAT else None

    # -- trained models ------------------------------------------------------------------------------------
    def contains(self, experiment: Experiment) -> bool:
        """Cheap check (no TensorFlow) that a model for ``experiment`` is stored."""
        if experiment.data.upload_id:
            return False
        entry = self._entry("models", experiment.key())
        return (entry / "meta.json").is_file() and (entry / "model.keras").is_file()

    def save(self, result) -> bool:
        """Store a finished TrainResult; returns False (and stores nothing) when it must not be cached."""
        ok, why = cacheable(result)
        if not ok:
            log.info("not caching %s: %s", getattr(result, "experiment", None), why)
            return False
        model = result.model
        # The encoder and decoder live inside the autoencoder: store them once, find them again by name.
        inside = {name: getattr(result, name).name for name in ("encoder", "decoder")
                  if any(layer is getattr(result, name) for layer in model.layers)}
        arrays: dict[str, np.ndarray] = {}
        fields = {}
        for f in dataclasses.fields(result):
            if f.name in _MODEL_FIELDS or f.name in _SKIP_FIELDS:
                continue
            try:
                fields[f.name] = _encode(getattr(result, f.name), arrays)
            except TypeError as exc:
                log.warning("not caching %s: field %s: %s", result.experiment.key(), f.name, exc)
                return False
        import keras

        meta = {"kind": "model", "key": result.experiment.key(), "experiment": _encode(result.experiment, {}),
                "fields": fields, "inside": inside, "keras": keras.__version__,
                "result_type": f"{type(result).__module__}.{type(result).__qualname__}"}
        # An encoder or decoder that is not nested in the autoencoder is stored next to it.
        models = {"model": model, **{name: getattr(result, name) for name in ("encoder", "decoder")
                                     if name not in inside}}
        try:
            self._write_entry("models", result.experiment.key(), meta, arrays, models)
        except Exception as exc:  # a model Keras cannot serialise is simply not cached
            log.warning("could not cache %s: %s: %s", result.experiment.key(), type(exc).__name__, exc)
            shutil.rmtree(self._entry("models", result.experiment.key()), ignore_errors=True)
            return False
        return True

    def load(self, experiment: Experiment):
        """The cached TrainResult for ``experiment``, or None (never for uploads)."""
        if experiment.data.upload_id:
            return None
        entry = self._entry("models", experiment.key())
        meta = self._read_meta(entry)
        if meta is None or meta.get("key") != experiment.key():
            self.misses += 1
            return None
        try:
            import keras

            from aecore import train

            if meta.get("keras") != keras.__version__:
                raise ValueError(f"saved with Keras {meta.get('keras')}")
            import aecore.models  # noqa: F401  (registers the custom layers)

            model = keras.saving.load_model(entry / "model.keras", compile=False)
            parts = {}
            for name in ("encoder", "decoder"):
                if name in meta["inside"]:
                    parts[name] = model.get_layer(meta["inside"][name])
                else:
                    parts[name] = keras.saving.load_model(entry / f"{name}.keras", compile=False)
            with np.load(entry / "arrays.npz") as npz:
                arrays = {k: npz[k] for k in npz.files}
            fields = {k: _decode(v, arrays) for k, v in meta["fields"].items()}
            if "history" in fields:
                fields["history"] = {k: list(v) for k, v in fields["history"].items()}
            if "code_snapshots" in fields:
                fields["code_snapshots"] = [tuple(s) for s in fields["code_snapshots"]]
            known = {f.name for f in dataclasses.fields(train.TrainResult)}
            result = train.TrainResult(experiment=experiment, model=model, **parts,
                                       **{k: v for k, v in fields.items() if k in known})
        except Exception as exc:  # a damaged or outdated entry is a miss, and is removed
            log.warning("dropping unreadable cache entry %s: %s: %s", experiment.key(), type(exc).__name__, exc)
            shutil.rmtree(entry, ignore_errors=True)
            self.misses += 1
            return None
        self._touch(entry)
        self.hits += 1
        return result

    def delete(self, experiment: Experiment) -> None:
        shutil.rmtree(self._entry("models", experiment.key()), ignore_errors=True)

    # -- derived results (sweeps, embeddings...) -----------------------------------------------------------
    def save_derived(self, key: str, value: Any) -> bool:
        """Store ``value`` (arrays, numbers, strings, lists, tuples, dicts) under ``key``.

        Callers key derived results with ``aecore.config.stable_hash(...)`` of everything they depend on.
        Never pass anything computed from an upload.
        """
        arrays: dict[str, np.ndarray] = {}
        try:
            encoded = _encode(value, arrays)
        except TypeError as exc:
            log.warning("not caching derived result %s: %s", key, exc)
            return False
        self._write_entry("derived", key, {"kind": "derived", "key": key, "value": encoded}, arrays)
        return True

    def load_derived(self, key: str) -> Any | None:
        entry = self._entry("derived", key)
        meta = self._read_meta(entry)
        if meta is None:
            return None
        try:
            with np.load(entry / "arrays.npz") as npz:
                arrays = {k: npz[k] for k in npz.files}
            value = _decode(meta["value"], arrays)
        except Exception as exc:
            log.warning("dropping unreadable derived entry %s: %s", key, exc)
            shutil.rmtree(entry, ignore_errors=True)
            return None
        self._touch(entry)
        return value

    # -- bookkeeping ---------------------------------------------------------------------------------------
    def entries(self) -> list[dict]:
        """Every stored entry: kind, key, bytes, last use (oldest first)."""
        found = []
        for kind in ("models", "derived"):
            for entry in (self.directory / kind).iterdir():
                if entry.name.startswith(".") or not (entry / "meta.json").is_file():
                    continue
                try:
                    found.append({"kind": kind, "key": entry.name, "path": entry, "bytes": _dir_size(entry),
                                  "last_used": (entry / "meta.json").stat().st_mtime})
                except OSError:
                    continue  # removed meanwhile by another process
        return sorted(found, key=lambda e: e["last_used"])

    def size_bytes(self) -> int:
        return sum(e["bytes"] for e in self.entries())

    def evict(self) -> list[str]:
        """Delete least recently used entries until the cache fits its bound; returns their keys."""
        removed = []
        with self._lock:
            entries = self.entries()
            total = sum(e["bytes"] for e in entries)
            for entry in entries:
                if total <= self.max_bytes:
                    break
                shutil.rmtree(entry["path"], ignore_errors=True)
                total -= entry["bytes"]
                removed.append(entry["key"])
        if removed:
            log.info("evicted %d cache entries: %s", len(removed), ", ".join(removed))
        return removed

    def clear(self) -> None:
        for kind in ("models", "derived"):
            shutil.rmtree(self.directory / kind, ignore_errors=True)
            (self.directory / kind).mkdir(parents=True, exist_ok=True)


_default: DiskCache | None = None
_default_lock = threading.Lock()


def default_cache() -> DiskCache:
    """The process-wide cache in ``$AELAB_CACHE_DIR`` (default ~/.cache/autoencoder-lab), bounded by
    ``$AELAB_CACHE_MAX_MB`` megabytes."""
    global _default
    from aecore.data import cache_dir

    directory = cache_dir()
    with _default_lock:
        if _default is None or _default.directory != directory:
            max_mb = float(os.environ.get("AELAB_CACHE_MAX_MB", DEFAULT_MAX_MB))
            _default = DiskCache(directory, max_bytes=int(max_mb * 2**20))
        return _default
