"""The Train page's experiments (a one-setting sweep, the lesson's comparison) as configs and results.

`sweep_configs` / `comparison_configs` build the `TrainConfig`s from a starting config, so a
script, a test or a notebook can train exactly what the page trains; `run_sweep` /
`run_comparison` train them with a given trainer (the store, like any other model) and return one
DataFrame row per run.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

import pandas as pd

from .config import TrainConfig
from .errors import ConfigError
from .store import StoredModel

# The sweep's settings and their default values: too little weight decay overfits, too much
# underfits; too few factors cannot express tastes, many need more decay.
SWEEPS: dict[str, tuple[float, ...]] = {
    "wd": (0.0, 0.01, 0.03, 0.1, 0.3),
    "n_factors": (4, 16, 32, 64, 128),
}

# The lesson's comparison of training ideas, 5 epochs each, from the default config: plain SGD,
# SGD with momentum (each with a learning rate that suits it), Adam, and Adam without weight decay.
COMPARISON: dict[str, dict] = {
    "SGD": {"optimizer": "sgd", "momentum": 0.0, "lr": 0.5, "epochs": 5},
    "SGD + momentum": {"optimizer": "sgd", "momentum": 0.9, "lr": 0.2, "epochs": 5},
    "Adam": {"optimizer": "adam", "epochs": 5},
    "Adam, no weight decay": {"optimizer": "adam", "wd": 0.0, "epochs": 5},
}


def sweep_configs(base: TrainConfig, param: str, values=None) -> list[TrainConfig]:
    """`base` once per value of `param` (default: `SWEEPS[param]`), in increasing order."""
    if param not in SWEEPS:
        raise ConfigError(f"Cannot sweep {param!r}; choose one of {', '.join(SWEEPS)}.")
    if param == "wd" and base.model == "bayes":
        raise ConfigError(
            "The Bayesian model has no weight decay to sweep: it learns its prior from the data. "
            "Sweep n_factors, or choose the dot model to see what wd does."
        )
    values = SWEEPS[param] if values is None else values
    if not len(values):
        raise ConfigError(f"Choose at least one value of {param} to sweep.")
    cast = int if param == "n_factors" else float
    return [replace(base, **{param: cast(v)}) for v in sorted(set(values))]


def comparison_configs(device: str = "auto") -> dict[str, TrainConfig]:
    """The lesson's comparison (`COMPARISON`), each from the default config, by label."""
    base = TrainConfig(device=device)
    return {label: replace(base, **overrides) for label, overrides in COMPARISON.items()}


# How an experiment trains one config: (config, label) -> the trained (or stored) model; the label
# names the run and its place for progress output: "run 2 of 5 (wd = 0.1)". Scripts pass
# `lambda c, _: store.get_or_train(dataset, c)`; the Train page passes one that draws a progress bar.
Train = Callable[[TrainConfig, str], StoredModel]


def run_sweep(train: Train, base: TrainConfig, param: str, values=None) -> pd.DataFrame:
    """`sweep_configs(base, param, values)` trained with `train`: one row per value, in increasing
    order, with the validation RMSE and the model id (columns `param`, valid_rmse, model_id)."""
    rows = []
    configs = sweep_configs(base, param, values)
    for k, config in enumerate(configs, start=1):
        value = getattr(config, param)
        stored = train(config, f"run {k} of {len(configs)} ({param} = {value:g})")
        rows.append(
            {
                param: value,
                "valid_rmse": stored.metrics.get("valid_rmse"),
                "model_id": stored.model_id,
            }
        )
    return pd.DataFrame(rows, columns=[param, "valid_rmse", "model_id"])


def run_comparison(train: Train, device: str = "auto") -> pd.DataFrame:
    """`comparison_configs(device)` trained with `train`: one row per run, in `COMPARISON`'s order
    (columns label, valid_rmse, model_id)."""
    rows = []
    configs = comparison_configs(device)
    for k, (label, config) in enumerate(configs.items(), start=1):
        stored = train(config, f"run {k} of {len(configs)} ({label})")
        rows.append(
            {
                "label": label,
                "valid_rmse": stored.metrics.get("valid_rmse"),
                "model_id": stored.model_id,
            }
        )
    return pd.DataFrame(rows, columns=["label", "valid_rmse", "model_id"])
