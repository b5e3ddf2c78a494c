"""Which titles to print on a map: a readable set that does not overlap, chosen movies first.

The chooser works in screen pixels of the plot area at its default size (`PLOT_WIDTH_PX` ×
`PLOT_HEIGHT_PX`, what the app's map measures at 1400 px wide): each candidate's title is placed
above, below, right or left of its point, and taken at the first place where it overlaps no
title and no labelled point already placed. Candidates come in order: the movies the reader
chose (always labelled), the movies at the ends of each axis, then the most-rated.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from .errors import check_whole
from .titles import display_title

LABELS = 40  # the default number of titles on a map
MAX_LABELS = 150
PLOT_WIDTH_PX = 857
PLOT_HEIGHT_PX = 501
FONT_PX = 11
MARKER_PX = 8  # diameter of a labelled point
STAR_PX = 18  # diameter of the star on a chosen movie
PAD_PX = 2  # space kept around each title
MAX_CHARS = 24  # longer titles are cut with "…"
ENDS = 3  # movies taken from each end of each axis
# Plotly's names for the places tried, in order, with the text box's offset from the point.
POSITIONS = ("top center", "bottom center", "middle right", "middle left")
_NARROW = set("fijlrtI.,:;'!|()[] ")
_WIDE = set("mwMW@%")


def axis_range(values, pad: float = 0.04) -> tuple[float, float]:
    """The range an axis shows for `values`: their span with `pad` of it added at both ends."""
    v = np.asarray(values, np.float64)
    v = v[np.isfinite(v)]
    if not len(v):
        return -1.0, 1.0
    lo, hi = float(v.min()), float(v.max())
    span = hi - lo or 1.0
    return lo - pad * span, hi + pad * span


def label_text(title: str, max_chars: int = MAX_CHARS) -> str:
    """'Godfather, The (1972)' -> 'The Godfather'; longer than `max_chars`: cut with '…'."""
    t = display_title(str(title))
    return t if len(t) <= max_chars else t[: max_chars - 1].rstrip() + "…"


def text_width(text: str, font_px: float = FONT_PX) -> float:
    """Estimated width in pixels of `text` in a sans-serif font (generous: overlap is worse)."""
    units = sum(
        0.34
        if c in _NARROW
        else 0.88
        if c in _WIDE
        else 0.7
        if c.isupper()
        else 0.58
        if c.isdigit()
        else 0.56
        for c in text
    )
    return units * font_px


def _box(
    px: float, py: float, w: float, h: float, position: str, marker: float = MARKER_PX
) -> tuple[float, ...]:
    """(left, right, bottom, top) of a text box of w × h placed at `position` around a point
    drawn `marker` pixels wide."""
    r = marker / 2 + PAD_PX
    if position == "top center":
        return px - w / 2, px + w / 2, py + r, py + r + h
    if position == "bottom center":
        return px - w / 2, px + w / 2, py - r - h, py - r
    if position == "middle right":
        return px + r, px + r + w, py - h / 2, py + h / 2
    return px - r - w, px - r, py - h / 2, py + h / 2


def choose_labels(
    coords: pd.DataFrame,
    n: int = LABELS,
    *,
    must: Sequence[int] = (),
    x: str = "x",
    y: str = "y",
    ranges: tuple[tuple[float, float], tuple[float, float]] | None = None,
    width: float = PLOT_WIDTH_PX,
    height: float = PLOT_HEIGHT_PX,
    font_px: float = FONT_PX,
    ends: int = ENDS,
) -> pd.DataFrame:
    """Up to `n` movies of `coords` (indexed by item) to label, plus every `must` movie on it.

    Returns one row per label, indexed by item: text, position (Plotly's `textposition`),
    reason ("chosen", "axis end", "most-rated"), and its box in pixels from the plot area's
    bottom-left corner (left, right, bottom, top). Boxes do not overlap each other nor another
    labelled point, except between `must` movies that cannot all fit; texts are distinct.
    `ranges` are the axes' ranges ((x0, x1), (y0, y1)); by default `axis_range` of each.
    """
    check_whole("number of labels", n, 0)
    if ranges is None:
        ranges = (axis_range(coords[x]), axis_range(coords[y]))
    (x0, x1), (y0, y1) = ranges
    px = (coords[x].to_numpy(np.float64) - x0) / (x1 - x0) * width
    py = (coords[y].to_numpy(np.float64) - y0) / (y1 - y0) * height
    pos = pd.Series(np.arange(len(coords)), index=coords.index)
    must = [int(i) for i in dict.fromkeys(must) if i in pos.index]

    candidates: dict[int, str] = {i: "chosen" for i in must}
    if n:
        for depth in range(ends):
            for v in (px, py):
                order = _smallest(v, ends), _smallest(-v, ends)
                for row in (order[0][depth], order[1][depth]):
                    candidates.setdefault(int(coords.index[row]), "axis end")
        most = _smallest(-coords["n_ratings"].to_numpy(np.float64), 50 * n + 200)
        for row in most:
            candidates.setdefault(int(coords.index[row]), "most-rated")

    h = font_px * 1.4
    half = MARKER_PX / 2
    boxes: list[tuple[float, ...]] = []
    points: list[tuple[float, float]] = []
    rows, texts = [], set()
    for item, reason in candidates.items():
        forced = reason == "chosen"
        if not forced and len(rows) >= max(n, len(must)):
            break
        i = pos[item]
        text = label_text(coords["title"].iat[i])
        if text in texts and not forced:
            continue
        cx, cy = float(px[i]), float(py[i])
        marker = (cx - half, cx + half, cy - half, cy + half)
        if not forced and any(_overlap(marker, b) for b in boxes):
            continue  # its point would sit under a title already placed
        w = text_width(text, font_px) + 2 * PAD_PX
        size = STAR_PX if forced else MARKER_PX
        placed = None
        for position in POSITIONS:
            b = _box(cx, cy, w, h, position, size)
            if b[0] < 0 or b[1] > width or b[2] < 0 or b[3] > height:
                continue
            if any(_overlap(b, o) for o in boxes) or any(_contains(b, p, half) for p in points):
                continue
            placed = (position, b)
            break
        if placed is None:
            if not forced:
                continue
            placed = (POSITIONS[0], _box(cx, cy, w, h, POSITIONS[0], size))
        boxes.append(placed[1])
        points.append((cx, cy))
        texts.add(text)
        rows.append((item, text, placed[0], reason, *placed[1]))
    table = pd.DataFrame(
        rows, columns=["item", "text", "position", "reason", "left", "right", "bottom", "top"]
    )
    return table.set_index("item")


def _smallest(v: np.ndarray, k: int) -> np.ndarray:
    """Positions of the `k` smallest values of `v`, smallest first (ties: first position first)."""
    if k >= len(v):
        return np.argsort(v, kind="stable")
    part = np.argpartition(v, k - 1)[:k]
    return part[np.lexsort((part, v[part]))]


def _overlap(a: tuple[float, ...], b: tuple[float, ...]) -> bool:
    return a[0] < b[1] and b[0] < a[1] and a[2] < b[3] and b[2] < a[3]


def _contains(box: tuple[float, ...], p: tuple[float, float], half: float) -> bool:
    """Whether a point's marker (of half-size `half`) touches `box`."""
    return _overlap(box, (p[0] - half, p[0] + half, p[1] - half, p[1] + half))
