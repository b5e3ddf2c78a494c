"""How fast the exploration core answers: nearest movies, fold-in + ranking, PCA map, title search.

    python benchmarks/explore.py [--repeats 50] [--scale-items 62000] [--home DIR]

On MovieLens 100k with the default model (trained once through the store, then loaded), times:
nearest movies (cosine, Euclidean), a new user's recommendations (fold-in of 5 ratings, scoring
every movie, filters, ranking and explanations), the cold start, the PCA map of the 1000 most-rated
movies and title lookups. Then the same on a synthetic catalogue of `--scale-items` movies with an
untrained dot model of the default size (speed does not depend on the weights). Targets: ML-100k
nearest < 5 ms, recommendations < 20 ms, PCA < 200 ms; 62k items: nearest < 20 ms,
recommendations < 50 ms. Each figure is the median (and p95) of `--repeats` runs after a warm-up.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from collections.abc import Callable

from collab_core.devices import describe_machine


def timed(label: str, fn: Callable[[], object], repeats: int, target_ms: float | None) -> None:
    fn()  # warm-up (first-call costs: caches, lazy imports)
    ms = []
    for _ in range(repeats):
        t = time.perf_counter()
        fn()
        ms.append((time.perf_counter() - t) * 1000)
    ms.sort()
    p95 = ms[min(len(ms) - 1, round(0.95 * (len(ms) - 1)))]
    med = statistics.median(ms)
    verdict = (
        ""
        if target_ms is None
        else f"  target < {target_ms:g} ms: " + ("met" if med < target_ms else "MISSED")
    )
    print(f"  {label:<44} median {med:8.2f} ms  p95 {p95:8.2f} ms{verdict}")


def bench(ex, repeats: int, query: str, ratings: dict, targets: dict) -> None:
    from collab_core.recommend import recommend_for

    timed(
        "nearest movies, cosine, k=10",
        lambda: ex.similar(query, k=10),
        repeats,
        targets.get("nearest"),
    )
    timed(
        "nearest movies, euclidean, k=10",
        lambda: ex.similar(query, k=10, metric="euclidean"),
        repeats,
        targets.get("nearest"),
    )
    timed(
        f"fold-in of {len(ratings)} ratings + ranking, k=10",
        lambda: recommend_for(ex, ratings, k=10),
        repeats,
        targets.get("recommend"),
    )
    timed(
        "  same, k=50",
        lambda: recommend_for(ex, ratings, k=50),
        repeats,
        targets.get("recommend"),
    )
    timed(
        "  same, k=10, genre calibration off",
        lambda: recommend_for(ex, ratings, k=10, calibration=0),
        repeats,
        targets.get("recommend"),
    )
    timed(
        "  same with genre filter and novelty 0.5",
        lambda: recommend_for(ex, ratings, k=10, genres="Comedy", novelty=0.5),
        repeats,
        targets.get("recommend"),
    )
    timed(
        "cold start (no ratings), k=10",
        lambda: recommend_for(ex, [], k=10),
        repeats,
        targets.get("recommend"),
    )
    timed(
        "PCA map, 1000 most-rated, 2 components",
        lambda: ex.embedding_map(),
        repeats,
        targets.get("pca"),
    )
    timed("title lookup, exact", lambda: ex.titles.resolve(query), repeats, None)
    timed("title search 'star', 10 results", lambda: ex.titles.search("star", 10), repeats, None)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeats", type=int, default=50)
    parser.add_argument(
        "--scale-items",
        type=int,
        default=62_000,
        help="movies in the synthetic catalogue (0 to skip)",
    )
    parser.add_argument("--home", help="COLLAB_EXPLORER_HOME to use (default: the usual one)")
    args = parser.parse_args()
    if args.home:
        os.environ["COLLAB_EXPLORER_HOME"] = args.home

    import numpy as np
    import torch

    from collab_core.analysis import Explorer
    from collab_core.config import TrainConfig
    from collab_core.data import load_dataset
    from collab_core.models import build_model
    from collab_core.store import default_model

    print(f"machine: {describe_machine()}, numpy {np.__version__}")

    ds = load_dataset()
    t = time.perf_counter()
    stored = default_model(ds)
    print(
        f"ML-100k default model {stored.model_id} ({'loaded' if stored.cached else 'trained'} "
        f"in {time.perf_counter() - t:.1f} s)"
    )
    t = time.perf_counter()
    ex = Explorer(ds, stored.model)
    print(
        f"  Explorer(dataset, model) built in {(time.perf_counter() - t) * 1000:.0f} ms "
        "(once per model)"
    )
    rated = {
        "Star Wars (1977)": 5,
        "Fargo (1996)": 4,
        "Titanic (1997)": 1,
        "Toy Story (1995)": 4,
        "Scream (1996)": 2,
    }
    bench(ex, args.repeats, "Star Wars (1977)", rated, {"nearest": 5, "recommend": 20, "pca": 200})

    if args.scale_items:
        from collab_core.synthetic import generate

        n_ratings = max(200_000, args.scale_items * 20)
        t = time.perf_counter()
        big = generate(
            n_ratings=n_ratings,
            n_items=args.scale_items,
            n_users=max(1000, n_ratings // 150),
            seed=0,
        )
        torch.manual_seed(0)
        model = build_model(TrainConfig(), big.n_users, big.n_items)
        with torch.no_grad():  # untrained weights of a trained model's scale
            for p in model.parameters():
                p.normal_(0, 0.3)
        t_ex = time.perf_counter()
        ex_big = Explorer(big, model)
        print(
            f"\nsynthetic: {big.n_items:,} items, {big.n_users:,} users, {len(big.ratings):,} "
            f"ratings (made in {t_ex - t:.1f} s); Explorer built in "
            f"{(time.perf_counter() - t_ex) * 1000:.0f} ms"
        )
        top = big.items.sort_values("n_ratings", ascending=False)["title"].tolist()
        bench(
            ex_big,
            args.repeats,
            top[0],
            {title: 5 - i % 5 for i, title in enumerate(top[:5])},
            {"nearest": 20, "recommend": 50},
        )
    sys.stdout.flush()


if __name__ == "__main__":
    main()
