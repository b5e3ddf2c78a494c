"""Every `st.session_state` key the app reads or writes, in one place, with typed accessors."""

from __future__ import annotations

import streamlit as st

# Widget keys the app also reads or writes (Streamlit owns their values). Movies are chosen by
# item index: a row number of the data set's catalogue (`Dataset.items`).
DATASET = "dataset_choice"  # sidebar: "ml-100k" or "upload:<folder name>"
MODEL_ID = "model_id"  # sidebar: the active model's store id; absent while the data set has none
RATING_PICK = "rec_pick"  # Recommend: item index of the movie about to be rated, or None
SIMILAR_PICK = "similar_pick"  # Similar: item index of the movie whose neighbours are shown
MAP_SEARCH = "map_search"  # Embedding map: item index of the movie marked with a star, or None
MAP_GENRES = "map_genres"  # Embedding map: the genres highlighted against grey
MAP_LABELS = "map_labels"  # Embedding map: how many titles are printed on it
COMPARE_PICK = "train_compare_pick"  # Train: [model_id] whose loss curves are overlaid

# App state (ours).
RATED = "rated"  # {data set choice: {item index: rating}}: the Recommend page's user's ratings
# Bumped by "Clear all ratings": rating widgets carry it in their keys and callbacks, so a star
# click that reaches the server together with the Clear click cannot bring a rating back.
RATING_ROUND = "rating_round"
SIMILAR_ITEM = "similar_item"  # item index the Similar page last showed, to start from there
LAST_TRAINED = "last_trained"  # {"model_id", "cached"} of the model a page last trained or found
LR_FOUND = "train_lr_result"  # the last `training.LRFinderResult` of the Train page's finder
LR_FOUND_FOR = "train_lr_for"  # (fingerprint, model kind) that finder run was for
SWEEP = "train_sweep_result"  # (fingerprint, param, DataFrame) of the Train page's last sweep
# A widget's value cannot be set once it is drawn in a run, so pages ask for a change here and the
# sidebar applies it before drawing its widgets on the next run.
_PENDING = "_pending"
# Movie choices are row numbers of one data set's catalogue: forgotten when the data set changes,
# so a number never silently names another data set's movie.
_SHOWN_DATASET = "_shown_dataset"
# (The pickers' search fields too, `picker_query_key`: their best match was chosen in that data.)
_PICKS = (SIMILAR_PICK, MAP_SEARCH, RATING_PICK)
DATASET_SCOPED = (SIMILAR_ITEM, MAP_GENRES, *_PICKS, *(f"{k}_query" for k in _PICKS))

DEFAULT_DATASET = "ml-100k"


def rating_key(kind: str, round_: int, index: int) -> str:
    """The rating widget of movie `index` ("new": just picked, "edit": rated) in a rating round;
    its callback reads the value under this key."""
    return f"rec_{kind}_{round_}_{index}"


def picker_query_key(pick_key: str) -> str:
    """The search field of the movie picker whose chosen item index is kept under `pick_key`."""
    return f"{pick_key}_query"


def set_pick(pick_key: str, index: int | None) -> None:
    """From a callback: choose `index` in a movie picker, and empty its search field (whose
    matches need not hold the new movie)."""
    st.session_state[pick_key] = index
    st.session_state[picker_query_key(pick_key)] = ""


def lr_key(model: str) -> str:
    """The Train page's learning-rate field of one model kind (their tuned rates differ); the
    finder's "Use the suggested rate" button writes it."""
    return f"train_lr_{model}"


def column_map_key(role: str) -> str:
    """The Upload page's choice of column for `role` ("user", ...), read before it is drawn."""
    return f"upload_map_{role}"


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


def start_map_genres(default: list[str]) -> None:
    """Before the map draws its genre picker: highlight `default` unless the reader chose."""
    st.session_state.setdefault(MAP_GENRES, default)


def rated() -> dict:
    """The Recommend page's ratings, kept per data set so switching data does not mix them."""
    by_dataset = st.session_state.setdefault(RATED, {})
    return by_dataset.setdefault(dataset_choice(), {})


def rating_round() -> int:
    return st.session_state.get(RATING_ROUND, 0)


def next_rating_round() -> None:
    st.session_state[RATING_ROUND] = rating_round() + 1


def similar_item() -> int | None:
    return st.session_state.get(SIMILAR_ITEM)


def set_similar_item(index: int) -> None:
    st.session_state[SIMILAR_ITEM] = index


def start_similar_pick(default: int) -> None:
    """Before the Similar page draws its picker: the movie it last showed, else `default`.

    Streamlit drops a widget's key when its page is left; SIMILAR_ITEM outlives it.
    """
    if SIMILAR_PICK not in st.session_state:
        start = similar_item()
        st.session_state[SIMILAR_PICK] = start if start is not None else default


def show_similar(index: int) -> None:
    """Button callback: show `index`'s neighbours (it runs before the next run draws the picker,
    so it may set the picker's value)."""
    set_pick(SIMILAR_PICK, index)
    set_similar_item(index)


def last_trained() -> dict | None:
    return st.session_state.get(LAST_TRAINED)


def set_last_trained(stored) -> None:
    """Note the model a page just trained (or found), for the Train page to show after a rerun."""
    st.session_state[LAST_TRAINED] = {"model_id": stored.model_id, "cached": bool(stored.cached)}


def forget_model(model_id: str) -> None:
    """A deleted model: "Last trained" must not go on showing it."""
    if (last_trained() or {}).get("model_id") == model_id:
        del st.session_state[LAST_TRAINED]


def set_lr_found(result, fingerprint: str, model: str) -> None:
    st.session_state[LR_FOUND] = result
    st.session_state[LR_FOUND_FOR] = (fingerprint, model)


def lr_found(fingerprint: str, model: str):
    """The last finder result if it was for this data set and model kind (another's says nothing
    about this one's learning rate), else None."""
    if st.session_state.get(LR_FOUND_FOR) != (fingerprint, model):
        return None
    return st.session_state.get(LR_FOUND)


def set_lr(model: str, lr: float) -> None:
    """Button callback: fill the learning-rate field of `model` (before the next run draws it)."""
    st.session_state[lr_key(model)] = lr


def set_compare_pick(model_ids: list[str]) -> None:
    st.session_state[COMPARE_PICK] = model_ids


def keep_compare_pick(model_ids: list[str]) -> None:
    """Before the overlay picker is drawn: drop deleted models from it (at first: the newest 3)."""
    picked = st.session_state.get(COMPARE_PICK, model_ids[:3])
    st.session_state[COMPARE_PICK] = [i for i in picked if i in model_ids]


def set_sweep(fingerprint: str, param: str, table) -> None:
    st.session_state[SWEEP] = (fingerprint, param, table)


def sweep(fingerprint: str):
    """(param, table) of the last sweep if it ran on this data set, else None."""
    found = st.session_state.get(SWEEP)
    if found is None or found[0] != fingerprint:
        return None
    return found[1], found[2]


# Feedback loops page (issue 16): its last run, kept for the data set and model it ran on.
SIMULATION = "feedback_runs"  # {"key": (fingerprint, model_id), "runs": {label: SimulationResult}}


def set_simulation(key: tuple[str, str], runs: dict) -> None:
    st.session_state[SIMULATION] = {"key": key, "runs": runs}


def simulation(key: tuple[str, str]) -> dict | None:
    """{label: SimulationResult} of the last run if it was on this (fingerprint, model_id)."""
    found = st.session_state.get(SIMULATION)
    return found["runs"] if found is not None and found["key"] == key else None


SPARK_MASTER = "train_spark_master"  # Train: the Spark master URL the "Apache Spark" engine uses


def spark_master() -> str:
    return str(st.session_state.get(SPARK_MASTER) or "local[*]").strip()


def cancel_pressed() -> bool:
    """Whether the Train page's Cancel (of a Spark run) was what started this rerun."""
    return bool(st.session_state.get("train_cancel"))
