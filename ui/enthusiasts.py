"""The Enthusiasts page's cached answers: the shares table, and the retrain without them."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from collab_core import enthusiasts

from . import state
from .model_page import ModelPage


def shares(page: ModelPage) -> pd.DataFrame:
    """`enthusiasts.shares` for the active model (computed once per model)."""
    return _shares(*page.key, page)


def retrain(page: ModelPage, share: float) -> enthusiasts.WithoutThem | None:
    """The last retrain for `share`; a button starts one (two trainings, with a spinner)."""
    key = (*page.key, share)
    label = f"Retrain without the top {share:.0%}"
    if st.button(label, type="primary", key="enth_retrain", icon=":material/model_training:"):
        with st.spinner("Training twice: on everyone (the control), and without them…"):
            result = enthusiasts.without_top(page.explorer, page.stored.config, share)
        state.set_enthusiasts(key, result)
    return state.enthusiasts(key)


@st.cache_data(show_spinner="Weighing each rating…", max_entries=8)
def _shares(fingerprint: str, model_id: str, _page: ModelPage) -> pd.DataFrame:
    return enthusiasts.shares(_page.dataset, _page.explorer.model)
