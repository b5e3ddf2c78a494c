"""Reading users' table files: encoding, separator and header sniffing, column finding, validation."""

from __future__ import annotations

import csv
import io
import os
import re
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

import numpy as np
import pandas as pd

from .errors import DataError, MissingColumnError

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
# A headerless file's columns, in order.
RATING_COLUMNS = list(COLUMN_ALIASES)
ITEM_COLUMNS = ["item_id", "title", "genres"]
# Sniffing reads this much of a file.
_HEAD_BYTES = 65536
YEAR_IN_TITLE = re.compile(r"\((\d{4})\)\s*$")


def _norm(name: object) -> str:
    return re.sub(r"[^a-z0-9]", "", str(name).lower())


def _read_head(source: Source, n: int = _HEAD_BYTES) -> bytes:
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


def display_name(source: Source, name: str | None = None) -> str:
    """How messages name a file: `name` if given, else the path's file name."""
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


def human_bytes(n: float) -> str:
    """'512 bytes', '1.5 KB', '2.3 GB': decimal units, as file managers show sizes."""
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
            f"{display} is too large for memory: it is {human_bytes(size)}, which needs about "
            f"{human_bytes(need)} to load, but only {human_bytes(limit)} is available. Use a smaller sample "
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


@dataclass(frozen=True)
class _TextLayout:
    """What the head of a text table says about the whole file."""

    encoding: str
    sep: str
    first_line: str
    n_fields: int  # in the first line
    has_header: bool


def _sniff_text(head: bytes, display: str, encoding: str | None) -> _TextLayout:
    enc = _sniff_encoding(head, display, encoding)
    lines = head.decode(enc, errors="ignore").splitlines()
    if len(head) == _HEAD_BYTES:
        lines = lines[:-1]  # the head may end inside a line
    lines = [ln for ln in lines if ln.strip()]
    if not lines:
        raise DataError(f"{display} has no data lines.")
    sep = _sniff_separator(lines)
    split = re.split(r"\s+", lines[0].strip()) if sep == r"\s+" else lines[0].split(sep)
    has_header = _is_header([f.strip().strip('"') for f in split])
    return _TextLayout(enc, sep, lines[0], len(split), has_header)


def read_table(
    source: Source,
    display: str,
    encoding: str | None,
    positional: list[str],
    max_bytes: int | None,
) -> tuple[pd.DataFrame, list[str]]:
    """Read a delimited text or Parquet table; returns the frame and notes about how it was read.

    A text file without a header row gets the column names `positional` (then extra_0, ...).
    """
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
    layout = _sniff_text(head, display, encoding)
    enc, sep, has_header = layout.encoding, layout.sep, layout.has_header
    if enc == "latin-1" and encoding is None:
        notes.append(f"{display} is not UTF-8; it was read as Latin-1.")
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
        names = positional[: layout.n_fields] + [
            f"extra_{i}" for i in range(layout.n_fields - len(positional))
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


def to_ids(series: pd.Series) -> pd.Series:
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
    display = display_name(source, name)
    mapping = dict(mapping or {})
    unknown_roles = set(mapping) - set(COLUMN_ALIASES)
    if unknown_roles:
        raise DataError(
            f"Unknown column roles {sorted(unknown_roles)}; use {list(COLUMN_ALIASES)}."
        )
    df, notes = read_table(source, display, encoding, RATING_COLUMNS, max_bytes)
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
    out = pd.DataFrame({role: df[col] for role, col in cols.items()})
    rows = pd.Series(np.arange(len(out)) + 2, index=out.index)  # line numbers, header = line 1

    for role in ("user_id", "item_id"):
        missing = out[role].isna()
        if missing.any():
            raise DataError(
                f"{display}: {int(missing.sum())} rows have no {role} "
                f"(first on line {rows[missing].iloc[0]}). Fill them in or remove them."
            )
        out[role] = to_ids(out[role])

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


def file_columns(data: bytes) -> list[str]:
    """The column names of a table's header row, as the readers name them; [] without a header.

    For the Upload page's column mapping. Only the head of a text file is read; a file the readers
    would refuse gives [] (loading it raises the `DataError` that says what is wrong).
    """
    if data[:4] == b"PAR1":
        # Imported here: only a Parquet upload needs pyarrow's schema reader.
        import pyarrow as pa
        import pyarrow.parquet as pq

        try:
            return list(pq.read_schema(io.BytesIO(data)).names)
        except (pa.ArrowException, OSError):
            return []
    try:
        layout = _sniff_text(_read_head(data), "the file", None)
    except DataError:
        return []
    if not layout.has_header:
        return []
    line, sep = layout.first_line, layout.sep
    if sep == "::":  # as `read_table` reads it
        line, sep = line.replace("::", "\t"), "\t"
    try:
        header = pd.read_csv(
            io.StringIO(line),
            sep=sep,
            header=0,
            engine="python" if sep == r"\s+" else "c",
            skipinitialspace=True,
        )
    except (pd.errors.ParserError, pd.errors.EmptyDataError, csv.Error, ValueError):
        return []
    return [str(c) for c in header.columns]
