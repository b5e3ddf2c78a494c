"""Upload: a ratings file, a GroupLens zip or a path on this machine becomes a data set every page uses."""

from dataclasses import replace

import streamlit as st

from collab_core import localfiles
from collab_core.errors import CollabError, MissingColumnError
from collab_core.readers import COLUMN_ALIASES
from collab_core.scales import parse_scale
from ui import cached, imports, state, uploads

TYPES = ["csv", "tsv", "txt", "dat", "data", "parquet", "zip", "gz", "bz2", "xz", "zst"]
UPLOAD, ON_SERVER = "Upload a file", "Open a file on this machine"
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
    "work, also compressed (`.gz`, `.bz2`, `.xz`, `.zst`, `.zip`); column names such as `userId`, "
    "`movieId`, `rating` are found automatically. A **MovieLens zip as GroupLens distributes it** "
    "(`ml-latest-small.zip`, `ml-1m.zip`, `ml-25m.zip`, ...) opens as it is, with its titles and "
    "genres. Otherwise add an items file (`movieId,title,genres`) to see titles instead of ids."
)
imports.factors_section()
source = st.radio("Where is the file?", [UPLOAD, ON_SERVER], horizontal=True, key="upload_source")
if source == UPLOAD:
    ratings_file = st.file_uploader("Ratings file or MovieLens zip", TYPES, key="upload_ratings")
    items_file = st.file_uploader("Items file (optional)", TYPES + ["item"], key="upload_items")
    users_file = st.file_uploader(
        "Users file (optional: user id, age, gender, occupation...)",
        ["csv", "tsv", "txt", "user"],
        key="upload_users",
    )
    limit_mb = st.get_option("server.maxUploadSize")
    st.caption(
        f"Files up to {limit_mb:,} MB: the server's limit (`server.maxUploadSize` in "
        "`.streamlit/config.toml`). The browser sends the whole file before it is read. A "
        f"larger file, or one already on the machine running this app: choose **{ON_SERVER}**, "
        "which reads it where it is, without uploading it."
    )
else:
    path_text = st.text_input(
        "Path of a ratings file, a MovieLens zip or a MovieLens folder",
        key="upload_path",
        placeholder="~/Downloads/ml-25m.zip",
    )
    items_text = st.text_input("Path of an items file (optional)", key="upload_items_path")
    folders = ", ".join(f"`{f}`" for f in localfiles.allowed_folders()) or "none (this is off)"
    st.caption(
        f"A path on the machine that runs this app, under the allowed folders: {folders}. Anyone "
        "who can open the app can type a path here, so other folders, and links leading out of "
        f"these, are refused. Whoever runs the app sets them with `${localfiles.ENV_ALLOWED}`."
    )
scale_text = st.text_input(
    "Rating scale (optional)",
    key="upload_scale",
    placeholder="detected; or state it, e.g. 1-5, 0.5 to 5, -10 10",
    help="Ratings that do not look like one scale are refused. If they are right (scores from "
    "-10 to 10, say), state the scale here: ratings outside it are then errors.",
)


def _mapping_widgets(columns: list[str] | None, expanded: bool) -> None:
    if columns is None:  # a MovieLens layout: its columns are known
        return
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
mapping = {role: col for role, col in chosen.items() if col not in (DETECT, None)}
try:
    scale = parse_scale(scale_text)
    if source == UPLOAD:
        if ratings_file is None:
            reading = None
        else:
            users, users_name = uploads.staged(users_file)
            reading = uploads.Reading(
                uploads.stage(ratings_file),
                ratings_file.name,
                *uploads.staged(items_file),
                None,
                scale,
                users=users,
                users_name=users_name,
            )
    else:
        reading = uploads.on_this_machine(path_text, items_text, None, scale) if path_text else None
except CollabError as exc:
    st.error(str(exc), icon=":material/error:")
    st.stop()
if reading is None:
    st.info(
        "Choose a ratings file to begin, e.g. `ratings.csv` from MovieLens, or the whole "
        "`ml-latest-small.zip`.",
        icon=":material/upload_file:",
    )
    st.stop()

columns = reading.columns()
mapping = {role: col for role, col in mapping.items() if columns and col in columns}
reading = replace(reading, mapping=mapping or None)
error = None
try:
    ds = cached.read(reading)
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
_mapping_widgets(columns, expanded=bool(error) or bool(mapping))
if error:
    st.stop()

summary = ds.summary()
st.success(f"**{reading.ratings_name}** reads well.", icon=":material/check_circle:")
c = st.columns(4)
c[0].metric("Ratings", f"{summary['ratings']:,}")
c[1].metric("Users", f"{summary['users']:,}")
c[2].metric("Items", f"{summary['items']:,}")
c[3].metric("Rating scale", f"{summary['rating_min']:g} – {summary['rating_max']:g}")
if summary["user_details"]:
    st.caption(f"With details of each user: {', '.join(summary['user_details'])}.")
for note in ds.notes:
    st.warning(note, icon=":material/warning:")
if summary["users"] < 2 or summary["items"] < 2:
    st.error(
        "A model needs at least two users and two items; this file has "
        f"{summary['users']} and {summary['items']}. Upload more ratings."
    )
    st.stop()

label = st.text_input("Name for this data set", value=reading.default_label(), key="upload_label")
if st.button("Use this data set", type="primary", icon=":material/done:", key="upload_use"):
    state.request_dataset(uploads.save(reading, label).key)
    st.rerun()
if state.dataset_choice().startswith(uploads.PREFIX):
    st.caption(
        "The sidebar's data set is now your upload; every page uses it. Train a model on "
        "the Home or Train page."
    )
