"""Ratings data: the `Dataset` object and readers for CSV/TSV/Parquet and the GroupLens layouts."""

from __future__ import annotations

import csv
import hashlib
import io
import os
import re
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

import numpy as np
import pandas as pd

from .errors import DataError

Progress = Callable[[float, str], None]
Source = str | os.PathLike | bytes | BinaryIO

# Column names users' files use, normalised (lower case, letters and digits only).
COLUMN_ALIASES: dict[str, tuple[str, ...]] = {
    "user_id": ("userid", "user", "uid", "users", "reviewerid", "customerid"),
    "item_id": ("movieid", "itemid", "item", "movie", "iid", "items", "productid", "asin"),
    "rating": ("rating", "ratings", "score", "stars", "rate", "value"),
    "timestamp": ("timestamp", "time", "ts", "date", "datetime", "unixreviewtime"),
}
ITEM_COLUMN_ALIASES: dict[str, tuple[str, ...]] = {
    "item_id": ("movieid", "itemid", "item", "movie", "id", "iid", "productid", "asin"),
    "title": ("title", "movietitle", "name", "itemname", "moviename"),
    "genres": ("genres", "genre", "class", "category", "categories"),
    "year": ("year", "releaseyear"),
}
# Reading a text table takes several times its size in memory while pandas parses it.
MEMORY_FACTOR = {"text": 4.0, "parquet": 10.0}
_YEAR_IN_TITLE = re.compile(r"\((\d{4})\)\s*$")


def _norm(name: object) -> str:
    return re.sub(r"[^a-z0-9]", "", str(name).lower())


@dataclass(frozen=True, eq=False)
class Dataset:
    """Ratings plus item metadata, contiguous index encoders and a content fingerprint.

    `ratings` has columns user_id, item_id, rating (float32), timestamp (int64 seconds, 0 if unknown).
    `items` has one row per item that has ratings, in index order (row i is item index i): item_id,
    title, year (nullable Int64), genres (list of str), n_ratings, mean_rating.
    """

    name: str
    ratings: pd.DataFrame
    items: pd.DataFrame
    source: str
    notes: tuple[str, ...] = ()
    user_ids: pd.Index = field(init=False, repr=False)
    item_ids: pd.Index = field(init=False, repr=False)
    rating_scale: tuple[float, float] = field(init=False)
    fingerprint: str = field(init=False)

    def __post_init__(self) -> None:
        user_ids = pd.Index(np.sort(self.ratings["user_id"].unique()), name="user_id")
        item_ids = pd.Index(self.items["item_id"].to_numpy(), name="item_id")
        r = self.ratings["rating"]
        object.__setattr__(self, "user_ids", user_ids)
        object.__setattr__(self, "item_ids", item_ids)
        object.__setattr__(self, "rating_scale", (float(r.min()), float(r.max())))
        object.__setattr__(self, "fingerprint", fingerprint(self.ratings, self.items))

    @property
    def n_users(self) -> int:
        return len(self.user_ids)

    @property
    def n_items(self) -> int:
        return len(self.item_ids)

    def user_index(self, ids) -> np.ndarray:
        """Contiguous index of each user id; -1 for ids this data set does not have."""
        return self.user_ids.get_indexer(pd.Index(np.asarray(ids))).astype(np.int64)

    def item_index(self, ids) -> np.ndarray:
        """Contiguous index of each item id; -1 for ids this data set does not have."""
        return self.item_ids.get_indexer(pd.Index(np.asarray(ids))).astype(np.int64)

    def encode(self, ratings: pd.DataFrame) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(user index, item index, rating) arrays for a ratings frame; unknown ids map to -1."""
        return (
            self.user_index(ratings["user_id"]),
            self.item_index(ratings["item_id"]),
            ratings["rating"].to_numpy(np.float32),
        )

    def summary(self) -> dict:
        """Plain figures for the CLI and the Home page."""
        n = len(self.ratings)
        lo, hi = self.rating_scale
        return {
            "name": self.name,
            "source": self.source,
            "ratings": n,
            "users": self.n_users,
            "items": self.n_items,
            "rating_min": lo,
            "rating_max": hi,
            "rating_mean": round(float(self.ratings["rating"].mean()), 4),
            "sparsity": round(1.0 - n / max(1, self.n_users * self.n_items), 6),
            "fingerprint": self.fingerprint,
            "notes": list(self.notes),
        }


def fingerprint(ratings: pd.DataFrame, items: pd.DataFrame) -> str:
    """A short content hash: the same data gives the same value in every process."""
    h = hashlib.sha256()
    # Raw bytes of canonical dtypes: several times faster than hash_pandas_object at 25M ratings
    # (it dominated make_dataset there), and int32 or int64 ids give the same value.
    for col, dtype in (
        ("user_id", np.int64),
        ("item_id", np.int64),
        ("rating", np.float32),
        ("timestamp", np.int64),
    ):
        a = ratings[col].to_numpy()
        if a.dtype == object or not np.issubdtype(a.dtype, np.number):  # string ids
            a = pd.util.hash_array(np.asarray(a, dtype=object)).view(np.int64)
        h.update(np.ascontiguousarray(a, dtype=dtype).data)
    h.update(
        pd.util.hash_pandas_object(items[["item_id", "title"]], index=False).to_numpy().tobytes()
    )
    return h.hexdigest()[:16]


def make_dataset(
    ratings: pd.DataFrame,
    items: pd.DataFrame | None = None,
    *,
    name: str = "ratings",
    source: str = "",
    notes: tuple[str, ...] | list[str] = (),
) -> Dataset:
    """Build a `Dataset` from standard-column frames (see `Dataset`); `items` may be partial or None."""
    notes = list(notes)
    ratings = ratings.reset_index(drop=True)
    counts = ratings.groupby("item_id", sort=True)["rating"].agg(["size", "mean"])
    table = pd.DataFrame({"item_id": counts.index.to_numpy()})
    if items is not None and len(items):
        items = items.drop_duplicates("item_id", keep="first").set_index("item_id")
        known = counts.index.isin(items.index)
        if not known.any():
            raise DataError(
                "The items file shares no item ids with the ratings "
                f"(ratings use ids like {_examples(counts.index)}; the items file has "
                f"{_examples(items.index)}). Check that it belongs to this ratings file and "
                "that its id column is the one the ratings use."
            )
        if not known.all():
            notes.append(
                f"{int((~known).sum())} rated items have no entry in the items file; "
                "they are shown by id."
            )
        meta = items.reindex(counts.index)
    else:
        meta = pd.DataFrame(index=counts.index)
    titles = meta["title"] if "title" in meta else pd.Series(index=counts.index, dtype=object)
    table["title"] = [
        str(t) if isinstance(t, str) and t.strip() else f"Item {i}"
        for i, t in zip(counts.index, titles.to_numpy(), strict=True)
    ]
    year = meta["year"] if "year" in meta else pd.Series(pd.NA, index=counts.index)
    table["year"] = pd.array(pd.to_numeric(year, errors="coerce").to_numpy(), dtype="Int64")
    genres = (
        meta["genres"] if "genres" in meta else pd.Series(None, index=counts.index, dtype=object)
    )
    table["genres"] = [list(g) if isinstance(g, (list, tuple, np.ndarray)) else [] for g in genres]
    table["n_ratings"] = counts["size"].to_numpy(np.int64)
    table["mean_rating"] = counts["mean"].to_numpy(np.float64)
    return Dataset(name=name, ratings=ratings, items=table, source=source, notes=tuple(notes))


def _examples(index, n: int = 3) -> str:
    return ", ".join(repr(v) for v in list(index[:n]))


# ---------------------------------------------------------------------------------------------
# Reading files


def _read_head(source: Source, n: int = 65536) -> bytes:
    if isinstance(source, bytes):
        return source[:n]
    if hasattr(source, "read"):
        pos = source.tell()
        head = source.read(n)
        source.seek(pos)
        return head
    try:
        with open(source, "rb") as f:
            return f.read(n)
    except OSError as exc:
        raise DataError(
            f"{source} cannot be read ({exc.strerror or exc}). Check the path and "
            "that you may read the file."
        ) from None


def _size_of(source: Source) -> int:
    if isinstance(source, bytes):
        return len(source)
    if hasattr(source, "read"):
        pos = source.tell()
        source.seek(0, os.SEEK_END)
        size = source.tell() - pos
        source.seek(pos)
        return size
    return os.path.getsize(source)


def _display_name(source: Source, name: str | None) -> str:
    if name:
        return name
    if isinstance(source, (str, os.PathLike)):
        return Path(source).name
    return getattr(source, "name", None) or "the uploaded file"


def available_memory() -> int:
    """Bytes of memory this process can still use (MemAvailable on Linux)."""
    try:
        with open("/proc/meminfo") as f:
            for line in f:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    try:
        return os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (ValueError, OSError, AttributeError):
        return 1 << 40


def _human(n: float) -> str:
    for unit in ("bytes", "KB", "MB", "GB"):
        if n < 1000 or unit == "GB":
            return f"{n:,.0f} {unit}" if unit == "bytes" else f"{n:,.1f} {unit}"
        n /= 1000
    return f"{n:,.1f} TB"  # unreachable; keeps type checkers quiet


def _check_fits(size: int, kind: str, display: str, max_bytes: int | None) -> None:
    need = size * MEMORY_FACTOR[kind]
    limit = max_bytes if max_bytes is not None else available_memory()
    if need > limit:
        raise DataError(
            f"{display} is too large for memory: it is {_human(size)}, which needs about "
            f"{_human(need)} to load, but only {_human(limit)} is available. Use a smaller sample "
            "of the file (for example the first few million rows), or a machine with more memory."
        )


def _sniff_encoding(head: bytes, display: str, encoding: str | None) -> str:
    if head[:4] == b"PK\x03\x04":
        raise DataError(
            f"{display} is a zip archive (or an Excel workbook), not a text table. Extract the "
            "CSV file from it, or save the sheet as CSV, and load that."
        )
    if encoding:
        try:
            head.decode(encoding)
        except UnicodeDecodeError as exc:
            if exc.start < len(head) - 4:  # a multi-byte character cut at the end is fine
                raise DataError(
                    f"{display} is not valid {encoding} text (byte {exc.start}). Save it as "
                    "UTF-8, or give the encoding it was written in."
                ) from None
        except LookupError:
            raise DataError(
                f"Unknown text encoding {encoding!r}; try 'utf-8' or 'latin-1'."
            ) from None
        # 8-bit encodings decode anything; NULs then mean UTF-16 (or binary) read the wrong way.
        if b"\x00" in head and "\x00" in head.decode(encoding, errors="ignore"):
            raise DataError(
                f"{display} is not {encoding} text (it contains NUL bytes, as UTF-16 or binary "
                "files do). Give its real encoding, e.g. 'utf-16', or save it as UTF-8 CSV."
            )
        return encoding
    if head[:2] in (b"\xff\xfe", b"\xfe\xff"):
        return "utf-16"
    if b"\x00" in head:
        raise DataError(
            f"{display} is not a text table in a known encoding (it contains NUL bytes: it is "
            "UTF-16 without a byte-order mark, or a binary file). Save it as UTF-8 CSV."
        )
    try:
        head.decode("utf-8")
        return "utf-8-sig"
    except UnicodeDecodeError as exc:
        if exc.start >= len(head) - 4:
            return "utf-8-sig"
    # GroupLens' own files (u.item, movies.dat) are Latin-1; any 8-bit text without NULs reads so.
    return "latin-1"


def _sniff_separator(lines: list[str]) -> str:
    if lines and "::" in lines[0]:
        return "::"
    best, best_count = ",", 0
    for sep in ("\t", ",", ";", "|"):
        counts = [len(next(csv.reader([ln], delimiter=sep))) - 1 for ln in lines[:20]]
        if counts and min(counts) > 0 and len(set(counts)) == 1 and counts[0] > best_count:
            best, best_count = sep, counts[0]
    if best_count == 0:
        for sep in ("\t", ",", ";", "|"):
            if any(sep in ln for ln in lines):
                return sep
        if lines and len(lines[0].split()) > 1:
            return r"\s+"
    return best


def _looks_numeric(field: str) -> bool:
    try:
        float(field)
        return True
    except ValueError:
        return False


_KNOWN_NAMES = {
    alias
    for table in (COLUMN_ALIASES, ITEM_COLUMN_ALIASES)
    for role, aliases in table.items()
    for alias in (_norm(role), *aliases)
}


def _is_header(fields: list[str]) -> bool:
    """A first line is a header when it names a known column or holds no number at all.

    (Data lines always hold a number: the rating, or an item's id; a title alone does not decide.)
    """
    return any(_norm(f) in _KNOWN_NAMES for f in fields) or not any(map(_looks_numeric, fields))


def _read_table(
    source: Source,
    display: str,
    encoding: str | None,
    positional: list[str],
    max_bytes: int | None,
) -> tuple[pd.DataFrame, list[str]]:
    """Read a delimited text or Parquet table; returns the frame and notes about how it was read."""
    notes: list[str] = []
    head = _read_head(source)
    size = _size_of(source)
    if size == 0 or not head.strip():
        raise DataError(
            f"{display} is empty. Choose a file with a header row and one rating per line."
        )
    if head[:4] == b"PAR1":
        _check_fits(size, "parquet", display, max_bytes)
        try:
            data = source if not isinstance(source, bytes) else io.BytesIO(source)
            return pd.read_parquet(data), notes
        except MemoryError:
            raise DataError(f"{display} is too large to load into memory.") from None
        except Exception as exc:  # pyarrow raises several types for a damaged file
            raise DataError(f"{display} is not a readable Parquet file ({exc}).") from None
    _check_fits(size, "text", display, max_bytes)
    enc = _sniff_encoding(head, display, encoding)
    if enc == "latin-1" and encoding is None:
        notes.append(f"{display} is not UTF-8; it was read as Latin-1.")
    text_head = head.decode(enc, errors="ignore")
    lines = [
        ln for ln in text_head.splitlines()[: -1 if len(head) == 65536 else None] if ln.strip()
    ]
    if not lines:
        raise DataError(f"{display} has no data lines.")
    sep = _sniff_separator(lines)
    split = re.split(r"\s+", lines[0].strip()) if sep == r"\s+" else lines[0].split(sep)
    has_header = _is_header([f.strip().strip('"') for f in split])
    if isinstance(source, bytes):
        raw: bytes | None = source
    elif hasattr(source, "read"):
        raw = source.read()
    else:
        raw = None
    if sep == "::":  # the C parser only takes one-character separators; ml-1m/10m use '::'
        if raw is None:
            with open(source, "rb") as f:
                raw = f.read()
        raw = raw.replace(b"::", b"\t")
        sep = "\t"
    data = io.BytesIO(raw) if raw is not None else source
    names = None
    if not has_header:
        names = positional[: len(split)] + [
            f"extra_{i}" for i in range(len(split) - len(positional))
        ]

    def parse(enc: str) -> pd.DataFrame:
        return pd.read_csv(
            data,
            sep=sep,
            header=0 if has_header else None,
            names=names,
            encoding=enc,
            engine="python" if sep == r"\s+" else "c",
            skipinitialspace=True,
            on_bad_lines="error",
        )

    try:
        try:
            df = parse(enc)
        except UnicodeDecodeError:
            # The sniffed head was UTF-8 but a later line is not: 8-bit text reads as Latin-1.
            if encoding is not None or enc != "utf-8-sig":
                raise
            if raw is None:
                with open(source, "rb") as f:
                    raw = f.read()
            data = io.BytesIO(raw)
            enc = "latin-1"
            df = parse(enc)
            notes.append(f"{display} is not UTF-8; it was read as Latin-1.")
    except UnicodeDecodeError as exc:
        raise DataError(
            f"{display} is not valid {enc} text ({exc.reason} at byte {exc.start}). Save it as UTF-8."
        ) from None
    except pd.errors.EmptyDataError:
        raise DataError(
            f"{display} is empty. Choose a file with a header row and one rating per line."
        ) from None
    except pd.errors.ParserError as exc:
        raise DataError(
            f"{display} could not be parsed as a table: {exc}. Check the separator "
            "and that every line has the same number of fields."
        ) from None
    except MemoryError:
        raise DataError(
            f"{display} is too large to load into memory; use a smaller sample."
        ) from None
    if df.empty:
        raise DataError(f"{display} has a header but no rows.")
    return df, notes


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


def _ids(series: pd.Series) -> pd.Series:
    """Integer ids when every id is a whole number, else strings."""
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
) -> tuple[pd.DataFrame, list[str]]:
    """Read a ratings file into standard columns; returns (ratings, notes).

    `mapping` names the file's columns for roles detection cannot find, e.g.
    ``{"user_id": "customer", "item_id": "sku", "rating": "stars"}``. Duplicate (user, item) pairs
    keep the latest rating (by timestamp, else the last line), and a note says how many went.
    """
    display = _display_name(source, name)
    mapping = dict(mapping or {})
    unknown_roles = set(mapping) - set(COLUMN_ALIASES)
    if unknown_roles:
        raise DataError(
            f"Unknown column roles {sorted(unknown_roles)}; use {list(COLUMN_ALIASES)}."
        )
    df, notes = _read_table(source, display, encoding, list(COLUMN_ALIASES), max_bytes)
    cols: dict[str, str] = {}
    for role, aliases in COLUMN_ALIASES.items():
        col = _find_column(df.columns, aliases, mapping.get(role), role, display)
        if col is None and role != "timestamp":
            raise DataError(
                f"{display} has no {role.replace('_id', '')} column (its columns are "
                f"{[str(c) for c in df.columns]}). Name it one of {', '.join(aliases[:3])}, or "
                f"map it explicitly: mapping={{'{role}': '<your column>'}}."
            )
        if col is not None:
            cols[role] = col
    out = pd.DataFrame({role: df[col] for role, col in cols.items()})
    rows = pd.Series(np.arange(len(out)) + 2, index=out.index)  # line numbers, header = line 1

    for role in ("user_id", "item_id"):
        missing = out[role].isna()
        if missing.any():
            raise DataError(
                f"{display}: {int(missing.sum())} rows have no {role} "
                f"(first on line {rows[missing].iloc[0]}). Fill them in or remove them."
            )
        out[role] = _ids(out[role])

    raw = out["rating"]
    rating = pd.to_numeric(raw, errors="coerce")
    empty = raw.isna() | (raw.astype(str).str.strip() == "")
    bad = rating.isna() & ~empty
    if bad.any():
        first = bad.idxmax()
        raise DataError(
            f"{display}: {int(bad.sum())} ratings are not numbers (first on line {rows[first]}: "
            f"{raw[first]!r}). Ratings must be numeric, like 4 or 3.5."
        )
    if empty.any() or not np.isfinite(rating).all():
        nan = rating.isna() | ~np.isfinite(rating.fillna(0))
        raise DataError(
            f"{display}: {int(nan.sum())} ratings are empty or NaN (first on line "
            f"{rows[nan].iloc[0]}). Remove those rows or give them a rating."
        )
    out["rating"] = rating.astype(np.float32)

    if "timestamp" in out:
        out["timestamp"] = _timestamps(out["timestamp"], display)
    else:
        out["timestamp"] = np.zeros(len(out), dtype=np.int64)

    if out["rating"].nunique() < 2:
        raise DataError(
            f"{display}: every rating is {out['rating'].iloc[0]:g}; a model needs at "
            "least two different rating values to learn anything."
        )
    out = out[["user_id", "item_id", "rating", "timestamp"]]
    dup = out.duplicated(["user_id", "item_id"], keep=False)
    if dup.any():
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


def _timestamps(col: pd.Series, display: str) -> pd.Series:
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


def read_items(
    source: Source,
    *,
    name: str | None = None,
    encoding: str | None = None,
    max_bytes: int | None = None,
) -> tuple[pd.DataFrame, list[str]]:
    """Read an items file (id, title, optional genres and year); returns (items, notes)."""
    display = _display_name(source, name)
    df, notes = _read_table(source, display, encoding, ["item_id", "title", "genres"], max_bytes)
    if _is_u_item(df):
        return _from_u_item(df), notes
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
        {"item_id": _ids(df[cols["item_id"]]), "title": df[cols["title"]].astype(str).str.strip()}
    )
    year = df[cols["year"]] if cols["year"] else pd.Series(pd.NA, index=df.index)
    year = pd.to_numeric(year, errors="coerce")
    from_title = pd.to_numeric(items["title"].str.extract(_YEAR_IN_TITLE)[0], errors="coerce")
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
    return items, notes


def _is_u_item(df: pd.DataFrame) -> bool:
    """A headerless ML-100k u.item: id|title|release|video|url then 19 0/1 genre flags."""
    if df.shape[1] != 24 or df.columns[0] != "item_id":
        return False
    flags = df.iloc[:, 5:]
    return bool(flags.isin([0, 1]).all().all())


def _from_u_item(df: pd.DataFrame) -> pd.DataFrame:
    from .movielens import GENRES  # movielens imports this module; import here, not at the top

    flags = df.iloc[:, 5:].to_numpy(bool)
    release = pd.to_datetime(df.iloc[:, 2], format="%d-%b-%Y", errors="coerce")
    return pd.DataFrame(
        {
            "item_id": _ids(df["item_id"]),
            "title": df["title"].astype(str).str.strip(),
            "year": release.dt.year.astype("Int64"),
            "genres": [[g for g, on in zip(GENRES, row, strict=True) if on] for row in flags],
        }
    )


def split_genres(value) -> list[str]:
    """'Action|Comedy' or 'Action, Comedy' -> ['Action', 'Comedy']; '(no genres listed)' -> [].

    Spaces do not separate genres: "Science Fiction" is one genre.
    """
    if not isinstance(value, str) or not value.strip() or value.startswith("(no genres"):
        return []
    sep = "|" if "|" in value else ","
    return [g.strip() for g in value.split(sep) if g.strip()]


# ---------------------------------------------------------------------------------------------
# Entry points


def load_ratings_file(
    ratings: Source,
    items: Source | None = None,
    *,
    ratings_name: str | None = None,
    items_name: str | None = None,
    mapping: dict[str, str] | None = None,
    encoding: str | None = None,
    max_bytes: int | None = None,
    name: str | None = None,
) -> Dataset:
    """A `Dataset` from a ratings file (path, bytes or file object) and an optional items file.

    The data set is called `name`, else after the ratings file.
    """
    display = _display_name(ratings, ratings_name)
    r, notes = read_ratings(
        ratings, name=ratings_name, mapping=mapping, encoding=encoding, max_bytes=max_bytes
    )
    it = None
    if items is not None:
        it, item_notes = read_items(items, name=items_name, encoding=encoding, max_bytes=max_bytes)
        notes += item_notes
    source = str(ratings) if isinstance(ratings, (str, os.PathLike)) else display
    return make_dataset(r, it, name=name or Path(display).stem, source=source, notes=notes)


def load_dataset(
    path: str | os.PathLike | None = None,
    *,
    items: str | os.PathLike | None = None,
    mapping: dict[str, str] | None = None,
    progress: Progress | None = None,
) -> Dataset:
    """The data set at `path`, or MovieLens 100k when `path` is None.

    `path` may be a ratings file, or a folder in a GroupLens layout: ml-100k (u.data, u.item),
    ml-1m/10m (ratings.dat, movies.dat) or ml-latest(-small)/ml-25m (ratings.csv, movies.csv).
    A ratings file with a movies file beside it in the same layout picks that up too.
    """
    if path is None:
        from .movielens import load_movielens_100k

        return load_movielens_100k(progress=progress)
    p = Path(path).expanduser()
    if not p.exists():
        raise DataError(
            f"{p} does not exist. Give the path of a ratings file or a MovieLens folder."
        )
    if items is not None and not Path(items).expanduser().is_file():
        raise DataError(
            f"The items file {items} does not exist. Give the path of a file with "
            "item ids and titles, or leave it out."
        )
    if p.is_dir():
        return _load_folder(p, items, mapping)
    if items is None:
        for candidate in ("movies.csv", "movies.dat", "u.item"):
            sibling = p.with_name(candidate)
            if sibling.exists() and sibling != p:
                try:
                    return _load_file(p, sibling, mapping)
                except DataError as exc:
                    if "shares no item ids" not in str(exc):
                        raise
                    raise DataError(
                        f"{candidate} beside {p.name} was taken as its items file, but: {exc} "
                        "Give the right items file explicitly, or move that one away."
                    ) from None
    return _load_file(p, items, mapping)


def _load_file(p: Path, items, mapping) -> Dataset:
    if items is not None and Path(items).name == "u.item":  # GroupLens' own '|' layout
        from .movielens import read_grouplens_100k_items

        r, notes = read_ratings(p, mapping=mapping)
        return make_dataset(
            r,
            read_grouplens_100k_items(Path(items).read_bytes()),
            name=p.parent.name or p.stem,
            source=str(p),
            notes=notes,
        )
    if items is not None and Path(items).suffix == ".dat":
        r, notes = read_ratings(p, mapping=mapping)
        return make_dataset(
            r,
            read_dat_movies(Path(items)),
            name=p.parent.name or p.stem,
            source=str(p),
            notes=notes,
        )
    # ml-latest / ml-25m's ratings.csv is named after its folder, like the other GroupLens layouts.
    name = p.parent.name if p.name == "ratings.csv" and p.parent.name else None
    return load_ratings_file(p, items, mapping=mapping, name=name)


def _load_folder(folder: Path, items, mapping) -> Dataset:
    for ratings_name in ("u.data", "ratings.dat", "ratings.csv"):
        if (folder / ratings_name).exists():
            return load_dataset(folder / ratings_name, items=items, mapping=mapping)
    raise DataError(
        f"{folder} holds no ratings file this app knows (u.data, ratings.dat or "
        "ratings.csv). Give the ratings file's path instead."
    )


def read_dat_movies(path: Path) -> pd.DataFrame:
    """ml-1m / ml-10m `movies.dat`: MovieID::Title::Genres, Latin-1 (ml-1m) or UTF-8 (ml-10m)."""
    raw = path.read_bytes()
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        text = raw.decode("latin-1")
    rows = [ln.split("::") for ln in text.splitlines() if ln.strip()]
    bad = [i + 1 for i, r in enumerate(rows) if len(r) != 3]
    if bad:
        raise DataError(f"{path.name}: line {bad[0]} is not MovieID::Title::Genres.")
    items = pd.DataFrame(rows, columns=["item_id", "title", "genres"])
    items["item_id"] = _ids(items["item_id"])
    items["year"] = pd.to_numeric(items["title"].str.extract(_YEAR_IN_TITLE)[0], errors="coerce")
    items["genres"] = [split_genres(g) for g in items["genres"]]
    return items
