"""The Bayesian dot model in a real browser: sampled on the Train page, its learned prior shown,
and its ± served on the Recommend page. (After test_journey.py: it adds a model to the store.)"""

from __future__ import annotations

import re

import pytest

from .test_journey import (
    TRAIN_TIMEOUT_MS,
    find_movie,
    go,
    open_page,
    settle,
    table,
    trained,  # noqa: F401  (a fixture: the default model, trained first)
)

pytestmark = pytest.mark.e2e

try:
    from playwright.sync_api import expect
except ImportError:  # the `browser` fixture skips (or, under CI, fails) saying so
    expect = None


@pytest.mark.usefixtures("trained")
def test_sample_the_bayesian_model_then_recommend_with_its_spread(page, app_server, shot):
    open_page(page, app_server, "train", "Train a model")
    settle(page)
    page.get_by_test_id("stButtonGroup").get_by_text("Bayesian dot product", exact=True).click()
    sweeps = page.get_by_test_id("stNumberInput").filter(has_text="Sweeps").locator("input")
    expect(sweeps).to_have_value("200")
    expect(page.get_by_role("button", name="Find a learning rate")).to_have_count(0)
    sweeps.fill("60")
    sweeps.press("Enter")
    settle(page)
    page.get_by_role("button", name="Train", exact=True).click()
    expect(page.get_by_text("Weight decay became a prior.")).to_be_visible(timeout=TRAIN_TIMEOUT_MS)
    settle(page)
    rmse = page.get_by_test_id("stMetric").filter(has_text="Validation RMSE")
    expect(rmse.get_by_test_id("stMetricValue")).to_have_text(re.compile(r"^0\.[89]\d{3}$"))
    picks = page.get_by_test_id("stMetric").filter(has_text="wd the sweep picks")
    expect(picks.get_by_test_id("stMetricValue")).to_have_text("0.15")
    shot(page, "train_bayes")

    go(page, "Recommend", "Recommendations for you")  # the model just sampled is the active one
    find_movie(page, "Search a movie to rate", "star wars", "Star Wars (1977)")
    page.get_by_test_id("stFeedback").first.get_by_role("radio").nth(4).click()  # five stars
    expect(page.get_by_role("heading", name="Recommended", exact=True)).to_be_visible()
    settle(page)
    spread = table(page, "±")["±"]  # the grid's accessible copy holds the unformatted values
    assert len(spread) == 10 and all(0.05 < float(c) < 1 for c in spread), spread
    shot(page, "recommend_bayes")
