"""Accuracy and training time of our models against fastai and Surprise on the same ML-100k splits.

    python benchmarks/accuracy.py --seeds 3                 # every model that is installed
    python benchmarks/accuracy.py --seeds 5 --only ours     # just our models (and the baselines)

Each seed is one random 80/20 split (`splits.random_split`); every model trains on the 80% and is
scored (RMSE) on the 20%. Peers are optional installs (`pip install -e .[bench]`, then
`pip install --no-deps fastai`: fastai's metadata asks for torchvision, which `fastai.collab` does
not use); a peer that is not installed is skipped with a message. Times are wall-clock seconds of
training only (data preparation excluded for everyone), on this machine as it is.
"""

from __future__ import annotations

import argparse
import math
import statistics
import sys
import time
import warnings
from collections.abc import Callable

import numpy as np
import pandas as pd

from collab_core.config import TrainConfig
from collab_core.data import Dataset, load_dataset
from collab_core.devices import describe_machine
from collab_core.evaluate import bias_baseline, global_mean_baseline, rmse
from collab_core.splits import random_split
from collab_core.training import fit

Runner = Callable[[Dataset, pd.DataFrame, pd.DataFrame, int], tuple[float, float]]


# --- ours -----------------------------------------------------------------------------------------


def ours(config: TrainConfig) -> Runner:
    def run(ds: Dataset, train: pd.DataFrame, valid: pd.DataFrame, seed: int):
        cfg = TrainConfig.from_dict({**config.key(), "seed": seed})
        res = fit(ds, cfg, train=train, valid=valid)
        return res.metrics["valid_rmse"], res.metrics["train_seconds"]

    return run


def global_mean(ds, train, valid, seed):
    t = time.perf_counter()
    pred = global_mean_baseline(train["rating"], len(valid))
    return rmse(pred, valid["rating"]), time.perf_counter() - t


def bias_only(ds, train, valid, seed):
    t = time.perf_counter()
    tu, ti, tr = ds.encode(train)
    vu, vi, vr = ds.encode(valid)
    pred = bias_baseline(tu, ti, tr, vu, vi)
    return rmse(pred, vr), time.perf_counter() - t


# --- Surprise -------------------------------------------------------------------------------------


def surprise(name: str, **params) -> Runner:
    def run(ds, train, valid, seed):
        import surprise as sp

        reader = sp.Reader(rating_scale=ds.rating_scale)
        data = sp.Dataset.load_from_df(train[["user_id", "item_id", "rating"]], reader)
        trainset = data.build_full_trainset()
        testset = list(
            zip(valid["user_id"], valid["item_id"], valid["rating"].astype(float), strict=True)
        )
        algo = getattr(sp, name)(random_state=seed, **params)
        t = time.perf_counter()
        algo.fit(trainset)
        seconds = time.perf_counter() - t
        pred = [p.est for p in algo.test(testset)]
        return rmse(pred, valid["rating"]), seconds

    return run


# --- fastai ---------------------------------------------------------------------------------------


def fastai_collab(use_nn: bool) -> Runner:
    def run(ds, train, valid, seed):
        from fastai.collab import TabularCollab, collab_learner
        from fastai.tabular.all import Categorify, TransformBlock, set_seed

        set_seed(seed)
        df = pd.concat([train, valid])[["user_id", "item_id", "rating"]].reset_index(drop=True)
        df["user_id"], df["item_id"] = df["user_id"].astype(str), df["item_id"].astype(str)
        splits = (list(range(len(train))), list(range(len(train), len(df))))
        to = TabularCollab(
            df,
            procs=[Categorify],
            cat_names=["user_id", "item_id"],
            y_names=["rating"],
            y_block=TransformBlock(),
            splits=splits,
        )
        dls = to.dataloaders(bs=64)
        kw = {"use_nn": True, "layers": [100, 50]} if use_nn else {"n_factors": 50}
        learn = collab_learner(dls, y_range=(0, 5.5), **kw)
        t = time.perf_counter()
        with learn.no_bar(), learn.no_logging():
            learn.fit_one_cycle(5, 5e-3, wd=0.1)
        seconds = time.perf_counter() - t
        mse = float(learn.validate()[0])
        return math.sqrt(mse), seconds

    return run


def available(module: str) -> bool:
    try:
        __import__(module)
        return True
    except Exception as exc:  # an optional peer: any import failure means "skip it"
        print(f"skipping {module}: not importable ({type(exc).__name__}: {exc})", file=sys.stderr)
        return False


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--seeds", type=int, default=3, help="number of random 80/20 splits")
    p.add_argument(
        "--only",
        choices=["all", "ours", "surprise", "fastai"],
        default="all",
        help="which peers to run (ours and the baselines always run)",
    )
    p.add_argument(
        "--fastai-seeds",
        type=int,
        help="run fastai on only the first N splits (it is ~20-100x slower than the rest)",
    )
    args = p.parse_args(argv)
    warnings.filterwarnings("ignore")

    rows: list[tuple[str, Runner]] = [
        ("ours: dot (default TrainConfig)", ours(TrainConfig())),
        ("ours: nn (TrainConfig(model='nn'))", ours(TrainConfig(model="nn"))),
        ("baseline: global mean", global_mean),
        ("baseline: user + item bias", bias_only),
    ]
    if args.only in ("all", "surprise") and available("surprise"):
        rows += [
            ("Surprise SVD (default)", surprise("SVD")),
            (
                "Surprise SVD (50 f, 40 ep, reg 0.08)",
                surprise("SVD", n_factors=50, n_epochs=40, reg_all=0.08),
            ),
            ("Surprise SVD++ (default)", surprise("SVDpp")),
        ]
    if args.only in ("all", "fastai") and available("fastai.collab"):
        rows += [
            ("fastai collab_learner (50 f, 5 ep)", fastai_collab(False)),
            ("fastai collab_learner use_nn [100,50]", fastai_collab(True)),
        ]

    ds = load_dataset()
    results: dict[str, list[tuple[float, float]]] = {name: [] for name, _ in rows}
    for seed in range(args.seeds):
        train, valid = random_split(ds.ratings, 0.2, seed)
        for name, run in rows:
            if (
                name.startswith("fastai")
                and args.fastai_seeds is not None
                and seed >= args.fastai_seeds
            ):
                continue
            r, s = run(ds, train, valid, seed)
            results[name].append((r, s))
            print(f"seed {seed}  {name:40s} RMSE {r:.4f}  {s:7.2f} s", file=sys.stderr, flush=True)

    def ms(xs: list[float]) -> str:
        sd = statistics.stdev(xs) if len(xs) > 1 else 0.0
        return f"{statistics.mean(xs):.4f} ± {sd:.4f}"

    ref = results[rows[0][0]]  # ratios compare with ours on the same splits
    print(
        f"\nML-100k, {args.seeds} random 80/20 splits (seeds 0..{args.seeds - 1}); "
        f"{describe_machine()}"
    )
    print(
        f"{'model':42s} {'RMSE (mean ± sd)':>18s} {'train s (mean ± sd)':>22s} "
        f"{'RMSE / ours':>11s} {'time / ours':>11s} {'splits':>6s}"
    )
    for name, _ in rows:
        rs = [r for r, _ in results[name]]
        ss = [s for _, s in results[name]]
        sd = statistics.stdev(ss) if len(ss) > 1 else 0.0
        ref_r = statistics.mean(r for r, _ in ref[: len(rs)])
        ref_s = statistics.mean(s for _, s in ref[: len(rs)])
        print(
            f"{name:42s} {ms(rs):>18s} {statistics.mean(ss):12.2f} ± {sd:7.2f} "
            f"{statistics.mean(rs) / ref_r:11.3f} {statistics.mean(ss) / ref_s:10.1f}x {len(rs):6d}"
        )
    return 0


if __name__ == "__main__":
    np.seterr(all="ignore")
    sys.exit(main())
