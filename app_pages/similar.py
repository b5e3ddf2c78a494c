"""Similar movies: the nearest neighbours of a movie in embedding space, one click to hop on."""

import streamlit as st

from collab_core.analysis import similar_min_ratings
from ui import context, state, widgets

st.title("Similar movies")
page = context.model_page()
ds = page.dataset

st.markdown(
    "Movies whose embeddings point the same way are liked by the same people, so the nearest "
    'embeddings make a "people who liked this also liked" list, learned from ratings alone (the '
    "model never saw a genre or a plot). **Cosine** compares directions only; **Euclidean** "
    "distance also counts how strong the taste signal is."
)

# Start from the last movie explored, else the most-rated one.
state.start_similar_pick(int(ds.items["n_ratings"].idxmax()))
c1, c2, c3, c4 = st.columns([3, 1, 1, 1])
with c1:
    query = widgets.movie_picker(ds, "Movie", key=state.SIMILAR_PICK)
k = c2.slider("How many", 5, 50, 10, key="similar_k")
metric = c3.radio("Metric", ["cosine", "euclidean"], key="similar_metric")
default_min = similar_min_ratings(ds.items["n_ratings"])
state.start_similar_min(default_min)
min_ratings = c4.number_input(
    "Min. ratings",
    0,
    1000,
    key=state.SIMILAR_MIN,
    help="Leave out rarely-rated movies: few people shaped their embeddings. The default "
    f"({default_min}) made the lists whose movies the query's fans liked best, measured on "
    "people the model never saw (see the README).",
)
if query is None:
    st.info("Choose a movie.")
    st.stop()
state.set_similar_item(query)

with context.user_errors():
    result = page.nearest(query, k=k, metric=metric, min_ratings=int(min_ratings))
table = result.table
value = "similarity" if metric == "cosine" else "distance"
row = ds.items.iloc[result.item_index]
st.subheader(f"Movies like {result.query}")
st.caption(
    f"{row['n_ratings']:,} ratings, mean {row['mean_rating']:.2f}"
    + (f" · {', '.join(row['genres'])}" if len(row["genres"]) else "")
)

event = st.dataframe(
    widgets.shown(table),
    hide_index=True,
    on_select="rerun",
    selection_mode="single-row",
    key=f"similar_table_{query}_{metric}",
    column_order=["rank", "title", value, "n_ratings", "genres", "year", "bias"],
    column_config={  # widths that show every column whole at 1400 px
        "rank": st.column_config.NumberColumn(width=45),
        "title": st.column_config.TextColumn(width=300),
        value: st.column_config.ProgressColumn(
            value,
            format="%.3f",
            min_value=float(min(0.0, table[value].min())) if len(table) else 0.0,
            max_value=float(max(1.0, table[value].max())) if len(table) else 1.0,
            width=120,
        ),
        "n_ratings": st.column_config.NumberColumn("ratings", width=60),
        "genres": st.column_config.ListColumn(width=210),
        "year": st.column_config.NumberColumn(format="%d", width=50),
        "bias": st.column_config.NumberColumn("bias (stars)", format="%+.2f", width=70),
    },
)
picked = event.selection.rows if event is not None else []
if picked:
    nxt = table.iloc[picked[0]]
    st.button(
        f"Explore movies like {nxt['title']}",
        type="primary",
        key="similar_next",
        on_click=state.show_similar,
        args=(int(nxt["item_index"]),),
        icon=":material/east:",
    )
else:
    st.caption("Select a row to explore that movie's neighbours next.")
widgets.csv_download(table, "similar_movies.csv", key="similar_csv")
