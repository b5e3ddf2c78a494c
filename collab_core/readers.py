"""Ratings and items from users' table files: finding the columns, checking the values, ids.

How a file is opened (compressed or not) is `archives`; how its text is sniffed and parsed, `tables`.
"""

from __future__ import annotations

import re
import warnings

import numpy as np
import pandas as pd

from . import scales
from .archives import Source as Source
from .archives import display_name as display_name
from .archives import human_bytes as human_bytes
from .errors import DataError, MissingColumnError
from .sniff import COLUMN_ALIASES as COLUMN_ALIASES
from .sniff import ITEM_COLUMN_ALIASES as ITEM_COLUMN_ALIASES
from .tables import ITEM_COLUMNS as ITEM_COLUMNS
from .tables import MEMORY_FACTOR as MEMORY_FACTOR
from .tables import PARSE_SHARE, Progress, quiet
from .tables import RATING_COLUMNS as RATING_COLUMNS
from .tables import available_memory as available_memory
from .tables import file_columns as file_columns
from .tables import read_table as read_table

YEAR_IN_TITLE = re.compile(r"\((\d{4})\)\s*$")


def _norm(name: object) -> str:
    return re.sub(r"[^a-z0-9]", "", str(name).lower())


def _find_column(columns, aliases: tuple[str, ...], mapped: str | None, role: str, display: str):
    if mapped is not None:
        if mapped not in columns:
            raise DataError(
                f"The column {mapped!r} given for {role} is not in {display}; "
                f"its columns are {list(columns)}."
            )
        return mapped
    by_norm = {_norm(c): c for c in columns}
    for alias in aliases:
        if alias in by_norm:
            return by_norm[alias]
    return None


def to_ids(series: pd.Series) -> pd.Series:
    """Integer ids when every id is a whole number, else strings."""
    if pd.api.types.is_integer_dtype(series):
        return series.astype(np.int64)
    num = pd.to_numeric(series, errors="coerce")
    if num.notna().all() and (num == np.floor(num)).all():
        return num.astype(np.int64)
    return series.astype(str).str.strip()


def read_ratings(
    source: Source,
    *,
    name: str | None = None,
    mapping: dict[str, str] | None = None,
    encoding: str | None = None,
    max_bytes: int | None = None,
    scale: tuple[float, float] | None = None,
    progress: Progress | None = None,
) -> tuple[pd.DataFrame, list[str]]:
    """Read a ratings file into standard columns; returns (ratings, notes).

    `mapping` names the file's columns for roles detection cannot find, e.g.
    ``{"user_id": "customer", "item_id": "sku", "rating": "stars"}``. Duplicate (user, item) pairs
    keep the latest rating (by timestamp, else the last line), and a note says how many went.
    Ratings must look like one rating scale, or fit `scale` (lo, hi) when it is given
    (`scales.check_ratings`).
    """
    display = display_name(source, name)
    mapping = dict(mapping or {})
    progress = quiet(progress)
    unknown_roles = set(mapping) - set(COLUMN_ALIASES)
    if unknown_roles:
        raise DataError(
            f"Unknown column roles {sorted(unknown_roles)}; use {list(COLUMN_ALIASES)}."
        )

    def floats(names: list[str]) -> list[str]:  # the rating column, read as floats throughout
        col = mapping.get("rating") or _find_column(names, COLUMN_ALIASES["rating"], None, "", "")
        return [col] if col in names else []

    df, notes = read_table(
        source, display, encoding, RATING_COLUMNS, max_bytes, floats=floats, progress=progress
    )
    first_line = df.attrs.get("first_line", 2)
    if progress is not None:
        progress(PARSE_SHARE, f"Checking the ratings in {display}…")
    cols: dict[str, str] = {}
    for role, aliases in COLUMN_ALIASES.items():
        col = _find_column(df.columns, aliases, mapping.get(role), role, display)
        if col is None and role != "timestamp":
            columns = [str(c) for c in df.columns]
            raise MissingColumnError(
                f"{display} has no {role.replace('_id', '')} column (its columns are "
                f"{columns}). Rename the column that holds them to one of "
                f"{', '.join(aliases[:3])}.",
                file=display,
                role=role,
                columns=columns,
            )
        if col is not None:
            cols[role] = col
    out = pd.DataFrame({role: df[col] for role, col in cols.items()}, copy=False)
    del df

    def line(mask) -> int:  # the file line of the first row where `mask` holds
        return first_line + int(np.argmax(np.asarray(mask)))

    for role in ("user_id", "item_id"):
        missing = out[role].isna()
        if missing.any():
            raise DataError(
                f"{display}: {int(missing.sum())} rows have no {role} "
                f"(first on line {line(missing)}). Fill them in or remove them."
            )
        out[role] = to_ids(out[role])

    raw = out["rating"]
    if pd.api.types.is_numeric_dtype(raw) and not pd.api.types.is_bool_dtype(raw):
        rating = raw  # parsed as numbers already: only NaN can be wrong
    else:
        rating = pd.to_numeric(raw, errors="coerce")
        empty = raw.isna() | (raw.astype(str).str.strip() == "")
        bad = rating.isna() & ~empty
        if bad.any():
            first = int(np.argmax(bad.to_numpy()))
            raise DataError(
                f"{display}: {int(bad.sum())} ratings are not numbers (first on line "
                f"{first_line + first}: {raw.iloc[first]!r}). Ratings must be numeric, like 4 or 3.5."
            )
    if rating.dtype == np.float32:  # read as float32 already (the compiled parser): no copy
        values = rating.to_numpy()
    else:
        values = rating.to_numpy(dtype=np.float64, na_value=np.nan)
    nan = ~np.isfinite(values)
    if nan.any():
        raise DataError(
            f"{display}: {int(nan.sum())} ratings are empty or NaN (first on line "
            f"{line(nan)}). Remove those rows or give them a rating."
        )
    del nan
    out["rating"] = values.astype(np.float32, copy=False)
    del values, raw, rating

    if "timestamp" in out:
        out["timestamp"] = _timestamps(out["timestamp"], display)
    else:
        out["timestamp"] = np.zeros(len(out), dtype=np.int64)

    r = out["rating"].to_numpy()
    if r.min() == r.max():
        raise DataError(
            f"{display}: every rating is {r[0]:g}; a model needs at "
            "least two different rating values to learn anything."
        )
    scales.check_ratings(r, display, first_line, scale)
    if _has_duplicates(out):
        before = len(out)
        out = (
            out.reset_index(drop=True)
            .rename_axis("line")
            .reset_index()
            .sort_values(["timestamp", "line"], kind="stable")
            .drop_duplicates(["user_id", "item_id"], keep="last")
            .sort_values("line")
            .drop(columns="line")
        )
        notes.append(
            f"{before - len(out):,} duplicate (user, item) ratings were found; the latest "
            "rating of each pair was kept."
        )
    return out.reset_index(drop=True), notes


def _has_duplicates(out: pd.DataFrame) -> bool:
    """Whether a (user, item) pair comes twice; fast for integer ids in sorted order (GroupLens')."""
    u, i = out["user_id"].to_numpy(), out["item_id"].to_numpy()
    if u.dtype.kind == "i" and i.dtype.kind == "i" and _pairs_increase(u, i):
        return False
    return bool(out.duplicated(["user_id", "item_id"]).any())


def _pairs_increase(u: np.ndarray, i: np.ndarray, chunk: int = 1 << 20) -> bool:
    """Whether the (u, i) pairs strictly increase (then none comes twice); a chunk at a time, so
    the temporaries stay small."""
    for start in range(1, len(u), chunk):
        stop = min(start + chunk, len(u))
        step = u[start:stop] - u[start - 1 : stop - 1]
        if (step < 0).any() or ((step == 0) & (i[start:stop] <= i[start - 1 : stop - 1])).any():
            return False
    return True


def _timestamps(col: pd.Series, display: str) -> pd.Series:
    if pd.api.types.is_integer_dtype(col):
        return col.astype(np.int64)
    num = pd.to_numeric(col, errors="coerce")
    if num.notna().mean() > 0.99:
        return num.fillna(0).astype(np.int64)
    with warnings.catch_warnings():  # pandas warns when it cannot infer one format; we check below
        warnings.simplefilter("ignore", UserWarning)
        dates = pd.to_datetime(col, errors="coerce", utc=True)
    if dates.notna().mean() > 0.99:
        return (
            ((dates - pd.Timestamp(0, tz="UTC")) // pd.Timedelta(seconds=1))
            .fillna(0)
            .astype(np.int64)
        )
    raise DataError(
        f"{display}: the timestamp column holds values that are neither numbers nor "
        f"dates (e.g. {col[num.isna()].iloc[0]!r}). Fix them or drop the column."
    )


def items_from_table(df: pd.DataFrame, display: str) -> pd.DataFrame:
    """Standard items (item_id, title, year, genres if given) from a table read by `read_table`.

    Columns are found by name (`ITEM_COLUMN_ALIASES`); a year found in a title, "Heat (1995)", fills
    `year`, and a year given as a column is added to its title.
    """
    cols = {
        role: _find_column(df.columns, aliases, None, role, display)
        for role, aliases in ITEM_COLUMN_ALIASES.items()
    }
    if cols["item_id"] is None or cols["title"] is None:
        raise DataError(
            f"The items file {display} needs an id and a title column (its columns are "
            f"{[str(c) for c in df.columns]}). Name them movieId/item_id and title."
        )
    items = pd.DataFrame(
        {"item_id": to_ids(df[cols["item_id"]]), "title": df[cols["title"]].astype(str).str.strip()}
    )
    year = df[cols["year"]] if cols["year"] else pd.Series(pd.NA, index=df.index)
    year = pd.to_numeric(year, errors="coerce")
    from_title = pd.to_numeric(items["title"].str.extract(YEAR_IN_TITLE)[0], errors="coerce")
    items["year"] = year.fillna(from_title)
    # Titles read like "Toy Story (1995)" even when the year came as its own column.
    add_year = from_title.isna() & items["year"].notna()
    items.loc[add_year, "title"] = (
        items.loc[add_year, "title"]
        + " ("
        + items.loc[add_year, "year"].astype(int).astype(str)
        + ")"
    )
    if cols["genres"]:
        items["genres"] = [split_genres(g) for g in df[cols["genres"]]]
    return items


def split_genres(value) -> list[str]:
    """'Action|Comedy' or 'Action, Comedy' -> ['Action', 'Comedy']; '(no genres listed)' -> [].

    Spaces do not separate genres: "Science Fiction" is one genre.
    """
    if not isinstance(value, str) or not value.strip() or value.startswith("(no genres"):
        return []
    sep = "|" if "|" in value else ","
    return [g.strip() for g in value.split(sep) if g.strip()]
