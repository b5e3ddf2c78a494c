"""Popularity bias: how much recommendation lists lean on the movies that are already most rated."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property

import numpy as np
import pandas as pd

HEAD_SHARE_OF_RATINGS = 0.5  # "the head": the most-rated items that together get half the ratings


@dataclass
class PopularityReport:
    """How much a set of recommendation lists leans on already-popular movies.

    `mean_popularity_pct`: mean percentile of the recommended movies' number of ratings (a movie
    picked at random averages 50). `head_share`: share of recommendations that come from "the head",
    the `head_items` most-rated movies that together get half of all ratings. `coverage`: distinct
    recommended movies over the catalogue size (over many users' lists this is the part of the
    catalogue the recommender ever shows; popular-only lists keep it small: a feedback loop).
    """

    n_lists: int
    n_recommended: int
    mean_popularity_pct: float
    median_n_ratings: float
    head_items: int
    head_share: float
    coverage: float
    summary: str


class Popularity:
    """The popularity of each item of a catalogue, from its number of ratings `n_ratings`."""

    def __init__(self, n_ratings: np.ndarray) -> None:
        self.n_ratings = np.asarray(n_ratings, np.int64)

    @cached_property
    def pct(self) -> np.ndarray:
        """Percentile (0-100] of each item's number of ratings."""
        return pd.Series(self.n_ratings).rank(pct=True).to_numpy() * 100

    @cached_property
    def head(self) -> np.ndarray:
        """Bool per item: among the most-rated items that together get half of all ratings."""
        n = self.n_ratings
        order = np.argsort(-n, kind="stable")
        cum = np.cumsum(n[order]) / max(1, n.sum())
        head = np.zeros(len(n), bool)
        head[order[: int(np.searchsorted(cum, HEAD_SHARE_OF_RATINGS) + 1)]] = True
        return head

    @cached_property
    def log_share(self) -> np.ndarray:
        """log(1 + n_ratings) / log(1 + the most ratings): 0 for unrated, 1 for the most rated."""
        n = self.n_ratings
        return np.log1p(n) / np.log1p(max(1, int(n.max())))

    def report(self, lists: Sequence[Sequence[int]]) -> PopularityReport:
        """How popular the movies in one or more recommendation lists (item indices) are."""
        n_ratings, pct, head = self.n_ratings, self.pct, self.head
        head_n = int(head.sum())
        flat = (
            np.concatenate([np.asarray(x, np.int64) for x in lists])
            if len(lists)
            else np.zeros(0, np.int64)
        )
        n_cat = max(1, len(n_ratings))
        if not len(flat):
            return PopularityReport(
                len(lists), 0, float("nan"), float("nan"), head_n, float("nan"), 0.0,
                "nothing recommended",
            )  # fmt: skip
        mean_pct = float(pct[flat].mean())
        head_share = float(head[flat].mean())
        coverage = len(np.unique(flat)) / n_cat
        summary = (
            f"mean popularity percentile {mean_pct:.0f} (a random movie: 50); "
            f"{head_share:.0%} from the {head_n:,} most-rated movies "
            f"({head_n / n_cat:.0%} of the catalogue, half of all ratings)"
        )
        if len(lists) > 1:  # one list's coverage is only its length over the catalogue's
            summary += f"; {len(lists)} lists cover {coverage:.1%} of the catalogue"
        return PopularityReport(
            n_lists=len(lists),
            n_recommended=len(flat),
            mean_popularity_pct=mean_pct,
            median_n_ratings=float(np.median(n_ratings[flat])),
            head_items=head_n,
            head_share=head_share,
            coverage=coverage,
            summary=summary,
        )
