"""Tables from any input: sniffed (`sniff`), refused when too large for memory, then parsed.

Plain numbers in UTF-8 (most ratings files) go to the compiled parser (`fastcsv`); other well-formed
UTF-8 text to pyarrow's streaming CSV reader; both read block by block, with progress. A file they
cannot take (other encodings, ragged or odd lines, values that change type) is parsed by pandas,
whose errors name the line. Files too large for memory are refused before parsing.
"""

from __future__ import annotations

import csv
import io
import os
import time
from collections.abc import Callable

import pandas as pd

from . import fastcsv
from .archives import BLOCK, Input, Source, Stream, human_bytes, open_input
from .errors import DataError
from .sniff import COLUMN_ALIASES, HEAD_BYTES, TextLayout, header_names, sniff_text
from .sniff import ITEM_COLUMN_ALIASES as ITEM_COLUMN_ALIASES

# Reading a table takes this many times its (decompressed) size in memory at its peak, measured by
# benchmarks/data_load.py for text (25M ratings: see the README) and kept above it to spare the rest.
MEMORY_FACTOR = {"text": 4.0, "parquet": 10.0}
ENV_MEMORY = "COLLAB_EXPLORER_MEMORY_MB"  # the most memory a load may use (default: what is free)
# A headerless file's columns, in order.
RATING_COLUMNS = list(COLUMN_ALIASES)
ITEM_COLUMNS = ["item_id", "title", "genres"]
# Text from this size on goes to the compiled parser (below, pyarrow is as quick, with no numba to
# import).
FAST_MIN_BYTES = 8 << 20
# pyarrow parses blocks of this size (on two threads when it can).
_ARROW_BLOCK = 8 << 20
# Reads shorter than this show no progress.
_QUIET_S = 0.5
# Cells pandas reads as missing; pyarrow is told the same, so both parsers agree.
_NA_VALUES = ["", "#N/A", "#N/A N/A", "#NA", "-1.#IND", "-1.#QNAN", "-NaN", "-nan", "1.#IND",
              "1.#QNAN", "<NA>", "N/A", "NA", "NULL", "NaN", "None", "n/a", "nan", "null"]  # fmt: skip
# A long read reports (fraction done, message) through one of these.
Progress = Callable[[float, str], None]


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
    head = inp.head(HEAD_BYTES)
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
    layout = sniff_text(head, display, encoding)
    notes: list[str] = []
    if layout.encoding == "latin-1" and encoding is None:
        notes.append(f"{display} is not UTF-8; it was read as Latin-1.")
    try:
        names = header_names(layout) if layout.has_header else _positional(positional, layout)
    except (pd.errors.ParserError, pd.errors.EmptyDataError, csv.Error, ValueError):
        names = None  # pandas reads the header itself and says what is wrong
    report = _reporter(progress, display, inp)
    as_floats = floats(names) if floats and names else []
    # The fast parsers skip the header by count, so only for UTF-8 files that start with it.
    fast = bool(names) and layout.encoding == "utf-8-sig" and layout.sep != r"\s+"
    fast = fast and head.decode(layout.encoding, "ignore").startswith(layout.first_line)
    big = (inp.size or 4 * inp.stored) >= FAST_MIN_BYTES  # else numba's import costs more
    df = _read_numbers(inp, layout, head, names, as_floats, guard, report) if fast and big else None
    if df is None and fast:  # not all plain numbers: pyarrow
        df = _read_arrow(inp, layout, names, as_floats, guard, report)
    if df is None:  # pandas: other encodings, whitespace-separated, or what pyarrow refused
        df, more = _read_pandas(inp, layout, names, encoding, guard, report)
        notes += more
    if df.empty:
        raise DataError(f"{display} has a header but no rows.")
    df.attrs["first_line"] = 2 if layout.has_header else 1
    return df, notes


def _positional(positional: list[str], layout: TextLayout) -> list[str]:
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


def _text_stream(inp: Input, layout: TextLayout, guard, report) -> tuple[Stream, io.RawIOBase]:
    """(the counted stream, what the parser reads: the same, with '::' made tabs)."""
    stream = inp.open(guard)
    stream.on_read = lambda: report(stream)
    return stream, _ColonsToTabs(stream) if layout.sep == "::" else stream


def _read_numbers(inp: Input, layout: TextLayout, head: bytes, names, floats, guard, report):
    """The table by `fastcsv` when the head holds only plain numbers, else None."""
    lines = head.decode("utf-8-sig", errors="replace").splitlines()
    if len(head) == HEAD_BYTES:
        lines = lines[:-1]  # the head may end inside a line
    lines = [ln for ln in lines[int(layout.has_header) :] if ln.strip()]
    sep = layout.sep
    kinds = fastcsv.column_kinds(lines, sep, len(names), [names.index(c) for c in floats])
    if kinds is None:
        return None
    stream = inp.open(guard)
    try:
        return fastcsv.read(
            stream, sep, names, kinds, layout.has_header, lambda: report(stream), inp.size
        )
    finally:
        stream.close()


def _read_arrow(inp: Input, layout: TextLayout, names, floats, guard, report):
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


def _read_pandas(inp: Input, layout: TextLayout, names, encoding, guard, report):
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
        head = inp.head(HEAD_BYTES)
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
        layout = sniff_text(head, "the file", None)
    except DataError:
        return []
    if not layout.has_header:
        return []
    try:
        return header_names(layout)
    except (pd.errors.ParserError, pd.errors.EmptyDataError, csv.Error, ValueError):
        return []
