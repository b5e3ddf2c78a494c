"""Training from a page: a live progress bar and loss curves, results kept in the model store."""

from __future__ import annotations

import time

import streamlit as st

from collab_core import describe, plots
from collab_core.config import TrainConfig
from collab_core.data import Dataset
from collab_core.store import StoredModel

from . import cached, state
from .errors import user_errors

# Redrawing on every batch floods the browser; a few updates a second look live enough.
_MIN_UPDATE_S = 0.15


def train_with_progress(
    ds: Dataset, config: TrainConfig, *, label: str = "the model", chart: bool = True
) -> StoredModel:
    """Train `config` on `ds` through the store (a stored config returns at once) with live output.

    Every progress text names the run (`label`, e.g. "the default model" or "sweep run 2 of 5
    (wd = 0.1)"). Training alone never changes the active model: see `activate`.
    """
    store = cached.store()
    found = store.find(ds, config)
    if found is not None:
        st.caption(
            f"{_cap(label)}: trained before, loaded from the store (model `{found.model_id}`)."
        )
        return found
    bar = st.progress(0.0, f"Training {label}…")
    plot = st.empty() if chart else None
    history: list[dict] = []
    last = [0.0]

    def on_event(ev) -> None:
        now = time.monotonic()
        if ev.kind == "epoch":
            history.append(
                {
                    "epoch": ev.epoch,
                    "train_loss": ev.train_loss,
                    "valid_loss": ev.valid_loss,
                    "valid_rmse": ev.valid_rmse,
                }
            )
            if plot is not None:
                plot.plotly_chart(
                    plots.loss_curves({label: history}, title="Live loss"),
                    key=f"live_loss_{label}_{len(history)}",
                )
        elif now - last[0] < _MIN_UPDATE_S:
            return
        last[0] = now
        text = f"Training {label}: epoch {ev.epoch + 1}/{ev.epochs}"  # events count from 0
        if ev.valid_rmse is not None and ev.kind == "epoch":
            text += f" · valid RMSE {ev.valid_rmse:.4f}"
        bar.progress(min(max(float(ev.fraction), 0.0), 1.0), text)

    with user_errors():
        stored = store.get_or_train(ds, config, callback=on_event)
    bar.progress(1.0, f"{_cap(label)}: done · {describe.rmse(stored.metrics)}")
    for warning in stored.warnings:  # e.g. the store could not save it (disk full)
        st.warning(warning, icon=":material/warning:")
    return stored


def _cap(text: str) -> str:
    return text[:1].upper() + text[1:]


def activate(stored: StoredModel) -> None:
    """The user trained `stored` (Train, or "Train the default model"): it becomes the data set's
    active model and its last trained one, and a toast on the next run names it and its RMSE."""
    state.set_last_trained(stored)
    label = describe.label(stored.config.key(), stored.metrics)
    state.set_active_model(stored.model_id, announce_as=f"Active model now: {label}")


def default_model_button(ds: Dataset, *, key: str) -> None:
    """One click to train (or load) the default model, then rerun so every page sees it."""
    if st.button("Train the default model", type="primary", key=key, icon=":material/play_arrow:"):
        activate(train_with_progress(ds, TrainConfig(), label="the default model"))
        st.rerun()


def show_last_trained(model_ids) -> None:
    """The model last trained (or found in the store) on this data set: metrics and loss curves.

    `model_ids` are the data set's stored models: one deleted meanwhile (by another session, or
    `collab-explorer models rm`) is forgotten, not shown.
    """
    last = state.last_trained()
    if last is None:
        return
    if last["model_id"] not in model_ids:
        state.forget_model(last["model_id"])
        return
    with user_errors(stop=False):
        stored = cached.stored_model(last["model_id"])
        m = stored.metrics
        st.subheader(f"Last trained: model `{stored.model_id}`")
        st.caption(describe.label(stored.config.key(), m))
        if last["cached"]:
            st.info(
                "These settings were trained before, so the model came from the store at "
                "once (the time below is how long it took then).",
                icon=":material/inventory_2:",
            )
        c = st.columns(3)
        c[0].metric("Validation RMSE", f"{m['valid_rmse']:.4f}")
        c[1].metric("Validation MAE", f"{m['valid_mae']:.4f}")
        c[2].metric("Training time", f"{m.get('train_seconds', 0):.1f} s")
        st.plotly_chart(plots.loss_curves({"this model": stored.history}), key="train_last_curve")
