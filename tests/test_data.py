"""Own ratings files: formats, column detection, GroupLens layouts, uploads, and every bad input."""

from __future__ import annotations

import io
import zipfile
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
    read_ratings,
    split_genres,
)
from collab_core.errors import DataError

CSV = b"userId,movieId,rating,timestamp\n1,10,4.0,100\n1,20,3.5,200\n2,10,5,300\n3,30,1,400\n"
ITEMS = b"movieId,title,genres\n10,Heat (1995),Action|Crime\n20,Babe (1995),Comedy\n30,Zero,(no genres listed)\n"


def _parquet(df: pd.DataFrame) -> bytes:
    buf = io.BytesIO()
    df.to_parquet(buf, index=False)
    return buf.getvalue()


def _write(path: Path, data: bytes | str, encoding: str = "utf-8") -> Path:
    path.write_bytes(data if isinstance(data, bytes) else data.encode(encoding))
    return path


# ---------------------------------------------------------------------------------------------
# Formats and column detection


@pytest.mark.parametrize(
    "header",
    [
        "userId,movieId,rating,timestamp",
        "user_id,item_id,rating,timestamp",
        "user,item,rating,timestamp",
        "User ID,Item-ID,Rating,Timestamp",
    ],
)
def test_columns_are_detected_by_their_usual_names(tmp_path, header):
    body = "1,10,4,100\n1,20,3,200\n2,10,5,300\n"
    ds = load_dataset(_write(tmp_path / "r.csv", header + "\n" + body))
    assert ds.ratings.to_dict("list") == {
        "user_id": [1, 1, 2],
        "item_id": [10, 20, 10],
        "rating": [4.0, 3.0, 5.0],
        "timestamp": [100, 200, 300],
    }


def test_tsv_semicolon_and_headerless_files(tmp_path):
    tsv = load_dataset(_write(tmp_path / "r.tsv", "user\titem\trating\n1\t10\t4\n2\t10\t2\n"))
    semi = load_dataset(_write(tmp_path / "r.txt", "user;item;rating\n1;10;4\n2;10;2\n"))
    bare = load_dataset(_write(tmp_path / "r.data", "1\t10\t4\t7\n2\t10\t2\t8\n"))
    for ds in (tsv, semi, bare):
        assert ds.ratings["rating"].tolist() == [4.0, 2.0]
        assert ds.ratings["user_id"].tolist() == [1, 2]
    assert bare.ratings["timestamp"].tolist() == [7, 8]
    assert tsv.ratings["timestamp"].tolist() == [0, 0]  # no timestamp column -> 0


def test_parquet_file_and_explicit_mapping(tmp_path):
    df = pd.DataFrame({"customer": ["a", "b", "a"], "sku": [5, 5, 6], "stars": [1, 5, 3]})
    path = tmp_path / "shop.parquet"
    path.write_bytes(_parquet(df))
    ds = load_dataset(path, mapping={"user_id": "customer", "item_id": "sku", "rating": "stars"})
    assert ds.user_ids.tolist() == ["a", "b"]
    assert ds.item_ids.tolist() == [5, 6]
    assert ds.rating_scale == (1.0, 5.0)
    assert ds.items["title"].tolist() == ["Item 5", "Item 6"]  # no items file: shown by id


def test_dates_become_unix_seconds(tmp_path):
    ds = load_dataset(
        _write(tmp_path / "r.csv", "user,item,rating,date\n1,2,4,1970-01-02\n2,2,3,2000-01-01\n")
    )
    assert ds.ratings["timestamp"].tolist() == [86400, 946684800]


def test_items_file_gives_titles_genres_and_years(tmp_path):
    ds = load_dataset(_write(tmp_path / "r.csv", CSV), items=_write(tmp_path / "i.csv", ITEMS))
    items = ds.items.set_index("item_id")
    assert items.loc[10, "title"] == "Heat (1995)"
    assert items.loc[10, "genres"] == ["Action", "Crime"]
    assert items.loc[10, "year"] == 1995
    assert items.loc[30, "genres"] == []
    assert pd.isna(items.loc[30, "year"])
    assert items.loc[10, "n_ratings"] == 2 and items.loc[10, "mean_rating"] == 4.5


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


def test_split_genres():
    assert split_genres("Action|Crime") == ["Action", "Crime"]
    assert split_genres("Action, Crime") == ["Action", "Crime"]
    assert split_genres("(no genres listed)") == []
    assert split_genres(None) == []
    assert split_genres("Science Fiction") == ["Science Fiction"]


# ---------------------------------------------------------------------------------------------
# GroupLens layouts


def _ml1m(folder: Path) -> Path:
    folder.mkdir()
    _write(
        folder / "ratings.dat",
        "1::1193::5::978300760\n1::661::3::978302109\n2::1193::4::978298413\n",
    )
    _write(
        folder / "movies.dat",
        "1193::One Flew Over the Cuckoo's Nest (1975)::Drama\n"
        "661::James and the Giant Peach (1996)::Animation|Children's|Musical\n"
        "2::Cité des enfants perdus, La (1995)::Adventure|Sci-Fi\n",
        encoding="latin-1",
    )
    return folder


def _ml_latest(folder: Path) -> Path:
    folder.mkdir()
    _write(
        folder / "ratings.csv",
        "userId,movieId,rating,timestamp\n1,1,4.0,964982703\n1,3,4.5,964981247\n2,1,2.5,964982224\n",
    )
    _write(
        folder / "movies.csv",
        "movieId,title,genres\n1,Toy Story (1995),Adventure|Animation|Children|Comedy|Fantasy\n"
        '3,"Grumpier Old Men, The (1995)",(no genres listed)\n',
    )
    return folder


def _ml100k_folder(folder: Path) -> Path:
    from collab_core.movielens import GENRES

    folder.mkdir()
    _write(
        folder / "u.data", "196\t242\t3\t881250949\n186\t302\t3\t891717742\n22\t242\t1\t878887116\n"
    )
    flags = lambda on: "|".join("1" if g in on else "0" for g in GENRES)  # noqa: E731
    _write(
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
    ratings = _write(tmp_path / "mine.tsv", (folder / "u.data").read_bytes())
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
        load_dataset(_write(tmp_path / "r.csv", CSV), items=tmp_path / "nope.csv")


# ---------------------------------------------------------------------------------------------
# Bad input: every problem is a DataError naming the problem and the fix


@pytest.mark.parametrize(
    "data, kwargs, expected",
    [
        (b"userId,rating\n1,4\n2,3\n", {}, ["no item column", "'userId', 'rating'", "mapping="]),
        (
            b"user,item,rating\n1,10,good\n2,10,3\n",
            {},
            ["not numbers", "line 2", "'good'", "numeric"],
        ),
        (
            b"user,item,rating\n1,10,4\n2,10,\n",
            {},
            ["1 ratings are empty or NaN", "line 3", "Remove"],
        ),
        (b"user,item,rating\n1,10,NaN\n2,10,3\n2,11,4\n", {}, ["empty or NaN", "line 2"]),
        (b"", {}, ["is empty", "header row"]),
        (b"\n\n  \n", {}, ["is empty"]),
        (b"user,item,rating\n", {}, ["header but no rows"]),
        (
            "user,item,rating\n1,2,3\n2,3,4\n".encode("utf-16-le"),
            {},
            ["UTF-16 without a byte-order mark", "UTF-8"],
        ),
        (bytes(range(256)) * 8, {}, ["binary file", "Save it as UTF-8 CSV"]),
        (b"PK\x03\x04" + b"\x00" * 60, {}, ["zip archive", "Excel", "save the sheet as CSV"]),
        (
            "user,item,rating\né,2,3\n2,3,4\n".encode("latin-1"),
            {"encoding": "utf-8"},
            ["not valid utf-8", "encoding"],
        ),
        (
            b"user,item,rating\n1,2,3\n2,2,4\n",
            {"encoding": "klingon"},
            ["Unknown text encoding 'klingon'"],
        ),
        (
            b"user,item,rating\n1,10,4\n2,10,4\n",
            {},
            ["every rating is 4", "two different rating values"],
        ),
        (
            b"user,item,rating\n1,10,4\n2,10,3\n",
            {"mapping": {"rating": "stars"}},
            ["'stars'", "not in", "'user', 'item', 'rating'"],
        ),
        (
            b"user,item,rating\n1,10,4\n2,10,3\n",
            {"mapping": {"score": "rating"}},
            ["Unknown column roles ['score']", "user_id"],
        ),
        (b"user,item,rating\n1,10,4\n,10,3\n", {}, ["1 rows have no user_id", "line 3"]),
        (
            b"user,item,rating,time\n1,10,4,soon\n2,10,3,later\n",
            {},
            ["neither numbers nor dates", "'soon'"],
        ),
        (b"user,item,rating\n1,10,4\n2,10,3,9,9\n", {}, ["could not be parsed", "separator"]),
        (b"PAR1 but not really", {}, ["not a readable Parquet file"]),
    ],
    ids=[
        "missing-column",
        "non-numeric",
        "empty-rating",
        "nan-rating",
        "empty-file",
        "blank-file",
        "header-only",
        "utf16-no-bom",
        "binary",
        "zip-xlsx",
        "encoding-mismatch",
        "unknown-encoding",
        "single-valued",
        "unknown-mapping-column",
        "unknown-mapping-role",
        "missing-user",
        "bad-timestamps",
        "ragged",
        "bad-parquet",
    ],
)
def test_bad_ratings_files_raise_data_errors_that_name_the_file(data, kwargs, expected):
    with pytest.raises(DataError) as err:
        load_ratings_file(data, ratings_name="my_ratings.csv", **kwargs)
    msg = str(err.value)
    assert "my_ratings.csv" in msg or "Unknown" in msg
    for part in expected:
        assert part in msg, (part, msg)


def test_file_too_large_for_memory(tmp_path):
    body = b"".join(f"{u},{u % 7},{u % 5 + 1}\n".encode() for u in range(200))
    path = _write(tmp_path / "big.csv", b"user,item,rating\n" + body)
    with pytest.raises(DataError) as err:
        load_ratings_file(path, max_bytes=1000)
    msg = str(err.value)
    assert "big.csv is too large for memory" in msg
    assert "smaller sample" in msg
    assert "1.0 KB is available" in msg
    # the same file within the limit loads
    assert len(load_ratings_file(path, max_bytes=10**9).ratings) == 200


def test_utf16_with_bom_and_latin1_files_load(tmp_path):
    text = "user,item,rating\n1,Amélie,4\n2,Amélie,2\n"
    ds = load_ratings_file(text.encode("utf-16"), ratings_name="u16.csv")
    assert ds.item_ids.tolist() == ["Amélie"]
    ds = load_ratings_file(text.encode("latin-1"), ratings_name="l1.csv")
    assert ds.item_ids.tolist() == ["Amélie"]
    assert any("read as Latin-1" in n for n in ds.notes)


def test_latin1_byte_after_the_sniffed_head_still_loads(tmp_path):
    # The first 64 KB are plain ASCII; the only non-UTF-8 byte comes later.
    lines = [f"{u},{i},{(u + i) % 5 + 1}" for u in range(4000) for i in range(2)]
    text = "user,item,rating\n" + "\n".join(lines) + "\n9999,Amélie,4\n"
    path = _write(tmp_path / "late.csv", text, encoding="latin-1")
    assert path.stat().st_size > 65536
    ds = load_dataset(path)
    assert "Amélie" in set(ds.item_ids)
    assert any("read as Latin-1" in n for n in ds.notes)


def test_duplicates_keep_the_latest_rating_and_say_how_many():
    data = (
        b"user,item,rating,timestamp\n1,10,4,300\n1,10,2,100\n2,10,3,200\n1,10,5,250\n2,10,1,50\n"
    )
    r, notes = read_ratings(data, name="d.csv")
    assert r.to_dict("list") == {
        "user_id": [1, 2],
        "item_id": [10, 10],
        "rating": [4.0, 3.0],
        "timestamp": [300, 200],
    }
    assert notes == [
        "3 duplicate (user, item) ratings were found; the latest rating of each pair was kept."
    ]


def test_duplicates_without_timestamps_keep_the_last_line():
    r, notes = read_ratings(b"user,item,rating\n1,10,4\n1,10,2\n2,10,3\n", name="d.csv")
    assert r["rating"].tolist() == [2.0, 3.0]
    assert "1 duplicate" in notes[0]


def test_items_file_sharing_no_ids_is_rejected():
    items = b"movieId,title\n900,Other (2000)\n901,Another (2001)\n"
    with pytest.raises(DataError) as err:
        load_ratings_file(CSV, items, ratings_name="r.csv", items_name="i.csv")
    msg = str(err.value)
    assert "shares no item ids" in msg and "10" in msg and "900" in msg
    assert "belongs to this ratings file" in msg


def test_items_file_without_title_is_rejected():
    with pytest.raises(DataError, match="items file i.csv needs an id and a title column"):
        load_ratings_file(CSV, b"movieId,genres\n10,Action\n20,Drama\n", items_name="i.csv")


def test_unreadable_path_is_a_data_error(tmp_path):
    with pytest.raises(DataError, match="cannot be read"):
        read_ratings(tmp_path)  # a folder is not a file


# ---------------------------------------------------------------------------------------------
# Uploads (Streamlit hands over bytes or a file object plus the file's name)


def test_upload_as_bytes_and_file_object_csv_and_parquet():
    frame = pd.DataFrame({"user_id": [1, 1, 2], "item_id": [10, 20, 10], "rating": [4.0, 3.5, 5.0]})
    for blob, name in ((CSV, "upload.csv"), (_parquet(frame), "upload.parquet")):
        for source in (blob, io.BytesIO(blob)):
            ds = load_ratings_file(source, ratings_name=name)
            assert ds.source == name and ds.name == Path(name).stem
            assert ds.ratings["rating"].iloc[:2].tolist() == [4.0, 3.5]
    items = io.BytesIO(ITEMS)
    ds = load_ratings_file(io.BytesIO(CSV), items, ratings_name="r.csv", items_name="movies.csv")
    assert ds.items.set_index("item_id").loc[20, "title"] == "Babe (1995)"


def test_upload_errors_name_the_uploaded_file():
    bad_items = b"id,title\n900,X\n"
    with pytest.raises(DataError, match="mine.csv: 1 ratings are not numbers"):
        load_ratings_file(io.BytesIO(b"user,item,rating\n1,2,x\n2,2,3\n"), ratings_name="mine.csv")
    with pytest.raises(DataError, match="mine.parquet is not a readable Parquet file"):
        load_ratings_file(b"PAR1xxxx", ratings_name="mine.parquet")
    with pytest.raises(DataError, match="my.xlsx is a zip archive"):
        load_ratings_file(io.BytesIO(b"PK\x03\x04" + b"\x00" * 40), ratings_name="my.xlsx")
    with pytest.raises(DataError, match="shares no item ids"):
        load_ratings_file(CSV, bad_items, ratings_name="r.csv", items_name="i.csv")
    parquet = _parquet(pd.DataFrame({"who": [1, 2], "item": [1, 2], "rating": [1, 2]}))
    with pytest.raises(DataError, match="up.parquet has no user column"):
        load_ratings_file(io.BytesIO(parquet), ratings_name="up.parquet")


def test_zipped_csv_upload_is_explained():
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("ratings.csv", CSV)
    with pytest.raises(DataError, match="ratings.zip is a zip archive .*Extract the CSV"):
        load_ratings_file(buf.getvalue(), ratings_name="ratings.zip")


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
    path = _write(tmp_path / "r.csv", CSV)
    first = load_dataset(path).fingerprint
    assert load_dataset(path).fingerprint == first
    assert load_ratings_file(CSV, ratings_name="x.csv").fingerprint == first  # content, not path
    _write(path, CSV.replace(b"3,30,1,400", b"3,30,2,400"))
    assert load_dataset(path).fingerprint != first


def test_explicit_8bit_encoding_on_utf16_text_is_rejected():
    data = "user,item,rating\n1,2,3\n2,3,4\n".encode("utf-16-le")
    with pytest.raises(DataError, match="w.csv is not latin-1 text .*NUL bytes.*'utf-16'"):
        load_ratings_file(data, ratings_name="w.csv", encoding="latin-1")
    ds = load_ratings_file(data, ratings_name="w.csv", encoding="utf-16-le")
    assert ds.ratings["rating"].tolist() == [3.0, 4.0]


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
    ratings = _write(tmp_path / "ratings.csv", CSV)
    _write(tmp_path / "movies.csv", b"movieId,title\n900,Other (2000)\n")
    with pytest.raises(DataError) as err:
        load_dataset(ratings)
    msg = str(err.value)
    assert "movies.csv beside ratings.csv was taken as its items file" in msg
    assert "shares no item ids" in msg and "Give the right items file explicitly" in msg
    ok = load_dataset(ratings, items=_write(tmp_path / "titles.csv", ITEMS))
    assert ok.items.set_index("item_id").loc[10, "title"] == "Heat (1995)"


def test_headerless_files_with_text_ids_and_titles():
    ds = load_ratings_file(b"alice\tHeat\t4\nbob\tHeat\t2\n", ratings_name="r.tsv")
    assert ds.user_ids.tolist() == ["alice", "bob"] and ds.item_ids.tolist() == ["Heat"]
    items, _ = read_items(b"10,Heat (1995),Action|Crime\n20,Babe (1995),Comedy\n", name="i.csv")
    assert items["title"].tolist() == ["Heat (1995)", "Babe (1995)"]
    assert items["genres"].tolist() == [["Action", "Crime"], ["Comedy"]]
