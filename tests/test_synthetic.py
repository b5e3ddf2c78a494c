"""The synthetic MovieLens-like generator: sizes, determinism, MovieLens statistics, bad configs."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from collab_core import synthetic
from collab_core.errors import ConfigError
from collab_core.synthetic import GENRES, SyntheticConfig


@pytest.fixture(scope="module")
def ml100k_like():
    return synthetic.generate("ml-100k")


def test_preset_sizes_and_columns(ml100k_like):
    ds = ml100k_like
    r = ds.ratings
    assert (len(r), ds.n_users, ds.n_items) == (100_000, 943, 1_682)
    assert r.dtypes.to_dict() == {
        "user_id": np.int32,
        "item_id": np.int32,
        "rating": np.float32,
        "timestamp": np.int64,
    }
    assert not r.duplicated(["user_id", "item_id"]).any()
    assert r.groupby("user_id").size().min() >= 20  # MovieLens keeps users with 20+ ratings
    assert ds.rating_scale == (1.0, 5.0)
    assert set(np.unique(r["rating"])) == {1.0, 2.0, 3.0, 4.0, 5.0}
    assert ds.name == "synthetic ml-100k"


def test_same_seed_same_data_other_seed_other_data():
    cfg = SyntheticConfig(n_ratings=30_000, seed=7)
    a_ratings, a_items = synthetic.generate_frames(cfg)
    b_ratings, b_items = synthetic.generate_frames(cfg)
    pd.testing.assert_frame_equal(a_ratings, b_ratings)
    pd.testing.assert_frame_equal(a_items, b_items)
    c_ratings, _ = synthetic.generate_frames(SyntheticConfig(n_ratings=30_000, seed=8))
    assert len(c_ratings) == len(a_ratings)
    assert not a_ratings[["user_id", "item_id"]].equals(c_ratings[["user_id", "item_id"]])
    assert synthetic.generate(cfg).fingerprint == synthetic.generate(cfg).fingerprint


def test_long_tail_popularity_and_skewed_activity(ml100k_like):
    r = ml100k_like.ratings
    per_item = r.groupby("item_id").size().sort_values(ascending=False)
    top_tenth = per_item.iloc[: len(per_item) // 10].sum() / len(r)
    assert top_tenth > 0.3  # a few blockbusters hold a large share of all ratings
    assert per_item.iloc[0] > 10 * per_item.median()
    per_user = r.groupby("user_id").size()
    assert per_user.mean() > 1.5 * per_user.median()  # log-normal: a long tail of heavy raters
    assert per_user.max() <= 1_682 // 2


def test_ratings_carry_signal_a_model_can_learn(ml100k_like):
    """User and item effects explain much of the variance, as on real MovieLens (not pure noise)."""
    r = ml100k_like.ratings
    mean, std = float(r["rating"].mean()), float(r["rating"].std())
    assert 3.3 < mean < 3.8 and 0.9 < std < 1.25
    train = r.sample(frac=0.8, random_state=0)
    test = r.drop(train.index)
    mu = train["rating"].mean()
    bu = (train["rating"] - mu).groupby(train["user_id"]).mean()
    bi = (train["rating"] - mu).groupby(train["item_id"]).mean()
    pred = mu + test["user_id"].map(bu).fillna(0) + test["item_id"].map(bi).fillna(0)
    baseline_rmse = np.sqrt(((test["rating"] - mu) ** 2).mean())
    bias_rmse = np.sqrt(((test["rating"] - pred.clip(1, 5)) ** 2).mean())
    assert bias_rmse < 0.92 * baseline_rmse


def test_items_have_movielens_like_titles_years_and_genres(ml100k_like):
    items = ml100k_like.items
    first = items.iloc[0]
    assert first["title"] == f"Movie {first['item_id']} ({first['year']})"
    assert items["year"].between(1902, 2019).all()
    assert items["genres"].map(len).between(1, 3).all()
    assert set().union(*items["genres"]) <= set(GENRES)
    drama = items["genres"].map(lambda g: "Drama" in g).mean()
    imax = items["genres"].map(lambda g: "IMAX" in g).mean()
    assert drama > 5 * imax


def test_half_star_scale_and_timestamps():
    ratings, _ = synthetic.generate_frames(SyntheticConfig(n_ratings=20_000, scale="half_stars"))
    values = set(np.unique(ratings["rating"]))
    assert values <= {x / 2 for x in range(1, 11)}
    assert {0.5, 3.5, 4.5} <= values and {1.0, 4.0, 5.0} <= values
    halves = (ratings["rating"] % 1 != 0).mean()
    assert 0.1 < halves < 0.5  # only some people use half stars
    ts = ratings["timestamp"]
    assert ts.min() >= 820_454_400 and ts.max() <= 1_574_208_000


def test_sizes_follow_movielens_proportions_by_default():
    cfg = SyntheticConfig(n_ratings=60_000).resolved()
    assert cfg.n_users == 400
    assert 1000 < cfg.n_items < 1300
    ds = synthetic.generate(cfg, n_items=300)  # overrides apply on top of a config
    assert len(ds.ratings) == 60_000 and ds.n_items <= 300


def test_presets_match_grouplens_releases():
    assert synthetic.preset("ml-25m").n_ratings == 25_000_095
    assert synthetic.preset("ML_1M").scale == "stars"
    assert synthetic.preset("ml-10m", seed=3).seed == 3
    with pytest.raises(ConfigError, match="Unknown synthetic preset 'ml-50m'.*ml-100k"):
        synthetic.preset("ml-50m")


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"n_ratings": 0}, "n_ratings must be a positive number"),
        ({"n_ratings": 1_000, "n_users": 100}, "cannot give 100 users 20 ratings each"),
        ({"n_ratings": 10_000, "n_users": 100, "n_items": 150}, "more than half of the user-item"),
        ({"scale": "tenths"}, "scale must be one of"),
        ({"n_factors": 0}, "n_factors must be >= 1"),
    ],
)
def test_bad_configs_say_what_to_change(overrides, message):
    with pytest.raises(ConfigError, match=message):
        synthetic.generate(SyntheticConfig(**overrides))
