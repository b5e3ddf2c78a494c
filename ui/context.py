"""What every page starts from: the chosen data set and the active model, errors shown, not raised."""

from __future__ import annotations

import streamlit as st

from collab_core import paths
from collab_core.data import Dataset
from collab_core.errors import CollabError

from . import cached, state
from .errors import user_errors  # pages reach it here, with the rest of what they start from
from .model_page import ModelPage
from .training import default_model_button


def dataset() -> Dataset:
    """The sidebar's data set; a page that cannot get one stops with the reason and the fix."""
    with user_errors():
        return cached.dataset()


def models(ds: Dataset) -> list[dict]:
    """The store's usable models for this data set, newest first, with full config and metrics."""
    with user_errors():
        rows = [r for r in cached.store().list(fingerprint=ds.fingerprint) if not r.get("problem")]
    out = []
    for r in rows:
        try:
            out.append(
                r | cached.model_summary(r["model_id"], str(paths.models_dir()), r.get("created"))
            )
        except CollabError:  # damaged or removed meanwhile: leave it out of the lists
            continue
    return sorted(out, key=lambda r: str(r.get("created", "")), reverse=True)


def active_model(ds: Dataset):
    """The data set's active `StoredModel` (the sidebar's), or None when it has no model yet."""
    model_id = state.active_model_id()
    if model_id is None:
        return None
    if model_id not in {r["model_id"] for r in models(ds)}:
        return None
    with user_errors():
        return cached.stored_model(model_id)


def require_model(ds: Dataset):
    """The active model; without one, offer to train the default model here and stop the page."""
    stored = active_model(ds)
    if stored is not None:
        return stored
    st.info(
        "This page needs a trained model, and this data set has none yet. Train the default "
        "model (seconds on a GPU, under a minute on a CPU), or choose settings on the **Train** page.",
        icon=":material/model_training:",
    )
    default_model_button(ds, key="require_model_train")
    st.stop()


def model_page() -> ModelPage:
    """What every explore page starts from: the data set, the active model (or a stop with a hint)
    and its cached `Explorer`, whose questions cache themselves."""
    ds = dataset()
    stored = require_model(ds)
    return ModelPage(ds, stored, cached.explorer(ds, stored))
