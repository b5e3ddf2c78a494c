"""`collab-explorer simulate` on the default model (from the session's store)."""

from __future__ import annotations

import json

import pytest

from collab_core.cli import main
from collab_core.loop_metrics import METRICS


@pytest.fixture(autouse=True)
def _trained(default_model):
    """The store holds the default model before the command asks for it."""


def test_simulate_json_has_one_record_per_round(capsys):
    assert main(["simulate", "--rounds", "2", "--users", "40", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)  # exactly one JSON object on stdout
    assert out["settings"]["policy"] == "predicted" and out["n_users"] == 40
    assert [r["round"] for r in out["rounds"]] == [1, 2]
    assert set(METRICS) - {"genre_share"} <= set(out["rounds"][0])
    assert all(0 < r["coverage"] < 1 and r["new_ratings"] == 40 for r in out["rounds"])


def test_simulate_text_with_enthusiasts(capsys):
    argv = ["simulate", "--rounds", "1", "--users", "40", "--policy", "popular"]
    assert main([*argv, "--enthusiasts", "war", "--k", "5"]) == 0
    captured = capsys.readouterr()
    assert captured.out.startswith(
        "1 round of the 'popular' policy over 40 users (top 5, warm update, 10 War enthusiasts):"
    )
    assert "genre_share" in captured.out and "round 1/1 done" in captured.err


def test_simulate_bad_settings_exit_2_with_the_reason(capsys):
    assert main(["simulate", "--rounds", "0"]) == 2
    assert "error: rounds must be a whole number of at least 1, not 0." in capsys.readouterr().err
    assert main(["simulate", "--enthusiasts", "Anime", "--users", "40"]) == 2
    assert "error: Unknown genre 'Anime'" in capsys.readouterr().err
    assert main(["simulate", "--k", "5000"]) == 2
    assert "is larger than the catalogue" in capsys.readouterr().err
    with pytest.raises(SystemExit) as exc:
        main(["simulate", "--policy", "greedy"])
    assert exc.value.code == 2 and "invalid choice: 'greedy'" in capsys.readouterr().err
