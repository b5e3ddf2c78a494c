"""The main journey in a real browser: train, explore the model, get recommendations, upload.

Every step asserts on what the page shows (texts, the chart's points, the table's cells) after the
Streamlit run it caused has finished, and saves a screenshot (`shot`; the README's with
`COLLAB_E2E_UPDATE_ASSETS=1`). The tests share one server and its model store: the first trains the
default model through the Home page; later ones, run alone, train it first (`trained`).
"""

from __future__ import annotations

import re
import time

import pytest

pytestmark = pytest.mark.e2e

try:
    from playwright.sync_api import expect
except ImportError:  # the `browser` fixture skips (or, under CI, fails) saying so
    expect = None

TRAIN_TIMEOUT_MS = 90_000  # the default model trains in seconds, but the CPU is shared
RUN_TIMEOUT_MS = 60_000

# The cells of a column of a Streamlit dataframe, by header name. The grid is drawn on a canvas;
# Glide Data Grid keeps an accessible copy of the visible cells inside it (role="grid"), which is
# what a screen reader reads. null until the grid has data (see `table`, which polls).
_COLUMN_JS = """([index, header]) => {
  const grid = document.querySelectorAll('[data-testid="stDataFrame"]')[index];
  const table = grid && grid.querySelector('table[role="grid"]');
  if (!table) return null;
  const th = Array.from(table.querySelectorAll('th')).find(h => h.textContent.trim() === header);
  if (!th) return null;
  const col = th.getAttribute('aria-colindex');
  const cells = Array.from(table.querySelectorAll(`td[aria-colindex="${col}"]`));
  return cells.length ? cells.map(c => c.textContent.trim()) : null;
}"""

# Number of points in each plotly chart on the page (plotly's own, decoded, trace data).
_PLOTLY_POINTS_JS = """() => Array.from(document.querySelectorAll('.js-plotly-plot')).map(
  gd => (gd._fullData || []).reduce((n, t) => n + (t._length || 0), 0))"""


# The titles printed next to the points of the embedding map (SVG text of its scatter traces).
_MAP_TITLES_JS = """() => Array.from(
  document.querySelectorAll('.js-plotly-plot .scatterlayer .textpoint text')).map(t => t.textContent)"""


def settle(page) -> None:
    """Wait until Streamlit has finished running the script (no run in progress, no spinner).

    Call it after expecting something the run produces: right after a click the run may not have
    started yet, and the app would look idle.
    """
    app = page.get_by_test_id("stApp")
    expect(app).to_have_attribute("data-test-connection-state", "CONNECTED", timeout=RUN_TIMEOUT_MS)
    expect(app).to_have_attribute("data-test-script-state", "notRunning", timeout=RUN_TIMEOUT_MS)
    expect(page.get_by_test_id("stStatusWidget")).to_have_count(0, timeout=RUN_TIMEOUT_MS)
    expect(page.get_by_test_id("stSpinner")).to_have_count(0, timeout=RUN_TIMEOUT_MS)


def open_app(page, url: str) -> None:
    """Open Home and wait for its whole first run (its last element is the tour's last link)."""
    page.goto(url)
    expect(page.get_by_role("heading", name="Collab Explorer", exact=True)).to_be_visible()
    expect(page.get_by_role("link", name=re.compile("^Upload: do it all"))).to_be_visible()
    settle(page)


def open_page(page, url: str, path: str, heading: str) -> None:
    """Open a page by its address (a new session, as from a bookmark) and wait for its heading."""
    page.goto(f"{url}/{path}")
    expect(page.get_by_role("heading", name=heading, exact=True)).to_be_visible()


def go(page, link: str, heading: str) -> None:
    """Follow a sidebar link, as a user does (keeps the session, unlike a new URL)."""
    page.get_by_test_id("stSidebarNav").get_by_role("link", name=link, exact=True).click()
    expect(page.get_by_role("heading", name=heading, exact=True)).to_be_visible()


def choose(page, label: str, typed: str, option: str) -> None:
    """Pick `option` in the select box labelled `label` by typing part of it."""
    box = page.get_by_test_id("stSelectbox").filter(has=page.get_by_text(label, exact=True))
    box.click()
    page.keyboard.type(typed)
    page.get_by_role("option", name=option, exact=True).click()
    expect(box.get_by_role("combobox")).to_have_value(option)


def find_movie(page, label: str, typed: str, title: str) -> None:
    """Type `typed` into the movie picker labelled `label`, as a user does (a key at a time),
    and wait until it has chosen `title` (shown with its number of ratings)."""
    field = page.get_by_role("textbox", name=label, exact=True)
    field.fill("")
    field.press_sequentially(typed, delay=30)
    chosen = page.get_by_role("combobox", name=f"{label}: matches", exact=True)
    expect(chosen).to_have_value(re.compile("^" + re.escape(title) + r" · [\d,]+ ratings?$"))


def _poll(read, until, what: str):
    """`read()` until `until(value)` holds (at most RUN_TIMEOUT_MS), like expect() for any value."""
    deadline = time.monotonic() + RUN_TIMEOUT_MS / 1000
    while True:
        value = read()
        if until(value):
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"{what} never showed what was expected; last: {value}")
        time.sleep(0.2)


def plotly_points(page, until) -> list[int]:
    """The number of points of each plotly chart on the page, once `until(counts)` holds."""
    return _poll(lambda: page.evaluate(_PLOTLY_POINTS_JS), until, "the charts")


def table(page, *headers: str, index: int = 0, until=None) -> dict[str, list[str]]:
    """The visible cells of some columns of the `index`-th dataframe, once `until(cells)` holds.

    The grid redraws a moment after Streamlit's run ends (its accessible copy later still), so a
    test names the table it expects (`until`) rather than reading whatever is there; by default
    any table with rows.
    """
    return _poll(
        lambda: {h: page.evaluate(_COLUMN_JS, [index, h]) for h in headers},
        lambda cells: all(cells.values()) and (until is None or until(cells)),
        "the table",
    )


@pytest.fixture(scope="session")
def trained(browser, app_server):
    """Make sure the default model is trained (the Home page's button), for a test run alone."""
    context = browser.new_context()
    pg = context.new_page()
    pg.set_default_timeout(RUN_TIMEOUT_MS)
    try:
        open_app(pg, app_server)
        button = pg.get_by_role("button", name="Train the default model")
        active = pg.get_by_text("Active model:")
        expect(button.or_(active)).to_be_visible()
        if button.count():
            button.click()
            expect(pg.get_by_text("Active model:")).to_be_visible(timeout=TRAIN_TIMEOUT_MS)
    finally:
        context.close()


def test_home_then_train_the_default_model(page, app_server, shot):
    open_app(page, app_server)
    for metric in ("Ratings", "Users", "Movies"):
        expect(page.get_by_test_id("stMetric").filter(has_text=metric).first).to_be_visible()
    expect(page.get_by_test_id("stMetricValue").first).to_have_text("100,000")
    expect(page.get_by_text("No model is trained on this data set yet")).to_be_visible()
    shot(page, "home")

    page.get_by_role("button", name="Train the default model").click()
    progress = page.get_by_test_id("stProgress")
    expect(progress).to_be_visible()
    expect(progress).to_contain_text(re.compile(r"Training the default model|default model: done"))
    result = page.get_by_text("Active model:")
    expect(result).to_be_visible(timeout=TRAIN_TIMEOUT_MS)
    expect(result).to_contain_text(re.compile(r"RMSE \d\.\d{4} · Dot product · 64 factors"))
    settle(page)
    expect(page.get_by_role("button", name="Train the default model")).to_have_count(0)

    # The Train page of the same session shows the run just made, with its metrics and curves.
    go(page, "Train", "Train a model")
    expect(page.get_by_role("heading", name=re.compile(r"^Last trained: model"))).to_be_visible()
    rmse = page.get_by_test_id("stMetric").filter(has_text="Validation RMSE")
    expect(rmse.get_by_test_id("stMetricValue")).to_have_text(re.compile(r"^[01]\.\d{4}$"))
    settle(page)
    # The loss curves: training and validation loss, one point per epoch each.
    epochs = int(
        page.get_by_test_id("stNumberInput")
        .filter(has_text="Epochs")
        .locator("input")
        .input_value()
    )
    plotly_points(page, lambda n: n and n[0] == 2 * epochs)
    shot(page, "train")


def test_bias_rankings(page, app_server, trained, shot):
    open_page(page, app_server, "bias", "Bias rankings")
    charts = page.get_by_test_id("stPlotlyChart")
    expect(charts).to_have_count(4)
    expect(page.get_by_text("Highest bias: liked beyond their audience")).to_be_visible()
    expect(page.get_by_text("Lowest bias: disliked even by their audience")).to_be_visible()
    settle(page)
    plotly_points(page, lambda n: n[:2] == [10, 10])  # ten movies at each end (the default)
    shot(page, "bias")


def test_embedding_map_is_titled_and_its_axes_are_in_words(page, app_server, trained, shot):
    open_page(page, app_server, "embedding_map", "Embedding map")
    expect(page.get_by_test_id("stPlotlyChart")).to_be_visible()
    expect(page.get_by_text(re.compile(r"PC1 follows .* \(r = "))).to_be_visible()
    expect(page.get_by_text(re.compile(r"PC2 follows .* \(r = "))).to_be_visible()
    find_movie(page, "Find a movie on the map", "star wars", "Star Wars (1977)")
    settle(page)
    # The 500 most-rated movies (the default) as points, one genre against grey.
    plotly_points(page, lambda n: len(n) == 1 and n[0] >= 500)
    expect(page.locator(".js-plotly-plot .legendtext", has_text="other movies")).to_be_visible()
    # Titles printed on the map, in SVG text, the searched movie among them and starred.
    titles = _poll(
        lambda: page.evaluate(_MAP_TITLES_JS), lambda t: len(t) >= 30, "the map's titles"
    )
    assert "Star Wars" in titles and len(set(titles)) == len(titles), titles
    starred = "() => document.querySelector('.js-plotly-plot')._fullData.map(t => t.name)"
    assert "highlighted" in page.evaluate(starred)
    shot(page, "map")


def test_similar_movies_to_star_wars(page, app_server, trained, shot):
    open_page(page, app_server, "similar", "Similar movies")
    # A misspelled title finds the movie and its neighbours (not Star Wars', shown at first).
    find_movie(page, "Movie", "silense of the lambs", "Silence of the Lambs, The (1991)")
    lambs = page.get_by_role("heading", name="Movies like Silence of the Lambs, The (1991)")
    expect(lambs).to_be_visible()
    expect(page.get_by_text("spelled most like it")).to_be_visible()
    settle(page)
    neighbours = table(page, "title", until=lambda c: "Star Wars (1977)" not in c["title"][:3])
    assert "Silence of the Lambs, The (1991)" not in neighbours["title"]
    assert "Empire Strikes Back, The (1980)" not in neighbours["title"][:3]

    # Nothing matches: the page says so, offers the closest titles and shows no movie's list.
    field = page.get_by_role("textbox", name="Movie", exact=True)
    field.fill("")
    field.press_sequentially("xyzzy qqq", delay=30)
    expect(
        page.get_by_text(re.compile("^No movie matches “xyzzy qqq”. Closest titles:"))
    ).to_be_visible()
    expect(page.get_by_role("heading", name=re.compile("^Movies like"))).to_have_count(0)

    find_movie(page, "Movie", "star wras", "Star Wars (1977)")
    expect(page.get_by_role("heading", name="Movies like Star Wars (1977)")).to_be_visible()
    settle(page)
    sequels = {"Empire Strikes Back, The (1980)", "Return of the Jedi (1983)"}
    titles = table(page, "title", until=lambda c: sequels <= set(c["title"][:5]))["title"]
    assert "Star Wars (1977)" not in titles
    assert _fits(page), "the neighbours table is wider than its frame at 1400 px"
    shot(page, "similar")


RATED = {  # far from what everyone is recommended: a horror and comedy fan
    "Scream (1996)": "scream",
    "Liar Liar (1997)": "liar liar",
    "Nightmare on Elm Street, A (1984)": "nightmare on elm stret",  # misspelled
}


def test_rate_three_movies_and_recommendations_change(page, app_server, trained, shot):
    open_page(page, app_server, "recommend", "Recommendations for you")
    expect(page.get_by_text("Popular with everyone (rate movies to personalise)")).to_be_visible()
    settle(page)
    before = table(page, "title")["title"]
    assert len(before) == 10, before

    stars = page.get_by_test_id("stFeedback")
    for n, (title, typed) in enumerate(RATED.items(), start=1):
        find_movie(page, "Search a movie to rate", typed, title)
        expect(page.get_by_text(f"How much do you like {title}?")).to_be_visible()
        # The new movie's stars come first, above the movies rated so far.
        stars.first.get_by_role("radio").nth(4).click()  # five stars
        expect(page.get_by_text("How much do you like")).to_have_count(0)
        expect(stars).to_have_count(n)  # one row of stars per rated movie
        settle(page)

    expect(page.get_by_role("heading", name="Recommended", exact=True)).to_be_visible()
    last = list(RATED)[-1]
    # The list for all three ratings: the last one rated is among the reasons given.
    after = table(
        page, "title", "because", until=lambda c: any(last in why for why in c["because"])
    )
    assert len(after["title"]) == 10 and after["title"] != before, (before, after)
    assert not set(RATED) & set(after["title"]), after  # rated movies are not recommended again
    # Whole titles and reasons at 1400 px: the table needs no sideways scrolling.
    assert _fits(page), "the recommendations table is wider than its frame at 1400 px"
    shot(page, "recommend")


# Whether the page's first table fits its frame: no column reaches past the right edge.
_FITS_JS = """() => {
  const grid = document.querySelector('[data-testid="stDataFrame"]');
  const scroller = grid && grid.querySelector('.dvn-scroller');
  return !!scroller && scroller.scrollWidth <= scroller.clientWidth + 1;
}"""


def _fits(page) -> bool:
    return page.evaluate(_FITS_JS)


def test_upload_a_malformed_file_shows_the_error(page, app_server, shot):
    open_page(page, app_server, "upload", "Upload your own ratings")
    expect(page.get_by_text("Choose a ratings file to begin")).to_be_visible()
    settle(page)
    page.get_by_test_id("stFileUploaderDropzoneInput").first.set_input_files(
        files=[
            {
                "name": "ratings.csv",
                "mimeType": "text/csv",
                "buffer": b"userId,movieId,rating\n1,10,4\n1,20,five\n2,10,3\n",
            }
        ]
    )
    error = page.get_by_test_id("stAlertContentError")
    expect(error).to_be_visible()
    expect(error).to_contain_text(
        "ratings.csv: 1 ratings are not numbers (first on line 3: 'five')"
    )
    settle(page)
    expect(page.get_by_text("reads well")).to_have_count(0)
    shot(page, "upload")


def test_feedback_loops_runs_two_rounds_and_draws_the_charts(page, app_server, trained, shot):
    open_page(page, app_server, "feedback_loops", "Feedback loops")
    expect(page.get_by_text("true tastes", exact=False).first).to_be_visible()
    settle(page)
    # Two rounds (the slider starts at 10) keep the run short; the keyboard moves the slider.
    rounds = page.get_by_test_id("stSlider").filter(has_text="Rounds").get_by_role("slider")
    rounds.focus()
    for _ in range(8):
        page.keyboard.press("ArrowLeft")
    expect(page.get_by_test_id("stSliderThumbValue").first).to_have_text("2")
    page.get_by_role("button", name="Run the simulation").click()
    expect(page.get_by_test_id("stProgress")).to_be_visible()
    expect(page.get_by_role("heading", name="What happened")).to_be_visible(timeout=240_000)
    expect(
        page.get_by_text(re.compile(r"over 2 rounds the share of the catalogue"))
    ).to_be_visible()
    settle(page)
    # The metric grid (8 metrics x 3 runs x 2 rounds) and the map of the shown catalogue (every
    # movie the model knows, in both rounds' panels).
    points = plotly_points(page, lambda n: len(n) == 2 and n[0] == 48 and n[1] > 3000)
    assert points[1] % 2 == 0
    shot(page, "feedback")
