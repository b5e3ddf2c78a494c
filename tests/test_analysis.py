"""analysis: bias rankings and nearest movies on the real model (the map: test_maps.py)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import torch

from collab_core.analysis import Explorer
from collab_core.data import make_dataset
from collab_core.errors import ConfigError, UnknownItemError

CLASSICS = {
    "Shawshank Redemption, The (1994)",
    "Schindler's List (1993)",
    "Star Wars (1977)",
    "Casablanca (1942)",
    "Usual Suspects, The (1995)",
    "Godfather, The (1972)",
    "Rear Window (1954)",
    "12 Angry Men (1957)",
    "Silence of the Lambs, The (1991)",
    "Wrong Trousers, The (1993)",
    "Close Shave, A (1995)",
    "Raiders of the Lost Ark (1981)",
    "Citizen Kane (1941)",
}


# --- nearest movies ------------------------------------------------------------------------------


def test_star_wars_neighbours_include_its_sequels(ex):
    res = ex.similar("Star Wars (1977)", k=10)
    titles = list(res.table["title"])
    assert res.query == "Star Wars (1977)"
    assert "Empire Strikes Back, The (1980)" in titles
    assert "Return of the Jedi (1983)" in titles
    assert "Star Wars (1977)" not in titles
    assert len(titles) == 10
    sims = res.table["similarity"].to_numpy()
    assert np.all(np.diff(sims) <= 1e-6) and sims.max() <= 1 + 1e-5


def test_euclidean_metric_and_min_ratings(ex):
    res = ex.similar("star wars", k=15, metric="euclidean", min_ratings=100)
    assert "Empire Strikes Back, The (1980)" in list(res.table["title"])
    assert (res.table["n_ratings"] >= 100).all()
    dist = res.table["distance"].to_numpy()
    assert np.all(np.diff(dist) >= -1e-6)
    # The distances are the real ones between factor rows.
    q, top = res.item_index, int(res.table["item_index"].iloc[0])
    assert dist[0] == pytest.approx(
        np.linalg.norm(ex.item_factors_[q] - ex.item_factors_[top]), rel=1e-4
    )


def test_explorer_leaves_the_model_untouched(ml100k, default_model, ex):
    weights = default_model.item_factors().clone()
    assert not ex.item_seen_.all()  # movies only in the validation split: rows zeroed here...
    Explorer(ml100k, default_model)
    assert torch.equal(default_model.item_factors(), weights)  # ...but not in the model
    unseen = int(np.flatnonzero(~ex.item_seen_)[0])
    with pytest.raises(ConfigError, match="no learned factors"):
        ex.similar(int(ml100k.item_ids[unseen]))
    near = set(ex.similar("Star Wars (1977)", k=300).table["item_index"])
    assert not near & set(np.flatnonzero(~ex.item_seen_))


def test_copies_of_the_query_title_are_left_out(ex):
    # ML-100k lists "Chasing Amy (1997)" under two ids; neither comes back for the other.
    res = ex.similar("Chasing Amy (1997)", k=20)
    assert res.query == "Chasing Amy (1997) · id 268, 255 ratings"  # the copy it names
    assert not res.table["title"].str.startswith("Chasing Amy").any()


def test_titles_shared_by_two_ids_are_told_apart_and_listed_once(ex, ml100k):
    body = ml100k.items.index[ml100k.items["title"] == "Body Snatchers (1993)"]
    assert sorted(ex.labels_[body]) == [
        "Body Snatchers (1993) · id 573, 33 ratings",
        "Body Snatchers (1993) · id 670, 36 ratings",
    ]
    assert ex.labels_[ml100k.item_index([50])[0]] == "Star Wars (1977)"  # others as they are
    everything = ex.similar("Star Wars (1977)", k=ml100k.n_items).table
    bare = everything["title"].str.replace(r" · id \d+, [\d,]+ ratings$", "", regex=True)
    assert bare.is_unique  # every title at most once, the nearer copy
    assert len(everything) == int(ex.item_seen_.sum()) - 1 - sum(
        int(ex.item_seen_[g].sum()) - 1 for g in ex.title_copies_ if ex.item_seen_[g].sum() > 1
    )


def test_the_default_minimum_for_similar_movies(ml100k):
    from collab_core.analysis import SIMILAR_MIN_RATINGS, similar_min_ratings

    assert similar_min_ratings(ml100k.items["n_ratings"]) == SIMILAR_MIN_RATINGS == 75
    assert similar_min_ratings([40, 3, 12, 9]) == 3  # a small data set: every movie can be listed
    assert similar_min_ratings([]) == 0


def test_similar_plain_function_and_bad_arguments(ml100k, default_model):
    res = Explorer(ml100k, default_model).similar(50, k=3)  # an int is an item id: Star Wars
    assert res.query == "Star Wars (1977)" and len(res.table) == 3
    with pytest.raises(ConfigError, match="metric"):
        Explorer(ml100k, default_model).similar("Star Wars", metric="manhattan")
    with pytest.raises(ConfigError, match="k must be"):
        Explorer(ml100k, default_model).similar("Star Wars", k=0)
    with pytest.raises(UnknownItemError, match="item id 999999"):
        Explorer(ml100k, default_model).similar(999999)


# --- bias rankings -------------------------------------------------------------------------------


def test_highest_item_biases_are_well_loved_classics(ex):
    table = ex.biases(top=10, min_ratings=50)
    top = table[table["end"] == "highest"]
    low = table[table["end"] == "lowest"]
    assert len(top) == 10 and len(low) == 10
    assert len(CLASSICS & set(top["title"])) >= 4, list(top["title"])
    assert (table["n_ratings"] >= 50).all()
    assert top["bias"].is_monotonic_decreasing and low["bias"].is_monotonic_increasing
    assert top["mean_rating"].min() > 4.0 and low["mean_rating"].max() < 3.0


def test_bias_columns_show_why_a_bias_is_not_an_average(ex, ml100k):
    table = ex.biases(top=5, min_ratings=50)
    row = table[table["title"] == table["title"].iloc[0]].iloc[0]
    # raters_mean is the mean of the overall averages of the users who rated the movie.
    r = ml100k.ratings
    user_mean = r.groupby("user_id")["rating"].mean()
    raters = r.loc[r["item_id"] == row["item_id"], "user_id"]
    assert row["raters_mean"] == pytest.approx(user_mean[raters].mean(), rel=1e-6)
    assert f"{row['raters_mean']:.2f} to all they rated" in row["explanation"]


def test_a_bias_and_its_explanation_are_in_one_unit_stars(ex, default_model):
    """The table's bias and the explanation beside it are the same number of stars: what the
    model's own (logit) bias adds to its typical rating."""
    table = ex.biases(top=10, min_ratings=50)
    z0 = default_model.intercept()
    typical = float(default_model.to_rating(z0))
    stars = default_model.to_rating(z0 + table["bias_logit"].to_numpy(np.float64)) - typical
    assert table["bias"].to_numpy() == pytest.approx(stars, abs=1e-5)
    for bias, why in zip(table["bias"], table["explanation"], strict=True):
        assert why.startswith(f"its bias adds {bias:+.2f} stars to a typical prediction")
    top = table[table["end"] == "highest"]
    assert 0.3 < top["bias"].iloc[0] < 1.5  # stars, on a 1-5 scale
    assert ex.typical_rating_ == pytest.approx(typical) and 3.0 < typical < 4.0
    users = ex.biases(top=5, users=True, min_ratings=20)
    for bias, why in zip(users["bias"], users["explanation"], strict=True):
        assert why.startswith(f"their bias adds {bias:+.2f} stars")


def test_bias_units_are_given_once_in_words(ex):
    from collab_core.analysis import bias_units

    said = bias_units(ex)
    assert said.startswith(f"Biases are in stars: what each adds to {ex.typical_rating_:.2f}")
    assert "logits" in said and "0–5.5 stars" in said


def test_user_biases(ex):
    table = ex.biases(top=5, users=True, min_ratings=20)
    top = table[table["end"] == "highest"]
    low = table[table["end"] == "lowest"]
    assert {"user_id", "bias", "n_ratings", "mean_rating", "items_mean"} <= set(table.columns)
    # Generous raters give more than the movies they watch get on average; harsh ones less.
    assert (top["mean_rating"] > top["items_mean"]).all()
    assert (low["mean_rating"] < low["items_mean"]).all()
    assert top["explanation"].str.contains("generous").all()


def test_bias_ranking_bad_arguments(ml100k, default_model):
    with pytest.raises(ConfigError, match="No movie has 100000 ratings"):
        Explorer(ml100k, default_model).biases(min_ratings=100000)
    with pytest.raises(ConfigError, match="top must be"):
        Explorer(ml100k, default_model).biases(top=0)


def test_model_from_another_data_set_is_refused(default_model):
    tiny = make_dataset(
        pd.DataFrame(
            {"user_id": [1, 2], "item_id": [1, 2], "rating": [1.0, 5.0], "timestamp": [0, 0]}
        )
    )
    with pytest.raises(ConfigError, match="another data set"):
        Explorer(tiny, default_model)


# --- forgiving titles ----------------------------------------------------------------------------
