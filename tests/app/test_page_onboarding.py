"""Recommend page, Start panel: the four ways to start, and three questionnaire answers."""

from apptest_helpers import no_errors, plotly_figures


def _question(at) -> int:
    """The item index of the movie the questionnaire asks about now."""
    keys = [f.key for f in at.get("feedback") if f.key and f.key.startswith("onb_q_")]
    assert len(keys) == 1, keys
    return int(keys[0].removeprefix("onb_q_"))


def test_start_panel_and_three_answers_sharpen_the_list(open_page, ml100k):
    at = open_page("recommend")
    no_errors(at)
    assert at.radio(key="onb_start").value == "mean"
    mean_list = list(at.dataframe[0].value["title"])

    at.radio(key="onb_start").set_value("representative").run()
    no_errors(at)
    assert any("stands for average taste" in c.value for c in at.caption)
    assert any("Their favourites:" in c.value for c in at.caption)

    at.radio(key="onb_start").set_value("profile").run()
    at.selectbox(key="onb_age_ml-100k").set_value("18-24").run()
    at.selectbox(key="onb_occupation_ml-100k").set_value("student").run()
    no_errors(at)
    assert any("Nothing you enter leaves this machine" in c.value for c in at.caption)
    profile_list = list(at.dataframe[0].value["title"])
    assert profile_list != mean_list
    assert at.dataframe[0].value["because"].str.contains("where you start").all()

    asked = []
    for stars in (5, None, 4, 1):  # None: "Haven't seen it"
        item = _question(at)
        assert item not in asked
        asked.append(item)
        if stars is None:
            at.button(key="onb_skip").click().run()
        else:
            at.feedback(key=f"onb_q_{item}").set_value(stars - 1).run()
        no_errors(at)
    rated = at.session_state["rated"]["ml-100k"]
    assert rated == {asked[0]: 5.0, asked[2]: 4.0, asked[3]: 1.0}
    assert at.session_state["onb_skipped"]["ml-100k"] == [asked[1]]
    assert _question(at) not in asked
    recs = at.dataframe[0].value
    assert not set(recs["title"]) & {ml100k.items["title"].iloc[i] for i in asked}
    assert list(recs["title"]) != profile_list
    changes = [f for f in plotly_figures(at) if "new since the start" in str(f)]
    assert len(changes) == 1
    new_since_start = changes[0]["data"][0]["y"]
    assert len(new_since_start) == 4 and new_since_start[0] == 0 and new_since_start[-1] > 0
