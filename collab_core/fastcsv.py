"""A compiled parser (numba) for all-numeric delimited text: the common ratings file, at memory speed.

`user,item,rating,timestamp` lines of plain numbers are most of what people load, and most of the
bytes of a large catalogue (ML-25M's 25 million lines). This reads them block by block (progress
between blocks, one block of text in memory at a time), each block split at a line end into two
halves parsed at once on two threads (the kernel releases the GIL; numba's own thread pool is not
used, see `kernels`). Anything else (a quote, a space, a letter, a field too long, a missing
integer) makes it give up and `tables` reads the file with pyarrow or pandas instead, so this only
ever returns what those would. Numbers parse exactly: an integer column to int64, a decimal
column to the float64 nearest the text (digits / 10**decimals, both exact, one rounding).
"""

from __future__ import annotations

import functools
import importlib.util
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pandas as pd

# numba is a dependency; without it, pyarrow reads these files too.
AVAILABLE = importlib.util.find_spec("numba") is not None

# Text read per block. Parsing one block takes well under a second, which paces the progress bar.
BLOCK = 64 << 20
# A block larger than this is parsed in two halves at once.
SPLIT = 1 << 20
# Digits an integer may have (int64), and a decimal (exact in float64 below 2**53).
_INT_DIGITS, _FLOAT_DIGITS = 18, 15
_POW10 = np.array([10.0**k for k in range(23)])

# Column kinds: integers (int64), decimals (float64), decimals kept as float32 (ratings).
INT, FLOAT, FLOAT32 = 0, 1, 2


@functools.cache
def _kernels():
    """(parse, lines), compiled on first use: importing numba takes most of a second, which a
    small file or a command that reads none should not pay."""
    from numba import njit

    @njit(cache=True, nogil=True)
    def _parse(buf, sep, double_sep, kind, slot, ints, f64, f32, row0):  # pragma: no cover
        """Parse the lines of `buf` into rows row0, row0 + 1, ... of the output of each column's
        kind (`ints`, `f64`, `f32`), at row `slot[j]` of it.

        Returns (rows, -1), or (rows so far, offset of the first byte it cannot take).
        """
        n, ncols, row, pos = len(buf), len(kind), row0, 0
        while pos < n:
            c = buf[pos]
            if c == 10:  # an empty line
                pos += 1
                continue
            if c == 13 and pos + 1 < n and buf[pos + 1] == 10:
                pos += 2
                continue
            for j in range(ncols):
                start, neg, decimal = pos, False, kind[j] != 0
                if pos < n and buf[pos] == 45:  # '-'
                    neg = True
                    pos += 1
                mant, digits, decimals, dot = 0, 0, 0, False
                while pos < n:  # the integer part
                    c = buf[pos]
                    if c < 48 or c > 57:
                        break
                    mant = mant * 10 + (c - 48)
                    pos += 1
                digits = pos - start - neg
                if decimal and pos < n and buf[pos] == 46:  # '.' and the decimals
                    dot = True
                    pos += 1
                    first = pos
                    while pos < n:
                        c = buf[pos]
                        if c < 48 or c > 57:
                            break
                        mant = mant * 10 + (c - 48)
                        pos += 1
                    decimals = pos - first
                    digits += decimals
                if digits > (_FLOAT_DIGITS if decimal else _INT_DIGITS) or decimals > 22:
                    return row - row0, start
                if digits == 0 and (neg or dot or not decimal):
                    return row - row0, start  # '-' or '.' alone, or an empty integer
                if j < ncols - 1:  # a separator must follow
                    if pos >= n or buf[pos] != sep:
                        return row - row0, pos
                    pos += 1
                    if double_sep:
                        if pos >= n or buf[pos] != sep:
                            return row - row0, pos
                        pos += 1
                else:  # the line must end here
                    if pos < n and buf[pos] == 13:
                        pos += 1
                    if pos < n:
                        if buf[pos] != 10:
                            return row - row0, pos
                        pos += 1
                if decimal:
                    v = np.nan if digits == 0 else mant / _POW10[decimals]  # exact, one rounding
                    v = -v if neg else v
                    if kind[j] == 1:
                        f64[slot[j], row] = v
                    else:
                        f32[slot[j], row] = v  # as pandas: float64 first, then float32
                else:
                    ints[slot[j], row] = -mant if neg else mant
            row += 1
        return row - row0, -1

    @njit(cache=True, nogil=True)
    def _lines(buf):  # pragma: no cover - compiled
        """Line ends in `buf` (no temporary array, unlike `(buf == 10).sum()`)."""
        count = 0
        for c in buf:
            if c == 10:
                count += 1
        return count

    return _parse, _lines


def _half(buf: np.ndarray) -> int:
    """Where to split `buf` in two: just after the line end nearest its middle (0: do not)."""
    mid = len(buf) // 2
    nl = np.flatnonzero(buf[mid : mid + SPLIT] == 10)
    return 0 if len(nl) == 0 else mid + int(nl[0]) + 1


class _Output:
    """The columns, written in place by the parser: one allocation each, grown if need be.

    Allocated for the rows the file's size suggests (generously: pages never written are never
    resident), so the parsed table is the only copy of the data.
    """

    def __init__(self, kinds: list[int], rows: int):
        self.kind = np.array(kinds, dtype=np.int8)
        self.slot = np.zeros(len(kinds), dtype=np.int64)
        for k in (INT, FLOAT, FLOAT32):
            mine = self.kind == k
            self.slot[mine] = np.arange(int(mine.sum()))
        self.rows, self.capacity = 0, max(rows, 1024)
        self.arrays = [
            np.empty((int((self.kind == k).sum()), self.capacity), dtype=dtype)
            for k, dtype in ((INT, np.int64), (FLOAT, np.float64), (FLOAT32, np.float32))
        ]

    def reserve(self, rows: int) -> None:
        if self.rows + rows <= self.capacity:
            return
        self.capacity = max(self.rows + rows, int(self.capacity * 1.5))
        grown = []
        for a in self.arrays:
            b = np.empty((a.shape[0], self.capacity), dtype=a.dtype)
            b[:, : self.rows] = a[:, : self.rows]
            grown.append(b)
        self.arrays = grown

    def parse(self, piece: np.ndarray, sep: int, double: bool, row0: int) -> int:
        """Rows parsed from a piece of whole lines, written from row `row0`; -1 when it is not
        plain numbers."""
        rows, bad = _kernels()[0](piece, sep, double, self.kind, self.slot, *self.arrays, row0)
        return -1 if bad >= 0 else rows

    def close_gap(self, start: int, gap: int, rows: int) -> None:
        """Move `rows` rows at `start + gap` to `start` (the first half had blank lines)."""
        for a in self.arrays:
            a[:, start : start + rows] = a[:, start + gap : start + gap + rows].copy()

    def frame(self, names: list[str]) -> pd.DataFrame:
        n = self.rows
        cols = {
            name: self.arrays[k][self.slot[j], :n]
            for j, (name, k) in enumerate(zip(names, self.kind, strict=True))
        }
        return pd.DataFrame(cols, copy=False)


def column_kinds(lines: list[str], sep: str, n_fields: int, floats: list[int]):
    """Per column, INT, FLOAT or FLOAT32 from these sample lines; None when a value is not a plain
    number (text, a date, an exponent, a space), or a line is ragged.

    Columns `floats` (ratings) are FLOAT32 whatever the sample shows (4, then 3.5 further down).
    """
    kinds = [FLOAT32 if j in floats else INT for j in range(n_fields)]
    for line in lines:
        fields = line.split(sep)
        if len(fields) != n_fields:
            return None
        for j, f in enumerate(fields):
            digits = f[1:] if f.startswith("-") else f
            if "." in digits or not digits:
                kinds[j] = kinds[j] or FLOAT
                digits = digits.replace(".", "", 1)
            if digits and not (digits.isascii() and digits.isdigit()):
                return None
    return kinds


def _fill(stream, view: memoryview) -> int:
    """Read into `view` until it is full or the stream ends; the bytes read."""
    got = 0
    while got < len(view):
        n = stream.readinto(view[got:])
        if not n:
            break
        got += n
    return got


def _blocks(stream, skip_header: bool):
    """The stream's text in blocks of whole lines (uint8 arrays), less its BOM and header.

    Two buffers, used in turn, are read into in place: the block parsed now and the block read
    meanwhile (fresh memory for every block would cost a page fault every 4 KB).
    """
    buffers = [bytearray(BLOCK), bytearray(BLOCK)]
    carry, first, turn = b"", True, 0
    while True:
        buf = buffers[turn]
        turn = 1 - turn
        if len(carry) > BLOCK // 2:  # one line longer than half a block: not a ratings file
            raise _NotNumbers
        buf[: len(carry)] = carry
        n = len(carry) + _fill(stream, memoryview(buf)[len(carry) :])
        more = n == BLOCK
        start = 0
        if first:
            start = 3 if buf[:3] == b"\xef\xbb\xbf" else 0
            if skip_header:
                end = buf.find(b"\n", start, n)
                if end < 0 and more:
                    raise _NotNumbers  # a header line longer than a block
                start = n if end < 0 else end + 1
            first = False
        end = buf.rfind(b"\n", start, n) + 1 if more else n  # whole lines; the rest goes next
        end = max(end, start)
        carry = bytes(buf[end:n]) if more else b""
        yield np.frombuffer(buf, dtype=np.uint8, count=end)[start:]
        if not more:
            return


class _NotNumbers(Exception):
    """Raised inside `read` when the text cannot be plain numbers."""


def read(
    stream, sep: str, names: list[str], kinds: list[int], skip_header: bool, report, size=None
):
    """The table of a numeric text stream, or None when it is not plain numbers throughout.

    `kinds` from `column_kinds`; `size`, the stream's length if known, sizes the columns;
    `report()` is called after each block. Reading (and decompressing) the next block goes on
    while the last one is parsed.
    """
    if not AVAILABLE or sep not in (",", "\t", ";", "|", "::"):
        return None
    code, double = ord(sep[0]), sep == "::"
    lines = _kernels()[1]
    out, pending = None, None
    with ThreadPoolExecutor(max_workers=2) as pool:
        try:
            for buf in _blocks(stream, skip_header):
                if pending is not None and not _finish(out, *pending):
                    return None
                if out is None:  # rows in the file, from the length of the lines in this block
                    per_line = max(1.0, len(buf) / max(1, lines(buf)))
                    out = _Output(kinds, int(1.25 * (size or len(buf)) / per_line) + 1024)
                cut = _half(buf) if len(buf) > SPLIT else 0
                halves = [buf[:cut], buf[cut:]] if cut else [buf]
                ends = [lines(h) for h in halves]
                out.reserve(sum(ends) + 1)
                starts = [out.rows, out.rows + ends[0]]
                jobs = [
                    pool.submit(out.parse, h, code, double, r0)
                    for h, r0 in zip(halves, starts, strict=False)
                ]
                pending = (jobs, ends)
                del buf, halves
                report()
        except _NotNumbers:
            return None
        if pending is not None and not _finish(out, *pending):
            return None
    return out.frame(names)


def _finish(out: _Output, jobs, ends: list[int]) -> bool:
    """Wait for a block's halves; False when it was not plain numbers."""
    got = [job.result() for job in jobs]
    if min(got) < 0:
        return False
    if len(got) == 2 and got[0] < ends[0]:  # blank lines in the first half
        out.close_gap(out.rows + got[0], ends[0] - got[0], got[1])
    out.rows += sum(got)
    return True
