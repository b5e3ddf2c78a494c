"""Bias rankings, Embedding map and Similar movies on ML-100k with the session's small model."""

import numpy as np
from apptest_helpers import no_errors, pick, plotly_figures


def _title_of(at, text):
    return next(
        f for f in plotly_figures(at) if text in (f["layout"].get("title") or {}).get("text", "")
    )


def test_bias_rankings_show_both_ends_and_respect_min_ratings(open_page, ml100k):
    at = open_page("bias")
    no_errors(at)
    high = _title_of(at, "Highest bias")["data"][0]
    low = _title_of(at, "Lowest bias")["data"][0]
    assert len(high["y"]) == len(low["y"]) == 10
    assert min(high["x"]) > max(low["x"])
    at.slider(key="bias_min_ratings").set_value(200).run()
    no_errors(at)
    table = at.dataframe[0].value
    assert (table["n_ratings"] >= 200).all() and set(table["end"]) == {"highest", "lowest"}
    assert all(isinstance(g, (list, np.ndarray)) for g in table["genres"])  # one pill per genre
    scatter = _title_of(at, "Bias against mean rating")["data"][0]
    assert len(scatter["x"]) == int((ml100k.items["n_ratings"] >= 200).sum())
    users = _title_of(at, "user biases")["data"][0]
    assert len(users["x"]) == 943


def _map(at):
    """The map's figure: (its point traces, its labelled trace or None, its star trace or None)."""
    fig = plotly_figures(at)[0]
    named = {t.get("name"): t for t in fig["data"]}
    points = [t for t in fig["data"] if t.get("name") not in ("labelled", "highlighted")]
    return fig, points, named.get("labelled"), named.get("highlighted")


def _markdown(at) -> str:
    return " ".join(m.value for m in at.markdown)


def test_embedding_map_has_titles_axes_in_words_and_the_searched_movie(open_page, ml100k):
    at = open_page("map")
    no_errors(at)
    fig, points, labelled, star = _map(at)
    assert sum(len(t["x"]) for t in points) == 500  # the 500 most-rated movies
    assert all(t["type"] == "scatter" for t in points)  # SVG: no WebGL start-up
    # Colour: one genre (the one the axes follow most) against grey.
    assert [t["name"] for t in points][0] == "other movies" and len(points) == 2
    assert at.multiselect(key="map_genres").value == [points[1]["name"]]
    # Titles on the map: the default count, Star Wars among them.
    assert 30 <= len(labelled["text"]) <= 40 and "Star Wars" in labelled["text"]
    assert "PC1, " in fig["layout"]["xaxis"]["title"]["text"]
    # Axes in words, under the plot: the ends and the two traits each axis follows most.
    text = _markdown(at)
    assert "**PC1**" in text and "**PC2**" in text and "PC1 follows " in text
    assert "(r = " in text and "of the variance" in " ".join(c.value for c in at.caption)
    # A searched movie that would not be labelled otherwise is starred and labelled.
    items = ml100k.items
    order = items.sort_values("n_ratings", ascending=False, kind="stable").index
    quiet = int(next(i for i in order[300:500] if items.loc[i, "title"] not in labelled["text"]))
    pick(at, "map_search", str(items.loc[quiet, "title"]))
    no_errors(at)
    _, _, labelled, star = _map(at)
    assert star["customdata"] == [quiet] and labelled["customdata"][0] == quiet


def test_embedding_map_umap_with_one_genre(open_page):
    at = open_page("map")
    at.number_input(key="map_n").set_value(100)
    at.button_group(key="map_method").set_value("umap").run()
    no_errors(at)
    assert any("UMAP of 100 movies takes about" in c.value for c in at.caption)
    at.multiselect(key="map_genres").set_value(["Horror"]).run()
    no_errors(at)
    fig, points, labelled, _ = _map(at)
    assert [t["name"] for t in points] == ["other movies", "Horror"]
    assert sum(len(t["x"]) for t in points) == 100 and labelled["text"]
    assert "no meaning" in fig["layout"]["xaxis"]["title"]["text"]
    assert "read neighbourhoods" in _markdown(at).lower() and "PC1 follows" not in _markdown(at)
    assert not any("UMAP of 100 movies takes about" in c.value for c in at.caption)  # kept


def test_embedding_map_3d_tsne_and_a_numeric_colour(open_page):
    at = open_page("map")
    at.number_input(key="map_n").set_value(100)
    at.selectbox(key="map_colour").set_value("year")
    at.button_group(key="map_dims").set_value(3).run()
    no_errors(at)
    fig, points, labelled, _ = _map(at)
    assert points[0]["type"] == "scatter3d" and len(points[0]["x"]) == 100
    assert points[0]["marker"]["coloraxis"] == "coloraxis"  # a year scale, not genre traces
    assert fig["layout"]["scene"]["zaxis"]["title"]["text"].startswith("PC3 (")
    assert "**PC3**" in _markdown(at) and labelled["text"]
    at.button_group(key="map_method").set_value("tsne").run()
    no_errors(at)
    fig = plotly_figures(at)[0]
    assert len(fig["data"][0]["z"]) == 100
    assert fig["layout"]["scene"]["xaxis"]["title"]["text"].startswith("t-SNE x")
    assert "PC1 follows" not in _markdown(at)  # t-SNE axes mean nothing


def test_similar_movies_to_star_wars_lists_its_sequels(open_page, ml100k):
    at = open_page("similar")
    no_errors(at)
    star_wars = int(ml100k.items.index[ml100k.items["title"] == "Star Wars (1977)"][0])
    assert at.selectbox(key="similar_pick").value == star_wars  # the most-rated movie first
    table = at.dataframe[0].value
    assert len(table) == 10
    top5 = list(table["title"][:5])
    assert "Empire Strikes Back, The (1980)" in top5 and "Return of the Jedi (1983)" in top5
    assert table["similarity"].is_monotonic_decreasing
    empire = table[table["title"] == "Empire Strikes Back, The (1980)"].iloc[0]
    assert list(empire["genres"]) == ["Action", "Adventure", "Drama", "Romance", "Sci-Fi", "War"]
    at.slider(key="similar_k").set_value(5)
    at.radio(key="similar_metric").set_value("euclidean").run()
    no_errors(at)
    table = at.dataframe[0].value
    assert len(table) == 5 and table["distance"].is_monotonic_increasing


def test_the_picker_finds_a_misspelled_title_and_lists_the_other_matches(open_page):
    at = open_page("similar")
    pick(at, "similar_pick", "silense of the lambs")
    no_errors(at)
    assert "Movies like Silence of the Lambs, The (1991)" in [s.value for s in at.subheader]
    assert any("spelled most like it" in c.value for c in at.caption)
    box = at.selectbox(key="similar_pick")
    assert box.options[0] == "Silence of the Lambs, The (1991) · 390 ratings"
    assert 1 < len(box.options) <= 20  # only the matches reach the browser
    # The article first and a bare year find the same movie; another match can be chosen.
    pick(at, "similar_pick", "the silence of the lambs")
    assert at.selectbox(key="similar_pick").value == box.value
    pick(at, "similar_pick", "alien 1979")
    assert at.selectbox(key="similar_pick").options[:2] == [
        "Alien (1979) · 291 ratings",
        "Alien 3 (1992) · 100 ratings",
    ]
    at.selectbox(key="similar_pick").select_index(1).run()
    no_errors(at)
    assert "Movies like Alien 3 (1992)" in [s.value for s in at.subheader]


def test_a_search_that_matches_nothing_says_so_and_keeps_no_movie(open_page):
    at = open_page("similar")
    pick(at, "similar_pick", "xyzzy qqq")
    no_errors(at)
    (warning,) = at.warning
    assert warning.value.startswith("No movie matches “xyzzy qqq”. Closest titles: ")
    assert at.selectbox(key="similar_pick").value is None
    assert len(at.selectbox(key="similar_pick").options) == 5  # the closest titles, to choose
    assert not at.dataframe and not at.subheader  # Star Wars' neighbours are gone
    assert "Choose a movie." in [i.value for i in at.info]
    at.selectbox(key="similar_pick").select_index(0).run()
    no_errors(at)
    assert len(at.dataframe[0].value) == 10


def test_two_movies_sharing_a_title_stay_apart(open_page):
    """Movies are chosen by item index, so the less-rated of two same-titled movies is the one
    shown (string item ids: a title would name the most-rated copy)."""
    from collab_core import paths
    from collab_core.config import TrainConfig
    from collab_core.store import ModelStore
    from ui import uploads

    raters = {f"m{i}": range(1, 41) for i in range(1, 31)} | {"m2": range(1, 11)}
    ratings = "\n".join(
        f"u{u},{i},{(u + 2 * n) % 5 + 1}" for n, (i, us) in enumerate(raters.items()) for u in us
    )
    titles = {"m1": "Twin (1990)", "m2": "Twin (1990)"}
    items = "\n".join(f"m{i},{titles.get(f'm{i}', f'Film {i} (1980)')},Drama" for i in range(1, 31))
    saved = uploads.save_upload(
        f"userId,movieId,rating\n{ratings}\n".encode(),
        "twins.csv",
        f"movieId,title,genres\n{items}\n".encode(),
        "movies.csv",
    )
    ds = uploads.load_upload(saved.folder)
    stored = ModelStore(paths.models_dir()).get_or_train(ds, TrainConfig(epochs=2, device="cpu"))
    twins = ds.items.index[ds.items["title"] == "Twin (1990)"]
    less_rated = int(twins[ds.items.loc[twins, "n_ratings"].argmin()])
    at = open_page("similar", model=False)
    at.sidebar.selectbox(key="dataset_choice").set_value(saved.key).run()
    at.sidebar.selectbox(key="model_id").set_value(stored.model_id).run()
    pick(at, "similar_pick", "twin")
    assert at.selectbox(key="similar_pick").options[:2] == [
        "Twin (1990) · 40 ratings",
        "Twin (1990) · 10 ratings",
    ]
    at.selectbox(key="similar_pick").set_value(less_rated).run()
    no_errors(at)
    # The title, and what tells this copy from the other one
    assert at.subheader[0].value == "Movies like Twin (1990) · id m2, 10 ratings"
    assert any(c.value.startswith("10 ratings") for c in at.caption)


def test_a_long_first_run_waits_to_be_asked_for(open_page, monkeypatch):
    from collab_core import maps

    monkeypatch.setattr(maps, "ASK_FIRST_S", 1.0)  # t-SNE of 300 movies: "about 4 s"
    at = open_page("map")
    at.number_input(key="map_n").set_value(300)
    at.button_group(key="map_method").set_value("tsne").run()
    no_errors(at)
    assert not plotly_figures(at)  # nothing computed yet
    assert any("t-SNE of 300 movies takes about" in c.value for c in at.caption)
    at.button(key="map_go").click().run()
    no_errors(at)
    _, points, _, _ = _map(at)
    assert sum(len(t["x"]) for t in points) == 300
    at.selectbox(key="map_colour").set_value("bias").run()  # kept: no button, no note
    assert plotly_figures(at) and not at.button
