"""Bias rankings: the movies (and users) the model rates up or down whoever is watching."""

import streamlit as st

from collab_core import plots
from collab_core.analysis import BIAS_KINDS, BIAS_NOTE, bias_units
from ui import context, widgets

st.title("Bias rankings")
page = context.model_page()
ds, ex = page.dataset, page.explorer
kind = page.stored.model.bias_kind  # "learned" | "effective" | "none": what this model has

if kind == "none":
    st.info(BIAS_KINDS["none"], icon=":material/block:")
    st.stop()
st.markdown(
    BIAS_KINDS["learned"] + " The lowest-biased movies are those people dislike *even when they "
    "match their taste*; the highest are liked even by people who don't usually like that kind "
    "of movie. " + BIAS_NOTE
    if kind == "learned"
    else "The lowest-biased movies are those the model rates down whoever watches; the highest, "
    "those it rates up. " + BIAS_NOTE
)
if kind == "effective":
    st.warning(BIAS_KINDS["effective"], icon=":material/function:")
st.caption(bias_units(ex))

c1, c2 = st.columns(2)
max_n = int(ds.items["n_ratings"].max())
min_ratings = c1.slider(
    "Minimum number of ratings",
    0,
    min(500, max_n),
    min(50, max_n // 2),
    key="bias_min_ratings",
    help="Movies with few ratings have unreliable biases; leave them out.",
)
top = c2.slider("Movies at each end", 5, 30, 10, key="bias_top")

with context.user_errors():
    table = page.biases(top=top, users=False, min_ratings=min_ratings)
left, right = st.columns(2)
high = table[table["end"] == "highest"]
low = table[table["end"] == "lowest"]
left.plotly_chart(
    plots.bias_bars(high, "Highest bias: liked beyond their audience"), key="bias_high"
)
right.plotly_chart(
    plots.bias_bars(low, "Lowest bias: disliked even by their audience"), key="bias_low"
)
STARS = st.column_config.NumberColumn("bias (stars)", format="%+.2f", width=70)
with st.expander("The table, with an explanation of each bias", icon=":material/table:"):
    st.dataframe(
        widgets.shown(table.drop(columns=["item_index"])),
        hide_index=True,
        row_height=widgets.WRAP_ROW_HEIGHT,
        height=widgets.table_height(len(table), widgets.WRAP_ROW_HEIGHT),
        # The explanation quotes the means and the prediction; they are in the CSV too.
        column_order=["end", "rank", "title", "bias", "explanation", "n_ratings", "genres"],
        column_config={
            "end": st.column_config.TextColumn(width=62),
            "rank": st.column_config.NumberColumn(width=40),
            "title": st.column_config.TextColumn(width=200),
            "bias": STARS,
            "explanation": st.column_config.TextColumn(width=300),
            "n_ratings": st.column_config.NumberColumn("ratings", width=60),
            "genres": st.column_config.ListColumn(width=170),
        },
    )
    widgets.csv_download(table, "bias_ranking.csv", key="bias_csv")

st.subheader("Bias against the plain average")
st.caption(
    "Each dot is a movie with at least the minimum number of ratings; bigger dots have more "
    "ratings. Movies far above or below the trend are those the model judges differently "
    "from their average rating, once it accounts for who watched them."
)
items = page.item_table()
st.plotly_chart(plots.bias_scatter(items[items["n_ratings"] >= min_ratings]), key="bias_scatter")

st.subheader("User biases")
st.caption(
    "A user's bias is how generous they are: positive for people who rate everything "
    "high, negative for harsh critics."
)
with context.user_errors():
    users = page.biases(top=top, users=True, min_ratings=min(20, min_ratings))
left, right = st.columns([1, 1])
left.plotly_chart(
    plots.histogram(ex.user_bias_stars_, "Distribution of user biases", "user bias (stars)"),
    key="bias_users_hist",
)
with right:
    st.dataframe(
        users.drop(columns=["user_index"]),
        hide_index=True,
        row_height=widgets.WRAP4_ROW_HEIGHT,
        height=420,
        # The explanation quotes both means; they are in the CSV too.
        column_order=["end", "rank", "user_id", "bias", "explanation"],
        column_config={
            "end": st.column_config.TextColumn(width=62),
            "rank": st.column_config.NumberColumn(width=40),
            "user_id": st.column_config.TextColumn("user", width=50),
            "bias": STARS,
            "explanation": st.column_config.TextColumn(width=230),
        },
    )
    widgets.csv_download(users, "user_biases.csv", key="bias_users_csv")
