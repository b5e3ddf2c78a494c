"""How hard a new user's fold-in should pull towards the start, by how many ratings they gave.

    python benchmarks/fold_in_ridge.py [--folds 5] [--given 1 3 5 10 20 40]
        [--ridge 0.5 1 2 3 5 8 12] [--home DIR]

Cross-validated over users, as `recommend_quality.py` and `onboarding.py`: MovieLens 100k's users
are split into `--folds` folds; for each fold the default (dot) model is trained (its own seed) on
the other users' ratings. Each held-out user's ratings are shuffled and split in half: the first
`--given` of the first half are folded in (`CollabModel.fold_in`, from the mean user, with each
`--ridge`), the second half is hidden. Printed per (given, ridge): RMSE on the hidden ratings and
recall@10 of hidden movies rated >= 4 (top 10 by predicted rating among movies with >= 10
ratings, the given ones left out), mean over folds with the spread of the fold means.
`models.FOLD_IN_RIDGE` was chosen from these figures.
"""

from __future__ import annotations

import argparse
import os
import time

import numpy as np

from collab_core.devices import describe_machine

K = 10
MIN_RATINGS = 10


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--folds", type=int, default=5)
    ap.add_argument("--given", type=int, nargs="+", default=[1, 3, 5, 10, 20, 40])
    ap.add_argument("--ridge", type=float, nargs="+", default=[0.5, 1, 2, 3, 5, 8, 12])
    ap.add_argument("--home", help="$COLLAB_EXPLORER_HOME to use (default: the usual one)")
    args = ap.parse_args(argv)
    if args.home:
        os.environ["COLLAB_EXPLORER_HOME"] = args.home

    from collab_core.config import TrainConfig
    from collab_core.data import load_dataset
    from collab_core.models import FOLD_IN_RIDGE
    from collab_core.splits import user_folds
    from collab_core.training import fit

    print(describe_machine())
    started = time.perf_counter()
    ds = load_dataset()
    folds = user_folds(ds, args.folds)
    i, r, fold_of, by_user = folds.i, folds.r, folds.fold_of, folds.rows
    eligible = ds.items["n_ratings"].to_numpy() >= MIN_RATINGS
    rmse = {(g, k): [[] for _ in range(args.folds)] for g in args.given for k in args.ridge}
    recall = {(g, k): [[] for _ in range(args.folds)] for g in args.given for k in args.ridge}
    for fold in range(args.folds):
        train, valid = folds.training(ds.ratings, fold)
        model = fit(ds, TrainConfig(seed=fold), train=train, valid=valid).model
        for user in np.flatnonzero(fold_of == fold):
            rows = np.random.default_rng(user).permutation(by_user[user])
            half = len(rows) // 2
            told, hidden = rows[:half], rows[half:]
            liked = set(i[hidden][r[hidden] >= 4].tolist())
            for g in args.given:
                if g > len(told):
                    continue
                given = told[:g]
                for k in args.ridge:
                    new = model.fold_in(i[given], r[given], ridge=k)
                    scores = model.score(new)
                    err = scores[i[hidden]] - r[hidden]
                    rmse[g, k][fold].append(float(np.mean(err**2)))
                    if liked:
                        s = np.where(eligible, scores, -np.inf)
                        s[i[given]] = -np.inf
                        top = np.argpartition(-s, K)[:K]
                        recall[g, k][fold].append(len(liked & set(top.tolist())) / len(liked))
    print(
        f"{args.folds} folds, {ds.n_users} held-out users, {time.perf_counter() - started:.0f} s; "
        f"current FOLD_IN_RIDGE = {FOLD_IN_RIDGE:g}"
    )
    print("given  ridge   RMSE (± fold spread)   recall@10   users")
    for g in args.given:
        best = min(args.ridge, key=lambda k: _mean(rmse[g, k], True)[0])
        for k in args.ridge:
            m, sd = _mean(rmse[g, k], True)
            rc, _ = _mean(recall[g, k], False)
            n = sum(len(f) for f in rmse[g, k])
            mark = "  <- best RMSE" if k == best else ""
            print(f"{g:5d} {k:6g}   {m:.4f} ± {sd:.4f}      {rc:.4f}     {n}{mark}")
    return 0


def _mean(per_fold, root: bool) -> tuple[float, float]:
    means = np.array([np.mean(f) for f in per_fold if f])
    if root:
        means = np.sqrt(means)
    return float(means.mean()), float(means.std())


if __name__ == "__main__":
    raise SystemExit(main())
