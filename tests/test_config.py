"""Configs: each model's tuned defaults, validation, and the store key."""

from __future__ import annotations

import dataclasses
import math

import pytest

from collab_core.config import MODEL_DEFAULTS, TrainConfig
from collab_core.errors import ConfigError


def test_defaults_are_resolved_per_model():
    dot, nn_ = TrainConfig().resolved(), TrainConfig(model="nn").resolved()
    for name, value in MODEL_DEFAULTS["dot"].items():
        assert getattr(dot, name) == value
    for name, value in MODEL_DEFAULTS["nn"].items():
        assert getattr(nn_, name) == value
    assert TrainConfig(lr=0.5).lr == 0.5  # an explicit value wins


def test_key_leaves_out_device_and_round_trips():
    cfg = TrainConfig(model="nn", nn_layers=(64, 32), nn_emb_sizes=(10, 20), device="cpu")
    key = cfg.key()
    assert "device" not in key
    assert key["nn_layers"] == [64, 32]
    again = TrainConfig.from_dict(key)
    assert again == cfg and again.key() == key
    assert TrainConfig(device="cpu").key() == TrainConfig(device="auto").key()


def test_from_dict_rejects_unknown_keys():
    with pytest.raises(ConfigError, match="Unknown training settings.*n_factor"):
        TrainConfig.from_dict({"n_factor": 10})


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"model": "svd"}, "model must be one of"),
        ({"n_factors": 0}, "n_factors"),
        ({"wd": -1.0}, "wd"),
        ({"lr": 0.0}, "lr"),
        ({"epochs": 0}, "epochs"),
        ({"bs": -5}, "bs"),
        ({"optimizer": "lamb"}, "optimizer"),
        ({"schedule": "step"}, "schedule"),
        ({"valid_frac": 1.0}, "valid_frac"),
        ({"device": "tpu"}, "device"),
        ({"nn_dropout": 1.0}, "nn_dropout"),
        ({"nn_emb_sizes": (3,)}, "nn_emb_sizes"),
        ({"nn_swa_start": 1.5}, "nn_swa_start"),
        ({"nn_swa_start": math.nan}, "nn_swa_start"),
    ],
)
def test_bad_settings_are_config_errors(kwargs, message):
    with pytest.raises(ConfigError, match=message):
        TrainConfig(**kwargs)


def test_replace_takes_the_new_models_defaults_and_keeps_what_was_set():
    nn_cfg = dataclasses.replace(TrainConfig(), model="nn")
    assert nn_cfg == TrainConfig(model="nn")
    assert nn_cfg.resolved().lr == MODEL_DEFAULTS["nn"]["lr"]
    assert nn_cfg.key() == TrainConfig(model="nn").key()
    mine = dataclasses.replace(TrainConfig(lr=0.5, epochs=3), model="nn").resolved()
    assert (mine.lr, mine.epochs, mine.wd) == (0.5, 3, MODEL_DEFAULTS["nn"]["wd"])
    # A value the new model cannot take is caught like any other.
    with pytest.raises(ConfigError, match="n_factors"):
        dataclasses.replace(TrainConfig(model="nn", n_factors=0), model="dot")


def test_equal_configs_train_the_same_model():
    assert TrainConfig() == TrainConfig(**MODEL_DEFAULTS["dot"])
    assert hash(TrainConfig()) == hash(TrainConfig(**MODEL_DEFAULTS["dot"]))
    assert TrainConfig() != TrainConfig(model="nn") and TrainConfig() != TrainConfig(seed=1)
    assert TrainConfig(device="cpu") == TrainConfig(device="cuda")  # device is not a setting
