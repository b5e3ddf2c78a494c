"""The Recommend page's Start panel: where a new user starts, and the questions that sharpen it."""

from __future__ import annotations

import streamlit as st

from collab_core import plots, starts
from collab_core.models import NewUser
from collab_core.questionnaire import QuestionPool, list_changes

from . import state
from .model_page import ModelPage

WAYS = {
    "mean": "Average user",
    "representative": "A typical real user",
    "profile": "From what I tell",
}
PRIVATE = (
    "Nothing you enter leaves this machine. Your age, gender and occupation are not stored at "
    "all (they only place your start among the users the model was trained on); your ratings "
    "are kept on this computer until you forget them."
)


def start_panel(page: ModelPage) -> tuple[tuple, NewUser | None]:
    """Draw the choice of start; returns (a hashable key of the choice, the start; None = mean)."""
    ds = page.dataset
    why_not = starts.why_no_profile(ds)
    ways = [w for w in WAYS if w != "profile" or why_not is None]
    how = st.radio(
        "Start from",
        ways,
        format_func=WAYS.get,
        horizontal=True,
        key=state.START_HOW,
        help="Where the model places you before you rate anything; your ratings then pull you "
        "away from it.",
    )
    if why_not:
        st.caption(f"*From what I tell* is off: {why_not}")
    if how == "representative":
        rep = _representative(*page.key, page)
        fav = "; ".join(rep.favourites["title"])
        st.caption(
            f"**{rep.name}** stands for average taste: of the users with "
            f"{starts.REPRESENTATIVE_MIN_RATINGS}+ ratings, the one whose embedding is nearest the "
            f"mean ({rep.n_ratings} ratings). Their favourites: {fav}."
        )
        return ("representative",), rep.user
    if how == "profile":
        pm = _profile_model(*page.key, page)
        profile = _profile_widgets(pm.fields())
        st.caption(PRIVATE)
        key = ("profile", *sorted((k, str(v)) for k, v in profile.items()))
        return key, pm.start(page.explorer.model, profile)
    return ("mean",), None


def question_panel(page: ModelPage) -> None:
    """Ask the next movie to rate (chosen to teach the model most); an answer joins the ratings."""
    ds = page.dataset
    rated = state.rated(ds)
    skipped = state.skipped()
    pool = _pool(*page.key, page)
    item = pool.next_item("adaptive", rated, set(rated) | set(skipped))
    if item is None:
        st.caption("No movie left to ask about.")
        return
    st.markdown(f"Have you seen **{ds.items['title'].iloc[item]}**? Rate it:")
    c1, c2 = st.container(key="onb_question").columns([3, 2], vertical_alignment="center")
    with c1:
        st.feedback("stars", key=state.question_key(item), on_change=_answer, args=(ds, item))
    c2.button("Haven't seen it", key=state.SKIP_BUTTON, on_click=skipped.append, args=(item,))
    st.caption(
        f"{len(rated)} rated, {len(skipped)} not seen. Each question is the movie that would "
        "tell the model most about you, weighed by how likely you are to have seen it."
    )


def history_chart(start_key: tuple, rated: dict, titles: list[str]) -> None:
    """Record this list under the number of ratings given, and chart how the list changed."""
    steps = state.list_history(start_key)
    if not steps or steps[-1][0] != len(rated) or steps[-1][1] != titles:
        steps.append((len(rated), list(titles)))
    if len(steps) < 2:
        return
    st.subheader("How your list changed")
    st.plotly_chart(plots.list_changes(list_changes(steps), len(titles)), key="onb_changes")
    st.caption(
        "After each rating: how many of the list's movies were not in it at the start, and "
        "how many were not in it after the rating before."
    )


def _answer(ds, item: int) -> None:
    value = st.session_state.get(state.question_key(item))
    if value is not None:
        state.set_rating(ds, item, float(value + 1))


_UNSAID = "— : rather not say (the guess then leaves this out)."


def _said(value) -> str:
    return "—" if value is None else str(value)  # the narrow boxes cut longer words: see help


def _profile_widgets(fields: dict) -> dict:
    profile = {}
    cols = st.columns(len(fields))
    for col, (name, levels) in zip(cols, fields.items(), strict=True):
        with col:
            if name == "age":
                band = st.selectbox(
                    "Age",
                    [None, *starts.age_band_labels()],
                    format_func=_said,
                    key=state.profile_key("age"),
                    help=_UNSAID,
                )
                profile["age"] = None if band is None else starts.band_age(band)
            elif levels == "number":
                profile[name] = st.number_input(name.title(), key=state.profile_key(name))
            else:
                profile[name] = st.selectbox(
                    name.title(),
                    [None, *levels],
                    format_func=_said,
                    key=state.profile_key(name),
                    help=_UNSAID,
                )
    return {k: v for k, v in profile.items() if v is not None}


@st.cache_resource(show_spinner=False, max_entries=8)
def _profile_model(fingerprint: str, model_id: str, _page: ModelPage) -> starts.ProfileModel:
    return starts.ProfileModel().fit(_page.explorer.model, _page.dataset)


@st.cache_resource(show_spinner=False, max_entries=8)
def _representative(fingerprint: str, model_id: str, _page: ModelPage) -> starts.Representative:
    return starts.representative_user(_page.explorer.model, _page.dataset)


@st.cache_resource(show_spinner=False, max_entries=8)
def _pool(fingerprint: str, model_id: str, _page: ModelPage) -> QuestionPool:
    return QuestionPool.of(_page.explorer.model, _page.dataset)
