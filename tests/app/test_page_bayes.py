"""The Bayesian dot model in the app: sampled from the Train page, then served on every page."""

import math

import pytest
from apptest_helpers import ROOT, no_errors, plotly_figures
from streamlit.testing.v1 import AppTest

HARNESS = str(ROOT / "tests" / "app" / "harness.py")


@pytest.fixture
def open_bayes(bayes_stored):
    """`open_bayes("map")`: that page with the session's Bayesian model as the active model."""

    def _open(page: str) -> AppTest:
        at = AppTest.from_file(HARNESS, default_timeout=60)
        at.session_state["_test_page"] = page
        at.session_state["model_id"] = bayes_stored.model_id
        return at.run()

    return _open


def test_train_page_samples_the_bayesian_model_and_shows_its_learned_prior(open_page):
    at = open_page("train")
    at.button_group(key="train_model").set_value("bayes").run()
    no_errors(at)
    assert "train_lr_find" not in [b.key for b in at.button]  # no learning rate to find
    assert "train_wd_bayes" not in [n.key for n in at.number_input]  # a prior instead of wd
    at.number_input(key="train_factors_bayes").set_value(4)
    at.number_input(key="train_epochs_bayes").set_value(20).run()
    at.button(key="train_go").click().run()
    no_errors(at)
    metrics = {m.label: m.value for m in at.metric}
    assert 0.88 < float(metrics["Validation RMSE"]) < 1.0
    assert metrics["wd the sweep picks"] == "0.15"  # the dot model's default, from its sweep
    prior = next(d.value for d in at.dataframe if "prior on" in d.value.columns)
    assert list(prior["prior on"])[-1] == "noise (α)"
    assert all(p > 0 and math.isfinite(p) for p in prior["precision"])
    assert any("Weight decay became a prior" in m.value for m in at.markdown)
    curve = next(f for f in plotly_figures(at) if f["layout"]["title"]["text"] == "Loss per epoch")
    assert [len(t["y"]) for t in curve["data"]] == [20, 20]  # one point per sweep


def test_bias_and_map_pages_on_the_sampled_model(open_bayes):
    at = open_bayes("bias")
    no_errors(at)
    top = at.dataframe[0].value
    assert top["bias"].iloc[0] > 0.5 and "Schindler's List (1993)" in set(top["title"].head(5))
    at = open_bayes("map")
    no_errors(at)
    points = [
        t
        for t in plotly_figures(at)[0]["data"]
        if t.get("name") not in ("labelled", "highlighted")  # the titles drawn on the map
    ]
    assert sum(len(t["x"]) for t in points) == 500


def test_similar_page_gives_star_wars_its_sequels(open_bayes, ml100k):
    at = open_bayes("similar")  # starts from the most-rated movie: Star Wars
    no_errors(at)
    titles = list(at.dataframe[0].value["title"].head(3))
    assert {"Empire Strikes Back, The (1980)", "Return of the Jedi (1983)"} <= set(titles)


def test_recommend_page_shows_the_spread_of_each_prediction(open_bayes, ml100k):
    at = open_bayes("recommend")
    no_errors(at)
    star_wars = int(ml100k.items.index[ml100k.items["title"] == "Star Wars (1977)"][0])
    at.selectbox(key="rec_pick").set_value(star_wars).run()
    at.feedback(key=f"rec_new_0_{star_wars}").set_value(4).run()
    no_errors(at)
    recs = at.dataframe[0].value
    assert len(recs) == 10 and recs["score_sd"].between(0.05, 1.0).all()
