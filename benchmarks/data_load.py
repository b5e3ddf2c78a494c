"""How long MovieLens 100k takes to load: cold (first fetch + conversion) and warm (Parquet cache).

    python benchmarks/data_load.py [--repeats 10]

Runs in a fresh temporary $COLLAB_EXPLORER_HOME so the cold figure is a real first fetch
(GroupLens, else the RecBole wheel via pip download, which may come from pip's own cache).
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time

from collab_core.devices import describe_machine


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=10, help="warm loads to time")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="collab-bench-") as home:
        os.environ["COLLAB_EXPLORER_HOME"] = home
        t0 = time.perf_counter()
        from collab_core.data import load_dataset  # import cost reported apart from loading

        import_s = time.perf_counter() - t0

        t0 = time.perf_counter()
        ds = load_dataset()
        cold_s = time.perf_counter() - t0

        warm = []
        for _ in range(args.repeats):
            t0 = time.perf_counter()
            again = load_dataset()
            warm.append(time.perf_counter() - t0)
        assert again.fingerprint == ds.fingerprint

    print(f"machine: {describe_machine()}")
    print(f"data: {ds.name}, {len(ds.ratings):,} ratings, {ds.n_users} users, {ds.n_items} items")
    print(f"source: {ds.source}")
    print(f"import collab_core.data: {import_s:.3f} s")
    print(f"cold load (fetch + convert + cache): {cold_s:.2f} s")
    print(
        f"warm load (Parquet cache), {args.repeats} runs: median {statistics.median(warm):.3f} s, "
        f"min {min(warm):.3f} s, max {max(warm):.3f} s"
    )


if __name__ == "__main__":
    main()
