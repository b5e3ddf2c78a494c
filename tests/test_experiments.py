"""experiments: the Train page's sweep and the lesson's comparison, as configs."""

from __future__ import annotations

import json

import pytest

from collab_core.config import TrainConfig
from collab_core.errors import ConfigError
from collab_core.experiments import COMPARISON, SWEEPS, comparison_configs, sweep_configs


def test_a_sweep_changes_one_setting_and_keeps_the_rest():
    base = TrainConfig(model="dot", n_factors=32, wd=0.1, epochs=3, device="cpu")
    configs = sweep_configs(base, "wd", [0.3, 0.0, 0.03, 0.3])
    assert [c.wd for c in configs] == [0.0, 0.03, 0.3]  # sorted, once each
    for c in configs:
        assert {k: v for k, v in c.key().items() if k != "wd"} == {
            k: v for k, v in base.key().items() if k != "wd"
        }
        assert c.device == "cpu"
    factors = sweep_configs(base, "n_factors")
    assert [c.n_factors for c in factors] == list(SWEEPS["n_factors"])
    assert all(isinstance(c.n_factors, int) for c in factors)


def test_the_lesson_comparison():
    configs = comparison_configs("cpu")
    assert list(configs) == list(COMPARISON)
    assert configs["SGD"].optimizer == "sgd" and configs["SGD"].momentum == 0.0
    assert configs["SGD + momentum"].momentum == 0.9
    assert configs["Adam, no weight decay"].wd == 0.0
    assert configs["Adam"].wd == TrainConfig().wd
    assert {c.epochs for c in configs.values()} == {5} and {c.device for c in configs.values()} == {
        "cpu"
    }
    assert len({json.dumps(c.key(), sort_keys=True) for c in configs.values()}) == 4


@pytest.mark.parametrize(
    ("param", "values", "message"),
    [
        ("lr", None, "Cannot sweep 'lr'; choose one of wd, n_factors"),
        ("wd", [], "Choose at least one value of wd"),
        ("wd", [-1.0], "wd"),
        ("n_factors", [0], "n_factors"),
    ],
)
def test_bad_sweeps_get_a_clear_error(param, values, message):
    with pytest.raises(ConfigError, match=message):
        sweep_configs(TrainConfig(), param, values)
