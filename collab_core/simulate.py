"""Feedback loops: the recommender runs for rounds, and its lists become its next training data.

A seeded simulation after Chaney, Stewart & Engelhardt (2018) and T-RECS (Lucherini et al. 2021),
on the model the user trained:

- True tastes: the trained model's prediction for every (user, movie) pair plus Gaussian noise
  (`taste_noise` stars), clipped to the scale. The simulation knows them; the model never does.
  The catalogue is the movies that model was trained on (coverage counts them; no other is shown).
- Each round every simulated user is shown a top-k list by a policy (`POLICIES`; all of them go
  through the app's own `recommend.rank_items`) and picks `picks` movies from it, likelier the
  higher the true rating (probability ~ exp(choosiness x true rating); 0: at random); each pick
  is instead, with probability `discovery`, a movie found outside the list. They rate what they
  picked with its true rating plus noise (`rating_noise`), rounded to the scale. Nobody is shown
  a movie they have rated (`repeat=True` lifts that for the ones picked here: an experiment).
- The ratings join the data and the model is updated. `update="warm"`: trained on for
  `warm_epochs` epochs from its current weights (`training.fit(..., start=model)`) at `warm_lr`
  times its learning rate, a gentle fine-tune (at the full rate each restart shook the lists by
  several points a round, noise that hid the loop). Before round 1 it trains on once at the full
  rate over all the ratings (it had seen 80% of them), so what changes later is what the rounds
  add. `"fold_in"`: each user is refitted to all their ratings with the movies fixed (cheaper;
  the movies' side never learns). `learn=False` is the control: the same set-up, then a model
  that never learns from the rounds.
- `enthusiasts` (a genre) adds `n_enthusiasts` users who love it and rate `enthusiast_picks`
  movies a round: each of their genre with probability LOOKUP (what their list shows first, then
  ones they look up), else the next other movie of their list, which they rate low (the lesson's
  anime fans: they rate a lot and watch little else). They join the model before round 1 by a
  warm start on their first ratings, whatever the update mode.

Per-round metrics (`loop_metrics.METRICS`) describe the lists of the simulated users other than
the enthusiasts. Everything random draws from `seed`: the same seed gives the same trajectory.
"""

from __future__ import annotations

import dataclasses
import json
import math
import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from . import loop_metrics as lm
from .analysis import Explorer
from .config import TrainConfig
from .data import Dataset, make_dataset
from .errors import ConfigError, check_unit, check_whole
from .recommend import CALIBRATION, MIN_RATINGS, rank_items

POLICIES: dict[str, str] = {
    "predicted": "predicted rating (the app's ranking without calibration)",
    "calibrated": "the app's default: predicted rating, calibrated to the genres each user liked",
    "epsilon": "predicted rating, each slot replaced by a random movie with probability ε",
    "popular": "the most-rated movies first (a popularity baseline)",
}
UPDATES: dict[str, str] = {
    "warm": "retrain: a couple of epochs from the current weights (the movies' side learns too)",
    "fold_in": "refit users only (movies fixed; faster)",
}
# True tastes are held as a [users, movies] float32 table: at most this many cells (~240 MB).
MAX_CELLS = 60_000_000
_HIDDEN = -1e9  # the score of a movie the model never trained on: never listed
_CHUNK = 1024  # users scored at once (keeps the [users, movies] scores small)
_MONTH_S = 30 * 24 * 3600  # a round's new ratings are stamped a month after the last round's
LOOKUP = 0.8  # an enthusiast's pick is a movie of their genre with this probability
OTHER_TASTE = 0.25  # ... and any other movie is worth this far up the scale to them (2 of 1-5)
_UNITS = {  # settings in [0, 1], with what their ends mean
    "discovery": ("0 (only the list)", "1 (never the list)"),
    "epsilon": ("0 (no random slots)", "1 (all random)"),
    "novelty": ("0 (popular first)", "1 (novel first)"),
    "taste": ("0 (predicted rating)", "1 (more than the average user)"),
    "calibration": ("0 (off)", "1 (genre mix first)"),
}
_WHOLE = {"rounds": 1, "k": 1, "picks": 1, "warm_epochs": 1, "min_ratings": 0, "seed": 0}
_WHOLE |= {"n_enthusiasts": 1, "enthusiast_picks": 1}

Callback = Callable[[int, int, dict], None]


@dataclass(frozen=True)
class SimulationSettings:
    """Everything that decides a simulation (see the module docstring); defaults that work."""

    rounds: int = 10
    policy: str = "predicted"
    k: int = 10
    picks: int = 1
    choosiness: float = 2.0
    discovery: float = 0.1
    taste_noise: float = 0.5
    rating_noise: float = 0.5
    update: str = "warm"
    warm_epochs: int = 2
    warm_lr: float = 0.1  # the rounds' warm starts train at this fraction of the model's rate
    novelty: float = 0.0
    taste: float = 0.0
    calibration: float | None = None  # None: CALIBRATION for "calibrated", else 0
    epsilon: float = 0.1
    min_ratings: int = MIN_RATINGS
    enthusiasts: str | None = None
    n_enthusiasts: int = 10
    enthusiast_picks: int = 10
    users: int | None = None  # a random sample of this many users (None: every trained user)
    learn: bool = True  # False: the control, a model that never learns from the rounds
    repeat: bool = False  # True: lists may show again what a user picked (an experiment)
    seed: int = 0

    def check(self) -> None:
        """`ConfigError` for a setting out of range (what needs the catalogue is checked later)."""
        for name, least in _WHOLE.items():
            check_whole(name, getattr(self, name), least)
        if self.users is not None:
            check_whole("users", self.users, 2)
        for name, known in (("policy", POLICIES), ("update", UPDATES)):
            if getattr(self, name) not in known:
                raise ConfigError(
                    f"Unknown {name} {getattr(self, name)!r}; use one of {', '.join(known)}."
                )
        if self.picks > self.k:
            raise ConfigError(f"picks ({self.picks}) cannot exceed the list length k ({self.k}).")
        for name, (lo, hi) in _UNITS.items():
            if getattr(self, name) is not None:  # calibration None: the policy's own
                check_unit(name, getattr(self, name), lo, hi)
        for name in ("choosiness", "taste_noise", "rating_noise", "warm_lr"):
            v = getattr(self, name)
            if isinstance(v, bool) or not isinstance(v, (int, float)) or not 0 <= v < math.inf:
                raise ConfigError(f"{name} must be a number of at least 0, not {v!r}.")
        if not 0 < self.warm_lr <= 1:
            raise ConfigError(f"warm_lr must be in (0, 1], not {self.warm_lr!r}.")
        for name in ("learn", "repeat"):
            if not isinstance(getattr(self, name), bool):
                raise ConfigError(f"{name} must be True or False, not {getattr(self, name)!r}.")

    @property
    def calibration_used(self) -> float:
        if self.calibration is not None:
            return float(self.calibration)
        return CALIBRATION if self.policy == "calibrated" else 0.0


@dataclass
class SimulationResult:
    """A simulation's trajectory: `rounds` has one row per round (`round`, one column per metric
    of `loop_metrics.METRICS`, `new_ratings`, `seconds`); `exposure` [rounds, n_items] counts the
    lists (of the users other than enthusiasts) that showed each movie; `catalogue` marks the
    movies the model knows (coverage's denominator)."""

    settings: SimulationSettings
    rounds: pd.DataFrame
    exposure: np.ndarray
    catalogue: np.ndarray
    n_users: int
    n_enthusiasts: int

    def to_dict(self) -> dict:
        """Plain JSON-ready values (the CLI's --json output): settings and per-round records."""
        return {
            "settings": dataclasses.asdict(self.settings),
            "n_users": self.n_users,
            "n_enthusiasts": self.n_enthusiasts,
            "rounds": json.loads(self.rounds.to_json(orient="records")),
        }


# ---------------------------------------------------------------------------------------------
# The simulation


def simulate(
    dataset: Dataset,
    model,
    settings: SimulationSettings | None = None,
    *,
    config: TrainConfig | None = None,
    callback: Callback | None = None,
) -> SimulationResult:
    """Run `settings.rounds` rounds on `model` (a `CollabModel` trained on `dataset`).

    `config` is what the model was trained with (`StoredModel.config`): warm starts and the
    enthusiasts' arrival train with it. `callback(round, rounds, record)` follows every round.
    """
    s = settings or SimulationSettings()
    s.check()
    w = _World(dataset, model, s, config)
    records, exposure = [], []
    for t in range(1, s.rounds + 1):
        start = time.perf_counter()
        record, shown = w.round(t)
        record["seconds"] = round(time.perf_counter() - start, 4)
        records.append(record)
        exposure.append(shown)
        if callback is not None:
            callback(t, s.rounds, record)
    table = pd.DataFrame(records)
    if s.enthusiasts is None:
        table = table.drop(columns="genre_share")
    return SimulationResult(
        settings=w.s,
        rounds=table,
        exposure=np.stack(exposure).astype(np.int32),
        catalogue=w.known.copy(),
        n_users=len(w.regular),
        n_enthusiasts=len(w.users) - len(w.regular),
    )


class _World:
    """The simulation's state: every rating so far (user and item indices), the true tastes, who
    is simulated, and the current model."""

    def __init__(self, dataset: Dataset, model, s: SimulationSettings, config) -> None:
        ex0 = Explorer(dataset, model)  # checks that the model belongs to the data set
        n_items = dataset.n_items
        if s.k > n_items:
            raise ConfigError(
                f"k ({s.k}) is larger than the catalogue ({n_items:,} movies); show at most "
                f"{n_items:,}."
            )
        if s.update == "warm" and config is None:
            raise ConfigError("A warm start needs the settings the model was trained with.")
        self.s, self.config, self.model = s, config, model
        self.rng = np.random.default_rng(s.seed)
        self.scale = dataset.rating_scale
        self.values = np.unique(dataset.ratings["rating"].to_numpy(np.float64))
        self.items = dataset.items[["item_id", "title", "year", "genres"]]
        self.item_ids = dataset.item_ids.to_numpy()
        self.has = ex0.genres.has
        self.known = ex0.item_seen_.copy()  # the catalogue: the movies the model was trained on
        u, i, r = dataset.encode(dataset.ratings)
        self.u, self.i, self.r = u, i, r.astype(np.float32)
        self.ts = dataset.ratings["timestamp"].to_numpy(np.int64)
        self._ds: Dataset | None = None
        trained = np.flatnonzero(ex0.user_seen_)
        if s.users is not None and s.users < len(trained):
            trained = np.sort(self.rng.choice(trained, s.users, replace=False))
        self.regular = trained
        cells = len(trained) * n_items
        if cells > MAX_CELLS:
            raise ConfigError(
                f"Simulating {len(trained):,} users over {n_items:,} movies holds {cells:,} true "
                f"ratings; simulate a sample of at most {MAX_CELLS // n_items:,} users."
            )
        lo, hi = self.scale
        truth = _scores(model, trained).astype(np.float32)
        truth += self.rng.normal(0, s.taste_noise, truth.shape).astype(np.float32)
        self.truth = np.clip(truth, lo, hi)  # [regular users, items]
        self.genre = self._genre_mask(ex0, s.enthusiasts)
        self.users = trained
        if s.enthusiasts is not None:
            self._add_enthusiasts(dataset.n_users)
        elif s.update == "warm":
            self.model = self._train(self._dataset(), 0)
        self.n_start = len(self.r)  # the ratings before round 1
        # Who rated what, for the simulated users (rows in `self.users` order).
        self.row = np.full(dataset.n_users + (len(self.users) - len(trained)), -1)
        self.row[self.users] = np.arange(len(self.users))
        self.rated = np.zeros((len(self.users), n_items), bool)
        mine = self.row[self.u] >= 0
        self.rated[self.row[self.u[mine]], self.i[mine]] = True
        # The users whose lists homogenisation compares: a fixed sample, the same every round.
        pick = self.rng.permutation(len(trained))[: lm.JACCARD_USERS]
        self.jaccard_rows = np.sort(pick)

    # -- set-up ----------------------------------------------------------------------------------

    def _genre_mask(self, ex0: Explorer, genre: str | None) -> np.ndarray | None:
        if genre is None:
            return None
        if not ex0.genres.names:
            raise ConfigError("This data set has no genres, so there can be no genre enthusiasts.")
        mask = ex0.genres.mask(genre) & self.known  # ConfigError for an unknown genre
        # As the data set spells it ("war" -> "War"), for the result and what shows it.
        spelt = {g.casefold(): g for g in ex0.genres.names}[genre.casefold()]
        self.s = dataclasses.replace(self.s, enthusiasts=spelt)
        if not mask.any():
            raise ConfigError(f"The model knows no {genre} movie; choose another genre.")
        return mask

    def _add_enthusiasts(self, n_users: int) -> None:
        """New users (indices after everyone's) who have rated some of the genre at the top; they
        join the model by a warm start, whatever the update mode."""
        s = self.s
        if self.config is None:
            raise ConfigError(
                "Enthusiasts join the model by retraining it, which needs its settings."
            )
        new = np.arange(n_users, n_users + s.n_enthusiasts)
        genre = np.flatnonzero(self.genre)
        u, i = [], []
        for e in new:
            first = self.rng.choice(genre, min(s.enthusiast_picks, len(genre)), replace=False)
            u.append(np.full(len(first), e))
            i.append(first)
        u, i = np.concatenate(u), np.concatenate(i)
        self._append(u, i, self._rate(np.full(len(u), self.scale[1])), 0)
        self.users = np.r_[self.users, new]
        self.model = self._train(self._dataset(), 0)

    # -- one round -------------------------------------------------------------------------------

    def round(self, t: int) -> tuple[dict, np.ndarray]:
        """Lists, picks and ratings of round `t`, then the model's update: (metrics, exposure)."""
        s, lo, hi = self.s, *self.scale
        ds = self._dataset()
        ex = Explorer(ds, self.model)
        order = np.argsort(self.u, kind="stable")
        bounds = np.searchsorted(self.u[order], [self.users, self.users + 1])
        n_reg = len(self.regular)
        lists: list[np.ndarray] = []
        sq_err, n_err = 0.0, 0
        for c in range(0, len(self.users), _CHUNK):
            rows = np.arange(c, min(c + _CHUNK, len(self.users)))
            score = self._user_scores(ex, rows, order, bounds)
            reg = rows[rows < n_reg]
            if len(reg):  # (the regular users come first)
                err = np.clip(score[: len(reg)], lo, hi) - self.truth[reg]
                sq_err += float(np.square(err[:, self.known]).sum())
                n_err += len(reg) * int(self.known.sum())
            score[:, ~self.known] = _HIDDEN
            for row, sc in zip(rows, score, strict=True):
                mine = order[bounds[0][row] : bounds[1][row]]
                if s.repeat:  # the ranking is told only what they had rated before round 1
                    mine = mine[mine < self.n_start]
                lists.append(self._rank(ex, self.i[mine], self.r[mine], sc))
        u, i, true = self._choose(lists)
        new = self._rate(true)
        regular_lists = lists[:n_reg]
        shown = lm.exposure(regular_lists, ds.n_items)
        given = np.bincount(self.row[u], minlength=len(self.users))  # per simulated user
        is_reg = self.row[u] < n_reg
        record = {
            "round": t,
            "coverage": lm.coverage(shown[self.known]),
            "homogenisation": lm.mean_jaccard(
                [regular_lists[j] for j in self.jaccard_rows], ds.n_items
            ),
            "gini": lm.gini(shown[self.known]),
            "popularity_pct": float(ex.popularity.pct[np.concatenate(regular_lists)].mean()),
            "genre_diversity": lm.genre_diversity(regular_lists, self.has),
            "rmse_true": math.sqrt(sq_err / max(1, n_err)),
            "utility": float(true[is_reg].mean()) if is_reg.any() else float("nan"),
            "top1_share": lm.top_share(given),
            "genre_share": None if self.genre is None else lm.share_of(regular_lists, self.genre),
            "new_ratings": len(u),
        }
        self._append(u, i, new, t)
        self.rated[self.row[u], i] = True
        if s.update == "warm" and s.learn:
            self.model = self._train(self._dataset(), t)
        return record, shown

    def _user_scores(self, ex: Explorer, rows, order, bounds) -> np.ndarray:
        """[len(rows), n_items] predicted ratings of the simulated users `rows` (positions)."""
        model = self.model
        if self.s.update == "warm":
            return model.user_scores(self.users[rows])
        out = np.empty((len(rows), len(self.known)))
        for j, row in enumerate(rows):
            mine = order[bounds[0][row] : bounds[1][row]]
            if not self.s.learn:  # the control: the users as they were before round 1
                mine = mine[mine < self.n_start]
            user = model.fold_in(self.i[mine], self.r[mine], ex.mean_user)
            out[j] = model.score(user)
        return out

    def _rank(self, ex: Explorer, idx, r, score) -> np.ndarray:
        """The list a user who rated `idx` with `r` and is predicted `score` is shown."""
        s = self.s
        popular = s.policy == "popular"
        if popular:  # the most-rated first: the counts as they are now, through the same filters
            score = np.where(self.known, ex.n_ratings_.astype(np.float64), _HIDDEN)
        ranked = rank_items(
            ex,
            idx,
            r,
            score,
            k=s.k,
            min_ratings=s.min_ratings,
            novelty=0.0 if popular else s.novelty,
            taste=0.0 if popular else s.taste,
            calibration=0.0 if popular else s.calibration_used,
        )
        top = ranked.top[self.known[ranked.top]]
        if s.policy == "epsilon" and len(top):
            swap = np.flatnonzero(self.rng.random(len(top)) < s.epsilon)
            pool = np.flatnonzero(ranked.allowed & self.known)
            pool = pool[~np.isin(pool, top)]
            if len(swap) and len(pool):
                n = min(len(swap), len(pool))
                top = top.copy()
                top[swap[:n]] = self.rng.choice(pool, n, replace=False)
        return top

    def _choose(self, lists: list[np.ndarray]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(user index, item index, true rating) of every pick of the round."""
        n_reg, catalogue = len(self.regular), np.flatnonzero(self.known)
        us, items, true = [], [], []
        for row, shown in enumerate(lists):
            if row < n_reg:
                picked = self._regular_picks(row, shown, catalogue)
                t = self.truth[row, picked]
            else:
                picked = self._enthusiast_picks(row, shown)
                lo, hi = self.scale
                t = np.where(self.genre[picked], hi, lo + (hi - lo) * OTHER_TASTE)
            us.append(np.full(len(picked), self.users[row]))
            items.append(picked)
            true.append(t)
        return (
            np.concatenate(us).astype(np.int64),
            np.concatenate(items).astype(np.int64),
            np.concatenate(true).astype(np.float64),
        )

    def _regular_picks(self, row: int, shown: np.ndarray, catalogue: np.ndarray) -> np.ndarray:
        """`picks` movies: from the list, likelier the higher the true rating (Gumbel top-m of
        choosiness x truth), each one instead found outside the list with probability discovery."""
        s, rng = self.s, self.rng
        m = min(s.picks, len(shown))
        n_found = int(rng.binomial(m, s.discovery)) if m else 0
        keys = s.choosiness * self.truth[row, shown] + rng.gumbel(size=len(shown))
        picked = list(shown[np.argsort(-keys, kind="stable")[: m - n_found]])
        for _ in range(n_found):  # a random movie they have neither rated nor picked
            for _try in range(20):
                c = int(catalogue[rng.integers(len(catalogue))])
                if not self.rated[row, c] and c not in picked and c not in shown:
                    picked.append(c)
                    break
        return np.asarray(picked, np.int64)

    def _enthusiast_picks(self, row: int, shown: np.ndarray) -> np.ndarray:
        """`enthusiast_picks` movies: each of their genre with probability LOOKUP (those the list
        shows first, then others looked up at random), else the list's next other movie (which
        they rate low: they watch little else)."""
        n = self.s.enthusiast_picks
        n_genre = int(self.rng.binomial(n, LOOKUP))
        left = self.genre & ~self.rated[row]
        first = shown[left[shown]]
        rest = np.flatnonzero(left)
        rest = self.rng.permutation(rest[~np.isin(rest, first)])
        genre = np.r_[first, rest][:n_genre]
        other = shown[~self.genre[shown]][: n - len(genre)]
        return np.r_[genre, other].astype(np.int64)

    # -- data and model --------------------------------------------------------------------------

    def _rate(self, true: np.ndarray) -> np.ndarray:
        """True ratings plus noise, on the data's scale (its nearest value when it has few)."""
        lo, hi = self.scale
        r = np.clip(true + self.rng.normal(0, self.s.rating_noise, len(true)), lo, hi)
        if len(self.values) <= 20:  # stars: snap to the nearest one
            pos = np.clip(np.searchsorted(self.values, r), 1, len(self.values) - 1)
            left, right = self.values[pos - 1], self.values[pos]
            r = np.where(r - left <= right - r, left, right)
        return r.astype(np.float32)

    def _append(self, u, i, r, t: int) -> None:
        self.u, self.i, self.r = np.r_[self.u, u], np.r_[self.i, i], np.r_[self.r, r]
        stamp = (int(self.ts.max()) if len(self.ts) else 0) + _MONTH_S * max(t, 1)
        self.ts = np.r_[self.ts, np.full(len(u), stamp, np.int64)]
        self._ds = None

    def _dataset(self) -> Dataset:
        """Every rating so far as a `Dataset`; user ids are the user indices (new users last)."""
        if self._ds is not None:
            return self._ds
        frame = pd.DataFrame(
            {
                "user_id": self.u,
                "item_id": self.item_ids[self.i],
                "rating": self.r,
                "timestamp": self.ts,
            }
        )
        self._ds = make_dataset(frame, self.items, name="simulation")
        return self._ds

    def _train(self, ds: Dataset, t: int):
        """The model trained on for `warm_epochs` epochs over every rating so far: before round 1
        (t = 0) at the model's learning rate, after a round at `warm_lr` times it."""
        from .training import fit  # here: training loads the compiled kernels

        rate = 1.0 if t == 0 else self.s.warm_lr
        config = dataclasses.replace(
            self.config,
            epochs=self.s.warm_epochs,
            lr=self.config.resolved().lr * rate,
            seed=self.s.seed * 1000 + t,
        )
        empty = ds.ratings.iloc[:0]
        return fit(ds, config, train=ds.ratings, valid=empty, start=self.model).model


def _scores(model, users: np.ndarray) -> np.ndarray:
    """[len(users), n_items] predicted ratings, a chunk of users at a time."""
    out = np.empty((len(users), model.n_items), np.float32)
    for c in range(0, len(users), _CHUNK):
        out[c : c + _CHUNK] = model.user_scores(users[c : c + _CHUNK])
    return out
