"""What a feedback loop does to the lists, per round: coverage, Gini, overlap, genres, concentration.

Pure functions of the lists shown (item indices) and of counts; `METRICS` names and explains each
column of a simulation's per-round table (`simulate.SimulationResult.rounds`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd
from scipy import sparse

# column: (label, what it measures); in the order the page draws them.
METRICS: dict[str, tuple[str, str]] = {
    "coverage": (
        "Catalogue coverage",
        "the share of the movies the model knows that at least one list showed in the round",
    ),
    "homogenisation": (
        "Homogenisation (mean Jaccard)",
        "how much two users' lists overlap (shared movies / movies in either), averaged over "
        "pairs of users (Chaney et al. 2018)",
    ),
    "gini": (
        "Gini of exposure",
        "how unequally the list slots are spread over the catalogue: 0 every movie shown "
        "equally often, 1 every slot the same movie",
    ),
    "popularity_pct": (
        "Mean popularity percentile shown",
        "where the movies shown rank by number of ratings so far (a movie at random: 50)",
    ),
    "genre_diversity": ("Genres per list", "distinct genres in a user's list, averaged over users"),
    "rmse_true": (
        "RMSE against true tastes",
        "the model's error against the simulated users' true ratings of every movie",
    ),
    "utility": (
        "True rating of what users picked",
        "the mean true rating of the movies users chose to watch (their real satisfaction)",
    ),
    "top1_share": (
        "New ratings from the top 1% most active",
        "the share of the round's new ratings given by the 1% of users who gave the most",
    ),
    "genre_share": (
        "The enthusiasts' genre in others' lists",
        "the share of the other users' list slots that hold a movie of the enthusiasts' genre",
    ),
}
# The conclusion calls a gap between a run and its control the loop's only past these.
CLEAR_COVERAGE = 0.01  # a point of the catalogue
CLEAR_OVERLAP = 0.01  # of mean Jaccard
JACCARD_USERS = 1000  # homogenisation over at most this many users' lists (all pairs of them)


def exposure(lists: Sequence[np.ndarray], n_items: int) -> np.ndarray:
    """[n_items] how many of `lists` show each item."""
    if not len(lists):
        return np.zeros(n_items, np.int64)
    return np.bincount(np.concatenate(lists).astype(np.int64), minlength=n_items)


def coverage(counts: np.ndarray) -> float:
    """Share of the items in `counts` (exposure over a catalogue) shown at least once."""
    return float((np.asarray(counts) > 0).mean()) if len(counts) else float("nan")


def gini(counts: np.ndarray) -> float:
    """Gini coefficient of non-negative `counts`: sum_i (2i - n - 1) c_(i) / (n sum c), c sorted
    ascending (i from 1); 0 when all are equal, (n - 1) / n when one item has everything."""
    c = np.sort(np.asarray(counts, np.float64))
    n, total = len(c), float(c.sum())
    if not n or total == 0:
        return float("nan")
    i = np.arange(1, n + 1)
    return float(((2 * i - n - 1) * c).sum() / (n * total))


def mean_jaccard(lists: Sequence[np.ndarray], n_items: int) -> float:
    """Mean Jaccard overlap |A ∩ B| / |A ∪ B| over all pairs of `lists` (each a set of items).

    Intersections come from the sparse user-by-item incidence matrix B: B B' [n, n].
    """
    n = len(lists)
    if n < 2:
        return float("nan")
    sizes = np.array([len(x) for x in lists], np.float64)
    rows = np.repeat(np.arange(n), sizes.astype(np.int64))
    cols = np.concatenate(lists).astype(np.int64)
    b = sparse.csr_matrix((np.ones(len(cols), np.float32), (rows, cols)), shape=(n, n_items))
    inter = (b @ b.T).toarray()
    union = sizes[:, None] + sizes[None, :] - inter
    upper = np.triu_indices(n, 1)
    with np.errstate(invalid="ignore", divide="ignore"):
        jac = np.where(union[upper] > 0, inter[upper] / union[upper], 0.0)
    return float(jac.mean())


def genre_diversity(lists: Sequence[np.ndarray], has: np.ndarray) -> float:
    """Mean number of distinct genres in a list; `has` [n_items, n_genres] is 0/1 per item."""
    if not len(lists) or not has.shape[1]:
        return float("nan")
    return float(np.mean([int(has[x].any(axis=0).sum()) for x in lists]))


def share_of(lists: Sequence[np.ndarray], mask: np.ndarray) -> float:
    """Share of all list slots holding an item where `mask` (bool [n_items]) is True."""
    flat = np.concatenate(lists) if len(lists) else np.zeros(0, np.int64)
    return float(mask[flat].mean()) if len(flat) else float("nan")


def top_share(given: np.ndarray, share: float = 0.01) -> float:
    """Share of the total of `given` (new ratings per user, over every user) that the top `share`
    of users (at least one) gave."""
    given = np.asarray(given, np.float64)
    total = float(given.sum())
    if not total:
        return float("nan")
    n_top = max(1, int(round(share * len(given))))
    return float(np.sort(given)[::-1][:n_top].sum() / total)


# ---------------------------------------------------------------------------------------------
# What the figures say


def _moved(a: float, b: float, fmt: str, tol: float) -> str:
    """'rose from 12% to 20%' / 'fell ...' / 'stayed near 12%', by `fmt`, within `tol`."""
    if abs(b - a) <= tol:
        return f"stayed near {a:{fmt}}"
    return f"{'rose' if b > a else 'fell'} from {a:{fmt}} to {b:{fmt}}"


def conclusion(
    runs: Mapping[str, pd.DataFrame], *, genre: str | None = None, n_enthusiasts: int = 0
) -> str:
    """The lesson, read off the figures: a few sentences (markdown) about `runs` (label -> per-round
    table, the first one the main policy; a label containing "no loop" is the control)."""
    labels = list(runs)
    main = labels[0]
    control = next((x for x in labels if "no loop" in x), None)
    others = [x for x in labels[1:] if x != control]
    a = runs[main]
    r = int(a["round"].iloc[-1])

    def ends(t: pd.DataFrame, m: str) -> tuple[float, float]:
        return float(t[m].iloc[0]), float(t[m].iloc[-1])

    c0, c1 = ends(a, "coverage")
    h0, h1 = ends(a, "homogenisation")
    p0, p1 = ends(a, "popularity_pct")
    cmin = float(a["coverage"].min())
    low = int(a["round"].iloc[int(a["coverage"].to_numpy().argmin())])
    dip = f" (lowest {cmin:.1%}, round {low})" if cmin < min(c0, c1) - 0.0005 else ""
    popular = (
        f", and the movies shown grew more popular (percentile {p0:.0f} → {p1:.0f})"
        if p1 > p0 + 0.5
        else ""
    )
    out = [
        f"**{main}**: over {r} rounds the share of the catalogue its lists showed "
        f"{_moved(c0, c1, '.1%', 0.0005)}{dip}; the overlap between two users' lists "
        f"{_moved(h0, h1, '.2f', 0.005)}{popular}."
    ]
    if control is not None:
        k = runs[control]
        k1, kh1 = float(k["coverage"].iloc[-1]), float(k["homogenisation"].iloc[-1])
        cov_gap, hom_gap = k1 - c1, h1 - kh1  # > 0: the loop narrowed the lists
        gap = []
        if cov_gap > CLEAR_COVERAGE:
            gap.append(f"showing {c1:.1%} of the catalogue instead of {k1:.1%}")
        if hom_gap > CLEAR_OVERLAP:
            gap.append(f"lists more alike ({h1:.2f} against {kh1:.2f})")
        if gap:
            loop = (
                f"The gap is the loop: learning from its own lists left **{main}** "
                + " and ".join(gap)
                + "."
            )
        else:
            loop = (
                f"Here **{main}** ended within a point of the control ({c1:.1%} coverage, "
                f"{h1:.2f} overlap): in these rounds the loop left no clear mark."
            )
        drift = (
            ": people never watch a movie twice, so their lists drift apart on their own"
            if kh1 < float(k["homogenisation"].iloc[0]) - 0.005
            else ""
        )
        out.append(
            f"The same users with a model that never learns from what it showed (the control) "
            f"ended at {k1:.1%} coverage and {kh1:.2f} overlap{drift}. {loop}"
        )
    for name in others:
        o = runs[name]
        oc, oh = float(o["coverage"].iloc[-1]), float(o["homogenisation"].iloc[-1])
        ou, au = float(o["utility"].mean()), float(a["utility"].mean())
        out.append(
            f"**{name}** showed {oc:.1%} of the catalogue in the last round (against {c1:.1%}), "
            f"with lists {'less' if oh < h1 else 'more'} alike ({oh:.2f} against {h1:.2f}); what "
            f"users picked was worth {ou:.2f} true stars on average (against {au:.2f})."
        )
    if genre is not None and "genre_share" in a:
        g0, g1 = ends(a, "genre_share")
        top = float(a["top1_share"].iloc[0])
        peak = int(a["round"].iloc[int(a["genre_share"].to_numpy().argmax())])
        frozen = ""
        if control is not None and "genre_share" in runs[control]:
            f0, f1 = ends(runs[control], "genre_share")
            frozen = f"; with the model that never learns, {f0:.1%} → {f1:.1%}"
        out.append(
            f"The {n_enthusiasts} {genre} enthusiasts gave {top:.0%} of the new ratings each "
            f"round; {genre} {_moved(g0, g1, '.1%', 0.0005)} of everyone else's list slots "
            f"under **{main}** (peak {a['genre_share'].max():.1%}, round {peak}){frozen}."
        )
    out.append(
        "The lesson's advice: assume a recommender will feed back on itself, decide beforehand "
        "how to notice and correct it (these charts are what to monitor), keep a human in the "
        "loop, and roll changes out gradually."
    )
    return "\n\n".join(out)
