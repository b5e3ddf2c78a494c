"""GroupLens' layouts: every MovieLens folder and file, u.item wherever it comes from, RecBole's copy."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import pandas as pd
import pytest
from test_data import CSV, ITEMS, write_file

from collab_core import grouplens
from collab_core.data import load_dataset, load_ratings_file
from collab_core.errors import DataError
from collab_core.grouplens import GENRES, read_items

# ---------------------------------------------------------------------------------------------
# Sample files, written as GroupLens writes them (test_movielens serves them too)

U_DATA = b"1\t1\t5\t881250949\n1\t2\t3\t881250950\n2\t1\t4\t891717742\n2\t3\t1\t878887116\n"
U_USER = b"1|24|M|technician|85711\n2|53|F|other|94043\n"


def u_item_bytes() -> bytes:
    def row(i, title, date, flags):
        bits = ["1" if g in flags else "0" for g in GENRES]
        return "|".join([str(i), title, date, "", "http://x"] + bits)

    lines = [
        row(1, "Toy Story (1995)", "01-Jan-1995", {"Animation", "Children's", "Comedy"}),
        row(2, "GoldenEye (1995)", "01-Jan-1995", {"Action", "Thriller"}),
        row(3, "Misérables, Les (1995)", "01-Jan-1995", {"Drama"}),
    ]
    return ("\n".join(lines) + "\n").encode("latin-1")


def grouplens_zip(members: dict[str, bytes] | None = None) -> bytes:
    members = members or {"u.data": U_DATA, "u.item": u_item_bytes(), "u.user": U_USER}
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        for name, blob in members.items():
            zf.writestr(f"ml-100k/{name}", blob)
    return buf.getvalue()


RB_INTER = (
    b"user_id:token\titem_id:token\trating:float\ttimestamp:float\n"
    b"196\t242\t3\t881250949\n186\t302\t3\t891717742\n22\t242\t1\t878887116\n"
)
RB_ITEM = (
    b"item_id:token\tmovie_title:token_seq\trelease_year:token\tclass:token_seq\n"
    b"242\tKolya\t1997\tComedy\n302\tL.A. Confidential\t1997\tCrime Film-Noir Mystery Thriller\n"
    b"267\tunkonwn\t\tunknown\n"
)
RB_USER = (
    b"user_id:token\tage:token\tgender:token\toccupation:token\tzip_code:token\n"
    b"196\t49\tM\twriter\t55105\n186\t39\tF\texecutive\t00000\n22\t25\tM\twriter\t40206\n"
)
RB_FILES = {"ml-100k.inter": RB_INTER, "ml-100k.item": RB_ITEM, "ml-100k.user": RB_USER}


# ---------------------------------------------------------------------------------------------
# Folders and files in the GroupLens layouts


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


# ---------------------------------------------------------------------------------------------
# Items files: u.item by its shape, any other table by its column names


def test_items_year_column_is_added_to_the_title(tmp_path):
    items = b"item_id,name,year,genre\n10,Heat,1995,Action\n20,Babe,,Comedy\n"
    it, _ = read_items(items, name="items.csv")
    assert it["title"].tolist() == ["Heat (1995)", "Babe"]
    assert it["genres"].tolist() == [["Action"], ["Comedy"]]


def test_headerless_items_file_with_titles():
    items, _ = read_items(b"10,Heat (1995),Action|Crime\n20,Babe (1995),Comedy\n", name="i.csv")
    assert items["title"].tolist() == ["Heat (1995)", "Babe (1995)"]
    assert items["genres"].tolist() == [["Action", "Crime"], ["Comedy"]]


# ---------------------------------------------------------------------------------------------
# One u.item parser, however the file arrives


def test_u_item_reads_the_same_by_path_upload_and_zip(tmp_path):
    """By name in a folder, recognised by its shape under any name, or inside ml-100k.zip."""
    raw = u_item_bytes().replace(b"GoldenEye (1995)", b"Two Friends (1986) ")  # as GroupLens has it
    folder = tmp_path / "ml-100k"
    folder.mkdir()
    write_file(folder / "u.data", U_DATA)
    write_file(folder / "u.item", raw)
    by_path = load_dataset(folder)
    uploaded = load_ratings_file(U_DATA, raw, ratings_name="u.data", items_name="films.txt")
    assert uploaded.fingerprint == by_path.fingerprint
    pd.testing.assert_frame_equal(uploaded.items, by_path.items)
    _, zipped, _ = grouplens.parse_grouplens_zip(
        grouplens_zip({"u.data": U_DATA, "u.item": raw, "u.user": U_USER})
    )
    pd.testing.assert_frame_equal(zipped, grouplens.read_u_item(raw))
    titles = by_path.items["title"].tolist()
    assert (
        titles
        == zipped["title"].tolist()
        == [
            "Toy Story (1995)",
            "Two Friends (1986) ",  # kept as GroupLens wrote it
            "Misérables, Les (1995)",
        ]
    )
    assert by_path.items["genres"].tolist()[2] == ["Drama"]


def test_u_item_not_in_the_layout_is_a_data_error():
    with pytest.raises(DataError, match="u.item is not in the GroupLens layout"):
        grouplens.read_u_item(b"1|Toy Story (1995)|01-Jan-1995||http://x|0|x|0\n")


# ---------------------------------------------------------------------------------------------
# ml-100k.zip and RecBole's atomic files


def test_grouplens_zip_is_parsed():
    ratings, items, users = grouplens.parse_grouplens_zip(grouplens_zip())
    assert ratings["item_id"].tolist() == [1, 2, 1, 3]
    assert items["title"].tolist()[2] == "Misérables, Les (1995)"  # Latin-1 decoded
    assert users["zip_code"].tolist() == ["85711", "94043"]


def test_grouplens_zip_missing_a_member_is_a_data_error():
    blob = grouplens_zip({"u.data": U_DATA, "u.user": U_USER})
    with pytest.raises(DataError, match="not the expected archive"):
        grouplens.parse_grouplens_zip(blob)
    with pytest.raises(DataError, match="not the expected archive"):
        grouplens.parse_grouplens_zip(b"not a zip")


def test_grouplens_zip_with_damaged_member_is_a_data_error():
    blob = grouplens_zip({"u.data": b"1\tx\t5\t1\n", "u.item": u_item_bytes(), "u.user": U_USER})
    with pytest.raises(DataError, match="GroupLens layout"):
        grouplens.parse_grouplens_zip(blob)


def test_recbole_files_are_converted():
    ratings, items, users = grouplens.parse_recbole(RB_FILES)
    assert ratings["user_id"].tolist() == [196, 186, 22]
    assert ratings["rating"].tolist() == [3.0, 3.0, 1.0]
    assert ratings["timestamp"].tolist() == [881250949, 891717742, 878887116]
    assert items["title"].tolist() == ["Kolya (1997)", "L.A. Confidential (1997)", "unknown"]
    assert items["genres"].tolist()[1] == ["Crime", "Film-Noir", "Mystery", "Thriller"]
    assert users["zip_code"].tolist()[1] == "00000"  # zip codes stay text
