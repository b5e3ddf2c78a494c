"""Train/validation splits of a ratings frame: random, per-user temporal, k-fold, and over users."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
import pandas as pd

from .errors import ConfigError


def random_split(
    ratings: pd.DataFrame, valid_frac: float = 0.2, seed: int = 42
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """A seeded random split: `valid_frac` of the ratings go to validation."""
    if isinstance(valid_frac, bool) or not isinstance(valid_frac, (int, float, np.number)):
        raise ConfigError(f"valid_frac must be a number between 0 and 1, not {valid_frac!r}.")
    if not 0.0 < valid_frac < 1.0:
        raise ConfigError(f"valid_frac must be between 0 and 1 (exclusive), not {valid_frac}.")
    n = len(ratings)
    n_valid = int(round(n * valid_frac))
    if n_valid == 0 or n_valid == n:
        raise ConfigError(f"{n} ratings are too few to hold out {valid_frac:.0%} for validation.")
    perm = np.random.default_rng(seed).permutation(n)
    return ratings.iloc[np.sort(perm[n_valid:])], ratings.iloc[np.sort(perm[:n_valid])]


def temporal_split(ratings: pd.DataFrame, n_last: int = 1) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Each user's last `n_last` ratings (by timestamp) go to validation; every user keeps one in train."""
    if not _is_int(n_last) or n_last < 1:
        raise ConfigError(f"n_last must be a whole number of at least 1, not {n_last!r}.")
    order = ratings.assign(_pos=np.arange(len(ratings))).sort_values(
        ["user_id", "timestamp", "_pos"], kind="stable"
    )
    from_end = order.groupby("user_id").cumcount(ascending=False)
    size = order.groupby("user_id")["rating"].transform("size")
    valid = (from_end < n_last) & (from_end < size - 1)
    take = order["_pos"].to_numpy()
    v = np.sort(take[valid.to_numpy()])
    t = np.sort(take[~valid.to_numpy()])
    return ratings.iloc[t], ratings.iloc[v]


def kfold_splits(
    ratings: pd.DataFrame, k: int = 5, seed: int = 42
) -> Iterator[tuple[pd.DataFrame, pd.DataFrame]]:
    """k seeded (train, valid) folds; every rating is validated exactly once."""
    if not _is_int(k) or not 2 <= k <= len(ratings):
        raise ConfigError(
            f"k must be between 2 and the number of ratings ({len(ratings)}), not {k}."
        )
    perm = np.random.default_rng(seed).permutation(len(ratings))
    return _folds(ratings, np.array_split(perm, k))  # checked above, not on first iteration


def _folds(ratings: pd.DataFrame, folds: list[np.ndarray]):
    for fold in folds:
        mask = np.zeros(len(ratings), dtype=bool)
        mask[fold] = True
        yield ratings.iloc[np.flatnonzero(~mask)], ratings.iloc[np.flatnonzero(mask)]


@dataclass
class UserFolds:
    """A data set's users split into folds at random, for evaluation over users the model never
    saw: each rating's codes `u`, `i` and rating `r` (float64), `fold_of[user]`, and `rows[user]`
    (the positions of that user's ratings in `u`, `i`, `r`)."""

    u: np.ndarray
    i: np.ndarray
    r: np.ndarray
    fold_of: np.ndarray
    rows: list[np.ndarray]

    def held_out(self, fold: int) -> np.ndarray:
        """The users of `fold`."""
        return np.flatnonzero(self.fold_of == fold)

    def training(self, ratings: pd.DataFrame, fold: int) -> tuple[pd.DataFrame, pd.DataFrame]:
        """(train, valid) for a model that never sees `fold`'s users: the other users' ratings,
        less a 5% validation sample (drawn with the fold as seed)."""
        others = ratings[self.fold_of[self.u] != fold]
        valid = others.sample(frac=0.05, random_state=fold)
        return others.drop(valid.index), valid


def user_folds(dataset, n_folds: int, seed: int = 0) -> UserFolds:
    """`dataset`'s users in `n_folds` folds drawn at random with `seed` (the benchmarks' split)."""
    if not _is_int(n_folds) or n_folds < 2:
        raise ConfigError(f"n_folds must be a whole number >= 2, not {n_folds!r}.")
    u, i, r = dataset.encode(dataset.ratings)
    fold_of = np.random.default_rng(seed).integers(0, n_folds, dataset.n_users)
    rows = np.split(
        np.argsort(u, kind="stable"), np.cumsum(np.bincount(u, minlength=dataset.n_users))
    )
    return UserFolds(u, i, r.astype(np.float64), fold_of, rows)


def _is_int(value: object) -> bool:
    return isinstance(value, (int, np.integer)) and not isinstance(value, bool)
