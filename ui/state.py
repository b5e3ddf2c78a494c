"""Every `st.session_state` key the app reads or writes, in one place, with typed accessors.

State belongs to something, and the accessors say what:
- **per data set** (the sidebar's choice): the active model, the last trained model, the Train
  form's settings and the new user's ratings. They are kept in the home folder
  (`collab_core.prefs`), so a reload or a restart finds them again, and each session holds a copy
  read the first time it meets the data set (`_scope`). Switching data sets switches all of them.
- **per model**: everything an explore page shows, cached under the model's id (`ui.model_page`).
- **per session**: the widgets of the page on screen, and the last learning-rate finder and sweep
  results, each tagged with the data set it ran on.

The active model changes only when the user asks: picking it in the sidebar, "Make this the
active model", or training on the Train or Home page. Sweeps and comparisons never change it.
"""

from __future__ import annotations

import warnings

import streamlit as st

from collab_core.errors import CollabError
from collab_core.prefs import Prefs, PrefsWarning

# Widget keys the app also reads or writes (Streamlit owns their values). Movies are chosen by
# item index: a row number of the data set's catalogue (`Dataset.items`).
DATASET = "dataset_choice"  # sidebar: "ml-100k" or "upload:<folder name>"
MODEL_ID = "model_id"  # sidebar: the active model's picker; set from the data set's active model
RATING_PICK = "rec_pick"  # Recommend: item index of the movie about to be rated, or None
SIMILAR_PICK = "similar_pick"  # Similar: item index of the movie whose neighbours are shown
SIMILAR_MIN = "similar_min"  # Similar: the minimum number of ratings (its default is per data set)
MAP_SEARCH = "map_search"  # Embedding map: item index of the movie marked with a star, or None
MAP_GENRES = "map_genres"  # Embedding map: the genres highlighted against grey
MAP_LABELS = "map_labels"  # Embedding map: how many titles are printed on it
COMPARE_PICK = "train_compare_pick"  # Train: [model_id] whose loss curves are overlaid
# The Train form: one key per setting ("train_opt", ...), and per model kind for the settings whose
# tuned defaults differ between the models (`train_key`: switching model shows that model's values).

# App state (ours).
SCOPES = "dataset_scopes"  # {data set choice: its saved fields (collab_core.prefs), as read}
RATED = "rated"  # {data set choice: {item index: rating}}: the Recommend page's user's ratings
# Bumped by "Forget my ratings": rating widgets carry it in their keys and callbacks, so a star
# click that reaches the server together with the Forget click cannot bring a rating back.
RATING_ROUND = "rating_round"
SIMILAR_ITEM = "similar_item"  # item index the Similar page last showed, to start from there
LR_FOUND = "train_lr_result"  # the last `training.LRFinderResult` of the Train page's finder
LR_FOUND_FOR = "train_lr_for"  # (fingerprint, model kind) that finder run was for
SWEEP = "train_sweep_result"  # (fingerprint, param, DataFrame) of the Train page's last sweep
# Messages for the next run's toasts: a run that ends in st.rerun() loses what it drew.
_TOASTS = "_toasts"
# A widget's value cannot be set once it is drawn in a run, so pages ask for a change here and the
# sidebar applies it before drawing its widgets on the next run.
_PENDING = "_pending"
# Movie choices are row numbers of one data set's catalogue: forgotten when the data set changes,
# so a number never silently names another data set's movie. A widget the browser still shows
# must be *set* (which Streamlit sends to the browser), not dropped: a dropped key is re-created
# from its default on the server while the browser goes on showing the old value. So the pickers
# with no choice are set to None; the others are dropped and set again before they are drawn
# (`start_similar_pick`, `start_similar_min`, `show_model_picker`, `start_train_form`).
_SHOWN_DATASET = "_shown_dataset"
_PICKS = (SIMILAR_PICK, MAP_SEARCH, RATING_PICK)
# Dropped (each is set again before it is drawn: `start_similar_pick`, `start_map_genres`, ...).
DATASET_SCOPED = (SIMILAR_ITEM, SIMILAR_PICK, SIMILAR_MIN, MODEL_ID, MAP_GENRES)
# Set to these: no movie chosen, and an empty search field in each picker (`picker_query_key`:
# its best match was chosen in the other data set).
DATASET_CLEARED = {MAP_SEARCH: None, RATING_PICK: None, **{f"{k}_query": "" for k in _PICKS}}
_FORM_DATASET = "_train_form_dataset"  # the data set whose values the Train form shows

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


def train_key(setting: str, model: str) -> str:
    """The Train page's field for `setting` ("factors", "wd", "epochs", "lr", "bs") of one model
    kind."""
    return f"train_{setting}_{model}"


def lr_key(model: str) -> str:
    """The Train page's learning-rate field of one model kind (their tuned rates differ); the
    finder's "Use the suggested rate" button writes it."""
    return train_key("lr", model)


def column_map_key(role: str) -> str:
    """The Upload page's choice of column for `role` ("user", ...), read before it is drawn."""
    return f"upload_map_{role}"


# -- the data set ------------------------------------------------------------------------------


def dataset_choice() -> str:
    return st.session_state.get(DATASET, DEFAULT_DATASET)


def request_dataset(choice: str) -> None:
    """Switch the data set on every page, from the next run on."""
    st.session_state.setdefault(_PENDING, {})[DATASET] = choice


def apply_pending() -> None:
    """Called by the sidebar before it draws its widgets."""
    for key, value in st.session_state.pop(_PENDING, {}).items():
        st.session_state[key] = value


def forget_other_dataset() -> None:
    """Forget the dataset-scoped choices when the data set differs from the last run's."""
    choice = dataset_choice()
    if st.session_state.get(_SHOWN_DATASET, choice) != choice:
        for key in DATASET_SCOPED:
            st.session_state.pop(key, None)
        for key, empty in DATASET_CLEARED.items():
            if key in st.session_state:
                st.session_state[key] = empty
    st.session_state[_SHOWN_DATASET] = choice


def start_map_genres(default: list[str]) -> None:
    """Before the map draws its genre picker: highlight `default` unless the reader chose."""
    st.session_state.setdefault(MAP_GENRES, default)


def _scope() -> dict:
    """The current data set's saved fields, read from the home folder once per session."""
    scopes = st.session_state.setdefault(SCOPES, {})
    choice = dataset_choice()
    if choice not in scopes:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", PrefsWarning)
            scopes[choice] = Prefs().read(choice)
        for w in caught:
            announce(str(w.message))
    return scopes[choice]


def _save(**fields) -> None:
    """Set fields of the current data set, in the session and in the home folder (None removes)."""
    scope = _scope()
    for name, value in fields.items():
        if value is None:
            scope.pop(name, None)
        else:
            scope[name] = value
    try:
        Prefs().update(dataset_choice(), **fields)
    except CollabError as exc:  # the choice holds for this session; say it was not kept
        announce(f"{exc} It holds until you reload the page.")


# -- toasts ------------------------------------------------------------------------------------


def announce(text: str) -> None:
    """Show `text` as a toast on the next run (the sidebar shows them)."""
    st.session_state.setdefault(_TOASTS, []).append(text)


def take_announcements() -> list[str]:
    return st.session_state.pop(_TOASTS, [])


# -- the active model and the last trained one (per data set) ----------------------------------


def active_model_id() -> str | None:
    """The data set's active model id (it may have been deleted since: check with the store)."""
    return _scope().get("active_model")


def set_active_model(model_id: str | None, *, announce_as: str | None = None) -> None:
    """Make `model_id` the data set's active model on every page from the next run on, and keep
    that choice; `announce_as` is the toast that says so."""
    _save(active_model=model_id)
    if announce_as:
        announce(announce_as)


def pick_model() -> None:
    """The sidebar picker's callback: the user chose another active model."""
    set_active_model(st.session_state.get(MODEL_ID))


def show_model_picker(model_id: str) -> None:
    """Before the sidebar draws its picker: show the data set's active model in it."""
    if st.session_state.get(MODEL_ID) != model_id:
        st.session_state[MODEL_ID] = model_id


def last_trained() -> dict | None:
    """{"model_id", "cached"} of the model last trained (or found) on this data set, or None."""
    found = _scope().get("last_trained")
    return found if isinstance(found, dict) and "model_id" in found else None


def set_last_trained(stored) -> None:
    """Note the model a page just trained (or found), for the Train page to show after a rerun."""
    _save(last_trained={"model_id": stored.model_id, "cached": bool(stored.cached)})


def forget_model(model_id: str) -> None:
    """A deleted model: "Last trained" must not go on naming it. (A deleted active model is the
    sidebar's to replace, saying why.)"""
    if (last_trained() or {}).get("model_id") == model_id:
        _save(last_trained=None)


# -- the Train form (per data set) -------------------------------------------------------------


def train_form() -> dict:
    """The Train form's last values on this data set, by widget key."""
    return dict(_scope().get("train_form") or {})


def start_train_form(values: dict) -> None:
    """Before the Train form is drawn: if its fields show another data set's values (the data
    set changed while the page was on screen), set them to `values`, this data set's."""
    choice = dataset_choice()
    if st.session_state.get(_FORM_DATASET) != choice:
        for key, value in values.items():
            if key in st.session_state:  # drawn in the browser: set it, do not drop it
                st.session_state[key] = value
        st.session_state[_FORM_DATASET] = choice


def save_train_form(values: dict) -> None:
    """Keep the values of the fields drawn in this run (the others keep what they had)."""
    saved = train_form()
    merged = saved | values
    if merged != saved:
        _save(train_form=merged)


# -- the new user's ratings (per data set) -----------------------------------------------------


def rated(ds) -> dict[int, float]:
    """The Recommend page's ratings on data set `ds`, {item index: rating}, in the order given.

    Read from the home folder the first time a session needs them (saved by item id: a movie no
    longer in the data is left out); change them with `set_rating`, `remove_rating` and
    `forget_ratings`, which keep them there too.
    """
    by_dataset = st.session_state.setdefault(RATED, {})
    choice = dataset_choice()
    if choice not in by_dataset:
        saved = _scope().get("ratings") or []
        index = ds.item_index([item for item, _ in saved]) if saved else []
        by_dataset[choice] = {
            int(i): float(r) for i, (_, r) in zip(index, saved, strict=True) if i >= 0
        }
    return by_dataset[choice]


def _save_ratings(ds) -> None:
    ids = ds.item_ids
    _save(ratings=[[ids[i], r] for i, r in rated(ds).items()])


def set_rating(ds, index: int, value: float) -> None:
    rated(ds)[int(index)] = float(value)
    _save_ratings(ds)


def remove_rating(ds, index: int) -> None:
    rated(ds).pop(int(index), None)
    _save_ratings(ds)


def forget_ratings(ds) -> None:
    """Forget every rating given on `ds` (here and in the home folder); the widgets start afresh."""
    rated(ds).clear()
    _save(ratings=None)
    next_rating_round()  # stale star clicks are ignored, and the widgets start afresh
    set_pick(RATING_PICK, None)


def rating_round() -> int:
    return st.session_state.get(RATING_ROUND, 0)


def next_rating_round() -> None:
    st.session_state[RATING_ROUND] = rating_round() + 1


# -- per session -------------------------------------------------------------------------------


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


def start_similar_min(default: int) -> None:
    """Before the Similar page draws its minimum-ratings field: this data set's default, unless
    the user set one on this data set."""
    if SIMILAR_MIN not in st.session_state:
        st.session_state[SIMILAR_MIN] = default


def show_similar(index: int) -> None:
    """Button callback: show `index`'s neighbours (it runs before the next run draws the picker,
    so it may set the picker's value)."""
    set_pick(SIMILAR_PICK, index)
    set_similar_item(index)


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


# Recommend page's Start panel (issue 15). Widget keys: how to start, and the profile's answers.
START_HOW = "onb_start"  # "mean" | "representative" | "profile"
SKIP_BUTTON = "onb_skip"  # the questionnaire's "Haven't seen it"
SKIPPED = "onb_skipped"  # {data set choice: [item index]}: movies the user has not seen
LIST_HISTORY = "onb_history"  # {data set choice: {"start": key, "steps": [(n, titles)]}}


def profile_key(field: str) -> str:
    """The profile widget for `field` ("age", "occupation", ...), per data set (their choices differ)."""
    return f"onb_{field}_{dataset_choice()}"


def question_key(index: int) -> str:
    """The questionnaire's stars for movie `index`."""
    return f"onb_q_{index}"


def skipped() -> list:
    """The movies this user said they have not seen, kept per data set like `rated`."""
    return st.session_state.setdefault(SKIPPED, {}).setdefault(dataset_choice(), [])


def list_history(start_key: tuple) -> list:
    """[(ratings given, top titles)] since the start `start_key` was chosen (a new start: empty)."""
    by_dataset = st.session_state.setdefault(LIST_HISTORY, {})
    entry = by_dataset.get(dataset_choice())
    if entry is None or entry["start"] != start_key:
        entry = by_dataset[dataset_choice()] = {"start": start_key, "steps": []}
    return entry["steps"]


# Enthusiasts page (issue 15): the last retrain without the most active users.
ENTHUSIASTS = "enthusiasts_result"  # {"key": (fingerprint, model_id, share), "result": WithoutThem}


def set_enthusiasts(key: tuple, result) -> None:
    st.session_state[ENTHUSIASTS] = {"key": key, "result": result}


def enthusiasts(key: tuple):
    """The last `enthusiasts.WithoutThem` if it was for this (fingerprint, model_id, share)."""
    found = st.session_state.get(ENTHUSIASTS)
    return found["result"] if found is not None and found["key"] == key else None


SPARK_MASTER = "train_spark_master"  # Train: the Spark master URL the "Apache Spark" engine uses


def spark_master() -> str:
    return str(st.session_state.get(SPARK_MASTER) or "local[*]").strip()


def cancel_key(label: str) -> str:
    """The Cancel button of one Spark run (a sweep draws one per run)."""
    return f"train_cancel_{label}"


def cancel_pressed() -> bool:
    """Whether a Cancel of a Spark run on the Train page was what started this rerun."""
    return any(
        str(k).startswith("train_cancel_") and v is True for k, v in st.session_state.items()
    )
