"""How fast the feedback-loop simulation runs, and which way the loop pushes the catalogue.

    python benchmarks/simulate.py [--seeds 5] [--rounds 20] [--skip-scale] [--plot PATH]

On MovieLens 100k with the default model (trained once through the store, then loaded):
1. speed: the set-up (true tastes, the warm start on all ratings) and one round (lists for all
   943 users, their picks and ratings, the warm-start update), median over 5 rounds after a
   warm-up run that loads the compiled kernels; targets: a round < 2 s;
2. 20 rounds of two policies, wall time (predicted + ε-random, and predicted + calibrated);
   target < 1 min;
3. one round at 1M synthetic ratings (`collab_core.synthetic`, 6,667 users x 7,311 movies, the
   default dot model trained on them first); target < 20 s (skip with --skip-scale);
4. the direction of the effect: `--rounds` rounds of each policy for `--seeds` seeds (the seed
   draws the true tastes' noise, the choices and the warm starts' order): coverage and
   homogenisation at round 1, 5 and the last, mean and sd over the seeds, for predicted rating
   with the loop, predicted rating with a model that never learns (the control), ε-random,
   calibrated, most popular, and predicted rating with lists that may show a movie again
   (`repeat`, the experiment on the choice model). The plot (mean, band = ±1 sd) goes to --plot;
5. enthusiasts: 10 rounds of predicted rating with and without ten fans of War, Musical and
   Horror (a genre already in everyone's lists, a rare one, one almost never there), 3 seeds: the
   genre's share of the other users' list slots.
Every figure is printed with the machine; on a shared machine they are pessimistic.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from collab_core.config import TrainConfig  # noqa: E402
from collab_core.devices import describe_machine  # noqa: E402
from collab_core.simulate import SimulationSettings, simulate  # noqa: E402

PLOT = Path(__file__).resolve().parents[1] / "assets" / "feedback_loops_benchmark.png"
CONTROL = "predicted, model never learns (control)"
RUNS = {  # label: settings (besides the seed and the rounds)
    "predicted rating": {},
    CONTROL: {"learn": False},
    "ε-random (ε 0.1)": {"policy": "epsilon"},
    "calibrated (the app's default)": {"policy": "calibrated"},
    "most popular": {"policy": "popular"},
    "predicted, lists may repeat a pick": {"repeat": True},
}
SHOWN = ("coverage", "homogenisation")
GENRES = ("War", "Musical", "Horror")  # in everyone's lists already, rarely, almost never


def verdict(value: float, target: float) -> str:
    return f"target < {target:g} s: " + ("met" if value < target else "MISSED")


def speed(ds, stored) -> None:
    print("\n1. One round on ML-100k (943 users, top 10, warm-start update)")
    simulate(ds, stored.model, SimulationSettings(rounds=1), config=stored.config)  # warm-up
    t0 = time.perf_counter()
    res = simulate(ds, stored.model, SimulationSettings(rounds=5), config=stored.config)
    total = time.perf_counter() - t0
    rounds = res.rounds["seconds"].to_list()
    med = statistics.median(rounds)
    print(f"  rounds (s): {', '.join(f'{s:.2f}' for s in rounds)}")
    print(f"  set-up (true tastes + warm start on all ratings): {total - sum(rounds):.2f} s")
    print(f"  median round: {med:.2f} s  {verdict(med, 2)}")

    print("\n2. 20 rounds of two policies on ML-100k")
    for pair in (("predicted", "epsilon"), ("predicted", "calibrated")):
        t0 = time.perf_counter()
        for policy in pair:
            simulate(
                ds, stored.model, SimulationSettings(rounds=20, policy=policy), config=stored.config
            )
        wall = time.perf_counter() - t0
        print(f"  {' + '.join(pair)}: {wall:.1f} s  {verdict(wall, 60)}")


def scale() -> None:
    from collab_core import synthetic
    from collab_core.training import fit

    print("\n3. One round at 1M synthetic ratings")
    t0 = time.perf_counter()
    ds = synthetic.generate(n_ratings=1_000_000)
    config = TrainConfig()
    model = fit(ds, config).model
    print(
        f"  {len(ds.ratings):,} ratings, {ds.n_users:,} users x {ds.n_items:,} movies; generated "
        f"and trained in {time.perf_counter() - t0:.1f} s"
    )
    for policy in ("predicted", "calibrated"):
        t0 = time.perf_counter()
        res = simulate(ds, model, SimulationSettings(rounds=2, policy=policy), config=config)
        rounds = res.rounds["seconds"].to_list()
        setup = time.perf_counter() - t0 - sum(rounds)
        print(
            f"  {policy}: set-up {setup:.1f} s, rounds {rounds[0]:.1f} / {rounds[1]:.1f} s  "
            f"{verdict(max(rounds), 20)}"
        )


def direction(ds, stored, seeds: int, rounds: int, plot: Path | None) -> None:
    print(f"\n4. The direction of the effect: {rounds} rounds, {seeds} seeds (mean ± sd)")
    curves: dict[str, dict[str, np.ndarray]] = {}
    for label, extra in RUNS.items():
        t0 = time.perf_counter()
        runs = [
            simulate(
                ds,
                stored.model,
                SimulationSettings(rounds=rounds, seed=seed, **extra),
                config=stored.config,
            ).rounds
            for seed in range(seeds)
        ]
        curves[label] = {m: np.stack([r[m].to_numpy() for r in runs]) for m in SHOWN}
        cells = []
        for m in SHOWN:
            c = curves[label][m]
            fmt = ".1%" if m == "coverage" else ".3f"
            cells.append(
                f"{m} "
                + " → ".join(
                    f"{c[:, t].mean():{fmt}} ± {c[:, t].std(ddof=1) if seeds > 1 else 0:{fmt}}"
                    for t in sorted({0, min(4, rounds - 1), rounds - 1})
                )
            )
        print(f"  {label} ({time.perf_counter() - t0:.0f} s): {';  '.join(cells)}")
    print(
        f"  (rounds shown: {', '.join(str(t + 1) for t in sorted({0, min(4, rounds - 1), rounds - 1}))})"
    )
    loop, control = curves.get("predicted rating"), curves.get(CONTROL)
    if loop is not None and control is not None:
        gaps = {m: loop[m][:, -1] - control[m][:, -1] for m in SHOWN}
        print(
            f"  loop minus control at round {rounds}, seed by seed: coverage "
            + ", ".join(f"{v:+.1%}" for v in gaps["coverage"])
            + "; homogenisation "
            + ", ".join(f"{v:+.3f}" for v in gaps["homogenisation"])
        )
    if plot is not None:
        draw(curves, rounds, seeds, plot)
        print(f"  plot: {plot}")


def enthusiasts(ds, stored, seeds: int, rounds: int = 10) -> None:
    print(f"\n5. Enthusiasts: {rounds} rounds, {seeds} seeds, predicted rating (mean ± sd)")
    print("   the genre's share of the other users' list slots, rounds 1 → 5 → last")
    for genre in GENRES:
        mask = np.array([genre in g for g in ds.items["genres"]])
        cells = []
        for fans in (None, genre):
            runs = [
                simulate(
                    ds,
                    stored.model,
                    SimulationSettings(rounds=rounds, seed=seed, enthusiasts=fans),
                    config=stored.config,
                )
                for seed in range(seeds)
            ]
            # Without enthusiasts there is no genre_share column: count the exposure instead.
            share = np.array(
                [[mask.repeat(row).mean() for row in r.exposure] for r in runs]
            )  # [seeds, rounds]
            picked = [0, min(4, rounds - 1), rounds - 1]
            text = " → ".join(
                f"{share[:, t].mean():.1%} ± {share[:, t].std(ddof=1):.1%}" for t in picked
            )
            top = np.mean([r.rounds["top1_share"].mean() for r in runs])
            cells.append(f"{'with' if fans else 'without'}: {text} (top 1% gave {top:.0%})")
        print(f"  {genre} ({int(mask.sum())} movies): {';  '.join(cells)}")


def draw(curves: dict, rounds: int, seeds: int, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 2, figsize=(12, 5.2))
    x = np.arange(1, rounds + 1)
    titles = {
        "coverage": "Catalogue coverage (share of movies shown; log scale)",
        "homogenisation": "Homogenisation (mean Jaccard of two users' lists)",
    }
    for ax, m in zip(axes, SHOWN, strict=True):
        for n, (label, c) in enumerate(curves.items()):
            mean, sd = c[m].mean(0), c[m].std(0, ddof=1) if seeds > 1 else np.zeros(rounds)
            style = "--" if "control" in label else ":" if "repeat" in label else "-"
            (line,) = ax.plot(x, mean, style, color=f"C{n}", label=label, lw=2)
            ax.fill_between(x, mean - sd, mean + sd, color=line.get_color(), alpha=0.15)
        ax.set_title(titles[m], fontsize=11)
        ax.set_xlabel("round")
        ax.xaxis.set_major_locator(matplotlib.ticker.MaxNLocator(integer=True))
        ax.grid(alpha=0.3)
        if m == "coverage":  # log: the policies span 5% to 50%
            ax.set_yscale("log")
            ax.yaxis.set_major_locator(matplotlib.ticker.FixedLocator([0.05, 0.1, 0.2, 0.3, 0.5]))
            ax.yaxis.set_major_formatter(matplotlib.ticker.PercentFormatter(1.0, decimals=0))
            ax.yaxis.set_minor_formatter(matplotlib.ticker.NullFormatter())
    handles, labels = axes[0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="lower center", ncol=3, fontsize=9, frameon=False)
    fig.suptitle(f"ML-100k, default model, 943 users, top 10: mean of {seeds} seeds, band ±1 sd")
    fig.tight_layout(rect=(0, 0.1, 1, 1))
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--seeds", type=int, default=5)
    p.add_argument("--rounds", type=int, default=20)
    p.add_argument("--skip-speed", action="store_true", help="skip parts 1 and 2")
    p.add_argument("--skip-scale", action="store_true", help="skip the 1M-rating round")
    p.add_argument("--skip-direction", action="store_true", help="skip part 4")
    p.add_argument("--skip-enthusiasts", action="store_true", help="skip part 5")
    p.add_argument("--plot", type=Path, default=PLOT, help=f"where the plot goes ({PLOT.name})")
    args = p.parse_args()
    from collab_core.data import load_dataset
    from collab_core.store import default_model

    print(describe_machine())
    ds = load_dataset()
    stored = default_model(ds)
    if not args.skip_speed:
        speed(ds, stored)
    if not args.skip_scale:
        scale()
    if not args.skip_direction:
        direction(ds, stored, args.seeds, args.rounds, args.plot)
    if not args.skip_enthusiasts:
        enthusiasts(ds, stored, min(args.seeds, 3))
    print(f"\n(load average at the end: {describe_machine().rsplit('load average ', 1)[-1]})")


if __name__ == "__main__":
    main()
