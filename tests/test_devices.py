"""Device choice: CUDA, then MPS, then CPU; an explicit choice the machine lacks is a clear error."""

from __future__ import annotations

import pytest
import torch

from collab_core import cli, devices
from collab_core.config import TrainConfig
from collab_core.errors import ConfigError


@pytest.fixture
def machine(monkeypatch):
    """Pretend this machine has the given accelerators."""

    def set_(cuda: bool, mps: bool) -> None:
        monkeypatch.setattr(torch.cuda, "is_available", lambda: cuda)
        monkeypatch.setattr(devices, "mps_available", lambda: mps)

    return set_


@pytest.mark.parametrize(
    "cuda, mps, expected",
    [
        (True, True, "cuda"),
        (True, False, "cuda"),
        (False, True, "mps"),
        (False, False, "cpu"),
    ],
)
def test_auto_prefers_cuda_then_mps_then_cpu(machine, cuda, mps, expected):
    machine(cuda, mps)
    assert devices.pick_device("auto").type == expected
    assert devices.pick_device(None).type == expected


def test_explicit_choices(machine):
    machine(True, True)
    assert devices.pick_device("cpu").type == "cpu"
    assert devices.pick_device("CUDA").type == "cuda"
    assert devices.pick_device("mps").type == "mps"


def test_unavailable_explicit_choice_is_a_config_error(machine):
    machine(False, False)
    with pytest.raises(ConfigError, match="'cuda' was asked for.*--device auto or cpu"):
        devices.pick_device("cuda")
    with pytest.raises(ConfigError, match="'mps' was asked for.*Apple"):
        devices.pick_device("mps")
    with pytest.raises(ConfigError, match="Unknown device 'tpu'.*auto, cpu, cuda, mps"):
        devices.pick_device("tpu")


def test_mps_probe_survives_a_torch_without_the_backend(monkeypatch):
    monkeypatch.delattr(torch.backends, "mps", raising=False)
    assert devices.mps_available() is False


def test_describe_names_the_cpu_threads():
    assert devices.describe(torch.device("cpu")).startswith("cpu (")


def test_configs_and_the_cli_offer_the_same_devices():
    parser = cli.build_parser()
    for choice in devices.CHOICES:
        assert TrainConfig(device=choice).device == choice
        assert parser.parse_args(["train", "--device", choice]).device == choice
    with pytest.raises(ConfigError, match="device must be one of"):
        TrainConfig(device="tpu")
    with pytest.raises(SystemExit):
        parser.parse_args(["train", "--device", "tpu"])
