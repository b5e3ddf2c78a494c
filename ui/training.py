"""Training from a page: a live progress bar and loss curves, results kept in the model store."""

from __future__ import annotations

import time

import streamlit as st

from collab_core import bayes, describe, plots
from collab_core.config import MODEL_DEFAULTS, TrainConfig
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
    fit = _spark_fit(config, label)
    bar = st.progress(0.0, f"Training {label}…")
    plot = st.empty() if chart else None
    history: list[dict] = []
    last = [0.0]

    sweeps = config.model == "bayes"
    unit = "sweep" if sweeps else "epoch"  # the sampler's epochs are Gibbs sweeps

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
        # The sampler's ~100 sweeps a second would flood the browser too: every event waits its
        # turn, except an epoch's (a few per run) and the last.
        if now - last[0] < _MIN_UPDATE_S and ev.fraction < 1 and (ev.kind == "batch" or sweeps):
            return
        if ev.kind == "epoch" and plot is not None:
            plot.plotly_chart(
                plots.loss_curves({label: history}, title="Live loss"),
                key=f"live_loss_{label}_{len(history)}",
            )
        last[0] = now
        text = f"Training {label}: {unit} {ev.epoch + 1}/{ev.epochs}"  # events count from 0
        if ev.message:  # Spark: its phase, job and stage
            text = f"Training {label}: {ev.message}"
        if ev.valid_rmse is not None and ev.kind == "epoch":
            text += f" · valid RMSE {ev.valid_rmse:.4f}"
        bar.progress(min(max(float(ev.fraction), 0.0), 1.0), text)

    with user_errors():
        stored = store.get_or_train(ds, config, callback=on_event, fit=fit)
    bar.progress(1.0, f"{_cap(label)}: done · {describe.rmse(stored.metrics)}")
    for warning in stored.warnings:  # e.g. the store could not save it (disk full)
        st.warning(warning, icon=":material/warning:")
    return stored


def _spark_fit(config: TrainConfig, label: str):
    """Spark's `fit` for an "als" config (None for the others), with a Cancel button: pressing it
    reruns the page, which stops this run, and the trainer then cancels Spark's jobs."""
    if config.model != "als":
        return None
    from collab_core import spark_train

    with user_errors():
        master = spark_train.check_master(state.spark_master())
        spark_train.require_spark()
    st.button("Cancel", key=state.cancel_key(label), icon=":material/stop:")
    st.caption(f"Training on Spark at `{master}`; starting Spark takes several seconds.")
    return spark_train.SparkTrainer(master).fit


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
        if len(stored.history) > 1:
            st.plotly_chart(
                plots.loss_curves({"this model": stored.history}), key="train_last_curve"
            )
        elif stored.config.model == "als":  # Spark's ALS reports no loss per iteration
            st.caption(
                f"Trained on Spark ({stored.meta.get('device', 'spark')}): ALS reports no loss "
                "per iteration, so there is no curve; the figures above are from the final model."
            )
        if stored.config.model == "bayes":
            _learned_prior(stored)


def _learned_prior(stored) -> None:
    """What replaced weight decay: the precisions the sampler learned, beside the sweep's wd."""
    ds = cached.dataset()
    cfg = stored.config.resolved()
    st.caption(
        f"Each point is a Gibbs sweep. The first {min(bayes.WARM_SWEEPS, cfg.burn_in)} fit by least "
        "squares (a warm start); after the burn-in (sweep "
        f"{cfg.burn_in}) the validation curve is the running average of the kept samples, the "
        "posterior mean, and the dashed one the current sample's training error."
    )
    st.markdown(
        "**Weight decay became a prior.** Adding wd·|p|² to the loss finds the most likely "
        "embedding when p ~ N(0, 1/λ), and the dot model needs a sweep to choose wd; the "
        "Bayesian model learns the precisions λ (and the noise's, α) from the data while it "
        "samples, and averages many plausible models instead of trusting one."
    )
    left, right = st.columns([3, 1])
    table = bayes.prior_table(stored.model, ds, 1 - stored.config.valid_frac)
    left.dataframe(
        table,
        hide_index=True,
        key="train_prior",
        column_config={
            "precision": st.column_config.NumberColumn("precision λ", format="%.2f"),
            "sd": st.column_config.NumberColumn("prior sd 1/√λ", format="%.3f"),
            "as wd": st.column_config.NumberColumn("as the dot model's wd", format="%.3f"),
        },
    )
    wd, source = _sweep_wd(ds.fingerprint)
    right.metric("wd the sweep picks", f"{wd:g}", help=source, border=True)
    left.caption(
        "*as the dot model's wd*: λ / (α·n), the per-rating weight decay the prior amounts to "
        "for a user (movie) with the median number n of training ratings; roughly, since the dot "
        "model's embeddings are in logit units and these in stars."
    )


def _sweep_wd(fingerprint: str) -> tuple[float, str]:
    """The dot model's wd with the lowest validation RMSE in this session's wd sweep, or else the
    default (the best of the benchmark's sweep), with where it came from."""
    found = state.sweep(fingerprint)
    if found is not None and found[0] == "wd" and found[1]["valid_rmse"].notna().any():
        table = found[1]
        return float(table.loc[table["valid_rmse"].idxmin(), "wd"]), "Your weight-decay sweep."
    wd = MODEL_DEFAULTS["dot"]["wd"]
    return wd, "The dot model's default, the best of a sweep on ML-100k (benchmarks/accuracy.py)."
