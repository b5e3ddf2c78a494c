"""Recommend page: cold start, three ratings give ten explained recommendations, filters."""

from apptest_helpers import no_errors, pick


def _index(ds, title):
    return int(ds.items.index[ds.items["title"] == title][0])


def _rate(at, idx, stars, typed=None):
    """Find movie `idx` with the picker (typing its title, or `typed`) and give it `stars`."""
    pick(at, "rec_pick", typed or at.selectbox(key="rec_pick").format_func(idx).split(" · ")[0])
    assert at.selectbox(key="rec_pick").value == idx
    ss = at.session_state  # AppTest's session state has no .get
    rnd = ss["rating_round"] if "rating_round" in ss else 0  # noqa: SIM401
    at.feedback(key=f"rec_new_{rnd}_{idx}").set_value(stars - 1).run()  # counts from 0
    return at


def test_cold_start_then_three_ratings_give_ten_explained_recommendations(open_page, ml100k):
    at = open_page("recommend")
    no_errors(at)
    cold = at.dataframe[0].value
    assert len(cold) == 10 and cold["because"].str.contains("average user").all()

    liked = [
        "Star Wars (1977)",
        "Empire Strikes Back, The (1980)",
        "Raiders of the Lost Ark (1981)",
    ]
    for title in liked:
        _rate(at, _index(ml100k, title), 5)
    no_errors(at)
    assert at.session_state["rated"]["ml-100k"] == {_index(ml100k, t): 5.0 for t in liked}
    recs = at.dataframe[0].value
    assert len(recs) == 10
    assert not set(recs["title"]) & set(liked)  # nothing already rated comes back
    # Each says which of the ratings pushed it up; those that genre calibration brought in
    # (not in the top 10 by predicted rating alone) also say which liked genres they share.
    assert recs["because"].str.contains("because you rated").sum() >= 8
    fits = recs["because"].str.startswith("fits the genres you liked (")
    assert fits.any() and recs["because"][fits].str.contains("Action|Adventure").all()
    assert list(recs["title"]) != list(cold["title"])  # personalised
    metrics = {m.label: m.value for m in at.metric}
    assert 0 <= float(metrics["Mean popularity percentile"]) <= 100


def test_ratings_can_be_edited_removed_and_cleared(open_page, ml100k):
    at = open_page("recommend")
    a, b = _index(ml100k, "Fargo (1996)"), _index(ml100k, "Toy Story (1995)")
    _rate(at, a, 4)
    _rate(at, b, 2)
    at.feedback(key=f"rec_edit_0_{b}").set_value(4).run()  # change Toy Story to 5 stars
    assert at.session_state["rated"]["ml-100k"] == {a: 4.0, b: 5.0}
    at.button(key=f"rec_del_{a}").click().run()
    assert at.session_state["rated"]["ml-100k"] == {b: 5.0}
    at.button(key="rec_clear").click().run()
    no_errors(at)
    assert at.session_state["rated"]["ml-100k"] == {}
    assert at.dataframe[0].value["because"].str.contains("average user").all()


def test_genre_min_ratings_and_novelty_filters(open_page):
    at = open_page("recommend")
    at.multiselect(key="rec_genres").set_value(["Horror"])
    at.slider(key="rec_min").set_value(100).run()
    no_errors(at)
    recs = at.dataframe[0].value
    assert len(recs) == 10
    assert recs["genres"].str.contains("Horror").all() and (recs["n_ratings"] >= 100).all()
    popular = float(at.metric[0].value)
    at.multiselect(key="rec_genres").set_value([])
    at.slider(key="rec_min").set_value(0)
    at.slider(key="rec_novelty").set_value(1.0).run()
    novel = float(at.metric[0].value)
    no_errors(at)
    assert novel < popular  # novelty pushes less-rated movies up


def test_a_horror_fan_gets_horror_and_sees_the_genre_mix(open_page, ml100k):
    at = open_page("recommend")
    for title in ("Shining, The (1980)", "Carrie (1976)", "Omen, The (1976)", "Scream (1996)"):
        _rate(at, _index(ml100k, title), 5)
    no_errors(at)
    horror = at.dataframe[0].value["genres"].str.contains("Horror").sum()
    assert horror >= 6
    charts = [c.key for c in at.get("plotly_chart")]
    assert charts == ["onb_changes", "rec_genre_mix"]  # how the list changed; the genre mix
    assert any("share of movies listing each genre" in c.value for c in at.caption)
    at.slider(key="rec_calibration").set_value(0.0).run()
    no_errors(at)
    assert at.dataframe[0].value["genres"].str.contains("Horror").sum() < horror


def test_clear_resets_ratings_and_picker_with_a_star_click_pending(open_page, ml100k):
    """Both in one rerun (a quick user): the star's callback must not bring a rating back."""
    at = open_page("recommend")
    a, b = _index(ml100k, "Fargo (1996)"), _index(ml100k, "Scream (1996)")
    _rate(at, a, 4)
    pick(at, "rec_pick", "scream")
    at.feedback(key=f"rec_new_0_{b}").set_value(4)  # not run yet ...
    at.button(key="rec_clear").click().run()  # ... sent along with the Clear click
    no_errors(at)
    assert at.session_state["rated"]["ml-100k"] == {}
    assert at.selectbox(key="rec_pick").value is None  # the picker starts afresh too
    assert at.text_input(key="rec_pick_query").value == ""
    _rate(at, b, 5)  # and rating works again, with the new round's widgets
    assert at.session_state["rated"]["ml-100k"] == {b: 5.0}


def test_a_misspelled_title_is_found_and_rated(open_page, ml100k):
    at = open_page("recommend")
    shawshank = _index(ml100k, "Shawshank Redemption, The (1994)")
    _rate(at, shawshank, 5, typed="the shawshenk redemtion")
    no_errors(at)
    assert at.session_state["rated"]["ml-100k"] == {shawshank: 5.0}
    assert "Shawshank Redemption, The (1994)" in [m.value for m in at.markdown]  # its row
    pick(at, "rec_pick", "qqqq zzzz")
    no_errors(at)
    assert at.warning[0].value.startswith("No movie matches “qqqq zzzz”. Closest titles: ")
    assert at.selectbox(key="rec_pick").value is None
    assert not any("How much do you like" in c.value for c in at.caption)
