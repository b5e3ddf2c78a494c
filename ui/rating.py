"""The user's own ratings: pick a movie and rate it, change or remove a rating, forget them all.

Ratings are kept per data set in the home folder (`state.rated`), so a reload or a restart finds
them again: a profile of ten ratings is not lost to one accidental F5. They stay on this computer
(not in the address), which keeps the URL short and the profile private; "Forget my ratings"
removes them.
"""

from __future__ import annotations

import streamlit as st

from collab_core.data import Dataset

from . import cached, state, widgets


def rating_panel(ds: Dataset) -> dict[int, float]:
    """Draw the ratings the user has given `ds`'s movies and return them, {item index: rating}.

    Stars on a 1-5 scale (`st.feedback` has five and no other), else a slider over the data set's
    scale with an "Add rating" button.
    """
    rated = state.rated(ds)
    scale = tuple(ds.rating_scale)
    stars = scale == (1.0, 5.0)
    rnd = state.rating_round()  # in every rating widget's key (see state.forget_ratings)
    labels = cached.labels(ds)  # copies of a shared title told apart
    pick = widgets.movie_picker(ds, "Search a movie to rate", key=state.RATING_PICK)
    if pick is not None and pick not in rated:
        st.caption(f"How much do you like **{labels[pick]}**?")
        new = state.rating_key("new", rnd, pick)
        value = _rating_widget(ds, "Your rating", pick, new, None, scale, live=stars)
        if not stars and st.button("Add rating", key="rec_add"):
            state.set_rating(ds, pick, float(value))
            st.rerun()
    if not rated:
        st.caption("No ratings yet: the list on the right is what the average user would like.")
        return rated
    for idx in list(rated):
        c1, c2, c3 = st.columns([4, 3, 1], vertical_alignment="center")
        c1.markdown(labels[idx])
        with c2:
            edit = state.rating_key("edit", rnd, idx)
            _rating_widget(ds, "rating", idx, edit, rated[idx], scale)
        if c3.button("", key=f"rec_del_{idx}", icon=":material/close:", help="Remove"):
            state.remove_rating(ds, idx)
            st.rerun()
    st.button(
        "Forget my ratings",
        key="rec_clear",
        on_click=state.forget_ratings,
        args=(ds,),
        icon=":material/delete:",
        help="Your ratings are kept on this computer, per data set, so a reload or a restart "
        "keeps them. This removes them for good.",
    )
    st.caption(
        f"Your {len(rated)} rating{'s' if len(rated) != 1 else ''} on this data set "
        "are kept on this computer until you forget them."
    )
    return rated


def _rating_widget(
    ds: Dataset,
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
    cb = {"on_change": _from_widget, "args": (ds, idx, wkey, stars, state.rating_round())}
    cb = cb if live else {}
    if stars:
        return st.feedback(
            "stars", key=wkey, default=None if current is None else int(current) - 1, **cb
        )
    step = 0.5 if (hi - lo) <= 10 else 1.0
    return st.slider(
        label, lo, hi, current if current is not None else (lo + hi) / 2, step, key=wkey, **cb
    )


def _from_widget(ds: Dataset, idx: int, wkey: str, stars: bool, round_: int) -> None:
    """on_change callback: store what the widget `wkey` now says about movie `idx`.

    Ignored when the ratings were forgotten since the widget was drawn (see state.RATING_ROUND).
    """
    if round_ != state.rating_round():
        return
    value = st.session_state.get(wkey)
    if value is None:  # a star clicked twice is cleared: so is the rating
        state.remove_rating(ds, idx)
    else:
        state.set_rating(ds, idx, float(value + 1) if stars else float(value))
