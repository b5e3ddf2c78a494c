"""Where training runs: CUDA, then Apple's MPS, then the CPU, or an explicit choice."""

from __future__ import annotations

import os
import platform
from typing import TYPE_CHECKING

from .errors import ConfigError

if TYPE_CHECKING:
    import torch

# The device choices everywhere (configs, the CLI, the Train page). torch is imported inside the
# functions below, so the CLI can build its parser from this list without loading torch (~1 s).
CHOICES = ("auto", "cpu", "cuda", "mps")


def mps_available() -> bool:
    import torch

    backend = getattr(torch.backends, "mps", None)
    return bool(backend is not None and backend.is_available())


def pick_device(choice: str = "auto") -> torch.device:
    """The torch device for `choice`: "auto" takes CUDA, then MPS, then CPU.

    An explicit "cuda" or "mps" that this machine lacks is a `ConfigError` (never a silent fallback,
    so a benchmark asked to run on the GPU does not quietly measure the CPU).
    """
    import torch

    choice = (choice or "auto").lower()
    if choice not in CHOICES:
        raise ConfigError(f"Unknown device {choice!r}; choose one of {', '.join(CHOICES)}.")
    if choice == "auto":
        if torch.cuda.is_available():
            return torch.device("cuda")
        if mps_available():
            return torch.device("mps")
        return torch.device("cpu")
    if choice == "cuda" and not torch.cuda.is_available():
        raise ConfigError(
            "device 'cuda' was asked for, but PyTorch sees no CUDA GPU here (no NVIDIA GPU, or a "
            "CPU-only PyTorch build). Use --device auto or cpu."
        )
    if choice == "mps" and not mps_available():
        raise ConfigError(
            "device 'mps' was asked for, but Apple's Metal backend is not available here (it needs "
            "an Apple-silicon Mac and a PyTorch build with MPS). Use --device auto or cpu."
        )
    return torch.device(choice)


def describe(device: torch.device) -> str:
    """A short human name for a device, e.g. 'cuda (NVIDIA H100)' or 'cpu (2 threads)'."""
    import torch

    if device.type == "cuda":
        return f"cuda ({torch.cuda.get_device_name(device)})"
    if device.type == "cpu":
        return f"cpu ({torch.get_num_threads()} threads)"
    return device.type


def cpu_name() -> str:
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def describe_machine() -> str:
    """OS, CPU, cores, Python, torch and its threads, and the load average (a shared machine's
    figures are pessimistic: the load says how much)."""
    import torch

    load = f"{os.getloadavg()[0]:.1f}" if hasattr(os, "getloadavg") else "?"
    return (
        f"{platform.platform()}, {cpu_name()}, {os.cpu_count()} CPUs, Python "
        f"{platform.python_version()}, torch {torch.__version__} ({torch.get_num_threads()} threads), "
        f"load average {load}"
    )
