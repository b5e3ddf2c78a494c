"""Cached loaders: data sets keyed by where they come from, models and explorers by model_id.

Heavy objects (data sets, models, explorers) are `st.cache_resource` (shared, never copied); tables
derived from them are `st.cache_data` with the objects themselves passed as underscore arguments,
which Streamlit does not hash. The answers of an explore page are cached in `ui.model_page`.
"""

from __future__ import annotations

import json
import threading
from collections import OrderedDict

import streamlit as st

from collab_core import movielens, paths, plots
from collab_core.analysis import Explorer
from collab_core.data import Dataset, load_dataset
from collab_core.errors import CollabError
from collab_core.store import ModelStore
from collab_core.titles import distinct_titles

from . import state, uploads


@st.cache_resource(show_spinner=False, max_entries=4)
def _ml100k(data_dir: str) -> Dataset:
    return load_dataset()


class _Datasets:
    """The last few data sets read from files, shared by every session (one copy of each), with
    the errors of files that cannot be read, so a rerun does not read a bad file again."""

    def __init__(self, max_entries: int):
        self.max_entries, self._lock, self._done = max_entries, threading.Lock(), OrderedDict()

    def get(self, key):
        with self._lock:
            if key in self._done:
                self._done.move_to_end(key)
                return self._done[key]
        return None

    def put(self, key, value) -> None:
        with self._lock:
            self._done[key] = value
            while len(self._done) > self.max_entries:
                self._done.popitem(last=False)


@st.cache_resource(show_spinner=False)
def _datasets() -> _Datasets:
    return _Datasets(max_entries=3)


def read(reading: uploads.Reading) -> Dataset:
    """The data set of an upload or a path, read once (with a progress bar when it takes a while).

    Raises the `DataError` saying what to fix when the file cannot be read.
    """
    cache = _datasets()
    found = cache.get(reading.key)
    if found is None:
        bar = []

        def progress(fraction: float, message: str) -> None:
            if not bar:
                bar.append(st.progress(0.0, message))
            bar[0].progress(min(max(fraction, 0.0), 1.0), message)

        try:
            found = reading.load(progress)
        except CollabError as exc:
            found = exc
        finally:
            if bar:
                bar[0].empty()
        cache.put(reading.key, found)
    if isinstance(found, CollabError):
        raise _fresh(found)  # re-raising the cached one would stack tracebacks
    return found


def _fresh(exc: CollabError) -> CollabError:
    """A copy of `exc` with its fields (e.g. `MissingColumnError.role`) and no traceback."""
    fresh = type(exc).__new__(type(exc))
    fresh.args = exc.args
    fresh.__dict__.update(vars(exc))
    return fresh


def ml100k_cached() -> bool:
    return all((movielens.cache_dir() / f).exists() for f in movielens.CACHE_FILES)


def dataset() -> Dataset:
    """The data set chosen in the sidebar; the first ML-100k fetch shows a progress bar.

    Raises `DataError` (shown by the caller) when an upload's files can no longer be read.
    """
    choice = state.dataset_choice()
    if choice.startswith(uploads.PREFIX):
        found = uploads.find_upload(choice)
        if found is not None:
            return read(uploads.reading_of(found.folder))
        state.request_dataset(state.DEFAULT_DATASET)  # it was deleted on disk: fall back
    if not ml100k_cached():
        bar = st.progress(0.0, "Getting MovieLens 100k ready (first run only)…")
        movielens.fetch_movielens_100k(
            movielens.cache_dir(), lambda f, msg: bar.progress(min(max(f, 0.0), 1.0), msg)
        )
        bar.empty()
    return _ml100k(str(paths.data_dir()))


@st.cache_resource(show_spinner=False, max_entries=4)
def _store(models_dir: str):
    return ModelStore(models_dir)


def store():
    """The model store of this home directory, one object shared by every session."""
    return _store(str(paths.models_dir()))


@st.cache_resource(show_spinner=False, max_entries=8)
def _load_model(model_id: str, models_dir: str):
    return _store(models_dir).load(model_id)


def stored_model(model_id: str):
    """A `StoredModel` from the store, loaded once per process."""
    return _load_model(model_id, str(paths.models_dir()))


@st.cache_resource(show_spinner=False, max_entries=8)
def _labels(fingerprint: str, _ds: Dataset):
    return distinct_titles(_ds.items)


def labels(ds: Dataset):
    """The titles to show, by item index, with copies of a shared title told apart."""
    return _labels(ds.fingerprint, ds)


@st.cache_data(show_spinner=False, max_entries=8)
def rating_histogram(fingerprint: str, _ds: Dataset):
    """The Home page's histogram, once per data set (counting 25M ratings takes a while)."""
    return plots.rating_histogram(_ds.ratings["rating"])


@st.cache_data(show_spinner="Running the learning-rate finder…", max_entries=16)
def _lr_find(fingerprint: str, config_key: str, _ds: Dataset, _config):
    # Here, not at the top: collab_core.training loads numba (half a second) for every page.
    from collab_core.training import lr_find as run

    return run(_ds, _config)


def lr_find(ds: Dataset, config):
    """`training.lr_find` once per (data set, config)."""
    return _lr_find(ds.fingerprint, json.dumps(config.key(), sort_keys=True), ds, config)


@st.cache_resource(show_spinner=False, max_entries=4)
def _explorer(fingerprint: str, model_id: str, _ds: Dataset, _model):
    return Explorer(_ds, _model)


def explorer(ds: Dataset, stored):
    """The `analysis.Explorer` of the active model: factors, biases and title index, built once."""
    return _explorer(ds.fingerprint, stored.model_id, ds, stored.model)


@st.cache_data(show_spinner=False, max_entries=512)
def model_summary(model_id: str, models_dir: str, created: str | None) -> dict:
    """Full config, metrics and history of a stored model (store listings carry only the main
    settings); `created` is in the key so a retrained id is read again. Metadata only: loading
    every listed model would read all their weights and mark them all as just used."""
    meta = _store(models_dir).info(model_id)
    return {
        "config": dict(meta["config"]),
        "metrics": dict(meta.get("metrics") or {}),
        "history": list(meta.get("history") or []),
        "n_users": meta.get("n_users"),
        "n_items": meta.get("n_items"),
    }
