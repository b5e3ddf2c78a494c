"""map_figure: what a reader of the embedding map would check (points, colours, titles, crowd)."""

import numpy as np
import pandas as pd
import plotly.graph_objects as go
import pytest

from collab_core import labels, map_figure, maps


@pytest.fixture
def coords():
    return _coords(60)


def _coords(n: int) -> pd.DataFrame:
    rng = np.random.default_rng(0)
    genres = rng.choice(["Drama", "Comedy|Drama", "Horror", "Horror|Comedy"], n)
    return pd.DataFrame(
        {
            "item_index": np.arange(100, 100 + n),
            "title": [f"Movie {i} (1990)" for i in range(n)],
            "x": rng.normal(size=n),
            "y": rng.normal(size=n),
            "z": rng.normal(size=n),
            "genres": genres,
            "n_ratings": rng.permutation(np.arange(1, 10 * n))[:n],
            "mean_rating": rng.uniform(1, 5, n),
            "bias": rng.normal(size=n),
            "year": pd.array(rng.integers(1930, 1998, n), dtype="Int64"),
        },
        index=pd.Index(np.arange(100, 100 + n), name="item"),
    )


def _points(fig):
    return [
        t for t in fig.data if t.type == "scatter" and t.name not in ("labelled", "highlighted")
    ]


def test_highlighted_genres_against_grey(coords):
    groups = maps.genre_groups(coords, ["Horror"])
    fig = map_figure.embedding_map(coords, groups=groups, titles=["PC1 words", "PC2 words"])
    grey, horror = _points(fig)
    assert grey.name == "other movies" and grey.marker.color == map_figure.GREY
    assert horror.name == "Horror" and horror.marker.color != map_figure.GREY
    # Every movie once, as an SVG point whose customdata is its item index.
    rows = sorted([*grey.customdata, *horror.customdata])
    assert rows == list(coords.index)
    assert all("Horror" in coords.loc[r, "genres"] for r in horror.customdata)
    assert not any("Horror" in coords.loc[r, "genres"] for r in grey.customdata)
    assert fig.layout.xaxis.title.text == "PC1 words" and fig.layout.dragmode == "lasso"
    assert "<b>Movie" in horror.hovertext[0] and "ratings, mean" in horror.hovertext[0]


def test_numeric_colour_is_a_continuous_scale(coords):
    fig = map_figure.embedding_map(coords, color="n_ratings", log_color=True)
    (main,) = _points(fig)
    assert main.marker.coloraxis == "coloraxis"
    assert max(main.marker.color) <= np.log10(600)
    assert fig.layout.coloraxis.colorbar.title.text == "log10 n ratings"


def test_titles_and_the_searched_movie(coords):
    ranges = (labels.axis_range(coords["x"]), labels.axis_range(coords["y"]))
    chosen = labels.choose_labels(coords, 10, must=[103], ranges=ranges)
    fig = map_figure.embedding_map(coords, labels=chosen, highlight=[103, 999], ranges=ranges)
    text = next(t for t in fig.data if t.name == "labelled")
    assert text.mode == "markers+text" and list(text.text) == chosen["text"].tolist()
    assert list(text.textposition) == chosen["position"].tolist()
    assert list(text.customdata) == list(chosen.index)
    star = fig.data[-1]
    assert star.name == "highlighted" and list(star.customdata) == [103]
    assert star.mode == "markers"  # its title is already printed by the labels
    assert tuple(fig.layout.xaxis.range) == pytest.approx(ranges[0])  # where labels were placed


def test_a_crowd_is_a_density_layer_under_the_most_rated():
    coords = _coords(5000)
    groups = maps.genre_groups(coords, ["Horror"])
    fig = map_figure.embedding_map(coords, groups=groups, density_points=15)
    heat = [t for t in fig.data if isinstance(t, go.Heatmap)]
    assert len(heat) == 2  # every movie in grey, then the Horror share of each cell
    counts = np.nan_to_num(np.asarray(heat[0].text, float))
    assert counts.sum() == len(coords)
    share = np.asarray(heat[1].z, float)
    assert np.nanmax(share) <= 1 and np.nanmin(share) > 0
    assert np.isnan(share[counts < map_figure.DENSITY_MIN_MOVIES]).all()  # too few to say
    drawn = sorted(r for t in _points(fig) for r in t.customdata)
    top = coords.sort_values("n_ratings", kind="stable").index[-15:]
    assert len(drawn) == 15 and set(drawn) == set(top)
    numeric = map_figure.embedding_map(coords, color="year")
    mean = next(t for t in numeric.data if isinstance(t, go.Heatmap) and t.coloraxis)
    assert 1930 <= np.nanmin(np.asarray(mean.z, float)) <= np.nanmax(np.asarray(mean.z, float))


def test_3d(coords):
    chosen = labels.choose_labels(coords, 20)
    fig = map_figure.embedding_map(
        coords, z="z", color="year", labels=chosen, titles=["PC1", "PC2", "PC3"], max_points=30
    )
    assert isinstance(fig.data[0], go.Scatter3d) and len(fig.data[0].x) == 30
    assert fig.layout.scene.zaxis.title.text == "PC3"
    assert list(fig.data[-1].text) == chosen["text"].tolist()[: map_figure.LABELS_3D]
