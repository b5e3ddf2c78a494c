"""Starting points for a new user: mean, representative and profile, on every kind of model."""

from __future__ import annotations

import numpy as np
import pytest

from collab_core import starts
from collab_core.analysis import Explorer
from collab_core.errors import ConfigError
from collab_core.recommend import recommend_items

STUDENT = {"age": 22, "gender": "M", "occupation": "student"}


@pytest.fixture(scope="module")
def factor_model(factor_copy):
    return factor_copy


@pytest.fixture(params=["dot", "nn", "factors"])
def any_model(request, default_model, small_nn_model, factor_model):
    return {"dot": default_model, "nn": small_nn_model, "factors": factor_model}[request.param]


@pytest.mark.parametrize("how", starts.STARTS)
def test_every_start_gives_a_valid_list_on_every_model(ml100k, any_model, how):
    ex = Explorer(ml100k, any_model)
    start = starts.start_user(how, any_model, ml100k, STUDENT)
    rec = recommend_items(ex, np.zeros(0, np.int64), np.zeros(0), k=10, start=start)
    assert len(rec.table) == 10 and rec.table["title"].is_unique
    lo, hi = ml100k.rating_scale
    assert rec.table["score"].between(lo, hi).all()
    assert rec.user.method == start.method
    # and answers fold in from that start: one rating moves the user away from it
    star_wars = int(ml100k.item_index([50])[0])
    after = any_model.fold_in([star_wars], [5.0], start)
    assert not np.allclose(any_model.score(after), any_model.score(start))


def test_vectors_round_trip_to_the_users_the_model_scores(ml100k, any_model):
    """A trained user's `user_vectors` row, made a NewUser, scores as `predict` does for them."""
    u = 10
    user = any_model.user_from_vector(any_model.user_vectors()[u], "user 11")
    items = np.arange(20)
    expected = any_model.predict(np.full(20, u), items).double().numpy()
    np.testing.assert_allclose(any_model.score(user, items), expected, atol=1e-4)


def test_representative_user_is_a_real_user_near_the_mean(ml100k, default_model):
    rep = starts.representative_user(default_model, ml100k)
    assert rep.user_id in set(ml100k.ratings["user_id"])
    assert rep.n_ratings >= starts.REPRESENTATIVE_MIN_RATINGS
    vectors = default_model.user_vectors()
    np.testing.assert_allclose(rep.user.factors, vectors[rep.index, :-1])
    dist = np.linalg.norm(vectors - vectors.mean(0), axis=1)
    assert rep.distance <= np.quantile(dist, 0.05)  # among the nearest 5% of all users
    # the favourites shown are that user's own top ratings
    theirs = ml100k.ratings[ml100k.ratings["user_id"] == rep.user_id]
    assert len(rep.favourites) == 5
    assert rep.favourites["rating"].min() >= np.sort(theirs["rating"].to_numpy())[-5]


def test_profile_model_learns_what_age_and_job_say(ml100k, default_model):
    pm = starts.ProfileModel().fit(default_model, ml100k)
    assert set(pm.fields()) == {"age", "gender", "occupation"}  # zip codes are not a feature
    assert pm.n_users_ == 943
    # the empty profile is the mean user
    empty = pm.start(default_model, {})
    np.testing.assert_allclose(empty.factors, default_model.mean_user().factors, atol=1e-6)
    # profiles differ, and the same profile gives the same start (deterministic refit)
    a = pm.start(default_model, STUDENT)
    b = pm.start(default_model, {"age": 60, "gender": "F", "occupation": "retired"})
    assert np.linalg.norm(a.factors - b.factors) > 0.05
    again = starts.ProfileModel().fit(default_model, ml100k).start(default_model, STUDENT)
    np.testing.assert_allclose(again.factors, a.factors)


def test_profile_model_on_training_users_beats_the_mean_on_their_vectors(ml100k, default_model):
    train = np.arange(0, 943, 2)
    pm = starts.ProfileModel().fit(default_model, ml100k, users=train)
    held = np.arange(1, 943, 2)
    table = ml100k.users.set_index("user_id").loc[ml100k.user_ids[held]].reset_index()
    vectors = default_model.user_vectors()
    guess = pm.predict_vector(table)
    err_profile = np.mean((guess - vectors[held]) ** 2)
    err_mean = np.mean((vectors[train].mean(0) - vectors[held]) ** 2)
    assert err_profile < err_mean


@pytest.mark.parametrize(
    ("profile", "message"),
    [
        ({"occupation": "astronaut"}, "'astronaut' is not a known occupation"),
        ({"age": "old"}, "age must be a number"),
        ({"shoe_size": 42}, "knows nothing of 'shoe_size'"),
    ],
)
def test_bad_profile_is_a_clear_error(ml100k, default_model, profile, message):
    with pytest.raises(ConfigError, match=message):
        starts.start_user("profile", default_model, ml100k, profile)


def test_profile_start_without_users_table_says_why(default_model, ml100k):
    from dataclasses import replace

    bare = replace(ml100k, users=None)
    assert "no users table" in starts.why_no_profile(bare)
    with pytest.raises(ConfigError, match="no users table"):
        starts.start_user("profile", default_model, bare, STUDENT)
    with pytest.raises(ConfigError, match="Unknown start 'median'"):
        starts.start_user("median", default_model, ml100k)


def test_age_bands_round_trip():
    labels = starts.age_band_labels()
    assert labels[0] == "under 18" and labels[-1] == "56+"
    assert [starts.age_band(starts.band_age(b)) for b in labels] == labels


def test_bayesian_model_starts_keep_their_spread(ml100k, bayes_stored):
    """On the Bayesian model a start keeps the prior's covariance, so the list has its ± ."""
    model = bayes_stored.model
    ex = Explorer(ml100k, model)
    for how in starts.STARTS:
        start = starts.start_user(how, model, ml100k, STUDENT)
        rec = recommend_items(ex, np.zeros(0, np.int64), np.zeros(0), k=5, start=start)
        assert rec.table["score_sd"].gt(0).all(), how
