"""Recommendations for a new user: cold start, fold-in, explanations, filters, popularity report.

A new user is "folded in": their factors (and bias) are fitted against the trained item factors,
which stay fixed, so no retraining is needed. With no ratings the user is the mean of all user
embeddings (the lesson's first cold-start method).
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field

import numpy as np
import pandas as pd
import torch
from torch import nn

from .analysis import Explorer, _check_int
from .data import Dataset
from .errors import ConfigError

RIDGE = 1.0  # dot fold-in: pull towards the mean user; 1.0 gave the best held-out RMSE on ML-100k
NN_STEPS = 60  # neural fold-in: Adam steps on the new user's embedding row(s)
NN_LR = 0.05
NN_L2 = 10.0  # ... pulled towards the mean user; 10 gave the best held-out RMSE with 3-10 ratings
# Defaults chosen with `benchmarks/recommend_quality.py` (5 user folds of ML-100k, a model trained
# per fold, 5/10/20 known ratings): see `recommend_for` and the README for the figures.
TASTE = 0.0  # rank by predicted rating (taste > 0 subtracts part of the average user's)
CALIBRATION = 0.4  # how hard a list is pulled towards the genres of the movies you liked
# Calibration grows with the evidence: strength x n / (n + PROFILE_PRIOR), n = the movies rated
# above the middle of the scale (one Star Wars at 5: a ninth of the strength; eight horror films
# at 4 or 5: half).
PROFILE_PRIOR = 8.0
LIST_PRIOR = 2.0  # a list starts as this many virtual movies with exactly your genre mix
# Movies with fewer ratings are left out by default: their factors and bias rest on too little.
MIN_RATINGS = 10
HEAD_SHARE_OF_RATINGS = 0.5  # "the head": the most-rated items that together get half the ratings
N_BECAUSE = 3


@dataclass
class FoldIn:
    """The new user as the model sees them.

    `factors` [d] and `bias` (logit units; NaN for the neural model, whose user rows are fitted as
    they are) are what was fitted; `rated` lists the rated movies with the rating given and the
    model's fitted rating for it; `method` says how it was done.
    """

    factors: np.ndarray
    bias: float
    method: str
    rated: pd.DataFrame
    params: dict[str, torch.Tensor] = field(default_factory=dict, repr=False)  # neural model rows


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


@dataclass
class Recommendations:
    """Top-k movies for a new user: `table` (rank, title, score = predicted rating capped to the
    data's scale, because ...).

    `genre_mix` compares, genre by genre, the share of the user's liking (`yours`), of this list
    (`list`) and of the catalogue the list was drawn from (`catalogue`); see `calibrated_top`.
    """

    table: pd.DataFrame
    user: FoldIn
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
    lo, hi = explorer.dataset.rating_scale
    chosen: dict[int, float] = {}
    for pair in pairs:
        if (
            isinstance(pair, (str, bytes))
            or not isinstance(pair, Iterable)
            or len(pair := tuple(pair)) != 2
        ):
            raise ConfigError(f"Each rating is a (movie, rating) pair, not {pair!r}.")
        movie, value = pair
        idx = explorer.resolve(movie)
        title = explorer.titles.titles[idx]
        try:
            r = float(value)
        except (TypeError, ValueError):
            raise ConfigError(
                f"The rating for {title!r} must be a number, not {value!r}."
            ) from None
        if not math.isfinite(r) or r < lo or r > hi:
            raise ConfigError(
                f"The rating {value!r} for {title!r} is outside this data set's "
                f"scale; give a rating from {lo:g} to {hi:g}."
            )
        if idx in chosen and chosen[idx] != r:
            raise ConfigError(f"{title!r} is rated twice ({chosen[idx]:g} and {r:g}); keep one.")
        chosen[idx] = r
    idx = np.fromiter(chosen, dtype=np.int64, count=len(chosen))
    return idx, np.array(list(chosen.values()), dtype=np.float64)


# ---------------------------------------------------------------------------------------------
# Fold-in


def fold_in(explorer: Explorer, idx: np.ndarray, r: np.ndarray, *, ridge: float = RIDGE) -> FoldIn:
    """Fit the new user's factors against the fixed item factors (see `recommend_for`)."""
    seen = explorer.user_seen_ if explorer.user_seen_.any() else np.ones_like(explorer.user_seen_)
    mean_u, mean_b = explorer.cached(  # the prior: the mean trained user
        "mean_user",
        lambda: (
            explorer.user_factors_[seen].mean(0).astype(np.float64),
            float(explorer.user_bias_[seen].mean()),
        ),
    )
    if explorer.is_dot:
        if len(idx) == 0:
            w = np.r_[mean_u, mean_b]
            method = "cold start: the mean of all user embeddings"
        else:
            X, t, A = _ridge_system(explorer, idx, r, ridge)
            w = np.linalg.solve(A, X.T @ t + ridge * np.r_[mean_u, mean_b])
            method = f"fold-in: ridge regression in logit space (ridge {ridge:g}), exact"
        fold = FoldIn(factors=w[:-1], bias=float(w[-1]), method=method, rated=pd.DataFrame())
    else:
        params = _user_rows(explorer.model, explorer.dataset.n_users)
        start = {
            n: p.detach()[torch.as_tensor(seen)].mean(0, keepdim=True) for n, p in params.items()
        }
        if len(idx) == 0:
            rows, method = start, "cold start: the mean of all user embeddings"
        else:
            rows = _gradient_fold_in(explorer.model, start, idx, r)
            method = f"fold-in: {NN_STEPS} Adam steps on the user's embedding (neural model)"
        emb = _embedding_name(explorer, params)
        fold = FoldIn(
            factors=rows[emb][0].numpy().astype(np.float64),
            bias=float("nan"),
            method=method,
            rated=pd.DataFrame(),
            params=rows,
        )
    fitted = score_items(explorer, fold, idx) if len(idx) else np.zeros(0)
    fold.rated = pd.DataFrame(
        {
            "item_index": idx,
            "title": explorer.titles.titles[idx],
            "rating": r,
            "fitted": fitted,
        }
    )
    return fold


def _ridge_system(explorer: Explorer, idx, r, ridge):
    """X = [item factors, 1] of the rated movies, targets t in logit space, A = X'X + ridge*I.

    The dot model predicts sigmoid_range(u.v + b_u + b_i + g); inverting the sigmoid, the rating
    r becomes logit((r - lo)/(hi - lo)) - b_i - g = [v, 1].[u, b_u]: a linear system in [u, b_u].
    """
    X = np.c_[explorer.item_factors_[idx].astype(np.float64), np.ones(len(idx))]  # [n, d+1]
    t = explorer.to_logit(r) - explorer.item_bias_[idx] - explorer.global_logit()
    A = X.T @ X + ridge * np.eye(X.shape[1])
    return X, t, A


def _user_rows(model: nn.Module, n_users: int) -> dict[str, torch.Tensor]:
    """The model's per-user parameters (embedding tables with one row per user), by name."""
    rows = {}
    user_factors = model.user_factors()
    for name, mod in model.named_modules():
        if isinstance(mod, nn.Embedding) and mod.num_embeddings == n_users:
            w = mod.weight
            if getattr(model, "n_items", -1) == n_users and not (
                w.shape == user_factors.shape and torch.equal(w.detach().cpu(), user_factors)
            ):
                continue  # as many items as users: keep only the table user_factors() returns
            rows[f"{name}.weight" if name else "weight"] = w
    if not rows:
        raise ConfigError(
            f"Cannot fold a new user into {type(model).__name__}: it has no "
            "per-user embedding table."
        )
    return rows


def _embedding_name(explorer: Explorer, params: dict) -> str:
    d = explorer.user_factors_.shape[1]
    return next((n for n, p in params.items() if p.shape[1] == d), next(iter(params)))


def _gradient_fold_in(model: nn.Module, start: dict, idx, r) -> dict[str, torch.Tensor]:
    """A few Adam steps on one fresh user row of each per-user table, the model held fixed.

    Loss: squared error on the given ratings plus NN_L2 * squared distance from the mean user,
    so a single rating moves the user only part of the way.
    """
    rows = {n: p.clone().requires_grad_(True) for n, p in start.items()}
    # Every other weight goes in detached, so the model's own .grad stays untouched.
    fixed = {n: p.detach() for n, p in model.named_parameters() if n not in rows}
    opt = torch.optim.Adam(rows.values(), lr=NN_LR)
    users = torch.zeros(len(idx), dtype=torch.long)
    items = torch.as_tensor(idx, dtype=torch.long)
    target = torch.as_tensor(r, dtype=torch.float32)
    for _ in range(NN_STEPS):
        pred = torch.func.functional_call(model, {**fixed, **rows}, (users, items))
        loss = ((pred - target) ** 2).sum() + NN_L2 * sum(
            ((rows[n] - start[n]) ** 2).sum() for n in rows
        )
        opt.zero_grad()
        loss.backward()
        opt.step()
    return {n: p.detach() for n, p in rows.items()}


def score_items(explorer: Explorer, user: FoldIn, items: np.ndarray | None = None) -> np.ndarray:
    """Predicted ratings of the folded-in user for `items` (all items when None)."""
    if explorer.is_dot:
        V = explorer.item_factors_ if items is None else explorer.item_factors_[items]
        b = explorer.item_bias_ if items is None else explorer.item_bias_[items]
        u = user.factors.astype(np.float32)
        z = np.einsum("ij,j->i", V, u) + b + user.bias + explorer.global_logit()  # see similar()
        return explorer.from_logit(z)
    n = explorer.dataset.n_items if items is None else len(items)
    it = torch.arange(n) if items is None else torch.as_tensor(items, dtype=torch.long)
    with torch.no_grad():
        pred = torch.func.functional_call(
            explorer.model, user.params, (torch.zeros(n, dtype=torch.long), it)
        )
    return pred.double().numpy()


# ---------------------------------------------------------------------------------------------
# Recommending


def recommend(dataset: Dataset, model: nn.Module, ratings=(), **kwargs) -> Recommendations:
    """Top-k movies for a new user who gave `ratings` ({movie: rating} or pairs); see `recommend_for`.

    Build an `Explorer` once and call `recommend_for` (or `Explorer.recommend`) when asking often.
    """
    return recommend_for(Explorer(dataset, model), ratings, **kwargs)


def recommend_for(
    explorer: Explorer,
    ratings=(),
    *,
    k: int = 10,
    genres: str | Sequence[str] | None = None,
    min_ratings: int = MIN_RATINGS,
    novelty: float = 0.0,
    taste: float = TASTE,
    calibration: float = CALIBRATION,
    ridge: float = RIDGE,
) -> Recommendations:
    """Fold the user in, score every movie, leave out what was rated, return the top `k`.

    - No ratings: the user is the mean user embedding (cold start). Otherwise, for the dot model the
      user's factors u and bias b_u solve a ridge regression against the fixed item factors in the
      logit space of sigmoid_range (exact, see `_ridge_system`), pulled towards the mean user; for
      the neural model a few gradient steps fit the user's embedding row.
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
      With the default `CALIBRATION`, over five user folds of ML-100k, precision@10 on held-out
      liked movies is 7% lower than ranking by predicted rating alone with 5 known ratings, the
      same with 10 and 10% higher with 20; the lists show more of the catalogue; a fan of a
      genre (8 of its films at 5 stars) gets mostly that genre and a Star Wars fan its two
      sequels first (`benchmarks/recommend_quality.py`).
    - `because` names the rated movies that pushed each recommendation up most. Dot model, exact:
      w = [u, b_u] = A^-1 (X't + ridge * w_mean) is a sum of one term per rated movie j,
      c_j = A^-1 x_j t_j, plus the prior's; the contribution of movie j to item i is the
      projection of c_j's user-vector part on the item's factors, v_i . c_j[:d] (logit units;
      c_j's share of the user bias lifts every item alike, so it is left out), shown in rating
      points: times the sigmoid's slope at the item's score. Neural model (approximate): how far the
      ratings moved the item from the average user's prediction, shared among the rated movies in
      proportion to (cosine of the two movies' factors) x (rating minus the data's mean rating).
      Contributions under 0.005 are left out. A movie that calibration brought into the list
      (it is not in the top k by the rank key alone) first says which of the genres you liked
      it has: "fits the genres you liked (Horror, Thriller)".
    - `score` is the predicted rating capped to the data's scale (sigmoid_range's upper end
      lies past the top star, as in the lesson); ranking uses the uncapped value.
    - `report` is the list's `PopularityReport`.
    """
    _check_int("k", k, 1)
    _check_int("min_ratings", min_ratings, 0)
    _check_unit("novelty", novelty, "0 (popular first)", "1 (novel first)")
    _check_unit("taste", taste, "0 (predicted rating)", "1 (more than the average user)")
    _check_unit("calibration", calibration, "0 (off)", "1 (genre mix first)")
    if not (isinstance(ridge, (int, float)) and ridge > 0):
        raise ConfigError(f"ridge must be a positive number, not {ridge!r}.")
    ex = explorer
    idx, r = parse_ratings(ex, ratings)
    user = fold_in(ex, idx, r, ridge=ridge)
    score = score_items(ex, user)  # [n_items] predicted ratings
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
    table["rank_score"] = key[top]
    table["popularity_pct"] = ex.popularity_[top]
    contributions = _contributions(ex, user, idx, r, top, score[top], ridge)
    fits = _genre_fits(ex, ranked, k)
    table["because"] = [_because(c, len(idx), f) for c, f in zip(contributions, fits, strict=True)]
    table["contributions"] = contributions
    report = _report(_popularity_stats(ex), [top])
    return Recommendations(
        table=table,
        user=user,
        report=report,
        novelty=float(novelty),
        taste=float(taste),
        calibration=float(calibration),
        calibration_used=float(ranked.strength),
        genre_mix=genre_mix(ex, ranked.profile, top, ranked.allowed),
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
    """The top `k` for a user who rated `idx` with `r` and is predicted `score` (see recommend_for).

    Arguments are not checked here: `recommend_for` does that.
    """
    key = _rank_key(ex, score, novelty, taste)
    # Movies the model never trained on are left out: it knows nothing about them.
    allowed = genre_mask(ex, genres) & (ex.n_ratings_ >= min_ratings) & ex.item_seen_
    if len(idx):  # what was rated, and other copies of the same titles, never come back
        allowed &= ~np.isin(ex.title_code_, ex.title_code_[idx])
    profile = genre_profile(ex, idx, r)
    strength = calibration_strength(calibration, profile, prior)
    top = calibrated_top(ex, key, allowed, profile, k, strength)
    return Ranking(top=top, key=key, allowed=allowed, profile=profile, strength=strength)


def top_k(key: np.ndarray, allowed: np.ndarray, k: int) -> np.ndarray:
    """Indices of the `k` largest `key` among `allowed`, largest first (ties: lower index)."""
    key = np.where(allowed, key, -np.inf)
    kk = min(k, int(allowed.sum()))
    if not kk:
        return np.zeros(0, np.int64)
    top = np.argpartition(-key, kk - 1)[:kk]
    return top[np.lexsort((top, -key[top]))]


# ---------------------------------------------------------------------------------------------
# Genre calibration


def genre_matrix(explorer: Explorer) -> tuple[list[str], np.ndarray]:
    """(genre names, [n_items, n_genres] 0/1 matrix: which genres each item lists), cached."""

    def make():
        names = sorted(explorer.genre_counts)
        col = {g: j for j, g in enumerate(names)}
        has = np.zeros((explorer.dataset.n_items, len(names)))
        for row, gs in enumerate(explorer.dataset.items["genres"]):
            has[row, [col[g] for g in gs]] = 1.0
        return names, has

    return explorer.cached("genre_matrix", make)


@dataclass
class GenreProfile:
    """The genres of the movies a user liked.

    `share[g]`: the share of the liking that went to movies listing genre g, where each rated
    movie counts by its stars above the middle of the scale (on 1-5 a 5 counts twice a 4, a 3 or
    less not at all); 1.0 when every liked movie has g. `liked`: how many movies that is.
    """

    share: np.ndarray
    liked: int


def genre_profile(explorer: Explorer, idx: np.ndarray, r: np.ndarray) -> GenreProfile | None:
    """The user's `GenreProfile`; None when no rating is above the middle of the scale or the
    data has no genres (then there is nothing to calibrate to)."""
    names, has = genre_matrix(explorer)
    if not len(idx) or not names:  # no genres in this data set
        return None
    lo, hi = explorer.dataset.rating_scale
    weight = np.maximum(np.asarray(r, np.float64) - (lo + hi) / 2, 0.0)
    total = float(weight.sum())
    if total <= 0:
        return None
    share = np.clip((weight @ has[idx]) / total, 0.0, 1.0)
    share[share > 1 - 1e-9] = 1.0  # a genre in every liked movie, whatever the rounding
    share[share < 1e-9] = 0.0
    return GenreProfile(share=share, liked=int((weight > 0).sum()))


def calibration_strength(
    calibration: float, profile: GenreProfile | None, prior: float = PROFILE_PRIOR
) -> float:
    """The strength actually used: `calibration` x n / (n + prior), n the liked movies; 0 with no
    profile."""
    return 0.0 if profile is None else calibration * profile.liked / (profile.liked + prior)


def calibrated_top(
    explorer: Explorer,
    key: np.ndarray,
    allowed: np.ndarray,
    profile: GenreProfile | None,
    k: int,
    strength: float,
) -> np.ndarray:
    """The top `k` of `allowed` items by `key`, with the genres of `profile` (calibrated).

    After Steck, "Calibrated Recommendations" (RecSys 2018). The list L grows greedily, each time
    by the item c that maximises

        (1 - s) * (mean of key(i) over L + c) / (rating range)  -  s * D(p, q(L + c))

    with s = `strength` (from `calibration_strength`), p = `profile.share`, q(L)[g] = the share of L's movies that
    list genre g, counted with LIST_PRIOR virtual movies whose shares are p (so a short list is
    not judged on one or two movies), and D the sum over genres of the Bernoulli KL divergence
    p log(p/q) + (1-p) log((1-p)/(1-q)): a genre in every liked movie should be in (nearly)
    every recommendation, one in a third of them in about a third. Steck sums the keys and uses
    one categorical KL over genre shares; the mean keeps the trade-off the same at every length
    (with the sum, items 11-20 of a horror fan's list drifted back to the classics), and
    per-genre shares read as the user sees them ("8 of the 8 films you liked are Horror").
    Plain top-k when the strength is 0 or there is no profile.

    Exact and fast: an item's gain depends only on its key and its genres, so among the items
    with one combination of genres only the best one not yet picked can win a step. Each step
    scores one candidate per combination (a few hundred on ML-100k, a few thousand on ML-25M).
    Exact ties between combinations go to the one sorted first.
    """
    s = strength
    if profile is None or s == 0:
        return top_k(key, allowed, k)
    _, has = genre_matrix(explorer)
    signature = explorer.cached(
        "genre_signature", lambda: np.unique(has, axis=0, return_inverse=True)[1].ravel()
    )
    pool = np.flatnonzero(allowed)
    order = pool[np.lexsort((pool, -key[pool], signature[pool]))]  # by genres, then best key
    sig = signature[order]
    start = np.flatnonzero(np.r_[True, sig[1:] != sig[:-1]])  # each combination's best item
    end = np.r_[start[1:], len(order)]
    rows = has[order[start]]  # [combinations, genres]
    head = start.copy()  # the best item of each combination not picked yet
    lo, hi = explorer.dataset.rating_scale
    scaled = np.r_[(1 - s) * key[order] / (hi - lo), -np.inf]  # [-1]: a combination used up
    p = profile.share
    total = np.zeros(len(p))
    chosen = []
    for n in range(min(k, len(order))):
        q = (total + rows + LIST_PRIOR * p) / (n + 1 + LIST_PRIOR)  # the list with each added
        gain = scaled[np.where(head < end, head, -1)] / (n + 1) - s * _bernoulli_kl(p, q)
        best = int(np.argmax(gain))
        chosen.append(order[head[best]])
        head[best] += 1
        total += rows[best]
    return np.asarray(chosen, dtype=np.int64)


def _bernoulli_kl(p: np.ndarray, q: np.ndarray) -> np.ndarray:
    """Sum over the last axis of KL(Bernoulli(p) || Bernoulli(q)); 0 log 0 = 0.

    q is kept inside [1e-12, 1 - 1e-12]: with p exactly 0 or 1 (see `genre_profile`) it never
    leaves (0, 1), but a rounding error must not turn a gain into -inf.
    """
    q = np.clip(q, 1e-12, 1 - 1e-12)
    with np.errstate(divide="ignore", invalid="ignore"):
        on = np.where(p > 0, p * np.log(p / q), 0.0)
        off = np.where(p < 1, (1 - p) * np.log((1 - p) / (1 - q)), 0.0)
    return (on + off).sum(-1)


def genre_mix(
    explorer: Explorer, profile: GenreProfile | None, top: np.ndarray, allowed: np.ndarray
) -> pd.DataFrame:
    """Genre by genre: its share of what the user liked, of the list, of the allowed catalogue.

    Shares of movies listing the genre (a movie can list several, so a column can sum past 1).
    Genres absent from both the user's liking and the list are left out; sorted by the user's
    share, then the list's.
    """
    names, has = genre_matrix(explorer)
    columns = ["genre", "yours", "list", "catalogue"]
    if not names:
        return pd.DataFrame(columns=columns)
    mix = pd.DataFrame(
        {
            "genre": names,
            "yours": profile.share if profile is not None else np.zeros(len(names)),
            "list": has[top].mean(0) if len(top) else np.zeros(len(names)),
            "catalogue": has[allowed].mean(0) if allowed.any() else np.zeros(len(names)),
        }
    )
    mix = mix[(mix[["yours", "list"]] > 0).any(axis=1)]
    return mix.sort_values(["yours", "list"], ascending=False, kind="stable").reset_index(drop=True)


def _rank_key(ex: Explorer, score: np.ndarray, novelty: float, taste: float) -> np.ndarray:
    """What lists are sorted by: predicted rating, less the novelty and taste terms (see above)."""
    lo, hi = ex.dataset.rating_scale
    key = score - novelty * (hi - lo) / 2 * _log_popularity(ex)
    return key - taste * average_user_scores(ex) if taste else key


def _check_unit(name: str, value, lo: str, hi: str) -> None:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 <= value <= 1:
        raise ConfigError(f"{name} must be a number from {lo} to {hi}, not {value!r}.")


def average_user_scores(explorer: Explorer) -> np.ndarray:
    """Predicted ratings of every item for the cold-start (mean) user, cached on the explorer."""
    empty = np.zeros(0, np.int64)
    return explorer.cached(
        "average_user_scores", lambda: score_items(explorer, fold_in(explorer, empty, np.zeros(0)))
    )


def genre_mask(explorer: Explorer, genres: str | Sequence[str] | None) -> np.ndarray:
    """Items with any of `genres` (any case); all items for None or empty."""
    if genres is None or (not isinstance(genres, str) and not len(genres)):
        return np.ones(explorer.dataset.n_items, bool)
    wanted = [genres] if isinstance(genres, str) else list(genres)
    known = {g.casefold(): g for g in explorer.genre_counts}
    bad = [g for g in wanted if str(g).casefold() not in known]
    if bad:
        raise ConfigError(
            f"Unknown genre {bad[0]!r}; this data set has {', '.join(sorted(known.values()))}."
        )
    names, has = genre_matrix(explorer)
    cols = sorted({names.index(known[str(g).casefold()]) for g in wanted})
    return has[:, cols].any(axis=1)


def _log_popularity(explorer: Explorer) -> np.ndarray:
    n = explorer.n_ratings_
    return explorer.cached("log_popularity", lambda: np.log1p(n) / np.log1p(max(1, int(n.max()))))


def _contributions(ex: Explorer, user: FoldIn, idx, r, top, top_score, ridge) -> list[list[dict]]:
    """Per recommended item, the rated movies that pushed it up, largest first (see recommend_for)."""
    if not len(idx) or not len(top):
        return [[] for _ in top]
    if ex.is_dot:
        X, t, A = _ridge_system(ex, idx, r, ridge)
        per_movie = np.linalg.solve(A, (X * t[:, None]).T)  # [d+1, n]: A^-1 x_j t_j as columns
        Vt = ex.item_factors_[top].astype(np.float64)  # [k, d]
        lo, hi = ex.y_range
        p = (np.asarray(top_score) - lo) / (hi - lo)
        slope = (hi - lo) * p * (1 - p)  # d rating / d logit at each item's score
        points = (Vt @ per_movie[:-1]) * slope[:, None]  # [k, n] rating points
    else:
        # How far the ratings moved each item from the average user's prediction, shared among
        # the rated movies by (similarity to the item) x (how far the rating is from the mean).
        w = (ex.item_unit_[top] @ ex.item_unit_[idx].T) * (r - ex.dataset.ratings["rating"].mean())
        lift = np.maximum(np.asarray(top_score) - average_user_scores(ex)[top], 0.0)  # [k]
        points = lift[:, None] * w / np.maximum(np.abs(w).sum(1, keepdims=True), 1e-12)
    titles = ex.titles.titles[idx]
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


def _because(contrib: list[dict], n_rated: int, fits: list[str] | None = None) -> str:
    if not n_rated:
        return "liked by the average user (no ratings yet)"
    genres = f"fits the genres you liked ({', '.join(fits)})" if fits else ""
    if not contrib:
        return genres or "none of your ratings points to it in particular"
    rated = "because you rated " + ", ".join(
        f"{c['title']} {c['rating']:g} ({c['points']:+.2f})" for c in contrib
    )
    return f"{genres}; {rated}" if genres else rated


def _genre_fits(ex: Explorer, ranked: Ranking, k: int) -> list[list[str]]:
    """For each listed item that calibration brought in (not in the plain top k by key), the
    genres it shares with what the user liked, most liked first; [] for the others."""
    if ranked.strength == 0 or ranked.profile is None:
        return [[] for _ in ranked.top]
    plain = set(top_k(ranked.key, ranked.allowed, k).tolist())
    names, has = genre_matrix(ex)
    share = ranked.profile.share
    liked = [j for j in np.argsort(-share, kind="stable") if share[j] > 0]  # most liked first
    return [
        [] if item in plain else [names[j] for j in liked if has[item, j]][:3]
        for item in ranked.top
    ]


# ---------------------------------------------------------------------------------------------
# Popularity bias


def popularity_report(dataset: Dataset, lists: Sequence[Sequence[int]]) -> PopularityReport:
    """How popular the movies in one or more recommendation lists (item indices) are."""
    return _report(_PopularityStats.of(dataset.items["n_ratings"].to_numpy(np.int64)), lists)


@dataclass
class _PopularityStats:
    """Per-item percentile of number of ratings and the head (computed once per explorer)."""

    n_ratings: np.ndarray
    pct: np.ndarray
    head: np.ndarray

    @classmethod
    def of(cls, n_ratings: np.ndarray) -> _PopularityStats:
        pct = pd.Series(n_ratings).rank(pct=True).to_numpy() * 100
        order = np.argsort(-n_ratings, kind="stable")
        cum = np.cumsum(n_ratings[order]) / max(1, n_ratings.sum())
        head = np.zeros(len(n_ratings), bool)
        head[order[: int(np.searchsorted(cum, HEAD_SHARE_OF_RATINGS) + 1)]] = True
        return cls(n_ratings, pct, head)


def _popularity_stats(ex: Explorer) -> _PopularityStats:
    return ex.cached("popularity_stats", lambda: _PopularityStats.of(ex.n_ratings_))


def _report(stats: _PopularityStats, lists: Sequence[Sequence[int]]) -> PopularityReport:
    n_ratings, pct, head = stats.n_ratings, stats.pct, stats.head
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


def audit_popularity(
    explorer: Explorer,
    *,
    k: int = 10,
    novelty: float = 0.0,
    taste: float = TASTE,
    calibration: float = CALIBRATION,
    min_ratings: int = MIN_RATINGS,
    n_users: int = 200,
    seed: int = 0,
) -> PopularityReport:
    """The popularity report over the top-k lists of `n_users` real users (what they have not rated).

    Lists are ranked as `recommend_for` ranks them. Coverage over many users shows the feedback
    loop the lesson warns about: a recommender that shows everyone the same head keeps most of
    the catalogue out of sight. On ML-100k (default model, 200 users, k 10) ranking by predicted
    rating alone covers 9% of the catalogue, taste 0.5 25%, taste 1 29%; the novelty penalty
    lowers the lists' popularity (mean percentile 80 -> 49 at novelty 0.5) but not their variety:
    it moves everyone to the same less-rated movies (coverage 9% -> 8%).
    """
    _check_int("k", k, 1)
    _check_int("n_users", n_users, 1)
    _check_int("min_ratings", min_ratings, 0)
    _check_unit("novelty", novelty, "0 (popular first)", "1 (novel first)")
    _check_unit("taste", taste, "0 (predicted rating)", "1 (more than the average user)")
    _check_unit("calibration", calibration, "0 (off)", "1 (genre mix first)")
    ex, ds = explorer, explorer.dataset
    rng = np.random.default_rng(seed)
    pool = np.flatnonzero(ex.user_seen_)
    users = np.sort(rng.choice(pool, min(n_users, len(pool)), replace=False))
    u, i, r = ds.encode(ds.ratings)
    pred = np.empty((len(users), ds.n_items))  # [n_users, n_items], a few users per call
    step = max(1, (1 << 20) // ds.n_items)
    items = torch.arange(ds.n_items)
    with torch.no_grad():
        for s in range(0, len(users), step):
            chunk = torch.as_tensor(users[s : s + step])
            pairs = (chunk.repeat_interleave(ds.n_items), items.repeat(len(chunk)))
            pred[s : s + step] = ex.model.predict(*pairs).double().numpy().reshape(len(chunk), -1)
    eligible = ex.item_seen_ & (ex.n_ratings_ >= min_ratings)
    order = np.argsort(u, kind="stable")
    bounds = np.searchsorted(u[order], users), np.searchsorted(u[order], users, side="right")
    lists = []
    for row, start, stop in zip(pred, *bounds, strict=True):
        mine = order[start:stop]  # this user's ratings
        allowed = eligible.copy()
        allowed[i[mine]] = False  # leave out what they have rated
        profile = genre_profile(ex, i[mine], r[mine])
        key = _rank_key(ex, row, novelty, taste)
        strength = calibration_strength(calibration, profile)
        lists.append(calibrated_top(ex, key, allowed, profile, k, strength))
    return _report(_popularity_stats(ex), lists)
