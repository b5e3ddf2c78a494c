"""The questionnaire: which movie to ask a new user to rate next, so the model learns them fastest.

For a model linear in the user the fold-in is a ridge regression on x_i = [q_i, 1] (the item's
factors and the bias), so after the movies J answered the user's posterior covariance is
S = (ridge I + sum_{j in J} x_j x_j')^-1 (up to the noise level), and a rating of movie i would
shrink the uncertainty along x_i by a factor 1 + x_i' S x_i. The adaptive order asks the movie
with the largest expected gain p_seen(i) * log(1 + x_i' S x_i), p_seen(i) being the share of
users who rated it (a movie the user has not seen teaches nothing: "haven't seen it" moves on).
The neural model has no closed form; its item embeddings stand in for q_i. The two plain orders
to compare with: most-rated first, and random (among the same candidates).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from .data import Dataset
from .errors import ConfigError
from .models import FOLD_IN_RIDGE, CollabModel, NewUser

ORDERS = ("adaptive", "popular", "random")
# Only movies this many people rated are asked about: a rarely-rated movie is rarely seen.
MIN_RATINGS = 20


@dataclass(frozen=True, eq=False)
class QuestionPool:
    """The movies a questionnaire may ask about, with what the orders need to choose among them.

    `items` [n] item indices, `X` [n, d+1] their [factors, 1], `seen` [n] the share of users who
    rated each, `ridge` the fold-in's pull towards the start.
    """

    items: np.ndarray
    X: np.ndarray
    seen: np.ndarray
    ridge: float = FOLD_IN_RIDGE

    @classmethod
    def of(cls, model: CollabModel, dataset: Dataset, *, min_ratings: int = MIN_RATINGS):
        n_ratings = dataset.items["n_ratings"].to_numpy()
        ok = (n_ratings >= min_ratings) & model.item_seen.cpu().numpy()
        if not ok.any():  # a tiny data set: every trained movie
            ok = model.item_seen.cpu().numpy().copy()
        items = np.flatnonzero(ok)
        V = model.item_factors().double().numpy()[items]
        X = np.c_[V, np.ones(len(items))]
        return cls(items, X, n_ratings[items] / max(1, dataset.n_users))

    def next_item(
        self, order: str, answered, asked, *, seed: int = 0, timings: list | None = None
    ) -> int | None:
        """The next movie (item index) to ask about under `order`, or None when none is left.

        `answered`: the movies rated so far (they inform); `asked`: every movie not to ask
        again (the answered, the unseen and any the user rated elsewhere).
        """
        _check_order(order)
        left = ~np.isin(self.items, np.fromiter(asked, np.int64, len(asked)))
        if not left.any():
            return None
        if order == "popular":
            key = np.where(left, self.seen, -np.inf)
        elif order == "random":
            key = np.where(left, np.random.default_rng(seed).random(len(self.items)), -np.inf)
        else:
            key = np.where(left, self.gain(answered), -np.inf)
        return int(self.items[int(np.argmax(key))])

    def gain(self, answered) -> np.ndarray:
        """p_seen(i) * log(1 + x_i' S x_i) for every candidate, S after the movies `answered`."""
        S = self.covariance(answered)
        var = np.einsum("ij,ij->i", self.X @ S, self.X)  # x_i' S x_i, [n]
        return self.seen * np.log1p(var)

    def covariance(self, answered) -> np.ndarray:
        """S = (ridge I + X_J' X_J)^-1 for the answered movies J (those in the pool)."""
        rows = np.flatnonzero(np.isin(self.items, np.fromiter(answered, np.int64, len(answered))))
        XJ = self.X[rows]
        A = XJ.T @ XJ + self.ridge * np.eye(self.X.shape[1])
        return np.linalg.inv(A)


@dataclass
class Questionnaire:
    """One new user's questionnaire: ask (`next_item`), then `answer` or `skip`, and `user()`.

    `start` is where the user starts (default the mean user; see `starts`); `answers` may begin
    with ratings given elsewhere ({item index: rating}): never asked again, and they count.
    """

    model: CollabModel
    pool: QuestionPool
    order: str = "adaptive"
    start: NewUser | None = None
    seed: int = 0
    answers: dict[int, float] = field(default_factory=dict)
    skipped: list[int] = field(default_factory=list)
    pending: int | None = None

    def __post_init__(self) -> None:
        _check_order(self.order)

    @property
    def asked(self) -> set[int]:
        return set(self.answers) | set(self.skipped)

    def next_item(self) -> int | None:
        """The movie to ask about now (the same until it is answered or skipped)."""
        if self.pending is None:
            seed = self.seed + len(self.asked)  # random order: a fresh draw per question
            self.pending = self.pool.next_item(self.order, self.answers, self.asked, seed=seed)
        return self.pending

    def answer(self, item: int, rating: float) -> None:
        self._check(item)
        self.answers[int(item)] = float(rating)
        self.pending = None

    def skip(self, item: int) -> None:
        """ "Haven't seen it": not asked again, and it tells the model nothing."""
        self._check(item)
        self.skipped.append(int(item))
        self.pending = None

    def user(self) -> NewUser:
        """The user as the model sees them now: the start, folded in with the answers."""
        items = np.fromiter(self.answers, np.int64, len(self.answers))
        ratings = np.fromiter(self.answers.values(), np.float64, len(self.answers))
        return self.model.fold_in(items, ratings, self.start)

    def _check(self, item: int) -> None:
        if int(item) in self.asked:
            raise ConfigError(f"Movie {int(item)} was already answered; each is asked once.")


def _check_order(order: str) -> None:
    if order not in ORDERS:
        raise ConfigError(f"Unknown question order {order!r}; choose one of {', '.join(ORDERS)}.")


def run_questionnaire(q: Questionnaire, truth: dict[int, float], n_answers: int, max_asks: int):
    """Answer `q` from `truth` ({item: rating}; a movie not in it is "haven't seen it") until
    `n_answers` ratings or `max_asks` questions; yields (answers so far, the user) after each
    rating, starting with none."""
    yield 0, q.user()
    asks = 0
    while len(q.answers) < n_answers and asks < max_asks:
        item = q.next_item()
        if item is None:
            return
        asks += 1
        if item in truth:
            q.answer(item, truth[item])
            yield len(q.answers), q.user()
        else:
            q.skip(item)


def list_changes(lists: list[tuple[int, list]]) -> pd.DataFrame:
    """How a top-k list changed as answers came in: [(answers given, the list then), ...] in
    order, to one row per step: `answers`, `new_since_start` (entries not in the first list) and
    `new_since_last` (not in the list before)."""
    rows, first, last = [], None, None
    for n, titles in lists:
        now = set(titles)
        first = now if first is None else first
        rows.append(
            {
                "answers": int(n),
                "new_since_start": len(now - first),
                "new_since_last": len(now - last) if last is not None else 0,
            }
        )
        last = now
    return pd.DataFrame(rows, columns=["answers", "new_since_start", "new_since_last"])
