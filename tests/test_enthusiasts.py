"""The enthusiasts: the most active users' share of ratings and of ridge weight, and a retrain."""

from __future__ import annotations

import numpy as np
import pytest

from collab_core import enthusiasts as E
from collab_core.config import TrainConfig
from collab_core.errors import ConfigError


def test_most_active_users_hold_more_than_their_share(ml100k, default_model):
    top = E.most_active(ml100k, 0.01)
    assert len(top) == 9
    counts = np.bincount(ml100k.user_index(ml100k.ratings["user_id"]))
    assert counts[top].min() >= np.sort(counts)[-9]
    table = E.shares(ml100k, default_model)
    overall = table.iloc[0]
    assert overall["scope"] == "all movies" and overall["ratings"] == 100_000
    # 1% of the users hold about 5% of the ratings (5,063), and more of the ridge weight
    assert overall["ratings_top1"] == pytest.approx(5063 / 100_000)
    assert overall["weight_top1"] > overall["ratings_top1"]
    assert 0.30 < overall["ratings_top10"] < 0.35
    assert {"Horror", "Western", "Documentary"} <= set(table["scope"])
    assert table[["ratings_top1", "weight_top10"]].le(1).all().all()


def test_leverage_is_each_ratings_pull_on_its_movie(ml100k, default_model):
    h = E.leverage(ml100k, default_model)
    assert h.shape == (100_000,) and (h > 0).all() and (h < 1).all()
    # a movie with one rating: that rating decides it (leverage over a half, with ridge 1)
    _, i, _ = ml100k.encode(ml100k.ratings)
    once = np.flatnonzero(np.bincount(i) == 1)
    many = np.flatnonzero(np.bincount(i) > 300)
    assert h[np.isin(i, once)].mean() > 5 * h[np.isin(i, many)].mean()


def test_retraining_without_them_against_a_control(ml100k, ex):
    result = E.without_top(ex, TrainConfig(epochs=2), share=0.01)
    assert result.n_removed == 9 and result.n_ratings == 5063
    assert 0 <= result.bias_top_changed <= E.TOP_N
    assert len(result.before) == len(result.after) == E.TOP_N
    assert result.new_user_changed == len(set(result.before) - set(result.after))
    assert not result.model.user_seen[E.most_active(ml100k, 0.01)].any()  # they were left out
    with pytest.raises(ConfigError, match="between 0 and 1"):
        E.without_top(ex, TrainConfig(), share=1.5)
