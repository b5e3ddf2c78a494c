"""The feedback-loop simulation on ML-100k and the default model (a few users, a few rounds)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from collab_core.config import TrainConfig
from collab_core.errors import ConfigError
from collab_core.loop_metrics import METRICS
from collab_core.models import FactorModel
from collab_core.simulate import SimulationSettings, simulate

CONFIG = TrainConfig()  # what the default model was trained with


def run(ml100k, model, **settings):
    return simulate(ml100k, model, SimulationSettings(**settings), config=CONFIG)


def test_same_seed_same_trajectory(ml100k, default_model):
    a = run(ml100k, default_model, rounds=2, users=60, seed=5)
    b = run(ml100k, default_model, rounds=2, users=60, seed=5)
    c = run(ml100k, default_model, rounds=2, users=60, seed=6)
    cols = [m for m in a.rounds if m != "seconds"]
    pd.testing.assert_frame_equal(a.rounds[cols], b.rounds[cols])
    assert np.array_equal(a.exposure, b.exposure)
    assert not np.array_equal(a.exposure, c.exposure)
    assert list(a.rounds["round"]) == [1, 2] and a.n_users == 60
    assert set(METRICS) - {"genre_share"} <= set(a.rounds)  # genre_share: with enthusiasts only
    assert (a.rounds["new_ratings"] == 60).all()  # one pick each
    assert a.exposure.shape == (2, ml100k.n_items) and (a.exposure.sum(1) == 600).all()
    # The model was trained on 80% of the ratings; what it never saw is never shown.
    assert a.catalogue.sum() == default_model.item_seen.sum() < ml100k.n_items
    assert not a.exposure[:, ~a.catalogue].any()


def test_every_movie_shown_and_random_choice_keep_coverage_at_100_percent(ml100k, default_model):
    res = run(
        ml100k,
        default_model,
        rounds=2,
        users=30,
        k=ml100k.n_items,
        choosiness=0.0,
        min_ratings=0,
        update="fold_in",
    )
    assert (res.rounds["coverage"] == 1.0).all()
    assert (res.rounds["gini"] < 0.05).all()  # every movie in nearly every list


def test_the_loop_narrows_the_lists_against_a_model_that_never_learns(ml100k, default_model):
    """Round 1 is the same; after it the retrained model shows less of the catalogue, and lists
    more alike, than the same users would get from the frozen one (the control)."""
    loop = run(ml100k, default_model, rounds=4, users=300)
    frozen = run(ml100k, default_model, rounds=4, users=300, learn=False)
    first = [m for m in METRICS if m in loop.rounds]
    pd.testing.assert_series_equal(loop.rounds[first].iloc[0], frozen.rounds[first].iloc[0])
    assert frozen.rounds["rmse_true"].nunique() == 1  # the frozen model never changes
    last = loop.rounds.iloc[-1], frozen.rounds.iloc[-1]
    assert last[0]["coverage"] < last[1]["coverage"]
    assert last[0]["homogenisation"] > last[1]["homogenisation"]


def test_enthusiasts_raise_their_genre_in_everyone_elses_lists(ml100k, default_model):
    plain = run(ml100k, default_model, rounds=3, users=200)
    fans = run(ml100k, default_model, rounds=3, users=200, enthusiasts="War")
    war = np.array(["War" in g for g in ml100k.items["genres"]])
    slots = [float(war[np.repeat(np.arange(ml100k.n_items), row)].mean()) for row in plain.exposure]
    assert (fans.rounds["genre_share"].to_numpy() > np.array(slots)).all()
    assert fans.n_enthusiasts == 10 and fans.n_users == 200  # metrics are about the others
    # 10 enthusiasts picking 10 a round, 200 users picking 1: the top 1% of the 210 (2 users)
    # gave 20 of the 300 new ratings; without enthusiasts 2 of 200.
    assert (fans.rounds["new_ratings"] == 300).all()
    assert fans.rounds["top1_share"].iloc[0] == pytest.approx(20 / 300)
    assert plain.rounds["top1_share"].iloc[0] == pytest.approx(2 / 200)


def test_policies_popular_epsilon_and_calibrated(ml100k, default_model):
    popular = run(ml100k, default_model, rounds=1, users=100, policy="popular")
    predicted = run(ml100k, default_model, rounds=1, users=100)
    epsilon = run(ml100k, default_model, rounds=1, users=100, policy="epsilon", epsilon=0.5)
    calibrated = run(ml100k, default_model, rounds=1, users=100, policy="calibrated")
    pct = [r.rounds["popularity_pct"].iloc[0] for r in (popular, predicted, epsilon)]
    assert pct[0] > 99 and pct[0] > pct[1] > pct[2]  # the most rated first; random slots less so
    cover = [r.rounds["coverage"].iloc[0] for r in (popular, predicted, calibrated, epsilon)]
    assert cover == sorted(cover)  # calibration and exploration each reach further
    assert (
        calibrated.rounds["genre_diversity"].iloc[0] > predicted.rounds["genre_diversity"].iloc[0]
    )


def test_bad_settings_give_clear_errors(ml100k, default_model):
    cases = {
        "rounds must be a whole number of at least 1, not 0": {"rounds": 0},
        "k (1683) is larger than the catalogue (1,682 movies)": {"k": 1683},
        "Unknown policy 'greedy'; use one of predicted, calibrated, epsilon, popular": {
            "policy": "greedy"
        },
        "Unknown genre 'Anime'; this data set has Action, Adventure": {"enthusiasts": "Anime"},
        "Unknown update 'nightly'": {"update": "nightly"},
        "picks (5) cannot exceed the list length k (3)": {"k": 3, "picks": 5},
        "discovery must be a number from 0": {"discovery": 1.5},
        "users must be a whole number of at least 2": {"users": 1},
    }
    for message, settings in cases.items():
        with pytest.raises(ConfigError, match=message.replace("(", r"\(").replace(")", r"\)")):
            run(ml100k, default_model, **settings)
    with pytest.raises(ConfigError, match="A warm start needs the settings"):
        simulate(ml100k, default_model, SimulationSettings(rounds=1))
    other = FactorModel(np.zeros((3, 2)), np.zeros((4, 2)))
    with pytest.raises(ConfigError, match="belongs to another data set"):
        run(ml100k, other, rounds=1)


def test_factors_trained_elsewhere_simulate_by_fold_in_only(ml100k):
    rng = np.random.default_rng(0)
    model = FactorModel(
        rng.normal(0, 0.3, (ml100k.n_users, 8)),
        rng.normal(0, 0.3, (ml100k.n_items, 8)),
        global_bias=3.5,
    )
    res = run(ml100k, model, rounds=1, users=40, update="fold_in")
    assert res.rounds["coverage"].iloc[0] > 0
    with pytest.raises(ConfigError, match="trained elsewhere"):
        run(ml100k, model, rounds=1, users=40)


def test_a_small_data_set_without_genres(ml100k):
    """Ratings with no items file: no genres, so no enthusiasts, and calibration stays off."""
    from collab_core.data import make_dataset
    from collab_core.training import fit

    ratings = ml100k.ratings[ml100k.ratings["user_id"] <= 80]
    ds = make_dataset(ratings)
    config = TrainConfig(n_factors=8, epochs=3)
    model = fit(ds, config).model
    settings = SimulationSettings(rounds=2, policy="calibrated", k=5, picks=2)
    res = simulate(ds, model, settings, config=config)
    assert (res.rounds["new_ratings"] == 2 * res.n_users).all()
    assert res.rounds["genre_diversity"].isna().all() and res.rounds["coverage"].gt(0).all()
    with pytest.raises(ConfigError, match="has no genres"):
        simulate(ds, model, SimulationSettings(rounds=1, enthusiasts="War"), config=config)
