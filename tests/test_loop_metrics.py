"""The feedback-loop metrics on lists whose answers are known, and the text that reads them."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from collab_core import loop_metrics as lm


def test_gini_of_equal_and_of_concentrated_exposure():
    assert lm.gini(np.full(50, 7)) == pytest.approx(0.0)
    one = np.zeros(50)
    one[3] = 10
    assert lm.gini(one) == pytest.approx(49 / 50)  # (n - 1) / n: everything on one movie
    assert lm.gini(np.array([0, 0, 1, 1])) == pytest.approx(0.5)
    assert np.isnan(lm.gini(np.zeros(5)))


def test_mean_jaccard_of_identical_disjoint_and_overlapping_lists():
    a, b, c = np.array([0, 1, 2]), np.array([3, 4, 5]), np.array([2, 3, 6, 7])
    assert lm.mean_jaccard([a, a, a], 10) == pytest.approx(1.0)
    assert lm.mean_jaccard([a, b], 10) == pytest.approx(0.0)
    # pairs: (a, b) 0, (a, c) 1/6, (b, c) 1/6
    assert lm.mean_jaccard([a, b, c], 10) == pytest.approx((0 + 1 / 6 + 1 / 6) / 3)
    assert np.isnan(lm.mean_jaccard([a], 10))


def test_coverage_exposure_diversity_and_shares():
    lists = [np.array([0, 1]), np.array([1, 2]), np.array([1])]
    counts = lm.exposure(lists, 5)
    assert counts.tolist() == [1, 3, 1, 0, 0]
    assert lm.coverage(counts) == pytest.approx(0.6)
    has = np.array([[1, 0], [1, 1], [0, 1], [0, 0], [1, 0]])
    assert lm.genre_diversity(lists, has) == pytest.approx((2 + 2 + 2) / 3)
    assert lm.share_of(lists, np.array([True, False, False, False, False])) == pytest.approx(1 / 5)
    given = np.r_[np.full(99, 1), 99]  # one user in a hundred gave half the new ratings
    assert lm.top_share(given) == pytest.approx(0.5)
    assert lm.top_share(np.ones(200)) == pytest.approx(0.01)


def _run(coverage, homog, **extra) -> pd.DataFrame:
    n = len(coverage)
    return pd.DataFrame(
        {
            "round": np.arange(1, n + 1),
            "coverage": coverage,
            "homogenisation": homog,
            "popularity_pct": np.linspace(80, 90, n),
            "utility": np.full(n, 4.2),
            "top1_share": np.full(n, 0.1),
            **extra,
        }
    )


def test_conclusion_reads_the_figures():
    runs = {
        "A: Predicted rating": _run(
            [0.14, 0.12, 0.10], [0.21, 0.24, 0.25], genre_share=[0.01, 0.02, 0.04]
        ),
        "B: ε-random exploration": _run([0.45, 0.45, 0.44], [0.16, 0.15, 0.15]),
        "A, never retrained (no loop)": _run([0.14, 0.16, 0.18], [0.21, 0.18, 0.15]),
    }
    text = lm.conclusion(runs, genre="War", n_enthusiasts=10)
    assert "**A: Predicted rating**: over 3 rounds" in text
    assert "fell from 14.0% to 10.0%" in text and "rose from 0.21 to 0.25" in text
    assert "ended at 18.0% coverage" in text and "The gap is the loop" in text
    assert "showing 10.0% of the catalogue instead of 18.0% and lists more alike" in text
    assert "**B: ε-random exploration** showed 44.0%" in text and "less alike" in text
    assert "The 10 War enthusiasts gave 10% of the new ratings" in text
    assert "rose from 1.0% to 4.0%" in text and "keep a human in the loop" in text
    assert "with the model that never learns" not in text  # the control has no enthusiasts here
    # No control, no enthusiasts: neither sentence; a flat line "stays near".
    text = lm.conclusion({"A": _run([0.2, 0.2], [0.1, 0.1])})
    assert "stayed near 20.0%" in text and "control" not in text and "enthusiasts" not in text
    # A control that ends where the main run does: no gap to speak of.
    same = {"A": _run([0.2, 0.2], [0.1, 0.1]), "A, no loop": _run([0.2, 0.2], [0.1, 0.1])}
    assert "the loop left no clear mark" in lm.conclusion(same)
