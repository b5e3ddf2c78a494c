"""Widgets more than one page uses: the movie picker, CSV downloads, model labels."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
import streamlit as st

from collab_core import describe, export
from collab_core.data import Dataset
from collab_core.titles import TitleIndex, distinct_titles

from . import state


def model_label(row: dict) -> str:
    """'RMSE 0.9118 · Dot product · 64 factors · wd 0.15 · 10 epochs · Adam, lr 0.03' for a store
    listing row (RMSE first: a label cut short still says how good the model is)."""
    return describe.label(row.get("config") or row, row.get("metrics") or row)


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
    table = pd.DataFrame(out)
    if len(table):  # ISO strings, in UTC: times the table can show in a short form
        table["created"] = pd.to_datetime(table["created"], utc=True, errors="coerce")
    return table


# `models_table`'s columns, narrow enough for all of them to show at 1400 px.
MODELS_COLUMNS = {
    "model_id": st.column_config.TextColumn("model id", width=100),
    "model": st.column_config.TextColumn(width=50),
    "n_factors": st.column_config.NumberColumn("factors", width=55),
    "wd": st.column_config.NumberColumn(width=48),
    "epochs": st.column_config.NumberColumn(width=55),
    "lr": st.column_config.NumberColumn(width=55),
    "bs": st.column_config.NumberColumn(width=50),
    "optimizer": st.column_config.TextColumn(width=70),
    "schedule": st.column_config.TextColumn(width=80),
    "valid_rmse": st.column_config.NumberColumn("RMSE", format="%.4f", width=62),
    "valid_mae": st.column_config.NumberColumn("MAE", format="%.4f", width=62),
    "train_s": st.column_config.NumberColumn("train s", format="%.1f", width=55),
    "device": st.column_config.TextColumn(width=55),
    "created": st.column_config.DatetimeColumn(format="YYYY-MM-DD HH:mm", width=125),
}


# Row height (px) at which a table's text cells wrap onto three lines instead of being cut (Streamlit
# wraps cells in rows taller than 4rem): for tables with long titles or sentences.
WRAP_ROW_HEIGHT = 68
WRAP4_ROW_HEIGHT = 104  # ... onto four lines (long explanations in a narrow column)

# The header row of a table, in px (Streamlit's), for `table_height`.
_HEADER_HEIGHT = 36


def table_height(n_rows: int, row_height: int, max_rows: int = 15) -> int:
    """The height (px) that shows `n_rows` rows `row_height` tall, up to `max_rows` (then the
    table scrolls)."""
    return _HEADER_HEIGHT + min(max(n_rows, 1), max_rows) * row_height + 2


def shown(table: pd.DataFrame) -> pd.DataFrame:
    """A table as a page shows it: its genres ("A|B", as in the CSV) as lists, one pill each."""
    if "genres" not in table or not len(table):
        return table
    return table.assign(genres=[g.split("|") if g else [] for g in table["genres"].astype(str)])


# How many matches the picker lists under its search field, best first.
MATCHES = 20


def movie_picker(
    ds: Dataset,
    label: str,
    *,
    key: str,
    placeholder: str = "Type a title: typos, 'The …', a year are fine",
    help: str | None = None,
) -> int | None:
    """Search as you type for a movie; returns the chosen item index or None.

    A search field (it runs a pause after each keystroke) and, under it, its best matches from
    the core's forgiving title search (`collab_core.titles`), each with year and number of
    ratings. A new search chooses its best match at once; the list offers the others. A search
    that matches nothing says so, chooses nothing and lists the closest titles. Only the
    matches travel to the browser, however large the catalogue. The chosen index is kept under
    `key`; `state.set_pick` changes it from a callback.
    """
    titles = _title_index(ds.fingerprint, ds.items)
    qkey = state.picker_query_key(key)
    query = st.text_input(
        label,
        key=qkey,
        placeholder=placeholder,
        help=help,
        live=True,
        on_change=_choose_best,
        args=(titles, key, qkey),
    )
    query = (query or "").strip()
    found = titles.search(query, MATCHES)
    chosen = st.session_state.get(key)
    if query and found.empty:
        closest = titles.closest(query, 5)
        st.warning(
            f"No movie matches “{query}”. Closest titles: "
            + "; ".join(closest["title"])
            + ". Pick one below or change the search.",
            icon=":material/search_off:",
        )
        found = closest
    elif query and chosen == found["item_index"].iloc[0] and found["match"].iloc[0] == "similar":
        st.caption(f"No title contains “{query}”: these are spelled most like it.")
    options = [int(i) for i in found["item_index"]]
    if chosen is not None and chosen not in options:
        options = [chosen, *options]  # what is chosen stays selectable (e.g. set by a button)
    return st.selectbox(
        f"{label}: matches",
        options,
        index=None,
        key=key,
        format_func=lambda i: describe_movie(ds, i),
        placeholder="Choose one of the closest titles" if query else "Choose a movie",
        label_visibility="collapsed",
    )


def describe_movie(ds: Dataset, index: int) -> str:
    """'Hamlet (1996) · 90 ratings': enough to tell two movies of one title apart."""
    row = ds.items.iloc[index]
    title, year = str(row["title"]), row.get("year")
    if year is not None and not pd.isna(year) and f"({int(year)})" not in title:
        title += f" ({int(year)})"
    n = int(row["n_ratings"])
    return f"{title} · {n:,} rating{'s' if n != 1 else ''}"


def _choose_best(titles: TitleIndex, key: str, qkey: str) -> None:
    """on_change of the search field: choose its best match, or nothing when none matches."""
    query = (st.session_state.get(qkey) or "").strip()
    if query:
        found = titles.search(query, 1)
        st.session_state[key] = int(found["item_index"].iloc[0]) if len(found) else None


@st.cache_resource(show_spinner=False, max_entries=4)
def _title_index(fingerprint: str, _items: pd.DataFrame) -> TitleIndex:
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
