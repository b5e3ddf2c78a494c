"""Tables from any input: encoding, separator and header sniffing, then parsing (pyarrow, or pandas).

Well-formed UTF-8 text is parsed by pyarrow's streaming CSV reader, block by block, with progress; any
file it cannot take (other encodings, ragged or odd lines, values that change type) is parsed again
by pandas, whose errors name the line. Files too large for memory are refused before parsing.
"""

from __future__ import annotations

import csv
import io
import os
import re
import time
from collections.abc import Callable
from dataclasses import dataclass

import pandas as pd

from .archives import BLOCK, Input, Source, Stream, human_bytes, open_input
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

# Reading a table takes this many times its (decompressed) size in memory at its peak, measured by
# benchmarks/data_load.py for text (25M ratings: see the README) and kept above it to spare the rest.
MEMORY_FACTOR = {"text": 4.0, "parquet": 10.0}
ENV_MEMORY = "COLLAB_EXPLORER_MEMORY_MB"  # the most memory a load may use (default: what is free)
# A headerless file's columns, in order.
RATING_COLUMNS = list(COLUMN_ALIASES)
ITEM_COLUMNS = ["item_id", "title", "genres"]
# Sniffing reads this much of a file.
_HEAD_BYTES = 65536
# pyarrow parses blocks of this size (on two threads when it can).
_ARROW_BLOCK = 8 << 20
# Reads shorter than this show no progress.
_QUIET_S = 0.5
# Cells pandas reads as missing; pyarrow is told the same, so both parsers agree.
_NA_VALUES = ["", "#N/A", "#N/A N/A", "#NA", "-1.#IND", "-1.#QNAN", "-NaN", "-nan", "1.#IND",
              "1.#QNAN", "<NA>", "N/A", "NA", "NULL", "NaN", "None", "n/a", "nan", "null"]  # fmt: skip
# A long read reports (fraction done, message) through one of these.
Progress = Callable[[float, str], None]


def _norm(name: object) -> str:
    return re.sub(r"[^a-z0-9]", "", str(name).lower())


# ---------------------------------------------------------------------------------------------
# Memory


def available_memory() -> int:
    """Bytes of memory a load may use: `$COLLAB_EXPLORER_MEMORY_MB` if set, else what is free."""
    env = os.environ.get(ENV_MEMORY)
    if env:
        try:
            return int(float(env) * 1e6)
        except ValueError:
            raise DataError(f"${ENV_MEMORY} must be a number of megabytes, not {env!r}.") from None
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


# How to print a file, by its compression, for the "take a sample" advice.
_CAT = {None: "head -n 5000001 {f}", "gzip": "zcat {f} | head -n 5000001",
        "bz2": "bzcat {f} | head -n 5000001", "xz": "xzcat {f} | head -n 5000001",
        "zstd": "zstdcat {f} | head -n 5000001", "zip": "unzip -p {f} | head -n 5000001"}  # fmt: skip


def _sample_advice(inp: Input) -> str:
    name = inp.path.name if inp.path is not None else inp.display.rsplit(" in ", 1)[-1]
    cat = _CAT.get(inp.compression, _CAT[None]).format(f=name)
    return (
        f"Open a smaller sample of it (for example its first 5 million lines: `{cat} > "
        "sample.csv`), or use a machine with more memory."
    )


def _check_fits(size: int, kind: str, inp: Input, limit: int) -> None:
    need = size * MEMORY_FACTOR[kind]
    if need > limit:
        raise DataError(
            f"{inp.display} is too large for memory: it is {human_bytes(size)}, which needs about "
            f"{human_bytes(need)} to load, but only {human_bytes(limit)} is available. "
            + _sample_advice(inp)
        )


def _stream_guard(inp: Input, limit: int) -> Callable[[int], None]:
    """For a compressed file whose size is not known in advance: stop once it cannot fit."""

    def guard(n: int) -> None:
        if n * MEMORY_FACTOR["text"] > limit:
            raise DataError(
                f"{inp.display} is too large for memory: decompressed, it is more than "
                f"{human_bytes(n)}, which needs more than {human_bytes(n * MEMORY_FACTOR['text'])} "
                f"to load, but only {human_bytes(limit)} is available. " + _sample_advice(inp)
            )

    return guard


# ---------------------------------------------------------------------------------------------
# Sniffing


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


def _header_names(layout: _TextLayout) -> list[str]:
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


# ---------------------------------------------------------------------------------------------
# Reading


def read_table(
    source: Source | Input,
    display: str,
    encoding: str | None,
    positional: list[str],
    max_bytes: int | None,
    *,
    floats: Callable[[list[str]], list[str]] | None = None,
    progress: Progress | None = None,
) -> tuple[pd.DataFrame, list[str]]:
    """Read a delimited text or Parquet table; returns the frame and notes about how it was read.

    `source` may be compressed (gzip, bz2, xz, zstd, or a zip holding one file). A text file without
    a header row gets the column names `positional` (then extra_0, ...). `floats(names)` names the
    columns to read as floats whatever their first values look like (ratings). The frame's
    `attrs["first_line"]` is the file line of its first row (2 after a header, else 1).
    """
    inp = source if isinstance(source, Input) else open_input(source, display)
    display = inp.display
    head = inp.head(_HEAD_BYTES)
    if inp.stored == 0 or not head.strip():
        raise DataError(
            f"{display} is empty. Choose a file with a header row and one rating per line."
        )
    limit = max_bytes if max_bytes is not None else available_memory()
    if head[:4] == b"PAR1":
        return _read_parquet(inp, limit), []
    if inp.size is not None:
        _check_fits(inp.size, "text", inp, limit)
    guard = None if inp.size is not None else _stream_guard(inp, limit)
    layout = _sniff_text(head, display, encoding)
    notes: list[str] = []
    if layout.encoding == "latin-1" and encoding is None:
        notes.append(f"{display} is not UTF-8; it was read as Latin-1.")
    try:
        names = _header_names(layout) if layout.has_header else _positional(positional, layout)
    except (pd.errors.ParserError, pd.errors.EmptyDataError, csv.Error, ValueError):
        names = None  # pandas reads the header itself and says what is wrong
    report = _reporter(progress, display, inp)
    df = None
    # pyarrow skips rows before the header by count, so only files that start with their header.
    starts = (
        head.decode(layout.encoding, errors="ignore").lstrip("\ufeff").startswith(layout.first_line)
    )
    if names and starts and layout.encoding == "utf-8-sig" and layout.sep != r"\s+":
        df = _read_arrow(inp, layout, names, floats(names) if floats else [], guard, report)
    if df is None:  # pandas: other encodings, whitespace-separated, or what pyarrow refused
        df, more = _read_pandas(inp, layout, names, encoding, guard, report)
        notes += more
    if df.empty:
        raise DataError(f"{display} has a header but no rows.")
    df.attrs["first_line"] = 2 if layout.has_header else 1
    return df, notes


def _positional(positional: list[str], layout: _TextLayout) -> list[str]:
    extra = [f"extra_{i}" for i in range(layout.n_fields - len(positional))]
    return positional[: layout.n_fields] + extra


def quiet(progress: Progress | None) -> Progress | None:
    """`progress`, silent for its first half second: fast work shows nothing extra."""
    if progress is None or getattr(progress, "quiet", False):
        return progress
    start = time.monotonic()

    def call(fraction: float, message: str) -> None:
        if time.monotonic() - start > _QUIET_S:
            progress(fraction, message)

    call.quiet = True  # type: ignore[attr-defined]
    return call


# Parsing is this share of a load; checking the values and indexing the data set take the rest.
PARSE_SHARE = 0.8


def _reporter(progress: Progress | None, display: str, inp: Input) -> Callable[[Stream], None]:
    """report(stream): progress in steps of 1% of the file, naming it and its size."""
    progress = quiet(progress)
    if progress is None:
        return lambda stream: None
    message = f"Reading {display} ({human_bytes(inp.stored)})…"
    last = [-1.0]

    def report(stream: Stream) -> None:
        f = stream.fraction()
        if f - last[0] >= 0.01:
            last[0] = f
            progress(PARSE_SHARE * f, message)

    return report


def _read_parquet(inp: Input, limit: int) -> pd.DataFrame:
    _check_fits(inp.size or inp.stored, "parquet", inp, limit)
    try:
        data = inp.path if inp.path is not None else io.BytesIO(inp.read_all())
        return pd.read_parquet(data)
    except MemoryError:
        raise DataError(f"{inp.display} is too large to load into memory.") from None
    except Exception as exc:  # pyarrow raises several types for a damaged file
        raise DataError(f"{inp.display} is not a readable Parquet file ({exc}).") from None


class _ColonsToTabs(io.RawIOBase):
    """A stream with every '::' made a tab: both parsers take one-character separators only.

    A run of colons at the end of a block waits for the next block, so no '::' is ever split.
    """

    def __init__(self, stream: io.RawIOBase):
        self._s, self._carry = stream, b""

    def readable(self) -> bool:
        return True

    def read(self, n: int = -1) -> bytes:
        want = BLOCK if n is None or n < 0 else n
        while True:
            chunk = self._s.read(max(1, want - len(self._carry)))
            data = self._carry + chunk
            if not chunk:
                self._carry = b""
                return data.replace(b"::", b"\t")
            kept = data.rstrip(b":")
            data, self._carry = kept, data[len(kept) :]
            if data:
                return data.replace(b"::", b"\t")

    def readinto(self, b) -> int:
        data = self.read(len(b))
        b[: len(data)] = data
        return len(data)

    def close(self) -> None:
        self._s.close()
        super().close()


def _text_stream(inp: Input, layout: _TextLayout, guard, report) -> tuple[Stream, io.RawIOBase]:
    """(the counted stream, what the parser reads: the same, with '::' made tabs)."""
    stream = inp.open(guard)
    stream.on_read = lambda: report(stream)
    return stream, _ColonsToTabs(stream) if layout.sep == "::" else stream


def _read_arrow(inp: Input, layout: _TextLayout, names, floats, guard, report):
    """The table by pyarrow's streaming reader, or None when it cannot take the file."""
    import pyarrow as pa
    import pyarrow.csv as pcsv

    stream, data = _text_stream(inp, layout, guard, report)
    try:
        reader = pcsv.open_csv(
            pa.PythonFile(data, mode="r"),
            read_options=pcsv.ReadOptions(
                column_names=names, skip_rows=int(layout.has_header), block_size=_ARROW_BLOCK
            ),
            parse_options=pcsv.ParseOptions(delimiter="\t" if layout.sep == "::" else layout.sep),
            convert_options=pcsv.ConvertOptions(
                column_types={c: pa.float64() for c in floats},
                null_values=_NA_VALUES,
                strings_can_be_null=True,
            ),
        )
        batches = []
        for batch in reader:
            batches.append(batch)
            report(stream)
        table = pa.Table.from_batches(batches, schema=reader.schema)
        del batches
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        return None  # pandas reads it again and says what is wrong, with the line
    finally:
        data.close()
    for i, column in enumerate(table.schema):
        if pa.types.is_binary(column.type) or pa.types.is_large_binary(column.type):
            return None  # text that is not UTF-8: pandas reads it as Latin-1
        if pa.types.is_temporal(column.type):  # dates stay text, as pandas reads them
            table = table.set_column(i, column.name, table.column(i).cast(pa.string()))
    # One column at a time, freeing pyarrow's copy as it goes: no two copies of the table.
    return table.to_pandas(split_blocks=True, self_destruct=True)


def _read_pandas(inp: Input, layout: _TextLayout, names, encoding, guard, report):
    """The table by pandas' C parser (its python parser for whitespace); (frame, notes)."""
    sep = "\t" if layout.sep == "::" else layout.sep

    def parse(enc: str) -> pd.DataFrame:
        stream, data = _text_stream(inp, layout, guard, report)
        try:
            return pd.read_csv(
                data,
                sep=sep,
                header=0 if layout.has_header else None,
                names=None if layout.has_header else names,
                encoding=enc,
                engine="python" if sep == r"\s+" else "c",
                skipinitialspace=True,
                on_bad_lines="error",
            )
        finally:
            data.close()

    enc, notes = layout.encoding, []
    try:
        try:
            df = parse(enc)
        except UnicodeDecodeError:
            # The sniffed head was UTF-8 but a later line is not: 8-bit text reads as Latin-1.
            if encoding is not None or enc != "utf-8-sig":
                raise
            enc = "latin-1"
            df = parse(enc)
            notes.append(f"{inp.display} is not UTF-8; it was read as Latin-1.")
    except UnicodeDecodeError as exc:
        raise DataError(
            f"{inp.display} is not valid {enc} text ({exc.reason} at byte {exc.start}). "
            "Save it as UTF-8."
        ) from None
    except pd.errors.EmptyDataError:
        raise DataError(
            f"{inp.display} is empty. Choose a file with a header row and one rating per line."
        ) from None
    except pd.errors.ParserError as exc:
        raise DataError(
            f"{inp.display} could not be parsed as a table: {exc}. Check the separator "
            "and that every line has the same number of fields."
        ) from None
    except MemoryError:
        raise DataError(
            f"{inp.display} is too large to load into memory; use a smaller sample."
        ) from None
    return df, notes


def file_columns(source: Source) -> list[str]:
    """The column names of a table's header row, as the readers name them; [] without a header.

    For the Upload page's column mapping. Only the head of a text file is read (decompressed); a
    file the readers would refuse, or a zip holding a whole data set, gives [] (loading it says
    what is wrong, or needs no mapping).
    """
    try:
        inp = open_input(source, "the file")
        head = inp.head(_HEAD_BYTES)
    except DataError:
        return []
    if head[:4] == b"PAR1":
        # Imported here: only a Parquet file needs pyarrow's schema reader.
        import pyarrow as pa
        import pyarrow.parquet as pq

        try:
            data = inp.path if inp.path is not None else io.BytesIO(inp.read_all())
            return list(pq.read_schema(data).names)
        except (pa.ArrowException, OSError):
            return []
    try:
        layout = _sniff_text(head, "the file", None)
    except DataError:
        return []
    if not layout.has_header:
        return []
    try:
        return _header_names(layout)
    except (pd.errors.ParserError, pd.errors.EmptyDataError, csv.Error, ValueError):
        return []
