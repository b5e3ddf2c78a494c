"""The models and the one interface they share: `CollabModel`; `DotProductBias`, `CollabNN`, `FactorModel`, `BayesDot`."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np
import torch
from torch import Tensor, nn

from .errors import ConfigError

if TYPE_CHECKING:
    import pandas as pd

    from .config import TrainConfig

# ---------------------------------------------------------------------------------------------
# Output range: the link between a model's logit and a rating


def sigmoid_range(x: Tensor, lo: float, hi: float) -> Tensor:
    """Squash `x` into (lo, hi) with a sigmoid, as in the lesson."""
    return torch.sigmoid(x) * (hi - lo) + lo


def to_logit(r, y_range: tuple[float, float] | None) -> np.ndarray:
    """The inverse of `sigmoid_range` over `y_range` (identity when None), clipped a little inside
    the range so ratings at its ends stay finite."""
    r = np.asarray(r, np.float64)
    if y_range is None:
        return r
    lo, hi = y_range
    p = np.clip((r - lo) / (hi - lo), 1e-3, 1 - 1e-3)
    return np.log(p / (1 - p))


def from_logit(z, y_range: tuple[float, float] | None) -> np.ndarray:
    """`sigmoid_range` over `y_range` for numpy values (identity when None)."""
    z = np.asarray(z, np.float64)
    if y_range is None:
        return z
    lo, hi = y_range
    return lo + (hi - lo) / (1 + np.exp(-z))


def logit_range(y: float, lo: float, hi: float) -> float:
    """`to_logit` for one value."""
    return float(to_logit(y, (lo, hi)))


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


def _numpy(t: Tensor) -> np.ndarray:
    """A float32 numpy view of a CPU tensor (a copy only when it lives elsewhere or is not float32)."""
    return t.detach().cpu().float().numpy()


# ---------------------------------------------------------------------------------------------
# The interface every model implements

# Fold-in settings (chosen on held-out ML-100k users; see `CollabModel.fold_in`).
# Linear models: the pull towards the start (the mean user). 5 has the best held-out RMSE at every
# number of ratings given, 1 to 40, over 5 user folds (benchmarks/fold_in_ridge.py; 1, used before,
# made a new user's first ratings overshoot: 1.07 after one rating against 1.02 at ridge 5).
FOLD_IN_RIDGE = 5.0
NN_FOLD_STEPS = 60  # neural model: Adam steps on the new user's embedding row(s)
NN_FOLD_LR = 0.05
NN_FOLD_L2 = 10.0  # ... pulled towards the start; best held-out RMSE with 3-10 ratings


@dataclass
class NewUser:
    """A user the model was not trained on, as the model sees them.

    `factors` [d] and `bias` (logit units; NaN where the model has no user bias to fit) are what
    was fitted; `method` says how. `rows` holds the neural model's per-user parameter rows (what it
    scores with), `parts` a linear model's exact decomposition: column j is rated movie j's share
    of [factors, bias] (see `_LinearModel.fold_in`), `cov` the posterior covariance of
    [factors, bias] where the model has one (`BayesDot`). `rated` is filled in by the recommender:
    the rated movies with the rating given and the one fitted.
    """

    factors: np.ndarray
    bias: float
    method: str
    rated: pd.DataFrame | None = None
    rows: dict[str, Tensor] = field(default_factory=dict, repr=False)
    parts: np.ndarray | None = field(default=None, repr=False)
    cov: np.ndarray | None = field(default=None, repr=False)


class CollabModel(nn.Module):
    """What every model answers, whichever way it computes: ask the model, not about it.

    Attributes: `n_users`, `n_items`, `y_range` ((lo, hi) of `sigmoid_range`, or None for raw
    scores), buffers `user_seen` / `item_seen` (bool: trained on; the others fall back, see
    `predict`), `bias_kind` ("learned": biases the model adds; "effective": measured averages of
    a model that has none of its own; "none").
    Every table comes back detached, on the CPU:
    - `predict(users, items) -> Tensor[B]` ratings; -1 or unseen indices fall back to the known side.
    - `user_factors()`, `item_factors()` -> `Tensor[n, d]`; `user_bias()`, `item_bias()` ->
      `Tensor[n]` (zeros when the model has none); `intercept() -> float`, the global bias (logit).
    - `to_logit(r)` / `to_rating(z)`: the model's link between logit and rating, for numpy values.
    - `mean_user() -> NewUser`: the cold start, the mean of the trained users.
    - `user_vectors() -> np.ndarray [n_users, k]`: each user's parameters as one row (linear
      models: [factors, bias]; neural: its per-user table rows), and `user_from_vector(v, method)`
      the `NewUser` such a row stands for: starting points built from trained users.
    - `fold_in(items, ratings, start=None, ridge=None) -> NewUser`: a new user fitted to a few
      (item index, rating) pairs with the items held fixed, pulled towards `start` (default: the
      mean user) with weight `ridge` in the fitting loss (default: the model's tuned value).
    - `score(user, items=None) -> np.ndarray`: that user's predicted ratings (all items for None).
    - `contributions(user, items, scores) -> [len(items), n_rated] | None`: how many rating points
      each rated movie added to each item, where the model can say exactly (None otherwise).
    - `score_sd(user, items=None) -> np.ndarray | None`: the posterior spread (sd, in rating
      points) of those predictions, where the model has a posterior (None otherwise).
    - `user_scores(users) -> np.ndarray [len(users), n_items]`: trained users' predicted ratings
      of every item, in bulk (what `predict` gives for every pair).
    """

    n_users: int
    n_items: int
    y_range: tuple[float, float] | None
    bias_kind = "learned"

    def predict(self, users, items) -> Tensor:
        raise NotImplementedError

    def user_factors(self) -> Tensor:
        raise NotImplementedError

    def item_factors(self) -> Tensor:
        raise NotImplementedError

    def user_bias(self) -> Tensor:
        raise NotImplementedError

    def item_bias(self) -> Tensor:
        raise NotImplementedError

    def intercept(self) -> float:
        raise NotImplementedError

    def mean_user(self) -> NewUser:
        raise NotImplementedError

    def fold_in(
        self, items, ratings, start: NewUser | None = None, *, ridge: float | None = None
    ) -> NewUser:
        raise NotImplementedError

    def user_vectors(self) -> np.ndarray:
        raise NotImplementedError

    def user_from_vector(self, vector, method: str) -> NewUser:
        raise NotImplementedError

    def score(self, user: NewUser, items=None) -> np.ndarray:
        raise NotImplementedError

    def contributions(self, user: NewUser, items, scores) -> np.ndarray | None:
        return None

    def score_sd(self, user: NewUser, items=None) -> np.ndarray | None:
        return None

    @torch.no_grad()
    def user_scores(self, users) -> np.ndarray:
        """Predicted ratings of every item for the trained users `users` (indices):
        [len(users), n_items], as `predict` gives them (here through it, a few users per call)."""
        users = np.asarray(users, np.int64).reshape(-1)
        out = np.empty((len(users), self.n_items))
        step = max(1, (1 << 20) // max(1, self.n_items))
        items = torch.arange(self.n_items)
        for s in range(0, len(users), step):
            chunk = torch.as_tensor(users[s : s + step])
            pred = self.predict(chunk.repeat_interleave(self.n_items), items.repeat(len(chunk)))
            out[s : s + step] = pred.double().numpy().reshape(len(chunk), -1)
        return out

    def to_logit(self, r) -> np.ndarray:
        return to_logit(r, self.y_range)

    def to_rating(self, z) -> np.ndarray:
        return from_logit(z, self.y_range)

    def _seen_users(self) -> Tensor:
        """The trained users (all of them if none is marked, e.g. a model before training)."""
        seen = self.user_seen.cpu()
        return seen if bool(seen.any()) else torch.ones_like(seen)


class _LinearModel(CollabModel):
    """Models whose logit is linear in the user: z = p_u · q_i + b_u + b_i + g.

    Subclasses provide the tables; this class gives the exact fold-in and scoring. Inverting the
    link makes a rating r a linear equation in the user's w = [p_u, b_u]:
    to_logit(r) - b_i - g = [q_i, 1] · w, so fitting a new user is a ridge regression.
    """

    def _item_side(self, items) -> tuple[np.ndarray, np.ndarray]:
        """(factors [n, d], biases [n]) of `items` (all for None), zero where never trained."""
        V, b = _numpy(self.item_factors()), _numpy(self.item_bias())
        seen = self.item_seen.cpu().numpy()
        if items is not None:
            items = np.asarray(items, np.int64)
            V, b, seen = V[items], b[items], seen[items]
        if not seen.all():
            V, b = V * seen[:, None], b * seen
        return V, b

    def mean_user(self) -> NewUser:
        seen = self._seen_users()
        factors = self.user_factors()[seen].mean(0).double().numpy()
        bias = float(self.user_bias()[seen].mean())
        return NewUser(factors, bias, "cold start: the mean of all user embeddings")

    def user_vectors(self) -> np.ndarray:
        """[factors, bias] of every user, [n_users, d + 1] (float64)."""
        P = _numpy(self.user_factors()).astype(np.float64)
        return np.c_[P, _numpy(self.user_bias()).astype(np.float64)]

    def user_from_vector(self, vector, method: str) -> NewUser:
        v = np.asarray(vector, np.float64)
        return NewUser(v[:-1].copy(), float(v[-1]), method)

    def fold_in(
        self, items, ratings, start: NewUser | None = None, *, ridge: float | None = None
    ) -> NewUser:
        """Exact ridge regression in logit space, pulled towards `start` (default `FOLD_IN_RIDGE`).

        X = [item factors, 1] of the rated movies, t = to_logit(r) - b_i - g, A = X'X + ridge * I;
        w = A^-1 (X't + ridge * w_start). `parts` column j, A^-1 x_j t_j, is rated movie j's share
        of w (the rest is the start's), which makes the explanations exact.
        """
        start = self.mean_user() if start is None else start
        items = np.asarray(items, np.int64)
        if not len(items):
            return dataclasses.replace(start, rated=None)
        V, b = self._item_side(items)
        X = np.c_[V.astype(np.float64), np.ones(len(items))]  # [n, d+1]
        t = self.to_logit(ratings) - b - self.intercept()
        R, method = self._fold_ridge(ridge, X.shape[1])  # [d+1]: the pull towards the start
        c = self._rating_weights(items)  # each rating's weight in the fit (None: all 1)
        Xc = X if c is None else X * c[:, None]
        A = Xc.T @ X + np.diag(R)
        w0 = np.r_[start.factors, start.bias]
        w = np.linalg.solve(A, Xc.T @ t + R * w0)
        parts = np.linalg.solve(A, (Xc * t[:, None]).T)  # [d+1, n]
        return NewUser(w[:-1], float(w[-1]), method, parts=parts, cov=self._fold_cov(A))

    def _fold_ridge(self, ridge: float | None, d: int) -> tuple[np.ndarray, str]:
        """The fold-in's pull towards the start per coordinate of [factors, bias], and its name."""
        ridge = FOLD_IN_RIDGE if ridge is None else ridge
        method = f"fold-in: ridge regression in logit space (ridge {ridge:g}), exact"
        return np.full(d, float(ridge)), method

    def _rating_weights(self, items: np.ndarray) -> np.ndarray | None:
        """How much each rated movie's rating counts in the fold-in (None: all alike)."""
        return None

    def _fold_cov(self, A: np.ndarray) -> np.ndarray | None:
        """The folded-in user's posterior covariance, for models that have a posterior."""
        return None

    def score(self, user: NewUser, items=None) -> np.ndarray:
        V, b = _numpy(self.item_factors()), _numpy(self.item_bias())
        seen = self.item_seen.cpu().numpy()
        if items is not None:
            items = np.asarray(items, np.int64)
            V, b, seen = V[items], b[items], seen[items]
        u = user.factors.astype(np.float32)
        # einsum, not BLAS: a matrix-vector product is memory-bound, and BLAS threads cost more
        # than they save on it (10x on a busy 2-core machine).
        z = np.einsum("ij,j->i", V, u) + b
        if not seen.all():  # items never trained on contribute neither factors nor bias
            z = np.where(seen, z, 0.0)
        return self.to_rating(z + user.bias + self.intercept())

    def user_scores(self, users) -> np.ndarray:
        """`CollabModel.user_scores` as one matrix product: P[users] V' + biases (unknown users and
        items contribute nothing, as in `predict`)."""
        users = np.asarray(users, np.int64).reshape(-1)
        V, b = self._item_side(None)
        seen = self.user_seen.cpu().numpy()[users]
        P = _numpy(self.user_factors())[users] * seen[:, None]
        bu = _numpy(self.user_bias())[users] * seen
        z = P @ V.T  # [n, n_items]
        z += (bu + np.float32(self.intercept()))[:, None] + b
        return self.to_rating(z)

    def contributions(self, user: NewUser, items, scores) -> np.ndarray | None:
        """Rating points rated movie j adds to item i: q_i · parts_j[:d] (its share of the user
        bias lifts every item alike and is left out), times the link's slope at the item's score."""
        if user.parts is None:
            return None
        V, _ = self._item_side(items)
        if self.y_range is None:
            slope = np.ones(len(V))
        else:
            lo, hi = self.y_range
            p = (np.asarray(scores, np.float64) - lo) / (hi - lo)
            slope = (hi - lo) * p * (1 - p)  # d rating / d logit at each item's score
        return (V.astype(np.float64) @ user.parts[:-1]) * slope[:, None]  # [k, n]


# ---------------------------------------------------------------------------------------------
# Models


class DotProductBias(_LinearModel):
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

    def intercept(self) -> float:
        return float(self.global_bias.detach()[0])


class FactorModel(_LinearModel):
    """Factors trained elsewhere (Spark ALS, a TensorFlow Projector export, ...), held as they are.

    prediction = to_rating(user_factors[u] · item_factors[i] + user_bias[u] + item_bias[i] + g),
    with `to_rating` the identity when `y_range` is None (raw scores, as ALS gives) or
    `sigmoid_range` over it. Biases are optional (`bias_kind` "none" without them: zeros).
    Nothing here is trainable; every question of the explorer works on it through the interface.
    """

    def __init__(
        self,
        user_factors,
        item_factors,
        *,
        user_bias=None,
        item_bias=None,
        global_bias: float = 0.0,
        y_range: tuple[float, float] | None = None,
        user_seen=None,
        item_seen=None,
    ):
        super().__init__()
        P = torch.as_tensor(np.asarray(user_factors, np.float32))
        Q = torch.as_tensor(np.asarray(item_factors, np.float32))
        if P.ndim != 2 or Q.ndim != 2 or P.shape[1] != Q.shape[1]:
            raise ConfigError(
                f"User and item factors must be two tables with the same number of columns "
                f"(got {tuple(P.shape)} and {tuple(Q.shape)})."
            )
        self.n_users, self.n_items, self.n_factors = P.shape[0], Q.shape[0], P.shape[1]
        if (user_bias is None) != (item_bias is None):
            raise ConfigError("Give both user and item biases, or neither.")
        self.bias_kind = "none" if user_bias is None else "learned"
        self.y_range = None if y_range is None else (float(y_range[0]), float(y_range[1]))
        self.register_buffer("P", P)
        self.register_buffer("Q", Q)
        self.register_buffer("bu", self._vector(user_bias, self.n_users, "user biases"))
        self.register_buffer("bi", self._vector(item_bias, self.n_items, "item biases"))
        self.register_buffer("g", torch.tensor([float(global_bias)]))
        self.register_buffer("user_seen", self._mask(user_seen, self.n_users))
        self.register_buffer("item_seen", self._mask(item_seen, self.n_items))

    @staticmethod
    def _vector(values, n: int, what: str) -> Tensor:
        if values is None:
            return torch.zeros(n)
        v = torch.as_tensor(np.asarray(values, np.float32)).reshape(-1)
        if len(v) != n:
            raise ConfigError(f"There are {len(v):,} {what} for {n:,} rows.")
        return v

    @staticmethod
    def _mask(values, n: int) -> Tensor:
        if values is None:
            return torch.ones(n, dtype=torch.bool)
        m = torch.as_tensor(np.asarray(values, bool)).reshape(-1)
        if len(m) != n:
            raise ConfigError(f"A mask of {len(m):,} values cannot mark {n:,} rows.")
        return m

    def forward(self, users: Tensor, items: Tensor) -> Tensor:
        z = (self.P[users] * self.Q[items]).sum(1) + self.bu[users] + self.bi[items] + self.g
        return z if self.y_range is None else sigmoid_range(z, *self.y_range)

    @torch.no_grad()
    def predict(self, users, items) -> Tensor:
        """Ratings for index pairs; an unknown side contributes nothing (as `DotProductBias`)."""
        uk, u = _known(torch.as_tensor(users), self.user_seen)
        ik, i = _known(torch.as_tensor(items), self.item_seen)
        z = (self.P[u] * uk[:, None] * self.Q[i] * ik[:, None]).sum(1)
        z = z + self.bu[u] * uk + self.bi[i] * ik + self.g
        return z if self.y_range is None else sigmoid_range(z, *self.y_range)

    def user_factors(self) -> Tensor:
        return self.P

    def item_factors(self) -> Tensor:
        return self.Q

    def user_bias(self) -> Tensor:
        return self.bu

    def item_bias(self) -> Tensor:
        return self.bi

    def intercept(self) -> float:
        return float(self.g[0])


class BayesDot(FactorModel):
    """The dot model fitted by Gibbs sampling (`bayes.py`), held as posterior means.

    prediction = clip(p_u · q_i + b_u + b_i + g, *scale): the sampled model is linear with
    Gaussian noise (no sigmoid), and its predictions are clipped to the rating scale. `P`, `Q` are
    the kept samples' factors averaged after aligning each to the running mean (see `bayes.py`);
    the biases are posterior means, `g` the training mean. Buffers besides `FactorModel`'s:
    `scale` (lo, hi), `item_var` (posterior variance of each movie's score for the average user),
    `item_noise` (each movie's noise precision relative to the average, 1 for "gaussian" noise)
    and `prior` (`PRIOR_NAMES`: the learned precisions, posterior means). A new user is fitted
    as the exact posterior under that prior, the movies held at their means; `score_sd` is the
    spread of its predictions.
    """

    PRIOR_NAMES = ("user factors", "user bias", "item factors", "item bias", "noise")

    def __init__(self, n_users: int, n_items: int, n_factors: int):
        super().__init__(
            np.zeros((n_users, n_factors), np.float32),
            np.zeros((n_items, n_factors), np.float32),
            user_bias=np.zeros(n_users, np.float32),
            item_bias=np.zeros(n_items, np.float32),
        )
        self.register_buffer("scale", torch.tensor([-torch.inf, torch.inf]))
        self.register_buffer("item_var", torch.zeros(n_items))
        self.register_buffer("item_noise", torch.ones(n_items))
        self.register_buffer("prior", torch.ones(len(self.PRIOR_NAMES)))

    @torch.no_grad()
    def predict(self, users, items) -> Tensor:
        return super().predict(users, items).clamp(*self.scale.tolist())

    def to_rating(self, z) -> np.ndarray:
        return np.clip(np.asarray(z, np.float64), *self.scale.tolist())

    def learned_prior(self) -> dict[str, float]:
        """The learned precisions by name (factors: the mean over dimensions; noise: α)."""
        return dict(zip(self.PRIOR_NAMES, self.prior.tolist(), strict=True))

    def _prior_var(self, d: int) -> np.ndarray:
        """Prior variance of [factors, bias] relative to the noise's, 1/λ · α, per coordinate."""
        lam_f, lam_b, *_, alpha = self.prior.double().tolist()
        return np.r_[np.full(d - 1, alpha / lam_f), alpha / lam_b]

    def mean_user(self) -> NewUser:
        user = super().mean_user()
        d = len(user.factors) + 1
        user.cov = np.diag(self._prior_var(d)) / float(self.prior[-1])  # anyone at all: the prior
        return user

    def user_from_vector(self, vector, method: str) -> NewUser:
        user = super().user_from_vector(vector, method)
        user.cov = self.mean_user().cov  # a guess from elsewhere knows no more than the prior
        return user

    def _fold_ridge(self, ridge: float | None, d: int) -> tuple[np.ndarray, str]:
        if ridge is not None:
            return np.full(d, float(ridge)), f"fold-in: ridge regression (ridge {ridge:g}), exact"
        return 1 / self._prior_var(d), "fold-in: the posterior under the learned prior, exact"

    def _rating_weights(self, items: np.ndarray) -> np.ndarray:
        return self.item_noise.double().numpy()[items]  # a noisy movie's rating says less

    def _fold_cov(self, A: np.ndarray) -> np.ndarray:
        return np.linalg.inv(A) / float(self.prior[-1])  # the precision is alpha * A

    def score_sd(self, user: NewUser, items=None) -> np.ndarray | None:
        """sqrt(x_i' cov x_i + item_var_i), x_i = [q_i, 1]: the user's and the movie's spread."""
        if user.cov is None:
            return None
        V, _ = self._item_side(items)
        X = np.c_[V.astype(np.float64), np.ones(len(V))]
        var = self.item_var.double().numpy()
        var = var if items is None else var[np.asarray(items, np.int64)]
        return np.sqrt(np.einsum("ij,jk,ik->i", X, user.cov, X) + var)


class CollabNN(CollabModel):
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

    bias_kind = "effective"

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

    def intercept(self) -> float:
        return float(self.global_logit.detach()[0])

    def _user_tables(self) -> dict[str, Tensor]:
        """The per-user parameters (one row per user), by their names in the module."""
        tables = {"u_weight.weight": self.u_weight.weight}
        if self.u_bias is not None:
            tables["u_bias.weight"] = self.u_bias.weight
        return tables

    def _new_user(self, rows: dict[str, Tensor], method: str) -> NewUser:
        factors = rows["u_weight.weight"][0].cpu().double().numpy()
        return NewUser(factors, float("nan"), method, rows=rows)

    def mean_user(self) -> NewUser:
        seen = self._seen_users().to(self.global_bias.device)
        rows = {n: p.detach()[seen].mean(0, keepdim=True) for n, p in self._user_tables().items()}
        return self._new_user(rows, "cold start: the mean of all user embeddings")

    def user_vectors(self) -> np.ndarray:
        """The per-user table rows side by side, [n_users, sum of their widths] (float64)."""
        return np.concatenate(
            [_numpy(p).astype(np.float64) for p in self._user_tables().values()], axis=1
        )

    def user_from_vector(self, vector, method: str) -> NewUser:
        v = torch.as_tensor(np.asarray(vector, np.float32))
        rows, at = {}, 0
        for n, p in self._user_tables().items():
            w = p.shape[1]
            rows[n] = v[at : at + w].reshape(1, w).to(p.device)
            at += w
        return self._new_user(rows, method)

    def fold_in(
        self, items, ratings, start: NewUser | None = None, *, ridge: float | None = None
    ) -> NewUser:
        """A few Adam steps on one fresh user row of each per-user table, the model held fixed.

        Loss: squared error on the given ratings plus `ridge` (default NN_FOLD_L2) * squared
        distance from `start` (default: the mean user), so one rating moves the user part way.
        """
        start = self.mean_user() if start is None else start
        ridge = NN_FOLD_L2 if ridge is None else ridge
        if not len(items):
            return dataclasses.replace(start, rated=None)
        init = start.rows
        rows = {n: p.clone().requires_grad_(True) for n, p in init.items()}
        # Every other weight goes in detached, so the model's own .grad stays untouched.
        fixed = {n: p.detach() for n, p in self.named_parameters() if n not in rows}
        opt = torch.optim.Adam(rows.values(), lr=NN_FOLD_LR)
        users = torch.zeros(len(items), dtype=torch.long)
        items = torch.as_tensor(np.asarray(items), dtype=torch.long)
        target = torch.as_tensor(np.asarray(ratings), dtype=torch.float32)
        for _ in range(NN_FOLD_STEPS):
            pred = torch.func.functional_call(self, {**fixed, **rows}, (users, items))
            loss = ((pred - target) ** 2).sum() + ridge * sum(
                ((rows[n] - init[n]) ** 2).sum() for n in rows
            )
            opt.zero_grad()
            loss.backward()
            opt.step()
        method = f"fold-in: {NN_FOLD_STEPS} Adam steps on the user's embedding (neural model)"
        return self._new_user({n: p.detach() for n, p in rows.items()}, method)

    def score(self, user: NewUser, items=None) -> np.ndarray:
        n = self.n_items if items is None else len(items)
        it = torch.arange(n) if items is None else torch.as_tensor(items, dtype=torch.long)
        with torch.no_grad():
            pred = torch.func.functional_call(
                self, user.rows, (torch.zeros(n, dtype=torch.long), it)
            )
        return pred.double().numpy()


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
    if config.model == "bayes":  # filled in by `bayes.sample`; no link range (rating units)
        return BayesDot(n_users, n_items, config.n_factors)
    if config.model in ("als", "imported"):  # filled from Spark or files; raw scores, no range
        zeros = np.zeros
        biases = config.model == "als" and config.als_biases
        return FactorModel(
            zeros((n_users, config.n_factors)),
            zeros((n_items, config.n_factors)),
            user_bias=zeros(n_users) if biases else None,
            item_bias=zeros(n_items) if biases else None,
        )
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
