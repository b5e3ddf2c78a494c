"""The Train page's settings: the lesson's hyper-parameters as widgets, read back as a `TrainConfig`."""

from __future__ import annotations

import streamlit as st

from collab_core.config import (
    BAYES_MAX_FACTORS,
    MODEL_DEFAULTS,
    NOISES,
    OPTIMIZERS,
    SCHEDULES,
    TrainConfig,
)
from collab_core.devices import CHOICES as DEVICE_CHOICES

from . import state
from .errors import user_errors

MODEL_NAMES = {
    "dot": "Dot product (lesson)",
    "nn": "Neural network",
    "bayes": "Bayesian dot product",
    "als": "Apache Spark (ALS)",
}
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
    if kind == "bayes":
        return _bayes_config()
    if kind == "als":
        return _spark_config()
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


def _bayes_config() -> TrainConfig:
    """The Bayesian model's few settings: rank, sweeps and burn-in, noise (no wd, no lr)."""
    d = MODEL_DEFAULTS["bayes"]
    c1, c2, c3, c4 = st.columns(4)
    n_factors = c1.number_input(
        "n_factors",
        1,
        BAYES_MAX_FACTORS,
        d["n_factors"],
        key="train_factors_bayes",
        help="The rank. Each sweep costs about n_factors² per rating.",
    )
    sweeps = c2.number_input(
        "Sweeps",
        1,
        2000,
        d["epochs"],
        key="train_epochs_bayes",
        help="Gibbs sweeps: each draws every user's and every movie's embedding once.",
    )
    burn_in = c3.number_input(
        "Burn-in",
        0,
        9999,
        None,
        key="train_burn_in",
        placeholder=f"{int(sweeps) // 4} (a quarter)",
        help="The first sweeps are discarded; the later ones are the samples that are averaged. "
        "Empty: a quarter of the sweeps.",
    )
    noise = c4.selectbox(
        "Noise",
        NOISES,
        key="train_noise",
        help="robust: each user and movie has its own noise level; gaussian: one for all.",
    )
    with user_errors():
        return TrainConfig(
            model="bayes",
            n_factors=int(n_factors),
            epochs=int(sweeps),
            burn_in=None if burn_in is None else int(burn_in),
            noise=noise,
        )


def _spark_config() -> TrainConfig:
    """Spark's settings: where it runs (not part of the model: any master trains the same one),
    ALS's rank, regParam and iterations, and whether a bias baseline comes first."""
    d = MODEL_DEFAULTS["als"]
    st.text_input(
        "Spark master URL",
        "local[*]",
        key=state.SPARK_MASTER,
        help="local[*]: a Spark on this machine with every core; spark://HOST:PORT: a standalone "
        "cluster. Needs pyspark (pip install 'collab-explorer[spark]') and Java 17+.",
    )
    c1, c2, c3, c4 = st.columns(4)
    n_factors = c1.number_input(
        "n_factors (rank)", 1, 1024, d["n_factors"], key="train_factors_als"
    )
    wd = c2.number_input(
        "regParam (wd)",
        0.0,
        10.0,
        float(d["wd"]),
        step=0.01,
        format="%.3f",
        key="train_wd_als",
        help="ALS scales it by each row's number of ratings: 0.05 already overfits ML-100k.",
    )
    epochs = c3.number_input("Iterations", 1, 200, d["epochs"], key="train_epochs_als")
    biases = c4.toggle(
        "Bias baseline first",
        True,
        key="train_als_biases",
        help="Fit user and movie biases first and ALS on what they leave: biases for the Bias "
        "page, and a lower validation RMSE on ML-100k (0.911 against 0.922 for plain ALS).",
    )
    with user_errors():
        return TrainConfig(
            model="als", n_factors=int(n_factors), wd=float(wd), epochs=int(epochs),
            als_biases=bool(biases),
        )  # fmt: skip
