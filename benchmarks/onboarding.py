"""How fast each way of starting a new user learns them: starts, question orders, time per question.

    python benchmarks/onboarding.py [--folds 5] [--answers 0 1 3 5 10] [--max-asks 60]
        [--items 60000] [--ridge R] [--home DIR] [--plot docs/onboarding.png]

Cross-validated over users, as in `recommend_quality.py`: MovieLens 100k's users are split into
`--folds` folds; for each fold the default (dot) model is trained on the other users' ratings and
the profile model (`starts.ProfileModel`) on those users' details. Each held-out user's ratings are
split at random in half: the *answerable* half is what they can tell the questionnaire (a movie
not in it is "haven't seen it"), the *hidden* half is what every strategy is scored on, so all
strategies are scored on the same ratings. Strategies: each start (mean user, representative user,
profile model) with the adaptive order, and the mean user with most-rated-first and random order.
After 0, 1, 3, 5 and 10 answers (rated movies; skips are not answers, at most `--max-asks`
questions): RMSE on the hidden ratings, and NDCG@10 / recall@10 of the top 10 by predicted rating
(movies with >= 10 ratings, the answered ones left out) against hidden movies rated >= 4.
Then the time to choose the next question (adaptive order), on ML-100k and on a synthetic
catalogue of `--items` movies with 64 random factors; and a plot, RMSE against answers given.
"""

from __future__ import annotations

import argparse
import os
import time
from pathlib import Path

import numpy as np

from collab_core.devices import describe_machine

PLOT = Path(__file__).resolve().parents[1] / "docs" / "onboarding.png"
STRATEGIES = [
    ("mean", "adaptive"),
    ("mean", "popular"),
    ("mean", "random"),
    ("representative", "adaptive"),
    ("profile", "adaptive"),
    ("profile", "popular"),
]
K = 10
MIN_RATINGS = 10  # as the app's list


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--folds", type=int, default=5)
    ap.add_argument("--answers", type=int, nargs="+", default=[0, 1, 3, 5, 10])
    ap.add_argument("--max-asks", type=int, default=60)
    ap.add_argument("--items", type=int, default=60_000, help="synthetic catalogue size")
    ap.add_argument("--ridge", type=float, help="the fold-in's ridge (default: the model's)")
    ap.add_argument("--home", help="$COLLAB_EXPLORER_HOME to use (default: the usual one)")
    ap.add_argument("--plot", default=str(PLOT))
    args = ap.parse_args(argv)
    if args.home:
        os.environ["COLLAB_EXPLORER_HOME"] = args.home

    from collab_core import starts
    from collab_core.config import TrainConfig
    from collab_core.data import load_dataset
    from collab_core.questionnaire import Questionnaire, QuestionPool
    from collab_core.splits import user_folds
    from collab_core.training import fit

    print(describe_machine())
    ds = load_dataset()
    folds = user_folds(ds, args.folds)
    i, r, fold_of, by_user = folds.i, folds.r, folds.fold_of, folds.rows
    eligible = ds.items["n_ratings"].to_numpy() >= MIN_RATINGS
    discount = 1 / np.log2(np.arange(K) + 2)
    n_max = max(args.answers)
    # per (strategy, answers): per-fold lists of per-user figures
    figs = {
        (s, n): {m: [[] for _ in range(args.folds)] for m in ("rmse", "ndcg", "recall")}
        for s in STRATEGIES
        for n in args.answers
    }
    asks = {o: [] for o in ("adaptive", "popular", "random")}
    timings = []
    started = time.perf_counter()
    for fold in range(args.folds):
        train, valid = folds.training(ds.ratings, fold)
        model = fit(ds, TrainConfig(seed=fold), train=train, valid=valid).model
        trained = np.flatnonzero(fold_of != fold)
        start_of = {
            "mean": lambda _user, m=model: m.mean_user(),
            "representative": _constant(starts.representative_user(model, ds).user),
            "profile": _profile_starts(
                starts.ProfileModel().fit(model, ds, users=trained), model, ds
            ),
        }
        pool = QuestionPool.of(model, ds)
        for user in np.flatnonzero(fold_of == fold):
            rows = np.random.default_rng(user).permutation(by_user[user])
            half = len(rows) // 2
            told, hidden = rows[:half], rows[half:]
            truth = dict(zip(i[told].tolist(), r[told].tolist(), strict=True))
            h_items, h_r = i[hidden], r[hidden]
            liked = set(h_items[h_r >= 4].tolist())
            sequences = {}
            for order in {o for _, o in STRATEGIES}:
                q = Questionnaire(model, pool, order, seed=int(user))
                n_asked = 0
                while len(q.answers) < n_max and n_asked < args.max_asks:
                    t0 = time.perf_counter()
                    item = q.next_item()
                    if order == "adaptive":
                        timings.append(time.perf_counter() - t0)
                    if item is None:
                        break
                    n_asked += 1
                    q.answer(item, truth[item]) if item in truth else q.skip(item)
                sequences[order] = list(q.answers.items())
                asks[order].append(n_asked)
            for s in STRATEGIES:
                start = start_of[s[0]](user)
                seq = sequences[s[1]]
                for n in args.answers:
                    given = seq[:n]
                    idx = np.array([g[0] for g in given], np.int64)
                    rr = np.array([g[1] for g in given], np.float64)
                    score = model.score(model.fold_in(idx, rr, start, ridge=args.ridge))
                    f = figs[s, n]
                    f["rmse"][fold].append(np.sqrt(np.mean((score[h_items] - h_r) ** 2)))
                    key = np.where(eligible, score, -np.inf)
                    key[idx] = -np.inf
                    top = np.argpartition(-key, K)[:K]
                    top = top[np.argsort(-key[top])]
                    found = np.array([t in liked for t in top], float)
                    ideal = discount[: min(len(liked), K)].sum()
                    f["ndcg"][fold].append(found @ discount / ideal if ideal else 0.0)
                    f["recall"][fold].append(found.sum() / len(liked) if liked else 0.0)
        print(
            f"fold {fold + 1}/{args.folds} done, {time.perf_counter() - started:.0f} s", flush=True
        )
    n_users = sum(len(v) for v in figs[STRATEGIES[0], 0]["rmse"])
    print(
        f"\nML-100k, {args.folds} user folds ({n_users} held-out users), default dot model per "
        f"fold; hidden half of each user's ratings; top {K} of movies with >= {MIN_RATINGS} "
        f"ratings; fold-in ridge {args.ridge or 'the model default'}; "
        f"{time.perf_counter() - started:.0f} s"
    )
    print(
        "questions asked to reach 10 answers (or the cap): "
        + ", ".join(f"{o} {np.mean(v):.1f}" for o, v in asks.items())
    )
    print(
        f"\n{'start':<15}{'order':<9}{'answers':>7}  {'RMSE':>13}  {'NDCG@10':>13}  "
        f"{'recall@10':>13}"
    )
    table = {}
    for s in STRATEGIES:
        for n in args.answers:
            per_fold = {m: np.array([np.mean(v) for v in figs[s, n][m]]) for m in figs[s, n]}
            table[s, n] = per_fold
            cells = "  ".join(f"{v.mean():.4f}±{v.std():.4f}" for v in per_fold.values())
            print(f"{s[0]:<15}{s[1]:<9}{n:>7}  {cells}")
    print("(mean over folds ± sd of the per-fold means)")
    _targets(table, args.answers)
    _timing(timings, args.items)
    _plot(table, args.answers, args.plot)
    return 0


def _constant(user):
    return lambda _user: user


def _profile_starts(pm, model, ds):
    table = ds.users.set_index("user_id")

    def start(user):
        row = table.loc[ds.user_ids[user]]
        return pm.start(model, {c: row[c] for c in pm.fields()})

    return start


def _targets(table, answers) -> None:
    print("\nTargets")
    if 0 in answers:
        p, m = table[("profile", "adaptive"), 0]["rmse"], table[("mean", "adaptive"), 0]["rmse"]
        d = m - p
        print(
            f"  0 answers, profile vs mean RMSE: {p.mean():.4f} vs {m.mean():.4f}, "
            f"better by {d.mean():+.4f} (folds: {' '.join(f'{x:+.4f}' for x in d)}) -> "
            f"{'met' if (d > 0).all() else 'missed'}"
        )
    if 5 in answers:
        a, pop = table[("mean", "adaptive"), 5], table[("mean", "popular"), 5]
        for metric, sign in (("rmse", -1), ("ndcg", 1)):
            d = sign * (a[metric] - pop[metric])
            spread = max(a[metric].std(), pop[metric].std())
            print(
                f"  5 answers, adaptive vs most-rated-first {metric}: {a[metric].mean():.4f} vs "
                f"{pop[metric].mean():.4f}, better by {d.mean():+.4f} (fold spread {spread:.4f}; "
                f"per fold {' '.join(f'{x:+.4f}' for x in d)}) -> "
                f"{'met' if d.mean() > spread else 'missed'}"
            )


def _timing(timings, n_items) -> None:
    from collab_core.questionnaire import QuestionPool

    t = np.array(timings) * 1000
    print(
        f"\nNext question (adaptive), ML-100k: median {np.median(t):.2f} ms, p95 "
        f"{np.percentile(t, 95):.2f} ms over {len(t)} questions (target < 20 ms)"
    )
    rng = np.random.default_rng(0)
    X = np.c_[rng.normal(0, 0.3, (n_items, 64)), np.ones(n_items)]
    seen = np.minimum(1.0, rng.pareto(1.2, n_items) / 100)
    pool = QuestionPool(np.arange(n_items), X, seen)
    answered, times = [], []
    for _ in range(20):
        t0 = time.perf_counter()
        item = pool.next_item("adaptive", answered, answered)
        times.append((time.perf_counter() - t0) * 1000)
        answered.append(item)
    times = np.array(times)
    print(
        f"Next question (adaptive), synthetic {n_items:,} items x 64 factors: median "
        f"{np.median(times):.1f} ms, max {times.max():.1f} ms over 20 questions (target < 100 ms)"
    )


def _plot(table, answers, path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(7, 4.2))
    for s in STRATEGIES:
        y = [table[s, n]["rmse"].mean() for n in answers]
        ax.plot(answers, y, marker="o", label=f"{s[0]} start, {s[1]} order")
    ax.set_xlabel("answers given (movies rated)")
    ax.set_ylabel("RMSE on the hidden ratings")
    ax.set_title("A new user: RMSE against answers given (ML-100k, 5 user folds)")
    ax.set_xticks(answers)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    fig.tight_layout()
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)
    print(f"\nplot: {path}")


if __name__ == "__main__":
    raise SystemExit(main())
