"""Questions asked of a trained model: bias rankings, the embedding map, nearest movies, title search.

`Explorer(dataset, model)` holds the arrays worth computing once per model (factors, normalised
factors, biases, the title index); the plain functions build one and call it. Everything works for
both the dot model and the neural one: it only uses the model contract (`user_factors()`,
`item_factors()`, `user_bias()`, `item_bias()`, `predict()`, `y_range`).
"""

from __future__ import annotations

import difflib
import re
import unicodedata
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import torch

from .data import Dataset
from .errors import ConfigError, UnknownItemError

METRICS = ("cosine", "euclidean")
MAP_METHODS = ("pca", "tsne")
BIAS_NOTE = (
    "A bias is what the model adds for a movie (or user) whoever the other side is. A plain average "
    "also reflects who chose to watch it and how generous they are; the bias is what is left once "
    "the users' own biases and the taste match (the factors) are accounted for."
)
# Genres that say most about a movie come first; the map colours each movie by the first it has.
GENRE_PRIORITY = (
    "Animation",
    "Documentary",
    "Horror",
    "Film-Noir",
    "Western",
    "Musical",
    "Sci-Fi",
    "Children's",
    "Children",
    "War",
    "Fantasy",
    "Mystery",
    "Crime",
    "Romance",
    "Thriller",
    "Action",
    "Adventure",
    "Comedy",
    "Drama",
)
# Articles that MovieLens moves to the end of a title: "Godfather, The", "Postino, Il".
_ARTICLES = (
    "the",
    "a",
    "an",
    "les",
    "la",
    "le",
    "l'",
    "il",
    "el",
    "das",
    "der",
    "die",
    "los",
    "las",
    "lo",
    "den",
    "det",
    "een",
    "het",
    "de",
)
_YEAR = re.compile(r"\s*\((\d{4})\)\s*$")
_BARE_YEAR = re.compile(r"^(.*\S)\s+((?:18|19|20)\d\d)$")
_TRAILING_ARTICLE = re.compile(
    r"^(.*),\s*(" + "|".join(re.escape(a) for a in _ARTICLES) + r")$", re.IGNORECASE
)
_LEADING_ARTICLE = re.compile(
    r"^(?:" + "|".join(re.escape(a) for a in _ARTICLES if a != "l'") + r")\s+"
)
# A single title wins among equally good matches when it has this many times the runner-up's ratings.
DOMINANCE = 3.0


# ---------------------------------------------------------------------------------------------
# Forgiving title search


def _fold(text: str) -> str:
    """Lower case, accents stripped, punctuation to spaces: 'Cité, La' -> 'cite la'."""
    text = unicodedata.normalize("NFKD", text.casefold())
    text = "".join(c for c in text if not unicodedata.combining(c))
    return " ".join(re.sub(r"[^\w']+|_", " ", text).replace("'", "").split())


def _front_article(part: str) -> str:
    m = _TRAILING_ARTICLE.match(part.strip())
    return f"{m.group(2)} {m.group(1)}" if m else part.strip()


def title_key(title: str) -> tuple[str, str, int | None]:
    """(bare key, searchable text, year) of a title or a query.

    The bare key is the main title with its article moved to the front and then dropped, folded:
    'Godfather, The (1972)', 'The Godfather' and 'godfather' all give 'godfather'. The searchable
    text adds the alternative title in parentheses: 'Seven (Se7en) (1995)' -> 'seven se7en'.
    """
    year = None
    m = _YEAR.search(title)
    if m:
        year, title = int(m.group(1)), title[: m.start()]
    main, _, aka = title.partition(" (")
    aka = aka.rstrip(") ")
    bare = _LEADING_ARTICLE.sub("", _fold(_front_article(main)))
    text = bare + (" " + _LEADING_ARTICLE.sub("", _fold(_front_article(aka))) if aka else "")
    return bare, text, year


class TitleIndex:
    """Title lookups for one data set: exact, forgiving (case, year, article, part) and fuzzy."""

    def __init__(self, items: pd.DataFrame) -> None:
        titles = items["title"].astype(str).to_numpy()
        keys = [title_key(t) for t in titles]
        self.titles = titles
        self.n_ratings = items["n_ratings"].to_numpy(np.int64)
        self.bare = pd.Series([k[0] for k in keys], dtype=object)
        # Padded with spaces so that ' word ' finds whole words with a plain substring test.
        self.text = pd.Series([f" {k[1]} " for k in keys], dtype=object)
        self.year = np.array([k[2] if k[2] is not None else -1 for k in keys], dtype=np.int64)
        self._exact: dict[str, list[int]] = {}
        self._by_bare: dict[str, list[int]] = {}
        for i, t in enumerate(titles):
            self._exact.setdefault(" ".join(t.casefold().split()), []).append(i)
            self._by_bare.setdefault(keys[i][0], []).append(i)

    def _most_rated(self, idx) -> list[int]:
        idx = list(idx)
        return sorted(idx, key=lambda i: (-self.n_ratings[i], i))

    def search(self, query: str, limit: int = 10) -> pd.DataFrame:
        """Titles matching `query`, best first: exact, same title, starts with, contains, fuzzy.

        Within a tier, the most-rated first. An empty query lists the most-rated titles.
        """
        rows: list[tuple[int, str]] = []
        seen: set[int] = set()

        def add(idx, match: str) -> None:
            for i in self._most_rated(idx):
                if i not in seen:
                    seen.add(i)
                    rows.append((i, match))

        query = str(query).strip()
        bare, text, year = title_key(query)
        if not bare:
            add(np.argsort(-self.n_ratings, kind="stable")[:limit], "popular")
        else:
            add(self._exact.get(" ".join(query.casefold().split()), []), "exact")
            add(self._year_ok(self._by_bare.get(bare, []), year), "title")
            if len(rows) < limit:
                starts = np.flatnonzero(
                    self.text.str.startswith(f" {text} ").to_numpy()
                    | self.bare.str.startswith(bare).to_numpy()
                )
                add(self._year_ok(starts, year), "starts with")
            if len(rows) < limit:
                words = np.flatnonzero(self.text.str.contains(f" {text} ", regex=False).to_numpy())
                add(self._year_ok(words, year), "contains")
            if len(rows) < limit:
                part = np.flatnonzero(self.text.str.contains(text, regex=False).to_numpy())
                add(self._year_ok(part, year), "contains")
            if len(rows) < limit:
                for key in self._close_keys(bare, limit):
                    add(self._year_ok(self._by_bare[key], year), "similar")
        rows = rows[:limit]
        idx = np.array([i for i, _ in rows], dtype=np.int64)
        return pd.DataFrame(
            {
                "item_index": idx,
                "title": self.titles[idx],
                "year": pd.array([y if y >= 0 else pd.NA for y in self.year[idx]], dtype="Int64"),
                "n_ratings": self.n_ratings[idx],
                "match": [m for _, m in rows],
            }
        )

    def _close_keys(self, bare: str, n: int) -> list[str]:
        """Titles spelled nearly like `bare` (difflib), whole or in their first words.

        Comparing with the title's start as well lets 'shawshenk' find 'shawshank redemption'.
        """
        keys = list(self._by_bare)
        width = len(bare.split())
        heads: dict[str, str] = {}
        for key in keys:
            heads.setdefault(" ".join(key.split()[:width]), key)
        close = difflib.get_close_matches(bare, keys, n=n, cutoff=0.6)
        close += [heads[h] for h in difflib.get_close_matches(bare, list(heads), n=n, cutoff=0.75)]
        return list(dict.fromkeys(close))[:n]

    def _year_ok(self, idx, year: int | None) -> list[int]:
        idx = list(idx)
        return idx if year is None else [i for i in idx if self.year[i] == year]

    def resolve(self, query: str) -> int:
        """The item index `query` names, or `UnknownItemError` listing the closest titles.

        Policy: an exact title (any case) wins; else the titles equal to the query once year,
        article and punctuation are set aside (the year, if given, must agree); else the titles
        that start with it; else those containing it. At the first tier with matches, a single
        distinct title wins (copies of one title: the most-rated copy), as does a title with
        `DOMINANCE` times the ratings of the runner-up; several comparable ones are ambiguous.
        """
        query = str(query).strip()
        exact = self._exact.get(" ".join(query.casefold().split()))
        if exact:
            return self._most_rated(exact)[0]
        bare, text, year = title_key(query)
        if not bare:
            raise UnknownItemError("Give a movie title (part of one is enough, e.g. 'godfather').")
        tiers = [
            lambda: self._by_bare.get(bare, []),
            lambda: np.flatnonzero(self.bare.str.startswith(bare).to_numpy()),
            lambda: np.flatnonzero(self.text.str.contains(f" {text} ", regex=False).to_numpy()),
            lambda: np.flatnonzero(self.text.str.contains(text, regex=False).to_numpy()),
        ]
        for tier in tiers:
            idx = self._most_rated(self._year_ok(tier(), year))
            if not idx:
                continue
            distinct = list(dict.fromkeys(self.titles[i] for i in idx))
            first, rest = idx[0], [i for i in idx if self.titles[i] != self.titles[idx[0]]]
            if len(distinct) == 1 or self.n_ratings[first] >= DOMINANCE * max(
                1, self.n_ratings[rest[0]]
            ):
                return first
            shown = ", ".join(repr(t) for t in distinct[:8])
            more = f" and {len(distinct) - 8} more" if len(distinct) > 8 else ""
            raise UnknownItemError(
                f"{query!r} matches {len(distinct)} movies: {shown}{more}. Give the full title "
                "(with the year if needed)."
            )
        bare_year = _BARE_YEAR.match(query)  # 'raiders of the lost ark 1981'
        if bare_year:
            return self.resolve(f"{bare_year.group(1)} ({bare_year.group(2)})")
        close = self.search(query, limit=5)
        if len(close):
            shown = ", ".join(repr(t) for t in close["title"])
            raise UnknownItemError(f"No movie matches {query!r}. Closest titles: {shown}.")
        raise UnknownItemError(f"No movie matches {query!r}; try a part of its title.")


def search_titles(dataset: Dataset, query: str, limit: int = 10) -> pd.DataFrame:
    """Ranked titles matching `query` (for movie pickers): item_index, title, year, n_ratings, match."""
    return TitleIndex(dataset.items).search(query, limit)


def find_item(dataset: Dataset, query: str | int) -> int:
    """The item index of a title (found forgivingly, see `TitleIndex.resolve`) or an int item id."""
    return _resolve(dataset, TitleIndex(dataset.items), query)


def _resolve(dataset: Dataset, index: TitleIndex, query) -> int:
    if isinstance(query, (int, np.integer)) and not isinstance(query, bool):
        i = int(dataset.item_index([query])[0])
        if i < 0:
            raise UnknownItemError(f"No movie has item id {query} in {dataset.name}.")
        return i
    return index.resolve(str(query))


# ---------------------------------------------------------------------------------------------
# The Explorer: arrays computed once per (dataset, model)


def is_dot_model(model: torch.nn.Module) -> bool:
    """True for `DotProductBias`, whose fold-in and explanations are exact."""
    try:
        from .models import DotProductBias
    except ImportError:  # pragma: no cover - models.py is part of the package
        return type(model).__name__ == "DotProductBias"
    return isinstance(model, DotProductBias)


def primary_genre(genres: list[str], rarity: dict[str, int]) -> str:
    """The most telling genre of a movie (for colouring): a fixed priority, then the rarest."""
    if not len(genres):
        return "(none)"
    known = [g for g in GENRE_PRIORITY if g in genres]
    if known:
        return known[0]
    return min(genres, key=lambda g: (rarity.get(g, 0), g))


@dataclass
class Neighbours:
    """The nearest movies to `query` (itself excluded) by `metric`."""

    query: str
    item_index: int
    metric: str
    table: (
        pd.DataFrame
    )  # rank, item_index, item_id, title, year, genres, n_ratings, similarity|distance


@dataclass
class EmbeddingMap:
    """Movies placed in 2 or 3 dimensions: `coords` has x, y (z) plus what a chart hovers and colours.

    `explained_variance` is the share of variance of each PCA component (None for t-SNE); `axes`
    gives for each component the movies at its low and high ends, to name the axis.
    """

    method: str
    coords: pd.DataFrame
    explained_variance: list[float] | None
    axes: list[dict] = field(default_factory=list)


class Explorer:
    """A trained model and its data set, with what analysis and recommendation reuse precomputed.

    Arrays (float32 numpy, CPU): `item_factors_` [n_items, d], `item_unit_` (rows scaled to unit
    length, for cosine), `item_bias_` [n_items], `user_factors_`, `user_bias_`, `n_ratings_`,
    `popularity_` (percentile of each item's number of ratings, 0-100), `item_seen_` and
    `user_seen_` (bool: trained on; rows of the others are zero and they are left out).
    """

    def __init__(self, dataset: Dataset, model: torch.nn.Module) -> None:
        n_items = int(getattr(model, "n_items", model.item_factors().shape[0]))
        n_users = int(getattr(model, "n_users", model.user_factors().shape[0]))
        if n_items != dataset.n_items or n_users != dataset.n_users:
            raise ConfigError(
                f"This model was trained on {n_users:,} users and {n_items:,} items, but "
                f"{dataset.name} has {dataset.n_users:,} and {dataset.n_items:,}: it belongs to "
                "another data set. Train (or load) a model for this one."
            )
        self.dataset = dataset
        self.model = model.eval()
        self.is_dot = is_dot_model(model)
        self.y_range = tuple(float(v) for v in model.y_range)
        self.item_factors_ = _array(model.item_factors())
        self.user_factors_ = _array(model.user_factors())
        self.item_bias_ = _array(model.item_bias()).reshape(-1)
        self.user_bias_ = _array(model.user_bias()).reshape(-1)
        # Items (users) whose ratings all fell in the validation split were never trained: their
        # rows are still the random start. `predict` ignores them, and so does everything here.
        self.item_seen_ = _mask(model, "item_seen", n_items)
        self.user_seen_ = _mask(model, "user_seen", n_users)
        self.item_factors_[~self.item_seen_] = 0.0
        self.item_bias_[~self.item_seen_] = 0.0
        self.user_factors_[~self.user_seen_] = 0.0
        self.user_bias_[~self.user_seen_] = 0.0
        norms = np.linalg.norm(self.item_factors_, axis=1, keepdims=True)
        self.item_unit_ = self.item_factors_ / np.maximum(norms, 1e-8)
        items = dataset.items
        self.n_ratings_ = items["n_ratings"].to_numpy(np.int64)
        self.popularity_ = (pd.Series(self.n_ratings_).rank(pct=True).to_numpy() * 100).astype(
            np.float32
        )
        self.titles = TitleIndex(items)
        # Copies of one title share a code, so "leave out the query's title" is an int compare.
        self.title_code_ = pd.factorize(self.titles.titles)[0]
        counts: dict[str, int] = {}
        for gs in items["genres"]:
            for g in gs:
                counts[g] = counts.get(g, 0) + 1
        self.genre_counts = counts
        # Plain numpy columns: pandas' Arrow-backed strings would convert on every lookup.
        self._item_id = items["item_id"].to_numpy()
        self._year = items["year"].array
        self._genres = np.array(["|".join(g) for g in items["genres"]], dtype=object)
        self._mean_rating = items["mean_rating"].to_numpy(np.float64)
        self._global_logit: float | None = None
        self.cache: dict[str, object] = {}  # what recommend.py derives once (mean user, ...)

    def cached(self, key: str, make):
        """`make()` the first time `key` is asked for, the stored value after that."""
        if key not in self.cache:
            self.cache[key] = make()
        return self.cache[key]

    # -- lookups ------------------------------------------------------------------------------

    def search(self, query: str, limit: int = 10) -> pd.DataFrame:
        """Ranked titles matching `query` (see `TitleIndex.search`)."""
        return self.titles.search(query, limit)

    def resolve(self, query: str | int) -> int:
        """Item index of a title (forgiving, see `TitleIndex.resolve`) or an int item id."""
        return _resolve(self.dataset, self.titles, query)

    def global_logit(self) -> float:
        """The global bias in logit space, read back from `predict` so no attribute is assumed.

        Dot model: predict = sigmoid_range(u.v + b_u + b_i + g), so g is the logit of a prediction
        minus the rest (the median over a few seen pairs guards against saturation). Neural model:
        the logit of its prediction for an unknown user and item (its `global_logit`).
        """
        if self._global_logit is None:
            if self.is_dot:
                sample = self.dataset.ratings.iloc[:: max(1, len(self.dataset.ratings) // 64)]
                u, i, _ = self.dataset.encode(sample.head(64))
                pred = self._predict(u, i)
                rest = (
                    (self.user_factors_[u] * self.item_factors_[i]).sum(1)
                    + self.user_bias_[u]
                    + self.item_bias_[i]
                )
                self._global_logit = float(np.median(self.to_logit(pred) - rest))
            else:
                self._global_logit = float(self.to_logit(self._predict([-1], [-1]))[0])
        return self._global_logit

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

    def to_logit(self, r) -> np.ndarray:
        """Inverse of sigmoid_range over `y_range`, clipped so ratings at its ends stay finite."""
        lo, hi = self.y_range
        p = np.clip((np.asarray(r, np.float64) - lo) / (hi - lo), 1e-3, 1 - 1e-3)
        return np.log(p / (1 - p))

    def from_logit(self, z) -> np.ndarray:
        lo, hi = self.y_range
        return lo + (hi - lo) / (1 + np.exp(-np.asarray(z, np.float64)))

    def item_table(self, idx) -> pd.DataFrame:
        """Title, year, genres, number and mean of ratings, bias of the items `idx`, in that order."""
        idx = np.asarray(idx, dtype=np.int64)
        return pd.DataFrame(
            {
                "item_index": idx,
                "item_id": self._item_id[idx],
                "title": self.titles.titles[idx],
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
        _check_int("top", top, 1)
        _check_int("min_ratings", min_ratings, 0)
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
        z = self.to_logit(self._predict(su, si)) - self.item_bias_[si] + self.item_bias_.mean()
        without = self.from_logit(z)
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
    ) -> EmbeddingMap:
        """Item factors of the `n_items` most-rated movies projected to 2 or 3 dimensions.

        PCA (the lesson's choice) gives the explained variance of each component and the movies
        at both ends of each axis; t-SNE keeps neighbourhoods instead and is slower (seconds).
        """
        if method not in MAP_METHODS:
            raise ConfigError(
                f"Unknown map method {method!r}; use one of {', '.join(MAP_METHODS)}."
            )
        if n_components not in (2, 3):
            raise ConfigError(f"n_components must be 2 or 3, not {n_components!r}.")
        _check_int("n_items", n_items, n_components + 1)
        order = np.argsort(-self.n_ratings_, kind="stable")
        idx = order[self.item_seen_[order]][:n_items]
        x = self.item_factors_[idx]
        from threadpoolctl import threadpool_limits

        # One thread: these are small problems, and OpenMP/BLAS threads that spin-wait on a busy or
        # small machine made t-SNE 10-20x slower in our measurements (5 s instead of 0.3 s).
        with threadpool_limits(1):
            if method == "pca":
                from sklearn.decomposition import PCA

                pca = PCA(n_components=n_components, random_state=seed)
                xy = pca.fit_transform(x)
                explained = [float(v) for v in pca.explained_variance_ratio_]
            else:
                from sklearn.manifold import TSNE

                xy = TSNE(
                    n_components=n_components,
                    perplexity=min(30.0, (len(idx) - 1) / 3),
                    init="pca",
                    max_iter=500,  # enough for maps of a few thousand movies; halves the time
                    random_state=seed,
                ).fit_transform(x)
                explained = None
        coords = self.item_table(idx)
        coords["primary_genre"] = [
            primary_genre(g.split("|") if g else [], self.genre_counts) for g in coords["genres"]
        ]
        names = "xyz"[:n_components]
        for c, name in enumerate(names):
            coords[name] = xy[:, c].astype(np.float32)
        axes = []
        titles = coords["title"].to_numpy()
        for c, name in enumerate(names):
            order = np.argsort(xy[:, c], kind="stable")
            axes.append(
                {
                    "component": name,
                    "explained_variance": explained[c] if explained else None,
                    "low": list(titles[order[:n_ends]]),
                    "high": list(titles[order[::-1][:n_ends]]),
                }
            )
        return EmbeddingMap(method=method, coords=coords, explained_variance=explained, axes=axes)

    # -- nearest movies -----------------------------------------------------------------------

    def similar(
        self, item: str | int, *, k: int = 10, metric: str = "cosine", min_ratings: int = 0
    ) -> Neighbours:
        """The `k` movies whose item factors are nearest `item` (a title or an int item id).

        Cosine similarity by default (the angle: taste direction, whatever the strength),
        Euclidean distance as an option. The query and copies of its title are left out.
        """
        _check_int("k", k, 1)
        _check_int("min_ratings", min_ratings, 0)
        if metric not in METRICS:
            raise ConfigError(f"Unknown metric {metric!r}; use one of {', '.join(METRICS)}.")
        q = self.resolve(item)
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

    def recommend(self, ratings=(), **kwargs):
        """Top-k movies for a new user who gave `ratings`; see `recommend.recommend`."""
        from .recommend import recommend_for

        return recommend_for(self, ratings, **kwargs)


def _array(t: torch.Tensor) -> np.ndarray:
    """A float32 numpy copy: `.numpy()` alone would share memory with the model's weights."""
    return np.array(t.detach().cpu().float().numpy(), dtype=np.float32, copy=True)


def _mask(model: torch.nn.Module, name: str, n: int) -> np.ndarray:
    mask = getattr(model, name, None)
    return np.ones(n, bool) if mask is None else mask.detach().cpu().numpy().astype(bool).copy()


def _check_int(name: str, value, minimum: int) -> None:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < minimum:
        raise ConfigError(f"{name} must be a whole number of at least {minimum}, not {value!r}.")


def bias_ranking(dataset: Dataset, model: torch.nn.Module, **kwargs) -> pd.DataFrame:
    """Highest and lowest biases with what sets them apart from averages (see `Explorer.biases`)."""
    return Explorer(dataset, model).biases(**kwargs)


def embedding_map(dataset: Dataset, model: torch.nn.Module, **kwargs) -> EmbeddingMap:
    """PCA or t-SNE map of the most-rated movies (see `Explorer.embedding_map`)."""
    return Explorer(dataset, model).embedding_map(**kwargs)


def similar_items(
    dataset: Dataset, model: torch.nn.Module, item: str | int, **kwargs
) -> Neighbours:
    """Nearest movies to a title or item id (see `Explorer.similar`)."""
    return Explorer(dataset, model).similar(item, **kwargs)
