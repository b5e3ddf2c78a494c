"""maps: the embedding map on ML-100k's default model (PCA, t-SNE, UMAP) and what its axes follow."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from collab_core import maps
from collab_core.analysis import Explorer
from collab_core.errors import ConfigError


def test_pca_map_of_the_most_rated_movies(ex):
    m = ex.embedding_map()
    c = m.coords
    assert len(c) == 1000 and m.method == "pca" and m.n_components == 2
    assert c["n_ratings"].min() >= ex.n_ratings_[np.argsort(-ex.n_ratings_)[999]]
    assert {"title", "genres", "year", "n_ratings", "mean_rating", "bias", "x", "y"} <= set(c)
    assert "z" not in c
    assert (c.index == c["item_index"]).all()  # indexed by item, so a pick or selection is a label
    ev = m.explained_variance
    assert len(ev) == 2 and 0 < ev[1] <= ev[0] < 1
    assert c["x"].var() >= c["y"].var()
    assert [a.component for a in m.axes] == ["x", "y"] and m.axes[0].name == "PC1"
    ends = m.axes[0]
    assert len(ends.low) == 5 and len(ends.high) == 5
    assert ends.low[0] == c.loc[c["x"].idxmin(), "title"]
    assert ends.high[0] == c.loc[c["x"].idxmax(), "title"]
    # Computed once per model: the same settings give the same map back at once.
    assert ex.has_map(n_items=1000) and ex.embedding_map() is m


def test_axis_correlations_on_the_default_model_and_the_two_stated(ex):
    m = ex.embedding_map(n_items=500)
    c = m.coords
    # Each trait measured independently of maps.correlations.
    genre_sets = [set(g.split("|")) for g in c["genres"]]
    traits = {
        "bias": c["bias"].to_numpy(float),
        "popularity": np.log10(c["n_ratings"].to_numpy(float)),
        "year": pd.to_numeric(c["year"]).to_numpy(float),
        "mean rating": c["mean_rating"].to_numpy(float),
    }
    for genre in ex.genres.names:
        has = np.array([genre in s for s in genre_sets], float)
        if maps.MIN_GENRE_MOVIES <= has.sum() < len(c):
            traits[genre] = has
    for axis in m.axes:
        v = c[axis.component].to_numpy(float)
        expected = {}
        for name, t in traits.items():
            ok = np.isfinite(t)
            expected[name] = np.corrcoef(v[ok], t[ok])[0, 1]
        assert set(axis.correlations.index) == set(expected)
        for name, r in expected.items():
            assert axis.correlations[name] == pytest.approx(r, abs=1e-9)
        # The two stated plainly are the two largest in absolute value, with their signs.
        largest = sorted(expected, key=lambda k: -abs(expected[k]))[:2]
        assert [t for t, _ in axis.strongest(2)] == largest
        sentence = axis.sentence()
        for name in largest:
            assert f"{name} (r = " in sentence
        assert sentence.index(largest[0]) < sentence.index(largest[1])
    # On this model the first axis runs from worse- to better-rated films (the lesson's
    # "classics" at one end); its sentence says which side is which.
    pc1 = m.axes[0]
    top, r = pc1.strongest(1)[0]
    assert abs(r) >= maps.STRONG and top in ("mean rating", "bias")
    assert "better-rated movies to the right" in pc1.sentence() or "to the left" in pc1.sentence()
    assert "variance" in pc1.title() and "→" in pc1.title()
    table = m.correlation_table()
    assert list(table.columns) == ["PC1", "PC2"]
    assert table.abs().max(axis=1).is_monotonic_decreasing
    assert m.telling_genres(1)[0] in ex.genres.names


def test_umap_one_point_per_movie_and_the_same_seed_gives_the_same_layout(ex):
    seen = []
    a = maps.project(
        ex.item_factors_[:150], "umap", seed=3, progress=lambda f, t: seen.append((f, t))
    )[0]
    b = maps.project(ex.item_factors_[:150], "umap", seed=3)[0]
    other = maps.project(ex.item_factors_[:150], "umap", seed=4)[0]
    assert a.shape == (150, 2) and np.isfinite(a).all()
    np.testing.assert_array_equal(a, b)
    assert not np.allclose(a, other)
    fractions = [f for f, _ in seen]
    assert fractions == sorted(fractions) and fractions[-1] == pytest.approx(1.0)
    assert any("epoch" in t for _, t in seen)


def test_umap_and_tsne_maps_have_no_axis_meaning(ml100k, default_model):
    ex = Explorer(ml100k, default_model)
    u = ex.embedding_map(method="umap", n_items=120)
    assert len(u.coords) == 120 and u.explained_variance is None
    assert u.coords[["x", "y"]].notna().all().all()
    assert not u.axes[0].meaningful and u.axes[0].name == "UMAP x"
    assert "no meaning" in u.axes[0].title()
    ts = ex.embedding_map(method="tsne", n_items=100, seed=1)
    assert ts.explained_variance is None and ts.axes[1].name == "t-SNE y"
    m3 = ex.embedding_map(n_components=3, n_items=300)
    assert len(m3.coords) == 300 and len(m3.explained_variance) == 3 and "z" in m3.coords
    assert m3.axes[2].name == "PC3"


def test_bad_map_settings_say_what_to_use(ex):
    with pytest.raises(ConfigError, match="map method 'mds'; use one of pca, tsne, umap"):
        ex.embedding_map(method="mds")
    with pytest.raises(ConfigError, match="n_components must be 2 or 3"):
        ex.embedding_map(n_components=4)
    with pytest.raises(ConfigError, match="n_items must be a whole number of at least 4"):
        ex.embedding_map(n_items=2)
    with pytest.raises(ConfigError, match="at least 4 movies"):
        maps.project(np.zeros((3, 8)), "pca")


def test_traits_and_correlations_on_a_tiny_table():
    coords = pd.DataFrame(
        {
            "bias": [0.1, 0.2, 0.3, 0.4],
            "n_ratings": [1, 10, 100, 1000],
            "year": pd.array([1990, None, 1994, 1996], dtype="Int64"),
            "mean_rating": [3.0, 3.0, 3.0, 3.0],  # does not vary: no correlation
            "genres": ["Drama", "Drama|Horror", "Horror", "Drama"],
        }
    )
    t = maps.traits(coords, min_genre_movies=2)
    assert t["popularity"].tolist() == [0, 1, 2, 3]
    assert np.isnan(t["year"].iloc[1]) and list(t.columns[-2:]) == ["Drama", "Horror"]
    r = maps.correlations(np.array([1.0, 2.0, 3.0, 4.0]), t)
    assert "mean rating" not in r.index
    assert r["bias"] == pytest.approx(1.0) and r["popularity"] == pytest.approx(1.0)
    assert r["year"] == pytest.approx(np.corrcoef([1, 3, 4], [1990, 1994, 1996])[0, 1])
    assert list(r.abs()) == sorted(r.abs(), reverse=True)
    assert "Drama" not in maps.traits(coords, min_genre_movies=5)


def test_axis_words():
    axis = maps.Axis(
        "x",
        "pca",
        0.2,
        ["A"],
        ["B"],
        pd.Series({"year": -0.61, "Horror": 0.43, "bias": 0.1}),
    )
    assert axis.sentence() == (
        "PC1 follows year (r = −0.61: newer movies to the left) and Horror "
        "(r = +0.43: Horror films to the right)."
    )
    assert axis.title() == "← newer movies  ·  PC1, 20.0% of variance  ·  older movies →"
    weak = maps.Axis("y", "pca", 0.1, [], [], pd.Series({"bias": 0.12, "year": -0.05}))
    assert "none of the measured traits strongly" in weak.sentence()
    assert weak.title() == "PC2, 10.0% of variance"
    assert axis.title(short=True) == "PC1 (20%) → older movies"


def test_genre_groups_and_regions():
    coords = pd.DataFrame(
        {
            "x": [0.0, 1.0, 2.0, 3.0],
            "y": [0.0, 1.0, 0.0, 1.0],
            "genres": ["Horror|Comedy", "Comedy", "", "Drama"],
        },
        index=[10, 11, 12, 13],
    )
    groups = maps.genre_groups(coords, ["Horror", "Comedy"])
    assert groups.tolist() == ["Horror", "Comedy", "", ""]  # the first chosen genre wins
    assert maps.genre_groups(coords, ["Comedy", "Horror"]).tolist()[0] == "Comedy"
    assert maps.select_region(coords, box=((0.5, 2.5), (-1, 2))) == [11, 12]
    triangle = ((-1, 2.5, -1), (-1, -1, 2))  # holds (0, 0); (1, 1) is just outside
    assert maps.select_region(coords, lasso=triangle) == [10]
    assert maps.select_region(coords) == []


def test_cost_note():
    assert maps.cost_note("pca", 200_000) is None
    note = maps.cost_note("umap", 60_000)
    assert note.startswith("UMAP of 60,000 movies takes about") and "compiling UMAP" in note
    assert "then it is kept for this model" in maps.cost_note("tsne", 1000)
