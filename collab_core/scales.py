"""Whether ratings look like one rating scale, and the scale a user states (`--scale LO HI`).

A rating scale has few values (1-5 stars: 5; half stars: 10; 0-100: 101) in one range, and a typo,
a -1 that means "not rated" or an id in the rating column shows up as values far from the rest. A
file whose values do not look like one scale is refused, saying how many values are off, where the
first one is, and how to state the scale when the values are right.
"""

from __future__ import annotations

import re

import numpy as np

from .errors import ConfigError, DataError

# More distinct values than this is not a rating scale (0-100 in whole numbers has 101).
MAX_DISTINCT = 101
# Values beyond the bulk (all but the 0.1% most extreme at each end) by more than its width.
TAIL = 0.001
# Negative ratings among positive ones on a star scale are errors when fewer than this share.
NEGATIVE_SHARE = 0.05
# Any value this many times larger than the typical one (the median magnitude, at least 1).
MAGNITUDE = 100.0
# The distinct values and the bulk are measured on at most this many ratings (evenly spaced).
_SAMPLE = 1_000_000
FIX = (
    "If they are right, state the scale: `--scale LO HI` on the command line, or the Rating "
    "scale field on the Upload page; values outside it are then errors."
)


def parse_scale(text: str | None) -> tuple[float, float] | None:
    """'1-5', '0.5 to 5', '-10 10', '1–10', '0 1e3' -> (lo, hi); '' or None -> None; else `ConfigError`."""
    if text is None or not text.strip():
        return None
    number = r"(-?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][-+]?\d+)?)"
    m = re.fullmatch(rf"\s*{number}\s*(?:to|–|—|,|-|\s)\s*{number}\s*", text)
    if m is None:
        raise ConfigError(
            f"The rating scale {text!r} is not two numbers; write it like 1-5, 0.5 to 5 or -10 10."
        )
    return check_scale((float(m.group(1)), float(m.group(2))))


def check_scale(scale) -> tuple[float, float]:
    """`scale` as (lo, hi) floats; `ConfigError` unless lo < hi."""
    lo, hi = (float(v) for v in scale)
    if not (np.isfinite(lo) and np.isfinite(hi) and lo < hi):
        raise ConfigError(
            f"A rating scale goes from a lower to a higher value, e.g. 1 5; {lo:g} {hi:g} does not."
        )
    return lo, hi


def check_ratings(
    r: np.ndarray, display: str, first_line: int, scale: tuple[float, float] | None = None
) -> None:
    """`DataError` unless the ratings `r` fit `scale`, or, without one, look like one scale.

    `first_line` is the file line of `r[0]`, for the message.
    """
    if scale is not None:
        lo, hi = check_scale(scale)
        out = (r < lo) | (r > hi)
        if out.any():
            first = int(np.argmax(out))
            raise DataError(
                f"{display}: {int(out.sum()):,} ratings are outside the scale {lo:g} to {hi:g} "
                f"you stated (first on line {first_line + first}: {r[first]:g}). Fix or remove "
                "those rows, or state the scale that holds them."
            )
        return
    sample = r[:: max(1, len(r) // _SAMPLE)]
    distinct = np.unique(sample)
    if len(distinct) > MAX_DISTINCT:
        shown = ", ".join(f"{v:g}" for v in r[:3])
        count = f"{len(distinct):,}" if len(sample) == len(r) else f"at least {len(distinct):,}"
        raise DataError(
            f"{display}: the ratings take {count} different values (from line "
            f"{first_line}: {shown}, ...); a rating scale has a few (1-5 stars: 5, half stars: "
            f"10, 0-100: {MAX_DISTINCT}). If they are scores, round them to a scale. " + FIX
        )
    off = _off_scale(r, sample, distinct)
    if off is not None:
        mask, bulk = off
        first = int(np.argmax(mask))
        raise DataError(
            f"{display}: {int(mask.sum()):,} ratings do not look like the others, which run "
            f"from {bulk[0]:g} to {bulk[1]:g} (first on line {first_line + first}: "
            f"{r[first]:g}). Fix or remove those rows. " + FIX
        )


def _off_scale(r: np.ndarray, sample: np.ndarray, distinct: np.ndarray):
    """(mask of the ratings off the scale, (lo, hi) of the bulk), or None when all fit."""
    n = len(sample)
    k = min(max(1, int(np.ceil(TAIL * n))), (n - 1) // 2)  # drop at least the extreme value
    ordered = np.partition(sample, [k, n - 1 - k])
    lo, hi = float(ordered[k]), float(ordered[n - 1 - k])
    width = max(hi - lo, abs(lo), abs(hi), 1.0)  # a 1-5 scale allows -4 to 10
    typical = max(float(np.median(np.abs(sample))), 1.0)
    mask = (r < lo - width) | (r > hi + width) | (np.abs(r) > MAGNITUDE * typical)
    positive = distinct[distinct >= 0]
    negative = r < 0
    if len(positive) >= 3 and 0 < negative.mean() < NEGATIVE_SHARE:  # stars, and a few below 0
        mask |= negative
    return (mask, (lo, hi)) if mask.any() else None
