"""Strict rating values: files that do not look like one scale are refused; a stated scale lets them in."""

from __future__ import annotations

import json

import numpy as np
import pytest
from test_data import write_file

from collab_core.cli import main
from collab_core.data import load_dataset, load_ratings_file
from collab_core.errors import ConfigError, DataError
from collab_core.scales import check_ratings, parse_scale


def ratings_file(values) -> bytes:
    """One rating per line, from 40 users over 10 items; line numbers are index + 2."""
    lines = [f"{n // 10},{n % 10},{v}" for n, v in enumerate(values)]
    return ("user,item,rating\n" + "\n".join(lines) + "\n").encode()


def ordinary(n: int = 400) -> list:
    return [2 if n % 3 else 4 for n in range(n)]


def refused(values, **kwargs) -> str:
    with pytest.raises(DataError) as err:
        load_ratings_file(ratings_file(values), ratings_name="range.csv", **kwargs)
    return str(err.value)


def test_values_far_from_the_rest_are_refused_with_count_line_and_fix():
    """The issue's file: -3 and 1e9 among ordinary 2s and 4s."""
    values = ordinary()
    values[57], values[300] = -3, "1e9"
    msg = refused(values)
    assert "range.csv: 2 ratings do not look like the others, which run from 2 to 4" in msg
    assert "(first on line 59: -3)" in msg
    assert "--scale LO HI" in msg and "Rating scale field on the Upload page" in msg


@pytest.mark.parametrize(
    "odd, count",
    [(44, 1), (-1, 1), (1e9, 1), (-3, 1)],
    ids=["typo-44", "minus-one-for-unrated", "huge", "negative-star"],
)
def test_one_odd_value_on_a_star_scale_is_refused(odd, count):
    values = [1 + n % 5 for n in range(400)]
    values[10] = odd
    assert f"{count} ratings do not look like the others" in refused(values)
    assert "first on line 12" in refused(values)


def test_more_distinct_values_than_a_scale_has():
    values = [round(1 + 4 * ((n * 0.6180339) % 1), 5) for n in range(400)]
    msg = refused(values)
    assert "the ratings take 400 different values (from line 2: 1, 3.47214, 1.94427, ...)" in msg
    assert "a rating scale has a few" in msg and "--scale LO HI" in msg


@pytest.mark.parametrize(
    "values",
    [
        [1 + n % 5 for n in range(200)],  # 1-5 stars
        [0.5 + (n % 10) / 2 for n in range(200)],  # half stars
        [n % 101 for n in range(303)],  # 0-100
        [1 + n % 10 for n in range(200)],  # 1-10
        [(-1) ** n for n in range(200)],  # like / dislike
        [n % 2 for n in range(200)],  # 0 / 1
        [-2 + n % 5 for n in range(200)],  # -2 .. 2
        [5] * 195 + [1, 2, 3, 4, 4],  # nearly all fives
    ],
    ids=["stars", "half", "0-100", "1-10", "like-dislike", "binary", "centred", "mostly-fives"],
)
def test_real_scales_are_accepted(values):
    ds = load_ratings_file(ratings_file(values), ratings_name="ok.csv")
    assert ds.rating_scale == (min(values), max(values))


def test_stated_scale_accepts_continuous_scores_and_refuses_values_outside():
    jester = [round(-10 + 20 * ((n * 0.6180339) % 1), 2) for n in range(400)]  # -10.00 .. 10.00
    assert "different values" in refused(jester)
    ds = load_ratings_file(ratings_file(jester), ratings_name="jester.csv", scale=(-10, 10))
    assert ds.rating_scale[0] >= -10 and ds.rating_scale[1] <= 10
    jester[5] = 11
    msg = refused(jester, scale=(-10, 10))
    assert "range.csv: 1 ratings are outside the scale -10 to 10 you stated" in msg
    assert "(first on line 7: 11)" in msg


def test_stated_scale_lets_odd_values_in():
    values = ordinary()
    values[57] = -3
    ds = load_ratings_file(ratings_file(values), ratings_name="r.csv", scale=(-5, 5))
    assert ds.rating_scale == (-3.0, 4.0)


def test_real_movielens_fits_its_scale(ml100k):
    check_ratings(ml100k.ratings["rating"].to_numpy(), "ml-100k", 1)  # no error
    with pytest.raises(DataError, match="outside the scale 2 to 5"):
        check_ratings(ml100k.ratings["rating"].to_numpy(), "ml-100k", 1, (2, 5))


@pytest.mark.parametrize(
    "text, expected",
    [
        ("1-5", (1.0, 5.0)),
        ("0.5 to 5", (0.5, 5.0)),
        ("-10 10", (-10.0, 10.0)),
        ("1–10", (1.0, 10.0)),
        ("-10 - 10", (-10.0, 10.0)),
        ("1,5", (1.0, 5.0)),
        ("-5 to 1e9", (-5.0, 1e9)),
        ("", None),
        (None, None),
    ],
)
def test_parse_scale(text, expected):
    assert parse_scale(text) == expected


@pytest.mark.parametrize("text", ["five", "1", "5-1", "1-1", "1 2 3"])
def test_bad_scales_are_config_errors(text):
    with pytest.raises(ConfigError, match="rating scale|lower to a higher"):
        parse_scale(text)


def test_cli_scale(tmp_path, capsys):
    values = ordinary()
    values[57] = -3
    path = write_file(tmp_path / "range.csv", ratings_file(values))
    assert main(["data", "--data", str(path), "--json"]) == 2
    err = json.loads(capsys.readouterr().out)
    assert err["kind"] == "DataError" and "do not look like the others" in err["error"]
    assert main(["data", "--data", str(path), "--scale", "-5", "5", "--json"]) == 0
    s = json.loads(capsys.readouterr().out)
    assert (s["rating_min"], s["rating_max"]) == (-3.0, 4.0)
    assert main(["data", "--data", str(path), "--scale", "5", "1", "--json"]) == 2
    assert json.loads(capsys.readouterr().out)["kind"] == "ConfigError"
    assert main(["data", "--scale", "2", "5", "--json"]) == 2  # MovieLens has 1-star ratings
    assert "outside the scale 2 to 5" in json.loads(capsys.readouterr().out)["error"]


def test_folder_load_takes_the_scale(tmp_path):
    folder = tmp_path / "mine"
    folder.mkdir()
    write_file(folder / "ratings.csv", ratings_file([1 + n % 5 for n in range(100)]))
    with pytest.raises(DataError, match="outside the scale 2 to 5"):
        load_dataset(folder, scale=(2, 5))
    assert np.isclose(load_dataset(folder, scale=(1, 5)).ratings["rating"].mean(), 3.0)
