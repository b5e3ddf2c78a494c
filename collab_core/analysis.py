"""The lesson's questions of a trained model: bias rankings, the embedding map, nearest movies.

`Explorer(dataset, model)` holds what they reuse, computed once per model. It asks the model only
through the interface every model implements (`collab_core.models.CollabModel`).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import numpy as np
import pandas as pd
import torch

from . import maps
from .calibration import Genres
from .data import Dataset
from .errors import ConfigError, UnknownItemError, check_whole
from .maps import EmbeddingMap
from .models import CollabModel, NewUser
from .popularity import Popularity
from .titles import TitleIndex, distinct_titles

METRICS = ("cosine", "euclidean")
MAP_MEMO = 8  # maps kept per model (a 200k-movie map is about 40 MB)
# Similar movies leaves out movies with fewer ratings than this, by default: the best neighbour
# lists by the fans' lift on held-out users, on several seeds (benchmarks/similar_quality.py,
# figures in the README). Rarely rated movies have embeddings few people shaped.
SIMILAR_MIN_RATINGS = 75
# ... lowered on small data sets, so that at least this many movies can be listed.
SIMILAR_MIN_KEPT = 200
BIAS_NOTE = (
    "A bias is what the model adds for a movie (or user) whoever the other side is. A plain average "
    "also reflects who chose to watch it and how generous they are; the bias is what is left once "
    "the users' own biases and the taste match (the factors) are accounted for."
)
# What the Bias page and the CLI say about each kind of bias (`CollabModel.bias_kind`).
BIAS_KINDS = {
    "learned": "Every movie and every user has a learned bias: a number the model adds to each "
    "of their predicted ratings, whoever is on the other side.",
    "effective": "These biases are derived, not learned: this neural model does not add a bias "
    "of its own to each prediction (its network takes the user's and the movie's embeddings "
    "together), so after training its biases are measured (effective biases). A movie's is how "
    "much higher or lower the model rates it than the average movie, averaged over a sample of "
    "trained users; a user's likewise, over a sample of movies.",
    "none": "This model has no biases: it predicts from the factors alone (for example factors "
    "trained elsewhere without a baseline), so there is nothing to rank here. The other pages "
    "work as usual.",
}


def similar_min_ratings(n_ratings) -> int:
    """The default minimum number of ratings of a listed neighbour on a data set with these
    per-movie counts: `SIMILAR_MIN_RATINGS`, or less where fewer than `SIMILAR_MIN_KEPT` movies
    would reach it (the count of the `SIMILAR_MIN_KEPT`-th most-rated movie)."""
    n = np.sort(np.asarray(n_ratings, np.int64))[::-1]
    if not len(n):
        return 0
    return int(min(SIMILAR_MIN_RATINGS, n[min(SIMILAR_MIN_KEPT, len(n)) - 1]))


@dataclass
class Neighbours:
    """The nearest movies to `query` (itself excluded) by `metric`."""

    query: str
    item_index: int
    metric: str
    table: (
        pd.DataFrame
    )  # rank, item_index, item_id, title, year, genres, n_ratings, similarity|distance


class Explorer:
    """A trained model on its data set, with the arrays the questions reuse computed once.

    Arrays (float32 numpy, CPU): `item_factors_` [n_items, d], `item_unit_` (rows scaled to unit
    length, for cosine), `item_bias_` [n_items] (the model's own units, logits for a sigmoid
    model), `item_bias_stars_` (the same in stars, see `typical_rating_`), `user_factors_`,
    `user_bias_`, `user_bias_stars_`, `n_ratings_`, `item_seen_` and `user_seen_` (bool: trained
    on; rows of the others are zero and they are left out). Derived values are computed on first
    use: `titles`, `labels_`, `genres`, `popularity`, `mean_user`, `average_user_scores`.
    """

    def __init__(self, dataset: Dataset, model: CollabModel) -> None:
        n_items, n_users = int(model.n_items), int(model.n_users)
        if n_items != dataset.n_items or n_users != dataset.n_users:
            raise ConfigError(
                f"This model was trained on {n_users:,} users and {n_items:,} items, but "
                f"{dataset.name} has {dataset.n_users:,} and {dataset.n_items:,}: it belongs to "
                "another data set. Train (or load) a model for this one."
            )
        self.dataset = dataset
        self.model = model.eval()
        self.item_factors_ = _array(model.item_factors())
        self.user_factors_ = _array(model.user_factors())
        self.item_bias_ = _array(model.item_bias()).reshape(-1)
        self.user_bias_ = _array(model.user_bias()).reshape(-1)
        # Items (users) whose ratings all fell in the validation split were never trained: their
        # rows are still the random start. `predict` ignores them, and so does everything here.
        self.item_seen_ = model.item_seen.cpu().numpy().astype(bool)
        self.user_seen_ = model.user_seen.cpu().numpy().astype(bool)
        self.item_factors_[~self.item_seen_] = 0.0
        self.item_bias_[~self.item_seen_] = 0.0
        self.user_factors_[~self.user_seen_] = 0.0
        self.user_bias_[~self.user_seen_] = 0.0
        # Biases in stars: what each adds to the model's rating of a user and a movie with no bias
        # and no taste match (the intercept). Monotone in the bias, so rankings do not change.
        z0 = float(model.intercept())
        self.typical_rating_ = float(model.to_rating(z0))
        self.item_bias_stars_ = self.stars(self.item_bias_)
        self.user_bias_stars_ = self.stars(self.user_bias_)
        norms = np.linalg.norm(self.item_factors_, axis=1, keepdims=True)
        self.item_unit_ = self.item_factors_ / np.maximum(norms, 1e-8)
        items = dataset.items
        self.n_ratings_ = items["n_ratings"].to_numpy(np.int64)
        # Plain numpy columns: pandas' Arrow-backed strings would convert on every lookup.
        self._item_id = items["item_id"].to_numpy()
        self._year = items["year"].array
        self._genres = np.array(["|".join(g) for g in items["genres"]], dtype=object)
        # Titles for tables, without building the title search (seconds at 200k movies).
        self._title = items["title"].astype(str).to_numpy()
        self._mean_rating = items["mean_rating"].to_numpy(np.float64)
        self._maps: dict[tuple, EmbeddingMap] = {}  # see embedding_map

    @cached_property
    def titles(self) -> TitleIndex:
        """The data set's title search (`search`, `resolve`, `titles`)."""
        return TitleIndex(self.dataset.items, self.dataset.name)

    def stars(self, bias) -> np.ndarray:
        """Biases in the model's units as stars added to the typical rating (`typical_rating_`)."""
        z0 = float(self.model.intercept())
        added = self.model.to_rating(z0 + np.asarray(bias, np.float64)) - self.typical_rating_
        return added.astype(np.float32)

    @cached_property
    def labels_(self) -> np.ndarray:
        """Titles as shown: copies of one title told apart by id and ratings (`distinct_titles`)."""
        return distinct_titles(self.dataset.items)

    @cached_property
    def title_copies_(self) -> list[np.ndarray]:
        """The item indices of each title that several items share (MovieLens has a few)."""
        codes = self.title_code_
        counts = np.bincount(codes)
        shared = np.flatnonzero(counts > 1)
        idx = np.flatnonzero(counts[codes] > 1)
        idx = idx[np.argsort(codes[idx], kind="stable")]
        return np.split(idx, np.cumsum(counts[shared])[:-1]) if len(idx) else []

    def one_copy(self, allowed: np.ndarray, key: np.ndarray) -> np.ndarray:
        """`allowed` with only the highest-`key` copy of each shared title left in: a list names
        a movie once, even where the data lists it under two ids."""
        out = allowed.copy()
        for group in self.title_copies_:
            ok = group[out[group]]
            if len(ok) > 1:
                out[ok] = False
                out[ok[np.argmax(key[ok])]] = True
        return out

    @cached_property
    def title_code_(self) -> np.ndarray:
        """Copies of one title share a code, so "leave out the query's title" is an int compare."""
        return pd.factorize(self.titles.titles)[0]

    @cached_property
    def genres(self) -> Genres:
        return Genres(self.dataset.items)

    @cached_property
    def popularity(self) -> Popularity:
        return Popularity(self.n_ratings_)

    @cached_property
    def mean_user(self) -> NewUser:
        """The cold start: the mean of the trained users (the prior every fold-in starts from)."""
        return self.model.mean_user()

    @cached_property
    def average_user_scores(self) -> np.ndarray:
        """Predicted ratings of every item for the mean user."""
        return self.model.score(self.mean_user)

    def item_table(self, idx) -> pd.DataFrame:
        """Title (copies of a shared title told apart), year, genres, number and mean of ratings,
        bias in stars and in the model's units (`bias_logit`) of the items `idx`, in that order."""
        idx = np.asarray(idx, dtype=np.int64)
        return pd.DataFrame(
            {
                "item_index": idx,
                "item_id": self._item_id[idx],
                "title": self.labels_[idx],
                "year": self._year[idx],
                "genres": self._genres[idx],
                "n_ratings": self.n_ratings_[idx],
                "mean_rating": self._mean_rating[idx],
                "bias": self.item_bias_stars_[idx],
                "bias_logit": self.item_bias_[idx],
            }
        )

    # -- bias rankings ------------------------------------------------------------------------

    def biases(self, *, top: int = 10, users: bool = False, min_ratings: int = 50) -> pd.DataFrame:
        """Items (or users) with the highest and the lowest bias, both ends.

        Columns: end ("highest"|"lowest"), rank, the item's (user's) id and title, `bias` in stars
        (what it adds to the typical rating, `typical_rating_`), `bias_logit` (the same in the
        model's own units), n_ratings, mean_rating, then what tells a bias from an average.
        Items: `raters_mean`, the mean of the overall averages of the users who rated it (a
        generous audience lifts a plain average). Users: `items_mean`, the mean of the averages of
        the movies they rated (someone who watches only classics rates high without being
        generous). An `explanation` column puts each row in words, in stars like `bias`; see
        `BIAS_NOTE` for the idea and `BIAS_KINDS` for what the model's biases are.
        """
        check_whole("top", top, 1)
        check_whole("min_ratings", min_ratings, 0)
        ds = self.dataset
        u, i, r = ds.encode(ds.ratings)
        if users:
            n = np.bincount(u, minlength=ds.n_users)
            mean = np.bincount(u, r, minlength=ds.n_users) / np.maximum(n, 1)
            bias = self.user_bias_
        else:
            n, mean, bias = self.n_ratings_, ds.items["mean_rating"].to_numpy(), self.item_bias_
        seen = self.user_seen_ if users else self.item_seen_
        ok = np.flatnonzero((n >= min_ratings) & seen)
        if not len(ok):
            raise ConfigError(
                f"No {'user' if users else 'movie'} has {min_ratings} ratings or "
                f"more (the most is {int(n.max())}); lower min_ratings."
            )
        order = ok[np.argsort(-bias[ok], kind="stable")]
        k = min(top, len(order))
        ends = [("highest", order[:k]), ("lowest", order[::-1][:k])]
        frames = []
        for end, idx in ends:
            f = (
                self._user_bias_rows(idx, u, i, r, n, mean)
                if users
                else self._item_bias_rows(idx, u, i, r)
            )
            f.insert(0, "rank", np.arange(1, len(idx) + 1))
            f.insert(0, "end", end)
            frames.append(f)
        return pd.concat(frames, ignore_index=True)

    def _item_bias_rows(self, idx, u, i, r) -> pd.DataFrame:
        f = self.item_table(idx)
        n_u = np.bincount(u, minlength=self.dataset.n_users)
        user_mean = np.bincount(u, r, minlength=self.dataset.n_users) / np.maximum(n_u, 1)
        pos = np.full(self.dataset.n_items, -1)
        pos[idx] = np.arange(len(idx))
        sel = pos[i] >= 0  # the ratings of the selected items only
        slot = pos[i[sel]]
        count = np.bincount(slot, minlength=len(idx))
        raters = np.bincount(slot, user_mean[u[sel]], minlength=len(idx)) / np.maximum(count, 1)
        f["raters_mean"] = raters
        f["explanation"] = [
            f"its bias adds {b:+.2f} stars to a typical prediction; its viewers gave it "
            f"{m:.2f} on average, and {a:.2f} to all they rated"
            for b, m, a in zip(f["bias"], f["mean_rating"], raters, strict=True)
        ]
        return f

    def _user_bias_rows(self, idx, u, i, r, n, mean) -> pd.DataFrame:
        item_mean = self.dataset.items["mean_rating"].to_numpy()
        items_mean = np.bincount(u, item_mean[i], minlength=self.dataset.n_users) / np.maximum(n, 1)
        f = pd.DataFrame(
            {
                "user_index": idx,
                "user_id": self.dataset.user_ids.to_numpy()[idx],
                "bias": self.user_bias_stars_[idx],
                "bias_logit": self.user_bias_[idx],
                "n_ratings": n[idx],
                "mean_rating": mean[idx],
                "items_mean": items_mean[idx],
            }
        )
        f["explanation"] = [
            f"their bias adds {b:+.2f} stars to a typical prediction; they give {m:.2f} on "
            f"average to movies others rate {a:.2f}: "
            f"{'a generous' if m - a > 0.25 else 'a harsh' if m - a < -0.25 else 'an even'} rater"
            for b, m, a in zip(f["bias"], f["mean_rating"], f["items_mean"], strict=True)
        ]
        return f

    # -- the embedding map --------------------------------------------------------------------

    def embedding_map(
        self,
        *,
        method: str = "pca",
        n_components: int = 2,
        n_items: int = 1000,
        n_ends: int = 5,
        seed: int = 42,
        progress: maps.Progress | None = None,
    ) -> EmbeddingMap:
        """`maps.embedding_map` of the `n_items` most-rated trained movies, placed by `method`.

        Kept once computed (the last `MAP_MEMO` maps), so a UMAP that took a minute comes back
        at once; `progress(fraction, text)` follows a map being computed.
        """
        key = (method, n_components, n_items, n_ends, seed)
        found = self._maps.get(key)
        if found is None:
            maps.check_method(method, n_components)
            check_whole("n_items", n_items, n_components + 2)
            order = np.argsort(-self.n_ratings_, kind="stable")
            idx = order[self.item_seen_[order]][:n_items]
            table = self.item_table(idx).set_index(pd.Index(idx, name="item"), drop=False)
            found = maps.embedding_map(
                self.item_factors_[idx],
                table,
                genres=pd.DataFrame(
                    self.genres.has[idx], index=table.index, columns=self.genres.names
                ),
                method=method,
                n_components=n_components,
                n_ends=n_ends,
                seed=seed,
                progress=progress,
            )
            self._maps[key] = found
            while len(self._maps) > MAP_MEMO:
                self._maps.pop(next(iter(self._maps)))
        return found

    def has_map(
        self, *, method: str = "pca", n_components: int = 2, n_items: int = 1000, seed: int = 42
    ) -> bool:
        """Whether `embedding_map` with these settings (default `n_ends`) is already computed."""
        return (method, n_components, n_items, 5, seed) in self._maps

    # -- nearest movies -----------------------------------------------------------------------

    def similar(self, query: str | int, **kwargs) -> Neighbours:
        """`nearest` for a title (found forgivingly) or an int item id."""
        return self.nearest(self.titles.resolve(query), **kwargs)

    def nearest(
        self, q: int, *, k: int = 10, metric: str = "cosine", min_ratings: int = 0
    ) -> Neighbours:
        """The `k` movies whose item factors are nearest item index `q`.

        Cosine similarity by default (the angle: taste direction, whatever the strength),
        Euclidean distance as an option. The query and copies of its title are left out, and
        of a title listed under several ids only the nearest copy is.
        """
        check_whole("k", k, 1)
        check_whole("min_ratings", min_ratings, 0)
        if metric not in METRICS:
            raise ConfigError(f"Unknown metric {metric!r}; use one of {', '.join(METRICS)}.")
        if not (isinstance(q, (int, np.integer)) and 0 <= q < self.dataset.n_items):
            raise UnknownItemError(f"There is no movie number {q!r} in {self.dataset.name}.")
        q = int(q)
        if not self.item_seen_[q]:
            raise ConfigError(
                f"{self.labels_[q]} has no learned factors: all its ratings fell in the "
                "validation split, so the model never trained on it. Pick another movie."
            )
        if metric == "cosine":
            # einsum, not BLAS: a matrix-vector product is memory-bound, and BLAS threads cost
            # more than they save on it (10x on a busy 2-core machine).
            score = np.einsum("ij,j->i", self.item_unit_, self.item_unit_[q])  # [n_items]
            key = -score
        else:
            diff = self.item_factors_ - self.item_factors_[q]
            score = np.sqrt(np.einsum("ij,ij->i", diff, diff))
            key = score.copy()
        key = key.astype(np.float64)
        key[self.title_code_ == self.title_code_[q]] = np.inf
        key[~self.item_seen_] = np.inf
        if min_ratings:
            key[self.n_ratings_ < min_ratings] = np.inf
        ok = self.one_copy(np.isfinite(key), -key)  # two ids of one title: the nearer one
        key[~ok] = np.inf
        n_ok = int(np.isfinite(key).sum())
        kk = min(k, n_ok)
        top = np.argpartition(key, kk - 1)[:kk] if kk else np.array([], dtype=np.int64)
        top = top[np.argsort(key[top], kind="stable")]
        table = self.item_table(top).drop(columns=["mean_rating"])
        table.insert(0, "rank", np.arange(1, len(top) + 1))
        table["similarity" if metric == "cosine" else "distance"] = score[top]
        return Neighbours(query=str(self.labels_[q]), item_index=q, metric=metric, table=table)

    # -- recommendations (see recommend.py) ---------------------------------------------------


def _array(t: torch.Tensor) -> np.ndarray:
    """A float32 numpy copy: `.numpy()` alone would share memory with the model's weights."""
    return np.array(t.detach().cpu().float().numpy(), dtype=np.float32, copy=True)


def bias_units(explorer: Explorer) -> str:
    """The one sentence that gives a model's own bias units and how they become stars."""
    lo_hi = explorer.model.y_range
    typical = f"{explorer.typical_rating_:.2f}"
    if lo_hi is None:
        return (
            "Biases are in stars: this model adds them to its predictions as they are (typical "
            f"prediction {typical})."
        )
    lo, hi = lo_hi
    example = float(explorer.stars([0.5])[0])
    return (
        f"Biases are in stars: what each adds to {typical} stars, the model's rating for a user "
        "and a movie with no bias and no taste match. The model itself adds them in logits, "
        f"before its sigmoid maps scores to {lo:g}–{hi:g} stars (a logit bias of 0.5 adds "
        f"{example:+.2f} stars there); the CSV downloads give both (`bias`, `bias_logit`)."
    )
