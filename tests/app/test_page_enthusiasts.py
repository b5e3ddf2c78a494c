"""Enthusiasts page: the shares of the most active users, and a retrain without them on a click."""

from apptest_helpers import no_errors


def test_shares_then_retrain_without_them(open_page):
    at = open_page("enthusiasts", timeout=180)
    no_errors(at)
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Top 1% (9 users): ratings"] == "5.1%"
    table = at.dataframe[0].value
    assert table["scope"].iloc[0] == "all movies" and "Horror" in set(table["scope"])
    at.button(key="enth_retrain").click().run()
    no_errors(at)
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Ratings left out"] == "5,063"
    lists = at.dataframe[1].value
    assert list(lists.columns) == ["with them", "without them"] and len(lists) == 20
