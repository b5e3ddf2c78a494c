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
from .titles import TitleIndex

METRICS = ("cosine", "euclidean")
MAP_MEMO = 8  # maps kept per model (a 200k-movie map is about 40 MB)
BIAS_NOTE = (
    "A bias is what the model adds for a movie (or user) whoever the other side is. A plain average "
    "also reflects who chose to watch it and how generous they are; the bias is what is left once "
    "the users' own biases and the taste match (the factors) are accounted for."
)


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
    length, for cosine), `item_bias_` [n_items], `user_factors_`, `user_bias_`, `n_ratings_`,
    `item_seen_` and `user_seen_` (bool: trained on; rows of the others are zero and they are
    left out). Derived values are computed on first use: `titles`, `genres`, `popularity`,
    `mean_user`, `average_user_scores`.
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

    def _predict(self, users, items) -> np.ndarray:
        with torch.no_grad():
            return (
                self.model.predict(
                    torch.as_tensor(np.asarray(users, np.int64)),
                    torch.as_tensor(np.asarray(items, np.int64)),
                )
                .double()
                .numpy()
            )

    def item_table(self, idx) -> pd.DataFrame:
        """Title, year, genres, number and mean of ratings, bias of the items `idx`, in that order."""
        idx = np.asarray(idx, dtype=np.int64)
        return pd.DataFrame(
            {
                "item_index": idx,
                "item_id": self._item_id[idx],
                "title": self._title[idx],
                "year": self._year[idx],
                "genres": self._genres[idx],
                "n_ratings": self.n_ratings_[idx],
                "mean_rating": self._mean_rating[idx],
                "bias": self.item_bias_[idx],
            }
        )

    # -- bias rankings ------------------------------------------------------------------------

    def biases(self, *, top: int = 10, users: bool = False, min_ratings: int = 50) -> pd.DataFrame:
        """Items (or users) with the highest and the lowest learned bias, both ends.

        Columns: end ("highest"|"lowest"), rank, the item's (user's) id and title, bias, n_ratings,
        mean_rating, then what tells a bias from an average. Items: `raters_mean`, the mean of the
        overall averages of the users who rated it (a generous audience lifts a plain average),
        and `expected`, the mean rating the model predicts for those same users if this movie had
        the average item bias (what users and factors explain); `mean_rating - expected` is what
        the movie itself adds. Users: `items_mean`, the mean of the averages of the movies they
        rated (someone who watches only classics rates high without being generous).
        An `explanation` column puts each row in words; see `BIAS_NOTE` for the idea.
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
        su, si, slot = u[sel], i[sel], pos[i[sel]]
        count = np.bincount(slot, minlength=len(idx))
        raters = np.bincount(slot, user_mean[su], minlength=len(idx)) / np.maximum(count, 1)
        # The item's bias taken out (replaced by the mean item bias) inside the sigmoid: exact for
        # the dot model; for CollabNN, whose effective bias is a mean logit offset, an estimate.
        z = (
            self.model.to_logit(self._predict(su, si))
            - self.item_bias_[si]
            + self.item_bias_.mean()
        )
        without = self.model.to_rating(z)
        expected = np.bincount(slot, without, minlength=len(idx)) / np.maximum(count, 1)
        f["raters_mean"] = raters
        f["expected"] = expected
        f["explanation"] = [
            f"rated {m:.2f} by users who average {a:.2f}; users and factors alone predict "
            f"{e:.2f}, so the movie itself adds {m - e:+.2f}"
            for m, a, e in zip(f["mean_rating"], raters, expected, strict=True)
        ]
        return f

    def _user_bias_rows(self, idx, u, i, r, n, mean) -> pd.DataFrame:
        item_mean = self.dataset.items["mean_rating"].to_numpy()
        items_mean = np.bincount(u, item_mean[i], minlength=self.dataset.n_users) / np.maximum(n, 1)
        f = pd.DataFrame(
            {
                "user_index": idx,
                "user_id": self.dataset.user_ids.to_numpy()[idx],
                "bias": self.user_bias_[idx],
                "n_ratings": n[idx],
                "mean_rating": mean[idx],
                "items_mean": items_mean[idx],
            }
        )
        f["explanation"] = [
            f"gives {m:.2f} on average to movies others rate {a:.2f}: "
            f"{'a generous' if m - a > 0.25 else 'a harsh' if m - a < -0.25 else 'an even'} rater"
            for m, a in zip(f["mean_rating"], f["items_mean"], strict=True)
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
        Euclidean distance as an option. The query and copies of its title are left out.
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
                f"{self.titles.titles[q]} has no learned factors: all its ratings fell in the "
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
        n_ok = int(np.isfinite(key).sum())
        kk = min(k, n_ok)
        top = np.argpartition(key, kk - 1)[:kk] if kk else np.array([], dtype=np.int64)
        top = top[np.argsort(key[top], kind="stable")]
        table = self.item_table(top).drop(columns=["mean_rating"])
        table.insert(0, "rank", np.arange(1, len(top) + 1))
        table["similarity" if metric == "cosine" else "distance"] = score[top]
        return Neighbours(
            query=str(self.titles.titles[q]), item_index=q, metric=metric, table=table
        )

    # -- recommendations (see recommend.py) ---------------------------------------------------


def _array(t: torch.Tensor) -> np.ndarray:
    """A float32 numpy copy: `.numpy()` alone would share memory with the model's weights."""
    return np.array(t.detach().cpu().float().numpy(), dtype=np.float32, copy=True)
