"""Plotly figure builders shared by the app's pages (pure: plain values in, `go.Figure` out)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd
import plotly.graph_objects as go

# One palette for every categorical colour (Plotly's default, repeated for more categories).
PALETTE = (
    "#636EFA", "#EF553B", "#00CC96", "#AB63FA", "#FFA15A",
    "#19D3F3", "#FF6692", "#B6E880", "#FF97FF", "#FECB52",
)  # fmt: skip
HIGHLIGHT = "#d62728"
_LAYOUT = {"margin": {"l": 10, "r": 10, "t": 40, "b": 10}, "template": "plotly_white"}


def _fig(title: str | None = None, **layout) -> go.Figure:
    fig = go.Figure()
    fig.update_layout(title=title, **{**_LAYOUT, **layout})
    return fig


def rating_histogram(ratings: pd.Series | np.ndarray, title: str = "How people rate") -> go.Figure:
    """Bars of how many ratings take each value (one bar per distinct value, up to 20 bins else)."""
    r = pd.Series(np.asarray(ratings, dtype=float))
    fig = _fig(title, xaxis_title="rating", yaxis_title="number of ratings", bargap=0.1)
    if r.nunique() <= 20:
        counts = r.value_counts().sort_index()
        fig.add_trace(go.Bar(x=counts.index, y=counts.to_numpy(), marker_color=PALETTE[0]))
        fig.update_xaxes(tickvals=counts.index)
    else:  # binned here: go.Histogram would send every rating to the browser
        counts, edges = np.histogram(r.to_numpy(), bins=20)
        fig.add_trace(
            go.Bar(
                x=(edges[:-1] + edges[1:]) / 2,
                y=counts,
                width=np.diff(edges),
                marker_color=PALETTE[0],
                hovertemplate="%{x:.3g}: %{y:,} ratings<extra></extra>",
            )
        )
    return fig


def loss_curves(
    runs: Mapping[str, Sequence[Mapping]],
    *,
    metric: str = "valid_loss",
    show_train: bool = True,
    title: str = "Loss per epoch",
) -> go.Figure:
    """Per-epoch curves of one or several runs; `runs` maps a label to its history (epoch dicts).

    Validation is drawn solid, training dashed in the same colour, so runs can be compared.
    Epochs are numbered from 1, as the progress text counts them ("Epoch 10/10").
    """
    y_title = "loss (MSE)" if metric == "valid_loss" else metric.replace("_", " ")
    fig = _fig(
        title, xaxis_title="epoch", yaxis_title=y_title, legend={"orientation": "h", "y": -0.2}
    )
    for i, (label, history) in enumerate(runs.items()):
        if not history:
            continue
        h = pd.DataFrame(list(history))
        color = PALETTE[i % len(PALETTE)]
        if metric in h:
            fig.add_trace(
                go.Scatter(
                    x=h["epoch"] + 1,
                    y=h[metric],
                    mode="lines+markers",
                    name=f"{label} (valid)" if show_train else label,
                    line={"color": color},
                )
            )
        if show_train and "train_loss" in h:
            fig.add_trace(
                go.Scatter(
                    x=h["epoch"] + 1,
                    y=h["train_loss"],
                    mode="lines+markers",
                    name=f"{label} (train)",
                    line={"color": color, "dash": "dash"},
                )
            )
    longest = max((len(h) for h in runs.values()), default=0)
    fig.update_xaxes(dtick=1 if longest <= 30 else None)  # every epoch, unless there are hundreds
    fig.update_layout(height=380 + 20 * len(fig.data))  # room for a long legend below
    return fig


def lr_finder(
    lrs: Sequence[float], losses: Sequence[float], suggestion: float | None = None
) -> go.Figure:
    """Loss against learning rate on a log axis, with the suggested rate marked."""
    fig = _fig("Learning-rate finder", xaxis_title="learning rate (log scale)", yaxis_title="loss")
    fig.add_trace(
        go.Scatter(
            x=list(lrs), y=list(losses), mode="lines", name="loss", line={"color": PALETTE[0]}
        )
    )
    fig.update_xaxes(type="log")
    if suggestion:
        fig.add_vline(
            x=suggestion,
            line_dash="dot",
            line_color=HIGHLIGHT,
            annotation_text=f"suggested {suggestion:.1e}",
        )
    return fig


def sweep(
    results: pd.DataFrame, param: str, metric: str = "valid_rmse", *, log_x: bool | None = None
) -> go.Figure:
    """Validation metric against one training setting (e.g. weight decay), one point per model."""
    r = results.sort_values(param)
    fig = _fig(
        f"{metric.replace('_', ' ')} against {param}",
        xaxis_title=param,
        yaxis_title=metric.replace("_", " "),
    )
    fig.add_trace(
        go.Scatter(
            x=r[param],
            y=r[metric],
            mode="lines+markers",
            name=metric,
            line={"color": PALETTE[0]},
            hovertemplate=f"{param}=%{{x}}<br>{metric}=%{{y:.4f}}<extra></extra>",
        )
    )
    x = r[param].to_numpy(dtype=float)
    if log_x is None:  # weight decays span decades; a log axis needs them all positive
        log_x = bool((x > 0).all() and x.max() / x.min() >= 50)
    if log_x:
        fig.update_xaxes(type="log")
    if len(r):
        best = r.loc[r[metric].idxmin()]
        fig.add_trace(
            go.Scatter(
                x=[best[param]],
                y=[best[metric]],
                mode="markers",
                name="best",
                marker={"color": HIGHLIGHT, "size": 12, "symbol": "star"},
            )
        )
    return fig


def bias_bars(
    table: pd.DataFrame, title: str, *, label: str = "title", value: str = "bias"
) -> go.Figure:
    """Horizontal bars, first row at the top (for top/bottom-by-bias tables, biases in stars)."""
    t = table.iloc[::-1]
    fig = _fig(title, xaxis_title=f"{value} (stars)", height=max(300, 26 * len(t) + 80))
    colors = [PALETTE[2] if v >= 0 else PALETTE[1] for v in t[value]]
    hover = "%{y}<br>" + value + " %{x:+.2f} stars"
    custom = None
    if {"n_ratings", "mean_rating"} <= set(t.columns):
        custom = t[["n_ratings", "mean_rating"]].to_numpy()
        hover += "<br>%{customdata[0]} ratings, mean %{customdata[1]:.2f}"
    fig.add_trace(
        go.Bar(
            x=t[value],
            y=t[label],
            orientation="h",
            marker_color=colors,
            customdata=custom,
            hovertemplate=hover + "<extra></extra>",
        )
    )
    fig.update_yaxes(automargin=True)
    return fig


def genre_mix(mix: pd.DataFrame, top: int = 8) -> go.Figure:
    """Grouped horizontal bars per genre: share of the movies you liked, of the list, of the
    catalogue (a `recommend.genre_mix` table; its first `top` rows, first at the top)."""
    t = mix.head(top).iloc[::-1]
    fig = _fig(
        "Genres: what you liked vs this list",
        xaxis_title="share of movies listing the genre",
        height=max(260, 22 * 3 * len(t) + 110),
        barmode="group",
        legend={"orientation": "h", "y": -0.25, "traceorder": "reversed"},
    )
    series = [
        ("yours", "movies you liked", PALETTE[0], 1.0),
        ("list", "this list", PALETTE[2], 1.0),
        ("catalogue", "catalogue", "#B0B0B0", 0.8),
    ]
    for column, name, color, opacity in reversed(series):  # legend and bars read top-down
        fig.add_trace(
            go.Bar(
                x=t[column],
                y=t["genre"],
                name=name,
                orientation="h",
                marker_color=color,
                opacity=opacity,
                hovertemplate=f"%{{y}}: %{{x:.0%}} of {name}<extra></extra>",
            )
        )
    fig.update_xaxes(tickformat=".0%", range=[0, 1.05])
    fig.update_yaxes(automargin=True)
    return fig


def bias_scatter(table: pd.DataFrame, *, x: str = "mean_rating", y: str = "bias") -> go.Figure:
    """Bias (in stars) against mean rating; marker size grows with the number of ratings."""
    n = table["n_ratings"].to_numpy(dtype=float) if "n_ratings" in table else np.ones(len(table))
    size = 4 + 16 * np.sqrt(n / max(n.max(), 1))
    fig = _fig(
        "Bias against mean rating",
        xaxis_title=x.replace("_", " "),
        yaxis_title=y.replace("_", " ") + " (stars)",
    )
    fig.add_trace(
        go.Scattergl(
            x=table[x],
            y=table[y],
            mode="markers",
            text=table.get("title"),
            marker={"size": size, "color": PALETTE[0], "opacity": 0.6},
            customdata=n,
            hovertemplate="%{text}<br>" + f"{x}=%{{x:.2f}}<br>{y}=%{{y:+.2f}} stars"
            "<br>%{customdata:.0f} ratings<extra></extra>",
        )
    )
    return fig


def histogram(
    values: Sequence[float] | np.ndarray, title: str, x_title: str, nbins: int = 40
) -> go.Figure:
    """A plain histogram (user biases, similarities, ...)."""
    fig = _fig(title, xaxis_title=x_title, yaxis_title="count", bargap=0.05)
    fig.add_trace(
        go.Histogram(x=np.asarray(values, dtype=float), nbinsx=nbins, marker_color=PALETTE[0])
    )
    return fig


def selected_rows(points: Sequence[Mapping]) -> list[int]:
    """Row labels (item indices) of the points a Plotly selection event reports, in order, unique."""
    seen: dict[int, None] = {}
    for p in points:
        data = p.get("customdata")
        if data is None:
            continue
        row = data[0] if isinstance(data, (list, tuple, np.ndarray)) else data
        try:
            seen.setdefault(int(row), None)
        except (TypeError, ValueError):
            continue
    return list(seen)
