"""How fast a stored model comes back: `ModelStore.load` and `get_or_train` hits on ML-100k.

    python benchmarks/store_load.py [--repeats 50] [--home DIR]

Trains the default `TrainConfig` on MovieLens 100k through the store the first time (or reuses
it), then times many loads by id and many `get_or_train` hits (read + sha256 check + rebuild).
Uses `$COLLAB_EXPLORER_HOME` (or `--home`), so a second run reuses the stored model.
"""

from __future__ import annotations

import argparse
import os
import statistics
import time

from collab_core.devices import describe_machine


def summary(label: str, seconds: list[float]) -> str:
    ms = sorted(s * 1000 for s in seconds)
    p95 = ms[min(len(ms) - 1, round(0.95 * (len(ms) - 1)))]
    return (
        f"{label}, {len(ms)} runs: median {statistics.median(ms):.1f} ms, p95 {p95:.1f} ms, "
        f"min {ms[0]:.1f} ms, max {ms[-1]:.1f} ms"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=50, help="timed loads of each kind")
    parser.add_argument("--home", help="use this $COLLAB_EXPLORER_HOME")
    args = parser.parse_args()
    if args.home:
        os.environ["COLLAB_EXPLORER_HOME"] = args.home

    from collab_core.config import TrainConfig
    from collab_core.data import load_dataset
    from collab_core.store import ModelStore

    ds = load_dataset()
    store = ModelStore()
    config = TrainConfig()
    t0 = time.perf_counter()
    sm = store.get_or_train(ds, config)
    first_s = time.perf_counter() - t0

    loads, hits = [], []
    for _ in range(args.repeats):
        t0 = time.perf_counter()
        loaded = store.load(sm.model_id)
        loads.append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        hit = store.get_or_train(ds, config)
        hits.append(time.perf_counter() - t0)
        assert loaded.cached and hit.cached and hit.model_id == sm.model_id

    print(f"machine: {describe_machine()}")
    print(f"data: {ds.name}, {len(ds.ratings):,} ratings, {ds.n_users} users, {ds.n_items} items")
    print(
        f"model {sm.model_id}: {config.model}, {config.resolved().n_factors} factors, "
        f"{sm.meta['size'] / 1e6:.2f} MB weights, valid RMSE {sm.metrics['valid_rmse']:.4f}, "
        f"stored in {store.root}"
    )
    how = "reused from the store" if sm.cached else "trained and stored"
    print(f"first get_or_train ({how}): {first_s:.2f} s")
    print(summary("ModelStore.load(model_id)", loads))
    print(summary("ModelStore.get_or_train hit", hits))


if __name__ == "__main__":
    main()
