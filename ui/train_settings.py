"""The Train page's settings: the lesson's hyper-parameters as widgets, read back as a `TrainConfig`."""

from __future__ import annotations

import streamlit as st

from collab_core.config import MODEL_DEFAULTS, OPTIMIZERS, SCHEDULES, TrainConfig
from collab_core.devices import CHOICES as DEVICE_CHOICES

from . import state
from .errors import user_errors

MODEL_NAMES = {"dot": "Dot product (lesson)", "nn": "Neural network"}
BATCH_SIZES = [64, 128, 256, 512, 1024, 2048, 4096, 8192, 16384]


def train_config() -> TrainConfig:
    """Draw the settings and return them as a config; a bad combination stops the page with why.

    The fields whose tuned defaults differ between the models are keyed per model, so switching
    model shows that model's defaults (or what was typed for it before).
    """
    kind = (
        st.segmented_control(
            "Model",
            list(MODEL_NAMES),
            default="dot",
            key="train_model",
            format_func=MODEL_NAMES.get,
        )
        or "dot"
    )
    d = MODEL_DEFAULTS[kind]
    c1, c2, c3, c4 = st.columns(4)
    n_factors = c1.number_input(
        "n_factors",
        0 if kind == "nn" else 1,
        1024,
        d["n_factors"],
        key=f"train_factors_{kind}",
        help="Size of each embedding (neural model: 0 picks fastai's sizes).",
    )
    wd = c2.number_input(
        "Weight decay (wd)",
        0.0,
        10.0,
        float(d["wd"]),
        step=0.01,
        format="%.4f",
        key=f"train_wd_{kind}",
    )
    epochs = c3.number_input("Epochs", 1, 200, d["epochs"], key=f"train_epochs_{kind}")
    # The models' tuned rates differ (dot 0.03, nn 0.005); the LR finder's button writes this one.
    lr = c4.number_input(
        "Learning rate",
        1e-6,
        10.0,
        float(d["lr"]),
        step=1e-3,
        format="%.5f",
        key=state.lr_key(kind),
    )
    c1, c2, c3, c4 = st.columns(4)
    bs = c1.select_slider("Batch size", BATCH_SIZES, value=d["bs"], key=f"train_bs_{kind}")
    optimizer = c2.selectbox("Optimizer", OPTIMIZERS, key="train_opt")
    momentum = c3.number_input("Momentum / Adam β1", 0.0, 0.99, 0.9, step=0.05, key="train_mom")
    schedule = c4.selectbox("LR schedule", SCHEDULES, key="train_schedule")
    device = st.selectbox(
        "Device",
        DEVICE_CHOICES,
        key="train_device",
        help="'auto' takes a CUDA GPU, then Apple MPS, then the CPU.",
    )
    with user_errors():
        return TrainConfig(
            model=kind,
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
