"""Train: choose the lesson's settings, find a learning rate, train with live curves, compare runs."""

import streamlit as st

from collab_core import experiments, plots
from ui import cached, context, state, train_settings, widgets
from ui.training import activate, show_last_trained, train_with_progress

ds = context.dataset()
st.title("Train a model")
st.markdown(
    "The **dot model** is the lesson's `DotProductBias`: user and movie embeddings of "
    "`n_factors` numbers, a dot product plus biases, squashed into the rating range. The **neural "
    "model** (`CollabNN`) concatenates the embeddings and feeds them through a small network. "
    "**Weight decay** (`wd`) pulls the embeddings towards zero so they cannot memorise the "
    "training ratings; watch the validation loss to see it work. The **Bayesian** dot product "
    "learns that pull from the data instead, by Gibbs sampling. **Apache Spark** trains the "
    "same factors with MLlib's ALS, here or on a cluster. Trained models are kept, so the "
    "same settings come back instantly."
)

config = train_settings.train_config(ds)


def _sweep_run(cfg, label: str):
    """How a sweep trains: a progress bar per run, naming it; the active model stays."""
    return train_with_progress(ds, cfg, label=f"sweep {label}", chart=False)


def _comparison_run(cfg, label: str):
    return train_with_progress(ds, cfg, label=f"comparison {label}", chart=False)


left, right = st.columns([1, 1])
with left:
    go = st.button("Train", type="primary", icon=":material/play_arrow:", key="train_go")
with right:  # the sampler and ALS have no learning rate to find
    find = config.model in ("dot", "nn") and st.button(
        "Find a learning rate",
        icon=":material/search:",
        key="train_lr_find",
        help="fastai's LR finder: one short run with a rising learning rate.",
    )

if find:
    with context.user_errors():
        res = cached.lr_find(ds, config)
    state.set_lr_found(res, ds.fingerprint, config.model)
res = state.lr_found(ds.fingerprint, config.model)  # None after a run for another model or data
if res is not None:
    st.plotly_chart(plots.lr_finder(res.lrs, res.losses, res.suggestion), key="train_lr_plot")
    st.button(
        f"Use the suggested rate {res.suggestion:.2e}",
        key="train_use_lr",
        on_click=state.set_lr,
        args=(config.model, float(f"{res.suggestion:.5g}")),
    )

if state.cancel_pressed():
    st.info("Training was cancelled; Spark's jobs were stopped.", icon=":material/stop:")
if go:
    activate(train_with_progress(ds, config))
    st.rerun()  # so the sidebar shows the new model as the active one

rows = context.models(ds)
show_last_trained({r["model_id"] for r in rows})

# --- all models ----------------------------------------------------------------------------
st.header("Trained models")
if not rows:
    st.caption("None yet.")
else:
    table = widgets.models_table(rows)
    event = st.dataframe(
        table,
        hide_index=True,
        on_select="rerun",
        selection_mode="single-row",
        key="train_models_table",
        column_config=widgets.MODELS_COLUMNS,
    )
    picked = event.selection.rows if event is not None else []
    if picked:
        model_id = table.iloc[picked[0]]["model_id"]
        a, b = st.columns(2)
        if a.button("Make this the active model", key="train_make_active", type="primary"):
            state.set_active_model(model_id)
            st.rerun()
        if b.button("Delete this model", key="train_delete"):
            with context.user_errors():
                cached.store().remove(model_id)
            state.forget_model(model_id)  # "Last trained" must not go on showing it
            st.rerun()
    widgets.csv_download(table, "models.csv", label="Download the table", key="train_models_csv")

# --- sweep ---------------------------------------------------------------------------------
st.header("Sweep: what does weight decay do?")
st.markdown(
    "Train the current settings several times, changing one value, and plot the "
    "validation RMSE against it. Too little weight decay overfits; too much underfits."
)
param = st.radio("Vary", list(experiments.SWEEPS), horizontal=True, key="train_sweep_param")
choices = list(experiments.SWEEPS[param])
values = st.multiselect("Values", choices, default=choices, key=f"train_sweep_{param}")
if (
    st.button("Run the sweep", key="train_sweep_go", icon=":material/stacked_line_chart:")
    and values
):
    with context.user_errors():
        table = experiments.run_sweep(_sweep_run, config, param, values)
    state.set_sweep(ds.fingerprint, param, table)
sweep = state.sweep(ds.fingerprint)  # None after a sweep on another data set
if sweep is not None:
    sweep_param, table = sweep
    st.plotly_chart(plots.sweep(table, sweep_param), key="train_sweep_plot")
    widgets.csv_download(table, f"sweep_{sweep_param}.csv", key="train_sweep_csv")

# --- comparison ----------------------------------------------------------------------------
st.header("Compare training runs")
st.markdown(
    "Overlay the loss curves of trained models, e.g. plain SGD against momentum and "
    "Adam, with and without weight decay. Solid: validation; dashed: training."
)
if st.button(
    "Train the lesson's comparison (a few epochs each)",
    key="train_compare_go",
    icon=":material/compare_arrows:",
):
    with context.user_errors():
        compared = experiments.run_comparison(_comparison_run, config.device)
    state.set_compare_pick(list(compared["model_id"]))  # the picker is drawn below: show these
rows = context.models(ds)
if rows:
    by_id = {r["model_id"]: r for r in rows}
    state.keep_compare_pick(list(by_id))
    chosen = st.multiselect(
        "Models to overlay",
        list(by_id),
        format_func=lambda i: widgets.model_label(by_id[i]),
        key=state.COMPARE_PICK,
    )
    show_train = st.toggle("Show training loss", value=True, key="train_compare_train")
    with context.user_errors():
        runs = {widgets.model_label(by_id[i]): by_id[i]["history"] for i in chosen}
    if runs:
        st.plotly_chart(
            plots.loss_curves(runs, show_train=show_train, title="Loss per epoch"),
            key="train_compare_plot",
        )
