"""The Bayesian dot model (`bayes.py`): seeded samples, learned priors, aligned factors, fold-in."""

from __future__ import annotations

import json
import math
import re

import numpy as np
import pandas as pd
import pytest
import torch

from collab_core import bayes, experiments
from collab_core.config import TrainConfig
from collab_core.data import make_dataset
from collab_core.errors import ConfigError
from collab_core.models import BayesDot, build_model
from collab_core.splits import random_split
from collab_core.store import ModelStore
from collab_core.training import fit, lr_find

TINY = TrainConfig(model="bayes", n_factors=4, epochs=8, burn_in=4)


def test_same_seed_same_samples(ml100k):
    a, b = fit(ml100k, TINY), fit(ml100k, TINY)
    assert a.history == [{**r, "seconds": a.history[i]["seconds"]} for i, r in enumerate(b.history)]
    for name, tensor in a.model.state_dict().items():
        assert torch.equal(tensor, b.model.state_dict()[name]), name
    other = fit(ml100k, TrainConfig(**{**TINY.key(), "seed": 7}))
    assert not torch.equal(other.model.Q, a.model.Q)


def test_history_reports_the_running_posterior_mean_per_sweep(bayes_stored):
    history = bayes_stored.history
    assert len(history) == 60 and [r["samples"] for r in history[19:22]] == [0, 1, 2]
    # Averaging samples beats any single one: the mean's RMSE ends well below the burn-in's.
    burn = [r["valid_rmse"] for r in history[10:20]]  # sampled, not yet averaged
    assert history[-1]["valid_rmse"] < min(burn) - 0.02
    assert history[-1]["valid_rmse"] == bayes_stored.metrics["valid_rmse"] < 0.905


def _low_rank(seed: int = 0, n_users: int = 300, n_items: int = 200, rank: int = 3):
    """Ratings = 3 + a rank-3 matrix + noise (sd 0.5), 15% of pairs observed; and the truth."""
    rng = np.random.default_rng(seed)
    truth = 3 + rng.normal(0, 0.6, (n_users, rank)) @ rng.normal(0, 0.6, (rank, n_items))
    seen = rng.random((n_users, n_items)) < 0.15
    u, i = np.nonzero(seen)
    ratings = pd.DataFrame(
        {
            "user_id": u.astype(np.int32),
            "item_id": i.astype(np.int32),
            "rating": (truth[u, i] + rng.normal(0, 0.5, len(u))).astype(np.float32),
            "timestamp": np.zeros(len(u), np.int64),
        }
    )
    return make_dataset(ratings, name="low rank"), truth, ~seen


def test_posterior_mean_recovers_low_rank_ratings_better_than_sgd_at_a_poor_wd():
    ds, truth, hidden = _low_rank()
    u, i = np.nonzero(hidden)  # every pair nobody rated: the model must fill it in
    users, items = ds.user_index(u), ds.item_index(i)

    def error(model) -> float:
        return float(np.sqrt(np.mean((model.predict(users, items).numpy() - truth[u, i]) ** 2)))

    sampled = fit(ds, TrainConfig(model="bayes", n_factors=3, epochs=100)).model
    for wd in (0.0, 1.0):  # no decay overfits, too much underfits
        sgd = fit(ds, TrainConfig(n_factors=3, wd=wd, epochs=20, bs=1024)).model
        assert error(sampled) < 0.8 * error(sgd), wd
    assert error(sampled) < 0.4  # the noise alone is 0.5 per rating


def test_learned_precisions_are_finite_and_positive(bayes_stored, ml100k):
    model = bayes_stored.model
    assert isinstance(model, BayesDot)
    prior = model.learned_prior()
    assert list(prior) == list(BayesDot.PRIOR_NAMES)
    assert all(math.isfinite(v) and v > 0 for v in prior.values()), prior
    assert 1.2 < prior["noise"] < 2.5  # alpha: a noise sd of 0.63-0.9 stars on ML-100k
    table = bayes.prior_table(model, ml100k)
    assert list(table["prior on"]) == ["user factors", "user bias", "item factors", "item bias",
                                       "noise (α)"]  # fmt: skip
    assert np.isfinite(table["precision"]).all() and (table["as wd"].iloc[:4] > 0).all()
    assert (model.item_var >= 0).all() and abs(float(model.item_noise.mean()) - 1) < 0.05


def test_aligned_factors_give_star_wars_sequels_like_each_sample(ml100k):
    """Every kept sample, rotated onto the running mean, ranks Star Wars' neighbours as the
    averaged factors the pages use do: its two sequels first."""
    titles = ml100k.items["title"]
    star_wars = int(np.flatnonzero(titles == "Star Wars (1977)")[0])
    sequels = set(np.flatnonzero(titles.str.contains("Empire Strikes Back|Return of the Jedi")))
    popular = ml100k.items["n_ratings"].to_numpy() >= 50

    def top3(Q) -> set[int]:
        unit = Q / np.linalg.norm(Q, axis=1, keepdims=True).clip(1e-12)
        sim = np.where(popular, unit @ unit[star_wars], -np.inf)
        sim[star_wars] = -np.inf
        return set(np.argsort(-sim)[:3].tolist())

    config = TrainConfig(model="bayes", epochs=60, burn_in=20)
    model = build_model(config, ml100k.n_users, ml100k.n_items)
    train, valid = random_split(ml100k.ratings, 0.2, config.seed)
    tops = []
    bayes.sample(
        model,
        config,
        ml100k.encode(train),
        ml100k.encode(valid),
        ml100k.rating_scale,
        on_sample=lambda P, Q: tops.append(top3(Q)),
    )
    assert len(tops) == 40
    assert np.mean([sequels <= t for t in tops]) >= 0.8
    assert sequels <= top3(model.Q.numpy())


def test_stored_model_reloads_with_the_same_predictions_and_prior(bayes_stored, ml100k):
    again = ModelStore().load(bayes_stored.model_id)
    assert isinstance(again.model, BayesDot) and again.meta["y_range"] is None
    assert again.model.learned_prior() == bayes_stored.model.learned_prior()
    u, i, r = ml100k.encode(ml100k.ratings.iloc[:500])
    assert torch.equal(again.model.predict(u, i), bayes_stored.model.predict(u, i))
    lo, hi = ml100k.rating_scale
    pred = again.model.predict(np.r_[u, -1], np.r_[i, -1])
    assert float(pred.min()) >= lo and float(pred.max()) <= hi  # clipped to the scale


def test_more_ratings_shrink_the_spread_of_predictions(bayes_stored, ml100k):
    """Fold-in is the new user's posterior under the learned prior; `score_sd` is its spread."""
    model = bayes_stored.model
    popular = np.argsort(-ml100k.items["n_ratings"].to_numpy())[:40]
    rng = np.random.default_rng(0)
    ratings = rng.integers(1, 6, len(popular)).astype(float)
    spreads = [model.score_sd(model.mean_user()).mean()]
    for n in (1, 5, 40):
        user = model.fold_in(popular[:n], ratings[:n])
        spreads.append(model.score_sd(user).mean())
    assert spreads == sorted(spreads, reverse=True) and spreads[-1] < 0.7 * spreads[0]
    assert "learned prior" in user.method
    scores = model.score(user, popular[:5])
    assert model.contributions(user, popular[:5], scores).shape == (5, 40)  # "because" is exact


def test_bad_settings_are_clear_errors(ml100k):
    with pytest.raises(ConfigError, match="Gibbs sweeps"):
        TrainConfig(model="bayes", epochs=0)
    with pytest.raises(ConfigError, match="burn_in .*less than the number of sweeps"):
        TrainConfig(model="bayes", epochs=50, burn_in=50)
    with pytest.raises(ConfigError, match="n_factors \\(the rank\\)"):
        TrainConfig(model="bayes", n_factors=0)
    with pytest.raises(ConfigError, match="no learning rate"):
        lr_find(ml100k, TrainConfig(model="bayes"))
    with pytest.raises(ConfigError, match="no weight decay to sweep"):
        experiments.sweep_configs(TrainConfig(model="bayes"), "wd")


def test_cli_similar_and_recommend_on_the_sampled_model(bayes_stored, capsys):
    from collab_core.cli import main

    model_id = ["--model-id", bayes_stored.model_id]
    assert (
        main(["similar", "star wars", "--k", "3", "--min-ratings", "50", "--json", *model_id]) == 0
    )
    titles = [r["title"] for r in json.loads(capsys.readouterr().out)["neighbours"]]
    assert {"Empire Strikes Back, The (1980)", "Return of the Jedi (1983)"} <= set(titles)
    rate = ["--rate", "Star Wars (1977)=5", "--rate", "Scream (1996)=2"]
    assert main(["recommend", *rate, "--k", "5", "--json", *model_id]) == 0
    out = json.loads(capsys.readouterr().out)
    assert "learned prior" in out["method"]
    recs = out["recommendations"]
    assert len(recs) == 5 and all(0 < r["score_sd"] < 1 for r in recs)
    assert main(["recommend", *rate, "--k", "2", *model_id]) == 0
    assert " ± 0." in capsys.readouterr().out


@pytest.mark.parametrize(
    "argv, message",
    [
        (["--model", "bayes", "--wd", "0.1"], "--wd cannot be used with --model bayes"),
        (["--model", "bayes", "--lr", "0.1", "--bs", "64"], "--lr, --bs cannot be used"),
        (["--burn-in", "5"], "--burn-in cannot be used with --model dot"),
        (["--model", "bayes", "--epochs", "0"], "epochs \\(Gibbs sweeps\\)"),
        (["--model", "bayes", "--epochs", "10", "--burn-in", "10"], "burn_in must be"),
        (["--model", "bayes", "--factors", "0"], "n_factors \\(the rank\\)"),
    ],
)
def test_cli_bad_bayes_settings_exit_2_with_the_reason(argv, message, capsys):
    from collab_core.cli import main

    assert main(["train", *argv]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and len(err.strip().splitlines()) == 1
    assert re.search(message, err), err
