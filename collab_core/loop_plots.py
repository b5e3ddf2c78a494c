"""Figures of a feedback-loop simulation: each metric over rounds, the catalogue shown before/after."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from .loop_metrics import METRICS
from .plots import PALETTE

PERCENT = ("coverage", "top1_share", "genre_share")  # shares drawn as percentages
_SHOWN_GREY = "#d0d0d0"
_LAYOUT = {"margin": {"l": 10, "r": 10, "t": 40, "b": 10}, "template": "plotly_white"}


def metric_grid(
    runs: Mapping[str, pd.DataFrame], *, genre: str | None = None, cols: int = 3
) -> go.Figure:
    """Every metric of `loop_metrics.METRICS` the runs have over rounds, one small chart each and
    one line per run (`runs`: label -> `SimulationResult.rounds`), with one legend for all.
    Each trace's `meta` names its metric."""
    metrics = [m for m in METRICS if any(m in t for t in runs.values())]
    titles = [
        f"{genre} in others' lists" if m == "genre_share" and genre else METRICS[m][0]
        for m in metrics
    ]
    rows = -(-len(metrics) // cols)
    fig = make_subplots(
        rows=rows, cols=cols, subplot_titles=titles, horizontal_spacing=0.07, vertical_spacing=0.12
    )
    n_rounds = max(len(t) for t in runs.values())
    for j, metric in enumerate(metrics):
        row, col = divmod(j, cols)
        for n, (name, table) in enumerate(runs.items()):
            if metric not in table:
                continue
            fig.add_trace(
                go.Scatter(
                    x=table["round"],
                    y=table[metric],
                    mode="lines+markers",
                    name=name,
                    legendgroup=name,
                    showlegend=j == 0,
                    meta=metric,
                    line={"color": PALETTE[n % len(PALETTE)]},
                    marker={"size": 5},
                    hovertemplate=f"{name}<br>round %{{x}}: %{{y:.3~g}}<extra></extra>",
                ),
                row=row + 1,
                col=col + 1,
            )
        if metric in PERCENT:  # from 0, so a flat line of a small share does not look huge
            top = max(float(t[metric].max()) for t in runs.values() if metric in t)
            fig.update_yaxes(
                tickformat=".1%" if top < 0.1 else ".0%",
                range=[0, max(0.02, 1.15 * top)],
                row=row + 1,
                col=col + 1,
            )
    fig.update_xaxes(dtick=max(1, -(-n_rounds // 10)))
    fig.update_layout(
        height=260 * rows + 80,
        legend={"orientation": "h", "y": 1 + 45 / (260 * rows), "yanchor": "bottom", "x": 0},
        **{**_LAYOUT, "margin": {"l": 10, "r": 10, "t": 80, "b": 10}},
    )
    return fig


def shown_map(
    coords: pd.DataFrame,
    before: np.ndarray,
    after: np.ndarray,
    *,
    labels: tuple[str, str] = ("round 1", "last round"),
    title: str | None = None,
) -> go.Figure:
    """The embedding map twice: the movies the lists showed in one round (`before`: exposure per
    item index) and in another (`after`), coloured by how many lists showed them (log scale);
    every other movie in grey. `coords` is an `EmbeddingMap.coords` (item_index, x, y, title)."""
    idx = coords["item_index"].to_numpy()
    counts = (np.asarray(before)[idx], np.asarray(after)[idx])
    top = float(np.log10(1 + max(int(c.max()) for c in counts)) or 1.0)
    subtitles = [
        f"{lab}: {int((c > 0).sum()):,} of {len(idx):,} movies shown"
        for lab, c in zip(labels, counts, strict=True)
    ]
    fig = make_subplots(rows=1, cols=2, subplot_titles=subtitles, horizontal_spacing=0.04)
    for col, c in enumerate(counts, start=1):
        hidden, shown = c == 0, c > 0
        fig.add_trace(
            go.Scattergl(
                x=coords["x"][hidden],
                y=coords["y"][hidden],
                mode="markers",
                name="not shown",
                marker={"size": 4, "color": _SHOWN_GREY},
                text=coords["title"][hidden],
                hovertemplate="%{text}: not shown<extra></extra>",
                showlegend=col == 1,
            ),
            row=1,
            col=col,
        )
        order = np.argsort(c[shown])  # the most shown drawn last, on top
        fig.add_trace(
            go.Scattergl(
                x=coords["x"][shown].to_numpy()[order],
                y=coords["y"][shown].to_numpy()[order],
                mode="markers",
                name="shown (colour: in how many lists)",
                marker={
                    "size": 7,
                    "color": np.log10(1 + c[shown][order]),
                    "colorscale": "Viridis",
                    "cmin": 0,
                    "cmax": top,
                    "showscale": col == 2,
                    "colorbar": {
                        "title": "lists",
                        "tickvals": [np.log10(1 + v) for v in (1, 10, 100, 1000) if v <= 10**top],
                        "ticktext": [str(v) for v in (1, 10, 100, 1000) if v <= 10**top],
                    },
                },
                text=coords["title"][shown].to_numpy()[order],
                customdata=c[shown][order],
                hovertemplate="%{text}: in %{customdata} lists<extra></extra>",
                showlegend=col == 1,
            ),
            row=1,
            col=col,
        )
    fig.update_layout(title=title, height=460, legend={"orientation": "h", "y": -0.08}, **_LAYOUT)
    fig.update_xaxes(showticklabels=False, zeroline=False)
    fig.update_yaxes(showticklabels=False, zeroline=False)
    return fig
