"""The compiled (numba) dot-model engine against the torch engine, on ML-100k and tiny fixtures."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
import torch

from collab_core import kernels, training
from collab_core.config import TrainConfig
from collab_core.data import make_dataset
from collab_core.errors import ConfigError
from collab_core.training import fit

pytestmark = pytest.mark.skipif(not kernels.AVAILABLE, reason="numba is not installed")
SMALL = {"epochs": 3, "n_factors": 16, "seed": 5}


def _fit(dataset, engine: str, monkeypatch, **kwargs):
    monkeypatch.setenv("COLLAB_EXPLORER_ENGINE", engine)
    return fit(dataset, TrainConfig(**kwargs))


@pytest.mark.parametrize(
    "extra",
    [{}, {"optimizer": "sgd", "lr": 1.0, "momentum": 0.9}, {"schedule": "cosine_restarts"}],
    ids=["adam-one-cycle", "sgd", "restarts"],
)
def test_numba_engine_matches_torch_engine(ml100k, monkeypatch, extra):
    fast = _fit(ml100k, "numba", monkeypatch, **SMALL, **extra)
    ref = _fit(ml100k, "torch", monkeypatch, **SMALL, **extra)
    # Same permutation, schedule and update rules: only float rounding differs.
    assert fast.metrics["valid_rmse"] == pytest.approx(ref.metrics["valid_rmse"], abs=3e-3)
    for a, b in zip(fast.history, ref.history, strict=True):
        assert a["train_loss"] == pytest.approx(b["train_loss"], rel=1e-3)
        assert a["valid_mae"] == pytest.approx(b["valid_mae"], abs=3e-3)
    fa, fb = fast.model.item_factors(), ref.model.item_factors()
    assert float((fa - fb).abs().max()) < 1e-3 * float(fb.abs().max()) + 1e-4
    assert torch.allclose(fast.model.user_bias(), ref.model.user_bias(), atol=1e-3)
    assert fast.model.global_bias.item() == pytest.approx(ref.model.global_bias.item(), abs=1e-4)
    assert ref.metrics["valid_rmse"] < 1.1  # both learned something (the global mean gets ~1.13)


def test_default_config_reaches_the_accuracy_target(ml100k, monkeypatch):
    res = _fit(ml100k, "numba", monkeypatch, seed=7)
    assert res.metrics["valid_rmse"] < 0.93
    assert res.history[-1]["train_loss"] < 0.8 * res.history[0]["train_loss"]
    # The per-epoch score is the model's own `predict` on the validation set.
    assert res.history[-1]["valid_rmse"] == pytest.approx(_rmse_by_predict(ml100k, res), rel=1e-5)


def _rmse_by_predict(ds, res) -> float:
    from collab_core.splits import random_split

    _, valid = random_split(ds.ratings, res.config.valid_frac, res.config.seed)
    u, i, r = ds.encode(valid)
    pred = res.model.predict(torch.from_numpy(u), torch.from_numpy(i)).double().numpy()
    return math.sqrt(float(np.mean((pred - r) ** 2)))


def _tiny(n_users=30, n_items=12, seed=0):
    """Every user rates 8 random items (1-5 stars)."""
    rng = np.random.default_rng(seed)
    rows = [
        (u, int(i), float(rng.integers(1, 6)))
        for u in range(n_users)
        for i in rng.choice(n_items, 8, replace=False)
    ]
    df = pd.DataFrame(rows, columns=["user_id", "item_id", "rating"])
    df["rating"] = df["rating"].astype(np.float32)
    df["timestamp"] = np.arange(len(df), dtype=np.int64)
    return make_dataset(df)


def test_score_matches_predict_with_unknown_and_unseen_ids():
    ds = _tiny()
    rng = np.random.default_rng(1)
    k, nu, ni = 4, ds.n_users, ds.n_items
    table = rng.normal(0, 0.5, (nu + ni, k + 1)).astype(np.float32)
    g = np.array([0.3], np.float32)
    ker = kernels.DotKernel(table, g, nu, (0.0, 5.5), 0.1, True, 16)
    user_ok = rng.random(nu) > 0.3
    item_ok = rng.random(ni) > 0.3
    u = np.array([-1, 0, 1, 2, 3, 4, 5, nu - 1], np.int32)
    i = np.array([0, -1, 1, 2, 3, 4, 5, ni - 1], np.int32)
    r = rng.integers(1, 6, len(u)).astype(np.float32)
    mse, mae = ker.score(u, i, r, user_ok, item_ok)

    from collab_core.models import DotProductBias

    model = DotProductBias(nu, ni, k, (0.0, 5.5))
    t = torch.from_numpy(table)
    with torch.no_grad():
        model.u_weight.weight.copy_(t[:nu, :k])
        model.u_bias.weight.copy_(t[:nu, k:])
        model.i_weight.weight.copy_(t[nu:, :k])
        model.i_bias.weight.copy_(t[nu:, k:])
        model.global_bias.fill_(0.3)
        model.user_seen.copy_(torch.from_numpy(user_ok))
        model.item_seen.copy_(torch.from_numpy(item_ok))
    err = model.predict(torch.from_numpy(u), torch.from_numpy(i)).double().numpy() - r
    assert mse == pytest.approx(float(np.mean(err**2)), rel=1e-5)
    assert mae == pytest.approx(float(np.mean(np.abs(err))), rel=1e-5)
    assert math.isnan(ker.score(u[:0], i[:0], r[:0], user_ok, item_ok)[0])


def test_thread_count_does_not_change_the_result():
    ds = _tiny(n_users=200, n_items=40)
    u, i, r = ds.encode(ds.ratings)
    u, i, r = u.astype(np.int32), i.astype(np.int32), np.asarray(r, np.float32)
    perm = np.random.default_rng(0).permutation(len(r))
    table = np.random.default_rng(1).normal(0, 0.1, (ds.n_users + ds.n_items, 9))
    runs = []
    for threads in (1, 2):
        ker = kernels.DotKernel(
            table.astype(np.float32),
            np.zeros(1),
            ds.n_users,
            (0, 5.5),
            0.1,
            True,
            256,
            threads=threads,
        )
        losses = [ker.step(u, i, r, perm[s : s + 256], 0.01, 0.9) for s in range(0, len(r), 256)]
        runs.append((ker.table.copy(), losses))
    assert np.array_equal(runs[0][0], runs[1][0]) and runs[0][1] == runs[1][1]
    assert not np.array_equal(runs[0][0], table.astype(np.float32))  # the steps did move rows


def test_full_batch_scratch_is_capped_by_the_table(ml100k, monkeypatch):
    res = _fit(ml100k, "numba", monkeypatch, bs=0, epochs=2, n_factors=4, lr=0.05)
    assert math.isfinite(res.metrics["valid_rmse"]) and res.metrics["valid_rmse"] < 1.2


def test_engine_choice(ml100k, monkeypatch):
    with pytest.raises(ConfigError, match="engine must be one of"):
        _fit(ml100k, "fortran", monkeypatch, epochs=1, n_factors=4)
    assert kernels.failure() is None  # they compile and run here
    monkeypatch.setattr(kernels, "_CHECKED", {})
    monkeypatch.setattr(kernels, "AVAILABLE", False)
    assert kernels.failure() == "numba is not installed"
    with pytest.raises(ConfigError, match=r"engine='numba' cannot run here \(numba is not inst"):
        _fit(ml100k, "numba", monkeypatch, epochs=1, n_factors=4)
    # "auto" without numba falls back to the torch engine (and still trains), saying so.
    calls = []
    real = training._FusedDot.step
    monkeypatch.setattr(
        training._FusedDot, "step", lambda self, *a: calls.append(1) or real(self, *a)
    )
    with pytest.warns(RuntimeWarning, match="training with PyTorch instead"):
        res = _fit(ml100k, "auto", monkeypatch, epochs=1, n_factors=4)
    assert calls and math.isfinite(res.metrics["valid_rmse"])


def test_kernels_that_fail_to_compile_fall_back_to_torch(ml100k, monkeypatch):
    """numba imports but cannot compile (an odd platform, a numba/numpy mismatch): train anyway."""

    def broken(*args):
        raise RuntimeError("Failed in nopython mode pipeline (step: native lowering)")

    monkeypatch.setattr(kernels, "_CHECKED", {})
    monkeypatch.setattr(kernels, "_step", broken)
    assert kernels.failure().startswith("RuntimeError: Failed in nopython mode")
    with pytest.warns(RuntimeWarning, match="cannot run here .*nopython"):
        auto = _fit(ml100k, "auto", monkeypatch, **SMALL)
    reference = _fit(ml100k, "torch", monkeypatch, **SMALL)
    assert auto.metrics["valid_rmse"] == reference.metrics["valid_rmse"]
