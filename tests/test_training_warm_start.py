"""`training.fit(..., start=model)`: training on from a model's weights, with new users appended."""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
import pytest
import torch

from collab_core.config import TrainConfig
from collab_core.data import make_dataset
from collab_core.errors import ConfigError
from collab_core.models import FactorModel
from collab_core.training import fit

SMALL = TrainConfig(n_factors=8, epochs=3, seed=1)


@pytest.fixture(scope="module")
def small_fit(ml100k):
    return fit(ml100k, SMALL)


def test_a_warm_start_continues_from_the_weights_and_leaves_them_alone(ml100k, small_fit):
    start = small_fit.model
    before = {k: v.clone() for k, v in start.state_dict().items()}
    # Half the model's learning rate for one epoch on the same split: better than its start,
    # and far better than one epoch from scratch.
    split = dict(train=None, valid=None)
    gentle = dataclasses.replace(SMALL, epochs=1, lr=SMALL.resolved().lr / 2)
    warm = fit(ml100k, gentle, start=start, **split)
    cold = fit(ml100k, gentle, **split)
    rmse = small_fit.metrics["valid_rmse"]
    assert warm.metrics["valid_rmse"] < rmse < cold.metrics["valid_rmse"]
    assert all(torch.equal(before[k], v) for k, v in start.state_dict().items())


def test_new_users_are_appended_and_the_known_ones_kept(ml100k, small_fit):
    start = small_fit.model
    extra = pd.DataFrame(
        {"user_id": [10_001] * 5 + [10_002] * 5, "item_id": [50, 100, 127, 174, 181] * 2,
         "rating": np.float32(5.0), "timestamp": 0}
    )  # fmt: skip
    grown = make_dataset(pd.concat([ml100k.ratings, extra]), ml100k.items)
    assert grown.n_users == ml100k.n_users + 2
    tiny = dataclasses.replace(SMALL, epochs=1, lr=1e-9)  # (almost) no step: see what was copied
    model = fit(grown, tiny, train=grown.ratings, valid=grown.ratings.iloc[:0], start=start).model
    assert model.n_users == ml100k.n_users + 2 and model.n_items == ml100k.n_items
    old = start.user_factors()
    assert torch.allclose(model.user_factors()[: len(old)], old, atol=1e-5)
    assert torch.allclose(model.item_bias(), start.item_bias(), atol=1e-5)
    assert model.intercept() == pytest.approx(start.intercept(), abs=1e-5)
    assert model.user_seen.all()  # every user and movie of the training set, the new ones too


def test_models_that_cannot_be_trained_on_say_so(ml100k, small_fit):
    frozen = FactorModel(np.zeros((ml100k.n_users, 4)), np.zeros((ml100k.n_items, 4)))
    with pytest.raises(ConfigError, match="trained elsewhere"):
        fit(ml100k, SMALL, start=frozen)
    with pytest.raises(ConfigError, match=r"u_weight.weight is \(943, 8\) but these settings"):
        fit(ml100k, dataclasses.replace(SMALL, n_factors=16), start=small_fit.model)
    with pytest.raises(ConfigError, match="pass the settings it was trained with"):
        fit(ml100k, TrainConfig(model="nn", epochs=1), start=small_fit.model)
