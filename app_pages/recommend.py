"""Recommend: rate a few movies, get recommendations that explain themselves, with filters."""

import streamlit as st

from collab_core import plots
from collab_core.recommend import CALIBRATION, TASTE
from ui import cached, context, state, widgets

PICK = "rec_pick"

st.title("Recommendations for you")
ds, stored, ex, key = context.model_page()
rated = state.rated()  # {item index: rating}, kept per data set
lo, hi = ds.rating_scale
stars = (lo, hi) == (1.0, 5.0)  # st.feedback's five stars fit a 1-5 scale only

st.markdown(
    "Rate a few movies you know. The model then finds the embedding that best explains *your* "
    "ratings (the movies' embeddings stay fixed; no retraining) and ranks every movie you have "
    "not rated by its predicted rating, while the list follows the genres of the movies you "
    "liked (*genre calibration*: the more you rate, the more it follows). With no ratings you "
    "are the average user."
)


def _from_widget(idx: int, wkey: str, round_: int) -> None:
    """on_change callback: store what the widget `wkey` now says about movie `idx`.

    Ignored when the ratings were cleared since the widget was drawn (see state.RATING_ROUND).
    """
    if round_ != state.rating_round():
        return
    value = st.session_state.get(wkey)
    if value is None:  # a star clicked twice is cleared: so is the rating
        rated.pop(idx, None)
    else:
        rated[idx] = float(value + 1) if stars else float(value)


def _rating_widget(label: str, idx: int, wkey: str, current: float | None, *, live: bool = True):
    """Stars on a 1-5 scale, else a slider over the data set's scale."""
    cb = {"on_change": _from_widget, "args": (idx, wkey, state.rating_round())} if live else {}
    if stars:
        return st.feedback(
            "stars", key=wkey, default=None if current is None else int(current) - 1, **cb
        )
    step = 0.5 if (hi - lo) <= 10 else 1.0
    return st.slider(
        label, lo, hi, current if current is not None else (lo + hi) / 2, step, key=wkey, **cb
    )


def _clear() -> None:
    rated.clear()
    state.next_rating_round()  # stale star clicks are ignored, and the widgets start afresh
    st.session_state[PICK] = None


rnd = state.rating_round()  # in every rating widget's key (see _clear)
left, right = st.columns([2, 3], gap="large")
with left:
    st.subheader("Your ratings")
    pick = widgets.movie_picker(ds, "Search a movie to rate", key=PICK)
    if pick is not None and pick not in rated:
        st.caption(f"How much do you like **{ds.items['title'].iloc[pick]}**?")
        value = _rating_widget("Your rating", pick, f"rec_new_{rnd}_{pick}", None, live=stars)
        if not stars and st.button("Add rating", key="rec_add"):
            rated[pick] = float(value)
            st.rerun()
    if rated:
        for idx in list(rated):
            c1, c2, c3 = st.columns([4, 3, 1], vertical_alignment="center")
            c1.markdown(ds.items["title"].iloc[idx])
            with c2:
                _rating_widget("rating", idx, f"rec_edit_{rnd}_{idx}", rated[idx])
            if c3.button("", key=f"rec_del_{idx}", icon=":material/close:", help="Remove"):
                rated.pop(idx, None)
                st.rerun()
        st.button("Clear all ratings", key="rec_clear", on_click=_clear, icon=":material/delete:")
    else:
        st.caption("No ratings yet: the list on the right is what the average user would like.")

    st.subheader("Filters")
    genres = st.multiselect(
        "Genres",
        ex.genres.names,
        key="rec_genres",
        placeholder="Any genre",
        help="Only movies listing any of these genres.",
    )
    min_ratings = st.slider(
        "Minimum number of ratings",
        0,
        300,
        20,
        key="rec_min",
        help="Leave out obscure movies with few ratings.",
    )
    novelty = st.slider(
        "Novelty",
        0.0,
        1.0,
        0.0,
        0.05,
        key="rec_novelty",
        help="0 ranks by predicted rating alone; higher values push less-rated "
        "movies up, trading predicted stars for discovery.",
    )
    taste = st.slider(
        "Taste over consensus",
        0.0,
        1.0,
        TASTE,
        0.05,
        key="rec_taste",
        help="0 ranks by predicted rating alone, which favours movies everyone likes; higher "
        "values rank by how much more you would like a movie than the average user does, so "
        "your own taste shows through.",
    )
    calibration = st.slider(
        "Follow my genres (at most)",
        0.0,
        1.0,
        CALIBRATION,
        0.05,
        key="rec_calibration",
        help="How hard the list follows the genres of the movies you rated above the middle "
        "of the scale. The strength applied is this value x n / (n + 8) for n such movies, so "
        "one rating only nudges and it grows as you rate more (the Genre mix caption shows "
        "it). 0 turns it off: a rating model predicts the well-loved classics highly for "
        "everyone, so a horror fan would then get almost no horror.",
    )
    k = st.slider("How many", 5, 50, 10, key="rec_k")

with right:
    ratings = tuple((widgets.item_ref(ds, i), r) for i, r in sorted(rated.items()))
    with context.user_errors():
        rec = cached.recommend(
            *key,
            ex,
            ratings,
            k=k,
            genres=tuple(genres),
            min_ratings=min_ratings,
            novelty=float(novelty),
            taste=float(taste),
            calibration=float(calibration),
        )
    st.subheader("Recommended" if rated else "Popular with everyone (rate movies to personalise)")
    st.caption(
        "*predicted*: the rating the model expects from you (capped at the top of the scale). "
        "The order also weighs the sliders on the left (genres, taste, novelty), so it need "
        "not follow *predicted* exactly."
    )
    st.dataframe(
        rec.table.drop(columns=["contributions"]),
        hide_index=True,
        key="rec_table",
        column_order=[
            "rank",
            "title",
            "score",
            "genres",
            "because",
            "n_ratings",
            "popularity_pct",
            "year",
        ],
        column_config={
            "rank": st.column_config.NumberColumn("#", width=30),
            "title": st.column_config.TextColumn(width="medium"),
            "score": st.column_config.ProgressColumn(
                "predicted", format="%.2f", min_value=lo, max_value=hi, width="small"
            ),
            "popularity_pct": st.column_config.NumberColumn("popularity %", format="%.0f"),
            "bias": None,
            "mean_rating": st.column_config.NumberColumn(format="%.2f"),
            "because": st.column_config.TextColumn("because", width="large"),
        },
    )
    widgets.csv_download(
        rec.table.drop(columns=["contributions"]), "recommendations.csv", key="rec_csv"
    )

    if not rec.genre_mix.empty and rated:
        st.subheader("Genre mix")
        if rec.genre_mix["yours"].gt(0).any():
            st.plotly_chart(plots.genre_mix(rec.genre_mix), key="rec_genre_mix")
            st.caption(
                "Bars: the share of movies listing each genre (many list several). The list "
                "follows *your* mix, not the catalogue's, with strength "
                f"{rec.calibration_used:.2f}: *Follow my genres* ({rec.calibration:.2f}) "
                "scaled by how many movies you liked; it grows as you rate more."
            )
        else:
            st.caption(
                "None of your ratings is above the middle of the scale, so there is no genre "
                "mix to follow yet."
            )

    st.subheader("Popularity bias")
    report = rec.report
    c1, c2 = st.columns(2)
    c1.metric(
        "Mean popularity percentile",
        f"{report.mean_popularity_pct:.0f}",
        help="Where the recommended movies rank by number of ratings; a movie picked at "
        "random averages 50.",
    )
    c2.metric(
        "From the blockbuster head",
        f"{report.head_share:.0%}",
        help=f"Share of recommendations among the {report.head_items:,} most-rated movies, "
        "which together get half of all ratings.",
    )
    st.caption(
        "Recommenders that only show popular movies make them more popular still (a feedback "
        "loop); raise *novelty* to reach less-rated movies, and *taste* to let lists differ "
        "more from person to person."
    )
