"""The embedding map as a Plotly figure: points, printed titles, and a density layer when large."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from .labels import FONT_PX as LABEL_FONT_PX
from .labels import MARKER_PX as LABEL_MARKER_PX
from .labels import STAR_PX, axis_range
from .maps import select_region
from .plots import HIGHLIGHT, PALETTE, selected_rows

GREY = "#b4b4b4"
# The embedding map: up to MAX_POINTS movies are drawn as SVG points; beyond, a density layer
# of DENSITY_BINS cells (about 5 px each at the default size) holds the crowd, under the
# DENSITY_POINTS most-rated movies as points. In headless Chromium without a GPU an SVG point
# costs about 1 ms to draw, a density layer 0.1 s whatever the size, and WebGL (Scattergl) about
# 3 s to start (benchmarks/map_render.py).
MAP_HEIGHT = 660
MAX_POINTS = 2000
DENSITY_POINTS = 500
DENSITY_BINS = (180, 104)
LABELS_3D = 12
DENSITY_MIN_MOVIES = 3  # cells with fewer movies show only in grey, not in a colour layer
_HALO = "1px 1px 1px #fff, -1px -1px 1px #fff, 1px -1px 1px #fff, -1px 1px 1px #fff"


def embedding_map(
    coords: pd.DataFrame,
    *,
    z: str | None = None,
    color: str | None = None,
    log_color: bool = False,
    groups: pd.Series | None = None,
    labels: pd.DataFrame | None = None,
    highlight: Sequence[int] = (),
    titles: Sequence[str] = (),
    ranges: tuple[tuple[float, float], tuple[float, float]] | None = None,
    max_points: int = MAX_POINTS,
    density_points: int = DENSITY_POINTS,
    title: str | None = None,
) -> go.Figure:
    """Movies in embedding space (`coords` of a `maps.EmbeddingMap`, indexed by item).

    Colour: `groups` (a label per movie, "" for the rest: highlighted genres against grey), or
    the numeric column `color` on a continuous scale (log10 of it with `log_color`), or none.
    `labels` (a `labels.choose_labels` table) prints titles next to their points; `highlight`
    marks movies with a red star. Up to `max_points` movies are drawn as points (SVG: no WebGL
    start-up, which costs seconds in a browser without a GPU); beyond, the crowd is a density
    layer (2-D histograms in the same colours) under the `density_points` most-rated movies
    as points. Each point's `customdata` is its item index (`selected_rows` reads it back).
    In 3-D, the `max_points` most-rated movies are drawn. `ranges` fix the 2-D axes (those the
    labels were placed for); `titles` name the axes.
    """
    three_d = z is not None
    crowd = len(coords) > max_points
    shown = (
        coords.loc[_most_rated(coords, max_points if three_d else density_points)]
        if crowd
        else coords
    )
    extra = [*(labels.index if labels is not None else []), *highlight]
    extra = [r for r in dict.fromkeys(extra) if r in coords.index and r not in shown.index]
    hover = _map_hover(pd.concat([shown, coords.loc[extra]]))  # only what is drawn as points
    colour = _MapColour(coords, color, log_color, groups)
    fig = go.Figure()
    fig.update_layout(
        title=title,
        template="plotly_white",
        height=MAP_HEIGHT,
        # Above the plot, so that the plot keeps the full width the labels were placed for.
        legend={
            "itemsizing": "constant",
            "orientation": "h",
            "x": 0,
            "y": 1.0,
            "yanchor": "bottom",
        },
        margin={"l": 10, "r": 10, "t": 40, "b": 10},
    )
    if three_d:
        _map_points(fig, shown, hover, colour, z=z)
        if labels is not None and len(labels):
            _map_labels_3d(fig, coords.loc[labels.index], labels, hover, z)
        names = [*titles, "x", "y", "z"][:3] if titles else ["x", "y", z]
        fig.update_layout(
            scene={"xaxis_title": names[0], "yaxis_title": names[1], "zaxis_title": names[2]}
        )
        _map_star(fig, coords, highlight, hover, z=z, with_text=labels is None)
        return fig
    if ranges is None:
        ranges = (axis_range(coords["x"]), axis_range(coords["y"]))
    if crowd:
        _map_density(fig, coords, colour, ranges)
    _map_points(fig, shown, hover, colour)
    if labels is not None and len(labels):
        part = coords.loc[labels.index]
        fig.add_trace(
            go.Scatter(
                x=part["x"].to_numpy(),
                y=part["y"].to_numpy(),
                mode="markers+text",
                name="labelled",
                text=labels["text"].tolist(),
                textposition=labels["position"].tolist(),
                # A white halo keeps a title legible over the points behind it.
                textfont={"size": LABEL_FONT_PX, "color": "#1f1f1f", "shadow": _HALO},
                hovertext=hover[part.index].tolist(),
                hovertemplate="%{hovertext}<extra></extra>",
                customdata=part.index.to_numpy(),
                marker={
                    "size": LABEL_MARKER_PX,
                    "color": colour.of(part),
                    "coloraxis": colour.axis,
                    "line": {"width": 1, "color": "#1f1f1f"},
                },
                showlegend=False,
            )
        )
    _map_star(fig, coords, highlight, hover, with_text=labels is None)
    fig.update_xaxes(
        title=titles[0] if titles else "x", range=list(ranges[0]), zeroline=False, showgrid=False
    )
    fig.update_yaxes(
        title=titles[1] if len(titles) > 1 else "y",
        range=list(ranges[1]),
        zeroline=False,
        showgrid=False,
    )
    fig.update_layout(dragmode="lasso", margin={"l": 60, "r": 10, "t": 95, "b": 50})
    fig.update_xaxes(title_font={"size": 13, "color": "#31333f"})
    fig.update_yaxes(title_font={"size": 13, "color": "#31333f"})
    return fig


class _MapColour:
    """How a map colours movies: by group (grey for ""), on a continuous scale, or one colour."""

    def __init__(self, coords, color, log_color, groups) -> None:
        self.groups = None if groups is None else groups.reindex(coords.index).fillna("")
        self.order = [g for g in dict.fromkeys(self.groups) if g] if self.groups is not None else []
        self.values = None
        self.axis = None
        if self.groups is None and color is not None and color in coords:
            vals = pd.to_numeric(coords[color], errors="coerce").astype(float)
            name = color.replace("_", " ")
            if log_color:
                vals, name = np.log10(vals.clip(lower=1)), f"log10 {name}"
            self.values, self.axis, self.name = vals, "coloraxis", name

    def colour_of_group(self, g: str) -> str:
        return PALETTE[self.order.index(g) % len(PALETTE)] if g else GREY

    def of(self, part: pd.DataFrame):
        """Marker colours of some movies (values on the shared scale, or colour names)."""
        if self.values is not None:
            return self.values[part.index].to_numpy()
        if self.groups is not None:
            return [self.colour_of_group(g) for g in self.groups[part.index]]
        return PALETTE[0]

    def layout(self, fig: go.Figure) -> None:
        if self.values is not None:
            v = self.values.to_numpy()
            fig.update_layout(
                coloraxis={
                    "colorscale": "Viridis",
                    "cmin": float(np.nanmin(v)) if np.isfinite(v).any() else 0,
                    "cmax": float(np.nanmax(v)) if np.isfinite(v).any() else 1,
                    # Above the plot, right, in the top margin every map keeps (the legend
                    # is there, left): the plot has the size its titles were placed for.
                    "colorbar": {
                        "title": {"text": self.name, "side": "right"},
                        "orientation": "h",
                        "thickness": 8,
                        "len": 0.35,
                        "x": 1.0,
                        "xanchor": "right",
                        "y": 1.01,
                        "yanchor": "bottom",
                    },
                }
            )


def _most_rated(coords: pd.DataFrame, n: int) -> pd.Index:
    """The `n` most-rated movies of `coords`, in its order."""
    if n >= len(coords):
        return coords.index
    return coords.index[np.sort(np.argpartition(-coords["n_ratings"].to_numpy(), n - 1)[:n])]


def _map_hover(rows: pd.DataFrame) -> pd.Series:
    """'<b>Title</b><br>1977 · Action, Sci-Fi<br>583 ratings, mean 4.36, bias +0.53' per movie
    (for the few thousand drawn as points at most, so a plain loop)."""
    year = pd.to_numeric(rows["year"], errors="coerce").to_numpy(np.float64)
    text = [
        f"<b>{t}</b><br>{'' if np.isnan(y) else f'{int(y)} · '}{str(g).replace('|', ', ')}"
        f"<br>{n:,} ratings, mean {m:.2f}, bias {b:+.2f}"
        for t, y, g, n, m, b in zip(
            rows["title"],
            year,
            rows["genres"].fillna(""),
            rows["n_ratings"].to_numpy(np.int64),
            rows["mean_rating"].to_numpy(np.float64),
            rows["bias"].to_numpy(np.float64),
            strict=True,
        )
    ]
    return pd.Series(text, index=rows.index, dtype=object)


def _map_points(fig, shown, hover, colour: _MapColour, *, z: str | None = None) -> None:
    """The movies as points: one trace per highlighted group (grey first), else one trace."""
    scatter = go.Scatter3d if z else go.Scatter
    size = 3 if z else 6

    def add(part: pd.DataFrame, name: str, color, opacity: float, legend: bool) -> None:
        xyz = {"x": part["x"].to_numpy(), "y": part["y"].to_numpy()}
        if z:
            xyz["z"] = part[z].to_numpy()
        fig.add_trace(
            scatter(
                **xyz,
                mode="markers",
                name=name,
                hovertext=hover[part.index].tolist(),
                hovertemplate="%{hovertext}<extra></extra>",
                customdata=part.index.to_numpy(),
                marker={"size": size, "color": color, "opacity": opacity, "coloraxis": colour.axis}
                if colour.axis
                else {"size": size, "color": color, "opacity": opacity},
                showlegend=legend,
            )
        )

    if colour.groups is not None:
        g = colour.groups[shown.index]
        add(shown[g == ""], "other movies", GREY, 0.55, True)
        for name in colour.order:
            add(shown[g == name], name, colour.colour_of_group(name), 0.9, True)
    else:
        add(shown, "movies", colour.of(shown), 0.75, False)
    colour.layout(fig)


def _map_density(fig, coords, colour: _MapColour, ranges) -> None:
    """The crowd as 2-D histograms: grey counts, then each highlighted group's share of a cell
    (its colour, stronger where the group dominates) or the cell's mean on the colour scale,
    both only in cells of at least `DENSITY_MIN_MOVIES` movies."""
    (x0, x1), (y0, y1) = ranges
    nx, ny = DENSITY_BINS
    px, py = coords["x"].to_numpy(np.float64), coords["y"].to_numpy(np.float64)

    def hist(weights=None) -> np.ndarray:  # [ny, nx], as a heatmap's z is laid out
        h, _, _ = np.histogram2d(py, px, bins=(ny, nx), range=((y0, y1), (x0, x1)), weights=weights)
        return h

    count = hist()
    cx = x0 + (np.arange(nx) + 0.5) * (x1 - x0) / nx
    cy = y0 + (np.arange(ny) + 0.5) * (y1 - y0) / ny
    seen = count > 0
    enough = count >= DENSITY_MIN_MOVIES  # a share or a mean of one or two movies is noise

    def layer(z, colorscale, hovertemplate, text=None, **kw) -> None:
        fig.add_trace(
            go.Heatmap(
                x=cx,
                y=cy,
                z=np.where(seen, z, np.nan),
                text=text,
                colorscale=colorscale,
                showscale=False,
                hovertemplate=hovertemplate + "<extra></extra>",
                hoverongaps=False,
                name="density",
                **kw,
            )
        )

    n_text = count.astype(np.int64)
    layer(
        np.log10(np.maximum(count, 1)),
        [[0, "#ececec"], [1, "#5a5a5a"]],
        "%{text:,} movies here",
        text=n_text,
    )
    if colour.groups is not None:
        for g in colour.order:
            mask = (colour.groups == g).to_numpy(np.float64)
            share = hist(mask) / np.maximum(count, 1)
            c = colour.colour_of_group(g)
            layer(
                np.where((share > 0) & enough, share, np.nan),
                [[0, _rgba(c, 0.25)], [1, _rgba(c, 1.0)]],
                f"%{{z:.0%}} of the %{{text:,}} movies here are {g}",
                text=n_text,
                zmin=0,
                zmax=1,
            )
    elif colour.values is not None:
        v = colour.values.to_numpy(np.float64)
        ok = np.isfinite(v)
        total = hist(np.where(ok, v, 0.0))
        n_ok = hist(ok.astype(np.float64))
        mean = np.where(n_ok >= DENSITY_MIN_MOVIES, total / np.maximum(n_ok, 1), np.nan)
        layer(
            mean,
            None,
            f"mean {colour.name} %{{z:.3g}} of %{{text:,}} movies",
            text=n_text,
            coloraxis="coloraxis",
        )


def _map_star(fig, coords, highlight, hover, *, z=None, with_text: bool) -> None:
    rows = [r for r in highlight if r in coords.index]
    if not rows:
        return
    part = coords.loc[rows]
    xyz = {"x": part["x"].to_numpy(), "y": part["y"].to_numpy()}
    if z:
        xyz["z"] = part[z].to_numpy()
    scatter = go.Scatter3d if z else go.Scatter
    fig.add_trace(
        scatter(
            **xyz,
            mode="markers+text" if with_text else "markers",
            name="highlighted",
            text=part["title"].tolist(),
            textposition="top center",
            hovertext=hover[part.index].tolist(),
            hovertemplate="%{hovertext}<extra></extra>",
            customdata=part.index.to_numpy(),
            marker={
                "size": 8 if z else STAR_PX,
                "color": HIGHLIGHT,
                "symbol": "diamond" if z else "star",
                "line": {"width": 1, "color": "white"},
            },
        )
    )


def _map_labels_3d(fig, part, labels, hover, z) -> None:
    """Titles in 3-D turn with the camera, so they cannot be kept apart: the first `LABELS_3D`
    chosen in 2-D (the searched movie, the axes' ends, then the most-rated)."""
    labels = labels.head(LABELS_3D)
    part = part.loc[labels.index]
    fig.add_trace(
        go.Scatter3d(
            x=part["x"].to_numpy(),
            y=part["y"].to_numpy(),
            z=part[z].to_numpy(),
            mode="markers+text",
            name="labelled",
            text=labels["text"].tolist(),
            textfont={"size": LABEL_FONT_PX, "color": "#1f1f1f"},
            hovertext=hover[part.index].tolist(),
            hovertemplate="%{hovertext}<extra></extra>",
            customdata=part.index.to_numpy(),
            marker={"size": 4, "color": "#1f1f1f"},
            showlegend=False,
        )
    )


def _rgba(hex_colour: str, alpha: float) -> str:
    r, g, b = (int(hex_colour[i : i + 2], 16) for i in (1, 3, 5))
    return f"rgba({r},{g},{b},{alpha})"


def crowd_note(n: int, n_components: int, max_points: int = MAX_POINTS) -> str | None:
    """What a map of `n` movies leaves out of its points, in words; None when it draws them all."""
    if n <= max_points:
        return None
    if n_components == 3:
        return f"In 3-D, the {max_points:,} most-rated of the {n:,} movies are drawn."
    return (
        f"{n:,} movies: the grey shading counts them (darker: more), and the "
        f"{DENSITY_POINTS:,} most-rated are drawn as points. A box or lasso lists every movie "
        "inside it."
    )


def selected_items(coords: pd.DataFrame, selection: Mapping) -> list[int]:
    """Item indices a chart selection (`st.plotly_chart`'s `event.selection`) picks out of the
    map: the points clicked, and every movie inside a box or lasso, drawn as a point or not."""
    rows = selected_rows(selection.get("points", []))
    for box in selection.get("box", []):
        rows += select_region(coords, box=(box["x"], box["y"]))
    for lasso in selection.get("lasso", []):
        rows += select_region(coords, lasso=(lasso["x"], lasso["y"]))
    return [r for r in dict.fromkeys(rows) if r in coords.index]
