"""MovieLens-like synthetic ratings of any size, for benchmarks and scale tests.

The generator mimics the statistics that make MovieLens hard to train on and to show: long-tail item
popularity (Zipf-like), skewed user activity (log-normal, at least 20 ratings per user), ratings from
latent factors plus biases plus noise rounded to the data's scale, and per-user rating sessions for
timestamps. Everything is vectorised numpy with int32 ids and float32 ratings, so ML-25M-sized data
(25 million ratings) takes seconds and well under 2 GB to make. The same config and seed give the
same data, byte for byte.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
import pandas as pd

from .data import Dataset, make_dataset
from .errors import ConfigError

# MovieLens' own genre vocabulary and the share of movies listing each (%, ML-25M movies.csv).
GENRE_SHARES: dict[str, float] = {
    "Drama": 25.6, "Comedy": 16.9, "Thriller": 8.7, "Romance": 7.6, "Action": 7.5, "Horror": 5.8,
    "Documentary": 5.5, "Crime": 5.4, "Adventure": 4.4, "Sci-Fi": 3.8, "Children": 2.8,
    "Animation": 2.7, "Mystery": 2.6, "Fantasy": 2.6, "War": 1.6, "Western": 1.0, "Musical": 1.0,
    "Film-Noir": 0.3, "IMAX": 0.2,
}  # fmt: skip
GENRES: tuple[str, ...] = tuple(GENRE_SHARES)
_GENRE_WEIGHTS = np.array(list(GENRE_SHARES.values()))
_SCALES = ("stars", "half_stars")
_FIRST_TS = 820_454_400  # 1996-01-01, when MovieLens started collecting ratings
_LAST_TS = 1_574_208_000  # 2019-11-20, the end of ML-25M
_CHUNK = 1 << 21  # pairs per chunk when computing ratings: keeps temporaries near 100 MB


@dataclass(frozen=True)
class SyntheticConfig:
    """How much data to make and how it is shaped; `None` sizes follow MovieLens' proportions.

    `n_users` defaults to one user per 150 ratings (ML-25M has 154), `n_items` to `n_ratings ** 0.644`
    (1,682 items at 100k ratings, 58,000 at 25M, like ML-100k and ML-25M). Items nobody rated are
    left out of the `Dataset`, as in MovieLens, so it can hold slightly fewer than `n_items`.
    """

    n_ratings: int = 100_000
    n_users: int | None = None
    n_items: int | None = None
    scale: str = "stars"  # "stars": integers 1-5 (ML-100k/1M); "half_stars": 0.5-5 (ML-10M/25M)
    min_user_ratings: int = 20  # MovieLens keeps only users with at least 20 ratings
    activity_sigma: float = 1.4  # log-normal spread per user (ML-25M: median 71, mean 154)
    popularity_exponent: float = 1.1  # Zipf exponent of item popularity
    popularity_offset: float = 10.0  # flattens the very head, like real top-10 charts
    n_factors: int = 8
    noise: float = 0.8  # std of per-rating noise; with rounding the best RMSE is near 0.85
    mean: float = 3.45  # popular items are both rated more and higher, so the data mean is ~3.55
    seed: int = 42

    def resolved(self) -> SyntheticConfig:
        """This config with default sizes filled in and every value checked."""
        n = int(self.n_ratings)
        if n < 1:
            raise ConfigError(f"n_ratings must be a positive number, not {self.n_ratings}.")
        n_users = int(self.n_users) if self.n_users is not None else max(1, round(n / 150))
        n_items = int(self.n_items) if self.n_items is not None else max(20, round(n**0.644))
        if self.scale not in _SCALES:
            raise ConfigError(f"scale must be one of {_SCALES}, not {self.scale!r}.")
        if n_users < 1 or n_items < 2:
            raise ConfigError(f"Need at least 1 user and 2 items, not {n_users} and {n_items}.")
        min_r = min(self.min_user_ratings, n_items // 2)
        if n < n_users * max(1, min_r):
            raise ConfigError(
                f"{n:,} ratings cannot give {n_users:,} users {min_r} ratings each; ask for at "
                f"least {n_users * min_r:,} ratings or at most {n // max(1, min_r):,} users."
            )
        # Nobody rates more than half the catalogue, which keeps sampling without duplicates fast.
        if n > n_users * (n_items // 2):
            raise ConfigError(
                f"{n:,} ratings from {n_users:,} users over {n_items:,} items would fill more than "
                "half of the user-item matrix; add users or items."
            )
        if self.n_factors < 1 or self.noise < 0 or self.activity_sigma < 0:
            raise ConfigError("n_factors must be >= 1 and noise, activity_sigma >= 0.")
        return replace(self, n_ratings=n, n_users=n_users, n_items=n_items)


# Sizes of the GroupLens releases (ratings, users, movies rated) and their rating scales.
PRESETS: dict[str, SyntheticConfig] = {
    "ml-100k": SyntheticConfig(100_000, 943, 1_682, "stars"),
    "ml-1m": SyntheticConfig(1_000_209, 6_040, 3_706, "stars"),
    # The larger releases hold many obscure movies: a steeper law with a flat head fits their tail
    # (ML-25M-like: median movie 17 ratings, a third of movies under 10, top movie 0.25%).
    "ml-10m": SyntheticConfig(
        10_000_054,
        69_878,
        10_677,
        "half_stars",
        popularity_exponent=1.9,
        popularity_offset=200.0,
        mean=3.3,
    ),
    "ml-25m": SyntheticConfig(
        25_000_095,
        162_541,
        59_047,
        "half_stars",
        popularity_exponent=1.9,
        popularity_offset=200.0,
        mean=3.3,
    ),
}


def preset(name: str, **overrides) -> SyntheticConfig:
    """The config of a MovieLens-sized preset ("ml-100k", "ml-1m", "ml-10m", "ml-25m")."""
    key = name.lower().replace("_", "-")
    if key not in PRESETS:
        raise ConfigError(f"Unknown synthetic preset {name!r}; choose one of {sorted(PRESETS)}.")
    return replace(PRESETS[key], **overrides)


def generate(config: SyntheticConfig | str | None = None, **overrides) -> Dataset:
    """A MovieLens-like `Dataset`: `generate("ml-1m")`, `generate(n_ratings=5_000_000, seed=1)`."""
    if isinstance(config, str):
        config = preset(config)
    config = replace(config or SyntheticConfig(), **overrides).resolved()
    ratings, items = generate_frames(config)
    name = next(
        (k for k, v in PRESETS.items() if v == replace(config, seed=v.seed)),
        f"synthetic-{config.n_ratings}",
    )
    return make_dataset(
        ratings,
        items,
        name=f"synthetic {name}" if name in PRESETS else name,
        source=f"collab_core.synthetic seed={config.seed}",
        notes=[
            f"Synthetic data: {config.n_ratings:,} ratings, {config.n_users:,} users, "
            f"{config.n_items:,} items, seed {config.seed}."
        ],
    )


def generate_frames(config: SyntheticConfig) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The (ratings, items) frames behind `generate`, in the standard columns of `data.py`."""
    cfg = config.resolved()
    n, n_users, n_items = cfg.n_ratings, cfg.n_users, cfg.n_items
    # Independent streams per stage, so changing one stage never shifts the others.
    rng_act, rng_pop, rng_pairs, rng_items, rng_rate, rng_time = (
        np.random.default_rng(s) for s in np.random.SeedSequence(cfg.seed).spawn(6)
    )

    counts = _user_counts(rng_act, n, n_users, n_items, cfg)
    zipf = _Zipf(rng_pop, n_items, cfg.popularity_exponent, cfg.popularity_offset)
    keys = _sample_pairs(rng_pairs, counts, zipf)  # sorted user * n_items + item
    users = (keys // n_items).astype(np.int32)
    item_idx = (keys % n_items).astype(np.int32)
    del keys

    items, item_factors, genre_bias = _items(rng_items, n_items, cfg)
    rating = _ratings(rng_rate, users, item_idx, zipf.p, item_factors, genre_bias, cfg)
    timestamp = _timestamps(rng_time, users, n_users)
    # copy=False keeps the four columns as they are instead of copying them into blocks (2 s at 25M).
    ratings = pd.DataFrame(
        {
            "user_id": users + np.int32(1),  # ids start at 1, like MovieLens
            "item_id": item_idx + np.int32(1),
            "rating": rating,
            "timestamp": timestamp,
        },
        copy=False,
    )
    return ratings, items


def _user_counts(
    rng: np.random.Generator, n: int, n_users: int, n_items: int, cfg: SyntheticConfig
) -> np.ndarray:
    """Ratings per user: min + log-normal, capped at half the catalogue, summing to exactly `n`."""
    floor = min(cfg.min_user_ratings, n_items // 2)
    cap = n_items // 2
    extra = n - n_users * floor
    raw = rng.lognormal(0.0, cfg.activity_sigma, n_users)
    share = np.zeros(n_users)
    # Scale to the target total; users pushed over the cap stay there and the rest take up the slack.
    for _ in range(50):
        free = share < cap - floor
        left = extra - share[~free].sum()
        share[free] = raw[free] * (left / raw[free].sum()) if free.any() else 0
        np.minimum(share, cap - floor, out=share)
        if share.sum() >= extra - 0.5:
            break
    whole = np.floor(share).astype(np.int64)
    short = int(extra - whole.sum())
    if short > 0:  # largest remainders get the leftover ratings, so the total is exact
        room = np.flatnonzero(whole < cap - floor)
        order = room[np.argsort(-(share - whole)[room], kind="stable")]
        whole[order[:short]] += 1
    return whole + floor


class _Zipf:
    """Item popularity: a Zipf-like law over a random ranking, so ids say nothing about rank.

    Rank r gets the mass of [r, r + 1) under the density (x + 1 + offset) ** -exponent on [0, n),
    which makes inverse-CDF sampling exact and closed-form: no search over a table of n items.
    """

    def __init__(self, rng: np.random.Generator, n_items: int, exponent: float, offset: float):
        self.n, self.a, self.c = n_items, exponent, 1.0 + offset
        self.item_of_rank = rng.permutation(n_items).astype(np.int64)
        cdf = self._cdf(np.arange(n_items + 1, dtype=np.float64))
        self.p = np.empty(n_items)
        self.p[self.item_of_rank] = np.diff(cdf)  # probability of each item index

    def _g(self, x: np.ndarray) -> np.ndarray:
        if abs(self.a - 1.0) < 1e-9:
            return np.log(x + self.c) - np.log(self.c)
        return (self.c ** (1 - self.a) - (x + self.c) ** (1 - self.a)) / (self.a - 1)

    def _cdf(self, x: np.ndarray) -> np.ndarray:
        return self._g(x) / self._g(np.float64(self.n))

    def sample(self, u: np.ndarray) -> np.ndarray:
        """Item indices for uniform numbers `u` in [0, 1)."""
        t = u * self._g(np.float64(self.n))
        if abs(self.a - 1.0) < 1e-9:
            x = self.c * np.exp(t) - self.c
        else:
            x = (self.c ** (1 - self.a) - t * (self.a - 1)) ** (1 / (1 - self.a)) - self.c
        rank = np.clip(x, 0, self.n - 1).astype(np.int64)
        return self.item_of_rank[rank]


def _sample_pairs(rng: np.random.Generator, counts: np.ndarray, zipf: _Zipf) -> np.ndarray:
    """Distinct (user, item) keys `user * n_items + item`, sorted, `counts[u]` per user.

    Items are drawn by popularity without replacement per user. Most users rate a small share of
    the catalogue, so for them we draw with replacement, drop repeats and draw again only what is
    missing (rounds shrink fast; the cost is about one sort of all pairs). Heavy users, who would
    keep colliding with the popular items they already hold, get exact weighted sampling without
    replacement (Gumbel top-k), one user at a time; there are few of them.
    """
    n_items = zipf.n
    heavy = counts > max(20, n_items // 40)
    light_counts = np.where(heavy, 0, counts)

    def draw(per_user: np.ndarray) -> np.ndarray:
        users = np.repeat(np.arange(len(per_user), dtype=np.int64), per_user)
        users *= n_items
        users += zipf.sample(rng.random(len(users)))
        return users

    keys = _unique(draw(light_counts))
    have = np.bincount(keys // n_items, minlength=len(counts))
    added = np.empty(0, dtype=np.int64)  # sorted, small: what the top-up rounds found
    for _ in range(30):
        missing = light_counts - have
        if not missing.any():
            break
        new = _unique(draw(missing))
        new = new[~(_in_sorted(new, keys) | _in_sorted(new, added))]
        added = np.sort(np.concatenate([added, new]))
        have += np.bincount(new // n_items, minlength=len(counts))
    if len(added):  # merge the few found late into place: one copy, no re-sort
        keys = np.insert(keys, np.searchsorted(keys, added), added)
    missing = counts - have  # the heavy users, and any light one still short (rare)
    if not missing.any():
        return keys
    log_p = np.log(zipf.p)
    picks = [keys]
    for u in np.flatnonzero(missing):
        lo, hi = np.searchsorted(keys, [u * n_items, (u + 1) * n_items])
        score = log_p - np.log(-np.log(rng.random(n_items)))  # Gumbel keys
        score[keys[lo:hi] - u * n_items] = -np.inf
        pick = np.argpartition(score, -int(missing[u]))[-int(missing[u]) :]
        picks.append(u * n_items + pick.astype(np.int64))
    return np.sort(np.concatenate(picks), kind="stable")


def _unique(keys: np.ndarray) -> np.ndarray:
    """Sorted distinct keys. Sorting beats `np.unique` (hash-based in numpy 2.3+) by 40x here,
    and a stable (merge) sort is quick on keys that arrive grouped by user."""
    keys = np.sort(keys, kind="stable")
    if len(keys) < 2:
        return keys
    keep = np.empty(len(keys), dtype=bool)
    keep[0] = True
    np.not_equal(keys[1:], keys[:-1], out=keep[1:])
    return keys[keep]


def _in_sorted(values: np.ndarray, sorted_keys: np.ndarray) -> np.ndarray:
    """Which `values` occur in `sorted_keys` (a binary search each: cheap for few values)."""
    if not len(sorted_keys):
        return np.zeros(len(values), dtype=bool)
    pos = np.minimum(np.searchsorted(sorted_keys, values), len(sorted_keys) - 1)
    return sorted_keys[pos] == values


def _items(
    rng: np.random.Generator, n_items: int, cfg: SyntheticConfig
) -> tuple[pd.DataFrame, np.ndarray, np.ndarray]:
    """Item metadata (titles, years, genres) and latent factors that follow the genres.

    Factors are a mix of genre directions and noise, so the embedding map groups genres together
    the way it does on real MovieLens.
    """
    k = cfg.n_factors
    n_genres = rng.choice([1, 2, 3], size=n_items, p=[0.45, 0.35, 0.20])
    # Gumbel top-k: weighted sampling of genres without replacement, for all items at once.
    gumbel = np.log(_GENRE_WEIGHTS) - np.log(-np.log(rng.random((n_items, len(GENRES)))))
    order = np.argsort(-gumbel, axis=1)
    multi_hot = np.zeros((n_items, len(GENRES)), dtype=np.float32)
    for j in range(3):
        take = n_genres > j
        multi_hot[np.flatnonzero(take), order[take, j]] = 1.0
    genre_dirs = rng.normal(0.0, 1.0, (len(GENRES), k)).astype(np.float32)
    genre_mix = multi_hot @ genre_dirs / multi_hot.sum(1, keepdims=True)
    factors = (0.8 * genre_mix + 0.6 * rng.normal(0.0, 1.0, (n_items, k))).astype(np.float32)
    factors /= np.sqrt(k)  # unit variance of the dot product with unit-variance user factors
    genre_bias = multi_hot @ rng.normal(0.0, 0.15, len(GENRES)).astype(np.float32)
    genre_bias /= multi_hot.sum(1)

    # Release years lean recent, like MovieLens (half of its movies are from after 2000).
    year = np.clip(2019 - np.floor(rng.exponential(18.0, n_items)), 1902, 2019).astype(np.int64)
    ids = np.arange(1, n_items + 1)
    genres = [[GENRES[g] for g in order[i, : n_genres[i]]] for i in range(n_items)]
    items = pd.DataFrame(
        {
            "item_id": ids.astype(np.int32),
            "title": [f"Movie {i} ({y})" for i, y in zip(ids, year, strict=True)],
            "year": pd.array(year, dtype="Int64"),
            "genres": genres,
        }
    )
    return items, factors, genre_bias


def _ratings(
    rng: np.random.Generator,
    users: np.ndarray,
    items: np.ndarray,
    pop: np.ndarray,
    item_factors: np.ndarray,
    genre_bias: np.ndarray,
    cfg: SyntheticConfig,
) -> np.ndarray:
    """mean + user bias + item bias + user . item + noise, rounded and clipped to the scale."""
    n_users, k = cfg.n_users, cfg.n_factors
    user_bias = rng.normal(0.0, 0.45, n_users).astype(np.float32)
    user_factors = rng.normal(0.0, 0.6, (n_users, k)).astype(np.float32)
    # Popular movies are rated higher on MovieLens: item bias rises with log popularity.
    logp = np.log(pop)
    item_bias = (
        0.12 * (logp - logp.mean()) / logp.std() + rng.normal(0.0, 0.45, len(pop)) + genre_bias
    ).astype(np.float32)
    # On a half-star scale only some people use the halves (ML-25M: 29% of ratings are x.5).
    lo = 1.0 if cfg.scale == "stars" else 0.5
    step = np.where(rng.random(n_users) < (0.0 if cfg.scale == "stars" else 0.55), 0.5, 1.0)
    step = step.astype(np.float32)
    out = np.empty(len(users), dtype=np.float32)
    for start in range(0, len(users), _CHUNK):
        u = users[start : start + _CHUNK]
        i = items[start : start + _CHUNK]
        # (B, k) gathers, summed over k: the latent-factor term of each rating.
        score = np.einsum("ij,ij->i", user_factors[u], item_factors[i])
        score += cfg.mean + user_bias[u] + item_bias[i]
        score += cfg.noise * rng.standard_normal(len(u), dtype=np.float32)
        np.clip(np.round(score / step[u]) * step[u], lo, 5.0, out=out[start : start + len(u)])
    return out


def _timestamps(rng: np.random.Generator, users: np.ndarray, n_users: int) -> np.ndarray:
    """Each user rates in one stretch of time: a random start and a log-normal length (days)."""
    length = np.minimum(rng.lognormal(np.log(3 * 86_400), 2.5, n_users), _LAST_TS - _FIRST_TS)
    start = _FIRST_TS + rng.random(n_users) * (_LAST_TS - _FIRST_TS - length)
    out = np.empty(len(users), dtype=np.int64)
    for s in range(0, len(users), _CHUNK):
        u = users[s : s + _CHUNK]
        out[s : s + len(u)] = start[u] + rng.random(len(u)) * length[u]
    return out
