"""Compressed input: every format reads as the plain file does; damaged, foreign and huge files are refused.

The files are written by the tests (Python's gzip/bz2/lzma/zipfile, and pyarrow for zstd).
"""

from __future__ import annotations

import bz2
import gzip
import io
import json
import lzma
import time
import zipfile

import pyarrow as pa
import pytest
from test_data import CSV, ITEMS, write_file

from collab_core import tables
from collab_core.archives import compression, open_input, strip_suffix
from collab_core.cli import main
from collab_core.data import load_dataset, load_ratings_file
from collab_core.errors import DataError

RATINGS = b"".join(
    [b"userId,movieId,rating,timestamp\n"]
    + [f"{u},{i},{(u * i) % 9 / 2 + 0.5},{1000 + u}\n".encode() for u in range(1, 60) for i in (1, 2, 3, 5, 8)]
)  # fmt: skip


def zstd(data: bytes) -> bytes:
    sink = pa.BufferOutputStream()
    with pa.CompressedOutputStream(sink, "zstd") as out:
        out.write(data)
    return sink.getvalue().to_pybytes()


def zipped(members: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, blob in members.items():
            zf.writestr(name, blob)
    return buf.getvalue()


COMPRESSORS = {
    "gz": gzip.compress,
    "bz2": bz2.compress,
    "xz": lzma.compress,
    "zst": zstd,
    "zip": lambda data: zipped({"ratings.csv": data}),
}


@pytest.mark.parametrize("ext", list(COMPRESSORS))
def test_each_compression_reads_as_the_plain_file(tmp_path, ext):
    (tmp_path / "plain").mkdir()
    plain = load_dataset(write_file(tmp_path / "plain" / "ratings.csv", RATINGS))
    packed = COMPRESSORS[ext](RATINGS)
    assert compression(packed) == {"gz": "gzip", "zst": "zstd"}.get(ext, ext)
    path = write_file(tmp_path / f"ratings.csv.{ext}", packed)
    by_path = load_dataset(path)
    uploaded = load_ratings_file(io.BytesIO(packed), ratings_name=f"ratings.csv.{ext}")
    for ds in (by_path, uploaded):
        assert ds.fingerprint == plain.fingerprint
        assert len(ds.ratings) == 59 * 5 and ds.rating_scale == (0.5, 4.5)
    assert uploaded.name == "ratings"  # named after the file, less its compression suffix


def test_compressed_ratings_pick_up_the_movies_file_beside_them(tmp_path):
    folder = tmp_path / "ml-latest-small"
    folder.mkdir()
    write_file(folder / "ratings.csv.gz", gzip.compress(CSV))
    write_file(folder / "movies.csv", ITEMS)
    ds = load_dataset(folder / "ratings.csv.gz")
    assert ds.name == "ml-latest-small"
    assert ds.items.set_index("item_id").loc[10, "title"] == "Heat (1995)"


def test_compressed_items_file_and_file_columns(tmp_path):
    ds = load_ratings_file(
        CSV, lzma.compress(ITEMS), ratings_name="r.csv", items_name="movies.csv.xz"
    )
    assert ds.items.set_index("item_id").loc[20, "title"] == "Babe (1995)"
    assert tables.file_columns(gzip.compress(CSV)) == ["userId", "movieId", "rating", "timestamp"]
    assert tables.file_columns(zipped({"a.csv": CSV, "b.csv": CSV})) == []


@pytest.mark.parametrize(
    "packed, expected",
    [
        (gzip.compress(RATINGS)[:200], ["r.csv.gz is a damaged gzip file", "download or compress"]),
        (bz2.compress(RATINGS)[:100], ["r.csv.gz is a damaged bz2 file"]),
        (b"\x28\xb5\x2f\xfd" + b"\x00" * 40, ["r.csv.gz is a damaged zstd file"]),
        (zipped({}), ["r.csv.gz is an empty zip archive"]),
    ],
    ids=["gzip-cut", "bz2-cut", "zstd-garbage", "empty-zip"],
)
def test_damaged_compressed_files_are_data_errors(packed, expected):
    with pytest.raises(DataError) as err:
        load_ratings_file(packed, ratings_name="r.csv.gz")
    for part in expected:
        assert part in str(err.value)


def test_zip_holding_something_else_names_what_it_holds():
    blob = zipped(
        {"notes.txt": b"hello\n", "photos/cat.jpg": b"\xff\xd8" * 600, "__MACOSX/._x": b""}
    )
    with pytest.raises(DataError) as err:
        load_ratings_file(blob, ratings_name="stuff.zip")
    msg = str(err.value)
    assert "stuff.zip is a zip archive holding notes.txt (6 bytes), photos/cat.jpg (1.2 KB):" in msg
    assert "__MACOSX" not in msg
    assert "u.data, ratings.dat or ratings.csv" in msg and "Extract the ratings file" in msg


def test_zip_of_one_file_that_is_not_a_table_says_which_file():
    with pytest.raises(DataError, match="cat.jpg in pics.zip is not a text table"):
        load_ratings_file(zipped({"cat.jpg": bytes(range(256)) * 4}), ratings_name="pics.zip")


def test_excel_workbook_is_named_as_such():
    workbook = zipped({"[Content_Types].xml": b"<x/>", "xl/workbook.xml": b"<x/>"})
    with pytest.raises(DataError, match="book.xlsx is an Excel workbook .*Save the sheet as CSV"):
        load_ratings_file(workbook, ratings_name="book.xlsx")


def test_strip_suffix():
    assert strip_suffix("ratings.csv.gz") == "ratings.csv"
    assert strip_suffix("ml-25m.zip") == "ml-25m"
    assert strip_suffix("ratings.csv") == "ratings.csv"


# ---------------------------------------------------------------------------------------------
# Large files: refused before parsing, with the size and what to do


def test_two_gigabyte_sparse_file_is_refused_before_parsing(tmp_path, monkeypatch, capsys):
    """A 2 GB file (sparse: it takes no disk) against a 1 GB memory limit: refused at once."""
    path = tmp_path / "ratings.csv"
    with open(path, "wb") as f:
        f.write(b"userId,movieId,rating\n1,1,4\n2,1,3\n")
        f.truncate(2 * 10**9)
    monkeypatch.setenv(tables.ENV_MEMORY, "1000")
    start = time.perf_counter()
    assert main(["data", "--data", str(path), "--json"]) == 2
    seconds = time.perf_counter() - start
    out = json.loads(capsys.readouterr().out)
    assert out["kind"] == "DataError"
    msg = out["error"]
    assert "ratings.csv is too large for memory: it is 2.0 GB" in msg
    assert "needs about 8.0 GB to load, but only 1.0 GB is available" in msg
    assert "head -n 5000001 ratings.csv > sample.csv" in msg and "more memory" in msg
    assert seconds < 30  # nothing was parsed (reading 2 GB of zeros would take far longer here)


def test_gzip_records_its_size_and_is_refused_before_parsing(tmp_path):
    path = write_file(tmp_path / "r.csv.gz", gzip.compress(RATINGS))
    inp = open_input(path)
    assert (inp.compression, inp.size, inp.stored) == ("gzip", len(RATINGS), path.stat().st_size)
    with pytest.raises(DataError) as err:
        load_ratings_file(path, max_bytes=1000)
    assert f"r.csv.gz is too large for memory: it is {len(RATINGS) / 1000:.1f} KB" in str(err.value)
    assert "`zcat r.csv.gz | head -n 5000001 > sample.csv`" in str(err.value)


def test_stream_of_unknown_size_stops_once_it_cannot_fit(tmp_path):
    """bz2 does not record its size: the read stops when it outgrows the limit."""
    big = RATINGS + b"".join(f"{u},7,3,1\n".encode() for u in range(100, 20_000))
    path = write_file(tmp_path / "r.csv.bz2", bz2.compress(big))
    assert open_input(path).size is None
    with pytest.raises(
        DataError, match="r.csv.bz2 is too large for memory: decompressed, it is more than"
    ):
        load_ratings_file(path, max_bytes=200_000)
    assert len(load_ratings_file(path).ratings) == 59 * 5 + 19_900


def test_long_reads_report_progress(tmp_path, monkeypatch):
    monkeypatch.setattr(tables, "_QUIET_S", 0.0)  # here every read is "long"
    rows = b"".join(f"{u},{i},{(u + i) % 5 + 1}\n".encode() for u in range(3000) for i in range(30))
    for name, blob in (
        ("r.csv", b"user,item,rating\n" + rows),
        ("r.csv.gz", gzip.compress(b"user,item,rating\n" + rows)),
    ):
        seen: list[tuple[float, str]] = []
        ds = load_ratings_file(
            blob, ratings_name=name, progress=lambda f, m, s=seen: s.append((f, m))
        )
        assert len(ds.ratings) == 90_000
        fractions = [f for f, _ in seen]
        assert fractions == sorted(fractions) and fractions[-1] == 0.9
        assert seen[0][1].startswith(f"Reading {name} (")
        assert [m for _, m in seen[-2:]] == [
            f"Checking the ratings in {name}…",
            "Counting the ratings of each user and item…",
        ]
