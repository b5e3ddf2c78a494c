"""Recommendations for a new user: their ratings in, a ranked list that explains itself out.

The model folds the user in (`CollabModel.fold_in`: no retraining) and scores every movie; the
list is ranked by predicted rating, optionally trading it for novelty or taste, and calibrated to
the genres the user liked (`calibration`); each entry says which ratings pushed it up.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field

import numpy as np
import pandas as pd

from .analysis import Explorer
from .calibration import (
    PROFILE_PRIOR,
    GenreProfile,
    calibrated_top,
    calibration_strength,
    genre_fits,
    genre_mix,
    genre_profile,
    top_k,
)
from .errors import ConfigError, check_unit, check_whole
from .models import NewUser
from .popularity import PopularityReport

# Defaults chosen with `benchmarks/recommend_quality.py` (5 user folds of ML-100k, a model trained
# per fold, 5/10/20 known ratings): see `recommend_items` and the README for the figures.
# (Since the fold-in's ridge became 5, a new user's predictions sit closer to the average user's,
# so by predicted rating alone every list is the same blockbusters: 5% of the catalogue shown.
# Half of the average user's taste taken off gives the lists back their spread.)
TASTE = 0.5  # taste > 0 subtracts that share of the average user's predicted rating
CALIBRATION = 0.3  # how hard a list is pulled towards the genres of the movies you liked
# Movies with fewer ratings are left out by default: their factors and bias rest on too little.
MIN_RATINGS = 10
N_BECAUSE = 3


@dataclass
class Recommendations:
    """Top-k movies for a new user: `table` (rank, title, score = predicted rating capped to the
    data's scale, because ...).

    `genre_mix` compares, genre by genre, the share of the user's liking (`yours`), of this list
    (`list`) and of the catalogue the list was drawn from (`catalogue`); see `calibrated_top`.
    """

    table: pd.DataFrame
    user: NewUser
    report: PopularityReport
    novelty: float
    taste: float = 0.0
    calibration: float = 0.0
    calibration_used: float = 0.0  # the strength that applied (see calibration_strength)
    genre_mix: pd.DataFrame = field(default_factory=pd.DataFrame)

    def to_dict(self) -> dict:
        """Plain JSON-ready values (the CLI's --json output)."""
        recs = json.loads(self.table.to_json(orient="records"))  # plain numbers, None for NA
        rated = json.loads(self.user.rated.to_json(orient="records"))
        return {
            "recommendations": recs,
            "rated": rated,
            "method": self.user.method,
            "novelty": self.novelty,
            "taste": self.taste,
            "calibration": self.calibration,
            "calibration_used": self.calibration_used,
            "genre_mix": json.loads(self.genre_mix.to_json(orient="records")),
            "report": {
                k: None if isinstance(v, float) and math.isnan(v) else v
                for k, v in asdict(self.report).items()
            },
        }


# ---------------------------------------------------------------------------------------------
# Input


def parse_ratings(explorer: Explorer, ratings) -> tuple[np.ndarray, np.ndarray]:
    """(item index, rating) arrays from {movie: rating} or [(movie, rating), ...].

    A movie is a title (found forgivingly) or an int item id. Ratings outside the data's scale, a
    movie rated twice with different ratings and unknown movies are errors.
    """
    pairs = list(ratings.items()) if isinstance(ratings, Mapping) else list(ratings or [])
    chosen: dict[int, float] = {}
    for pair in pairs:
        if (
            isinstance(pair, (str, bytes))
            or not isinstance(pair, Iterable)
            or len(pair := tuple(pair)) != 2
        ):
            raise ConfigError(f"Each rating is a (movie, rating) pair, not {pair!r}.")
        movie, value = pair
        idx = explorer.titles.resolve(movie)
        r = _rating(explorer, idx, value)
        if idx in chosen and chosen[idx] != r:
            title = explorer.labels_[idx]
            raise ConfigError(f"{title!r} is rated twice ({chosen[idx]:g} and {r:g}); keep one.")
        chosen[idx] = r
    idx = np.fromiter(chosen, dtype=np.int64, count=len(chosen))
    return idx, np.array(list(chosen.values()), dtype=np.float64)


def check_ratings(explorer: Explorer, idx, r) -> tuple[np.ndarray, np.ndarray]:
    """(item index, rating) arrays as given by a picker: indices in range, once each, ratings on
    the data's scale."""
    idx = np.asarray(idx, np.int64).reshape(-1)
    if len(idx) != len(np.asarray(r).reshape(-1)):
        raise ConfigError(f"{len(idx)} movies but {len(np.asarray(r).reshape(-1))} ratings.")
    bad = idx[(idx < 0) | (idx >= explorer.dataset.n_items)]
    if len(bad):
        raise ConfigError(f"There is no movie number {int(bad[0])} in {explorer.dataset.name}.")
    if len(np.unique(idx)) != len(idx):
        raise ConfigError("A movie is rated twice; keep one rating for each.")
    return idx, np.array([_rating(explorer, i, v) for i, v in zip(idx, r, strict=True)])


def _rating(explorer: Explorer, idx: int, value) -> float:
    lo, hi = explorer.dataset.rating_scale
    title = explorer.labels_[idx]
    try:
        r = float(value)
    except (TypeError, ValueError):
        raise ConfigError(f"The rating for {title!r} must be a number, not {value!r}.") from None
    if not math.isfinite(r) or r < lo or r > hi:
        raise ConfigError(
            f"The rating {value!r} for {title!r} is outside this data set's "
            f"scale; give a rating from {lo:g} to {hi:g}."
        )
    return r


def fold_in(
    explorer: Explorer,
    idx: np.ndarray,
    r: np.ndarray,
    *,
    ridge: float | None = None,
    start: NewUser | None = None,
) -> NewUser:
    """The new user the model fits to ratings `r` of items `idx`, starting from `start` (default
    the mean user; see `starts`), with `rated`: each rated movie with the rating given and the
    model's fitted rating."""
    start = explorer.mean_user if start is None else start
    user = explorer.model.fold_in(idx, r, start, ridge=ridge)
    fitted = explorer.model.score(user, idx) if len(idx) else np.zeros(0)
    user.rated = pd.DataFrame(
        {"item_index": idx, "title": explorer.labels_[idx], "rating": r, "fitted": fitted}
    )
    return user


# ---------------------------------------------------------------------------------------------
# Recommending


def recommend_for(explorer: Explorer, ratings=(), **kwargs) -> Recommendations:
    """`recommend_items` for {title_or_item_id: rating} or pairs (see `parse_ratings`)."""
    return recommend_items(explorer, *parse_ratings(explorer, ratings), **kwargs)


def recommend_items(
    explorer: Explorer,
    idx: np.ndarray,
    r: np.ndarray,
    *,
    k: int = 10,
    genres: str | Sequence[str] | None = None,
    min_ratings: int = MIN_RATINGS,
    novelty: float = 0.0,
    taste: float = TASTE,
    calibration: float = CALIBRATION,
    ridge: float | None = None,
    start: NewUser | None = None,
) -> Recommendations:
    """Fold the user in, score every movie, leave out what was rated, return the top `k`.

    `idx` are item indices, `r` their ratings (checked by `parse_ratings` or `check_ratings`).

    - No ratings: the user is `start`, by default the mean user embedding (cold start; the other
      starts are in `starts`). Otherwise the model folds the
      user in (`CollabModel.fold_in`): for the dot model (and any model linear in the user) the
      user's factors u and bias b_u solve a ridge regression against the fixed item factors in the
      logit space of sigmoid_range, exactly, pulled towards the mean user; for the neural model a
      few gradient steps fit the user's embedding row.
    - `genres` keeps movies with any of these genres; `min_ratings` drops rarely-rated movies
      (default `MIN_RATINGS`: a movie rated twice can otherwise top the list on a lucky bias).
    - `novelty` in [0, 1] ranks by predicted rating minus novelty * (half the rating range) *
      log-popularity (log(1 + n_ratings) / log(1 + the most ratings)), so 1 trades up to two stars
      (on 1-5) of predicted rating against being the most-rated movie. `score` stays the prediction.
      (It makes lists less popular, not more varied across users: see `audit_popularity`.)
    - `taste` in [0, 1] ranks by predicted rating minus taste * the average user's predicted rating:
      0 (default) ranks by predicted rating alone, 1 by how much more than the average user you
      are predicted to like a movie. Higher taste makes lists differ more from person to person
      and reach further into the catalogue, at a cost in precision (see the benchmark).
    - `calibration` in [0, 1] makes the list's genres follow the genres of the movies you liked
      (after Steck, "Calibrated Recommendations", RecSys 2018; see `calibrated_top`). On
      MovieLens the predicted rating is dominated by the item bias (everyone is predicted to love
      Schindler's List), and a model fitted for RMSE does not know that choosing to rate eight
      horror films says something: on ML-100k its horror films do not even form a cluster, so by
      predicted rating alone a horror fan gets the classics everyone likes and no horror at all.
      Calibration picks the list greedily, trading predicted rating against the distance between
      the genres you liked and the list's; it grows with the evidence (PROFILE_PRIOR), so one
      rating nudges and eight decide. 0 turns it off; it is off anyway when no rating is above
      the middle of the scale or the data has no genres (`calibration_used` says what applied).
      With the defaults (`TASTE` 0.5, `CALIBRATION` 0.3), over five user folds of ML-100k,
      precision@10 on held-out liked movies is 6-11% lower than ranking by predicted rating
      alone (5, 10, 20 known ratings), whose lists show 5-11% of the catalogue against 46-57%
      here; a fan of a genre (8 of its films at 5 stars) gets mostly that genre and a Star Wars
      fan its two sequels first (`benchmarks/recommend_quality.py`).
    - `because` names the rated movies that pushed each recommendation up most. Where the model
      can say exactly (`CollabModel.contributions`; the dot model):
      w = [u, b_u] = A^-1 (X't + ridge * w_mean) is a sum of one term per rated movie j,
      c_j = A^-1 x_j t_j, plus the prior's; the contribution of movie j to item i is the
      projection of c_j's user-vector part on the item's factors, v_i . c_j[:d] (logit units;
      c_j's share of the user bias lifts every item alike, so it is left out), shown in rating
      points: times the sigmoid's slope at the item's score. Otherwise (approximate): how far the
      ratings moved the item from the average user's prediction, shared among the rated movies in
      proportion to (cosine of the two movies' factors) x (rating minus the data's mean rating).
      Contributions under 0.005 are left out. A movie that calibration brought into the list
      (it is not in the top k by the rank key alone) first says which of the genres you liked
      it has: "fits the genres you liked (Horror, Thriller)".
    - `score` is the predicted rating capped to the data's scale (sigmoid_range's upper end
      lies past the top star, as in the lesson); ranking uses the uncapped value. `score_sd`,
      only where the model has a posterior (`BayesDot`), is its spread (`CollabModel.score_sd`).
    - `report` is the list's `PopularityReport`.
    """
    check_whole("k", k, 1)
    check_whole("min_ratings", min_ratings, 0)
    check_unit("novelty", novelty, "0 (popular first)", "1 (novel first)")
    check_unit("taste", taste, "0 (predicted rating)", "1 (more than the average user)")
    check_unit("calibration", calibration, "0 (off)", "1 (genre mix first)")
    if ridge is not None and not (isinstance(ridge, (int, float)) and ridge > 0):
        raise ConfigError(f"ridge must be a positive number, not {ridge!r}.")
    ex = explorer
    idx, r = check_ratings(ex, idx, r)
    user = fold_in(ex, idx, r, ridge=ridge, start=start)
    score = ex.model.score(user)  # [n_items] predicted ratings
    ranked = rank_items(
        ex,
        idx,
        r,
        score,
        k=k,
        genres=genres,
        min_ratings=min_ratings,
        novelty=novelty,
        taste=taste,
        calibration=calibration,
    )
    top, key = ranked.top, ranked.key
    table = ex.item_table(top)
    table.insert(0, "rank", np.arange(1, len(top) + 1))
    lo, hi = ex.dataset.rating_scale
    table["score"] = np.clip(score[top], lo, hi)  # sigmoid_range reaches past the top star
    spread = ex.model.score_sd(user, top)  # the posterior's, where the model has one
    if spread is not None:
        table.insert(table.columns.get_loc("score") + 1, "score_sd", spread)
    table["rank_score"] = key[top]
    table["popularity_pct"] = ex.popularity.pct[top].astype(np.float32)
    contributions = _contributions(ex, user, idx, r, top, score[top])
    plain = top_k(key, ranked.allowed, k) if ranked.strength else top
    fits = genre_fits(ex.genres, ranked.profile, top, plain)
    who = "the average user" if start is None else "where you start"
    table["because"] = [
        _because(c, len(idx), f, who) for c, f in zip(contributions, fits, strict=True)
    ]
    table["contributions"] = contributions
    return Recommendations(
        table=table,
        user=user,
        report=ex.popularity.report([top]),
        novelty=float(novelty),
        taste=float(taste),
        calibration=float(calibration),
        calibration_used=float(ranked.strength),
        genre_mix=genre_mix(ex.genres, ranked.profile, top, ranked.allowed),
    )


@dataclass
class Ranking:
    """What `rank_items` decided: the list `top`, the sort `key` (predicted rating less the novelty
    and taste terms) and `allowed` over all items, the user's genre `profile` (None: none) and the
    calibration `strength` actually used."""

    top: np.ndarray
    key: np.ndarray
    allowed: np.ndarray
    profile: GenreProfile | None
    strength: float  # the calibration strength used (0: plain top-k)


def rank_items(
    ex: Explorer,
    idx: np.ndarray,
    r: np.ndarray,
    score: np.ndarray,
    *,
    k: int,
    genres: str | Sequence[str] | None = None,
    min_ratings: int = MIN_RATINGS,
    novelty: float = 0.0,
    taste: float = TASTE,
    calibration: float = CALIBRATION,
    prior: float = PROFILE_PRIOR,
) -> Ranking:
    """The top `k` for a user who rated `idx` with `r` and is predicted `score` (see
    `recommend_items`). Arguments are not checked here: `recommend_items` does that."""
    lo, hi = ex.dataset.rating_scale
    key = rank_key(ex, score, novelty, taste)
    # Movies the model never trained on are left out: it knows nothing about them.
    allowed = ex.genres.mask(genres) & (ex.n_ratings_ >= min_ratings) & ex.item_seen_
    if len(idx):  # what was rated, and other copies of the same titles, never come back
        allowed &= ~np.isin(ex.title_code_, ex.title_code_[idx])
    allowed = ex.one_copy(allowed, key)  # a title listed under two ids is recommended once
    profile = genre_profile(ex.genres, idx, r, ex.dataset.rating_scale)
    strength = calibration_strength(calibration, profile, prior)
    top = calibrated_top(ex.genres, key, allowed, profile, k, strength, hi - lo)
    return Ranking(top=top, key=key, allowed=allowed, profile=profile, strength=strength)


def rank_key(ex: Explorer, score: np.ndarray, novelty: float, taste: float) -> np.ndarray:
    """What lists are sorted by: predicted rating, less the novelty and taste terms (see
    `recommend_items`)."""
    lo, hi = ex.dataset.rating_scale
    key = score - novelty * (hi - lo) / 2 * ex.popularity.log_share
    return key - taste * ex.average_user_scores if taste else key


# ---------------------------------------------------------------------------------------------
# Explanations


def _contributions(ex: Explorer, user: NewUser, idx, r, top, top_score) -> list[list[dict]]:
    """Per recommended item, the rated movies that pushed it up, largest first (see
    `recommend_items`)."""
    if not len(idx) or not len(top):
        return [[] for _ in top]
    points = ex.model.contributions(user, top, top_score)  # [k, n] rating points, exact
    if points is None:
        # How far the ratings moved each item from the average user's prediction, shared among
        # the rated movies by (similarity to the item) x (how far the rating is from the mean).
        w = (ex.item_unit_[top] @ ex.item_unit_[idx].T) * (r - ex.dataset.ratings["rating"].mean())
        lift = np.maximum(np.asarray(top_score) - ex.average_user_scores[top], 0.0)  # [k]
        points = lift[:, None] * w / np.maximum(np.abs(w).sum(1, keepdims=True), 1e-12)
    titles = ex.labels_[idx]
    out = []
    for row in points:
        order = np.argsort(-row, kind="stable")[:N_BECAUSE]
        out.append(
            [
                {"title": str(titles[j]), "rating": float(r[j]), "points": round(float(row[j]), 4)}
                for j in order
                if row[j] >= 0.005  # what would print as +0.00 explains nothing
            ]
        )
    return out


def _because(
    contrib: list[dict], n_rated: int, fits: list[str] | None = None, who: str = "the average user"
) -> str:
    if not n_rated:
        return f"liked by {who} (no ratings yet)"
    genres = f"fits the genres you liked ({', '.join(fits)})" if fits else ""
    if not contrib:
        return genres or "none of your ratings points to it in particular"
    rated = "because you rated " + ", ".join(
        f"{c['title']} {c['rating']:g} ({c['points']:+.2f})" for c in contrib
    )
    return f"{genres}; {rated}" if genres else rated
