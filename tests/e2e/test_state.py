"""What the app shows is true, in a real browser: state belongs to its data set, model and user.

These tests run on a server of their own (`state_server`, a fresh home folder), in order: they
reload pages (a real F5), switch data sets, upload, sweep and train the neural model, and what the
app remembers (models, choices, ratings) must not leak into the main journey's server.
"""

from __future__ import annotations

import re

import pytest

from .conftest import serve_app
from .test_journey import (
    RUN_TIMEOUT_MS,
    TRAIN_TIMEOUT_MS,
    choose,
    find_movie,
    go,
    open_page,
    settle,
)

pytestmark = pytest.mark.e2e

try:
    from playwright.sync_api import expect
except ImportError:  # the `browser` fixture skips (or, under CI, fails) saying so
    expect = None

SMALL_RATINGS = "userId,movieId,rating\n" + "\n".join(
    f"{u},{i},{(u + 2 * i) % 5 + 1}" for u in range(1, 41) for i in range(1, 31)
)
SMALL_ITEMS = "movieId,title,genres\n" + "\n".join(
    f"{i},Film {i} (19{50 + i}),Drama|Comedy" for i in range(1, 31)
)


@pytest.fixture(scope="module")
def state_server(chromium_path, tmp_path_factory, ml100k):
    yield from serve_app(tmp_path_factory.mktemp("e2e_state_home"))


def set_number(page, label: str, value) -> None:
    """Type `value` into the number field labelled `label` and commit it (Enter)."""
    field = page.get_by_test_id("stNumberInput").filter(has_text=label).locator("input")
    field.fill(str(value))
    field.press("Enter")
    expect(field).to_have_value(str(value))
    settle(page)


def sidebar(page):
    return page.get_by_test_id("stSidebar")


def upload(page, name: str, ratings: str, items: str | None = None) -> None:
    files = page.get_by_test_id("stFileUploaderDropzoneInput")
    files.first.set_input_files(
        files=[{"name": name, "mimeType": "text/csv", "buffer": ratings.encode()}]
    )
    if items is not None:
        files.nth(1).set_input_files(
            files=[{"name": "movies.csv", "mimeType": "text/csv", "buffer": items.encode()}]
        )


def test_the_active_model_the_form_and_the_ratings_survive_f5(page, state_server, shot):
    open_page(page, state_server, "train", "Train a model")
    settle(page)
    set_number(page, "n_factors", 8)
    set_number(page, "Epochs", 2)
    page.get_by_role("button", name="Train", exact=True).click()
    expect(page.get_by_test_id("stToast")).to_contain_text(
        re.compile(r"Active model now: RMSE \d\.\d{4} · Dot product · 8 factors"),
        timeout=TRAIN_TIMEOUT_MS,
    )
    full = "Dot product · 8 factors · wd 0.15 · 2 epochs · Adam, lr 0.03"
    expect(sidebar(page)).to_contain_text(full)
    settle(page)

    page.reload()  # F5
    expect(page.get_by_role("heading", name="Train a model", exact=True)).to_be_visible()
    settle(page)
    expect(sidebar(page)).to_contain_text(full)  # the active model the user trained
    expect(sidebar(page)).to_contain_text(re.compile(r"Validation RMSE \d\.\d{4} · model"))
    factors = page.get_by_test_id("stNumberInput").filter(has_text="n_factors").locator("input")
    expect(factors).to_have_value("8")  # and the form as it was
    shot(page, "state_train_after_reload")

    go(page, "Recommend", "Recommendations for you")
    stars = page.get_by_test_id("stFeedback")
    for n, (title, typed) in enumerate(
        [("Star Wars (1977)", "star wars"), ("Fargo (1996)", "fargo")], start=1
    ):
        find_movie(page, "Search a movie to rate", typed, title)
        stars.first.get_by_role("radio").nth(4).click()
        expect(stars).to_have_count(n)
        settle(page)
    page.reload()  # F5: the ratings are still there
    expect(page.get_by_role("heading", name="Recommendations for you")).to_be_visible()
    expect(stars).to_have_count(2)
    for title in ("Star Wars (1977)", "Fargo (1996)"):
        expect(page.get_by_test_id("stMarkdown").filter(has_text=title).first).to_be_visible()
    expect(page.get_by_text("are kept on this computer until you forget them")).to_be_visible()
    expect(page.get_by_role("heading", name="Recommended", exact=True)).to_be_visible()
    settle(page)
    shot(page, "state_ratings_after_reload")

    page.get_by_role("button", name="Forget my ratings").click()
    expect(page.get_by_text("No ratings yet")).to_be_visible()
    settle(page)
    page.reload()
    expect(page.get_by_text("No ratings yet")).to_be_visible(timeout=RUN_TIMEOUT_MS)
    expect(stars).to_have_count(0)


def test_each_data_set_keeps_its_own_last_trained_model(page, state_server):
    open_page(page, state_server, "train", "Train a model")
    settle(page)
    last = page.get_by_role("heading", name=re.compile(r"^Last trained: model"))
    if not last.count():  # run alone: train one here first
        page.get_by_role("button", name="Train", exact=True).click()
        expect(last).to_be_visible(timeout=TRAIN_TIMEOUT_MS)
    ml_last = last.inner_text()

    go(page, "Upload", "Upload your own ratings")
    upload(page, "mine.csv", SMALL_RATINGS, SMALL_ITEMS)
    page.get_by_role("button", name="Use this data set").click()
    expect(sidebar(page).get_by_role("combobox", name="Data set")).to_have_value("Upload: mine")
    go(page, "Train", "Train a model")
    settle(page)
    expect(last).to_have_count(0)  # nothing trained on this data set yet
    expect(sidebar(page)).to_contain_text("No model trained on this data set yet.")
    page.get_by_role("button", name="Train", exact=True).click()
    expect(last).to_be_visible(timeout=TRAIN_TIMEOUT_MS)
    settle(page)
    upload_last = last.inner_text()
    assert upload_last != ml_last

    factors = page.get_by_test_id("stNumberInput").filter(has_text="n_factors").locator("input")
    expect(factors).to_have_value("64")  # this data set's form: the default
    choose(page, "Data set", "movielens", "MovieLens 100k")
    expect(page.get_by_role("heading", name=ml_last)).to_be_visible()  # not the upload's
    settle(page)
    expect(factors).to_have_value("8")  # the browser shows MovieLens' form again, not the upload's
    choose(page, "Data set", "mine", "Upload: mine")
    expect(page.get_by_role("heading", name=upload_last)).to_be_visible()
    settle(page)
    choose(page, "Data set", "movielens", "MovieLens 100k")
    settle(page)


def test_a_sweep_leaves_the_active_model_alone(page, state_server):
    open_page(page, state_server, "train", "Train a model")
    settle(page)
    before = sidebar(page).get_by_test_id("stMarkdown").filter(has_text="Validation RMSE")
    active = before.inner_text()
    page.get_by_role("button", name="Run the sweep").click()
    done = page.get_by_test_id("stProgress").filter(has_text="Sweep run 5 of 5 (wd = 0.3): done")
    expect(done).to_be_visible(timeout=TRAIN_TIMEOUT_MS)
    expect(page.get_by_test_id("stProgress").first).to_contain_text("Sweep run 1 of 5 (wd = 0)")
    settle(page)
    assert before.inner_text() == active
    page.reload()
    expect(page.get_by_role("heading", name="Train a model", exact=True)).to_be_visible()
    settle(page)
    expect(before).to_have_text(active)


def test_a_title_shared_by_two_ids_is_told_apart(page, state_server, shot):
    open_page(page, state_server, "similar", "Similar movies")
    settle(page)
    find_movie(page, "Movie", "body snatchers", "Body Snatchers (1993)")  # the most-rated copy
    page.get_by_role("combobox", name="Movie: matches", exact=True).click()
    for n in (33, 36):  # each copy with its number of ratings
        expect(
            page.get_by_role("option", name=f"Body Snatchers (1993) · {n} ratings")
        ).to_be_visible()
    page.get_by_role("option", name="Body Snatchers (1993) · 33 ratings").click()
    heading = "Movies like Body Snatchers (1993) · id 573, 33 ratings"
    expect(page.get_by_role("heading", name=heading)).to_be_visible()
    settle(page)


def test_the_upload_error_names_the_pages_own_controls(page, state_server):
    open_page(page, state_server, "upload", "Upload your own ratings")
    settle(page)
    upload(page, "odd.csv", "who,what,how\n1,2,3\n2,2,4\n")
    error = page.get_by_test_id("stAlertContentError")
    expect(error).to_contain_text(
        "odd.csv has no column the app recognises as its user ids (its columns: who, what, how). "
        "Open Column mapping below and set User column to the column that holds the user ids."
    )
    expect(page.get_by_test_id("stSelectbox").filter(has_text="User column")).to_be_visible()


def test_the_bias_page_says_the_neural_models_biases_are_derived(page, state_server, shot):
    open_page(page, state_server, "train", "Train a model")
    settle(page)
    page.get_by_test_id("stMain").get_by_text("Neural network", exact=True).click()
    expect(
        page.get_by_text(
            "Embedding size: auto (fastai's rule 1.6 × n^0.56: 74 for 943 users, 102 for 1,682 "
            "movies)"
        )
    ).to_be_visible()
    settle(page)
    set_number(page, "Epochs", 1)
    page.get_by_role("button", name="Train", exact=True).click()
    expect(page.get_by_test_id("stToast")).to_contain_text(
        "Neural network · auto size", timeout=TRAIN_TIMEOUT_MS
    )
    expect(sidebar(page)).to_contain_text("Neural network · auto (fastai's rule")
    settle(page)
    go(page, "Bias rankings", "Bias rankings")
    expect(page.get_by_test_id("stAlertContentWarning")).to_contain_text(
        "These biases are derived, not learned"
    )
    expect(page.get_by_text(re.compile(r"^Biases are in stars: what each adds to"))).to_be_visible()
    settle(page)
    shot(page, "state_bias_neural")
