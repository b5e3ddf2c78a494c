"""experiments: the Train page's sweep and the lesson's comparison, as configs and as results."""

from __future__ import annotations

import json

import pytest

from collab_core import synthetic
from collab_core.config import TrainConfig
from collab_core.errors import ConfigError
from collab_core.experiments import (
    COMPARISON,
    SWEEPS,
    comparison_configs,
    run_comparison,
    run_sweep,
    sweep_configs,
)
from collab_core.store import ModelStore


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


@pytest.fixture(scope="module")
def small():
    """133 users, 589 items, 20,000 ratings: a sweep or the comparison trains in about a second."""
    return synthetic.generate(n_ratings=20_000, seed=0)


class Trainer:
    """Trains through a store, noting each (config, label) it is asked for."""

    def __init__(self, dataset, store):
        self.dataset, self.store, self.asked = dataset, store, []

    def __call__(self, config, label):
        self.asked.append((config, label))
        return self.store.get_or_train(self.dataset, config)


@pytest.fixture
def trainer(small, tmp_path):
    return Trainer(small, ModelStore(tmp_path / "models"))


def test_a_sweep_gives_one_row_per_value_with_the_stored_models_rmse(small, trainer):
    base = TrainConfig(epochs=3, device="cpu")
    table = run_sweep(trainer, base, "wd", [1.0, 0.0, 0.1])
    assert list(table.columns) == ["wd", "valid_rmse", "model_id"]
    assert list(table["wd"]) == [0.0, 0.1, 1.0]
    assert [label for _, label in trainer.asked] == [  # each run named, with its place
        "run 1 of 3 (wd = 0)",
        "run 2 of 3 (wd = 0.1)",
        "run 3 of 3 (wd = 1)",
    ]
    for (config, _), row in zip(trainer.asked, table.itertuples(), strict=True):
        stored = trainer.store.load(row.model_id)
        assert row.model_id == trainer.store.model_id(small, config)
        assert row.valid_rmse == pytest.approx(stored.metrics["valid_rmse"])
    rmse = table.set_index("wd")["valid_rmse"]
    assert 0.85 < rmse[0.1] < 1.05
    assert rmse[1.0] > rmse[0.1] + 0.02  # too much weight decay underfits
    again = run_sweep(trainer, base, "wd", [0.0, 0.1, 1.0])  # from the store: the same figures
    assert again.equals(table)


def test_a_bad_sweep_trains_nothing(trainer):
    with pytest.raises(ConfigError, match="Cannot sweep 'lr'"):
        run_sweep(trainer, TrainConfig(), "lr", [0.1])
    assert trainer.asked == []


def test_the_comparison_gives_one_row_per_run_and_adam_wins(trainer):
    table = run_comparison(trainer, "cpu")
    assert list(table.columns) == ["label", "valid_rmse", "model_id"]
    assert list(table["label"]) == list(COMPARISON)
    assert [label for _, label in trainer.asked] == [
        f"run {k} of 4 ({label})" for k, label in enumerate(COMPARISON, start=1)
    ]
    assert table["model_id"].is_unique
    rmse = table.set_index("label")["valid_rmse"]
    assert rmse["Adam"] < rmse["SGD"] - 0.05  # in 5 epochs Adam gets much further than plain SGD
