"""The users table: ML-100k's (both sources), an own users file, and bad users files."""

from __future__ import annotations

import pandas as pd
import pytest
from test_grouplens import RB_FILES

from collab_core import grouplens, movielens, paths
from collab_core.data import load_dataset, load_ratings_file
from collab_core.errors import DataError

RATINGS = b"user,item,rating\n1,10,5\n1,11,3\n2,10,4\n3,11,2\n"


def test_ml100k_has_its_users_table(ml100k):
    users = ml100k.users
    assert len(users) == 943 and users["user_id"].is_unique
    assert list(users.columns) == ["user_id", "age", "gender", "occupation", "zip_code"]
    assert users["age"].between(7, 73).all()
    assert users.set_index("user_id").loc[1, "occupation"] == "technician"
    assert ml100k.summary()["user_details"] == ["age", "gender", "occupation", "zip_code"]


def test_recbole_copy_brings_the_users_table(tmp_path, monkeypatch):
    monkeypatch.setenv(paths.ENV_HOME, str(tmp_path))
    ratings, items, users = grouplens.parse_recbole(RB_FILES)
    movielens.write_cache(movielens.cache_dir(), ratings, items, users, "RecBole test")
    got = movielens.cached_users()
    assert got["user_id"].tolist() == [196, 186, 22]
    assert got["age"].tolist() == [49, 39, 25]
    assert got["occupation"].tolist() == ["writer", "executive", "writer"]


def test_own_users_file_is_loaded_and_matched_to_the_ratings(tmp_path):
    users = (
        b"userId,Age,gender,occupation\n1,25,F,student\n2,40,M,doctor\n3,31,F,artist\n9,50,M,x\n"
    )
    ds = load_ratings_file(RATINGS, ratings_name="r.csv", users=users, users_name="people.csv")
    assert ds.users["user_id"].tolist() == [1, 2, 3]  # user 9 has no ratings
    assert ds.users["age"].tolist() == [25, 40, 31]
    assert any("1 users in the users file people.csv have no ratings" in n for n in ds.notes)
    path = tmp_path / "r.csv"
    path.write_bytes(RATINGS)
    (tmp_path / "people.csv").write_bytes(users)
    ds2 = load_dataset(path, users=tmp_path / "people.csv")
    assert ds2.users["occupation"].tolist() == ["student", "doctor", "artist"]
    assert ds2.fingerprint == ds.fingerprint  # the users table is not part of it


def test_u_user_layout_is_recognised_as_a_users_file():
    u_user = b"1|24|M|technician|85711\n2|53|F|other|94043\n3|23|M|writer|32067\n"
    ds = load_ratings_file(RATINGS, ratings_name="r.csv", users=u_user)
    assert ds.users["gender"].tolist() == ["M", "F", "M"]


@pytest.mark.parametrize(
    ("users", "message"),
    [
        (b"name,age\nann,25\nbob,40\n", "has no user id column .*name, age"),
        (b"user_id,age\n1,25\n2,forty\n", "age column .* must hold numbers; row 3 .*'forty'"),
        (b"user_id,age\n7,25\n8,40\n", "shares no user ids with the ratings"),
        (b"", "is empty"),
    ],
    ids=["no-id-column", "age-not-a-number", "ids-not-in-ratings", "empty"],
)
def test_bad_users_file_is_a_clear_error(users, message):
    with pytest.raises(DataError, match=message):
        load_ratings_file(RATINGS, ratings_name="r.csv", users=users, users_name="u.csv")


def test_missing_users_file_is_a_clear_error(tmp_path):
    path = tmp_path / "r.csv"
    path.write_bytes(RATINGS)
    with pytest.raises(DataError, match="users file .* does not exist"):
        load_dataset(path, users=tmp_path / "nope.csv")


def test_data_without_users_keeps_working():
    ds = load_ratings_file(RATINGS, ratings_name="r.csv")
    assert ds.users is None and ds.summary()["user_details"] == []
    assert isinstance(ds.ratings, pd.DataFrame)
