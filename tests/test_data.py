"""The `Dataset` object, its fingerprint, the GroupLens layouts, and the entry points that load files."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from collab_core.data import (
    Dataset,
    load_dataset,
    load_ratings_file,
    make_dataset,
    read_items,
)
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
# Items files


def test_items_year_column_is_added_to_the_title(tmp_path):
    items = b"item_id,name,year,genre\n10,Heat,1995,Action\n20,Babe,,Comedy\n"
    it, _ = read_items(items, name="items.csv")
    assert it["title"].tolist() == ["Heat (1995)", "Babe"]
    assert it["genres"].tolist() == [["Action"], ["Comedy"]]


def test_items_missing_for_some_rated_items_gives_a_note(tmp_path):
    items = b"movieId,title\n10,Heat (1995)\n"
    ds = load_ratings_file(CSV, items, ratings_name="r.csv", items_name="i.csv")
    assert ds.items.set_index("item_id").loc[20, "title"] == "Item 20"
    assert any("2 rated items have no entry in the items file" in n for n in ds.notes)


# ---------------------------------------------------------------------------------------------
# GroupLens layouts


def _ml1m(folder: Path) -> Path:
    folder.mkdir()
    write_file(
        folder / "ratings.dat",
        "1::1193::5::978300760\n1::661::3::978302109\n2::1193::4::978298413\n",
    )
    write_file(
        folder / "movies.dat",
        "1193::One Flew Over the Cuckoo's Nest (1975)::Drama\n"
        "661::James and the Giant Peach (1996)::Animation|Children's|Musical\n"
        "2::Cité des enfants perdus, La (1995)::Adventure|Sci-Fi\n",
        encoding="latin-1",
    )
    return folder


def _ml_latest(folder: Path) -> Path:
    folder.mkdir()
    write_file(
        folder / "ratings.csv",
        "userId,movieId,rating,timestamp\n1,1,4.0,964982703\n1,3,4.5,964981247\n2,1,2.5,964982224\n",
    )
    write_file(
        folder / "movies.csv",
        "movieId,title,genres\n1,Toy Story (1995),Adventure|Animation|Children|Comedy|Fantasy\n"
        '3,"Grumpier Old Men, The (1995)",(no genres listed)\n',
    )
    return folder


def _ml100k_folder(folder: Path) -> Path:
    from collab_core.movielens import GENRES

    folder.mkdir()
    write_file(
        folder / "u.data", "196\t242\t3\t881250949\n186\t302\t3\t891717742\n22\t242\t1\t878887116\n"
    )
    flags = lambda on: "|".join("1" if g in on else "0" for g in GENRES)  # noqa: E731
    write_file(
        folder / "u.item",
        f"242|Kolya (1996)|24-Jan-1997||http://x|{flags({'Comedy'})}\n"
        f"302|L.A. Confidential (1997)|01-Jan-1997||http://x|{flags({'Crime', 'Film-Noir'})}\n",
        encoding="latin-1",
    )
    return folder


def test_ml1m_layout_folder_and_file(tmp_path):
    folder = _ml1m(tmp_path / "ml-1m")
    for path in (folder, folder / "ratings.dat"):
        ds = load_dataset(path)
        assert ds.name == "ml-1m"
        assert ds.ratings.to_dict("list") == {
            "user_id": [1, 1, 2],
            "item_id": [1193, 661, 1193],
            "rating": [5.0, 3.0, 4.0],
            "timestamp": [978300760, 978302109, 978298413],
        }
        items = ds.items.set_index("item_id")
        assert items.loc[661, "genres"] == ["Animation", "Children's", "Musical"]
        assert items.loc[1193, "title"] == "One Flew Over the Cuckoo's Nest (1975)"
        assert items.loc[1193, "year"] == 1975


def test_ml_latest_layout_folder_and_file(tmp_path):
    folder = _ml_latest(tmp_path / "ml-latest-small")
    for path in (folder, folder / "ratings.csv"):
        ds = load_dataset(path)
        items = ds.items.set_index("item_id")
        assert items.loc[1, "title"] == "Toy Story (1995)"
        assert items.loc[1, "genres"] == ["Adventure", "Animation", "Children", "Comedy", "Fantasy"]
        assert items.loc[3, "title"] == "Grumpier Old Men, The (1995)"
        assert items.loc[3, "genres"] == []
        assert ds.ratings["rating"].tolist() == [4.0, 4.5, 2.5]


def test_ml100k_layout_folder_and_file(tmp_path):
    folder = _ml100k_folder(tmp_path / "ml-100k")
    for path in (folder, folder / "u.data"):
        ds = load_dataset(path)
        assert (len(ds.ratings), ds.n_users, ds.n_items) == (3, 3, 2)
        items = ds.items.set_index("item_id")
        assert items.loc[302, "genres"] == ["Crime", "Film-Noir"]
        assert items.loc[242, "title"] == "Kolya (1996)"


def test_u_item_given_explicitly_uses_the_grouplens_reader(tmp_path):
    folder = _ml100k_folder(tmp_path / "ml-100k")
    ratings = write_file(tmp_path / "mine.tsv", (folder / "u.data").read_bytes())
    ds = load_dataset(ratings, items=folder / "u.item")
    assert ds.items.set_index("item_id").loc[302, "genres"] == ["Crime", "Film-Noir"]


def test_folder_without_ratings_is_a_data_error(tmp_path):
    with pytest.raises(
        DataError, match="holds no ratings file .*u.data, ratings.dat or ratings.csv"
    ):
        load_dataset(tmp_path)


def test_missing_paths_are_data_errors(tmp_path):
    with pytest.raises(DataError, match="does not exist"):
        load_dataset(tmp_path / "nope.csv")
    with pytest.raises(DataError, match="items file .*does not exist"):
        load_dataset(write_file(tmp_path / "r.csv", CSV), items=tmp_path / "nope.csv")


# ---------------------------------------------------------------------------------------------
# Items that do not match the ratings


def test_items_file_sharing_no_ids_is_rejected():
    items = b"movieId,title\n900,Other (2000)\n901,Another (2001)\n"
    with pytest.raises(DataError) as err:
        load_ratings_file(CSV, items, ratings_name="r.csv", items_name="i.csv")
    msg = str(err.value)
    assert "shares no item ids" in msg and "10" in msg and "900" in msg
    assert "belongs to this ratings file" in msg


# ---------------------------------------------------------------------------------------------
# Uploads (Streamlit hands over bytes or a file object plus the file's name)


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


def test_uploaded_u_item_and_movies_dat_are_recognised(tmp_path):
    folder = _ml100k_folder(tmp_path / "ml-100k")
    ratings = (folder / "u.data").read_bytes()
    ds = load_ratings_file(
        ratings, (folder / "u.item").read_bytes(), ratings_name="u.data", items_name="u.item"
    )
    items = ds.items.set_index("item_id")
    assert items.loc[302, "genres"] == ["Crime", "Film-Noir"]
    assert items.loc[242, "year"] == 1997  # from the release date, as GroupLens gives it
    ml1m = _ml1m(tmp_path / "ml-1m")
    ds = load_ratings_file(
        (ml1m / "ratings.dat").read_bytes(),
        io.BytesIO((ml1m / "movies.dat").read_bytes()),
        ratings_name="ratings.dat",
        items_name="movies.dat",
    )
    items = ds.items.set_index("item_id")
    assert items.loc[661, "genres"] == ["Animation", "Children's", "Musical"]
    assert items.loc[661, "title"] == "James and the Giant Peach (1996)"


def test_unrelated_movies_file_beside_the_ratings_is_explained(tmp_path):
    ratings = write_file(tmp_path / "ratings.csv", CSV)
    write_file(tmp_path / "movies.csv", b"movieId,title\n900,Other (2000)\n")
    with pytest.raises(DataError) as err:
        load_dataset(ratings)
    msg = str(err.value)
    assert "movies.csv beside ratings.csv was taken as its items file" in msg
    assert "shares no item ids" in msg and "Give the right items file explicitly" in msg
    ok = load_dataset(ratings, items=write_file(tmp_path / "titles.csv", ITEMS))
    assert ok.items.set_index("item_id").loc[10, "title"] == "Heat (1995)"


def test_headerless_items_file_with_titles():
    items, _ = read_items(b"10,Heat (1995),Action|Crime\n20,Babe (1995),Comedy\n", name="i.csv")
    assert items["title"].tolist() == ["Heat (1995)", "Babe (1995)"]
    assert items["genres"].tolist() == [["Action", "Crime"], ["Comedy"]]
