"""Recommend: rate a few movies, get recommendations that explain themselves, with filters."""

import streamlit as st

from collab_core import plots
from ui import context, onboarding, rating, recommend_filters, widgets

st.title("Recommendations for you")
page = context.model_page()
ds = page.dataset
lo, hi = ds.rating_scale

st.markdown(
    "Rate a few movies you know. The model then finds the embedding that best explains *your* "
    "ratings (the movies' embeddings stay fixed; no retraining) and ranks every movie you have "
    "not rated by its predicted rating, while the list follows the genres of the movies you "
    "liked (*genre calibration*: the more you rate, the more it follows). Before any rating "
    "you are where you *start*: the average user, a typical real user, or a guess from what "
    "you tell; answering the questions teaches the model fastest."
)

left, right = st.columns([2, 3], gap="large")
with left:
    st.subheader("Start")
    with context.user_errors():
        start_key, start = onboarding.start_panel(page)
    st.subheader("Questions")
    onboarding.question_panel(page)
    st.subheader("Your ratings")
    rated = rating.rating_panel(ds)  # {item index: rating}, kept per data set
    st.subheader("Filters")
    filters = recommend_filters.filters(page.explorer.genres.names)

with right:
    with context.user_errors():
        rec = page.recommend(rated, **filters, start_key=start_key, start=start)
    personal = rated or start is not None
    st.subheader(
        "Recommended" if personal else "Popular with everyone (rate movies to personalise)"
    )
    st.caption(
        "*predicted*: the rating the model expects from you (capped at the top of the scale). "
        "The order also weighs the sliders on the left (genres, taste, novelty), so it need "
        "not follow *predicted* exactly."
    )
    st.dataframe(
        rec.table.drop(columns=["contributions"]),
        hide_index=True,
        key="rec_table",
        # Whole titles and reasons at 1400 px: few columns, and rows where they wrap (genres,
        # ratings and popularity are in the CSV, and in the charts below).
        row_height=widgets.WRAP4_ROW_HEIGHT,
        height=widgets.table_height(len(rec.table), widgets.WRAP4_ROW_HEIGHT),
        column_order=["rank", "title", "score", "score_sd", "because"],  # ±: Bayesian model only
        column_config={
            "rank": st.column_config.NumberColumn("#", width=28),
            "title": st.column_config.TextColumn(width=140),
            "score": st.column_config.ProgressColumn(
                "predicted", format="%.2f", min_value=lo, max_value=hi, width=72
            ),
            "because": st.column_config.TextColumn(
                "because",
                width=285,
                help="What pushed it up: the genres you liked that it shares, and the movies "
                "you rated that raised its predicted rating most (by how many stars).",
            ),
            "score_sd": st.column_config.NumberColumn(
                "±",
                format="± %.2f",
                width=60,
                help="How sure the Bayesian model is of this prediction (its posterior sd): "
                "wider when you have rated little, or when few people rated the movie.",
            ),
        },
    )
    widgets.csv_download(
        rec.table.drop(columns=["contributions"]), "recommendations.csv", key="rec_csv"
    )
    onboarding.history_chart(start_key, rated, rec.table["title"].tolist())

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
