"""Bias rankings, Embedding map and Similar movies on ML-100k with the session's small model."""

from apptest_helpers import no_errors, plotly_figures


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
    scatter = _title_of(at, "Bias against mean rating")["data"][0]
    assert len(scatter["x"]) == int((ml100k.items["n_ratings"] >= 200).sum())
    users = _title_of(at, "user biases")["data"][0]
    assert len(users["x"]) == 943


def test_embedding_map_has_points_axes_and_highlight(open_page, ml100k):
    at = open_page("map")
    no_errors(at)
    fig = plotly_figures(at)[0]
    assert sum(len(t["x"]) for t in fig["data"]) == 500  # the 500 most-rated movies
    assert all(t["type"] == "scattergl" for t in fig["data"])
    assert fig["layout"]["xaxis"]["title"]["text"].startswith("PC1 ·")
    assert "of the variance" in " ".join(c.value for c in at.caption)
    star_wars = int(ml100k.items.index[ml100k.items["title"] == "Star Wars (1977)"][0])
    at.selectbox(key="map_search").set_value(star_wars).run()
    no_errors(at)
    star = plotly_figures(at)[0]["data"][-1]
    assert star["name"] == "highlighted" and star["text"] == ["Star Wars (1977)"]


def test_embedding_map_3d_tsne_and_colour(open_page):
    at = open_page("map")
    at.number_input(key="map_n").set_value(100)
    at.selectbox(key="map_colour").set_value("year")
    at.button_group(key="map_dims").set_value(3).run()
    no_errors(at)
    fig = plotly_figures(at)[0]
    assert fig["data"][0]["type"] == "scatter3d" and len(fig["data"][0]["x"]) == 100
    assert fig["data"][0]["marker"]["showscale"]  # a year colour scale, not genre traces
    assert fig["layout"]["scene"]["zaxis"]["title"]["text"].startswith("PC3 ·")
    assert any("What the axes mean" in e.label for e in at.expander)
    at.button_group(key="map_method").set_value("tsne").run()
    no_errors(at)
    fig = plotly_figures(at)[0]
    assert len(fig["data"][0]["z"]) == 100
    assert fig["layout"]["scene"]["xaxis"]["title"]["text"] == "t-SNE x"
    assert not any("What the axes mean" in e.label for e in at.expander)  # t-SNE axes mean nothing


def test_similar_movies_to_star_wars_lists_its_sequels(open_page, ml100k):
    at = open_page("similar")
    no_errors(at)
    star_wars = int(ml100k.items.index[ml100k.items["title"] == "Star Wars (1977)"][0])
    at.selectbox(key="similar_pick").set_value(star_wars).run()
    no_errors(at)
    table = at.dataframe[0].value
    assert len(table) == 10
    top5 = list(table["title"][:5])
    assert "Empire Strikes Back, The (1980)" in top5 and "Return of the Jedi (1983)" in top5
    assert table["similarity"].is_monotonic_decreasing
    at.slider(key="similar_k").set_value(5)
    at.radio(key="similar_metric").set_value("euclidean").run()
    no_errors(at)
    table = at.dataframe[0].value
    assert len(table) == 5 and table["distance"].is_monotonic_increasing


def test_large_catalogues_get_a_search_field_in_the_movie_picker(open_page, monkeypatch):
    import ui.widgets

    monkeypatch.setattr(ui.widgets, "PICKER_MAX", 100)  # ML-100k now counts as a large catalogue
    at = open_page("similar")
    no_errors(at)
    assert len(at.selectbox(key="similar_pick").options) == 100  # the 100 most-rated only
    at.text_input(key="similar_pick_query").input("jedi").run()
    options = at.selectbox(key="similar_pick").options
    assert "Return of the Jedi (1983)" in options and len(options) <= 51
    at.selectbox(key="similar_pick").set_value("Return of the Jedi (1983)").run()
    no_errors(at)
    assert at.dataframe[0].value["title"].iloc[0] != "Return of the Jedi (1983)"
    assert "Movies like Return of the Jedi (1983)" in [s.value for s in at.subheader]


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
    at.selectbox(key="similar_pick").set_value(less_rated).run()
    no_errors(at)
    # The title, and what tells this copy from the other one
    assert at.subheader[0].value == "Movies like Twin (1990) · id m2, 10 ratings"
    assert any(c.value.startswith("10 ratings") for c in at.caption)
    options = at.selectbox(key="similar_pick")
    assert {options.format_func(i) for i in twins} == {
        "Twin (1990) · id m1, 40 ratings",
        "Twin (1990) · id m2, 10 ratings",
    }
