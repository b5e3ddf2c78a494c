"""What a text table is, from its first 64 KB: its encoding, its separator, whether it has a header.

Also the column names users' files use (`COLUMN_ALIASES`), which tell a header from a data line.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass

import pandas as pd

from .errors import DataError

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
# Sniffing reads this much of a file.
HEAD_BYTES = 65536


def _norm(name: object) -> str:
    return re.sub(r"[^a-z0-9]", "", str(name).lower())


def _sniff_encoding(head: bytes, display: str, encoding: str | None) -> str:
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
class TextLayout:
    """What the head of a text table says about the whole file."""

    encoding: str
    sep: str
    first_line: str
    n_fields: int  # in the first line
    has_header: bool


def sniff_text(head: bytes, display: str, encoding: str | None) -> TextLayout:
    enc = _sniff_encoding(head, display, encoding)
    lines = head.decode(enc, errors="ignore").splitlines()
    if len(head) == HEAD_BYTES:
        lines = lines[:-1]  # the head may end inside a line
    lines = [ln for ln in lines if ln.strip()]
    if not lines:
        raise DataError(f"{display} has no data lines.")
    sep = _sniff_separator(lines)
    split = re.split(r"\s+", lines[0].strip()) if sep == r"\s+" else lines[0].split(sep)
    has_header = _is_header([f.strip().strip('"') for f in split])
    return TextLayout(enc, sep, lines[0], len(split), has_header)


def header_names(layout: TextLayout) -> list[str]:
    """The column names of a header line, as pandas names them (so both parsers agree)."""
    line, sep = layout.first_line, layout.sep
    if sep == "::":
        line, sep = line.replace("::", "\t"), "\t"
    header = pd.read_csv(
        io.StringIO(line),
        sep=sep,
        header=0,
        engine="python" if sep == r"\s+" else "c",
        skipinitialspace=True,
    )
    return [str(c) for c in header.columns]
