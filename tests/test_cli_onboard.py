"""`collab-explorer recommend --start ...` and `collab-explorer onboard` on the default model."""

from __future__ import annotations

import json

import pytest

from collab_core import cli_onboard, questionnaire, starts
from collab_core.cli import main


@pytest.fixture(autouse=True)
def _trained(default_model):
    """The store holds the default model before a command asks for it (trained once a session)."""


def _json(capsys, argv: list[str]) -> dict:
    assert main(argv) == 0
    return json.loads(capsys.readouterr().out)


def test_the_parser_spells_the_starts_and_orders_as_the_core_does():
    assert cli_onboard.STARTS == starts.STARTS and cli_onboard.ORDERS == questionnaire.ORDERS


def test_each_start_gives_its_own_list(capsys):
    lists = {}
    for how in ("mean", "representative"):
        out = _json(capsys, ["recommend", "--start", how, "--k", "20", "--json"])
        lists[how] = [r["title"] for r in out["recommendations"]]
    out = _json(
        capsys,
        [
            "recommend",
            "--start",
            "profile",
            "--age",
            "25",
            "--occupation",
            "student",
            "--gender",
            "M",
            "--k",
            "20",
            "--json",
        ],
    )
    lists["profile"] = [r["title"] for r in out["recommendations"]]
    assert "age 25.0, gender M, occupation student" in out["method"]
    assert lists["profile"] != lists["mean"] and lists["representative"] != lists["mean"]
    assert all(len(t) == 20 for t in lists.values())


def test_representative_start_names_the_user_and_their_favourites(capsys):
    assert main(["recommend", "--start", "representative", "--k", "3"]) == 0
    err = capsys.readouterr().err
    assert "representative: user " in err and "loves " in err


def test_profile_fields_need_the_profile_start(capsys):
    assert main(["recommend", "--start", "mean", "--age", "30", "--json"]) == 2
    assert "--age describes you for --start profile" in json.loads(capsys.readouterr().out)["error"]
    assert main(["recommend", "--occupation", "astronaut", "--json"]) == 2
    assert "not a known occupation" in json.loads(capsys.readouterr().out)["error"]


def test_onboard_with_scripted_answers(capsys):
    out = _json(capsys, ["onboard", "--answers", "5,skip,4,2", "--k", "10", "--json"])
    assert out["order"] == "adaptive" and len(out["steps"]) == 4
    asked = [s["question"] for s in out["steps"]]
    assert len(set(asked)) == 4
    assert [s["answer"] for s in out["steps"]] == [5.0, None, 4.0, 2.0]
    assert out["recommendations"] != out["before"]  # three ratings moved the list
    assert not set(asked) & set(out["recommendations"])  # rated movies are not recommended
    assert main(["onboard", "--answers", "5,6", "--order", "popular"]) == 2
    assert "outside 1 to 5" in capsys.readouterr().err


def test_onboard_text_says_how_the_list_moved(capsys):
    assert main(["onboard", "--answers", "5,5", "--order", "popular", "--k", "5"]) == 0
    text = capsys.readouterr().out
    assert text.startswith("start: cold start") and "1. Star Wars (1977): 5" in text
    assert "new in the top 5" in text
