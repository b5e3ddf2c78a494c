"""Errors users can cause (`CollabError`, which says what to fix), shown as `st.error`, not raised."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import streamlit as st

from collab_core.errors import CollabError


@contextmanager
def user_errors(stop: bool = True) -> Iterator[None]:
    """Show a `CollabError` as `st.error` instead of a traceback, then stop the page (`stop`)."""
    try:
        yield
    except CollabError as exc:
        st.error(str(exc), icon=":material/error:")
        if stop:
            st.stop()
