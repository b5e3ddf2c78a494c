"""Train/validation splits on the real ML-100k ratings: random, per-user temporal, k-fold."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from collab_core.errors import ConfigError
from collab_core.splits import kfold_splits, random_split, temporal_split


def _keys(df: pd.DataFrame) -> set[tuple[int, int]]:
    return set(zip(df["user_id"].tolist(), df["item_id"].tolist(), strict=True))


def test_random_split_is_seeded_disjoint_and_complete(ml100k):
    r = ml100k.ratings
    train, valid = random_split(r, 0.2, seed=7)
    assert (len(train), len(valid)) == (80_000, 20_000)
    assert train.index.intersection(valid.index).empty
    assert train.index.union(valid.index).equals(r.index)
    again_t, again_v = random_split(r, 0.2, seed=7)
    assert again_v.index.equals(valid.index) and again_t.index.equals(train.index)
    other_t, other_v = random_split(r, 0.2, seed=8)
    assert not other_v.index.equals(valid.index)
    # a random split does not follow user or time order
    assert valid["user_id"].nunique() > 900


@pytest.mark.parametrize("frac", [0.05, 0.1, 0.33])
def test_random_split_fraction(ml100k, frac):
    _, valid = random_split(ml100k.ratings, frac, seed=0)
    assert len(valid) == round(100_000 * frac)


def test_temporal_split_holds_out_each_users_latest(ml100k):
    r = ml100k.ratings
    train, valid = temporal_split(r, n_last=2)
    assert train.index.intersection(valid.index).empty
    assert len(train) + len(valid) == len(r)
    assert valid.groupby("user_id").size().eq(2).all()  # every ML-100k user has >= 20 ratings
    assert set(train["user_id"]) == set(r["user_id"])
    last_train = train.groupby("user_id")["timestamp"].max()
    first_valid = valid.groupby("user_id")["timestamp"].min()
    assert (last_train <= first_valid.reindex(last_train.index)).all()


def test_temporal_split_keeps_one_train_rating_per_user():
    r = pd.DataFrame(
        {
            "user_id": [1, 1, 1, 2, 3, 3],
            "item_id": [1, 2, 3, 1, 1, 2],
            "rating": [1.0, 2, 3, 4, 5, 1],
            "timestamp": [30, 10, 20, 5, 7, 7],
        }
    )
    train, valid = temporal_split(r, n_last=5)
    assert sorted(train.groupby("user_id").size().items()) == [(1, 1), (2, 1), (3, 1)]
    assert valid["item_id"].tolist() == [1, 3, 2]  # user 1's two latest, user 3's later line
    train1, valid1 = temporal_split(r, n_last=1)
    assert _keys(valid1) == {(1, 1), (3, 2)}
    assert len(train1) == 4


def test_kfold_validates_each_rating_exactly_once(ml100k):
    r = ml100k.ratings
    seen = np.zeros(len(r), dtype=int)
    folds = list(kfold_splits(r, k=5, seed=3))
    assert len(folds) == 5
    for train, valid in folds:
        assert len(valid) == 20_000 and len(train) == 80_000
        assert train.index.intersection(valid.index).empty
        seen[valid.index.to_numpy()] += 1
    assert (seen == 1).all()
    again = [v.index for _, v in kfold_splits(r, k=5, seed=3)]
    assert all(a.equals(v.index) for a, (_, v) in zip(again, folds, strict=True))


@pytest.mark.parametrize(
    "call, message",
    [
        (lambda r: random_split(r, 0.0), "valid_frac must be between 0 and 1"),
        (lambda r: random_split(r, 1.0), "valid_frac must be between 0 and 1"),
        (lambda r: random_split(r, float("nan")), "valid_frac must be between 0 and 1"),
        (lambda r: random_split(r, "0.2"), "valid_frac must be a number"),
        (lambda r: random_split(r.head(3), 0.1), "too few"),
        (lambda r: temporal_split(r, 0), "n_last must be a whole number of at least 1"),
        (lambda r: temporal_split(r, 1.5), "n_last must be a whole number"),
        (lambda r: kfold_splits(r, 1), "k must be between 2"),  # raised on the call
        (lambda r: list(kfold_splits(r.head(3), 4)), "number of ratings \\(3\\)"),
        (lambda r: list(kfold_splits(r, 2.5)), "k must be"),
    ],
)
def test_bad_split_parameters_are_config_errors(ml100k, call, message):
    with pytest.raises(ConfigError, match=message):
        call(ml100k.ratings)


def test_user_folds_put_each_user_in_one_fold_with_all_their_ratings(ml100k):
    from collab_core.splits import user_folds

    folds = user_folds(ml100k, 5)
    assert set(np.unique(folds.fold_of)) == set(range(5))
    assert sum(len(folds.held_out(f)) for f in range(5)) == ml100k.n_users
    assert sum(len(rows) for rows in folds.rows) == len(ml100k.ratings)
    for user in (0, 500, 942):
        assert (folds.u[folds.rows[user]] == user).all()
    train, valid = folds.training(ml100k.ratings, 2)
    held = set(ml100k.user_index(ml100k.ratings["user_id"])[folds.fold_of[folds.u] == 2])
    assert held and not held & set(ml100k.user_index(pd.concat([train, valid])["user_id"]))
    assert len(train) + len(valid) == int((folds.fold_of[folds.u] != 2).sum())
    assert len(valid) == round(0.05 * (len(train) + len(valid)))
    again = user_folds(ml100k, 5)
    assert (again.fold_of == folds.fold_of).all()  # the same seed, the same folds
    with pytest.raises(ConfigError, match="n_folds must be a whole number >= 2"):
        user_folds(ml100k, 1)
