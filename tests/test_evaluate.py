"""Metric functions on hand-computed cases, and the baselines on real data."""

from __future__ import annotations

import math

import numpy as np
import pytest

from collab_core.errors import ConfigError
from collab_core.evaluate import (
    baseline_scores,
    bias_baseline,
    fans_lift,
    global_mean_baseline,
    mae,
    ndcg_at_k,
    precision_at_k,
    ranking_metrics,
    recall_at_k,
    rmse,
)
from collab_core.splits import random_split


def test_rmse_and_mae_by_hand():
    pred, true = [3.0, 4.0, 5.0, 1.0], [4.0, 4.0, 3.0, 1.0]
    assert rmse(pred, true) == pytest.approx(math.sqrt((1 + 0 + 4 + 0) / 4))
    assert mae(pred, true) == pytest.approx(3 / 4)
    assert rmse(true, true) == 0.0


def test_metric_input_errors():
    with pytest.raises(ConfigError, match="differ in length"):
        rmse([1, 2], [1])
    with pytest.raises(ConfigError, match="empty"):
        mae([], [])
    with pytest.raises(ConfigError, match="k must be"):
        ranking_metrics([1], [5], [1.0], k=0)


def test_ranking_metrics_by_hand():
    # user 1: scores rank items a(5), b(2), c(4), d(4); k=2 -> top a, b: one hit of 3 relevant.
    # user 2: c(3), d(5) ranked d, c: one hit of 1 relevant, at rank 1.
    # user 3: nothing relevant -> left out.
    users = [1, 1, 1, 1, 2, 2, 3]
    ratings = [5, 2, 4, 4, 3, 5, 1]
    scores = [0.9, 0.8, 0.7, 0.1, 0.2, 0.6, 0.5]
    m = ranking_metrics(users, ratings, scores, k=2)
    assert m["n_users"] == 2
    assert m["precision"] == pytest.approx((1 / 2 + 1 / 2) / 2)
    assert m["recall"] == pytest.approx((1 / 3 + 1 / 1) / 2)
    ideal1 = 1 + 1 / math.log2(3)
    assert m["ndcg"] == pytest.approx((1 / ideal1 + 1.0) / 2)
    assert precision_at_k(users, ratings, scores, 2) == m["precision"]
    assert recall_at_k(users, ratings, scores, 2) == m["recall"]
    assert ndcg_at_k(users, ratings, scores, 2) == m["ndcg"]


def test_perfect_ranking_scores_one_and_short_lists_are_not_penalised():
    users, ratings = [7, 7, 7], [5, 4, 1]
    m = ranking_metrics(users, ratings, [3.0, 2.0, 1.0], k=10)
    assert m["recall"] == 1.0 and m["ndcg"] == pytest.approx(1.0)
    assert m["precision"] == pytest.approx(2 / 3)  # 3 held-out items, 2 relevant
    worst = ranking_metrics(users, ratings, [1.0, 2.0, 3.0], k=1)
    assert worst["precision"] == 0.0 and worst["ndcg"] == 0.0


def test_no_relevant_items_gives_nan():
    m = ranking_metrics([1, 2], [1, 2], [0.5, 0.4])
    assert m["n_users"] == 0 and math.isnan(m["ndcg"])


def test_baselines_by_hand():
    assert global_mean_baseline([1, 2, 3], 2).tolist() == [2.0, 2.0]
    # Additive data: mean 3, user biases (+1, -1), item biases (+0.5, -0.5), every pair rated.
    tu, ti = np.array([0, 0, 1, 1]), np.array([0, 1, 0, 1])
    tr = 3 + np.array([1, 1, -1, -1]) + np.array([0.5, -0.5, 0.5, -0.5])
    pred = bias_baseline(
        tu, ti, tr, [0, 1, -1, 0], [1, 0, 0, -1], reg_user=0, reg_item=0, n_iter=50
    )
    assert pred[:2] == pytest.approx([3.5, 2.5])
    assert pred[2] == pytest.approx(3.5)  # unknown user: mean + item bias
    assert pred[3] == pytest.approx(4.0)  # unknown item: mean + user bias
    with pytest.raises(ConfigError, match="at least one"):
        bias_baseline([], [], [], [0], [0])


def test_bias_baseline_beats_global_mean_on_movielens(ml100k):
    train, valid = random_split(ml100k.ratings, 0.2, seed=0)
    tu, ti, tr = ml100k.encode(train)
    vu, vi, vr = ml100k.encode(valid)
    scores = baseline_scores(tu, ti, tr, vu, vi, vr)
    assert 1.1 < scores["global_mean"]["rmse"] < 1.16
    assert scores["bias"]["rmse"] < 0.96  # Surprise's BaselineOnly gets about 0.94


def test_fans_lift_by_hand():
    # Users 0-3 rate the query (item 0); 0, 1 and 2 are its fans (>= 4 stars), 3 is not.
    # Item 1: the three fans give 5, 5, 4 and user 4 gives 1: mean 3.75, fans 4.67 -> lift +0.92.
    # Item 2: only two fans rated it: no evidence -> 0. Item 3: fans give 2 = everyone's mean -> 0.
    u = [0, 1, 2, 3, 0, 1, 2, 4, 0, 1, 0, 1, 2]
    i = [0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 3, 3, 3]
    r = [5, 4, 4, 2, 5, 5, 4, 1, 5, 5, 2, 2, 2]
    lift, judged = fans_lift(u, i, r, [0, 0], [[1, 2], [3]])
    assert lift[0] == pytest.approx(((14 / 3 - 15 / 4) + 0) / 2)
    assert judged.tolist() == [0.5, 1.0] and lift[1] == pytest.approx(0.0)
    lift, judged = fans_lift(u, i, r, [0], [[2]], min_fans=2)  # two fans are enough now
    assert lift[0] == pytest.approx(5 - 5) and judged[0] == 1.0
    with pytest.raises(ConfigError, match="2 queries but 1 neighbour lists"):
        fans_lift(u, i, r, [0, 1], [[2]])
