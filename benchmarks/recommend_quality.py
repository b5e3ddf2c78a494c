"""How good a new user's recommendations are, for each ranking setting (taste, calibration).

    python benchmarks/recommend_quality.py [--folds 5] [--given 5 10 20] [--k 10]
        [--taste 0 0.25 0.5] [--calibration 0 0.3 0.5 0.7] [--prior 8] [--home DIR]

Cross-validated over users, as the app meets them: a new user is not in the training data.
MovieLens 100k's users are split into `--folds` folds; for each fold the default model is trained
(its own seed) on the other users' ratings, and each held-out user with enough ratings tells the
recommender `--given` of their ratings, picked at random; the rest are hidden. Per setting:

- P@k, NDCG@k: hidden movies the user rated >= 4 found in the top k (all movies not given are
  candidates, as in the app; unrated ones count as misses, so these figures favour popular lists);
- pop: mean popularity percentile of the recommended movies (a random movie: 50);
- cover: distinct movies recommended to all users, over the movies that can be recommended.

Then what a movie fan checks, on each fold's model, averaged: for each genre below, a new user who
rates the genre's 8 most-rated films 5 stars; the share of that genre in their top k (a random
eligible movie: the `base` column), and where a Star Wars fan (Star Wars 5) finds The Empire
Strikes Back and Return of the Jedi. Last, `--random-fans` horror fans per fold, each rating 4 to 8
random horror films (>= 50 ratings) 4 or 5 stars: horror's share of their top 10 and top 20 (mean,
worst, and how many get a majority). Defaults of `recommend_for` were picked from these figures.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from itertools import product

import numpy as np

from collab_core.devices import describe_machine

FAN_GENRES = ["Horror", "Romance", "Sci-Fi", "Children's", "Western", "Musical", "Crime", "Comedy"]
FAN_SIZE = 8
SEQUELS = ["Empire Strikes Back, The (1980)", "Return of the Jedi (1983)"]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--folds", type=int, default=5)
    ap.add_argument("--given", type=int, nargs="+", default=[5, 10, 20])
    ap.add_argument("--k", type=int, default=10)
    ap.add_argument("--taste", type=float, nargs="+", default=[0.0, 0.25, 0.5])
    ap.add_argument("--calibration", type=float, nargs="+", default=[0.0, 0.3, 0.5, 0.7])
    ap.add_argument("--prior", type=float, nargs="+", default=None, help="profile prior(s)")
    ap.add_argument(
        "--random-fans", type=int, default=20, help="random horror fans per fold (see below)"
    )
    ap.add_argument("--home", help="$COLLAB_EXPLORER_HOME to use (default: the usual one)")
    args = ap.parse_args(argv)
    if args.home:
        os.environ["COLLAB_EXPLORER_HOME"] = args.home

    from collab_core import recommend as R
    from collab_core.analysis import Explorer
    from collab_core.config import TrainConfig
    from collab_core.data import load_dataset
    from collab_core.splits import user_folds
    from collab_core.training import fit

    priors = args.prior or [R.PROFILE_PRIOR]
    settings = list(product(args.taste, args.calibration, priors))
    print(describe_machine())
    ds = load_dataset()
    folds = user_folds(ds, args.folds)
    i, r, fold_of, by_user = folds.i, folds.r, folds.fold_of, folds.rows
    genres = ds.items["genres"].to_numpy()
    lists = {(g, s): [] for g in args.given for s in settings}
    hits = {(g, s): [] for g in args.given for s in settings}
    ndcg = {(g, s): [] for g in args.given for s in settings}
    fans = {s: {g: [] for g in FAN_GENRES} for s in settings}
    sequel_rank = {s: {t: [] for t in SEQUELS} for s in settings}
    random_fans = {s: ([], []) for s in settings}  # horror share of each top 10, top 20
    discount = 1 / np.log2(np.arange(args.k) + 2)
    start = time.perf_counter()
    for fold in range(args.folds):
        train, valid = folds.training(ds.ratings, fold)
        model = fit(ds, TrainConfig(seed=fold), train=train, valid=valid).model
        ex = Explorer(ds, model)
        for given in args.given:
            for user in np.flatnonzero(fold_of == fold):
                rows = by_user[user]
                if len(rows) < given + 10:
                    continue
                rows = np.random.default_rng(user).permutation(rows)
                idx, rr = i[rows[:given]], r[rows[:given]]
                liked = set(i[rows[given:]][r[rows[given:]] >= 4])
                score = ex.model.score(R.fold_in(ex, idx, rr))
                for s in settings:
                    top = _rank(R, ex, idx, rr, score, args.k, s)
                    found = np.array([t in liked for t in top], dtype=float)
                    ideal = discount[: min(len(liked), args.k)].sum()
                    hits[given, s].append(found.sum() / args.k)
                    ndcg[given, s].append((found @ discount[: len(top)]) / ideal if ideal else 0)
                    lists[given, s].append(top)
        for s in settings:
            for g in FAN_GENRES:
                members = np.flatnonzero([g in gs for gs in genres] & ex.item_seen_)
                idx = members[np.argsort(-ex.n_ratings_[members], kind="stable")][:FAN_SIZE]
                rr = np.full(len(idx), 5.0)
                top = _rank(R, ex, idx, rr, ex.model.score(R.fold_in(ex, idx, rr)), args.k, s)
                fans[s][g].append(np.mean([g in genres[t] for t in top]))
            rng = np.random.default_rng(fold)  # the same fans for every setting
            horror = np.flatnonzero(["Horror" in gs for gs in genres] & (ex.n_ratings_ >= 50))
            for _ in range(args.random_fans):
                n = rng.integers(4, 9)
                idx = rng.choice(horror, n, replace=False)
                rr = rng.choice([4.0, 5.0], n, p=[0.3, 0.7])
                score = ex.model.score(R.fold_in(ex, idx, rr))
                top = _rank(R, ex, idx, rr, score, 20, s)
                is_horror = np.array(["Horror" in genres[t] for t in top])
                random_fans[s][0].append(is_horror[:10].mean())
                random_fans[s][1].append(is_horror.mean())
            sw = np.array([ex.titles.resolve("Star Wars (1977)")])
            top = _rank(R, ex, sw, np.array([5.0]), ex.model.score(R.fold_in(ex, sw, [5.0])), 50, s)
            titles = list(ex.titles.titles[top])
            for t in SEQUELS:
                sequel_rank[s][t].append(titles.index(t) + 1 if t in titles else 51)
    eligible = ex.item_seen_ & (ex.n_ratings_ >= R.MIN_RATINGS)
    print(
        f"ML-100k, {args.folds} user folds, default model per fold, top {args.k}; "
        f"defaults: taste {R.TASTE}, calibration {R.CALIBRATION}, prior {R.PROFILE_PRIOR}; "
        f"{time.perf_counter() - start:.0f} s\n"
    )
    print(
        f"{'given':>5} {'taste':>5} {'calib':>5} {'prior':>5}  {'P@k':>6} {'NDCG':>6} "
        f"{'pop':>5} {'cover':>5}  users"
    )
    for (given, s), found in hits.items():
        shown = np.unique(np.concatenate(lists[given, s]))
        print(
            f"{given:>5} {s[0]:>5g} {s[1]:>5g} {s[2]:>5g}  {np.mean(found):6.4f} "
            f"{np.mean(ndcg[given, s]):6.4f} "
            f"{np.mean(ex.popularity.pct[np.concatenate(lists[given, s])]):5.1f} "
            f"{len(shown) / eligible.sum():5.2f}  {len(found)}"
        )
    base = {g: np.mean([g in gs for gs in genres[eligible]]) for g in FAN_GENRES}
    print(
        f"\nA fan of a genre (its {FAN_SIZE} most-rated films at 5 stars): the genre's share "
        f"of the top {args.k}, mean over folds; Star Wars fan: rank of the sequels"
    )
    head = " ".join(f"{g[:8]:>8}" for g in FAN_GENRES)
    print(f"{'taste':>5} {'calib':>5} {'prior':>5}  {head}  {'Empire':>6} {'Jedi':>6}")
    print(f"{'base':>17}  " + " ".join(f"{base[g]:8.2f}" for g in FAN_GENRES))
    for s in settings:
        shares = " ".join(f"{np.mean(fans[s][g]):8.2f}" for g in FAN_GENRES)
        ranks = " ".join(f"{np.mean(sequel_rank[s][t]):6.1f}" for t in SEQUELS)
        print(f"{s[0]:>5g} {s[1]:>5g} {s[2]:>5g}  {shares}  {ranks}")
    print(
        f"\nRandom horror fans ({args.random_fans} per fold): 4-8 horror films with >= 50 "
        "ratings, each rated 4 (30%) or 5; horror's share of the top 10 and top 20"
    )
    print(
        f"{'taste':>5} {'calib':>5} {'prior':>5}  {'top 10: mean':>12} {'min':>5} "
        f"{'majority':>8}  {'top 20: mean':>12} {'min':>5} {'majority':>8}"
    )
    for s in settings:
        cols = []
        for shares in random_fans[s]:
            a = np.array(shares)
            cols.append(f"{a.mean():12.2f} {a.min():5.2f} {np.mean(a > 0.5):8.0%}")
        print(f"{s[0]:>5g} {s[1]:>5g} {s[2]:>5g}  {cols[0]}  {cols[1]}")
    return 0


def _rank(R, ex, idx, r, score, k, setting) -> np.ndarray:
    taste, calibration, prior = setting
    return R.rank_items(
        ex, idx, r, score, k=k, taste=taste, calibration=calibration, prior=prior
    ).top


if __name__ == "__main__":
    sys.exit(main())
