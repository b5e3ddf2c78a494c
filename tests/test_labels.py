"""labels: the titles printed on a map are readable: distinct, apart, chosen movies first."""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd
import pytest

from collab_core import labels
from collab_core.errors import ConfigError


def _apart(table: pd.DataFrame) -> bool:
    boxes = table[["left", "right", "bottom", "top"]].to_numpy()
    return not any(
        a[0] < b[1] and b[0] < a[1] and a[2] < b[3] and b[2] < a[3]
        for a, b in itertools.combinations(boxes, 2)
    )


def test_labels_on_the_default_map_are_distinct_apart_and_include_the_searched(ex):
    coords = ex.embedding_map(n_items=500).coords
    # A movie neither at an axis end nor among the most-rated: labelled only because searched.
    searched = int(coords.sort_values("n_ratings").index[len(coords) // 2])
    chosen = labels.choose_labels(coords, labels.LABELS, must=[searched])
    assert 30 <= len(chosen) <= labels.LABELS
    assert chosen.index[0] == searched and chosen.loc[searched, "reason"] == "chosen"
    assert chosen.index.is_unique and chosen["text"].is_unique
    assert _apart(chosen)  # in screen pixels at the default size
    w, h = labels.PLOT_WIDTH_PX, labels.PLOT_HEIGHT_PX
    assert (chosen["left"] >= 0).all() and (chosen["right"] <= w).all()
    assert (chosen["bottom"] >= 0).all() and (chosen["top"] <= h).all()
    # No title covers another labelled point.
    x0, x1 = labels.axis_range(coords["x"])
    y0, y1 = labels.axis_range(coords["y"])
    px = (coords.loc[chosen.index, "x"] - x0) / (x1 - x0) * w
    py = (coords.loc[chosen.index, "y"] - y0) / (y1 - y0) * h
    for item, box in chosen.iterrows():
        inside = (px > box["left"]) & (px < box["right"]) & (py > box["bottom"]) & (py < box["top"])
        assert not inside.drop(item).any()
    # The axes' ends and the best-known movies are there, titles shortened to read well.
    assert coords.loc[coords["x"].idxmin()].name in chosen.index
    assert {"axis end", "most-rated"} <= set(chosen["reason"])
    assert "Star Wars" in set(chosen["text"])
    assert chosen["text"].str.len().max() <= labels.MAX_CHARS
    # More asked, more given; and the count is honoured.
    assert len(labels.choose_labels(coords, 10)) == 10
    assert len(labels.choose_labels(coords, 60)) > len(chosen)


def test_chosen_movies_are_labelled_even_when_they_collide_and_others_give_way():
    coords = pd.DataFrame(
        {
            "x": [0.0, 0.001, 0.002, 1.0],
            "y": [0.0, 0.0, 0.0, 1.0],
            "title": ["Alpha (1990)", "Beta (1991)", "Alpha (1990)", "Godfather, The (1972)"],
            "n_ratings": [10, 500, 400, 5],
        },
        index=[7, 8, 9, 10],
    )
    only = labels.choose_labels(coords, 0, must=[7, 999])  # unknown items are ignored
    assert list(only.index) == [7]
    both = labels.choose_labels(coords, 0, must=[8, 7])
    assert list(both.index) == [8, 7]  # stacked points: both chosen, both labelled
    some = labels.choose_labels(coords, 3)
    assert some["text"].is_unique and "The Godfather" in set(some["text"])
    assert _apart(some)
    with pytest.raises(ConfigError, match="number of labels must be a whole number"):
        labels.choose_labels(coords, -1)


def test_label_text_and_ranges():
    assert labels.label_text("Godfather, The (1972)") == "The Godfather"
    assert labels.label_text("Seven (Se7en) (1995)") == "Seven"
    long = labels.label_text("Willy Wonka and the Chocolate Factory (1971)")
    assert long.endswith("…") and len(long) == labels.MAX_CHARS
    assert labels.axis_range([0, 10]) == pytest.approx((-0.4, 10.4))
    assert labels.axis_range([3, 3]) == pytest.approx((2.96, 3.04))
    assert labels.axis_range([np.nan]) == (-1.0, 1.0)
    assert labels.text_width("WWW") > labels.text_width("iii")
