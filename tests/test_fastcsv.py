"""The compiled parser for plain numbers gives exactly what pandas gives, or steps aside."""

from __future__ import annotations

import bz2
import io

import numpy as np
import pandas as pd
import pytest

from collab_core import fastcsv, tables
from collab_core.archives import open_input


def numbers(n: int, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    return pd.DataFrame(
        {
            "user": rng.integers(-5, 10**12, n),
            "item": rng.integers(0, 10**6, n),
            "rating": [
                round(v, d)
                for v, d in zip(rng.uniform(-10, 10, n), rng.integers(0, 7, n), strict=True)
            ],
            "when": rng.integers(0, 2 * 10**9, n),
        }
    )


def read(data: bytes, **kw) -> pd.DataFrame:
    return tables.read_table(data, "t.csv", None, tables.RATING_COLUMNS, None, **kw)[0]


@pytest.fixture
def small_blocks(monkeypatch):
    """Blocks of a few KB, split in halves: every line-end and carry case in a small file."""
    monkeypatch.setattr(fastcsv, "BLOCK", 4096)
    monkeypatch.setattr(fastcsv, "SPLIT", 1024)
    monkeypatch.setattr(tables, "FAST_MIN_BYTES", 0)  # small files too


@pytest.mark.parametrize(
    "sep, newline, bom, last_newline",
    [
        (",", "\n", False, True),
        ("\t", "\r\n", True, False),
        (";", "\n", False, False),
        ("|", "\r\n", False, True),
    ],
)
def test_same_frame_as_pandas(small_blocks, sep, newline, bom, last_newline):
    df = numbers(3000)
    text = df.to_csv(index=False, sep=sep, lineterminator=newline)
    text = text if last_newline else text.rstrip("\r\n")
    data = (b"\xef\xbb\xbf" if bom else b"") + text.encode()
    calls = []
    got = tables.read_table(
        data, "t.csv", None, tables.RATING_COLUMNS, None, progress=lambda f, m: calls.append(f)
    )[0]
    pd.testing.assert_frame_equal(got, pd.read_csv(io.BytesIO(data), sep=sep, encoding="utf-8-sig"))
    assert got["rating"].to_numpy().tobytes() == df["rating"].to_numpy().tobytes()  # exact


def test_the_compiled_parser_is_the_one_used(small_blocks, monkeypatch):
    seen = []
    real = fastcsv.read
    monkeypatch.setattr(fastcsv, "read", lambda *a, **k: seen.append(real(*a, **k)) or seen[-1])
    data = numbers(500).to_csv(index=False).encode()
    read(data)
    assert seen and seen[0] is not None and len(seen[0]) == 500


def test_empty_decimals_blank_lines_and_double_colons(small_blocks):
    data = b"user,item,rating\n1,2,\n\n3,4,.5\n5,6,7.\n-0,8,-1.25\n"
    got = read(data)
    assert got["rating"].tolist()[1:] == [0.5, 7.0, -1.25] and np.isnan(got["rating"][0])
    assert got["user"].tolist() == [1, 3, 5, 0]
    dat = b"1::1193::5::978300760\n1::661::3::978302109\n"
    got = read(dat)
    assert got.to_dict("list") == {
        "user_id": [1, 1], "item_id": [1193, 661], "rating": [5, 3], "timestamp": [978300760, 978302109]
    }  # fmt: skip


@pytest.mark.parametrize(
    "late",
    [b"7,abc,3\n", b"7,8.5,3\n", b"7,,3\n", b'7,"8",3\n', b"7,8,3e2\n", b"7, 8,3\n", b"7,8,3,4\n"],
    ids=["text", "decimal-id", "empty-id", "quoted", "exponent", "space", "ragged"],
)
def test_what_it_cannot_take_goes_to_the_other_parsers(small_blocks, late):
    """Past the sniffed head, a line that is not plain numbers: the result is still pandas'."""
    head = b"user,item,rating\n" + b"".join(b"%d,%d,%d\n" % (u, u % 9, u % 5) for u in range(9000))
    data = head + late + b"8,9,4\n"
    assert len(head) > 65536  # beyond what sniffing reads
    try:
        expected = pd.read_csv(io.BytesIO(data), skipinitialspace=True)
    except pd.errors.ParserError:
        with pytest.raises(Exception, match="could not be parsed"):
            read(data)
        return
    got = read(data)
    pd.testing.assert_frame_equal(got, expected, check_dtype=False)


def test_kinds_from_the_head():
    INT, FLOAT, FLOAT32 = fastcsv.INT, fastcsv.FLOAT, fastcsv.FLOAT32
    assert fastcsv.column_kinds(["1,2,3", "4,5,6.5"], ",", 3, []) == [INT, INT, FLOAT]
    assert fastcsv.column_kinds(["1,2,3", "4,,6"], ",", 3, [2]) == [INT, FLOAT, FLOAT32]
    assert fastcsv.column_kinds(["1,x,3"], ",", 3, []) is None
    assert fastcsv.column_kinds(["1,2"], ",", 3, []) is None
    assert fastcsv.column_kinds(["1,2e3,3"], ",", 3, []) is None


def test_a_stream_read_in_blocks_keeps_every_line(small_blocks, tmp_path):
    df = numbers(20_000, seed=3)
    path = tmp_path / "r.csv"
    df.to_csv(path, index=False)
    inp = open_input(path)
    with inp.open() as stream:
        got = fastcsv.read(
            stream, ",", list(df.columns), [False, False, True, False], True, lambda: None
        )
    pd.testing.assert_frame_equal(got, df)


def test_blank_lines_and_columns_that_grow(small_blocks):
    """Blank lines leave gaps between the halves; a stream of unknown size grows its columns."""
    lines = [f"{u},{u % 7},{u % 5}" + ("\n\n\n" if u % 13 == 0 else "\n") for u in range(5000)]
    data = ("user,item,rating\n" + "".join(lines)).encode()
    expected = pd.read_csv(io.BytesIO(data))
    for blob in (data, bz2.compress(data)):  # bz2 does not say how large it is
        pd.testing.assert_frame_equal(read(blob), expected)
