"""`collab-explorer biases | similar | recommend` on the default model (from the session's store)."""

from __future__ import annotations

import json

import pytest

from collab_core.cli import main


@pytest.fixture(autouse=True)
def _trained(default_model):
    """The store holds the default model before a command asks for it (trained once a session)."""


def _json(capsys, argv: list[str]) -> dict:
    assert main(argv) == 0
    return json.loads(capsys.readouterr().out)  # exactly one JSON object on stdout


def test_biases_json_and_text(capsys):
    out = _json(capsys, ["biases", "--top", "5", "--json"])
    assert out["kind"] == "items" and len(out["highest"]) == 5 and len(out["lowest"]) == 5
    assert out["highest"][0]["bias"] > out["lowest"][0]["bias"]
    assert all(r["n_ratings"] >= 50 for r in out["highest"] + out["lowest"])
    assert {"title", "bias_logit", "mean_rating", "raters_mean", "explanation"} <= set(
        out["highest"][0]
    )
    assert out["bias_kind"] == "learned" and out["units"].startswith("Biases are in stars")
    assert main(["biases", "--top", "3", "--users", "--min-ratings", "20"]) == 0
    text = capsys.readouterr().out
    assert "highest user biases (20+ ratings):" in text and "rater" in text


def test_similar_json_and_text(capsys):
    out = _json(capsys, ["similar", "star", "wars", "--k", "10", "--json"])
    titles = [r["title"] for r in out["neighbours"]]
    assert out["query"] == "Star Wars (1977)" and out["metric"] == "cosine"
    assert "Empire Strikes Back, The (1980)" in titles and "Star Wars (1977)" not in titles
    assert main(["similar", "The Godfather", "--k", "3", "--metric", "euclidean"]) == 0
    text = capsys.readouterr().out
    assert text.startswith("nearest to Godfather, The (1972) (euclidean):")
    assert len(text.strip().splitlines()) == 4


def test_recommend_json(capsys):
    out = _json(
        capsys,
        ["recommend", "--rate", "Star Wars (1977)=5", "--rate", "titanic=1", "--k", "7", "--json"],
    )
    recs = out["recommendations"]
    assert len(recs) == 7 and all(isinstance(r["score"], float) and r["title"] for r in recs)
    assert not {r["title"] for r in recs} & {"Star Wars (1977)", "Titanic (1997)"}
    assert [r["title"] for r in out["rated"]] == ["Star Wars (1977)", "Titanic (1997)"]
    assert "mean_popularity_pct" in out["report"]


def test_recommend_a_horror_fan_with_and_without_calibration(capsys):
    from collab_core.recommend import CALIBRATION, PROFILE_PRIOR

    rate = [
        x
        for t in ("Shining, The (1980)", "Carrie (1976)", "Omen, The (1976)", "Scream (1996)")
        for x in ("--rate", f"{t}=5")
    ]
    on = _json(capsys, ["recommend", *rate, "--json"])
    off = _json(capsys, ["recommend", *rate, "--calibration", "0", "--taste", "0", "--json"])
    horror = [sum("Horror" in r["genres"] for r in o["recommendations"]) for o in (on, off)]
    assert horror[0] >= 6 > horror[1], horror
    assert on["genre_mix"][0] == {**on["genre_mix"][0], "genre": "Horror", "yours": 1.0}
    assert main(["recommend", *rate]) == 0
    text = capsys.readouterr().out
    applied = CALIBRATION * 4 / (4 + PROFILE_PRIOR)  # four liked movies
    assert (
        f"genres (movies you liked / this list; calibration {applied:.2f} applied): Horror 100% / "
        in text
    )
    assert main(["recommend", "--k", "3"]) == 0  # no ratings: no genre mix to follow
    assert "genres (" not in capsys.readouterr().out


def test_cli_help_states_the_real_calibration_default(capsys):
    from collab_core.recommend import CALIBRATION

    with pytest.raises(SystemExit):
        main(["recommend", "--help"])
    assert f"(default {CALIBRATION:g})" in " ".join(capsys.readouterr().out.split())


def test_a_clearly_best_misspelling_is_taken_and_said_on_stderr(capsys):
    out = _json(capsys, ["similar", "silense", "of", "the", "lambs", "--k", "3", "--json"])
    assert out["query"] == "Silence of the Lambs, The (1991)"
    assert main(["recommend", "--rate", "star wras=5", "--rate", "Fargo (1996)=4", "--json"]) == 0
    captured = capsys.readouterr()
    rated = [r["title"] for r in json.loads(captured.out)["rated"]]
    assert rated == ["Star Wars (1977)", "Fargo (1996)"]
    assert captured.err.count("note: no title matches") == 1
    assert "taking 'Star Wars (1977)'" in captured.err


def test_recommend_text_cold_start_with_filters(capsys):
    assert main(["recommend", "--k", "4", "--genre", "Comedy", "--novelty", "0.5"]) == 0
    text = capsys.readouterr().out
    assert text.startswith("cold start: the mean of all user embeddings; top 4:")
    assert "popularity: mean popularity percentile" in text


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["recommend", "--rate", "Star Wars (1977)=6"], "outside this data set's scale"),
        (["recommend", "--rate", "Star Wars (1977)"], "--rate takes TITLE=RATING"),
        (["recommend", "--rate", "Nonexistent Film=4"], "No movie matches 'Nonexistent Film'"),
        (["recommend", "--genre", "Horor"], "Unknown genre 'Horor'"),
        (["recommend", "--novelty", "3"], "novelty must be a number from 0"),
        (["recommend", "--calibration", "-1"], "calibration must be a number from 0"),
        (["similar", "star", "trek"], "matches 8 movies"),
        (["similar", "star", "trak"], "No movie matches 'star trak'. Closest titles: 'Star Trek"),
        (["similar", "Star Wars", "--k", "0"], "k must be a whole number"),
        (["biases", "--min-ratings", "100000"], "No movie has 100000 ratings"),
        (["similar", "Star Wars", "--model-id", "ffffffffffff"], "ffffffffffff"),
    ],
)
def test_bad_input_exits_2_with_the_message(capsys, argv, message):
    assert main(argv) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err.startswith("error: ") and message in captured.err


def test_model_id_picks_a_stored_model(capsys, ml100k):
    from collab_core.store import ModelStore

    ids = [r["model_id"] for r in ModelStore().list(ml100k.fingerprint)]
    out = _json(capsys, ["similar", "Star Wars (1977)", "--k", "3", "--model-id", ids[0], "--json"])
    assert len(out["neighbours"]) == 3
