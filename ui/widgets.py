"""Widgets more than one page uses: the movie picker, CSV downloads, model labels."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
import streamlit as st

from collab_core import describe, export
from collab_core.data import Dataset
from collab_core.titles import TitleIndex, distinct_titles

# Beyond this many movies a picker lists the most-rated ones and searches for the rest.
PICKER_MAX = 5000


def model_label(row: dict) -> str:
    """'RMSE 0.9118 · Dot product · 64 factors · wd 0.15 · 10 epochs · Adam, lr 0.03' for a store
    listing row (RMSE first: a label cut short still says how good the model is)."""
    return describe.label(row.get("config") or row, row.get("metrics") or row)


def models_table(rows: Sequence[dict]) -> pd.DataFrame:
    """One line per stored model: its settings, validation metrics and training time.

    The embedding size is words for the neural model ('auto: 74 / 102', users / movies), so the
    column is text for every model.
    """
    out = []
    for r in rows:
        cfg, m = r.get("config") or r, r.get("metrics") or r
        out.append(
            {
                "model_id": r["model_id"],
                "model": cfg.get("model"),
                "n_factors": describe.short_size(cfg, r.get("n_users"), r.get("n_items")),
                "wd": cfg.get("wd"),
                "epochs": cfg.get("epochs"),
                "lr": cfg.get("lr"),
                "bs": cfg.get("bs"),
                "optimizer": cfg.get("optimizer"),
                "schedule": cfg.get("schedule"),
                "valid_rmse": m.get("valid_rmse"),
                "valid_mae": m.get("valid_mae"),
                "train_s": m.get("train_seconds") or r.get("train_seconds"),
                "device": r.get("device"),
                "created": r.get("created"),
            }
        )
    return pd.DataFrame(out)


@st.cache_data(show_spinner=False, max_entries=8)
def _picker_order(fingerprint: str, _items: pd.DataFrame) -> tuple[list[int], list[str]]:
    """Item indices most-rated first (so the best-known match is on top), and their titles (copies
    of a shared title told apart)."""
    order = np.argsort(-_items["n_ratings"].to_numpy(), kind="stable")
    return order.tolist(), distinct_titles(_items).tolist()


def movie_picker(
    ds: Dataset,
    label: str,
    *,
    key: str,
    placeholder: str = "Type part of a title…",
    help: str | None = None,
) -> int | None:
    """A searchable select box over the movies; returns the chosen item index or None.

    Up to `PICKER_MAX` movies the box lists them all (most-rated first). Larger catalogues would
    send every title to the browser on every run, so the box then lists the most-rated ones, and
    a search field above it finds any title (the forgiving search of `collab_core.titles`).
    """
    order, titles = _picker_order(ds.fingerprint, ds.items)
    options = order
    if len(order) > PICKER_MAX:
        query = st.text_input(
            f"Search all {len(order):,} titles",
            key=f"{key}_query",
            placeholder=placeholder,
            help=f"The list below shows the {PICKER_MAX:,} most-rated movies until you search.",
        )
        if query.strip():
            options = _title_index(ds.fingerprint, ds.items).search(query, 50)["item_index"]
            options = [int(i) for i in options]
        else:
            options = order[:PICKER_MAX]
        current = st.session_state.get(key)
        if current is not None and current not in options:
            options = [current, *options]  # keep what is chosen selectable
    return st.selectbox(
        label,
        options,
        index=None,
        key=key,
        format_func=titles.__getitem__,
        placeholder=placeholder,
        help=help,
    )


@st.cache_resource(show_spinner=False, max_entries=4)
def _title_index(fingerprint: str, _items: pd.DataFrame):
    return TitleIndex(_items)


def csv_download(
    table: pd.DataFrame, filename: str, *, label: str = "Download CSV", key: str | None = None
) -> None:
    """A download button for `table` as CSV (genre lists joined with '|'), built when clicked."""
    st.download_button(
        label,
        lambda: export.to_csv_bytes(table),
        file_name=filename,
        mime="text/csv",
        key=key,
        icon=":material/download:",
        on_click="ignore",
    )


def item_columns(ds: Dataset, rows: Sequence[int] | np.ndarray) -> pd.DataFrame:
    """title (copies told apart), year, genres, n_ratings, mean_rating for some item indices."""
    rows = np.asarray(rows, dtype=np.int64)
    t = ds.items.iloc[rows][["title", "year", "genres", "n_ratings", "mean_rating"]]
    t = t.reset_index(drop=True)
    t["title"] = distinct_titles(ds.items)[rows]
    return t
