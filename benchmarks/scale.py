"""How Collab Explorer scales: training throughput, memory and latencies on MovieLens-like data.

    python benchmarks/scale.py --ratings 1000000 [--items M] [--epochs 2] [--device auto] [--json]
    python benchmarks/scale.py --preset ml-25m

Generates synthetic ratings (`collab_core.synthetic`, ML-like sizes unless --users/--items say
otherwise), then measures, on that data:
- generation and `make_dataset` time;
- training throughput of both models with the default `TrainConfig` for `--epochs` epochs
  (ratings per second = training ratings / mean epoch time, over epochs 2.. when there are several,
  since the first pays one-off costs; an epoch includes its validation pass);
  the dot model trains through a `ModelStore` in a temporary folder, so its load time is measured too;
- PCA over all items (median of 3), nearest-movie and recommendation latency (median of `--repeats`
  calls after a warm-up, on one built `Explorer`, the way the app asks them);
- peak resident memory of the process (`ru_maxrss`), after generation and at the end.
A measurement whose module is missing or fails is skipped with a note (`notes` in --json).
"""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from collab_core.devices import describe_machine

# Runs from a checkout without installing: the repository root holds collab_core.
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def peak_rss_mb() -> float:
    """Peak resident memory of this process so far (ru_maxrss is KiB on Linux, bytes on macOS)."""
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return rss / (1 << 20) if sys.platform == "darwin" else rss / 1024


def cpu_s() -> float:
    """CPU seconds this process has used (user + system): a shared machine inflates wall time."""
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def median_ms(fn: Callable[[], object], repeats: int) -> float:
    """Median wall time of `repeats` calls after one warm-up call, in milliseconds."""
    fn()
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times) * 1000


class Bench:
    """Collects figures and notes; `step` runs one measurement and turns a failure into a note."""

    def __init__(self, verbose: bool) -> None:
        self.out: dict[str, object] = {}
        self.notes: list[str] = []
        self.verbose = verbose

    def log(self, text: str) -> None:
        if self.verbose:
            print(text, file=sys.stderr, flush=True)

    def step(self, what: str, fn: Callable[[], None]) -> bool:
        try:
            fn()
            return True
        except (ImportError, AttributeError) as exc:
            # The module (or the function) is not written yet: skip, say so, go on.
            self.notes.append(f"skipped {what}: {type(exc).__name__}: {exc}")
        except Exception as exc:  # a benchmark reports a broken measurement and carries on
            self.notes.append(f"failed {what}: {type(exc).__name__}: {exc}")
        self.log(f"  {self.notes[-1]}")
        return False


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--ratings", type=int, default=1_000_000, help="number of ratings to generate")
    p.add_argument(
        "--items", type=int, help="items in the catalogue (default: ML-like for the size)"
    )
    p.add_argument("--users", type=int, help="users (default: one per 150 ratings)")
    p.add_argument(
        "--preset", help="a MovieLens-sized preset instead: ml-100k, ml-1m, ml-10m, ml-25m"
    )
    p.add_argument("--epochs", type=int, default=2, help="epochs per model (default 2)")
    p.add_argument("--device", default="auto", help="auto, cpu, cuda or mps")
    p.add_argument("--models", default="dot,nn", help="comma-separated models to train")
    p.add_argument("--repeats", type=int, default=20, help="timed calls per latency figure")
    p.add_argument("--threads", type=int, help="torch CPU threads (default: torch's, one per core)")
    p.add_argument("--seed", type=int, default=42)
    p.add_argument("--json", action="store_true", help="print one JSON object")
    return p.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    from collab_core import synthetic
    from collab_core.data import make_dataset
    from collab_core.errors import CollabError

    bench = Bench(verbose=not args.json)
    out, notes, log = bench.out, bench.notes, bench.log
    try:
        if args.preset:
            cfg = synthetic.preset(args.preset, seed=args.seed)
        else:
            scale = "half_stars" if args.ratings >= 10_000_000 else "stars"
            cfg = synthetic.SyntheticConfig(
                n_ratings=args.ratings,
                n_users=args.users,
                n_items=args.items,
                scale=scale,
                seed=args.seed,
            )
        cfg = cfg.resolved()
        if args.epochs < 1:
            raise CollabError(f"--epochs must be at least 1, not {args.epochs}.")
    except CollabError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    import numpy as np
    import torch  # after the checks: a bad size is refused without waiting for torch to import

    from collab_core.devices import describe, pick_device

    if args.threads:
        torch.set_num_threads(args.threads)
    try:
        out["device"] = describe(pick_device(args.device))
    except CollabError as exc:  # e.g. --device cuda on a machine without a GPU
        print(f"error: {exc}", file=sys.stderr)
        return 2

    out["machine"] = describe_machine()
    log(f"machine: {out['machine']}; training on {out['device']}")
    t0, c0 = time.perf_counter(), cpu_s()
    ratings, items = synthetic.generate_frames(cfg)
    out["generate_s"] = round(time.perf_counter() - t0, 3)
    out["generate_cpu_s"] = round(cpu_s() - c0, 3)
    t0, c0 = time.perf_counter(), cpu_s()
    ds = make_dataset(ratings, items, name=f"synthetic-{cfg.n_ratings}")
    out["make_dataset_s"] = round(time.perf_counter() - t0, 3)
    out["make_dataset_cpu_s"] = round(cpu_s() - c0, 3)
    del ratings, items
    out.update(
        ratings=len(ds.ratings),
        users=ds.n_users,
        items=ds.n_items,
        scale=cfg.scale,
        rss_after_data_mb=round(peak_rss_mb(), 1),
    )
    log(
        f"data: {len(ds.ratings):,} ratings, {ds.n_users:,} users, {ds.n_items:,} items "
        f"({cfg.scale}); generated in {out['generate_s']:.2f} s ({out['generate_cpu_s']:.2f} s "
        f"CPU), make_dataset {out['make_dataset_s']:.2f} s ({out['make_dataset_cpu_s']:.2f} s CPU), "
        f"peak RSS {out['rss_after_data_mb']:,.0f} MB"
    )

    trained: dict[str, torch.nn.Module] = {}
    store_dir = tempfile.TemporaryDirectory(prefix="collab-scale-")

    def record(name: str, result_history: list[dict], n_train: int, device: str) -> None:
        secs = [float(h["seconds"]) for h in result_history]
        # The first epoch also pays one-off costs (lazy imports, allocator warm-up): throughput
        # is taken over the later epochs when there are any; the first is reported on its own.
        epoch_s = statistics.mean(secs[1:] or secs)
        out[f"{name}_epoch_s"] = round(epoch_s, 3)
        out[f"{name}_first_epoch_s"] = round(secs[0], 3)
        out[f"{name}_ratings_per_s"] = round(n_train / epoch_s)
        out[f"{name}_valid_rmse"] = round(float(result_history[-1]["valid_rmse"]), 4)
        out[f"{name}_device"] = device
        log(
            f"{name}: {n_train:,} training ratings, {len(secs)} epochs of "
            f"{', '.join(f'{s:.2f}' for s in secs)} s -> {n_train / epoch_s:,.0f} ratings/s "
            f"on {device}, valid RMSE {out[f'{name}_valid_rmse']:.4f}"
        )

    def train_dot_via_store() -> None:
        from collab_core.config import TrainConfig
        from collab_core.store import ModelStore

        store = ModelStore(store_dir.name)
        config = TrainConfig(model="dot", epochs=args.epochs, device=args.device)
        t0 = time.perf_counter()
        stored = store.get_or_train(ds, config)
        out["dot_train_s"] = round(time.perf_counter() - t0, 3)
        record(
            "dot",
            stored.meta["history"],
            int(stored.meta["metrics"]["n_train"]),
            str(stored.meta.get("device")),
        )
        trained["dot"] = stored.model
        loads = []
        for _ in range(3):
            t0 = time.perf_counter()
            store.load(stored.model_id)
            loads.append(time.perf_counter() - t0)
        out["store_load_ms"] = round(statistics.median(loads) * 1000, 2)
        out["model_mb"] = round(stored.meta["size"] / 1e6, 2)
        log(f"store: {out['model_mb']} MB of weights, load {out['store_load_ms']:.1f} ms")

    def train_with_fit(model: str) -> None:
        from collab_core.config import TrainConfig
        from collab_core.training import fit

        config = TrainConfig(model=model, epochs=args.epochs, device=args.device)
        t0 = time.perf_counter()
        result = fit(ds, config)
        out[f"{model}_train_s"] = round(time.perf_counter() - t0, 3)
        record(model, result.history, int(result.metrics["n_train"]), result.device)
        trained[model] = result.model

    models = [m.strip() for m in args.models.split(",") if m.strip()]
    for model in models:
        log(f"training {model} ({args.epochs} epochs)...")
        if model == "dot" and bench.step("dot via the model store", train_dot_via_store):
            continue
        bench.step(f"training {model}", lambda m=model: train_with_fit(m))

    model = trained.get("dot") or next(iter(trained.values()), None)
    if model is None:
        notes.append("skipped analysis and recommendations: no trained model")
    else:
        explorer_box: list = []

        def explorer() -> None:
            from collab_core.analysis import Explorer

            t0 = time.perf_counter()
            explorer_box.append(Explorer(ds, model))
            out["explorer_s"] = round(time.perf_counter() - t0, 3)

        bench.step("building the Explorer", explorer)
        if explorer_box:
            ex = explorer_box[0]
            most_rated = np.argsort(-ds.items["n_ratings"].to_numpy())
            ids = ds.item_ids.to_numpy()
            # Query movies across the popularity range: head, middle and tail.
            picks = [
                int(ids[most_rated[int(q * (ds.n_items - 1))]]) for q in (0, 0.01, 0.1, 0.5, 0.9)
            ]

            def pca() -> None:
                out["pca_all_items_ms"] = round(
                    median_ms(lambda: ex.embedding_map(method="pca", n_items=ds.n_items), 3), 2
                )

            def similar() -> None:
                it = iter(range(10**9))
                out["similar_ms"] = round(
                    median_ms(lambda: ex.similar(picks[next(it) % len(picks)], k=10), args.repeats),
                    3,
                )

            def recommend() -> None:
                from collab_core.recommend import recommend_for

                lo, hi = ds.rating_scale
                rated = {int(ids[most_rated[j]]): (hi if j % 2 else lo + 1) for j in range(10)}
                out["recommend_ms"] = round(
                    median_ms(lambda: recommend_for(ex, rated, k=10), args.repeats), 3
                )
                out["recommend_cold_ms"] = round(
                    median_ms(lambda: recommend_for(ex, {}, k=10), args.repeats), 3
                )

            bench.step("PCA over all items", pca)
            bench.step("nearest movies", similar)
            bench.step("recommendations", recommend)
            log(
                f"analysis over {ds.n_items:,} items: Explorer {out.get('explorer_s')} s, "
                f"PCA {out.get('pca_all_items_ms')} ms, similar {out.get('similar_ms')} ms, "
                f"recommend {out.get('recommend_ms')} ms (cold {out.get('recommend_cold_ms')} ms)"
            )

    store_dir.cleanup()
    out["peak_rss_mb"] = round(peak_rss_mb(), 1)
    out["notes"] = notes
    log(f"peak RSS {out['peak_rss_mb']:,.0f} MB")
    for n in notes:
        log(f"note: {n}")
    if args.json:
        print(json.dumps(out))
    return 0


if __name__ == "__main__":
    sys.exit(main())
