"""Widgets more than one page uses: the movie picker, CSV downloads, model labels."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
import streamlit as st

from collab_core import export
from collab_core.data import Dataset
from collab_core.titles import TitleIndex

# Beyond this many movies a picker lists the most-rated ones and searches for the rest.
PICKER_MAX = 5000


def model_label(row: dict) -> str:
    """'dot · 64 factors · wd 0.05 · 20 ep · adam lr 0.02 — RMSE 0.912' for a store listing row."""
    cfg = row.get("config") or row  # store rows carry the main settings at the top level
    if cfg.get("model") == "bayes":  # no wd or optimiser: a prior it learns, and sweeps
        return _bayes_label(cfg, row)
    parts = [str(cfg.get("model", "?"))]
    if cfg.get("model") == "dot" or cfg.get("n_factors"):
        parts.append(f"{cfg.get('n_factors')} factors")
    parts += [f"wd {cfg.get('wd', 0):g}", f"{cfg.get('epochs')} ep"]
    if cfg.get("optimizer"):
        opt = str(cfg["optimizer"])
        if opt == "sgd" and cfg.get("momentum"):
            opt += f" mom {cfg['momentum']:g}"
        parts.append(opt + (f" lr {cfg['lr']:g}" if cfg.get("lr") is not None else ""))
    rmse = (row.get("metrics") or row).get("valid_rmse")
    tail = f" — RMSE {rmse:.3f}" if rmse is not None else ""
    return " · ".join(p for p in parts if p) + tail


def _bayes_label(cfg: dict, row: dict) -> str:
    """'bayes · 10 factors · 200 sweeps (50 burn-in) · robust noise — RMSE 0.890'."""
    rmse = (row.get("metrics") or row).get("valid_rmse")
    burn = f" ({cfg['burn_in']} burn-in)" if cfg.get("burn_in") is not None else ""
    parts = [
        "bayes",
        f"{cfg.get('n_factors')} factors",
        f"{cfg.get('epochs')} sweeps{burn}",
        f"{cfg.get('noise')} noise" if cfg.get("noise") else "",
    ]
    tail = f" — RMSE {rmse:.3f}" if rmse is not None else ""
    return " · ".join(p for p in parts if p) + tail


def models_table(rows: Sequence[dict]) -> pd.DataFrame:
    """One line per stored model: its settings, validation metrics and training time."""
    out = []
    for r in rows:
        cfg, m = r.get("config") or r, r.get("metrics") or r
        out.append(
            {
                "model_id": r["model_id"],
                "model": cfg.get("model"),
                "n_factors": cfg.get("n_factors"),
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
    """Item indices most-rated first (so the best-known match is on top), and their titles."""
    order = np.argsort(-_items["n_ratings"].to_numpy(), kind="stable")
    return order.tolist(), _items["title"].astype(str).tolist()


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
    """title, year, genres, n_ratings, mean_rating for some item indices (a display helper)."""
    t = ds.items.iloc[np.asarray(rows, dtype=np.int64)]
    return t[["title", "year", "genres", "n_ratings", "mean_rating"]].reset_index(drop=True)
