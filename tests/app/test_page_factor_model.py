"""Every explore page on factors trained elsewhere (`FactorModel`): nothing is trained here."""

import numpy as np
import pytest
from apptest_helpers import no_errors, plotly_figures

from collab_core.config import TrainConfig
from collab_core.models import FactorModel
from collab_core.store import StoredModel


@pytest.fixture
def random_factors(ml100k, monkeypatch):
    """Random factors for every ML-100k user and movie, no biases, made the active model."""
    import ui.context

    rng = np.random.default_rng(0)
    model = FactorModel(
        rng.normal(0, 0.5, (ml100k.n_users, 16)),
        rng.normal(0, 0.5, (ml100k.n_items, 16)),
        global_bias=float(ml100k.ratings["rating"].mean()),
    )
    stored = StoredModel("random-factors", model, TrainConfig(), {}, cached=True)
    monkeypatch.setattr(ui.context, "active_model", lambda ds: stored)
    return model


def test_the_bias_page_says_plainly_that_a_model_without_biases_has_none(open_page, random_factors):
    assert random_factors.bias_kind == "none"
    at = open_page("bias")
    no_errors(at)
    assert at.info[0].value.startswith("This model has no biases: it predicts from the factors")
    assert not at.dataframe and not at.get("plotly_chart")  # no ranking of zeros


def test_map_and_similar_movies_on_random_factors(open_page, random_factors):
    at = open_page("map")
    no_errors(at)
    points = [t for t in plotly_figures(at)[0]["data"] if t["name"] != "labelled"]
    assert sum(len(t["x"]) for t in points) == 500
    at = open_page("similar")  # starts from the most-rated movie
    no_errors(at)
    table = at.dataframe[0].value
    assert len(table) == 10 and table["similarity"].is_monotonic_decreasing


def test_recommendations_on_random_factors(open_page, random_factors, ml100k):
    at = open_page("recommend")
    no_errors(at)
    star_wars = int(ml100k.items.index[ml100k.items["title"] == "Star Wars (1977)"][0])
    at.selectbox(key="rec_pick").set_value(star_wars).run()
    at.feedback(key=f"rec_new_0_{star_wars}").set_value(4).run()
    no_errors(at)
    recs = at.dataframe[0].value
    assert len(recs) == 10 and "Star Wars (1977)" not in set(recs["title"])
