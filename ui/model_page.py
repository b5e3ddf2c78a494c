"""`ModelPage`: the data set, the active model and its `Explorer`, with the questions pages ask cached.

Each question is cached under (fingerprint, model_id, its parameters); the `Explorer` is passed as
an underscore argument, which Streamlit does not hash, so pages never build a cache key by hand.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd
import streamlit as st

from collab_core import maps
from collab_core.analysis import Explorer, Neighbours
from collab_core.data import Dataset
from collab_core.maps import EmbeddingMap
from collab_core.models import NewUser
from collab_core.recommend import Recommendations, recommend_items
from collab_core.store import StoredModel


@dataclass(frozen=True)
class ModelPage:
    """What an explore page works on; movies are item indices (rows of `dataset.items`)."""

    dataset: Dataset
    stored: StoredModel
    explorer: Explorer

    @property
    def key(self) -> tuple[str, str]:
        """(fingerprint, model_id): what every cached answer below depends on."""
        return self.dataset.fingerprint, self.stored.model_id

    def biases(self, *, top: int, users: bool, min_ratings: int) -> pd.DataFrame:
        """`Explorer.biases`: the items (or users) at both ends of the bias ranking."""
        return _biases(*self.key, self.explorer, top=top, users=users, min_ratings=min_ratings)

    def item_table(self) -> pd.DataFrame:
        """Every movie with its bias (for the bias scatter and the projector export)."""
        return _item_table(*self.key, self.explorer)

    def has_map(self, *, method: str, n_components: int, n_items: int) -> bool:
        """Whether that map of this model is computed (then `embedding_map` is instant)."""
        return self.explorer.has_map(method=method, n_components=n_components, n_items=n_items)

    def embedding_map(self, *, method: str, n_components: int, n_items: int) -> EmbeddingMap:
        """`Explorer.embedding_map`, which keeps each map once computed (shared by every session
        on this model); the first t-SNE or UMAP of a map shows a progress bar."""
        kw = {"method": method, "n_components": n_components, "n_items": n_items}
        if method == "pca" or self.has_map(**kw):  # fast work shows nothing extra
            return self.explorer.embedding_map(**kw)
        bar = st.progress(0.0, text=f"{maps.METHOD_NAMES[method]} of {n_items:,} movies…")
        try:
            return self.explorer.embedding_map(
                **kw, progress=lambda f, text: bar.progress(min(max(f, 0.0), 1.0), text=text)
            )
        finally:
            bar.empty()

    def nearest(self, index: int, *, k: int, metric: str, min_ratings: int) -> Neighbours:
        """`Explorer.nearest`: the movies whose factors are nearest movie `index`."""
        return _nearest(
            *self.key, self.explorer, int(index), k=k, metric=metric, min_ratings=min_ratings
        )

    def recommend(
        self,
        rated: Mapping[int, float],
        *,
        k: int,
        genres: tuple[str, ...],
        min_ratings: int,
        novelty: float,
        taste: float,
        calibration: float,
        start_key: tuple = ("mean",),
        start: NewUser | None = None,
    ) -> Recommendations:
        """`recommend.recommend_items` for {item index: rating}, in item order, from `start`
        (None: the mean user), which `start_key` names for the cache."""
        idx = tuple(sorted(rated))
        return _recommend(
            *self.key,
            start_key,
            self.explorer,
            start,
            idx,
            tuple(rated[i] for i in idx),
            k=k,
            genres=tuple(genres),
            min_ratings=min_ratings,
            novelty=float(novelty),
            taste=float(taste),
            calibration=float(calibration),
        )


@st.cache_data(show_spinner="Ranking biases…", max_entries=32)
def _biases(fingerprint: str, model_id: str, _ex, *, top: int, users: bool, min_ratings: int):
    return _ex.biases(top=top, users=users, min_ratings=min_ratings)


@st.cache_data(show_spinner=False, max_entries=8)
def _item_table(fingerprint: str, model_id: str, _ex):
    return _ex.item_table(np.arange(_ex.dataset.n_items))


@st.cache_data(show_spinner=False, max_entries=64)
def _nearest(
    fingerprint: str, model_id: str, _ex, index: int, *, k: int, metric: str, min_ratings: int
):
    return _ex.nearest(index, k=k, metric=metric, min_ratings=min_ratings)


@st.cache_data(show_spinner=False, max_entries=64)
def _recommend(
    fingerprint: str,
    model_id: str,
    start_key: tuple,
    _ex,
    _start,
    idx: tuple,
    r: tuple,
    *,
    k: int,
    genres: tuple,
    min_ratings: int,
    novelty: float,
    taste: float,
    calibration: float,
):
    return recommend_items(
        _ex,
        np.array(idx, dtype=np.int64),
        np.array(r, dtype=np.float64),
        k=k,
        genres=list(genres) or None,
        min_ratings=min_ratings,
        novelty=novelty,
        taste=taste,
        calibration=calibration,
        start=_start,
    )
