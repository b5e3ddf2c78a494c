"""The `Dataset` object, its fingerprint, and the entry points that make one from files."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from collab_core.data import Dataset, load_dataset, load_ratings_file, make_dataset
from collab_core.errors import DataError

CSV = b"userId,movieId,rating,timestamp\n1,10,4.0,100\n1,20,3.5,200\n2,10,5,300\n3,30,1,400\n"
ITEMS = b"movieId,title,genres\n10,Heat (1995),Action|Crime\n20,Babe (1995),Comedy\n30,Zero,(no genres listed)\n"


def parquet_bytes(df: pd.DataFrame) -> bytes:
    buf = io.BytesIO()
    df.to_parquet(buf, index=False)
    return buf.getvalue()


def write_file(path: Path, data: bytes | str, encoding: str = "utf-8") -> Path:
    path.write_bytes(data if isinstance(data, bytes) else data.encode(encoding))
    return path


# ---------------------------------------------------------------------------------------------
# Dataset object and fingerprint


def test_dataset_encoders_and_summary():
    ds = load_ratings_file(CSV, ITEMS, ratings_name="r.csv", items_name="i.csv")
    assert isinstance(ds, Dataset)
    assert ds.user_ids.tolist() == [1, 2, 3] and ds.item_ids.tolist() == [10, 20, 30]
    assert ds.user_index([3, 1, 99]).tolist() == [2, 0, -1]
    assert ds.item_index([30, 77]).tolist() == [2, -1]
    u, i, r = ds.encode(ds.ratings)
    assert u.tolist() == [0, 0, 1, 2] and i.tolist() == [0, 1, 0, 2]
    assert r.dtype == np.float32
    s = ds.summary()
    assert (s["ratings"], s["users"], s["items"], s["rating_min"], s["rating_max"]) == (
        4,
        3,
        3,
        1.0,
        5.0,
    )
    assert s["sparsity"] == pytest.approx(1 - 4 / 9, abs=1e-6)


def test_fingerprint_is_stable_and_follows_the_data(ml100k):
    again = make_dataset(ml100k.ratings.copy(), ml100k.items.copy())
    assert again.fingerprint == ml100k.fingerprint
    changed = ml100k.ratings.copy()
    changed.loc[0, "rating"] = 6 - changed.loc[0, "rating"] if changed.loc[0, "rating"] != 3 else 4
    assert make_dataset(changed, ml100k.items).fingerprint != ml100k.fingerprint


def test_fingerprint_of_a_file_is_the_same_in_every_load(tmp_path):
    path = write_file(tmp_path / "r.csv", CSV)
    first = load_dataset(path).fingerprint
    assert load_dataset(path).fingerprint == first
    assert load_ratings_file(CSV, ratings_name="x.csv").fingerprint == first  # content, not path
    write_file(path, CSV.replace(b"3,30,1,400", b"3,30,2,400"))
    assert load_dataset(path).fingerprint != first


# ---------------------------------------------------------------------------------------------
# Items that do not match the ratings


def test_items_missing_for_some_rated_items_gives_a_note(tmp_path):
    items = b"movieId,title\n10,Heat (1995)\n"
    ds = load_ratings_file(CSV, items, ratings_name="r.csv", items_name="i.csv")
    assert ds.items.set_index("item_id").loc[20, "title"] == "Item 20"
    assert any("2 rated items have no entry in the items file" in n for n in ds.notes)


def test_items_file_sharing_no_ids_is_rejected():
    items = b"movieId,title\n900,Other (2000)\n901,Another (2001)\n"
    with pytest.raises(DataError) as err:
        load_ratings_file(CSV, items, ratings_name="r.csv", items_name="i.csv")
    msg = str(err.value)
    assert "shares no item ids" in msg and "10" in msg and "900" in msg
    assert "belongs to this ratings file" in msg


# ---------------------------------------------------------------------------------------------
# Entry points: paths, bytes and file objects (Streamlit hands over bytes or a file object plus
# the file's name)


def test_missing_paths_are_data_errors(tmp_path):
    with pytest.raises(DataError, match="does not exist"):
        load_dataset(tmp_path / "nope.csv")
    with pytest.raises(DataError, match="items file .*does not exist"):
        load_dataset(write_file(tmp_path / "r.csv", CSV), items=tmp_path / "nope.csv")


def test_upload_as_bytes_and_file_object_csv_and_parquet():
    frame = pd.DataFrame({"user_id": [1, 1, 2], "item_id": [10, 20, 10], "rating": [4.0, 3.5, 5.0]})
    for blob, name in ((CSV, "upload.csv"), (parquet_bytes(frame), "upload.parquet")):
        for source in (blob, io.BytesIO(blob)):
            ds = load_ratings_file(source, ratings_name=name)
            assert ds.source == name and ds.name == Path(name).stem
            assert ds.ratings["rating"].iloc[:2].tolist() == [4.0, 3.5]
    items = io.BytesIO(ITEMS)
    ds = load_ratings_file(io.BytesIO(CSV), items, ratings_name="r.csv", items_name="movies.csv")
    assert ds.items.set_index("item_id").loc[20, "title"] == "Babe (1995)"
