"""The sidebar every page shares: data set, active model, device."""

from __future__ import annotations

import streamlit as st

from collab_core.config import TrainConfig
from collab_core.devices import describe, pick_device
from collab_core.errors import CollabError

from . import cached, context, state, uploads
from .widgets import model_label


@st.cache_resource(show_spinner=False)
def _device_name() -> str:
    return describe(pick_device("auto"))


def render() -> None:
    """Draw the sidebar; pages then read the same choices through `ui.context`."""
    state.apply_pending()
    saved = uploads.list_uploads()
    labels = {state.DEFAULT_DATASET: "MovieLens 100k"}
    labels |= {u.key: f"Upload: {u.label}" for u in saved}
    if state.dataset_choice() not in labels:
        st.session_state[state.DATASET] = state.DEFAULT_DATASET
    st.sidebar.selectbox(
        "Data set",
        list(labels),
        format_func=labels.__getitem__,
        key=state.DATASET,
        help="MovieLens 100k, or a ratings file added on the Upload page.",
    )
    state.forget_other_dataset()
    try:
        ds = cached.dataset()  # outside the sidebar: a first download shows its progress in view
    except CollabError as exc:
        st.sidebar.error(str(exc))
        return
    with st.sidebar:
        st.caption(f"{len(ds.ratings):,} ratings · {ds.n_users:,} users · {ds.n_items:,} items")
        rows = context.models(ds)
        ids = [r["model_id"] for r in rows]
        if ids:
            if state.model_id() not in ids:
                st.session_state[state.MODEL_ID] = _preferred(ds, ids)
            by_id = {r["model_id"]: r for r in rows}
            st.selectbox(
                "Active model",
                ids,
                key=state.MODEL_ID,
                format_func=lambda i: model_label(by_id[i]),
                help="Every page explores this model. Train more on the Train page.",
            )
        else:
            st.session_state.pop(state.MODEL_ID, None)
            st.caption("No model trained on this data set yet.")
        st.caption(f"Device: {_device_name()}")


def _preferred(ds, ids: list[str]) -> str:
    """The default model if it is trained, else the newest."""
    default = cached.store().model_id(ds, TrainConfig())
    return default if default in ids else ids[0]
