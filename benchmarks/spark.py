"""Our dot model against Spark's ALS (plain, and after a bias baseline): accuracy, time, memory.

    python benchmarks/spark.py                     # ML-100k (3 seeds) and 5M synthetic ratings
    python benchmarks/spark.py --synthetic 0       # ML-100k only
    python benchmarks/spark.py --master spark://HOST:PORT

ML-100k: the same random 80/20 splits as `benchmarks/accuracy.py` (seeds 0..n-1); RMSE on the 20%,
train seconds (Spark: the fit alone, its session's start-up reported once, separately). Synthetic:
`synthetic.generate(n_ratings=N)`; seconds per epoch (ours) or per ALS iteration, ratings per
second, and the peak resident memory of this Python process (the driver) and of Spark's JVM.
Spark runs `local[*]` unless `--master` says otherwise; its ratings Parquet is written once per
data set and seed (not timed).
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import time

from collab_core.config import TrainConfig
from collab_core.data import load_dataset
from collab_core.devices import describe_machine
from collab_core.spark_train import SparkTrainer, ratings_parquet, spark_session
from collab_core.synthetic import generate
from collab_core.training import fit


def _jvm_peak_mb(spark) -> float:
    """The JVM's peak resident memory (VmHWM), read from /proc (Linux)."""
    pid = spark.sparkContext._jvm.java.lang.ProcessHandle.current().pid()
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def _driver_peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def ml100k(spark, seeds: int) -> None:
    ds = load_dataset()
    runs = {
        "ours: dot (default)": lambda s: fit(ds, TrainConfig(seed=s)),
        "Spark ALS, plain": lambda s: SparkTrainer(spark=spark).fit(
            ds, TrainConfig(model="als", als_biases=False, seed=s)
        ),
        "Spark ALS + bias baseline": lambda s: SparkTrainer(spark=spark).fit(
            ds, TrainConfig(model="als", seed=s)
        ),
    }
    rows = {name: [] for name in runs}
    for seed in range(seeds):
        ratings_parquet(ds, seed)  # written once, not timed
        for name, run in runs.items():
            m = run(seed).metrics
            rows[name].append((m["valid_rmse"], m["train_seconds"]))
            print(f"  seed {seed} {name}: RMSE {m['valid_rmse']:.4f}, {m['train_seconds']:.1f} s")
    print(f"\nML-100k, {seeds} random 80/20 splits (seeds 0..{seeds - 1}):")
    print("| model | valid RMSE (mean ± sd) | train s (mean) |")
    print("|---|---|---|")
    for name, got in rows.items():
        r = [g[0] for g in got]
        sd = statistics.stdev(r) if len(r) > 1 else 0.0
        print(
            f"| {name} | {statistics.mean(r):.4f} ± {sd:.4f} | {statistics.mean(g[1] for g in got):.1f} |"
        )


def synthetic(spark, n: int, factors: int, iterations: int) -> None:
    t = time.perf_counter()
    ds = generate(n_ratings=n, seed=0)
    print(f"\nsynthetic: {n:,} ratings, {ds.n_users:,} users, {ds.n_items:,} items "
          f"(made in {time.perf_counter() - t:.1f} s)")  # fmt: skip
    ratings_parquet(ds, 42)
    n_train = round(n * 0.8)
    ours = fit(ds, TrainConfig(n_factors=factors, epochs=2)).metrics
    per_epoch = ours["train_seconds"] / 2
    print(f"  ours (dot, {factors} factors, 2 epochs): {per_epoch:.1f} s/epoch, "
          f"{n_train / per_epoch / 1e6:.2f} M ratings/s, RMSE {ours['valid_rmse']:.4f}, "
          f"driver peak {_driver_peak_mb():,.0f} MB")  # fmt: skip
    for biases in (False, True):
        cfg = TrainConfig(model="als", n_factors=factors, epochs=iterations, als_biases=biases)
        m = SparkTrainer(spark=spark).fit(ds, cfg).metrics
        per_iter = m["train_seconds"] / iterations
        print(f"  Spark ALS{' + biases' if biases else ''} (rank {factors}, {iterations} "
              f"iterations): {m['train_seconds']:.1f} s in all, {per_iter:.1f} s/iteration, "
              f"{n_train * iterations / m['train_seconds'] / 1e6:.2f} M ratings/s, RMSE "
              f"{m['valid_rmse']:.4f}; peaks: driver (Python) {_driver_peak_mb():,.0f} MB, "
              f"JVM {_jvm_peak_mb(spark):,.0f} MB")  # fmt: skip


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--seeds", type=int, default=3)
    p.add_argument("--master", default="local[*]")
    p.add_argument("--synthetic", type=int, default=5_000_000, help="ratings (0: skip)")
    p.add_argument("--factors", type=int, default=32)
    p.add_argument("--iterations", type=int, default=5)
    args = p.parse_args()
    print(describe_machine())
    print(f"load average before: {os.getloadavg()[0]:.1f}")
    t = time.perf_counter()
    with spark_session(args.master, conf={"spark.driver.memory": "4g"}) as spark:
        print(f"Spark {spark.version} on {args.master}: session start-up "
              f"{time.perf_counter() - t:.1f} s")  # fmt: skip
        ml100k(spark, args.seeds)
        if args.synthetic:
            synthetic(spark, args.synthetic, args.factors, args.iterations)
    print(f"load average after: {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
