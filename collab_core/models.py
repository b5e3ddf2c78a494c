"""The two models of the lesson: `DotProductBias` and `CollabNN`, and `build_model` for a config."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import numpy as np
import torch
from torch import Tensor, nn

from .errors import ConfigError

if TYPE_CHECKING:
    from .config import TrainConfig

# ---------------------------------------------------------------------------------------------
# Output range


def sigmoid_range(x: Tensor, lo: float, hi: float) -> Tensor:
    """Squash `x` into (lo, hi) with a sigmoid, as in the lesson."""
    return torch.sigmoid(x) * (hi - lo) + lo


def logit_range(y: float, lo: float, hi: float) -> float:
    """The inverse of `sigmoid_range` for one value (clipped a little inside the range)."""
    p = min(max((y - lo) / (hi - lo), 1e-4), 1 - 1e-4)
    return math.log(p / (1 - p))


def default_y_range(ratings) -> tuple[float, float]:
    """The output range for a rating scale: (lo - step, hi + step / 2), e.g. (0, 5.5) for 1-5 stars.

    `step` is the scale's granularity (1 for 1-5, 0.5 for 0.5-5 -> (0, 5.25)). Going a little past
    the top lets the sigmoid reach 5 stars, which it only approaches asymptotically (fastai's idea).
    """
    r = np.asarray(ratings, dtype=np.float64)
    if r.size == 0:
        raise ConfigError("Cannot derive a rating range from no ratings.")
    lo, hi = float(r.min()), float(r.max())
    if hi <= lo:
        raise ConfigError(f"Every rating is {lo:g}; a model needs at least two different values.")
    values = np.unique(r[:1_000_000])  # the scale shows in any large sample
    gaps = np.diff(values)
    step = float(gaps.min()) if len(values) <= 100 else (hi - lo) / 10  # continuous scores
    step = min(max(step, (hi - lo) / 100), hi - lo)
    return (lo - step, hi + step / 2)


def emb_size_rule(n: int) -> int:
    """fastai's rule of thumb for an embedding's size given `n` categories."""
    return min(600, round(1.6 * n**0.56))


def _known(idx: Tensor, seen: Tensor) -> tuple[Tensor, Tensor]:
    """(mask of usable indices, indices with unusable ones replaced by 0)."""
    idx = idx.long()
    ok = (idx >= 0) & (idx < len(seen))
    safe = torch.where(ok, idx, torch.zeros_like(idx))
    return ok & seen[safe], safe


# ---------------------------------------------------------------------------------------------
# Models


class DotProductBias(nn.Module):
    """Dot product of user and item factors plus user, item and global biases, in `y_range`.

    prediction = sigmoid_range(u_weight[u] · i_weight[i] + u_bias[u] + i_bias[i] + global_bias)

    Unlike the lesson's model this one has a learned `global_bias`, started at the logit of the
    mean training rating, so an unseen user (or item) is predicted as "global mean + item bias"
    (or "+ user bias"), and a pair where neither is known as the global mean (see `predict`).
    """

    def __init__(
        self,
        n_users: int,
        n_items: int,
        n_factors: int,
        y_range: tuple[float, float] = (0.0, 5.5),
        global_mean: float | None = None,
    ):
        super().__init__()
        self.n_users, self.n_items, self.n_factors = n_users, n_items, n_factors
        self.y_range = (float(y_range[0]), float(y_range[1]))
        self.u_weight = nn.Embedding(n_users, n_factors)
        self.i_weight = nn.Embedding(n_items, n_factors)
        self.u_bias = nn.Embedding(n_users, 1)
        self.i_bias = nn.Embedding(n_items, 1)
        mid = (self.y_range[0] + self.y_range[1]) / 2
        g = logit_range(global_mean if global_mean is not None else mid, *self.y_range)
        self.global_bias = nn.Parameter(torch.tensor([g]))
        # Small random factors (fastai uses std 0.01); zero biases so training starts at the mean.
        nn.init.normal_(self.u_weight.weight, std=0.01)
        nn.init.normal_(self.i_weight.weight, std=0.01)
        nn.init.zeros_(self.u_bias.weight)
        nn.init.zeros_(self.i_bias.weight)
        self.register_buffer("user_seen", torch.ones(n_users, dtype=torch.bool))
        self.register_buffer("item_seen", torch.ones(n_items, dtype=torch.bool))

    def logits(self, users: Tensor, items: Tensor) -> Tensor:
        """The value before `sigmoid_range`, for known indices: [B]."""
        dot = (self.u_weight(users) * self.i_weight(items)).sum(1)
        return dot + self.u_bias(users)[:, 0] + self.i_bias(items)[:, 0] + self.global_bias

    def forward(self, users: Tensor, items: Tensor) -> Tensor:
        return sigmoid_range(self.logits(users, items), *self.y_range)

    @torch.no_grad()
    def predict(self, users, items) -> Tensor:
        """Ratings for (user, item) index pairs; -1 or unseen-in-training indices fall back.

        An unknown user contributes neither factors nor bias (likewise an unknown item), so the
        prediction is sigmoid_range(global_bias + whatever bias is known).
        """
        users, items = torch.as_tensor(users), torch.as_tensor(items)
        dev = self.global_bias.device
        uk, u = _known(users.to(dev), self.user_seen)
        ik, i = _known(items.to(dev), self.item_seen)
        uf = self.u_weight(u) * uk[:, None]
        itf = self.i_weight(i) * ik[:, None]
        x = (uf * itf).sum(1) + self.u_bias(u)[:, 0] * uk + self.i_bias(i)[:, 0] * ik
        return sigmoid_range(x + self.global_bias, *self.y_range).cpu()

    def user_factors(self) -> Tensor:
        return self.u_weight.weight.detach().cpu()

    def item_factors(self) -> Tensor:
        return self.i_weight.weight.detach().cpu()

    def user_bias(self) -> Tensor:
        return self.u_bias.weight.detach()[:, 0].cpu()

    def item_bias(self) -> Tensor:
        return self.i_bias.weight.detach()[:, 0].cpu()


class CollabNN(nn.Module):
    """The lesson's neural model: concatenated user and item embeddings through an MLP.

    Embeddings have their own sizes (fastai's rule `min(600, round(1.6 * n ** 0.56))` unless
    overridden); dropout on the embeddings and after each hidden ReLU, optional BatchNorm.

    With `bias=True` (`TrainConfig.nn_bias`) learned user and item biases are added to the MLP's
    output before `sigmoid_range`. Either way `user_bias()` / `item_bias()` are *effective* biases
    (the learned bias, if any, plus the MLP's average contribution for that user or item),
    measured after training by `calibrate()`: an item's bias is its mean logit over a sample of
    seen users, minus the overall mean logit `global_logit` (users likewise, over a sample of seen
    items). `predict` falls back to sigmoid_range(global_logit + whatever effective bias is known).
    """

    def __init__(
        self,
        n_users: int,
        n_items: int,
        emb_sizes: tuple[int, int],
        layers: tuple[int, ...] = (100, 50),
        y_range: tuple[float, float] = (0.0, 5.5),
        dropout: float = 0.2,
        emb_dropout: float = 0.05,
        batchnorm: bool = True,
        global_mean: float | None = None,
        bias: bool = False,
    ):
        super().__init__()
        self.n_users, self.n_items = n_users, n_items
        self.y_range = (float(y_range[0]), float(y_range[1]))
        self.u_weight = nn.Embedding(n_users, emb_sizes[0])
        self.i_weight = nn.Embedding(n_items, emb_sizes[1])
        nn.init.normal_(self.u_weight.weight, std=0.01)
        nn.init.normal_(self.i_weight.weight, std=0.01)
        # Learned biases (zero at the start): the MLP then only has to learn the interaction, which
        # is what most of the dot model's edge over a plain MLP comes from.
        self.u_bias = nn.Embedding(n_users, 1) if bias else None
        self.i_bias = nn.Embedding(n_items, 1) if bias else None
        if bias:
            nn.init.zeros_(self.u_bias.weight)
            nn.init.zeros_(self.i_bias.weight)
        self.emb_drop = nn.Dropout(emb_dropout)
        blocks: list[nn.Module] = []
        n_in = sum(emb_sizes)
        for n_out in layers:
            blocks += [nn.Linear(n_in, n_out, bias=not batchnorm)]
            if batchnorm:
                blocks += [nn.BatchNorm1d(n_out)]
            blocks += [nn.ReLU(), nn.Dropout(dropout)]
            n_in = n_out
        blocks += [nn.Linear(n_in, 1)]
        self.mlp = nn.Sequential(*blocks)
        nn.init.zeros_(blocks[-1].weight)  # start at the global mean, like the dot model
        mid = (self.y_range[0] + self.y_range[1]) / 2
        g = logit_range(global_mean if global_mean is not None else mid, *self.y_range)
        self.global_bias = nn.Parameter(torch.tensor([g]))
        self.register_buffer("user_seen", torch.ones(n_users, dtype=torch.bool))
        self.register_buffer("item_seen", torch.ones(n_items, dtype=torch.bool))
        self.register_buffer("eff_user_bias", torch.zeros(n_users))
        self.register_buffer("eff_item_bias", torch.zeros(n_items))
        self.register_buffer("global_logit", torch.tensor([g]))

    def logits(self, users: Tensor, items: Tensor) -> Tensor:
        x = torch.cat([self.u_weight(users), self.i_weight(items)], dim=1)  # [B, du + di]
        out = self.mlp(self.emb_drop(x))[:, 0] + self.global_bias
        if self.u_bias is not None:
            out = out + self.u_bias(users)[:, 0] + self.i_bias(items)[:, 0]
        return out

    def forward(self, users: Tensor, items: Tensor) -> Tensor:
        return sigmoid_range(self.logits(users, items), *self.y_range)

    @torch.no_grad()
    def calibrate(self, n_sample: int = 256, seed: int = 0, chunk: int = 1 << 16) -> None:
        """Measure the effective biases and `global_logit` (called by `fit` after training)."""
        was_training = self.training
        self.eval()
        dev = self.global_bias.device
        g = torch.Generator().manual_seed(seed)

        def sample(seen: Tensor) -> Tensor:
            idx = torch.nonzero(seen.cpu())[:, 0]
            if len(idx) > n_sample:
                idx = idx[torch.randperm(len(idx), generator=g)[:n_sample]]
            return idx.to(dev)

        def mean_logit(rows: Tensor, others: Tensor, rows_are_users: bool) -> Tensor:
            out = torch.empty(len(rows), device=dev)
            step = max(1, chunk // max(1, len(others)))
            for s in range(0, len(rows), step):
                r = rows[s : s + step]
                rr = r.repeat_interleave(len(others))
                oo = others.repeat(len(r))
                x = self.logits(rr, oo) if rows_are_users else self.logits(oo, rr)
                out[s : s + step] = x.view(len(r), len(others)).mean(1)
            return out

        users_s, items_s = sample(self.user_seen), sample(self.item_seen)
        if len(users_s) and len(items_s):
            item_mean = mean_logit(torch.arange(self.n_items, device=dev), users_s, False)
            user_mean = mean_logit(torch.arange(self.n_users, device=dev), items_s, True)
            glob = item_mean[self.item_seen].mean()
            self.global_logit.copy_(glob.reshape(1))
            self.eff_item_bias.copy_(torch.where(self.item_seen, item_mean - glob, 0.0))
            self.eff_user_bias.copy_(torch.where(self.user_seen, user_mean - glob, 0.0))
        self.train(was_training)

    @torch.no_grad()
    def predict(self, users, items) -> Tensor:
        """Ratings for (user, item) index pairs; -1 or unseen-in-training indices fall back.

        Known pairs go through the network; a pair with an unknown side gets
        sigmoid_range(global_logit + the known side's effective bias) (both unknown: the global).
        """
        users, items = torch.as_tensor(users), torch.as_tensor(items)
        dev = self.global_bias.device
        uk, u = _known(users.to(dev), self.user_seen)
        ik, i = _known(items.to(dev), self.item_seen)
        fallback = self.global_logit + self.eff_user_bias[u] * uk + self.eff_item_bias[i] * ik
        x = torch.where(uk & ik, self.logits(u, i), fallback)
        return sigmoid_range(x, *self.y_range).cpu()

    def user_factors(self) -> Tensor:
        return self.u_weight.weight.detach().cpu()

    def item_factors(self) -> Tensor:
        return self.i_weight.weight.detach().cpu()

    def user_bias(self) -> Tensor:
        return self.eff_user_bias.detach().cpu()

    def item_bias(self) -> Tensor:
        return self.eff_item_bias.detach().cpu()


def nn_emb_sizes(config: TrainConfig, n_users: int, n_items: int) -> tuple[int, int]:
    """The (user, item) embedding sizes a `CollabNN` gets under `config`."""
    if config.nn_emb_sizes is not None:
        return config.nn_emb_sizes
    if config.n_factors:
        return (config.n_factors, config.n_factors)
    return (emb_size_rule(n_users), emb_size_rule(n_items))


def build_model(
    config: TrainConfig,
    n_users: int,
    n_items: int,
    y_range: tuple[float, float] = (0.0, 5.5),
    global_mean: float | None = None,
) -> nn.Module:
    """A fresh, untrained model for `config` (seeded by the caller); `global_mean` sets the start."""
    if n_users < 1 or n_items < 1:
        raise ConfigError(
            f"A model needs at least one user and one item (got {n_users}, {n_items})."
        )
    config = config.resolved()
    if config.model == "dot":
        return DotProductBias(n_users, n_items, config.n_factors, y_range, global_mean)
    return CollabNN(
        n_users,
        n_items,
        nn_emb_sizes(config, n_users, n_items),
        config.nn_layers,
        y_range,
        config.nn_dropout,
        config.nn_emb_dropout,
        config.nn_batchnorm,
        global_mean,
        config.nn_bias,
    )
