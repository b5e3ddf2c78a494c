"""The Recommend page's filters and ranking sliders, read back as `recommend`'s keyword arguments."""

from __future__ import annotations

import streamlit as st

from collab_core.recommend import CALIBRATION, TASTE


def filters(genres: list[str]) -> dict:
    """Draw the filters (genre choices from `genres`) and return k, genres (a tuple), min_ratings,
    novelty, taste and calibration, hashable for the cached recommendation."""
    chosen = st.multiselect(
        "Genres",
        genres,
        key="rec_genres",
        placeholder="Any genre",
        help="Only movies listing any of these genres.",
    )
    min_ratings = st.slider(
        "Minimum number of ratings",
        0,
        300,
        20,
        key="rec_min",
        help="Leave out obscure movies with few ratings.",
    )
    novelty = st.slider(
        "Novelty",
        0.0,
        1.0,
        0.0,
        0.05,
        key="rec_novelty",
        help="0 ranks by predicted rating alone; higher values push less-rated "
        "movies up, trading predicted stars for discovery.",
    )
    taste = st.slider(
        "Taste over consensus",
        0.0,
        1.0,
        TASTE,
        0.05,
        key="rec_taste",
        help="0 ranks by predicted rating alone, which favours movies everyone likes; higher "
        "values rank by how much more you would like a movie than the average user does, so "
        "your own taste shows through.",
    )
    calibration = st.slider(
        "Follow my genres (at most)",
        0.0,
        1.0,
        CALIBRATION,
        0.05,
        key="rec_calibration",
        help="How hard the list follows the genres of the movies you rated above the middle "
        "of the scale. The strength applied is this value x n / (n + 8) for n such movies, so "
        "one rating only nudges and it grows as you rate more (the Genre mix caption shows "
        "it). 0 turns it off: a rating model predicts the well-loved classics highly for "
        "everyone, so a horror fan would then get almost no horror.",
    )
    k = st.slider("How many", 5, 50, 10, key="rec_k")
    return {
        "k": k,
        "genres": tuple(chosen),
        "min_ratings": min_ratings,
        "novelty": float(novelty),
        "taste": float(taste),
        "calibration": float(calibration),
    }
