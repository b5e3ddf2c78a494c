"""The Train page's settings: the lesson's hyper-parameters as widgets, read back as a `TrainConfig`.

The form is per data set: its values are kept with the data set (`state.train_form`), so leaving
the page, switching data sets and coming back, or reloading, finds the settings last used there.
"""

from __future__ import annotations

from collections.abc import Callable

import streamlit as st

from collab_core import describe
from collab_core.config import (
    BAYES_MAX_FACTORS,
    MODEL_DEFAULTS,
    NOISES,
    OPTIMIZERS,
    SCHEDULES,
    TrainConfig,
)
from collab_core.data import Dataset
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


def _within(lo: float, hi: float) -> Callable[[object], bool]:
    return lambda v: isinstance(v, (int, float)) and not isinstance(v, bool) and lo <= v <= hi


def _fields() -> dict[str, tuple[object, Callable[[object], bool]]]:
    """Every field of the form: widget key -> (default, what a saved value must satisfy)."""
    fields = {
        "train_model": ("dot", MODEL_NAMES.__contains__),
        "train_opt": ("adam", OPTIMIZERS.__contains__),
        "train_mom": (0.9, _within(0.0, 0.99)),
        "train_schedule": ("one_cycle", SCHEDULES.__contains__),
        "train_device": ("auto", DEVICE_CHOICES.__contains__),
    }
    for kind in ("dot", "nn"):
        d = MODEL_DEFAULTS[kind]
        fields |= {
            state.train_key("factors", kind): (
                d["n_factors"],
                _within(0 if kind == "nn" else 1, 1024),
            ),
            state.train_key("wd", kind): (d["wd"], _within(0.0, 10.0)),
            state.train_key("epochs", kind): (d["epochs"], _within(1, 200)),
            state.train_key("lr", kind): (d["lr"], _within(1e-6, 10.0)),
            state.train_key("bs", kind): (d["bs"], BATCH_SIZES.__contains__),
        }
    bayes = MODEL_DEFAULTS["bayes"]
    fields |= {
        state.train_key("factors", "bayes"): (bayes["n_factors"], _within(1, BAYES_MAX_FACTORS)),
        state.train_key("epochs", "bayes"): (bayes["epochs"], _within(1, 2000)),
        "train_burn_in": (None, lambda v: v is None or _within(0, 9999)(v)),
        "train_noise": (bayes["noise"], NOISES.__contains__),
    }
    als = MODEL_DEFAULTS["als"]
    fields |= {
        state.SPARK_MASTER: ("local[*]", lambda v: isinstance(v, str)),
        "train_factors_als": (als["n_factors"], _within(1, 1024)),
        "train_wd_als": (als["wd"], _within(0.0, 10.0)),
        "train_epochs_als": (als["epochs"], _within(1, 200)),
        "train_als_biases": (als["als_biases"], lambda v: isinstance(v, bool)),
    }
    return fields


def train_config(ds: Dataset) -> TrainConfig:
    """Draw the settings and return them as a config; a bad combination stops the page with why.

    The fields whose tuned defaults differ between the models are keyed per model, so switching
    model shows that model's defaults (or what was typed for it before).
    """
    saved = state.train_form()
    start = {  # what each field shows when drawn afresh: its saved value if still valid
        key: saved[key] if key in saved and ok(saved[key]) else default
        for key, (default, ok) in _fields().items()
    }
    state.start_train_form(start)
    kind = (
        st.segmented_control(
            "Model",
            list(MODEL_NAMES),
            default=start["train_model"],
            key="train_model",
            format_func=MODEL_NAMES.get,
        )
        or "dot"
    )
    if kind == "bayes":
        return _bayes_config(start)
    if kind == "als":
        return _spark_config(start)

    def key(setting: str) -> str:
        return state.train_key(setting, kind)

    c1, c2, c3, c4 = st.columns(4)
    n_factors = c1.number_input(
        "n_factors",
        0 if kind == "nn" else 1,
        1024,
        int(start[key("factors")]),
        key=key("factors"),
        help="Size of each embedding. Neural model: 0 sizes each side by fastai's rule "
        "(shown below the settings).",
    )
    wd = c2.number_input(
        "Weight decay (wd)",
        0.0,
        10.0,
        float(start[key("wd")]),
        step=0.01,
        format="%.4f",
        key=key("wd"),
    )
    epochs = c3.number_input("Epochs", 1, 200, int(start[key("epochs")]), key=key("epochs"))
    # The models' tuned rates differ (dot 0.03, nn 0.005); the LR finder's button writes this one.
    lr = c4.number_input(
        "Learning rate",
        1e-6,
        10.0,
        float(start[key("lr")]),
        step=1e-3,
        format="%.5f",
        key=key("lr"),
    )
    c1, c2, c3, c4 = st.columns(4)
    bs = c1.select_slider("Batch size", BATCH_SIZES, value=start[key("bs")], key=key("bs"))
    optimizer = c2.selectbox(
        "Optimizer", OPTIMIZERS, index=OPTIMIZERS.index(start["train_opt"]), key="train_opt"
    )
    momentum = c3.number_input(
        "Momentum / Adam β1", 0.0, 0.99, float(start["train_mom"]), step=0.05, key="train_mom"
    )
    schedule = c4.selectbox(
        "LR schedule",
        SCHEDULES,
        index=SCHEDULES.index(start["train_schedule"]),
        key="train_schedule",
    )
    device = st.selectbox(
        "Device",
        DEVICE_CHOICES,
        index=DEVICE_CHOICES.index(start["train_device"]),
        key="train_device",
        help="'auto' takes a CUDA GPU, then Apple MPS, then the CPU.",
    )
    state.save_train_form(
        {
            "train_model": kind,
            key("factors"): int(n_factors),
            key("wd"): float(wd),
            key("epochs"): int(epochs),
            key("lr"): float(lr),
            key("bs"): int(bs),
            "train_opt": optimizer,
            "train_mom": float(momentum),
            "train_schedule": schedule,
            "train_device": device,
        }
    )
    with user_errors():
        config = TrainConfig(
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
    if kind == "nn":
        st.caption(
            "Embedding size: " + describe.embedding_size(config.key(), ds.n_users, ds.n_items)
        )
    return config


def _bayes_config(start: dict) -> TrainConfig:
    """The Bayesian model's few settings: rank, sweeps and burn-in, noise (no wd, no lr)."""
    c1, c2, c3, c4 = st.columns(4)
    n_factors = c1.number_input(
        "n_factors",
        1,
        BAYES_MAX_FACTORS,
        int(start["train_factors_bayes"]),
        key="train_factors_bayes",
        help="The rank. Each sweep costs about n_factors² per rating.",
    )
    sweeps = c2.number_input(
        "Sweeps",
        1,
        2000,
        int(start["train_epochs_bayes"]),
        key="train_epochs_bayes",
        help="Gibbs sweeps: each draws every user's and every movie's embedding once.",
    )
    burn_in = c3.number_input(
        "Burn-in",
        0,
        9999,
        start["train_burn_in"],
        key="train_burn_in",
        placeholder=f"{int(sweeps) // 4} (a quarter)",
        help="The first sweeps are discarded; the later ones are the samples that are averaged. "
        "Empty: a quarter of the sweeps.",
    )
    noise = c4.selectbox(
        "Noise",
        NOISES,
        index=NOISES.index(start["train_noise"]),
        key="train_noise",
        help="robust: each user and movie has its own noise level; gaussian: one for all.",
    )
    state.save_train_form(
        {
            "train_model": "bayes",
            "train_factors_bayes": int(n_factors),
            "train_epochs_bayes": int(sweeps),
            "train_burn_in": None if burn_in is None else int(burn_in),
            "train_noise": noise,
        }
    )
    with user_errors():
        return TrainConfig(
            model="bayes",
            n_factors=int(n_factors),
            epochs=int(sweeps),
            burn_in=None if burn_in is None else int(burn_in),
            noise=noise,
        )


def _spark_config(start: dict) -> TrainConfig:
    """Spark's settings: where it runs (not part of the model: any master trains the same one),
    ALS's rank, regParam and iterations, and whether a bias baseline comes first."""
    master = st.text_input(
        "Spark master URL",
        start[state.SPARK_MASTER],
        key=state.SPARK_MASTER,
        help="local[*]: a Spark on this machine with every core; spark://HOST:PORT: a standalone "
        "cluster. Needs pyspark (pip install 'collab-explorer[spark]') and Java 17+.",
    )
    c1, c2, c3, c4 = st.columns(4)
    n_factors = c1.number_input(
        "n_factors (rank)", 1, 1024, int(start["train_factors_als"]), key="train_factors_als"
    )
    wd = c2.number_input(
        "regParam (wd)",
        0.0,
        10.0,
        float(start["train_wd_als"]),
        step=0.01,
        format="%.3f",
        key="train_wd_als",
        help="ALS scales it by each row's number of ratings: 0.05 already overfits ML-100k.",
    )
    epochs = c3.number_input(
        "Iterations", 1, 200, int(start["train_epochs_als"]), key="train_epochs_als"
    )
    biases = c4.toggle(
        "Bias baseline first",
        bool(start["train_als_biases"]),
        key="train_als_biases",
        help="Fit user and movie biases first and ALS on what they leave: biases for the Bias "
        "page, and a lower validation RMSE on ML-100k (0.911 against 0.922 for plain ALS).",
    )
    state.save_train_form(
        {
            "train_model": "als",
            state.SPARK_MASTER: master,
            "train_factors_als": int(n_factors),
            "train_wd_als": float(wd),
            "train_epochs_als": int(epochs),
            "train_als_biases": bool(biases),
        }
    )
    with user_errors():
        return TrainConfig(
            model="als", n_factors=int(n_factors), wd=float(wd), epochs=int(epochs),
            als_biases=bool(biases),
        )  # fmt: skip
