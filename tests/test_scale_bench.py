"""Smoke test of benchmarks/scale.py at a small size: it runs end to end and reports every figure.

No timing assertions (figures depend on the machine); the benchmark itself prints them.
"""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parents[1] / "benchmarks" / "scale.py"
REQUIRED = (
    "dot_ratings_per_s",
    "nn_ratings_per_s",
    "dot_epoch_s",
    "nn_epoch_s",
    "similar_ms",
    "recommend_ms",
    "pca_all_items_ms",
    "store_load_ms",
    "peak_rss_mb",
    "generate_s",
    "make_dataset_s",
)


def _run(*args: str, tmp_path: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "COLLAB_EXPLORER_HOME": str(tmp_path)}
    return subprocess.run(
        [sys.executable, str(SCRIPT), *args],
        capture_output=True,
        text=True,
        timeout=240,
        env=env,
    )


@pytest.mark.timeout(300)
def test_small_run_reports_every_figure(tmp_path):
    # One epoch each and few repeats keep this a smoke test; the JSON is the last stdout line.
    proc = _run(
        "--ratings", "20000", "--json", "--epochs", "1", "--repeats", "3", tmp_path=tmp_path
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    out = json.loads(proc.stdout.strip().splitlines()[-1])
    assert out["notes"] == [], out["notes"]  # nothing skipped or failed
    for key in REQUIRED:
        assert isinstance(out[key], (int, float)) and out[key] > 0, (key, out.get(key))
    assert out["ratings"] == 20_000 and out["users"] == 133
    assert 0 < out["items"] <= 589
    assert out["dot_device"] == out["nn_device"]  # "auto" picks one device for both
    assert out["device"].startswith(out["dot_device"])
    assert out["peak_rss_mb"] >= out["rss_after_data_mb"]
    assert 0.5 < out["dot_valid_rmse"] < 2.0 and 0.5 < out["nn_valid_rmse"] < 2.0


def _main(*args: str) -> int:
    """The script's `main`, in this process: for the error paths, which stop before any work."""
    spec = importlib.util.spec_from_file_location("scale_bench", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.main(list(args))


def test_missing_device_is_refused_not_silently_replaced(capsys):
    import torch

    if torch.cuda.is_available():
        pytest.skip("this machine has a CUDA GPU")
    assert _main("--ratings", "20000", "--device", "cuda", "--json") == 2
    out, err = capsys.readouterr()
    assert "device 'cuda' was asked for" in err
    assert out == ""


def test_impossible_size_is_refused_with_a_message(capsys):
    assert _main("--ratings", "500", "--users", "50", "--json") == 2
    out, err = capsys.readouterr()
    assert "cannot give 50 users 20 ratings each" in err
    assert out == ""
