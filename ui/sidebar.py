"""The sidebar every page shares: data set, active model (in full), device."""

from __future__ import annotations

import streamlit as st

from collab_core import describe
from collab_core.config import TrainConfig
from collab_core.devices import describe as describe_device
from collab_core.devices import pick_device
from collab_core.errors import CollabError

from . import cached, context, state, uploads
from .widgets import model_label


@st.cache_resource(show_spinner=False)
def _device_name() -> str:
    return describe_device(pick_device("auto"))


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
        help="MovieLens 100k, or a ratings file added on the Upload page. Each data set keeps "
        "its own active model, Train settings and ratings.",
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
        by_id = {r["model_id"]: r for r in rows}
        active = _active(ds, by_id)
        if active is not None:
            state.show_model_picker(active)
            st.selectbox(
                "Active model",
                list(by_id),
                key=state.MODEL_ID,
                format_func=lambda i: model_label(by_id[i]),
                on_change=state.pick_model,
                help="Every page explores this model; this data set remembers it. Train more, "
                "or compare them, on the Train page.",
            )
            _describe(by_id[active], ds)
        else:
            st.caption("No model trained on this data set yet.")
        st.caption(f"Device: {_device_name()}")
    for text in state.take_announcements():
        st.toast(text, icon=":material/info:")


def _active(ds, by_id: dict[str, dict]) -> str | None:
    """The data set's active model; when there is none (never chosen, or deleted), the default
    model if it is trained, else the best by validation RMSE, made active and said so."""
    chosen = state.active_model_id()
    if chosen in by_id:
        return chosen
    if not by_id:
        if chosen is not None:
            state.set_active_model(None)  # deleted: forget it
        return None
    default = cached.store().model_id(ds, TrainConfig())
    best = default if default in by_id else min(by_id, key=lambda i: _rmse(by_id[i]))
    why = "the one chosen before was deleted" if chosen else "none was chosen yet"
    state.set_active_model(
        best,
        announce_as=f"Active model: {model_label(by_id[best])} ({why}; "
        "pick another in the sidebar).",
    )
    return best


def _rmse(row: dict) -> float:
    value = (row.get("metrics") or {}).get("valid_rmse")
    return float("inf") if value is None else float(value)


def _describe(row: dict, ds) -> None:
    """The active model in full, wrapped: kind, settings, RMSE, id."""
    cfg = row.get("config") or {}
    rmse = describe.rmse(row.get("metrics"))
    st.markdown(
        f"**{describe.kind(cfg)}** · {describe.settings(cfg, ds.n_users, ds.n_items)}  \n"
        f"{rmse[0].upper()}{rmse[1:]} · model `{row['model_id']}`",
        help="What every page on the left explores. The validation RMSE is the typical error, "
        "in stars, on the 20% of ratings the model did not train on.",
    )
