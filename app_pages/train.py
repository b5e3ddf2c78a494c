"""Train: choose the lesson's settings, find a learning rate, train with live curves, compare runs."""

import json

import pandas as pd
import streamlit as st

from collab_core import plots
from collab_core.config import MODEL_DEFAULTS, OPTIMIZERS, SCHEDULES, TrainConfig
from collab_core.devices import CHOICES as DEVICE_CHOICES
from collab_core.experiments import SWEEPS, comparison_configs, sweep_configs
from ui import cached, context, state, widgets
from ui.training import remember, train_with_progress

ds = context.dataset()
st.title("Train a model")
st.markdown(
    "The **dot model** is the lesson's `DotProductBias`: user and movie embeddings of "
    "`n_factors` numbers, a dot product plus biases, squashed into the rating range. The **neural "
    "model** (`CollabNN`) concatenates the embeddings and feeds them through a small network. "
    "**Weight decay** (`wd`) pulls the embeddings towards zero so they cannot memorise the "
    "training ratings; watch the validation loss to see it work. Trained models are kept, so the "
    "same settings come back instantly."
)

# --- settings ------------------------------------------------------------------------------
model_kind = (
    st.segmented_control(
        "Model",
        ["dot", "nn"],
        default="dot",
        key="train_model",
        format_func={"dot": "Dot product (lesson)", "nn": "Neural network"}.get,
    )
    or "dot"
)
d = MODEL_DEFAULTS[model_kind]
c1, c2, c3, c4 = st.columns(4)
n_factors = c1.number_input(
    "n_factors",
    0 if model_kind == "nn" else 1,
    1024,
    d["n_factors"],
    key=f"train_factors_{model_kind}",
    help="Size of each embedding (neural model: 0 picks fastai's sizes).",
)
wd = c2.number_input(
    "Weight decay (wd)",
    0.0,
    10.0,
    float(d["wd"]),
    step=0.01,
    format="%.4f",
    key=f"train_wd_{model_kind}",
)
epochs = c3.number_input("Epochs", 1, 200, d["epochs"], key=f"train_epochs_{model_kind}")
# Keyed per model, like the fields above: the models' tuned rates differ (dot 0.03, nn 0.005).
lr_key = f"train_lr_{model_kind}"
lr = c4.number_input(
    "Learning rate", 1e-6, 10.0, float(d["lr"]), step=1e-3, format="%.5f", key=lr_key
)
c1, c2, c3, c4 = st.columns(4)
bs = c1.select_slider(
    "Batch size",
    [64, 128, 256, 512, 1024, 2048, 4096, 8192, 16384],
    value=d["bs"],
    key=f"train_bs_{model_kind}",
)
optimizer = c2.selectbox("Optimizer", OPTIMIZERS, key="train_opt")
momentum = c3.number_input("Momentum / Adam β1", 0.0, 0.99, 0.9, step=0.05, key="train_mom")
schedule = c4.selectbox("LR schedule", SCHEDULES, key="train_schedule")
device = st.selectbox(
    "Device",
    DEVICE_CHOICES,
    key="train_device",
    help="'auto' takes a CUDA GPU, then Apple MPS, then the CPU.",
)

with context.user_errors():
    config = TrainConfig(
        model=model_kind,
        n_factors=int(n_factors),
        wd=float(wd),
        epochs=int(epochs),
        lr=float(lr),
        bs=int(bs),
        optimizer=optimizer,
        momentum=float(momentum),
        schedule=schedule,
        device=device,
    )

left, right = st.columns([1, 1])
with left:
    go = st.button("Train", type="primary", icon=":material/play_arrow:", key="train_go")
with right:
    find = st.button(
        "Find a learning rate",
        icon=":material/search:",
        key="train_lr_find",
        help="fastai's LR finder: one short run with a rising learning rate.",
    )

if find:
    with context.user_errors():
        res = cached.lr_find(ds.fingerprint, json.dumps(config.key(), sort_keys=True), ds, config)
    st.session_state["train_lr_result"] = res
    st.session_state["train_lr_for"] = (ds.fingerprint, model_kind)
res = st.session_state.get("train_lr_result")
# A finder run on another data set or model says nothing about this one's learning rate.
if res is not None and st.session_state.get("train_lr_for") == (ds.fingerprint, model_kind):
    st.plotly_chart(plots.lr_finder(res.lrs, res.losses, res.suggestion), key="train_lr_plot")
    st.button(
        f"Use the suggested rate {res.suggestion:.2e}",
        key="train_use_lr",
        on_click=lambda: st.session_state.update({lr_key: float(f"{res.suggestion:.5g}")}),
    )

if go:
    remember(train_with_progress(ds, config))
    st.rerun()  # so the sidebar shows the new model as the active one

last = st.session_state.get(state.LAST_TRAINED)
if last is not None:
    with context.user_errors(stop=False):
        stored = cached.stored_model(last["model_id"])
        m = stored.metrics
        st.subheader(f"Last trained: model `{stored.model_id}`")
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

# --- all models ----------------------------------------------------------------------------
st.header("Trained models")
rows = context.models(ds)
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
    )
    picked = event.selection.rows if event is not None else []
    if picked:
        model_id = table.iloc[picked[0]]["model_id"]
        a, b = st.columns(2)
        if a.button("Make this the active model", key="train_make_active", type="primary"):
            state.request_model(model_id)
            st.rerun()
        if b.button("Delete this model", key="train_delete"):
            with context.user_errors():
                cached.store().remove(model_id)
            # "Last trained" must not go on showing a model that is gone.
            if (st.session_state.get(state.LAST_TRAINED) or {}).get("model_id") == model_id:
                del st.session_state[state.LAST_TRAINED]
            st.rerun()
    widgets.csv_download(table, "models.csv", label="Download the table", key="train_models_csv")

# --- sweep ---------------------------------------------------------------------------------
st.header("Sweep: what does weight decay do?")
st.markdown(
    "Train the current settings several times, changing one value, and plot the "
    "validation RMSE against it. Too little weight decay overfits; too much underfits."
)
param = st.radio("Vary", list(SWEEPS), horizontal=True, key="train_sweep_param")
values = st.multiselect(
    "Values", list(SWEEPS[param]), default=list(SWEEPS[param]), key=f"train_sweep_{param}"
)
if (
    st.button("Run the sweep", key="train_sweep_go", icon=":material/stacked_line_chart:")
    and values
):
    results = []
    with context.user_errors():
        configs = sweep_configs(config, param, values)
    for cfg in configs:
        v = getattr(cfg, param)
        stored = train_with_progress(ds, cfg, label=f"{param}={v:g}", chart=False, activate=False)
        results.append(
            {param: v, "valid_rmse": stored.metrics["valid_rmse"], "model_id": stored.model_id}
        )
    st.session_state["train_sweep_result"] = (ds.fingerprint, param, results)
sweep = st.session_state.get("train_sweep_result")
if sweep is not None and sweep[0] == ds.fingerprint:  # a sweep on another data set: not shown
    _, sweep_param, results = sweep
    table = pd.DataFrame(results)
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
    ids = []
    with context.user_errors():
        configs = comparison_configs(device)
    for label, cfg in configs.items():
        ids.append(train_with_progress(ds, cfg, label=label, chart=False, activate=False).model_id)
    st.session_state["train_compare_pick"] = ids  # the widget is drawn below: show these
rows = context.models(ds)
if rows:
    by_id = {r["model_id"]: r for r in rows}
    picked = st.session_state.get("train_compare_pick", list(by_id)[:3])
    st.session_state["train_compare_pick"] = [i for i in picked if i in by_id]  # drop deleted
    chosen = st.multiselect(
        "Models to overlay",
        list(by_id),
        format_func=lambda i: widgets.model_label(by_id[i]),
        key="train_compare_pick",
    )
    show_train = st.toggle("Show training loss", value=True, key="train_compare_train")
    with context.user_errors():
        runs = {widgets.model_label(by_id[i]): by_id[i]["history"] for i in chosen}
    if runs:
        st.plotly_chart(
            plots.loss_curves(runs, show_train=show_train, title="Loss per epoch"),
            key="train_compare_plot",
        )
