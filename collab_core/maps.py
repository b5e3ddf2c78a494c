"""The embedding map: movies' factors in 2-D or 3-D (PCA, t-SNE, UMAP), and what each axis follows.

`project` places the vectors; `traits` measures what a reader can check a direction against (bias,
popularity, year, mean rating, genres); `Axis` names a PCA axis by its end movies and by the
traits it follows, in words. `embedding_map` puts them together (`Explorer.embedding_map` picks
the movies and keeps each map per model). Which titles to print on the map is `labels.py`;
drawing it, `map_figure.py`.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from .errors import ConfigError
from .titles import display_title

MAP_METHODS = ("pca", "tsne", "umap")
METHOD_NAMES = {"pca": "PCA", "tsne": "t-SNE", "umap": "UMAP"}
# What a map can be coloured by: highlighted genres against grey, or a column on a scale.
COLOURINGS = {
    "genres": "Genres (highlighted)",
    "year": "Year",
    "bias": "Bias",
    "n_ratings": "Popularity (number of ratings)",
    "mean_rating": "Mean rating",
}
# The numeric traits, each with what more of it looks like and what less of it looks like.
TRAIT_WORDS = {
    "popularity": ("more-rated movies", "less-rated movies"),
    "year": ("newer movies", "older movies"),
    "bias": ("movies with a higher bias", "movies with a lower bias"),
    "mean rating": ("better-rated movies", "worse-rated movies"),
}
# Where the high end of each component is on screen.
SIDES = {"x": ("right", "left"), "y": ("top", "bottom"), "z": ("front", "back")}
MIN_GENRE_MOVIES = 10  # genres with fewer movies on the map give noisy correlations: left out
STRONG = 0.3  # |r| from which an axis is said to follow a trait (in its title)
# Seconds per movie of a first run on a loaded 2-core CPU (benchmarks/map_methods.py), and the
# one-off cost of compiling UMAP (numba) the first time a server process runs it.
SECONDS_PER_MOVIE = {"pca": 2e-5, "tsne": 1.2e-2, "umap": 1.3e-3}
UMAP_COMPILE_S = 40  # 13 s with numba's cache on disk, 40-47 s on a busy machine without
UMAP_SEARCH_COMPILE_S = 40  # its approximate neighbour search, used above EXACT_NEIGHBOURS_MAX
UMAP_NEIGHBOURS = 15
ASK_FIRST_S = 60  # a first run expected to take longer waits for the reader to ask for it
EXACT_NEIGHBOURS_MAX = 20_000  # beyond, UMAP's approximate search is faster (60k: 61 s here)
Progress = Callable[[float, str], None]


@dataclass
class Axis:
    """One component of a map: the movies at its ends and how it correlates with each trait.

    `correlations` holds Pearson's r of the movies' coordinate with each trait (a genre's trait is
    1 for a movie listing it, 0 otherwise), strongest |r| first. `low`/`high` are the movies at
    the two ends; for t-SNE and UMAP (`explained_variance` None) directions mean nothing, so pages
    say so instead of naming them.
    """

    component: str  # "x", "y" or "z"
    method: str
    explained_variance: float | None
    low: list[str]
    high: list[str]
    correlations: pd.Series = field(default_factory=lambda: pd.Series(dtype=float))

    @property
    def name(self) -> str:
        """'PC1' for PCA; 'UMAP x' otherwise."""
        if self.method == "pca":
            return f"PC{'xyz'.index(self.component) + 1}"
        return f"{METHOD_NAMES[self.method]} {self.component}"

    @property
    def meaningful(self) -> bool:
        """Whether the direction itself means something (PCA), rather than only neighbourhoods."""
        return self.explained_variance is not None

    def strongest(self, k: int = 2) -> list[tuple[str, float]]:
        """The `k` traits with the largest |r|, as (trait, r)."""
        return [(str(t), float(r)) for t, r in self.correlations.head(k).items()]

    def where(self, trait: str, r: float) -> str:
        """'newer movies to the right' for year with r > 0 on x."""
        high_side, low_side = SIDES[self.component]
        more = _words(trait)[0]
        return f"{more} to the {high_side if r > 0 else low_side}"

    def sentence(self) -> str:
        """'PC1 follows popularity (r = −0.61: more-rated movies to the left) and year (…).'"""
        top = self.strongest(2)
        if not top:
            return f"{self.name}: no trait to compare it with."
        parts = [f"{t} (r = {_signed(r)}: {self.where(t, r)})" for t, r in top]
        if abs(top[0][1]) < STRONG:
            return (
                f"{self.name} follows none of the measured traits strongly; the closest are "
                + " and ".join(parts)
                + "."
            )
        return f"{self.name} follows " + " and ".join(parts) + "."

    def ends_text(self, k: int = 3) -> str:
        """'← Dirty Dancing · First Knight · … Big Night →': `k` titles at each end, as labels."""
        low, high = (" · ".join(display_title(t) for t in ts[:k]) for ts in (self.low, self.high))
        return f"← {low} … {high} →"

    def ends(self) -> tuple[str, str]:
        """What the low and the high end hold, by the strongest trait ('older', 'newer'), if strong."""
        top = self.strongest(1)
        if not top or abs(top[0][1]) < STRONG:
            return "", ""
        trait, r = top[0]
        more, less = _words(trait)
        return (less, more) if r > 0 else (more, less)

    def title(self, short: bool = False) -> str:
        """The plot's axis title: '← older movies · PC1, 12.3% of variance · newer movies →';
        `short` (for 3-D, whose axes turn with the camera): 'PC1 (12%) → newer movies'."""
        if not self.meaningful:
            return (
                self.name if short else f"{self.name} (no meaning of its own: read neighbourhoods)"
            )
        low, high = self.ends()
        if short:
            return f"{self.name} ({self.explained_variance:.0%})" + (f" → {high}" if high else "")
        head = f"{self.name}, {self.explained_variance:.1%} of variance"
        return f"← {low}  ·  {head}  ·  {high} →" if low else head


@dataclass
class EmbeddingMap:
    """Movies placed in 2 or 3 dimensions.

    `coords` is indexed by item index and has x, y (z), item_index, item_id, title, year, genres
    ("A|B"), n_ratings, mean_rating, bias. `explained_variance` is the share of variance of each
    PCA component (None for t-SNE and UMAP); `axes` describes each component.
    """

    method: str
    coords: pd.DataFrame
    explained_variance: list[float] | None
    axes: list[Axis] = field(default_factory=list)

    @property
    def n_components(self) -> int:
        return len(self.axes)

    def correlation_table(self) -> pd.DataFrame:
        """Traits × axes: r of each trait with each component (rows sorted by the largest |r|)."""
        t = pd.DataFrame({a.name: a.correlations for a in self.axes})
        return t.loc[t.abs().max(axis=1).sort_values(ascending=False).index]

    def telling_genres(self, k: int = 1) -> list[str]:
        """The `k` genres the axes follow most (largest |r| on any axis): a colouring that shows
        what the map separates."""
        t = self.correlation_table()
        return [g for g in t.index if g not in TRAIT_WORDS][:k]


def reading_note(method: str) -> str:
    """How to read a map whose axes mean nothing (t-SNE, UMAP)."""
    return (
        f"{METHOD_NAMES[method]} places movies whose embeddings are alike near each other; its "
        "axes have no meaning of their own (turn the map and it says the same). Read "
        "neighbourhoods: the titles near each other, and where a highlighted genre gathers."
    )


def check_method(method: str, n_components: int) -> None:
    """`ConfigError` unless `method` is a map method and `n_components` 2 or 3."""
    if method not in MAP_METHODS:
        raise ConfigError(f"Unknown map method {method!r}; use one of {', '.join(MAP_METHODS)}.")
    if n_components not in (2, 3):
        raise ConfigError(f"n_components must be 2 or 3, not {n_components!r}.")


def project(
    x: np.ndarray,
    method: str = "pca",
    n_components: int = 2,
    *,
    seed: int = 42,
    progress: Progress | None = None,
) -> tuple[np.ndarray, list[float] | None]:
    """Rows of `x` [n, d] placed in `n_components` dimensions: (coordinates [n, k], explained
    variance ratio of each component for PCA, else None).

    PCA keeps the directions of greatest variance (the lesson's choice, milliseconds). t-SNE and
    UMAP keep neighbourhoods instead; both are seeded (same seed, same layout) and take seconds
    to minutes. UMAP compares movies by cosine, as the Similar page does; `progress(fraction,
    text)` follows its epochs.
    """
    check_method(method, n_components)
    x = np.asarray(x, dtype=np.float32)
    if x.ndim != 2 or len(x) < n_components + 2:
        raise ConfigError(
            f"A map needs at least {n_components + 2} movies with factors, not {len(x)}."
        )
    from threadpoolctl import threadpool_limits

    # One thread: these are small problems, and OpenMP/BLAS threads that spin-wait on a busy or
    # small machine made t-SNE 10-20x slower in our measurements (5 s instead of 0.3 s).
    with threadpool_limits(1):
        if method == "pca":
            from sklearn.decomposition import PCA

            pca = PCA(n_components=n_components, random_state=seed)
            return pca.fit_transform(x), [float(v) for v in pca.explained_variance_ratio_]
        if method == "tsne":
            from sklearn.manifold import TSNE

            if progress:
                progress(0.0, f"t-SNE of {len(x):,} movies…")
            xy = TSNE(
                n_components=n_components,
                perplexity=min(30.0, (len(x) - 1) / 3),
                init="pca",
                max_iter=500,  # enough for maps of a few thousand movies; halves the time
                random_state=seed,
            ).fit_transform(x)
            return xy, None
        return _umap(x, n_components, seed, progress), None


def _umap(x: np.ndarray, n_components: int, seed: int, progress: Progress | None) -> np.ndarray:
    name = f"UMAP of {len(x):,} movies"
    if progress:
        progress(0.0, f"{name}: loading UMAP (compiled on first use)…")
    import umap  # imported here: its first import compiles for seconds

    k = min(UMAP_NEIGHBOURS, len(x) - 1)
    knn = None
    if len(x) <= EXACT_NEIGHBOURS_MAX:
        knn = _cosine_neighbours(x, k, progress, name)
    elif progress:
        progress(0.05, f"{name}: finding each movie's nearest neighbours…")
    reporter = _EpochReporter(progress, name) if progress else None
    model = umap.UMAP(
        n_components=n_components,
        n_neighbors=k,
        metric="cosine",
        random_state=seed,  # with one thread: the same seed gives the same layout
        n_jobs=1,
        precomputed_knn=knn or (None, None, None),
        tqdm_kwds=reporter.tqdm_kwds() if reporter else None,
    )
    with warnings.catch_warnings():  # "transform will be unavailable": we never transform
        warnings.filterwarnings("ignore", "precomputed_knn", UserWarning)
        return np.asarray(model.fit_transform(x), dtype=np.float32)


def _cosine_neighbours(
    x: np.ndarray, k: int, progress: Progress | None, name: str, chunk: int = 1024
) -> tuple[np.ndarray, np.ndarray]:
    """Each row's `k` nearest rows by cosine distance (itself first): (indices, distances).

    Exact, by blocks of a matrix product. UMAP would do this itself, but for fewer than 4,096
    rows it loops over the pairs in Python (10 s at 1,682 movies; this takes 0.1 s), and above
    that its approximate search compiles for about 40 s on first use.
    """
    unit = x / np.maximum(np.linalg.norm(x, axis=1, keepdims=True), 1e-12)
    n = len(unit)
    idx = np.empty((n, k), np.int64)
    dist = np.empty((n, k), np.float32)
    for start in range(0, n, chunk):
        sim = unit[start : start + chunk] @ unit.T  # [chunk, n]
        part = np.argpartition(-sim, k - 1, axis=1)[:, :k]
        top = np.take_along_axis(sim, part, axis=1)
        order = np.argsort(-top, axis=1, kind="stable")
        idx[start : start + chunk] = np.take_along_axis(part, order, axis=1)
        dist[start : start + chunk] = 1 - np.take_along_axis(top, order, axis=1)
        if progress:
            done = min(start + chunk, n) / n
            progress(0.05 + 0.15 * done, f"{name}: nearest neighbours of {done:.0%} of them…")
    return idx, np.maximum(dist, 0)


class _EpochReporter:
    """A file for UMAP's tqdm bar (its documented `tqdm_kwds`) that turns "n/total" into progress."""

    def __init__(self, progress: Progress, name: str) -> None:
        self.progress, self.name = progress, name

    def tqdm_kwds(self) -> dict:
        return {"disable": False, "file": self, "bar_format": "{n}/{total}\n", "mininterval": 0.25}

    def write(self, text: str) -> None:
        done, _, total = text.strip().partition("/")
        if done.isdigit() and total.isdigit() and int(total):
            f = int(done) / int(total)
            self.progress(0.2 + 0.8 * f, f"{self.name}: layout, epoch {done}/{total}")

    def flush(self) -> None:
        pass


def traits(
    coords: pd.DataFrame,
    genres: pd.DataFrame | None = None,
    min_genre_movies: int = MIN_GENRE_MOVIES,
) -> pd.DataFrame:
    """What a direction can be checked against, one column per trait, one row per movie.

    popularity is log10 of the number of ratings (counts span decades); year and mean rating
    as they are (NaN where unknown); each genre listed by at least `min_genre_movies` of the
    movies (and not by all) is 1 for a movie listing it, 0 otherwise. `genres` (0/1, one column
    per genre, rows as `coords`) saves splitting `coords["genres"]`.
    """
    t = pd.DataFrame(
        {
            "bias": coords["bias"].to_numpy(np.float64),
            "popularity": np.log10(np.maximum(coords["n_ratings"].to_numpy(np.float64), 1)),
            "year": pd.to_numeric(coords["year"], errors="coerce").to_numpy(np.float64),
            "mean rating": coords["mean_rating"].to_numpy(np.float64),
        },
        index=coords.index,
    )
    if genres is None:
        genres = coords["genres"].fillna("").astype(str).str.get_dummies(sep="|")
    counts = genres.sum()
    keep = counts[(counts >= min_genre_movies) & (counts < len(coords))].index
    return pd.concat([t, genres[sorted(keep)].astype(np.float64)], axis=1)


def correlations(values: np.ndarray, table: pd.DataFrame) -> pd.Series:
    """Pearson's r of `values` with each column of `table` (NaN rows left out per column),
    sorted by |r|, largest first; columns that do not vary are left out."""
    v = np.asarray(values, np.float64)
    out = {}
    for name in table.columns:
        col = table[name].to_numpy(np.float64)
        ok = np.isfinite(col) & np.isfinite(v)
        a, b = v[ok], col[ok]
        if len(a) < 3 or a.std() == 0 or b.std() == 0:
            continue
        a, b = a - a.mean(), b - b.mean()
        out[name] = float((a * b).sum() / math.sqrt((a * a).sum() * (b * b).sum()))
    r = pd.Series(out, dtype=float)
    return r.iloc[np.argsort(-r.abs().to_numpy(), kind="stable")]


def embedding_map(
    x: np.ndarray,
    table: pd.DataFrame,
    *,
    genres: pd.DataFrame | None = None,
    method: str = "pca",
    n_components: int = 2,
    n_ends: int = 5,
    seed: int = 42,
    progress: Progress | None = None,
) -> EmbeddingMap:
    """Movies' factors `x` [n, d] projected by `method`, with their axes described (`Axis`).

    `table` holds one row per movie (title, year, genres, n_ratings, mean_rating, bias; indexed
    by item index); `genres` its 0/1 genre columns if at hand (see `traits`).
    """
    xy, explained = project(x, method, n_components, seed=seed, progress=progress)
    coords = table.copy()
    names = "xyz"[:n_components]
    for c, name in enumerate(names):
        coords[name] = xy[:, c].astype(np.float32)
    measured = traits(coords, genres)
    titles = coords["title"].to_numpy()
    axes = []
    for c, name in enumerate(names):
        ends = np.argsort(xy[:, c], kind="stable")
        axes.append(
            Axis(
                component=name,
                method=method,
                explained_variance=explained[c] if explained else None,
                low=list(titles[ends[:n_ends]]),
                high=list(titles[ends[::-1][:n_ends]]),
                correlations=correlations(xy[:, c], measured),
            )
        )
    return EmbeddingMap(method=method, coords=coords, explained_variance=explained, axes=axes)


def first_run_seconds(method: str, n: int) -> float:
    """A rough first-run time of a map of `n` movies on a 2-core CPU (not counting compiling)."""
    return SECONDS_PER_MOVIE[method] * n


def cost_note(method: str, n: int) -> str | None:
    """What a first run of `method` on `n` movies costs, in words; None when it is instant."""
    if method == "pca":
        return None
    extra = ""
    if method == "umap":
        compile_s = UMAP_COMPILE_S + (UMAP_SEARCH_COMPILE_S if n > EXACT_NEIGHBOURS_MAX else 0)
        extra = f" (plus up to {_duration(compile_s)} compiling UMAP, once per server)"
    return (
        f"{METHOD_NAMES[method]} of {n:,} movies takes about "
        f"{_duration(first_run_seconds(method, n))} on a 2-core CPU the first time{extra}; "
        "then it is kept for this model and comes back at once."
    )


def genre_groups(coords: pd.DataFrame, genres: Sequence[str]) -> pd.Series:
    """For highlighting genres: each movie's first genre among `genres` that it lists, else ""."""
    listed = "|" + coords["genres"].fillna("").astype(str) + "|"
    out = pd.Series("", index=coords.index, dtype=object)
    for g in reversed(list(genres)):  # the first chosen genre wins: assigned last
        out[listed.str.contains(f"|{g}|", regex=False).to_numpy()] = g
    return out


def select_region(
    coords: pd.DataFrame,
    *,
    box: Sequence[Sequence[float]] | None = None,
    lasso: Sequence[Sequence[float]] | None = None,
    x: str = "x",
    y: str = "y",
) -> list[int]:
    """Item indices of the movies inside a box ((x0, x1), (y0, y1)) or a lasso ((xs), (ys)):
    every movie of the map, drawn as a point or only in its density layer."""
    px, py = coords[x].to_numpy(np.float64), coords[y].to_numpy(np.float64)
    inside = np.zeros(len(coords), bool)
    if box is not None:
        (x0, x1), (y0, y1) = sorted(box[0]), sorted(box[1])
        inside |= (px >= x0) & (px <= x1) & (py >= y0) & (py <= y1)
    if lasso is not None:
        vx, vy = np.asarray(lasso[0], np.float64), np.asarray(lasso[1], np.float64)
        crossings = np.zeros(len(coords), bool)
        for i in range(len(vx)):  # even-odd rule: count crossings of a ray to the right
            ax, ay, bx, by = vx[i - 1], vy[i - 1], vx[i], vy[i]
            if ay == by:
                continue
            spans = (py >= min(ay, by)) & (py < max(ay, by))
            at = ax + (py - ay) * (bx - ax) / (by - ay)
            crossings ^= spans & (px < at)
        inside |= crossings
    return [int(i) for i in coords.index[inside]]


def _words(trait: str) -> tuple[str, str]:
    """(more of it, less of it) in words; a genre is 'Horror films' against 'other films'."""
    return TRAIT_WORDS.get(trait, (f"{trait} films", "other films"))


def _signed(r: float) -> str:
    return f"{r:+.2f}".replace("-", "−")


def _duration(s: float) -> str:
    if s < 1:
        return "a second"
    if s < 90:
        return f"{max(1, round(s / 5) * 5) if s > 10 else round(s)} s"
    return f"{round(s / 60)} min"
