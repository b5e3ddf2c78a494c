"""What a file is underneath (plain, gzip, bz2, xz, zstd, zip) and a stream of its bytes, decompressed.

An `Input` can be opened again and again (sniffing reads the head, parsing reads it all), counts what
it has read for progress bars, and stops a stream of unknown size that outgrows a memory limit.
"""

from __future__ import annotations

import bz2
import gzip
import io
import lzma
import os
import struct
import threading
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from .errors import DataError

Source = str | os.PathLike | bytes | BinaryIO

# Magic numbers at the start of each compressed format.
MAGIC = {
    "gzip": b"\x1f\x8b",
    "bz2": b"BZh",
    "xz": b"\xfd7zXZ\x00",
    "zstd": b"\x28\xb5\x2f\xfd",
    "zip": b"PK\x03\x04",
}
# The file name endings of those formats, dropped when a data set is named after its file.
SUFFIXES = (".gz", ".gzip", ".bz2", ".xz", ".zst", ".zstd", ".zip")
# Files that zip tools add beside the real content (macOS resource forks, folder listings).
_JUNK = ("__MACOSX/", ".DS_Store", "Thumbs.db")
# A stream is read in blocks this large.
BLOCK = 1 << 20


def display_name(source: Source, name: str | None = None) -> str:
    """How messages name a file: `name` if given, else the path's file name."""
    if name:
        return name
    if isinstance(source, Input):
        return source.display
    if isinstance(source, (str, os.PathLike)):
        return Path(source).name
    return getattr(source, "name", None) or "the uploaded file"


def human_bytes(n: float) -> str:
    """'512 bytes', '1.5 KB', '2.3 GB': decimal units, as file managers show sizes."""
    for unit in ("bytes", "KB", "MB", "GB"):
        if n < 1000 or unit == "GB":
            return f"{n:,.0f} {unit}" if unit == "bytes" else f"{n:,.1f} {unit}"
        n /= 1000
    return f"{n:,.1f} TB"  # unreachable; keeps type checkers quiet


def strip_suffix(name: str) -> str:
    """'ratings.csv.gz' -> 'ratings.csv'; other names unchanged."""
    for suffix in SUFFIXES:
        if name.lower().endswith(suffix) and len(name) > len(suffix):
            return name[: -len(suffix)]
    return name


def compression(head: bytes) -> str | None:
    """The compressed format whose magic number `head` starts with, else None."""
    for kind, magic in MAGIC.items():
        if head.startswith(magic):
            return kind
    if head.startswith(b"PK\x05\x06"):  # an empty zip has only its end record
        return "zip"
    return None


# ---------------------------------------------------------------------------------------------
# Raw bytes: a path, bytes in memory or an open file (an upload), opened as often as needed


class _Borrowed(io.RawIOBase):
    """A caller's open file, read from `start` on; closing this leaves the caller's file open, at
    `start` again (so the next reader, or the caller, finds it as it was)."""

    def __init__(self, f: BinaryIO, start: int):
        self._f, self._start = f, start
        f.seek(start)

    def close(self) -> None:
        if not self.closed:
            self._f.seek(self._start)
        super().close()

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def read(self, n: int = -1) -> bytes:
        return self._f.read(n)

    def readinto(self, b) -> int:
        data = self._f.read(len(b))
        b[: len(data)] = data
        return len(data)

    def seek(self, offset: int, whence: int = 0) -> int:
        return self._f.seek(offset, whence)

    def tell(self) -> int:
        return self._f.tell()


def _raw_opener(source: Source, display: str) -> tuple[Callable[[], BinaryIO], int, Path | None]:
    """(open the raw bytes, their size, the path if a file on disk)."""
    if isinstance(source, bytes):
        return (lambda: io.BytesIO(source)), len(source), None
    if hasattr(source, "read"):
        start = source.tell()
        size = source.seek(0, os.SEEK_END) - start
        source.seek(start)
        return (lambda: _Borrowed(source, start)), size, None
    path = Path(source)
    try:
        if path.is_dir():
            raise IsADirectoryError(21, "it is a folder, not a file")
        if path.exists() and not path.is_file():  # opening a pipe would wait for a writer
            raise OSError(0, "it is a device, a socket or a pipe, not a file")
        size = path.stat().st_size
        with open(path, "rb"):
            pass
    except OSError as exc:
        raise DataError(
            f"{source} cannot be read ({exc.strerror or exc}). Check the path and "
            "that you may read the file."
        ) from None
    return (lambda: open(path, "rb")), size, path


# ---------------------------------------------------------------------------------------------
# Inputs


@dataclass(frozen=True)
class Input:
    """A file to read: its name in messages, its format underneath, and its sizes.

    `stored` is its size as given (compressed); `size` its size once decompressed, when the format
    records it (plain files, zip members, gzip's trailer), else None.
    """

    display: str
    compression: str | None
    stored: int
    size: int | None
    path: Path | None  # a plain file on disk (Parquet reads it directly)
    _raw: Callable[[], BinaryIO]
    _member: str | None = None  # in a zip

    def open(self, guard: Callable[[int], None] | None = None) -> Stream:
        """A new stream of the decompressed bytes; `guard(bytes so far)` may raise to stop it."""
        raw = self._raw()
        try:
            if self._member is not None:
                zf = zipfile.ZipFile(raw)
                data: BinaryIO = zf.open(self._member)
            else:
                data = _decompressor(self.compression, raw)
        except Exception:
            raw.close()
            raise
        return Stream(data, raw, self, guard)

    def head(self, n: int) -> bytes:
        """The first `n` decompressed bytes (fewer if the file is shorter)."""
        with self.open() as s:
            return _read_upto(s, n)

    def read_all(self) -> bytes:
        """Every decompressed byte, for the formats that need random access (Parquet)."""
        with self.open() as s:
            return s.read()


def _read_upto(s: Stream, n: int) -> bytes:
    parts, got = [], 0
    while got < n:
        chunk = s.read(n - got)
        if not chunk:
            break
        parts.append(chunk)
        got += len(chunk)
    return b"".join(parts)


def _decompressor(kind: str | None, raw: BinaryIO) -> BinaryIO:
    if kind is None:
        return raw
    if kind == "gzip":
        return gzip.GzipFile(fileobj=raw, mode="rb")
    if kind == "bz2":
        return bz2.BZ2File(raw, mode="rb")
    if kind == "xz":
        return lzma.LZMAFile(raw, mode="rb")
    if kind == "zstd":  # no zstd in Python's standard library before 3.14; pyarrow has it
        import pyarrow as pa

        return pa.CompressedInputStream(pa.PythonFile(raw, mode="r"), "zstd")
    raise ValueError(kind)


class Stream(io.RawIOBase):
    """The decompressed bytes of an `Input`, counted for progress and checked by a guard."""

    def __init__(self, data: BinaryIO, raw: BinaryIO, source: Input, guard):
        self._data, self._raw, self._input, self._guard = data, raw, source, guard
        self.bytes_read = 0
        self._owner = threading.get_ident()
        self.on_read: Callable[[], None] | None = None  # called in the opening thread only

    def readable(self) -> bool:
        return True

    def read(self, n: int = -1) -> bytes:
        data = self._decoded(lambda: self._data.read(n if n is not None and n >= 0 else -1))
        self._count(len(data))
        return data

    def readinto(self, b) -> int:
        """Into a caller's buffer, with no bytes object in between (large reads reuse one)."""
        into = getattr(self._data, "readinto", None)
        if into is None:  # pyarrow's stream
            data = self._decoded(lambda: self._data.read(len(b)))
            b[: len(data)] = data
            n = len(data)
        else:
            n = self._decoded(lambda: into(b)) or 0
        self._count(n)
        return n

    def _decoded(self, read):
        """`read()`, a damaged compressed file made a `DataError`."""
        try:
            return read()
        except (OSError, EOFError, lzma.LZMAError, ValueError, zipfile.BadZipFile) as exc:
            what = self._input.compression or "file"
            raise DataError(
                f"{self._input.display} is a damaged {what} file ({exc}); download or "
                "compress it again."
            ) from None
        except Exception as exc:  # pyarrow's zstd decoder raises its own errors
            if type(exc).__module__.startswith("pyarrow"):
                raise DataError(
                    f"{self._input.display} is a damaged zstd file ({exc}); download or "
                    "compress it again."
                ) from None
            raise

    def _count(self, n: int) -> None:
        self.bytes_read += n
        if self._guard is not None:
            self._guard(self.bytes_read)
        if self.on_read is not None and threading.get_ident() == self._owner:
            self.on_read()

    def fraction(self) -> float:
        """How much of the input has been read, 0 to 1 (from the compressed side if need be)."""
        total = self._input.size
        if total:
            return min(1.0, self.bytes_read / total)
        try:
            return min(1.0, self._raw.tell() / max(1, self._input.stored))
        except (OSError, ValueError):
            return 0.0

    def close(self) -> None:
        if not self.closed:
            try:
                self._data.close()
            finally:
                self._raw.close()
        super().close()


def open_input(source: Source, name: str | None = None, *, member: str | None = None) -> Input:
    """An `Input` for a path, bytes or an open file: a zip must hold exactly one file, or `member`
    names the one to read.

    (A zip in a GroupLens layout is opened by `grouplens.zip_layout` before it comes here.)
    """
    display = display_name(source, name)
    opener, stored, path = _raw_opener(source, display)
    with opener() as f:
        head = f.read(8)
    kind = compression(head)
    if kind is None:
        return Input(display, None, stored, stored, path, opener)
    if kind == "zip":
        with opener() as f:
            zf = open_zip(f, display)
            files = zip_files(zf)
        if member is not None:
            files = [m for m in files if m.filename == member]
        if len(files) != 1:
            raise DataError(zip_contents_error(display, files))
        member_info = files[0]
        return Input(
            f"{member_info.filename} in {display}",
            "zip",
            member_info.compress_size,
            member_info.file_size,
            None,
            opener,
            member_info.filename,
        )
    size = _gzip_size(opener, stored) if kind == "gzip" else None
    return Input(display, kind, stored, size, None, opener)


def _gzip_size(opener, stored: int) -> int | None:
    """A gzip file's size once decompressed, from its trailer (which holds it modulo 4 GiB)."""
    if stored < 18:
        return None
    with opener() as f:
        f.seek(stored - 4)
        isize = struct.unpack("<I", f.read(4))[0]
    # Text compresses by less than 4 GiB per compressed byte: take the first candidate >= stored.
    while isize < stored:
        isize += 1 << 32
    return isize


# ---------------------------------------------------------------------------------------------
# Zips


def open_zip(f: BinaryIO | Path, display: str) -> zipfile.ZipFile:
    """A `ZipFile` over `f`; a damaged zip (or an Excel workbook) is a `DataError` saying which."""
    try:
        zf = zipfile.ZipFile(f)
    except (zipfile.BadZipFile, OSError, EOFError) as exc:
        raise DataError(
            f"{display} is a zip archive (or an Excel workbook) that cannot be opened ({exc}). "
            "If it is a download, download it again; if it is a workbook, save the sheet as CSV "
            "and load that."
        ) from None
    names = set(zf.namelist())
    if "xl/workbook.xml" in names or "[Content_Types].xml" in names:
        raise DataError(
            f"{display} is an Excel workbook (or another Office file), not a text table. "
            "Save the sheet as CSV and load that."
        )
    return zf


def zip_files(zf: zipfile.ZipFile) -> list[zipfile.ZipInfo]:
    """The files a zip holds, less folders and what zip tools add (__MACOSX/, .DS_Store)."""
    return [
        m
        for m in zf.infolist()
        if not m.is_dir()
        and not any(j in m.filename for j in _JUNK)
        and not Path(m.filename).name.startswith("._")
    ]


def zip_contents_error(display: str, files: list[zipfile.ZipInfo], shown: int = 8) -> str:
    """The message for a zip that holds no data set this app can read, naming what it holds."""
    if not files:
        return (
            f"{display} is an empty zip archive. Choose the zip of a data set, or its ratings file."
        )
    names = [f"{m.filename} ({human_bytes(m.file_size)})" for m in files[:shown]]
    more = f" and {len(files) - shown} more" if len(files) > shown else ""
    return (
        f"{display} is a zip archive holding {', '.join(names)}{more}: no GroupLens ratings file "
        "(u.data, ratings.dat or ratings.csv, at its top or in one folder), and more than one "
        "file, so it is not clear which holds the ratings. Extract the ratings file and open it."
    )


def zip_of(source: Source, name: str | None = None) -> zipfile.ZipFile | None:
    """The source opened as a zip (close it when done), or None when it is not one."""
    display = display_name(source, name)
    opener, _, path = _raw_opener(source, display)
    with opener() as f:
        if compression(f.read(8)) != "zip":
            return None
    # A path is opened (and closed) by the ZipFile itself; bytes and uploads need no closing.
    return open_zip(path if path is not None else opener(), display)
