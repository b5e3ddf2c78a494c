"""Shared fixtures: a private home directory per test session, and ML-100k loaded once."""

from __future__ import annotations

import os

import pytest


@pytest.fixture(scope="session", autouse=True)
def collab_home(tmp_path_factory):
    """Every test session writes to its own `$COLLAB_EXPLORER_HOME` (data fetched once per session)."""
    home = tmp_path_factory.mktemp("collab_home")
    old = os.environ.get("COLLAB_EXPLORER_HOME")
    os.environ["COLLAB_EXPLORER_HOME"] = str(home)
    yield home
    if old is None:
        os.environ.pop("COLLAB_EXPLORER_HOME", None)
    else:
        os.environ["COLLAB_EXPLORER_HOME"] = old


@pytest.fixture(scope="session")
def ml100k(collab_home):
    """The real MovieLens 100k data set (fetched into the session home on first use)."""
    from collab_core.data import load_dataset

    return load_dataset()


@pytest.fixture(scope="session")
def default_model(ml100k):
    """The default model on ML-100k (`store.default_model`): trained once per session, then loaded."""
    from collab_core.store import default_model as stored_default

    return stored_default(ml100k).model


@pytest.fixture(scope="session")
def factor_copy(default_model):
    """The default model's tables in a `FactorModel`: whatever it answers, the dot model must too."""
    from collab_core.models import FactorModel

    m = default_model
    return FactorModel(
        m.user_factors(),
        m.item_factors(),
        user_bias=m.user_bias(),
        item_bias=m.item_bias(),
        global_bias=m.intercept(),
        y_range=m.y_range,
        user_seen=m.user_seen,
        item_seen=m.item_seen,
    )


@pytest.fixture(scope="session")
def small_nn_model(ml100k):
    """A small, quickly trained neural model on ML-100k (a few seconds), for code paths only."""
    from collab_core.config import TrainConfig
    from collab_core.training import fit

    config = TrainConfig(
        model="nn", epochs=2, nn_emb_sizes=(16, 16), nn_layers=(32,), bs=1024, lr=0.01
    )
    return fit(ml100k, config).model


@pytest.fixture(scope="session")
def ex(ml100k, default_model):
    """The default model's `Explorer` (read-only: its cached arrays are shared by the tests)."""
    from collab_core.analysis import Explorer

    return Explorer(ml100k, default_model)


# The Bayesian model the tests share: 60 Gibbs sweeps on ML-100k (about a second of CPU), enough
# for Star Wars' sequels to lead its neighbours in every kept sample.
BAYES_CONFIG = {"model": "bayes", "epochs": 60, "burn_in": 20}


@pytest.fixture(scope="session")
def bayes_stored(ml100k):
    """The shared Bayesian model, sampled once per session through the store (pages load it)."""
    from collab_core.config import TrainConfig
    from collab_core.store import ModelStore

    return ModelStore().get_or_train(ml100k, TrainConfig(**BAYES_CONFIG))
