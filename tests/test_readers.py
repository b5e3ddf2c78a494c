"""Reading users' files: formats, column detection, encodings, every bad input, the column sniffer."""

from __future__ import annotations

import io
import zipfile

import pandas as pd
import pytest
from test_data import CSV, ITEMS, parquet_bytes, write_file

from collab_core.data import load_dataset, load_ratings_file
from collab_core.errors import DataError, MissingColumnError
from collab_core.readers import file_columns, human_bytes, read_ratings, split_genres

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
    ds = load_dataset(write_file(tmp_path / "r.csv", header + "\n" + body))
    assert ds.ratings.to_dict("list") == {
        "user_id": [1, 1, 2],
        "item_id": [10, 20, 10],
        "rating": [4.0, 3.0, 5.0],
        "timestamp": [100, 200, 300],
    }


def test_tsv_semicolon_and_headerless_files(tmp_path):
    tsv = load_dataset(write_file(tmp_path / "r.tsv", "user\titem\trating\n1\t10\t4\n2\t10\t2\n"))
    semi = load_dataset(write_file(tmp_path / "r.txt", "user;item;rating\n1;10;4\n2;10;2\n"))
    bare = load_dataset(write_file(tmp_path / "r.data", "1\t10\t4\t7\n2\t10\t2\t8\n"))
    for ds in (tsv, semi, bare):
        assert ds.ratings["rating"].tolist() == [4.0, 2.0]
        assert ds.ratings["user_id"].tolist() == [1, 2]
    assert bare.ratings["timestamp"].tolist() == [7, 8]
    assert tsv.ratings["timestamp"].tolist() == [0, 0]  # no timestamp column -> 0


def test_a_missing_column_is_named_in_plain_words_for_a_page_to_point_at():
    with pytest.raises(MissingColumnError) as err:
        load_ratings_file(b"who,what,how\n1,2,3\n2,2,4\n", ratings_name="odd.csv")
    e = err.value
    assert (e.file, e.role, e.columns) == ("odd.csv", "user_id", ["who", "what", "how"])
    assert str(e).startswith("odd.csv has no user column (its columns are ['who', 'what', 'how'])")
    assert "mapping" not in str(e) and "{" not in str(e)  # no Python for a person to read


def test_parquet_file_and_explicit_mapping(tmp_path):
    df = pd.DataFrame({"customer": ["a", "b", "a"], "sku": [5, 5, 6], "stars": [1, 5, 3]})
    path = tmp_path / "shop.parquet"
    path.write_bytes(parquet_bytes(df))
    ds = load_dataset(path, mapping={"user_id": "customer", "item_id": "sku", "rating": "stars"})
    assert ds.user_ids.tolist() == ["a", "b"]
    assert ds.item_ids.tolist() == [5, 6]
    assert ds.rating_scale == (1.0, 5.0)
    assert ds.items["title"].tolist() == ["Item 5", "Item 6"]  # no items file: shown by id


def test_dates_become_unix_seconds(tmp_path):
    ds = load_dataset(
        write_file(
            tmp_path / "r.csv", "user,item,rating,date\n1,2,4,1970-01-02\n2,2,3,2000-01-01\n"
        )
    )
    assert ds.ratings["timestamp"].tolist() == [86400, 946684800]


def test_items_file_gives_titles_genres_and_years(tmp_path):
    ds = load_dataset(
        write_file(tmp_path / "r.csv", CSV), items=write_file(tmp_path / "i.csv", ITEMS)
    )
    items = ds.items.set_index("item_id")
    assert items.loc[10, "title"] == "Heat (1995)"
    assert items.loc[10, "genres"] == ["Action", "Crime"]
    assert items.loc[10, "year"] == 1995
    assert items.loc[30, "genres"] == []
    assert pd.isna(items.loc[30, "year"])
    assert items.loc[10, "n_ratings"] == 2 and items.loc[10, "mean_rating"] == 4.5


def test_split_genres():
    assert split_genres("Action|Crime") == ["Action", "Crime"]
    assert split_genres("Action, Crime") == ["Action", "Crime"]
    assert split_genres("(no genres listed)") == []
    assert split_genres(None) == []
    assert split_genres("Science Fiction") == ["Science Fiction"]


def test_headerless_files_with_text_ids():
    ds = load_ratings_file(b"alice\tHeat\t4\nbob\tHeat\t2\n", ratings_name="r.tsv")
    assert ds.user_ids.tolist() == ["alice", "bob"] and ds.item_ids.tolist() == ["Heat"]


# ---------------------------------------------------------------------------------------------
# Bad input: every problem is a DataError naming the problem and the fix


@pytest.mark.parametrize(
    "data, kwargs, expected",
    [
        (
            b"userId,rating\n1,4\n2,3\n",
            {},
            [
                "no item column",
                "'userId', 'rating'",
                "Rename the column that holds them to one of movieid",
            ],
        ),
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
    path = write_file(tmp_path / "big.csv", b"user,item,rating\n" + body)
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
    path = write_file(tmp_path / "late.csv", text, encoding="latin-1")
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


def test_items_file_without_title_is_rejected():
    with pytest.raises(DataError, match="items file i.csv needs an id and a title column"):
        load_ratings_file(CSV, b"movieId,genres\n10,Action\n20,Drama\n", items_name="i.csv")


def test_unreadable_path_is_a_data_error(tmp_path):
    with pytest.raises(DataError, match="cannot be read"):
        read_ratings(tmp_path)  # a folder is not a file


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
    parquet = parquet_bytes(pd.DataFrame({"who": [1, 2], "item": [1, 2], "rating": [1, 2]}))
    with pytest.raises(DataError, match="up.parquet has no user column"):
        load_ratings_file(io.BytesIO(parquet), ratings_name="up.parquet")


def test_zipped_csv_upload_reads_as_the_csv():
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("mine.csv", CSV)
    ds = load_ratings_file(buf.getvalue(), ratings_name="mine.zip")
    assert ds.fingerprint == load_ratings_file(CSV, ratings_name="mine.csv").fingerprint
    assert ds.name == "mine"


def test_numeric_rating_ids_match_text_ids_in_the_items_file():
    """One non-numeric id makes the items file's ids text; '10' and '20.0' still name 10 and 20."""
    items = b"movieId,title\n10,Heat (1995)\n20.0,Babe (1995)\ntt99,Other (2001)\n"
    ds = load_ratings_file(CSV, items, ratings_name="r.csv", items_name="i.csv")
    titles = ds.items.set_index("item_id")["title"]
    assert ds.item_ids.tolist() == [10, 20, 30]
    assert titles[10] == "Heat (1995)" and titles[20] == "Babe (1995)" and titles[30] == "Item 30"
    # and the other way round: text ids in the ratings (one is not a number), numbers for items
    ratings = b"user,item,rating\n1,7,4\n2,7,2\n2,x9,5\n"
    ds = load_ratings_file(ratings, b"id,title\n7,Seven (1995)\n", ratings_name="r.csv")
    assert ds.items.set_index("item_id").loc["7", "title"] == "Seven (1995)"


def test_explicit_8bit_encoding_on_utf16_text_is_rejected():
    data = "user,item,rating\n1,2,3\n2,3,4\n".encode("utf-16-le")
    with pytest.raises(DataError, match="w.csv is not latin-1 text .*NUL bytes.*'utf-16'"):
        load_ratings_file(data, ratings_name="w.csv", encoding="latin-1")
    ds = load_ratings_file(data, ratings_name="w.csv", encoding="utf-16-le")
    assert ds.ratings["rating"].tolist() == [3.0, 4.0]


# ---------------------------------------------------------------------------------------------
# The column sniffer (the Upload page's column mapping) and sizes in messages


@pytest.mark.parametrize(
    "data, expected",
    [
        (b"userId,movieId,rating\n1,10,4\n", ["userId", "movieId", "rating"]),
        (b"who\twhat\thow\n1\t10\t4\n", ["who", "what", "how"]),
        (b"user;item;rating\n1;10;4\n", ["user", "item", "rating"]),
        (b"UserID::MovieID::Rating\n1::10::4\n", ["UserID", "MovieID", "Rating"]),
        ('"user", "item","stars"\n1,10,4\n'.encode("utf-16"), ["user", "item", "stars"]),
        (b"1\t10\t4\t881250949\n2\t10\t3\t881250950\n", []),  # no header: read by position
        (b"", []),
        (b"PK\x03\x04" + b"\x00" * 60, []),
        (b"PAR1 cut short", []),
    ],
    ids=["csv", "tsv", "semicolon", "dat", "utf16-quoted", "headerless", "empty", "zip", "parquet"],
)
def test_file_columns_are_the_columns_the_reader_sees(data, expected):
    assert file_columns(data) == expected


def test_file_columns_of_parquet_and_mapping_them_loads_the_file():
    blob = parquet_bytes(pd.DataFrame({"who": [1, 2], "what": [5, 6], "how": [1.0, 4.0]}))
    assert file_columns(blob) == ["who", "what", "how"]
    text = b"who,what,how\n1,5,1\n2,6,4\n"
    mapping = dict(zip(["user_id", "item_id", "rating"], file_columns(text), strict=True))
    for data in (blob, text):
        ratings, _ = read_ratings(data, name="odd", mapping=mapping)
        assert ratings["rating"].tolist() == [1.0, 4.0]


def test_human_bytes():
    assert human_bytes(512) == "512 bytes"
    assert human_bytes(1000) == "1.0 KB"
    assert human_bytes(2_345_678) == "2.3 MB"
    assert human_bytes(5_400_000_000_000) == "5,400.0 GB"
