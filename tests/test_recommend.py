"""recommend: a new user's recommendations on the real default model (and a small neural one)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import torch

from collab_core.analysis import Explorer
from collab_core.audit import audit_popularity
from collab_core.calibration import (
    LIST_PRIOR,
    PROFILE_PRIOR,
    calibration_strength,
    genre_profile,
)
from collab_core.errors import ConfigError, UnknownItemError
from collab_core.models import NewUser
from collab_core.popularity import Popularity
from collab_core.recommend import (
    CALIBRATION,
    fold_in,
    parse_ratings,
    rank_items,
    recommend_for,
)

HORROR_FAN = [  # the genre's classics and its slashers
    "Shining, The (1980)",
    "Night of the Living Dead (1968)",
    "Evil Dead II (1987)",
    "Carrie (1976)",
    "Omen, The (1976)",
    "Scream (1996)",
    "Nightmare on Elm Street, A (1984)",
    "Candyman (1992)",
]
HORROR_FAN_MAINSTREAM = [  # the most-rated ones, most of them listing other genres too
    "Scream (1996)",
    "Alien (1979)",
    "Jaws (1975)",
    "Psycho (1960)",
    "Birds, The (1963)",
    "Devil's Advocate, The (1997)",
]
ROMANCE_FAN = [
    "Sleepless in Seattle (1993)",
    "While You Were Sleeping (1995)",
    "Pretty Woman (1990)",
    "Sense and Sensibility (1995)",
    "Emma (1996)",
    "Truth About Cats & Dogs, The (1996)",
]


@pytest.fixture(scope="module")
def tiny_dataset_no_genres():
    """A generated ratings file with no items file (so no genres), and a model trained on it."""
    from collab_core.config import TrainConfig
    from collab_core.data import make_dataset
    from collab_core.training import fit

    rng = np.random.default_rng(0)
    pairs = rng.choice(40 * 30, size=600, replace=False)
    ratings = pd.DataFrame(
        {
            "user_id": pairs // 30 + 1,
            "item_id": pairs % 30 + 101,
            "rating": rng.integers(1, 6, size=600).astype(np.float32),
            "timestamp": np.arange(600),
        }
    )
    ds = make_dataset(ratings, name="no genres")
    return ds, fit(ds, TrainConfig(n_factors=4, epochs=2, bs=64)).model


def _genre_count(ex, rec, genre: str, top: int | None = None) -> int:
    genres = ex.dataset.items["genres"].to_numpy()[rec.table["item_index"].to_numpy()[:top]]
    return sum(genre in g for g in genres)


# --- what a movie fan checks ---------------------------------------------------------------------


def test_a_star_wars_fan_gets_the_sequels_first(ex):
    # Over five user folds (benchmarks/recommend_quality.py): Empire 1st, Return of the Jedi 1st-2nd.
    rec = recommend_for(ex, {"Star Wars (1977)": 5}, k=15)
    titles = list(rec.table["title"])
    assert {"Empire Strikes Back, The (1980)", "Return of the Jedi (1983)"} <= set(titles[:3])
    empire = rec.table.set_index("title").loc["Empire Strikes Back, The (1980)", "because"]
    assert empire.startswith("because you rated Star Wars (1977) 5")


def test_a_horror_fan_gets_mostly_horror(ex):
    """By predicted rating alone (calibration 0) a horror fan gets the classics everyone likes and
    no horror: the RMSE model does not know that choosing eight horror films says something.
    With the default calibration the list follows the genres of what they liked."""
    # Measured over six training seeds: 9-10 of 10 and 18-19 of 20 for the eight films at 5
    # stars; 6-7 of 10 and 13-14 of 20 for the six mainstream ones (most list other genres too)
    # at 4 stars, which weigh less (six liked movies, not eight).
    for fan, stars, top10, top20 in [(HORROR_FAN, 5, 8, 16), (HORROR_FAN_MAINSTREAM, 4, 5, 11)]:
        ratings = {t: stars for t in fan}
        rec = recommend_for(ex, ratings, k=20)
        assert _genre_count(ex, rec, "Horror", 10) >= top10, rec.table[["title", "genres"]]
        assert _genre_count(ex, rec, "Horror") >= top20, rec.table[["title", "genres"]]
        mix = rec.genre_mix.set_index("genre")
        assert mix.index[0] == "Horror" and mix.loc["Horror", "yours"] == 1.0
        assert mix.loc["Horror", "list"] == _genre_count(ex, rec, "Horror") / 20
        assert mix.loc["Horror", "catalogue"] < 0.1
        plain = recommend_for(ex, ratings, k=20, calibration=0, taste=0)  # predicted rating
        assert _genre_count(ex, plain, "Horror", 10) <= 2
    # Calibration follows the user, it does not push a genre: a romance fan and the cold-start
    # user (no profile, so no calibration) get next to no horror.
    cold = recommend_for(ex, [], k=20)
    assert _genre_count(ex, cold, "Horror") <= 1
    assert (
        cold.table["item_index"].tolist()
        == recommend_for(ex, [], k=20, calibration=0).table["item_index"].tolist()
    )
    romance = recommend_for(ex, {t: 5 for t in ROMANCE_FAN}, k=20)
    assert _genre_count(ex, romance, "Horror") <= 1
    assert _genre_count(ex, romance, "Romance", 10) >= 6


def test_calibration_keeps_the_proportions_of_a_mixed_taste(ex):
    """Half horror, half romance at 5 stars: both genres, in about equal parts; not one of them."""
    rec = recommend_for(
        ex, {**{t: 5 for t in HORROR_FAN[:4]}, **{t: 5 for t in ROMANCE_FAN[:4]}}, k=20
    )
    horror, romance = _genre_count(ex, rec, "Horror"), _genre_count(ex, rec, "Romance")
    assert 6 <= horror <= 14 and 6 <= romance <= 14, rec.table[["title", "genres"]]


def test_calibrated_greedy_is_exact(ex):
    """The per-genre-combination shortlist gives the same list as the greedy over every item."""
    idx, r = parse_ratings(ex, {**{t: 5 for t in HORROR_FAN[:5]}, "Fargo (1996)": 4})
    score = ex.model.score(fold_in(ex, idx, r))
    ranked = rank_items(ex, idx, r, score, k=15)
    s = calibration_strength(CALIBRATION, ranked.profile, PROFILE_PRIOR)
    has = ex.genres.has
    p, lo, hi = ranked.profile.share, *ex.dataset.rating_scale
    chosen: list[int] = []
    for n in range(15):  # the objective of calibrated_top, written out, over all allowed items
        best, best_gain = -1, -np.inf
        for c in np.flatnonzero(ranked.allowed):
            if c in chosen:
                continue
            q = (has[chosen + [c]].sum(0) + LIST_PRIOR * p) / (n + 1 + LIST_PRIOR)
            d = sum(
                (pi * np.log(pi / qi) if pi > 0 else 0)
                + ((1 - pi) * np.log((1 - pi) / (1 - qi)) if pi < 1 else 0)
                for pi, qi in zip(p, q, strict=True)
            )
            mean_key = (ranked.key[chosen].sum() + ranked.key[c]) / (n + 1) / (hi - lo)
            gain = (1 - s) * mean_key - s * d
            if gain > best_gain + 1e-12:
                best, best_gain = c, gain
        chosen.append(best)
    assert ranked.top.tolist() == chosen


def test_calibration_strength_grows_with_the_liked_movies_and_is_reported(ex):
    one = recommend_for(ex, {"Scream (1996)": 5}, k=5)
    eight = recommend_for(ex, {t: 5 for t in HORROR_FAN}, k=5)
    assert one.calibration == eight.calibration == CALIBRATION
    assert one.calibration_used == pytest.approx(CALIBRATION / (1 + PROFILE_PRIOR))
    assert eight.calibration_used == pytest.approx(CALIBRATION * 8 / (8 + PROFILE_PRIOR))
    assert recommend_for(ex, [], k=5).calibration_used == 0.0
    assert recommend_for(ex, {"Scream (1996)": 2}, k=5).to_dict()["calibration_used"] == 0.0


def test_fractional_ratings_keep_a_genre_every_liked_movie_has(ex):
    """Shares like 0.9999999999999999 (from ratings such as 4.2) once shut the genre out."""
    ratings = {
        "April Fool's Day (1986)": 3.6,
        "Deep Rising (1998)": 4.5,
        "Scream (1996)": 3.9,
        "Cemetery Man (Dellamorte Dellamore) (1994)": 5.0,
        "Spirits of the Dead (Tre passi nel delirio) (1968)": 3.9,
        "Thinner (1996)": 4.7,
        "Wes Craven's New Nightmare (1994)": 3.1,
    }  # all horror; their weights summed in another order give 0.9999999999999998
    idx, r = parse_ratings(ex, ratings)
    assert (
        genre_profile(ex.genres, idx, r, ex.dataset.rating_scale).share[
            ex.genres.names.index("Horror")
        ]
        == 1.0
    )
    rec = recommend_for(ex, ratings, k=10, calibration=1.0)
    assert _genre_count(ex, rec, "Horror") >= 8, rec.table[["title", "genres"]]
    assert np.isfinite(rec.table["rank_score"]).all()


def test_calibration_within_a_genre_filter(ex):
    """Filtered to comedies, a horror fan gets the comedies that are horror too, first."""
    rec = recommend_for(ex, {t: 5 for t in HORROR_FAN}, k=10, genres="Comedy")
    assert rec.table["genres"].str.contains("Comedy").all()
    assert rec.table["genres"].str.contains("Horror").sum() >= 5
    assert rec.genre_mix.set_index("genre").loc["Comedy", "catalogue"] == 1.0


def test_no_profile_no_calibration(ex):
    """Only low ratings, or no genres in the data: nothing to calibrate to, plain ranking."""
    low = {"Scream (1996)": 2, "Carrie (1976)": 3}
    idx, r = parse_ratings(ex, low)
    assert genre_profile(ex.genres, idx, r, ex.dataset.rating_scale) is None
    assert (
        recommend_for(ex, low, k=10).table["item_index"].tolist()
        == recommend_for(ex, low, k=10, calibration=0).table["item_index"].tolist()
    )


def test_calibration_off_without_genres(tiny_dataset_no_genres):
    ds, model = tiny_dataset_no_genres
    ex = Explorer(ds, model)
    rec = recommend_for(ex, {int(ds.item_ids[0]): 5, int(ds.item_ids[1]): 5}, k=5, min_ratings=0)
    assert len(rec.table) == 5 and rec.genre_mix.empty
    assert (
        genre_profile(ex.genres, np.array([0, 1]), np.array([5.0, 5.0]), ex.dataset.rating_scale)
        is None
    )


def test_rated_movies_never_come_back(ex):
    rated = {"Star Wars (1977)": 5, "Chasing Amy (1997)": 4, "Titanic (1997)": 1, "Fargo": 5}
    for taste, novelty in [(0.0, 0.0), (0.5, 0.5), (1.0, 1.0)]:
        rec = recommend_for(ex, rated, k=200, min_ratings=0, taste=taste, novelty=novelty)
        titles = set(rec.table["title"])
        assert not titles & {
            "Star Wars (1977)",
            "Chasing Amy (1997)",
            "Titanic (1997)",
            "Fargo (1996)",
        }
        assert len(rec.table) == 200 and rec.table["item_index"].is_unique


def test_cold_start_is_the_mean_user(ex, default_model):
    rec = recommend_for(ex, [], k=10, taste=0.0)
    assert "cold start" in rec.user.method
    seen = default_model.user_seen.numpy()
    assert np.allclose(rec.user.factors, ex.user_factors_[seen].mean(0), atol=1e-6)
    assert rec.table["because"].str.contains("no ratings yet").all()
    # Ranked by predicted rating: the best-liked classics of the bias ranking.
    assert rec.table["score"].is_monotonic_decreasing
    top_bias = ex.biases(top=20, min_ratings=10)
    assert len(set(rec.table["title"]) & set(top_bias["title"])) >= 6


def test_scores_are_the_models_own_predictions(ex, default_model):
    """The closed-form scoring (and the global bias read back from predict) match the model."""
    for u in (0, 10, 500):
        user = NewUser(ex.user_factors_[u].astype(np.float64), float(ex.user_bias_[u]), "")
        ours = ex.model.score(user)
        theirs = default_model.predict(
            torch.full((ex.dataset.n_items,), u), torch.arange(ex.dataset.n_items)
        ).numpy()
        assert np.allclose(ours, theirs, atol=1e-4)
    assert not ex.item_seen_.all()  # movies only in the validation split are covered too


def test_fold_in_fits_the_given_ratings(ex):
    idx, r = parse_ratings(ex, {"Star Wars (1977)": 5, "Titanic (1997)": 1, "Fargo": 4})
    user = fold_in(ex, idx, r)
    fitted = user.rated.set_index("title")["fitted"]
    assert fitted["Star Wars (1977)"] > fitted["Fargo (1996)"] > fitted["Titanic (1997)"]
    cold = ex.model.score(fold_in(ex, idx[:0], r[:0]), idx)
    # Closer to the given ratings than the average user's predictions are.
    assert ((user.rated["fitted"] - r) ** 2).sum() < ((cold - r) ** 2).sum()
    # More ratings of the same kind pull harder (the ridge prior weighs less).
    many = fold_in(ex, *parse_ratings(ex, {t: 5 for t in HORROR_FAN}))
    few = fold_in(ex, *parse_ratings(ex, {t: 5 for t in HORROR_FAN[:1]}))
    scream = ex.titles.resolve("Scream (1996)")
    assert ex.model.score(many, [scream])[0] > ex.model.score(few, [scream])[0] - 1e-9


def test_explanations_name_the_rated_movie_that_points_to_it(ex):
    rec = recommend_for(ex, {"Star Wars (1977)": 5, "Toy Story (1995)": 5}, k=30)
    row = rec.table.set_index("title")
    assert row.loc["Empire Strikes Back, The (1980)", "contributions"][0]["title"] == (
        "Star Wars (1977)"
    )
    toyish = [
        t
        for t in ("Aladdin (1992)", "Lion King, The (1994)", "Babe (1995)", "Toy Story (1995)")
        if t in row.index
    ]
    for t in toyish:
        assert row.loc[t, "contributions"][0]["title"] == "Toy Story (1995)"
    for contrib in rec.table["contributions"]:
        assert all(c["points"] > 0 for c in contrib)
        assert [c["points"] for c in contrib] == sorted(
            (c["points"] for c in contrib), reverse=True
        )


# --- filters and the popularity knob -------------------------------------------------------------


def test_genre_and_min_ratings_filters(ex):
    rec = recommend_for(
        ex, {"Star Wars (1977)": 5}, k=15, genres=["sci-fi", "Western"], min_ratings=100
    )
    assert len(rec.table) == 15
    assert rec.table["genres"].str.contains("Sci-Fi|Western").all()
    assert (rec.table["n_ratings"] >= 100).all()
    with pytest.raises(ConfigError, match="Unknown genre 'Horor'.*Horror"):
        recommend_for(ex, [], genres="Horor")


def test_novelty_trades_popularity_for_the_long_tail(ex):
    rated = {"Star Wars (1977)": 5, "Fargo": 4}
    popular = recommend_for(ex, rated, k=20, novelty=0.0)
    novel = recommend_for(ex, rated, k=20, novelty=1.0)
    assert novel.report.mean_popularity_pct < popular.report.mean_popularity_pct - 10
    assert novel.report.head_share <= popular.report.head_share
    # Without calibration the list is sorted by the rank score (predicted rating less novelty).
    assert (
        recommend_for(ex, rated, k=20, novelty=1.0, calibration=0)
        .table["rank_score"]
        .is_monotonic_decreasing
    )
    assert "mean popularity percentile" in popular.report.summary
    assert 0 < popular.report.coverage <= 20 / ex.dataset.n_items + 1e-12


def test_popularity_report_and_audit(ml100k, ex):
    most = np.argsort(-ex.n_ratings_)[:10]
    least = np.argsort(ex.n_ratings_)[:10]
    hot, cold = (
        Popularity(ml100k.items["n_ratings"]).report([most]),
        Popularity(ml100k.items["n_ratings"]).report([least]),
    )
    assert hot.mean_popularity_pct > 99 and hot.head_share == 1.0
    assert cold.mean_popularity_pct < 10 and cold.head_share == 0.0
    both = Popularity(ml100k.items["n_ratings"]).report([most, most, least])
    assert both.coverage == pytest.approx(20 / ml100k.n_items) and both.n_lists == 3
    # Over real users' lists: ranking by predicted rating alone shows everyone the same few
    # movies; taste (what is particular to each user) shows far more of the catalogue, and the
    # novelty penalty makes the lists less popular (though not more varied across users).
    plain = audit_popularity(ex, k=10, novelty=0.0, taste=0.0, n_users=100)
    tasteful = audit_popularity(ex, k=10, novelty=0.0, taste=0.5, n_users=100)
    novel = audit_popularity(ex, k=10, novelty=0.5, taste=0.0, n_users=100)
    assert tasteful.coverage > 1.5 * plain.coverage
    assert novel.mean_popularity_pct < plain.mean_popularity_pct - 15


# --- bad input -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("ratings", "error", "message"),
    [
        (
            {"Star Wars (1977)": 6},
            ConfigError,
            "outside this data set's scale; give a rating from 1 to 5",
        ),
        ({"Star Wars (1977)": 0.5}, ConfigError, "from 1 to 5"),
        ({"Star Wars (1977)": "great"}, ConfigError, "must be a number, not 'great'"),
        ({"Star Wars (1977)": float("nan")}, ConfigError, "outside"),
        ({"No Such Movie Ever": 4}, UnknownItemError, "No movie matches 'No Such Movie Ever'"),
        ({"star trek": 4}, UnknownItemError, "matches 8 movies"),
        ([("Star Wars (1977)", 5), ("star wars", 3)], ConfigError, "rated twice \\(5 and 3\\)"),
        ([("Star Wars (1977)", 5, 1)], ConfigError, "a \\(movie, rating\\) pair"),
        (["Star Wars (1977)"], ConfigError, "a \\(movie, rating\\) pair"),
        ({999999: 4}, UnknownItemError, "item id 999999"),
    ],
)
def test_bad_ratings_get_a_clear_error(ex, ratings, error, message):
    with pytest.raises(error, match=message):
        recommend_for(ex, ratings)


def test_bad_settings_get_a_clear_error(ml100k, default_model):
    for kwargs, message in [
        ({"k": 0}, "k must be a whole number of at least 1"),
        ({"novelty": 1.5}, "novelty must be a number from 0"),
        ({"taste": -0.1}, "taste must be a number from 0"),
        ({"calibration": 2}, "calibration must be a number from 0 \\(off\\) to 1"),
        ({"calibration": True}, "calibration must be a number"),
        ({"min_ratings": -1}, "min_ratings must be"),
        ({"ridge": 0}, "ridge must be a positive number"),
    ]:
        with pytest.raises(ConfigError, match=message):
            recommend_for(Explorer(ml100k, default_model), {"Star Wars (1977)": 5}, **kwargs)


def test_same_rating_twice_is_fine_and_json_is_plain(ex):
    rec = recommend_for(ex, [("Star Wars (1977)", 5), ("star wars", 5)], k=3)
    assert len(rec.user.rated) == 1
    d = rec.to_dict()
    assert [set(r) >= {"title", "score", "because", "contributions"} for r in d["recommendations"]]
    assert isinstance(d["recommendations"][0]["score"], float)
    assert d["rated"][0]["title"] == "Star Wars (1977)"
    assert d["calibration"] == CALIBRATION and d["genre_mix"][0]["genre"] in {
        "Action",
        "Adventure",
        "Romance",
        "Sci-Fi",
        "War",
    }


# --- the neural model ----------------------------------------------------------------------------


def test_neural_model_recommends_and_explains(ml100k, small_nn_model):
    ex = Explorer(ml100k, small_nn_model)
    assert small_nn_model.contributions(ex.mean_user, [0], [3.0]) is None  # approximate "because"
    grads = [None if p.grad is None else p.grad.clone() for p in small_nn_model.parameters()]
    rated = {"Star Wars (1977)": 5, "Return of the Jedi (1983)": 5, "Titanic (1997)": 1}
    rec = recommend_for(ex, rated, k=10)
    assert len(rec.table) == 10 and "Adam steps" in rec.user.method
    assert not set(rec.table["title"]) & {
        "Star Wars (1977)",
        "Return of the Jedi (1983)",
        "Titanic (1997)",
    }
    lo, hi = small_nn_model.y_range
    assert rec.table["score"].between(lo, hi).all()
    fitted = rec.user.rated.set_index("title")["fitted"]
    assert fitted["Star Wars (1977)"] > fitted["Titanic (1997)"]
    cold = recommend_for(ex, [], k=10)
    assert "cold start" in cold.user.method
    # The folded-in user is closer to the ratings (squared error, what it minimises) than the mean.
    idx, r = parse_ratings(ex, rated)
    cold_pred = ex.model.score(cold.user, idx)
    assert ((rec.user.rated["fitted"].to_numpy() - r) ** 2).sum() < ((cold_pred - r) ** 2).sum()
    # Fold-in leaves the model's own weights and gradients alone.
    for before, p in zip(grads, small_nn_model.parameters(), strict=True):
        assert (p.grad is None) if before is None else torch.equal(before, p.grad)


def test_neural_model_analysis_runs_sensibly(ml100k, small_nn_model):
    ex = Explorer(ml100k, small_nn_model)
    table = ex.biases(top=5, min_ratings=50)
    top = table[table["end"] == "highest"]
    low = table[table["end"] == "lowest"]
    assert top["mean_rating"].mean() > low["mean_rating"].mean() + 1.0
    near = ex.similar("Star Wars (1977)", k=5)
    assert len(near.table) == 5 and "Star Wars (1977)" not in set(near.table["title"])
    m = ex.embedding_map(n_items=200)
    assert len(m.coords) == 200 and m.explained_variance[0] > 0
    assert ex.model.intercept() == pytest.approx(float(small_nn_model.global_logit), abs=1e-5)


def test_calibration_on_a_half_star_scale():
    """ML-25M's 0.5-5 scale: the middle is 2.75, so 3 is a (small) like and 2.5 is not."""
    from collab_core import synthetic
    from collab_core.config import TrainConfig
    from collab_core.training import fit

    ds = synthetic.generate(synthetic.SyntheticConfig(n_ratings=20_000, scale="half_stars"))
    assert ds.rating_scale == (0.5, 5.0)
    ex = Explorer(ds, fit(ds, TrainConfig(n_factors=8, epochs=2)).model)
    genres = ds.items["genres"].to_numpy()
    members = np.flatnonzero(["Horror" in g for g in genres] & ex.item_seen_)
    liked = members[np.argsort(-ex.n_ratings_[members])][:6]
    assert genre_profile(ex.genres, liked, np.full(6, 2.5), ex.dataset.rating_scale) is None
    profile = genre_profile(
        ex.genres, liked, np.r_[4.5, 4.5, 4.5, 3.0, 3.0, 3.0], ex.dataset.rating_scale
    )
    assert profile.liked == 6 and profile.share[ex.genres.names.index("Horror")] == 1.0
    # Over three training seeds: 9 horror films in 10 by default, 0-1 without calibration.
    rec = recommend_for(ex, {int(ds.item_ids[i]): 4.5 for i in liked}, k=10, min_ratings=0)
    horror = rec.table["genres"].str.contains("Horror").sum()
    plain = recommend_for(
        ex, {int(ds.item_ids[i]): 4.5 for i in liked}, k=10, min_ratings=0, calibration=0
    )
    assert horror >= 6 > plain.table["genres"].str.contains("Horror").sum(), rec.table


def test_a_title_listed_under_two_ids_is_recommended_once(ex, ml100k):
    """MovieLens lists Body Snatchers (1993) twice; a list that wants both shows one, by label."""
    copies = ml100k.items.index[ml100k.items["title"] == "Body Snatchers (1993)"].to_numpy()
    score = np.full(ml100k.n_items, 3.0)
    score[copies] = [4.9, 5.0]  # both would top the list
    none = np.zeros(0, np.int64)
    top = rank_items(ex, none, np.zeros(0), score, k=10, min_ratings=0, calibration=0.0).top
    assert int(copies[1]) in top and int(copies[0]) not in top
    shown = ex.item_table(top)["title"]
    assert list(shown).count("Body Snatchers (1993) · id 670, 36 ratings") == 1
