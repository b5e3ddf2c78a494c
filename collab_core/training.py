"""Training: `fit` (mini-batch Adam or SGD), `lr_find`, progress events and cancellation.

Weight decay is L2 *in the loss*, applied per example to the embedding rows of the batch:

    loss = mean_b (pred_b - r_b)^2 + wd * mean_b (|p_u|^2 + |q_i|^2 + b_u^2 + b_i^2)

This is the lesson's "add the sum of squared weights to the loss" restricted to the rows a batch
uses, which is the objective Surprise's SVD minimises: a user with many ratings is regularised in
proportion to the evidence about them. Decoupled decay (AdamW) would instead shrink every row of an
embedding table at every step, whether or not the batch has seen it, which penalises rare users and
items far more than common ones; on MovieLens the per-example form gives the lower validation error
(see benchmarks/accuracy.py). The neural model's MLP weights get the usual coupled L2 (`wd` too).

The dot model trains through a hand-written fused forward/backward: the bias is stored as one more
column of each factor table, gradients are summed into the unique rows of the batch, and Adam (or SGD
momentum) state is updated only for those rows ("lazy", as in `torch.optim.SparseAdam`). No autograd,
no DataLoader: the whole training set lives on the device as int32/float32 tensors and batches are
slices of one permutation per epoch. Two engines run that same algorithm:

- CPU (the default there): compiled numba kernels (`kernels.py`, `_CompiledDot`). Each batch is one
  compiled call: gather, forward, gradient summed per row in example order, the touched rows' update;
  validation is scored by a compiled kernel too. About 4x the torch engine's throughput on large data
  (the torch ops make ~20 memory-bound passes per batch). Compiled code is cached on disk, so only the
  first run on a machine pays the few seconds of compilation.
- GPU/MPS, or the CPU when numba cannot be imported: torch ops (`_FusedDot`: one gather, `unique`,
  `index_add_` scatter and optimiser update per batch).

Both draw the same permutation from the seed and use the same schedule, so they give the same model up
to float rounding (validation RMSE equal to ~1e-6 on ML-100k). `$COLLAB_EXPLORER_ENGINE` ("auto",
"numba", "torch") picks one for benchmarks and tests. The neural model trains through autograd
(`_Autograd`). All three engines answer the same calls (`_Engine`: step a batch, sync the weights
into the model, score a rating set), so `fit` is one loop whatever trains.

`TrainConfig(model="bayes")` is not trained by descent at all: `fit` hands it to the Gibbs sampler
(`bayes.sample`, on the CPU whatever the device), one sweep per "epoch" event.
"""

from __future__ import annotations

import math
import os
import time
import warnings
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import numpy as np
import pandas as pd
import torch
from torch import Tensor

from . import bayes, kernels
from .config import TrainConfig
from .data import Dataset
from .devices import pick_device
from .errors import ConfigError, TrainingCancelled
from .models import CollabNN, DotProductBias, build_model, default_y_range
from .splits import random_split

PREDICT_CHUNK = 1 << 20
# Below this many values per batch (batch size x embedding width) training uses one CPU thread:
# the gathers and scatters are memory-bound, and on a shared machine OpenMP threads that wait for
# a busy core spin and made epochs 4-10x slower in our measurements. One thread also keeps the
# summation order, hence a seed's result, independent of the machine's load.
PARALLEL_MIN_WORK = 1 << 24
# Which engine trains the dot model on the CPU: "auto" (numba when importable, else torch), "numba"
# or "torch"; `$COLLAB_EXPLORER_ENGINE` overrides it (benchmarks and tests compare the two).
ENGINES = ("auto", "numba", "torch")
# Threads for the compiled row updates and scoring (kernels.py); the result does not depend on it.
# On our 2-core machine 2 threads gave 3.6M ratings/s when it was idle but 0.4M/s when another
# process held a core (threads wait for each other at every batch), so one it is.
KERNEL_THREADS = 1


@dataclass
class TrainEvent:
    """One progress report: `kind` is "batch" (after each batch) or "epoch" (after validation)."""

    kind: str
    epoch: int
    epochs: int
    batch: int
    batches: int
    train_loss: float
    valid_loss: float | None = None
    valid_rmse: float | None = None
    fraction: float = 0.0
    lr: float = 0.0
    message: str = ""  # what an engine without epochs is doing (Spark: its phase, job and stage)


@dataclass
class TrainResult:
    """A trained model (on the CPU, in eval mode) with its per-epoch history and final metrics."""

    model: torch.nn.Module
    history: list[dict]
    metrics: dict
    device: str
    config: TrainConfig  # resolved: every setting as it was trained


@dataclass
class LRFinderResult:
    """The learning-rate sweep: `lrs[k]` was used for the batch whose smoothed loss is `losses[k]`."""

    lrs: list[float]
    losses: list[float]
    suggestion: float


Callback = Callable[[TrainEvent], None]
Cancel = Callable[[], bool]


# ---------------------------------------------------------------------------------------------
# Data on the device


@dataclass
class _Tensors:
    u: Tensor  # int32 [n]
    i: Tensor  # int32 [n]
    r: Tensor  # float32 [n]

    def __len__(self) -> int:
        return len(self.r)


def _encode(dataset: Dataset, ratings: pd.DataFrame, device: torch.device) -> _Tensors:
    u, i, r = dataset.encode(ratings)
    return _Tensors(
        torch.from_numpy(u.astype(np.int32)).to(device),
        torch.from_numpy(i.astype(np.int32)).to(device),
        torch.from_numpy(np.array(r, dtype=np.float32)).to(device),
    )  # a writable copy


def _prepare(dataset: Dataset, config: TrainConfig, train, valid, device):
    if (train is None) != (valid is None):
        raise ConfigError("Give both train and valid ratings, or neither (for a random split).")
    if train is None:
        train, valid = random_split(dataset.ratings, config.valid_frac, config.seed)
    if len(train) == 0:
        raise ConfigError("The training set is empty; there is nothing to learn from.")
    tr = _encode(dataset, train, device)
    va = _encode(dataset, valid, device)
    if bool(((tr.u < 0) | (tr.i < 0)).any()):
        raise ConfigError(
            "The training ratings contain user or item ids that are not in the data "
            "set; build the Dataset from (at least) the training ratings."
        )
    return tr, va


def _batch_size(config: TrainConfig, n: int) -> int:
    """`config.bs`, or all `n` ratings when it is 0 (full batch) or at least `n`."""
    return n if config.bs == 0 or config.bs >= n else config.bs


def _seen(idx: Tensor, n: int) -> Tensor:
    seen = torch.zeros(n, dtype=torch.bool, device=idx.device)
    seen[idx.long()] = True
    return seen


# ---------------------------------------------------------------------------------------------
# Schedules


def _schedule(config: TrainConfig, total_steps: int) -> Callable[[int], tuple[float, float]]:
    """step -> (learning rate, momentum / Adam beta1)."""
    lr, mom = config.lr, config.momentum
    total = max(1, total_steps)

    def cos(a: float, b: float, p: float) -> float:
        return b + (a - b) * (1 + math.cos(math.pi * p)) / 2

    if config.schedule == "constant":
        return lambda step: (lr, mom)
    if config.schedule == "one_cycle":
        # fastai's fit_one_cycle: warm up for 25% from lr/25, anneal to lr/1e5; momentum the reverse.
        warm = max(1, int(0.25 * total))
        hi_m, lo_m = max(mom, 0.95) if mom > 0 else 0.0, min(mom, 0.85)

        def one_cycle(step: int) -> tuple[float, float]:
            if step < warm:
                p = step / warm
                return cos(lr / 25, lr, p), cos(hi_m, lo_m, p)
            p = (step - warm) / max(1, total - warm)
            return cos(lr, lr / 1e5, p), cos(lo_m, hi_m, p)

        return one_cycle

    # SGDR: cosine from lr to ~0, restarting; each cycle twice the previous one (T_mult = 2).
    n_cycles = max(1, min(4, config.epochs // 2))
    first = total / (2**n_cycles - 1)

    def restarts(step: int) -> tuple[float, float]:
        start, length = 0.0, first
        while step >= start + length and length < total:
            start, length = start + length, length * 2
        return cos(lr, lr / 1e4, min(1.0, (step - start) / length)), mom

    return restarts


# ---------------------------------------------------------------------------------------------
# Evaluation helpers


@torch.no_grad()
def predict_tensors(model: torch.nn.Module, u: Tensor, i: Tensor) -> Tensor:
    """`model.predict` in chunks (so 5M validation ratings do not need 5M-row activations)."""
    out = [
        model.predict(u[s : s + PREDICT_CHUNK], i[s : s + PREDICT_CHUNK])
        for s in range(0, len(u), PREDICT_CHUNK)
    ]
    return torch.cat(out) if out else torch.zeros(0)


def _score(model: torch.nn.Module, data: _Tensors) -> tuple[float, float]:
    """(MSE, MAE) of the model on `data`."""
    if len(data) == 0:
        return float("nan"), float("nan")
    model.eval()
    err = predict_tensors(model, data.u, data.i) - data.r.cpu()
    return float(err.double().square().mean()), float(err.double().abs().mean())


# ---------------------------------------------------------------------------------------------
# Engines: each trains one model on the training ratings, one batch per call


class _Engine:
    """What `fit` and `lr_find` ask of every engine; this base scores through `model.predict`.

    - `step(batch, lr, mom)`: one optimiser step on the training ratings at indices `batch`
      (int64, on the data's device); returns their mean squared error.
    - `sync()`: put the engine's current weights into the model.
    - `score(data)`: (MSE, MAE) of the synced weights on a rating set, as `model.predict` gives.
    """

    def __init__(self, model: torch.nn.Module, data: _Tensors):
        self.model, self.data = model, data

    def step(self, batch: Tensor, lr: float, mom: float) -> float:
        raise NotImplementedError

    def sync(self) -> None:
        pass

    def score(self, data: _Tensors) -> tuple[float, float]:
        return _score(self.model, data)


def _adam_or_momentum(m: Tensor, v: Tensor | None, grad: Tensor, t: int, mom: float) -> Tensor:
    """Update the moments in place with `grad`: Adam (beta1 = `mom`) at step `t`, or SGD momentum
    when `v` is None. Returns the update direction, which the caller applies times -lr."""
    if v is None:
        return m.mul_(mom).add_(grad)
    b1, b2 = mom, 0.99
    m.mul_(b1).add_(grad, alpha=1 - b1)
    v.mul_(b2).addcmul_(grad, grad, value=1 - b2)
    return (m / (1 - b1**t)).div_((v / (1 - b2**t)).sqrt_().add_(1e-8))


class _DotTable(_Engine):
    """A `DotProductBias` as the engines train it: users and items in one table, the bias as its
    last column (`table` [n_users + n_items, k + 1]), and the global bias `g` [1], so a batch's
    rows are one gather and one update instead of four of each."""

    def __init__(self, model: DotProductBias, data: _Tensors):
        super().__init__(model, data)
        self.k, self.n_users = model.n_factors, model.n_users
        with torch.no_grad():
            users = torch.cat([model.u_weight.weight, model.u_bias.weight], 1)
            items = torch.cat([model.i_weight.weight, model.i_bias.weight], 1)
            self.table = torch.cat([users, items])
            self.g = model.global_bias.detach().clone()

    @torch.no_grad()
    def sync(self) -> None:
        k, nu, mdl = self.k, self.n_users, self.model
        mdl.u_weight.weight.copy_(self.table[:nu, :k])
        mdl.u_bias.weight.copy_(self.table[:nu, k:])
        mdl.i_weight.weight.copy_(self.table[nu:, :k])
        mdl.i_bias.weight.copy_(self.table[nu:, k:])
        mdl.global_bias.copy_(self.g)


class _FusedDot(_DotTable):
    """The dot model in torch ops, forward and backward written out (no autograd), with lazy
    Adam/SGD: a batch costs one gather, one `unique`, one scatter and one optimiser update.

    The forward pass is `DotProductBias.logits` and `sigmoid_range` on the table's rows, op for op
    (so the same numbers); it is written here because the backward needs its intermediate values
    and the batch's rows, which it reads once for both.
    """

    def __init__(self, model: DotProductBias, config: TrainConfig, data: _Tensors):
        super().__init__(model, data)
        self.wd, (self.lo, self.hi) = config.wd, model.y_range
        adam = config.optimizer == "adam"
        self.m, self.g_m = torch.zeros_like(self.table), torch.zeros_like(self.g)
        self.v = torch.zeros_like(self.table) if adam else None
        self.g_v = torch.zeros_like(self.g) if adam else None
        self.t = 0

    def step(self, batch: Tensor, lr: float, mom: float) -> float:
        u, i, r = self.data.u[batch].long(), self.data.i[batch].long(), self.data.r[batch]
        k, n = self.k, len(r)
        idx = torch.cat([u, i + self.n_users])  # [2B]: the batch's user rows, then its item rows
        rows, inv = torch.unique(idx, return_inverse=True)
        both = self.table.index_select(0, idx)  # [2B, k+1]
        pu, qi = both[:n], both[n:]
        x = (pu[:, :k] * qi[:, :k]).sum(1) + pu[:, k] + qi[:, k] + self.g
        s = torch.sigmoid(x)
        err = s * (self.hi - self.lo) + self.lo - r
        loss = float(err.square().mean())
        # d loss / d x for the mean squared error through sigmoid_range.
        dx = err * s * (1 - s) * (2 * (self.hi - self.lo) / n)
        grad = both * (2 * self.wd / n)  # the per-example L2 term, bias column included
        grad[:n, :k].addcmul_(qi[:, :k], dx[:, None])
        grad[n:, :k].addcmul_(pu[:, :k], dx[:, None])
        grad[:n, k].add_(dx)
        grad[n:, k].add_(dx)
        summed = torch.zeros(len(rows), k + 1, device=grad.device).index_add_(0, inv, grad)
        self.t += 1
        # Lazy: only the rows the batch touched get their moments and weights updated.
        m = self.m.index_select(0, rows)
        v = None if self.v is None else self.v.index_select(0, rows)
        upd = _adam_or_momentum(m, v, summed, self.t, mom)
        self.m.index_copy_(0, rows, m)
        if v is not None:
            self.v.index_copy_(0, rows, v)
        self.table.index_add_(0, rows, upd, alpha=-lr)
        self.g.sub_(lr * _adam_or_momentum(self.g_m, self.g_v, dx.sum().reshape(1), self.t, mom))
        return loss


class _CompiledDot(_DotTable):
    """The same algorithm as `_FusedDot` in numba kernels (`kernels.DotKernel`), on the CPU: a
    batch is one compiled call on numpy views of the training tensors, and validation is scored by
    a compiled kernel too."""

    def __init__(self, model: DotProductBias, config: TrainConfig, data: _Tensors):
        super().__init__(model, data)
        self.kernel = kernels.DotKernel(
            self.table.numpy(),
            self.g.numpy(),
            model.n_users,
            model.y_range,
            config.wd,
            config.optimizer == "adam",
            _batch_size(config, len(data)),
            threads=KERNEL_THREADS,
        )
        # The kernel's own arrays, seen as tensors (shared memory): what `sync` copies.
        self.table, self.g = torch.from_numpy(self.kernel.table), torch.from_numpy(self.kernel.g)
        self.u, self.i, self.r = data.u.numpy(), data.i.numpy(), data.r.numpy()

    def step(self, batch: Tensor, lr: float, mom: float) -> float:
        return self.kernel.step(self.u, self.i, self.r, batch.numpy(), lr, mom)

    def score(self, data: _Tensors) -> tuple[float, float]:
        seen = self.model.user_seen.numpy(), self.model.item_seen.numpy()
        return self.kernel.score(data.u.numpy(), data.i.numpy(), data.r.numpy(), *seen)


class _Autograd(_Engine):
    """A plain autograd step (the neural model): per-example L2 on the batch's embedding rows."""

    def __init__(
        self,
        model: torch.nn.Module,
        config: TrainConfig,
        data: _Tensors,
        total_steps: int = 0,
    ):
        super().__init__(model, data)
        self.wd = config.wd
        # Weight averaging (SWA, `TrainConfig.nn_swa_start`): from step `avg_from` on, keep the
        # equal-weight mean of every float tensor in the state (parameters and BatchNorm running
        # statistics). Validation stopped improving once the one-cycle LR annealed; the average of
        # the late weights generalises better than the last ones. total_steps=0 (the LR finder)
        # never averages.
        self.avg_from = config.nn_swa_start * total_steps if total_steps else math.inf
        self.n_steps, self.n_avg = 0, 0
        self.avg: dict[str, Tensor] = {}
        self.raw: dict[str, Tensor] | None = None
        # Every embedding (factors, and the learned biases when `nn_bias`) gets the per-example L2.
        self.user_embs = [
            e for e in (model.u_weight, getattr(model, "u_bias", None)) if e is not None
        ]
        self.item_embs = [
            e for e in (model.i_weight, getattr(model, "i_bias", None)) if e is not None
        ]
        emb = [e.weight for e in self.user_embs + self.item_embs]
        rest = [p for p in model.parameters() if all(p is not e for e in emb)]
        # MLP weights (not biases or BatchNorm) get coupled L2 through the optimizer.
        decay = [p for p in rest if p.ndim > 1]
        no_decay = [p for p in rest if p.ndim <= 1]
        groups = [
            {"params": emb, "weight_decay": 0.0},
            {"params": decay, "weight_decay": config.wd},
            {"params": no_decay, "weight_decay": 0.0},
        ]
        if config.optimizer == "adam":
            self.opt = torch.optim.Adam(groups, lr=config.lr, betas=(config.momentum, 0.99))
        else:
            self.opt = torch.optim.SGD(groups, lr=config.lr, momentum=config.momentum)
        self.adam = config.optimizer == "adam"

    def step(self, batch: Tensor, lr: float, mom: float) -> float:
        u, i, r = self.data.u[batch].long(), self.data.i[batch].long(), self.data.r[batch]
        for group in self.opt.param_groups:
            group["lr"] = lr
            if self.adam:
                group["betas"] = (mom, group["betas"][1])
            else:
                group["momentum"] = mom
        m = self.model
        if self.raw is not None:  # `sync` left the averaged weights in; train the raw ones
            m.load_state_dict(self.raw)
            self.raw = None
        pred = m(u, i)
        mse = torch.nn.functional.mse_loss(pred, r)
        reg = sum(e(u).square().sum(1).mean() for e in self.user_embs)
        reg = reg + sum(e(i).square().sum(1).mean() for e in self.item_embs)
        self.opt.zero_grad(set_to_none=True)
        (mse + self.wd * reg).backward()
        self.opt.step()
        self.n_steps += 1
        if self.n_steps >= self.avg_from:
            self._average()
        return mse.item()

    @torch.no_grad()
    def _average(self) -> None:
        self.n_avg += 1
        for k, v in self.model.state_dict().items():
            if not v.dtype.is_floating_point:
                continue
            if self.n_avg == 1:
                self.avg[k] = v.detach().clone()
            else:
                self.avg[k].lerp_(v.detach(), 1.0 / self.n_avg)

    def sync(self) -> None:
        """Put the averaged weights (once there are any) into the model, for scoring or return."""
        if self.avg and self.raw is None:
            state = self.model.state_dict()
            self.raw = {k: v.clone() for k, v in state.items()}
            self.model.load_state_dict({**state, **self.avg})


def _engine(
    model: torch.nn.Module,
    config: TrainConfig,
    data: _Tensors,
    total_steps: int = 0,
    choice: str = "auto",
) -> _Engine:
    """The engine that trains `model` on `data`: the numba kernels for the dot model on the CPU
    (unless `choice` is "torch", or they cannot run here: then with a warning, or for "numba" an
    error), the fused torch ops for it elsewhere, autograd for any other model."""
    if choice not in ENGINES:
        raise ConfigError(f"engine must be one of {ENGINES}, not {choice!r}.")
    if not isinstance(model, DotProductBias):
        return _Autograd(model, config, data, total_steps)
    if choice != "torch" and data.r.device.type == "cpu":
        why = kernels.failure(KERNEL_THREADS)
        if why is None:
            return _CompiledDot(model, config, data)
        if choice == "numba":
            raise ConfigError(f"engine='numba' cannot run here ({why}); use engine='torch'.")
        warnings.warn(
            f"The compiled dot-model engine cannot run here ({why}); training with PyTorch "
            "instead (slower). Set COLLAB_EXPLORER_ENGINE=torch to skip this check.",
            RuntimeWarning,
            stacklevel=3,
        )
    return _FusedDot(model, config, data)


# ---------------------------------------------------------------------------------------------
# fit


def _fresh_model(config: TrainConfig, dataset: Dataset, tr: _Tensors, device: torch.device):
    y_range = default_y_range(dataset.ratings["rating"].to_numpy())
    mean = float(tr.r.double().mean())
    torch.manual_seed(config.seed)  # the same initial weights on every device
    model = build_model(config, dataset.n_users, dataset.n_items, y_range, global_mean=mean)
    model.user_seen.copy_(_seen(tr.u, dataset.n_users).cpu())
    model.item_seen.copy_(_seen(tr.i, dataset.n_items).cpu())
    return model.to(device)


@torch.no_grad()
def _continued(start, config: TrainConfig, dataset: Dataset, tr: _Tensors, device: torch.device):
    """A fresh model for `dataset` holding `start`'s weights: same-shaped tensors are copied, and
    per-user and per-item tables into their first rows (the rest keep the fresh start)."""
    if not isinstance(start, (DotProductBias, CollabNN)):
        raise ConfigError(
            "Only the models trained here (dot product or neural) can be trained further; this "
            "one's factors were trained elsewhere and stay as they are."
        )
    model = _fresh_model(config, dataset, tr, device)
    if type(model) is not type(start) or model.y_range != start.y_range:
        raise ConfigError(
            f"Cannot train a {type(start).__name__} on (rating range {start.y_range}) with "
            f"settings for a {type(model).__name__} (range {model.y_range}); pass the settings "
            "it was trained with."
        )
    fresh = model.state_dict()
    for name, w in start.state_dict().items():
        if name in ("user_seen", "item_seen"):  # what this training set covers, from `tr`
            continue
        into, w = fresh[name], w.to(device)
        if into.shape == w.shape:
            into.copy_(w)
        elif into.ndim and into.shape[1:] == w.shape[1:] and len(into) >= len(w):
            into[: len(w)].copy_(w)  # the users (items) `start` knows come first
        else:
            raise ConfigError(
                f"The model's {name} is {tuple(w.shape)} but these settings make it "
                f"{tuple(into.shape)}; pass the settings the model was trained with."
            )
    return model


@contextmanager
def _cpu_threads(device: torch.device, work: int) -> Iterator[None]:
    """Use one thread for small batches on the CPU (restored afterwards)."""
    old = torch.get_num_threads()
    if device.type == "cpu" and work < PARALLEL_MIN_WORK and old > 1:
        torch.set_num_threads(1)
    try:
        yield
    finally:
        if torch.get_num_threads() != old:
            torch.set_num_threads(old)


def _width(model: torch.nn.Module) -> int:
    return sum(m.embedding_dim for m in model.modules() if isinstance(m, torch.nn.Embedding))


def fit(
    dataset: Dataset,
    config: TrainConfig | None = None,
    *,
    train: pd.DataFrame | None = None,
    valid: pd.DataFrame | None = None,
    callback: Callback | None = None,
    cancel: Cancel | None = None,
    start: torch.nn.Module | None = None,
) -> TrainResult:
    """Train `config`'s model on `dataset` and report validation loss every epoch.

    With `train`/`valid` None the ratings are split with `random_split(valid_frac, seed)`. The same
    seed on the same device gives the same model. `callback` gets a `TrainEvent` after every batch
    and every epoch; `cancel()` returning True stops between two batches with `TrainingCancelled`.
    The returned model is on the CPU in eval mode whatever device trained it.

    `start` (a warm start) trains on from that model's weights instead of fresh ones (a new
    optimiser and schedule; `start` itself is left as it was). `dataset` may have more users or
    items than `start`, appended after its own (new ids sorting last); theirs start as a fresh
    model's rows. `config` must describe `start`'s architecture (e.g. its stored config).
    """
    config = (config or TrainConfig()).resolved()
    sampled = config.model == "bayes"
    device = torch.device("cpu") if sampled else pick_device(config.device)
    tr, va = _prepare(dataset, config, train, valid, device)
    if start is None:
        model = _fresh_model(config, dataset, tr, device)
    else:
        model = _continued(start, config, dataset, tr, device)
    start = time.perf_counter()
    if sampled:
        history = _fit_bayes(model, config, dataset, tr, va, callback, cancel)
    else:
        with _cpu_threads(device, _batch_size(config, len(tr)) * _width(model)):
            history = _fit_sgd(model, config, tr, va, callback, cancel)
    model = model.cpu().eval()
    if isinstance(model, CollabNN):
        model.calibrate(seed=config.seed)
    seconds = time.perf_counter() - start
    last = history[-1]
    metrics = {
        "valid_rmse": last["valid_rmse"],
        "valid_mae": last["valid_mae"],
        "train_seconds": round(seconds, 4),
        "n_train": len(tr),
        "n_valid": len(va),
    }
    return TrainResult(
        model=model, history=history, metrics=metrics, device=str(device), config=config
    )


def _fit_bayes(model, config, dataset: Dataset, tr: _Tensors, va: _Tensors, callback, cancel):
    """Gibbs sampling (`bayes.sample`); each sweep is reported as an "epoch" event."""

    def on_sweep(row: dict) -> None:
        if callback is not None:
            sweep, sweeps = row["epoch"], config.epochs
            callback(
                TrainEvent(
                    "epoch",
                    sweep,
                    sweeps,
                    0,
                    1,
                    row["train_loss"],
                    row["valid_loss"],
                    row["valid_rmse"],
                    fraction=(sweep + 1) / sweeps,
                )
            )

    data = [(t.u.numpy(), t.i.numpy(), t.r.numpy()) for t in (tr, va)]
    return bayes.sample(model, config, *data, dataset.rating_scale, on_sweep, cancel)


def _fit_sgd(
    model, config: TrainConfig, tr: _Tensors, va: _Tensors, callback, cancel
) -> list[dict]:
    """The loop: `config.epochs` passes over `tr` in shuffled batches, then `va`'s score."""
    device = tr.r.device
    n = len(tr)
    bs = _batch_size(config, n)
    batches = math.ceil(n / bs)
    epochs = config.epochs
    sched = _schedule(config, epochs * batches)
    choice = os.environ.get("COLLAB_EXPLORER_ENGINE", "auto")
    engine = _engine(model, config, tr, epochs * batches, choice)
    gen = torch.Generator(device=device).manual_seed(config.seed)
    history: list[dict] = []
    step = 0
    for epoch in range(epochs):
        model.train()
        # A new order every epoch; a single full batch keeps the data's order (and draws nothing).
        if batches > 1:
            order = torch.randperm(n, generator=gen, device=device)
        else:
            order = torch.arange(n, device=device)
        total, t0 = 0.0, time.perf_counter()
        for b in range(batches):
            if cancel is not None and cancel():
                raise TrainingCancelled(f"Training was cancelled in epoch {epoch + 1} of {epochs}.")
            lr, mom = sched(step)
            batch = order[b * bs : (b + 1) * bs]
            loss = engine.step(batch, lr, mom)
            if not math.isfinite(loss):
                raise ConfigError(
                    f"Training diverged (loss {loss}) in epoch {epoch + 1}; lower the "
                    f"learning rate (now {config.lr:g}) or use the LR finder."
                )
            total += loss * len(batch)
            step += 1
            if callback is not None:
                callback(
                    TrainEvent(
                        "batch",
                        epoch,
                        epochs,
                        b,
                        batches,
                        loss,
                        fraction=step / (epochs * batches),
                        lr=lr,
                    )
                )
        engine.sync()
        mse, mae = engine.score(va)
        train_loss = total / n
        history.append(
            {
                "epoch": epoch,
                "train_loss": train_loss,
                "valid_loss": mse,
                "valid_rmse": math.sqrt(mse),
                "valid_mae": mae,
                "seconds": time.perf_counter() - t0,
            }
        )
        if callback is not None:
            callback(
                TrainEvent(
                    "epoch",
                    epoch,
                    epochs,
                    batches - 1,
                    batches,
                    train_loss,
                    mse,
                    math.sqrt(mse),
                    fraction=(epoch + 1) / epochs,
                    lr=lr,
                )
            )
    return history


# ---------------------------------------------------------------------------------------------
# LR finder


def _valley(losses: list[float]) -> int:
    """fastai's "valley" rule: the middle-ish of the longest steadily falling stretch of the curve."""
    n = len(losses)
    lds, max_start, max_end = [1] * n, 0, 0
    for i in range(1, n):
        for j in range(i):
            if losses[i] < losses[j] and lds[i] < lds[j] + 1:
                lds[i] = lds[j] + 1
            if lds[max_end] < lds[i]:
                max_end, max_start = i, i - lds[i]
    sections = (max_end - max_start) / 3
    return min(n - 1, max(0, max_start + int(sections) + int(sections / 2)))


def lr_find(
    dataset: Dataset,
    config: TrainConfig | None = None,
    *,
    start_lr: float = 1e-6,
    end_lr: float = 10.0,
    num_it: int = 100,
    train: pd.DataFrame | None = None,
    callback: Callback | None = None,
    cancel: Cancel | None = None,
) -> LRFinderResult:
    """Sweep the learning rate exponentially over `num_it` batches of a fresh model (fastai's way).

    The loss is smoothed (exponential moving average, debiased) and the sweep stops early once it
    exceeds four times its minimum. The suggestion is fastai's "valley": a point in the longest
    falling stretch of the curve, so it always lies inside the sweep.
    """
    config = (config or TrainConfig()).resolved()
    if config.model == "bayes":
        raise ConfigError(
            "The Bayesian model has no learning rate: it draws samples (Gibbs sampling), it does "
            "not descend a gradient. The finder is for the dot and neural models."
        )
    if not 0 < start_lr < end_lr:
        raise ConfigError(f"lr_find needs 0 < start_lr < end_lr (got {start_lr}, {end_lr}).")
    if num_it < 5:
        raise ConfigError(f"lr_find needs at least 5 iterations, not {num_it}.")
    device = pick_device(config.device)
    if train is None:
        train, _ = random_split(dataset.ratings, config.valid_frac, config.seed)
    tr = _encode(dataset, train, device)
    model = _fresh_model(config, dataset, tr, device)
    model.train()
    # The torch engines, as before the compiled one existed: a hundred batches are quick anyway,
    # and the curve (hence the suggestion) stays what it was.
    engine = _engine(model, config, tr, choice="torch")
    n = len(tr)
    bs = _batch_size(config, n)
    gen = torch.Generator(device=device).manual_seed(config.seed)
    perm, pos = torch.randperm(n, generator=gen, device=device), 0
    with _cpu_threads(device, bs * _width(model)):
        lrs, losses, avg, best = [], [], 0.0, float("inf")
        for it in range(num_it):
            if cancel is not None and cancel():
                raise TrainingCancelled("The learning-rate finder was cancelled.")
            lr = start_lr * (end_lr / start_lr) ** (it / (num_it - 1))
            if pos + bs > n and bs < n:
                perm, pos = torch.randperm(n, generator=gen, device=device), 0
            idx = perm[pos : pos + bs]
            pos += bs
            loss = engine.step(idx, lr, config.momentum)
            if not math.isfinite(loss):
                break
            avg = 0.98 * avg + 0.02 * loss
            smooth = avg / (1 - 0.98 ** (it + 1))
            lrs.append(lr)
            losses.append(smooth)
            best = min(best, smooth)
            if callback is not None:
                callback(
                    TrainEvent("batch", 0, 1, it, num_it, loss, fraction=(it + 1) / num_it, lr=lr)
                )
            if smooth > 4 * best and it > 2:
                break
    if len(lrs) < 3:
        raise ConfigError("The learning-rate sweep diverged at once; lower start_lr.")
    return LRFinderResult(lrs=lrs, losses=losses, suggestion=lrs[_valley(losses)])
