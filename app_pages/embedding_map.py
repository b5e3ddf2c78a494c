"""Embedding map: the movies' learned factors in 2-D (or 3-D), titled, with the axes put in words."""

import streamlit as st

from collab_core import export, labels, map_figure, maps
from ui import context, state, widgets

st.title("Embedding map")
page = context.model_page()
ds = page.dataset

st.markdown(
    "Each movie's embedding is a list of numbers the model learned. **PCA** draws the movies "
    "along the two (or three) directions in which those lists vary most; below the map, each "
    "axis is put in words: the movies at its two ends and what it follows, measured. **t-SNE** "
    "and **UMAP** instead keep similar movies together, at the cost of axes that mean nothing. "
    "Drag a box or a lasso to list movies."
)
c1, c2, c3, c4, c5 = st.columns([2, 1, 1, 2, 1])
method = (
    c1.segmented_control(
        "Method",
        maps.MAP_METHODS,
        default="pca",
        key="map_method",
        format_func=maps.METHOD_NAMES.get,
    )
    or "pca"
)
dims = (
    c2.segmented_control(
        "Dimensions", [2, 3], default=2, key="map_dims", format_func=lambda d: f"{d}-D"
    )
    or 2
)
upper = int(page.explorer.item_seen_.sum())
n_items = c3.number_input(
    "Most-rated movies", min(50, upper), upper, min(500, upper), step=50, key="map_n"
)
colour = c4.selectbox(
    "Colour by", list(maps.COLOURINGS), format_func=maps.COLOURINGS.get, key="map_colour"
)
n_labels = c5.number_input(
    "Titles shown", 0, labels.MAX_LABELS, labels.LABELS, step=10, key=state.MAP_LABELS,
    help="How many titles to print on the map: the movies at the ends of the axes, then the "
    "most-rated, wherever they fit without overlapping.",
)  # fmt: skip
settings = {"method": method, "n_components": int(dims), "n_items": int(n_items)}
if not page.has_map(**settings) and (note := maps.cost_note(method, int(n_items))):
    st.caption(note)
    long = maps.first_run_seconds(method, int(n_items)) > maps.ASK_FIRST_S
    if long and not st.button(f"Compute the {maps.METHOD_NAMES[method]} map", key="map_go"):
        st.stop()
with context.user_errors():
    emap = page.embedding_map(**settings)
coords = emap.coords

groups = None
if colour == "genres":
    state.start_map_genres(emap.telling_genres(1))
    chosen = st.multiselect(
        "Genres to highlight against grey",
        page.explorer.genres.names,
        key=state.MAP_GENRES,
        max_selections=4,
        help="A movie takes the colour of the first highlighted genre it lists.",
    )
    groups = maps.genre_groups(coords, chosen)
pick = widgets.movie_picker(
    ds, "Find a movie on the map", key=state.MAP_SEARCH, help="Marks it with a red star."
)
must = [pick] if pick in coords.index else []
if pick is not None and not must:
    st.caption(f"{ds.items['title'].iloc[pick]} is not among the movies shown; show more.")

ranges = (labels.axis_range(coords["x"]), labels.axis_range(coords["y"]))
chosen_labels = labels.choose_labels(coords, int(n_labels), must=must, ranges=ranges)
fig = map_figure.embedding_map(
    coords,
    z="z" if dims == 3 else None,
    color=None if colour == "genres" else colour,
    log_color=colour == "n_ratings",
    groups=groups,
    labels=chosen_labels,
    highlight=must,
    titles=[a.title(short=dims == 3) for a in emap.axes],
    ranges=ranges,
)
modes = ("points", "box", "lasso")
event = st.plotly_chart(fig, key=f"map_{method}_{dims}", on_select="rerun", selection_mode=modes)
if note := map_figure.crowd_note(len(coords), int(dims)):
    st.caption(note)

st.subheader("What the axes mean")
if emap.axes[0].meaningful:
    for a in emap.axes:
        share = f"{a.explained_variance:.1%} of the variance"
        st.markdown(f"**{a.name}** ({share}): *{a.ends_text()}*  \n{a.sentence()}")
    st.caption(
        f"Together they explain {sum(emap.explained_variance):.1%} of the variance of the "
        f"{page.explorer.item_factors_.shape[1]}-number embeddings. r is the correlation of a "
        "movie's place on the axis with each trait (±1: in step; 0: unrelated); for a genre, "
        "with whether the movie lists it."
    )
else:
    st.markdown(maps.reading_note(method))
with st.expander("What each axis follows: its correlation with every trait"):
    st.dataframe(emap.correlation_table().round(2))

rows = map_figure.selected_items(coords, event.selection) if event is not None else []
if rows:
    selected = coords.loc[rows]
    st.subheader(f"{len(selected):,} selected movies")
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
