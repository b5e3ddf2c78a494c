"""Pure metric functions (RMSE, MAE, precision/recall/NDCG@k, neighbour quality) and two baselines."""

from __future__ import annotations

import numpy as np
import pandas as pd
import torch

from .errors import ConfigError


def _arrays(pred, target) -> tuple[np.ndarray, np.ndarray]:
    p = np.asarray(pred, dtype=np.float64).ravel()
    t = np.asarray(target, dtype=np.float64).ravel()
    if p.shape != t.shape:
        raise ConfigError(f"Predictions ({len(p)}) and true ratings ({len(t)}) differ in length.")
    if p.size == 0:
        raise ConfigError("There are no ratings to score (the evaluation set is empty).")
    return p, t


def rmse(pred, target) -> float:
    """Root mean squared error."""
    p, t = _arrays(pred, target)
    return float(np.sqrt(np.mean((p - t) ** 2)))


def mae(pred, target) -> float:
    """Mean absolute error."""
    p, t = _arrays(pred, target)
    return float(np.mean(np.abs(p - t)))


def ranking_metrics(users, ratings, scores, k: int = 10, threshold: float = 4.0) -> dict:
    """Precision, recall and NDCG at `k` of each user's held-out items ranked by `scores`.

    For each user, their held-out items are sorted by predicted score (ties keep input order) and
    the top `k` kept; an item is relevant when its true rating is >= `threshold`.
    - precision@k = relevant in top k / min(k, the user's held-out items)
    - recall@k = relevant in top k / the user's relevant items
    - NDCG@k = DCG of the top k (gain 1 per relevant item, discount log2(rank + 1)) / the ideal DCG
    Users with no relevant held-out item are left out of all three (nothing to find), as is usual.
    Returns the means over users, and `n_users`, the number of users averaged.
    """
    if k < 1:
        raise ConfigError(f"k must be at least 1, not {k}.")
    s, r = _arrays(scores, ratings)
    u = np.asarray(users).ravel()
    if len(u) != len(s):
        raise ConfigError(f"users ({len(u)}) and scores ({len(s)}) differ in length.")
    df = pd.DataFrame({"u": u, "rel": r >= threshold, "s": s})
    df = df.sort_values(["u", "s"], ascending=[True, False], kind="stable")
    rank = df.groupby("u", sort=False).cumcount().to_numpy()  # 0-based rank within user
    df["top"] = rank < k
    df["hit"] = df["top"] & df["rel"]
    df["gain"] = np.where(df["hit"], 1.0 / np.log2(rank + 2), 0.0)
    per = df.groupby("u", sort=False).agg(
        n=("rel", "size"), n_rel=("rel", "sum"), hits=("hit", "sum"), dcg=("gain", "sum")
    )
    per = per[per["n_rel"] > 0]
    if per.empty:
        return {
            "precision": float("nan"),
            "recall": float("nan"),
            "ndcg": float("nan"),
            "n_users": 0,
            "k": k,
        }
    ideal_n = np.minimum(per["n_rel"].to_numpy(), k)
    discounts = np.cumsum(1.0 / np.log2(np.arange(k) + 2))
    idcg = discounts[ideal_n - 1]
    return {
        "precision": float((per["hits"] / np.minimum(per["n"], k)).mean()),
        "recall": float((per["hits"] / per["n_rel"]).mean()),
        "ndcg": float((per["dcg"].to_numpy() / idcg).mean()),
        "n_users": len(per),
        "k": k,
    }


def precision_at_k(users, ratings, scores, k: int = 10, threshold: float = 4.0) -> float:
    """Mean precision@k (see `ranking_metrics`)."""
    return ranking_metrics(users, ratings, scores, k, threshold)["precision"]


def recall_at_k(users, ratings, scores, k: int = 10, threshold: float = 4.0) -> float:
    """Mean recall@k (see `ranking_metrics`)."""
    return ranking_metrics(users, ratings, scores, k, threshold)["recall"]


def ndcg_at_k(users, ratings, scores, k: int = 10, threshold: float = 4.0) -> float:
    """Mean NDCG@k with binary relevance (see `ranking_metrics`)."""
    return ranking_metrics(users, ratings, scores, k, threshold)["ndcg"]


# ---------------------------------------------------------------------------------------------
# Baselines


def global_mean_baseline(train_ratings, n: int) -> np.ndarray:
    """Predict the mean training rating `n` times: the error every model must beat."""
    r = np.asarray(train_ratings, dtype=np.float64)
    if r.size == 0:
        raise ConfigError("The global-mean baseline needs at least one training rating.")
    return np.full(n, r.mean())


def bias_baseline(
    train_users,
    train_items,
    train_ratings,
    users,
    items,
    *,
    reg_user: float = 15.0,
    reg_item: float = 10.0,
    n_iter: int = 10,
) -> np.ndarray:
    """mean + user bias + item bias, fitted by alternating damped means (Surprise's BaselineOnly).

    Indices are contiguous (0..n-1); -1 or an index unseen in training contributes no bias.
    `reg_*` shrink the biases of users and items with few ratings toward 0.
    """
    tu, ti = np.asarray(train_users, np.int64), np.asarray(train_items, np.int64)
    tr = np.asarray(train_ratings, np.float64)
    if tr.size == 0:
        raise ConfigError("The bias baseline needs at least one training rating.")
    if min(tu.min(), ti.min()) < 0:
        raise ConfigError("Training indices must be >= 0 (unknown ids cannot be trained on).")
    u, i = np.asarray(users, np.int64), np.asarray(items, np.int64)
    nu = int(max(tu.max(), u.max(initial=-1))) + 1
    ni = int(max(ti.max(), i.max(initial=-1))) + 1
    mu = tr.mean()
    bu, bi = np.zeros(nu), np.zeros(ni)
    cu = np.bincount(tu, minlength=nu)
    ci = np.bincount(ti, minlength=ni)
    for _ in range(n_iter):
        bi = np.bincount(ti, tr - mu - bu[tu], minlength=ni) / (ci + reg_item)
        bu = np.bincount(tu, tr - mu - bi[ti], minlength=nu) / (cu + reg_user)
    ok_u, ok_i = u >= 0, i >= 0
    return (
        mu + np.where(ok_u, bu[np.maximum(u, 0)], 0.0) + np.where(ok_i, bi[np.maximum(i, 0)], 0.0)
    )


# ---------------------------------------------------------------------------------------------
# A trained model on a held-out set


def score_model(
    model: torch.nn.Module,
    users,
    items,
    ratings,
    *,
    k: int = 10,
    threshold: float = 4.0,
    ranking: bool = True,
) -> dict:
    """RMSE, MAE (and ranking metrics) of `model.predict` on index arrays (-1 = unknown id)."""
    from .training import predict_tensors

    u = torch.as_tensor(np.asarray(users, np.int64))
    i = torch.as_tensor(np.asarray(items, np.int64))
    pred = predict_tensors(model.cpu().eval(), u, i).numpy()
    out = {"rmse": rmse(pred, ratings), "mae": mae(pred, ratings), "n": len(pred)}
    if ranking:
        rk = ranking_metrics(users, ratings, pred, k, threshold)
        out.update(
            {
                f"precision@{k}": rk["precision"],
                f"recall@{k}": rk["recall"],
                f"ndcg@{k}": rk["ndcg"],
            }
        )
    return out


def baseline_scores(train_users, train_items, train_ratings, users, items, ratings) -> dict:
    """{"global_mean": {rmse, mae}, "bias": {rmse, mae}} on a held-out set."""
    g = global_mean_baseline(train_ratings, len(np.asarray(ratings)))
    b = bias_baseline(train_users, train_items, train_ratings, users, items)
    return {
        "global_mean": {"rmse": rmse(g, ratings), "mae": mae(g, ratings)},
        "bias": {"rmse": rmse(b, ratings), "mae": mae(b, ratings)},
    }


def fans_lift(
    users, items, ratings, queries, neighbours, *, like: float = 4.0, min_fans: int = 3
) -> tuple[np.ndarray, np.ndarray]:
    """How much more the fans of each query movie like its listed neighbours than everyone does.

    `users`, `items`, `ratings` are ratings the model did not train on (held-out users);
    `neighbours[k]` lists the item indices shown for `queries[k]`. A fan of q rated it >= `like`.
    For each neighbour j the lift is

        mean rating of j by q's fans  -  mean rating of j by all who rated it     (stars)

    counted where at least `min_fans` fans rated j, and 0 where fewer did: no evidence that its
    fans like it, as with a movie few people know. Returns (per query: the mean lift over its
    neighbours, the share of its neighbours with evidence).
    """
    u = np.asarray(users, np.int64)
    i = np.asarray(items, np.int64)
    r = np.asarray(ratings, np.float64)
    if not (len(u) == len(i) == len(r)):
        raise ConfigError("users, items and ratings must have the same length.")
    if len(queries) != len(neighbours):
        raise ConfigError(f"{len(queries)} queries but {len(neighbours)} neighbour lists.")
    highest = [i.max(initial=-1), np.max(queries, initial=-1)]
    n_items = 1 + int(max(highest + [np.max(nb, initial=-1) for nb in neighbours]))
    count = np.bincount(i, minlength=n_items)
    mean = np.bincount(i, r, minlength=n_items) / np.maximum(count, 1)
    order = np.argsort(i, kind="stable")  # ratings grouped by item
    start = np.concatenate([[0], np.cumsum(count)])
    n_users = int(u.max(initial=-1)) + 1
    lift = np.zeros(len(queries))
    judged = np.zeros(len(queries))
    for k, (q, nb) in enumerate(zip(queries, neighbours, strict=True)):
        nb = np.asarray(nb, np.int64)
        if not len(nb):
            continue
        rows = order[start[q] : start[q + 1]]
        fan = np.zeros(n_users, dtype=bool)
        fan[u[rows][r[rows] >= like]] = True
        lifts = np.zeros(len(nb))
        for n, j in enumerate(nb):
            rows = order[start[j] : start[j + 1]]
            by_fans = r[rows][fan[u[rows]]]
            if len(by_fans) >= min_fans:
                lifts[n] = by_fans.mean() - mean[j]
                judged[k] += 1
        lift[k] = lifts.mean()
        judged[k] /= len(nb)
    return lift, judged
