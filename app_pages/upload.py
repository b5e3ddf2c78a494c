"""Upload: a ratings file (plus an optional items file) becomes a data set every page can use."""

import streamlit as st

from collab_core.data import load_ratings_file
from collab_core.errors import CollabError, MissingColumnError
from collab_core.readers import COLUMN_ALIASES
from ui import state, uploads

TYPES = ["csv", "tsv", "txt", "dat", "data", "parquet"]
DETECT = "(detect)"
# The column mapping's boxes, by role, and what the column of each holds.
ROLES = {
    "user_id": ("User column", "user ids"),
    "item_id": ("Item column", "item ids"),
    "rating": ("Rating column", "ratings"),
    "timestamp": ("Timestamp column", "timestamps"),
}

st.title("Upload your own ratings")
st.markdown(
    "A ratings file has one rating per line: a **user id**, an **item id** and a **rating** "
    "(a timestamp is optional). CSV, TSV, `::`-separated (`ratings.dat`) and Parquet files all "
    "work; column names such as `userId`, `movieId`, `rating` are found automatically. Add an "
    "items file (`movieId,title,genres`) to see titles instead of ids."
)

ratings_file = st.file_uploader("Ratings file", type=TYPES, key="upload_ratings")
items_file = st.file_uploader("Items file (optional)", type=TYPES + ["item"], key="upload_items")
if ratings_file is None:
    st.info(
        "Choose a ratings file to begin, e.g. `ratings.csv` from MovieLens.",
        icon=":material/upload_file:",
    )
    st.stop()

raw = ratings_file.getvalue()
items_raw = items_file.getvalue() if items_file is not None else None
columns = uploads.file_columns(raw)


@st.cache_data(show_spinner="Reading the file…", max_entries=4)
def _validate(
    raw: bytes, name: str, items_raw: bytes | None, items_name: str | None, mapping: tuple
) -> tuple[dict, list[str]]:
    """The data set's summary and notes; raises `DataError` saying what to fix."""
    ds = load_ratings_file(
        raw, items_raw, ratings_name=name, items_name=items_name, mapping=dict(mapping) or None
    )
    return ds.summary(), list(ds.notes)


def _mapping_widgets(expanded: bool) -> None:
    with st.expander("Column mapping", expanded=expanded, icon=":material/table_view:"):
        if not columns:
            st.caption(
                "This file has no header row; its columns are read in the order "
                "user, item, rating, timestamp."
            )
            return
        st.caption("Say which column holds what, where detection picked wrong or found nothing.")
        for col, role in zip(st.columns(len(COLUMN_ALIASES)), COLUMN_ALIASES, strict=True):
            col.selectbox(ROLES[role][0], [DETECT, *columns], key=state.column_map_key(role))


# The mapping widgets are drawn below the result, so read their last values from session state.
chosen = {role: st.session_state.get(state.column_map_key(role)) for role in COLUMN_ALIASES}
mapping = {
    role: col for role, col in chosen.items() if col not in (DETECT, None) and col in columns
}
error = None
try:
    summary, notes = _validate(
        raw,
        ratings_file.name,
        items_raw,
        items_file.name if items_file else None,
        tuple(sorted(mapping.items())),
    )
except MissingColumnError as exc:  # said with this page's own controls
    box, holds = ROLES[exc.role]
    error = (
        f"{exc.file} has no column the app recognises as its {holds} (its columns: "
        f"{', '.join(exc.columns)}). Open **Column mapping** below and set **{box}** to the "
        f"column that holds the {holds}."
    )
except CollabError as exc:
    error = str(exc)

if error:
    st.error(error, icon=":material/error:")
    if columns and "Column mapping" not in error:
        st.caption("If a column was not recognised, choose it under **Column mapping** below.")
_mapping_widgets(expanded=bool(error) or bool(mapping))
if error:
    st.stop()

st.success(f"**{ratings_file.name}** reads well.", icon=":material/check_circle:")
c = st.columns(4)
c[0].metric("Ratings", f"{summary['ratings']:,}")
c[1].metric("Users", f"{summary['users']:,}")
c[2].metric("Items", f"{summary['items']:,}")
c[3].metric("Rating scale", f"{summary['rating_min']:g} – {summary['rating_max']:g}")
for note in notes:
    st.warning(note, icon=":material/warning:")
if summary["users"] < 2 or summary["items"] < 2:
    st.error(
        "A model needs at least two users and two items; this file has "
        f"{summary['users']} and {summary['items']}. Upload more ratings."
    )
    st.stop()

label = st.text_input(
    "Name for this data set", value=ratings_file.name.rsplit(".", 1)[0], key="upload_label"
)
if st.button("Use this data set", type="primary", icon=":material/done:", key="upload_use"):
    saved = uploads.save_upload(
        raw,
        ratings_file.name,
        items_raw,
        items_file.name if items_file else None,
        mapping or None,
        label,
    )
    state.request_dataset(saved.key)
    st.rerun()
if state.dataset_choice().startswith(uploads.PREFIX):
    st.caption(
        "The sidebar's data set is now your upload; every page uses it. Train a model on "
        "the Home or Train page."
    )
