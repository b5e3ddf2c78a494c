"""The user's own ratings: pick a movie and rate it, change or remove a rating, clear them all."""

from __future__ import annotations

import streamlit as st

from collab_core.data import Dataset

from . import state, widgets


def rating_panel(ds: Dataset) -> dict[int, float]:
    """Draw the ratings the user has given `ds`'s movies and return them, {item index: rating}.

    Stars on a 1-5 scale (`st.feedback` has five and no other), else a slider over the data set's
    scale with an "Add rating" button. The ratings are kept per data set (`state.rated`).
    """
    rated = state.rated()
    scale = tuple(ds.rating_scale)
    stars = scale == (1.0, 5.0)
    rnd = state.rating_round()  # in every rating widget's key (see _clear)
    pick = widgets.movie_picker(ds, "Search a movie to rate", key=state.RATING_PICK)
    if pick is not None and pick not in rated:
        st.caption(f"How much do you like **{ds.items['title'].iloc[pick]}**?")
        new = state.rating_key("new", rnd, pick)
        value = _rating_widget(rated, "Your rating", pick, new, None, scale, live=stars)
        if not stars and st.button("Add rating", key="rec_add"):
            rated[pick] = float(value)
            st.rerun()
    if not rated:
        st.caption("No ratings yet: the list on the right is what the average user would like.")
        return rated
    for idx in list(rated):
        c1, c2, c3 = st.columns([4, 3, 1], vertical_alignment="center")
        c1.markdown(ds.items["title"].iloc[idx])
        with c2:
            edit = state.rating_key("edit", rnd, idx)
            _rating_widget(rated, "rating", idx, edit, rated[idx], scale)
        if c3.button("", key=f"rec_del_{idx}", icon=":material/close:", help="Remove"):
            rated.pop(idx, None)
            st.rerun()
    st.button(
        "Clear all ratings",
        key="rec_clear",
        on_click=_clear,
        args=(rated,),
        icon=":material/delete:",
    )
    return rated


def _rating_widget(
    rated: dict,
    label: str,
    idx: int,
    wkey: str,
    current: float | None,
    scale: tuple[float, float],
    *,
    live: bool = True,
):
    """Stars on a 1-5 scale, else a slider over `scale`; `live` ones store what they say at once."""
    lo, hi = scale
    stars = scale == (1.0, 5.0)
    cb = {"on_change": _from_widget, "args": (rated, idx, wkey, stars, state.rating_round())}
    cb = cb if live else {}
    if stars:
        return st.feedback(
            "stars", key=wkey, default=None if current is None else int(current) - 1, **cb
        )
    step = 0.5 if (hi - lo) <= 10 else 1.0
    return st.slider(
        label, lo, hi, current if current is not None else (lo + hi) / 2, step, key=wkey, **cb
    )


def _from_widget(rated: dict, idx: int, wkey: str, stars: bool, round_: int) -> None:
    """on_change callback: store what the widget `wkey` now says about movie `idx`.

    Ignored when the ratings were cleared since the widget was drawn (see state.RATING_ROUND).
    """
    if round_ != state.rating_round():
        return
    value = st.session_state.get(wkey)
    if value is None:  # a star clicked twice is cleared: so is the rating
        rated.pop(idx, None)
    else:
        rated[idx] = float(value + 1) if stars else float(value)


def _clear(rated: dict) -> None:
    rated.clear()
    state.next_rating_round()  # stale star clicks are ignored, and the widgets start afresh
    state.set_pick(state.RATING_PICK, None)
