"""Which minimum number of ratings makes the best Similar-movies lists: the figure behind the default.

    python benchmarks/similar_quality.py [--seeds 3] [--thresholds 0 5 10 ...] [--shrink 25 50 100]

For each seed, MovieLens 100k's users are split in two halves at random; the default model trains
on the ratings of one half only, so the other half's ratings are evidence it never saw. Every movie
with >= 50 ratings and at least 10 fans (4+ stars) among the held-out users is a query; its ten
nearest movies (cosine, as on the page) are listed with each candidate minimum number of ratings.

The figure is the fans' lift (`evaluate.fans_lift`): how many stars more the query's fans give
each listed movie than everyone does, 0 where fewer than 3 of them rated it (no evidence, as with
a movie few people know), averaged over the list and the queries. Obscure neighbours earn nothing;
popular ones that everyone likes earn little; movies its own fans like more than others earn most.
The default is the smallest threshold whose mean over the seeds is within one standard error of
the best (the one-standard-error rule: more of the catalogue for a difference the seeds cannot
tell apart). For reference, the script also ranks by similarity shrunk by support,
cos * n / (n + shrink), with no cut-off.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time

import numpy as np


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--seeds", type=int, default=3)
    p.add_argument(
        "--thresholds", type=int, nargs="+", default=[0, 5, 10, 20, 30, 50, 75, 100, 150, 200]
    )
    p.add_argument("--shrink", type=float, nargs="*", default=[25, 50, 100])
    p.add_argument("--k", type=int, default=10)
    args = p.parse_args(argv)

    from collab_core.analysis import SIMILAR_MIN_RATINGS, Explorer
    from collab_core.config import TrainConfig
    from collab_core.data import load_dataset
    from collab_core.devices import describe_machine
    from collab_core.evaluate import fans_lift
    from collab_core.training import fit

    print(describe_machine())
    ds = load_dataset()
    n_ratings = ds.items["n_ratings"].to_numpy()
    u, i, r = ds.encode(ds.ratings)
    rows: dict[str, list[tuple[float, float, float]]] = {}
    t0 = time.perf_counter()
    for seed in range(args.seeds):
        held_out_user = np.random.default_rng(seed).random(ds.n_users) < 0.5
        held = held_out_user[u]
        result = fit(ds, TrainConfig(seed=seed), train=ds.ratings[~held], valid=ds.ratings[held])
        ex = Explorer(ds, result.model)
        hu, hi_, hr = u[held], i[held], r[held]
        fans = np.bincount(hi_[hr >= 4], minlength=ds.n_items)
        queries = np.flatnonzero((n_ratings >= 50) & (fans >= 10) & ex.item_seen_)

        listings = {}
        for m in args.thresholds:
            found = [ex.nearest(int(q), k=args.k, min_ratings=m).table for q in queries]
            listings[f"min {m}"] = [t["item_index"].to_numpy() for t in found]
        for lam in args.shrink:
            weight = n_ratings / (n_ratings + lam)
            lists = []
            for q in queries:
                sim = (ex.item_unit_ @ ex.item_unit_[q]).astype(np.float64) * weight
                sim[~ex.item_seen_ | (ex.title_code_ == ex.title_code_[q])] = -np.inf
                lists.append(np.argsort(-sim, kind="stable")[: args.k])
            listings[f"shrink {lam:g}"] = lists
        for name, lists in listings.items():
            lift, judged = fans_lift(hu, hi_, hr, queries, lists)
            median_n = float(np.median([np.median(n_ratings[nb]) for nb in lists]))
            rows.setdefault(name, []).append((lift.mean(), judged.mean(), median_n))
        print(f"seed {seed}: {len(queries)} queries ({held_out_user.sum()} held-out users)")

    print(
        f"\nfans' lift, stars (mean ± sd over {args.seeds} seeds; {time.perf_counter() - t0:.0f} s)"
    )
    print(f"{'listing':<14} {'fans lift':>16} {'with evidence':>14} {'median ratings':>15}")
    means = {}
    for name, vals in rows.items():
        lifts = [v[0] for v in vals]
        sd = statistics.stdev(lifts) if len(lifts) > 1 else 0.0
        means[name] = (statistics.mean(lifts), sd / max(len(lifts), 1) ** 0.5)
        print(
            f"{name:<14} {means[name][0]:>9.4f} ± {sd:.4f} {np.mean([v[1] for v in vals]):>13.0%}"
            f" {np.mean([v[2] for v in vals]):>15.0f}"
        )
    cut = {m: means[f"min {m}"] for m in args.thresholds}
    best = max(cut, key=lambda m: cut[m][0])
    chosen = min(m for m in cut if cut[m][0] >= cut[best][0] - cut[best][1])
    print(
        f"\nbest minimum: {best} ({cut[best][0]:.4f}); one-standard-error choice: {chosen} "
        f"({cut[chosen][0]:.4f}); the app's default (analysis.SIMILAR_MIN_RATINGS): "
        f"{SIMILAR_MIN_RATINGS}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
