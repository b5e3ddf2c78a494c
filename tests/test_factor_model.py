"""FactorModel: factors trained elsewhere, explored through the one model interface (nothing trained)."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from collab_core.analysis import Explorer
from collab_core.errors import ConfigError
from collab_core.models import CollabModel, FactorModel
from collab_core.recommend import recommend_for


def _random_factors(ds, d: int = 16, seed: int = 0) -> FactorModel:
    """Random factors for every ML-100k user and movie; no biases, raw scores (as ALS gives)."""
    rng = np.random.default_rng(seed)
    return FactorModel(
        rng.normal(0, 0.5, (ds.n_users, d)),
        rng.normal(0, 0.5, (ds.n_items, d)),
        global_bias=float(ds.ratings["rating"].mean()),
    )


def test_every_question_of_the_lesson_works_on_random_factors(ml100k):
    model = _random_factors(ml100k)
    assert isinstance(model, CollabModel) and model.bias_kind == "none" and model.y_range is None
    ex = Explorer(ml100k, model)
    biases = ex.biases(top=5)
    assert len(biases) == 10 and (biases["bias"] == 0).all()  # no biases: every one is zero
    emap = ex.embedding_map(n_items=300)
    assert len(emap.coords) == 300 and sum(emap.explained_variance) < 1
    star_wars = ex.titles.resolve("Star Wars (1977)")
    near = ex.nearest(star_wars, k=5)
    cos = ex.item_unit_ @ ex.item_unit_[star_wars]
    cos[star_wars] = -np.inf
    assert near.table["item_index"].iloc[0] == int(np.argmax(cos))
    rec = recommend_for(ex, {"Star Wars (1977)": 5, "Fargo (1996)": 4}, k=10)
    assert len(rec.table) == 10 and "exact" in rec.user.method
    assert not set(rec.table["title"]) & {"Star Wars (1977)", "Fargo (1996)"}
    # The fitted user reproduces the given ratings better than the mean user does.
    given = np.array([5.0, 4.0])
    fitted = rec.user.rated["fitted"].to_numpy()
    cold = model.score(ex.mean_user, rec.user.rated["item_index"].to_numpy())
    assert ((fitted - given) ** 2).sum() < ((cold - given) ** 2).sum()


def test_factors_of_the_dot_model_give_the_same_answers(ml100k, default_model, factor_copy, ex):
    """The same tables in a FactorModel: the same predictions, fold-in and recommendations."""
    m, copy = default_model, factor_copy
    u = torch.tensor([0, 5, -1, 17])
    i = torch.tensor([49, 99, 3, -1])
    assert torch.allclose(copy.predict(u, i), m.predict(u, i), atol=1e-5)
    ratings = {"Star Wars (1977)": 5, "Scream (1996)": 5, "Titanic (1997)": 1}
    ours = recommend_for(Explorer(ml100k, copy), ratings, k=15)
    theirs = recommend_for(ex, ratings, k=15)
    assert ours.table["item_index"].tolist() == theirs.table["item_index"].tolist()
    assert np.allclose(ours.table["score"], theirs.table["score"], atol=1e-5)
    assert ours.table["because"].tolist() == theirs.table["because"].tolist()


def test_a_sigmoid_range_factor_model_stays_in_range(ml100k):
    rng = np.random.default_rng(1)
    model = FactorModel(
        rng.normal(0, 1, (ml100k.n_users, 8)),
        rng.normal(0, 1, (ml100k.n_items, 8)),
        user_bias=rng.normal(0, 0.1, ml100k.n_users),
        item_bias=rng.normal(0, 0.1, ml100k.n_items),
        y_range=(0.0, 5.5),
    )
    scores = model.score(model.mean_user())
    assert scores.min() > 0 and scores.max() < 5.5
    user = model.fold_in([0, 1], [5.0, 1.0])
    assert user.parts.shape == (9, 2)
    assert model.contributions(user, [2, 3], model.score(user, [2, 3])).shape == (2, 2)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"user_factors": np.zeros((3, 2)), "item_factors": np.zeros((4, 3))}, "same number"),
        ({"user_factors": np.zeros(3), "item_factors": np.zeros((4, 3))}, "two tables"),
        ({"user_bias": np.zeros(3)}, "both user and item biases"),
        ({"user_bias": np.zeros(2), "item_bias": np.zeros(4)}, "2 user biases for 3 rows"),
        ({"item_seen": np.ones(5, bool)}, "mask of 5 values cannot mark 4 rows"),
    ],
)
def test_bad_factor_tables_get_a_clear_error(kwargs, message):
    args = {"user_factors": np.zeros((3, 2)), "item_factors": np.zeros((4, 2))} | kwargs
    with pytest.raises(ConfigError, match=message):
        FactorModel(args.pop("user_factors"), args.pop("item_factors"), **args)
