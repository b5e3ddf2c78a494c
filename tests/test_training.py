"""Training on real MovieLens 100k: quality, repeatability, weight decay, unseen ids, events, LR finder."""

from __future__ import annotations

import dataclasses
import json
import math

import numpy as np
import pandas as pd
import pytest
import torch

from collab_core import cli, training
from collab_core.config import TrainConfig
from collab_core.data import make_dataset
from collab_core.errors import ConfigError, TrainingCancelled
from collab_core.models import DotProductBias, build_model, sigmoid_range
from collab_core.splits import random_split
from collab_core.training import _FusedDot, _schedule, fit, lr_find

FAST = {"epochs": 2, "n_factors": 8}


@pytest.fixture(scope="module")
def default_fit(ml100k):
    """The default dot model on a seeded 80/20 split (trained once for several tests)."""
    return fit(ml100k, TrainConfig(seed=7))


def test_default_model_reaches_a_sensible_rmse(default_fit):
    # fastai's fastbook recipe gets about 0.92 on such a split; the global mean about 1.13.
    assert default_fit.metrics["valid_rmse"] < 0.93
    assert default_fit.metrics["n_train"] == 80_000 and default_fit.metrics["n_valid"] == 20_000
    assert default_fit.metrics["valid_mae"] < default_fit.metrics["valid_rmse"]


def test_loss_falls(default_fit):
    h = default_fit.history
    assert len(h) == default_fit.config.epochs
    assert h[-1]["train_loss"] < 0.8 * h[0]["train_loss"]
    assert h[-1]["valid_loss"] < h[0]["valid_loss"]
    assert set(h[0]) >= {"epoch", "train_loss", "valid_loss", "valid_rmse", "valid_mae", "seconds"}
    assert math.isclose(h[-1]["valid_rmse"], math.sqrt(h[-1]["valid_loss"]))


def test_returned_model_is_on_cpu_in_eval_mode(default_fit):
    model = default_fit.model
    assert not model.training
    assert all(p.device.type == "cpu" for p in model.parameters())
    assert default_fit.device == "cpu" or default_fit.device.startswith(("cuda", "mps"))
    assert model.y_range == (0.0, 5.5)


def test_same_seed_same_model(ml100k):
    a = fit(ml100k, TrainConfig(seed=3, **FAST))
    b = fit(ml100k, TrainConfig(seed=3, **FAST))
    c = fit(ml100k, TrainConfig(seed=4, **FAST))
    assert torch.equal(a.model.item_factors(), b.model.item_factors())
    assert a.metrics["valid_rmse"] == b.metrics["valid_rmse"]
    assert not torch.equal(a.model.item_factors(), c.model.item_factors())


def test_larger_weight_decay_gives_smaller_factors(ml100k):
    norms = []
    for wd in (0.0, 0.05, 0.5):
        m = fit(ml100k, TrainConfig(wd=wd, epochs=3, n_factors=16, seed=1)).model
        norms.append(m.item_factors().norm().item() + m.user_factors().norm().item())
    assert norms[0] > norms[1] > norms[2]


def test_fused_gradient_matches_autograd():
    """One SGD step of the hand-written backward equals autograd on the documented loss."""
    torch.manual_seed(0)
    cfg = TrainConfig(n_factors=5, wd=0.3, optimizer="sgd", momentum=0.0)
    model = build_model(cfg, 6, 7, (0.0, 5.5), global_mean=3.0)
    with torch.no_grad():
        for p in model.parameters():
            p.normal_(std=0.5)
    u = torch.tensor([0, 1, 1, 5, 0, 3])
    i = torch.tensor([2, 2, 6, 0, 2, 1])
    r = torch.tensor([4.0, 3.0, 5.0, 1.0, 2.0, 4.5])
    pred = model(u, i)
    reg = (
        model.u_weight(u).square().sum(1)
        + model.i_weight(i).square().sum(1)
        + model.u_bias(u)[:, 0] ** 2
        + model.i_bias(i)[:, 0] ** 2
    ).mean()
    ((pred - r).square().mean() + cfg.wd * reg).backward()
    before = [p.detach().clone() for p in model.parameters()]
    engine = _FusedDot(model, cfg, training._Tensors(u, i, r))
    loss = engine.step(torch.arange(len(r)), lr=1.0, mom=0.0)
    engine.sync()
    # Its written-out forward pass is the model's: the same loss, to the last bit.
    assert loss == float((pred.detach() - r).square().mean())
    for p, old in zip(model.parameters(), before, strict=True):
        assert torch.allclose(old - p.detach(), p.grad, atol=1e-5), p.shape


def test_unseen_ids_get_the_documented_fallback(ml100k):
    ratings = ml100k.ratings
    hidden_user = ratings["user_id"].iloc[0]
    hidden_item = ratings["item_id"].value_counts().index[-1]  # a rarely rated movie
    is_hidden = (ratings["user_id"] == hidden_user) | (ratings["item_id"] == hidden_item)
    train, valid = random_split(ratings[~is_hidden], 0.1, seed=0)
    valid = pd.concat([valid, ratings[is_hidden]])
    res = fit(ml100k, TrainConfig(seed=0, **FAST), train=train, valid=valid)
    model = res.model
    u_idx = int(ml100k.user_index([hidden_user])[0])
    i_idx = int(ml100k.item_index([hidden_item])[0])
    assert not model.user_seen[u_idx] and not model.item_seen[i_idx]
    assert math.isfinite(res.metrics["valid_rmse"]) and res.metrics["valid_rmse"] < 1.2
    g, lo, hi = model.global_bias.item(), *model.y_range
    item = 0 if model.item_seen[0] else 1
    pred = model.predict(torch.tensor([-1, u_idx, u_idx, 0]), torch.tensor([item, item, -1, i_idx]))
    expected = [
        g + model.item_bias()[item],
        g + model.item_bias()[item],
        g,
        g + model.user_bias()[0],
    ]
    got = pred.tolist()
    for p, x in zip(got, expected, strict=True):
        assert p == pytest.approx(sigmoid_range(torch.tensor(float(x)), lo, hi).item(), rel=1e-5)
    assert got[2] == pytest.approx(float(train["rating"].mean()), abs=0.15)  # near the global mean


@pytest.mark.parametrize("nn_bias", [False, True])
def test_nn_model_trains_and_handles_unseen_ids(ml100k, nn_bias):
    cfg = TrainConfig(
        model="nn",
        epochs=2,
        nn_layers=(32,),
        nn_emb_sizes=(16, 16),
        bs=2048,
        nn_bias=nn_bias,
        nn_swa_start=1.0,  # averaging a 2-epoch run's second half does not pay off
    )
    res = fit(ml100k, cfg)
    if nn_bias:  # the learned biases start at zero and move (and get the embeddings' L2)
        assert res.model.i_bias.weight.abs().sum() > 0 and res.model.u_bias.weight.std() > 0
    assert res.metrics["valid_rmse"] < 1.05  # the global mean scores about 1.13
    pred = res.model.predict(torch.tensor([-1, 0, 5]), torch.tensor([3, -1, 10**6]))
    assert torch.isfinite(pred).all() and ((pred > 0) & (pred < 5.5)).all()
    assert res.model.item_bias().abs().sum() > 0  # calibrated after training


@pytest.mark.parametrize("swa_start, averaged", [(0.5, 5), (1.0, 1)])
def test_nn_returns_the_average_of_the_late_weights(swa_start, averaged):
    """SWA: the returned weights (and BatchNorm statistics) are the mean over steps >= start."""
    rng = np.random.default_rng(1)
    ratings = pd.DataFrame(
        {
            "user_id": rng.integers(0, 40, 900),
            "item_id": rng.integers(0, 30, 900),
            "rating": rng.integers(1, 6, 900).astype(np.float32),
            "timestamp": np.zeros(900, dtype=np.int64),
        }
    ).drop_duplicates(["user_id", "item_id"])
    ds = make_dataset(ratings)
    train, valid = random_split(ds.ratings, 0.2, 0)
    cfg = TrainConfig(
        model="nn", epochs=2, bs=math.ceil(len(train) / 4), nn_layers=(8,), nn_emb_sizes=(4, 4)
    )
    cfg = dataclasses.replace(cfg, nn_swa_start=swa_start)
    seen = []  # the raw weights after every step (a batch event comes right after the step)

    def keep(ev):
        if ev.kind == "batch":
            state = res_model[0].state_dict()
            seen.append({k: v.clone() for k, v in state.items() if v.dtype.is_floating_point})

    res_model = []
    orig = training._fresh_model

    def fresh(*a, **k):
        res_model.append(orig(*a, **k))
        return res_model[0]

    training._fresh_model = fresh
    try:
        res = fit(ds, cfg, train=train, valid=valid, callback=keep)
    finally:
        training._fresh_model = orig
    assert len(seen) == 8
    got = res.model.state_dict()
    for k in seen[0]:
        if k.startswith(("eff_", "global_logit")):  # set by calibrate() after training
            continue
        want = torch.stack([s[k] for s in seen[-averaged:]]).mean(0)
        assert torch.allclose(got[k], want, atol=1e-6), k
        if swa_start < 1 and k.endswith("weight"):
            assert not torch.allclose(got[k], seen[-1][k]), k


def test_callback_gets_batch_and_epoch_events(ml100k):
    events = []
    fit(ml100k, TrainConfig(epochs=2, n_factors=4, bs=20_000), callback=events.append)
    batches = [e for e in events if e.kind == "batch"]
    epochs = [e for e in events if e.kind == "epoch"]
    assert len(batches) == 2 * 4 and len(epochs) == 2
    assert all(e.batches == 4 and e.epochs == 2 for e in events)
    assert [e.epoch for e in epochs] == [0, 1]
    assert epochs[-1].fraction == 1.0 and batches[0].fraction == pytest.approx(1 / 8)
    assert all(e.valid_rmse is not None and e.valid_loss > 0 for e in epochs)
    assert all(e.train_loss > 0 for e in batches)
    # events arrive in order: the first epoch's report comes after its 4 batches
    assert events.index(epochs[0]) == 4


def test_full_batch_and_other_optimisers(ml100k):
    for extra in (
        {"bs": 0, "epochs": 30, "lr": 0.05},
        {"optimizer": "sgd", "lr": 1.0, "momentum": 0.9},
        {"schedule": "cosine_restarts"},
        {"schedule": "constant", "lr": 0.005},
    ):
        events = []
        res = fit(
            ml100k, TrainConfig(**{"epochs": 3, "n_factors": 8, **extra}), callback=events.append
        )
        if extra.get("bs") == 0:
            assert {e.batches for e in events} == {1}
        assert res.metrics["valid_rmse"] < 1.1, extra


def test_cancellation_stops_between_batches(ml100k):
    calls = []

    def cancel() -> bool:
        calls.append(1)
        return len(calls) > 3

    seen = []
    with pytest.raises(TrainingCancelled, match="cancelled"):
        fit(ml100k, TrainConfig(**FAST), callback=seen.append, cancel=cancel)
    assert len([e for e in seen if e.kind == "batch"]) == 3


def test_lr_finder_suggestion_lies_inside_the_sweep(ml100k):
    res = lr_find(ml100k, TrainConfig(n_factors=16), num_it=60)
    assert len(res.lrs) == len(res.losses) >= 10
    assert res.lrs == sorted(res.lrs) and res.lrs[0] == pytest.approx(1e-6)
    assert res.lrs[0] < res.suggestion < res.lrs[-1]
    assert res.suggestion in res.lrs
    assert min(res.losses) < res.losses[0]  # the sweep did learn before blowing up
    assert 1e-4 < res.suggestion < 1.0  # Adam on this model trains well around 1e-2
    with pytest.raises(ConfigError, match="start_lr"):
        lr_find(ml100k, TrainConfig(), start_lr=1.0, end_lr=0.1)


def test_one_cycle_schedule_shape():
    sched = _schedule(TrainConfig(lr=0.1, schedule="one_cycle"), 100)
    lrs = [sched(s)[0] for s in range(100)]
    assert lrs[0] == pytest.approx(0.1 / 25)
    assert max(lrs) == pytest.approx(0.1, rel=1e-3) and lrs.index(max(lrs)) == 25
    assert lrs[-1] < 0.001
    moms = [sched(s)[1] for s in range(100)]
    assert moms[0] == pytest.approx(0.95) and moms[25] == pytest.approx(0.85)
    sgdr = _schedule(TrainConfig(lr=0.1, schedule="cosine_restarts", epochs=4), 90)
    lrs = [sgdr(s)[0] for s in range(90)]
    assert sum(1 for a, b in zip(lrs, lrs[1:], strict=False) if b > a) >= 1  # it restarts


def test_train_without_valid_is_an_error(ml100k):
    with pytest.raises(ConfigError, match="both train and valid"):
        fit(ml100k, TrainConfig(), train=ml100k.ratings)


def test_small_generated_data_with_half_stars():
    rng = np.random.default_rng(0)
    ratings = pd.DataFrame(
        {
            "user_id": rng.integers(0, 30, 600),
            "item_id": rng.integers(0, 20, 600),
            "rating": rng.choice(np.arange(0.5, 5.01, 0.5), 600).astype(np.float32),
            "timestamp": np.zeros(600, dtype=np.int64),
        }
    )
    ratings = ratings.drop_duplicates(["user_id", "item_id"])
    ds = make_dataset(ratings)
    res = fit(ds, TrainConfig(epochs=2, n_factors=3))
    assert res.model.y_range == (0.0, 5.25)
    assert isinstance(res.model, DotProductBias)
    assert math.isfinite(res.metrics["valid_rmse"])


# --- CLI -----------------------------------------------------------------------------------------


def test_cli_train_json(capsys):
    assert cli.main(["train", "--epochs", "1", "--factors", "4", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["cached"] is False and out["device"] == "cpu" or out["device"] in ("cuda", "mps")
    assert 0.8 < out["valid_rmse"] < 1.2 and out["valid_mae"] < out["valid_rmse"]
    assert len(out["model_id"]) >= 8 and out["train_seconds"] > 0
    assert out["config"]["n_factors"] == 4 and out["config"]["epochs"] == 1


def test_cli_bad_flag_value_exits_2(capsys):
    assert cli.main(["train", "--epochs", "0"]) == 2
    assert "epochs" in capsys.readouterr().err


def test_cli_evaluate_scores_another_file(ml100k, tmp_path, capsys):
    train, test = random_split(ml100k.ratings, 0.2, seed=5)
    test = pd.concat(
        [
            test,
            pd.DataFrame(
                {"user_id": [99999], "item_id": [99999], "rating": [3.0], "timestamp": [0]}
            ),
        ]
    )
    train.to_csv(tmp_path / "train.csv", index=False)
    test.to_csv(tmp_path / "test.csv", index=False)
    argv = [
        "evaluate",
        "--train",
        str(tmp_path / "train.csv"),
        "--test",
        str(tmp_path / "test.csv"),
        "--epochs",
        "3",
        "--factors",
        "8",
        "--json",
    ]
    assert cli.main(argv) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["n_test"] == len(test) and out["n_test_unseen"] >= 1
    assert math.isfinite(out["rmse"]) and out["rmse"] < out["baselines"]["global_mean"]["rmse"]
    assert out["train_seconds"] > 0 and 0 < out["ndcg@10"] <= 1
