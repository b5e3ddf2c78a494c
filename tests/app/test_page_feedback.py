"""Feedback loops: the page explains itself, runs two rounds of two policies and draws the results."""

from apptest_helpers import no_errors, plotly_figures


def test_the_page_explains_then_runs_two_rounds(open_page):
    at = open_page("feedback")
    no_errors(at)
    intro = " ".join(m.value for m in at.markdown)
    assert "true tastes" in intro and "retrains" in intro
    assert "Run the simulation" in at.info[0].value
    assert not plotly_figures(at)  # nothing is simulated until asked

    at.slider(key="fb_rounds").set_value(2)
    at.number_input(key="fb_picks").set_value(1)
    at.button[0].click().run(timeout=300)
    no_errors(at)
    figures = plotly_figures(at)
    grid = figures[0]  # every metric, one small chart each, one line per run
    metrics = list(dict.fromkeys(t["meta"] for t in grid["data"]))
    assert metrics[:3] == ["coverage", "homogenisation", "gini"] and "genre_share" not in metrics
    runs = ["A: Predicted rating", "B: ε-random exploration", "A, never retrained (no loop)"]
    for metric in metrics:  # A, B and A's control, two rounds each
        traces = [t for t in grid["data"] if t["meta"] == metric]
        assert [t["name"] for t in traces] == runs and all(t["x"] == [1, 2] for t in traces)
    coverage = {t["name"]: t["y"] for t in grid["data"] if t["meta"] == "coverage"}
    assert coverage[runs[1]][0] > coverage[runs[0]][0] == coverage[runs[2]][0]
    text = " ".join(m.value for m in at.markdown)
    assert "**A: Predicted rating**: over 2 rounds" in text and "keep a human in the loop" in text
    shown = figures[-1]  # the map: round 1 and round 2, side by side
    titles = [a["text"] for a in shown["layout"]["annotations"]]
    assert titles[0].startswith("Round 1: ") and titles[1].startswith("Round 2: ")
    assert "movies shown" in titles[0]

    # Enthusiasts: their genre's share joins the charts and the text.
    at.toggle(key="fb_enthusiasts").set_value(True)
    at.selectbox(key="fb_genre").set_value("War")
    at.checkbox(key="fb_control").set_value(False)
    at.slider(key="fb_rounds").set_value(1)
    at.button[0].click().run(timeout=300)
    no_errors(at)
    titles = [a["text"] for a in plotly_figures(at)[0]["layout"]["annotations"]]
    assert "War in others' lists" in titles
    assert "The 10 War enthusiasts gave" in " ".join(m.value for m in at.markdown)
