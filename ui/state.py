"""Every `st.session_state` key the app uses, in one place, with typed accessors."""

from __future__ import annotations

import streamlit as st

# Widget keys (Streamlit owns their values; the sidebar renders them on every page).
DATASET = "dataset_choice"  # "ml-100k" or "upload:<folder name>"
MODEL_ID = "model_id"  # the active model's store id, or None before any model is trained

# App state (ours).
RATED = "rated"  # {item_id: stars} the Recommend page's user has given
# Bumped by "Clear all ratings": rating widgets carry it in their keys and callbacks, so a star
# click that reaches the server together with the Clear click cannot bring a rating back.
RATING_ROUND = "rating_round"
SIMILAR_ITEM = "similar_item"  # item_id the Similar page shows neighbours of
LAST_TRAINED = "last_trained"  # model_id of the most recent Train-page run, to show its result
# A widget's value cannot be set once it is drawn in a run, so pages ask for a change here and the
# sidebar applies it before drawing its widgets on the next run.
_PENDING = "_pending"
# Movie choices are row numbers of one data set's catalogue: forgotten when the data set changes,
# so a number never silently names another data set's movie.
_SHOWN_DATASET = "_shown_dataset"
DATASET_SCOPED = (SIMILAR_ITEM, "similar_pick", "map_search", "rec_pick")

DEFAULT_DATASET = "ml-100k"


def dataset_choice() -> str:
    return st.session_state.get(DATASET, DEFAULT_DATASET)


def model_id() -> str | None:
    return st.session_state.get(MODEL_ID)


def request_model(model_id: str) -> None:
    """Make `model_id` the active model on every page, from the next run on."""
    st.session_state.setdefault(_PENDING, {})[MODEL_ID] = model_id


def request_dataset(choice: str) -> None:
    """Switch the data set on every page, from the next run on."""
    st.session_state.setdefault(_PENDING, {})[DATASET] = choice


def apply_pending() -> None:
    """Called by the sidebar before it draws its widgets."""
    for key, value in st.session_state.pop(_PENDING, {}).items():
        st.session_state[key] = value


def forget_other_dataset() -> None:
    """Drop the dataset-scoped choices when the data set differs from the last run's."""
    choice = dataset_choice()
    if st.session_state.get(_SHOWN_DATASET, choice) != choice:
        for key in DATASET_SCOPED:
            st.session_state.pop(key, None)
    st.session_state[_SHOWN_DATASET] = choice


def rated() -> dict:
    """The Recommend page's ratings, kept per data set so switching data does not mix them."""
    by_dataset = st.session_state.setdefault(RATED, {})
    return by_dataset.setdefault(dataset_choice(), {})


def rating_round() -> int:
    return st.session_state.get(RATING_ROUND, 0)


def next_rating_round() -> None:
    st.session_state[RATING_ROUND] = rating_round() + 1


def similar_item():
    return st.session_state.get(SIMILAR_ITEM)


def set_similar_item(item_id) -> None:
    st.session_state[SIMILAR_ITEM] = item_id
