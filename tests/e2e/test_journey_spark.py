"""Apache Spark in a real browser: chosen on the Train page, trained with Spark's progress shown,
and its model explored on the Bias page (its baseline's biases) and the map."""

from __future__ import annotations

import re

import pytest

from .test_journey import go, open_page, plotly_points, settle

pytestmark = pytest.mark.e2e

try:
    from playwright.sync_api import expect
except ImportError:  # the `browser` fixture skips (or, under CI, fails) saying so
    expect = None

SPARK_TIMEOUT_MS = 300_000  # Spark starts a JVM (seconds idle, a minute on a loaded machine)


def _number(page, label: str, value: str) -> None:
    field = page.get_by_test_id("stNumberInput").filter(has_text=label).locator("input")
    field.fill(value)
    field.press("Enter")
    settle(page)


def test_train_on_spark_then_explore_its_biases(page, app_server, shot):
    open_page(page, app_server, "train", "Train a model")
    settle(page)
    page.get_by_test_id("stButtonGroup").get_by_text("Apache Spark (ALS)", exact=True).click()
    master = page.get_by_role("textbox", name="Spark master URL")
    expect(master).to_have_value("local[*]")
    expect(page.get_by_role("button", name="Find a learning rate")).to_have_count(0)
    master.fill("local[2]")
    master.press("Enter")
    settle(page)
    _number(page, "n_factors (rank)", "8")
    _number(page, "Iterations", "4")
    page.get_by_role("button", name="Train", exact=True).click()
    expect(page.get_by_role("button", name="Cancel")).to_be_visible()
    expect(page.get_by_text(re.compile(r"Training the model: Spark: "))).to_be_visible(
        timeout=SPARK_TIMEOUT_MS
    )
    shot(page, "train_spark_progress")
    rmse = page.get_by_test_id("stMetric").filter(has_text="Validation RMSE")
    expect(rmse.get_by_test_id("stMetricValue")).to_have_text(
        re.compile(r"^0\.9\d{3}$"), timeout=SPARK_TIMEOUT_MS
    )
    settle(page)
    shot(page, "train_spark")

    go(page, "Bias rankings", "Bias rankings")  # the Spark model is now the active one
    expect(page.get_by_text("Highest bias: liked beyond their audience")).to_be_visible()
    settle(page)
    plotly_points(page, lambda n: n[:2] == [10, 10])  # ten movies at each end, from its baseline
    shot(page, "bias_spark")
