"""The enthusiasts: how much the most active users shape the model, and what changes without them.

The lesson's warning: a few very enthusiastic users can end up setting the recommendations for
everyone. Two measures of their weight, overall and per genre: their share of the ratings, and
their share of the *ridge weight*: fitting item i with the user side fixed is a ridge regression
on x_u = [user factors, 1], and rating (u, i)'s leverage h_ui = x_u' (sum_v x_v x_v' + ridge I)^-1
x_u is how far that one rating moves item i's fitted value, so a rater with a strong embedding
counts for more than one rating. Then the model retrained without them (`without_top`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from .analysis import Explorer
from .data import Dataset
from .errors import ConfigError
from .models import CollabModel

TOPS = (0.01, 0.10)  # the most active 1% and 10% of users
MIN_RATINGS = 20  # the bias ranking compared: movies with this many ratings
TOP_N = 20
# The item-side regression's ridge, for the leverage (in the units of the factors, as the
# fold-in's; kept at 1 so that a movie with one rating is decided by it, as in training).
LEVERAGE_RIDGE = 1.0


def most_active(ds: Dataset, share: float) -> np.ndarray:
    """Indices of the `share` most active users (by number of ratings; at least one user)."""
    counts = np.bincount(ds.user_index(ds.ratings["user_id"]), minlength=ds.n_users)
    n = max(1, int(round(share * ds.n_users)))
    return np.argsort(-counts, kind="stable")[:n]


def leverage(ds: Dataset, model: CollabModel, ridge: float = LEVERAGE_RIDGE) -> np.ndarray:
    """h_ui for every rating, in `ds.ratings` order (see the module docstring)."""
    u, i, _ = ds.encode(ds.ratings)
    P = np.c_[model.user_factors().double().numpy(), np.ones(model.n_users)]  # [n_users, d+1]
    eye = ridge * np.eye(P.shape[1])
    h = np.empty(len(u))
    order = np.argsort(i, kind="stable")
    bounds = np.cumsum(np.bincount(i, minlength=ds.n_items))[:-1]
    for rows in np.split(order, bounds):  # one item's ratings at a time: [n_i, d+1] each
        if len(rows):
            X = P[u[rows]]
            S = np.linalg.inv(X.T @ X + eye)
            h[rows] = ((X @ S) * X).sum(1)
    return h


def shares(ds: Dataset, model: CollabModel, tops=TOPS) -> pd.DataFrame:
    """Rows: all movies, then each genre; columns: ratings, then for each top share the share of
    ratings and of ridge weight its users hold (`ratings_top1`, `weight_top1`, ...)."""
    u, i, _ = ds.encode(ds.ratings)
    h = leverage(ds, model)
    genres = ds.items["genres"].to_numpy()
    scopes = [("all movies", np.ones(len(u), bool))]
    names = sorted({g for gs in genres for g in gs})
    for g in names:
        has = np.array([g in gs for gs in genres])
        scopes.append((g, has[i]))
    rows = []
    for name, mask in scopes:
        if not mask.any():
            continue
        row = {"scope": name, "ratings": int(mask.sum())}
        for share in tops:
            top = np.isin(u, most_active(ds, share)) & mask
            tag = f"top{round(share * 100)}"
            row[f"ratings_{tag}"] = top.sum() / mask.sum()
            row[f"weight_{tag}"] = h[top].sum() / h[mask].sum()
        rows.append(row)
    return pd.DataFrame(rows)


@dataclass
class WithoutThem:
    """The model retrained without the most active users, compared with a *control*: the same
    training on everyone (same settings, split and seed), so that what moves is their doing and
    not training noise (any retrain reorders a bias ranking a little).

    `n_removed` users and `n_ratings` ratings left out; `bias_moved`: movies (with MIN_RATINGS+
    ratings) whose place in the bias ranking changed; `bias_top_changed`: of the top TOP_N by bias,
    how many are not there any more; `median_move`: the median change of place; `new_user_changed`:
    how many of a default new user's top TOP_N changed; `before`/`after`: those two lists.
    """

    share: float
    n_removed: int
    n_ratings: int
    bias_moved: int
    bias_top_changed: int
    median_move: float
    new_user_changed: int
    before: list[str]
    after: list[str]
    model: CollabModel


def without_top(ex: Explorer, config, share: float = TOPS[0], callback=None) -> WithoutThem:
    """Retrain `config` (the model's own) on everyone and without the `share` most active users
    (two trainings), and compare the two."""
    from .recommend import recommend_items
    from .training import fit

    ds = ex.dataset
    if not 0 < share < 1:
        raise ConfigError(f"The share of users to leave out must be between 0 and 1, not {share}.")
    gone = most_active(ds, share)
    keep = ~np.isin(ds.user_index(ds.ratings["user_id"]), gone)
    valid = ds.ratings.sample(frac=0.05, random_state=0)
    train = ds.ratings.drop(valid.index)

    def trained(rows: pd.DataFrame) -> Explorer:
        model = fit(ds, config, train=rows, valid=valid, callback=callback).model
        return Explorer(ds, model)

    ex = trained(train)  # the control
    after_ex = trained(train[keep[train.index]])
    ok = np.flatnonzero(ex.n_ratings_ >= MIN_RATINGS)
    rank_a = _ranks(ex.item_bias_[ok])
    rank_b = _ranks(after_ex.item_bias_[ok])
    none = np.zeros(0, np.int64), np.zeros(0)
    before = recommend_items(ex, *none, k=TOP_N).table["title"].tolist()
    after = recommend_items(after_ex, *none, k=TOP_N).table["title"].tolist()
    return WithoutThem(
        share=share,
        n_removed=len(gone),
        n_ratings=int((~keep).sum()),
        bias_moved=int((rank_a != rank_b).sum()),
        bias_top_changed=int(((rank_a < TOP_N) & (rank_b >= TOP_N)).sum()),
        median_move=float(np.median(np.abs(rank_a - rank_b))),
        new_user_changed=len(set(before) - set(after)),
        before=before,
        after=after,
        model=after_ex.model,
    )


def _ranks(values: np.ndarray) -> np.ndarray:
    order = np.argsort(-values, kind="stable")
    ranks = np.empty(len(values), np.int64)
    ranks[order] = np.arange(len(values))
    return ranks
