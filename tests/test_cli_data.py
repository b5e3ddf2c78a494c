"""`collab-explorer data`: the summary, its JSON form, and clean failures on bad files."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from collab_core.cli import main

ROOT = Path(__file__).resolve().parents[1]


def test_data_json_on_movielens(ml100k, capsys):
    assert main(["data", "--json"]) == 0
    out = capsys.readouterr().out
    s = json.loads(out)  # exactly one JSON object on stdout
    assert (s["ratings"], s["users"], s["items"]) == (100_000, 943, 1682)
    assert (s["rating_min"], s["rating_max"]) == (1.0, 5.0)
    assert s["source"] == ml100k.source and "MovieLens 100k" in s["source"]
    assert s["fingerprint"] == ml100k.fingerprint


def test_data_text_summary_of_own_file_with_items(tmp_path, capsys):
    ratings = tmp_path / "r.csv"
    ratings.write_text("user,item,rating\n1,10,4\n1,20,2\n2,10,5\n2,10,1\n")
    items = tmp_path / "titles.csv"
    items.write_text("id,title\n10,Heat (1995)\n20,Babe (1995)\n")
    assert main(["data", "--data", str(ratings), "--items", str(items)]) == 0
    out = capsys.readouterr().out
    assert "ratings 3  users 2  items 2" in out
    assert "rating scale 1–4" in out
    assert "note: 1 duplicate (user, item) ratings were found" in out


def test_data_json_of_own_file(tmp_path, capsys):
    ratings = tmp_path / "mine.tsv"
    ratings.write_text("user\titem\trating\n1\t10\t4.5\n2\t10\t0.5\n2\t11\t3\n")
    assert main(["data", "--data", str(ratings), "--json"]) == 0
    s = json.loads(capsys.readouterr().out)
    assert (s["ratings"], s["users"], s["items"]) == (3, 2, 2)
    assert (s["rating_min"], s["rating_max"]) == (0.5, 4.5)
    assert s["source"] == str(ratings)


@pytest.mark.parametrize(
    "content, args, expected",
    [
        (b"user,rating\n1,4\n", [], "has no item column"),
        (b"user,item,rating\n1,2,x\n2,2,3\n", [], "not numbers"),
        (b"", [], "is empty"),
        (None, [], "does not exist"),
        (b"user,item,rating\n1,2,3\n2,2,4\n", ["--items", "/nonexistent/items.csv"], "items file"),
    ],
)
def test_bad_data_exits_2_with_one_error_line(tmp_path, capsys, content, args, expected):
    path = tmp_path / "bad.csv"
    if content is not None:
        path.write_bytes(content)
    assert main(["data", "--data", str(path), *args]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err.startswith("error: ") and expected in captured.err
    assert "Traceback" not in captured.err


def _run(*args: str) -> subprocess.CompletedProcess:
    env = dict(os.environ)  # the session's $COLLAB_EXPLORER_HOME, already holding ML-100k
    return subprocess.run(
        [sys.executable, "-m", "collab_core", *args],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=env,
        timeout=120,
    )


def test_real_process_json_and_bad_file(ml100k, tmp_path):
    proc = _run("data", "--json")
    assert proc.returncode == 0, proc.stderr
    s = json.loads(proc.stdout)
    assert (s["ratings"], s["users"], s["items"]) == (100_000, 943, 1682)
    assert s["fingerprint"] == ml100k.fingerprint  # same hash in another process

    bad = tmp_path / "bad.csv"
    bad.write_bytes("user,item,rating\n1,2,3\n".encode("utf-16-le"))
    proc = _run("data", "--data", str(bad))
    assert proc.returncode == 2
    assert proc.stdout == ""
    assert proc.stderr.startswith("error: bad.csv is not a text table")
    assert "Traceback" not in proc.stderr


# ---------------------------------------------------------------------------------------------
# --json errors: one JSON object on stdout, exit code 2, whatever went wrong


@pytest.mark.parametrize(
    "args, kind, expected",
    [
        (["data", "--data", "{missing}"], "DataError", "does not exist"),
        (["data", "--data", "{bad}"], "DataError", "1 ratings are not numbers"),
        (["data", "--scale", "5", "1"], "ConfigError", "lower to a higher"),
        (["train", "--factors", "0"], "ConfigError", "n_factors"),
        (["evaluate", "--train", "{missing}", "--test", "{bad}"], "DataError", "does not exist"),
        (["models", "rm", "nosuchmodel"], "StoreError", "nosuchmodel"),
        (["similar", "zzqqxxyy"], "UnknownItemError", "zzqqxxyy"),
        (["biases", "--model-id", "nosuchmodel"], "StoreError", "nosuchmodel"),
        (["recommend", "--rate", "no equals sign"], "ConfigError", "TITLE=RATING"),
        (["similar", "Heat", "--metric", "manhattan"], "UsageError", "invalid choice"),
        (["data", "--scale", "1"], "UsageError", "expected 2 arguments"),
        (["data", "--unknown-flag"], "UsageError", "unrecognized arguments"),
    ],
)
def test_every_json_error_is_one_json_object(default_model, tmp_path, capsys, args, kind, expected):
    bad = tmp_path / "bad.csv"
    bad.write_text("user,item,rating\n1,2,x\n2,2,3\n")
    paths = {"missing": tmp_path / "missing.csv", "bad": bad}
    args = [a.format(**paths) for a in args]
    try:
        code = main([*args, "--json"])
    except SystemExit as exc:  # argparse exits by itself on usage errors
        code = exc.code
    captured = capsys.readouterr()
    assert code == 2
    out = json.loads(captured.out)  # the whole of stdout is one JSON object
    assert set(out) == {"error", "kind"} and out["kind"] == kind
    assert expected in out["error"]
    assert "Traceback" not in captured.err


def test_json_error_from_a_real_process(tmp_path):
    proc = _run("data", "--data", str(tmp_path / "nope.csv"), "--json")
    assert proc.returncode == 2
    out = json.loads(proc.stdout)
    assert out["kind"] == "DataError" and "does not exist" in out["error"]
