"""Embedding map: the movies' learned factors projected to 2-D (or 3-D), coloured and searchable."""

import streamlit as st

from collab_core import export, plots
from ui import context, state, widgets

COLOURS = {
    "primary_genre": "Genre",
    "year": "Year",
    "bias": "Bias",
    "n_ratings": "Popularity (number of ratings)",
    "mean_rating": "Mean rating",
}
HOVER = ["year", "primary_genre", "n_ratings", "mean_rating", "bias"]

st.title("Embedding map")
page = context.model_page()
ds = page.dataset

st.markdown(
    "Each movie's embedding is a list of numbers the model learned. **PCA** finds the directions "
    "in which those vectors vary most and draws the movies along the first two (or three); the "
    "axes are named by the movies at their two ends, so you can read what the model discovered "
    "(e.g. mainstream blockbusters against acclaimed classics). **t-SNE** instead keeps "
    "neighbours close, at the cost of meaningless axes. Drag a box or a lasso to list movies."
)
c1, c2, c3, c4 = st.columns([2, 1, 1, 2])
method = (
    c1.segmented_control(
        "Method",
        ["pca", "tsne"],
        default="pca",
        key="map_method",
        format_func={"pca": "PCA", "tsne": "t-SNE"}.get,
    )
    or "pca"
)
dims = (
    c2.segmented_control(
        "Dimensions", [2, 3], default=2, key="map_dims", format_func=lambda d: f"{d}-D"
    )
    or 2
)
upper = ds.n_items
n_items = c3.number_input(
    "Most-rated movies",
    min(50, upper),
    upper,
    min(500, upper),
    step=50,
    key="map_n",
    help="How many movies to show, most-rated first.",
)
colour = c4.selectbox("Colour by", list(COLOURS), format_func=COLOURS.get, key="map_colour")
if method == "tsne" and n_items > 3000:
    st.warning("t-SNE on many movies takes a while on a CPU (it runs once, then is cached).")

with context.user_errors():
    emap = page.embedding_map(method=method, n_components=int(dims), n_items=int(n_items))
coords = emap.coords

pick = widgets.movie_picker(
    ds,
    "Find a movie on the map",
    key=state.MAP_SEARCH,
    help="Highlights the movie with a red star.",
)
highlight = []
if pick is not None:
    rows = coords.index[coords["item_index"] == pick].tolist()
    if rows:
        highlight = rows
    else:
        st.caption(
            f"{ds.items['title'].iloc[pick]} is not among the {len(coords):,} most-rated "
            "movies shown; show more movies to see it."
        )

titles = [plots.axis_title(a) for a in emap.axes]
fig = plots.embedding_map(
    coords,
    z="z" if dims == 3 else None,
    color=colour,
    hover=HOVER,
    x_title=titles[0],
    y_title=titles[1],
    z_title=titles[2] if dims == 3 else None,
    highlight=highlight,
    log_color=colour == "n_ratings",
)
event = st.plotly_chart(
    fig,
    key=f"map_chart_{method}_{dims}",
    on_select="rerun",
    selection_mode=("points", "box", "lasso"),
)
if emap.explained_variance:
    shares = " + ".join(f"{v:.1%}" for v in emap.explained_variance)
    st.caption(
        f"The {len(emap.explained_variance)} components shown explain {shares} = "
        f"{sum(emap.explained_variance):.1%} of the variance of the "
        f"{page.explorer.item_factors_.shape[1]}-number embeddings."
    )
if emap.explained_variance:  # t-SNE axes mean nothing: the movies at their ends would mislead
    with st.expander("What the axes mean: the movies at each end", icon=":material/straighten:"):
        for a, t in zip(emap.axes, titles, strict=True):
            st.markdown(
                f"**{t.split('<br>')[0]}**  \n← low: {', '.join(a['low'])}  \n"
                f"→ high: {', '.join(a['high'])}"
            )

rows = plots.selected_rows(event.selection.points) if event is not None else []
rows = [r for r in rows if r in coords.index]
if rows:
    selected = coords.loc[rows]
    st.subheader(f"{len(selected)} selected movies")
    st.dataframe(selected.drop(columns=["item_index"]), hide_index=True)
    widgets.csv_download(
        selected, "map_selection.csv", label="Download the selection", key="map_sel_csv"
    )
else:
    st.caption("Select points with the box or lasso tool (top right of the chart) to list them.")

st.subheader("Export")
c1, c2 = st.columns(2)
with c1:
    widgets.csv_download(
        coords, f"map_{method}_{dims}d.csv", label="Map coordinates (CSV)", key="map_csv"
    )
with c2:
    # Deferred (callables): the files are built when clicked, not on every rerun.
    vectors, meta = page.explorer.item_factors_, page.item_table()
    columns = (*export.PROJECTOR_COLUMNS, "bias")
    help_text = (
        "For https://projector.tensorflow.org: Load, then choose vectors.tsv and metadata.tsv."
    )
    for part, (col, name) in enumerate(zip(st.columns(2), ("vectors", "metadata"), strict=True)):
        col.download_button(
            f"Projector {name}.tsv",
            lambda part=part: export.projector_tsv(vectors, meta, columns)[part],
            file_name=f"{name}.tsv",
            mime="text/tab-separated-values",
            key=f"map_projector_{name}",
            on_click="ignore",
            icon=":material/download:",
            help=help_text,
        )
