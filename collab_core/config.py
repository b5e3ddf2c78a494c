"""Training configs: `TrainConfig` (also the model store's key) and each model's tuned defaults."""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass, field

from .devices import CHOICES as DEVICES
from .errors import ConfigError

MODELS = ("dot", "nn", "bayes", "als", "imported")
# The models trained here (the CLI's `--model`, the Train page): "als" trains on Apache Spark
# (`spark_train.py`, the CLI's `--engine spark`) and "imported" is never trained, only opened
# (`spark_import.py`: a saved Spark ALSModel, a TensorFlow Projector export).
LOCAL_MODELS = ("dot", "nn", "bayes")
OPTIMIZERS = ("adam", "sgd")
SCHEDULES = ("one_cycle", "cosine_restarts", "constant")
# The Bayesian model's noise: "robust" gives every user and every movie its own noise precision
# (scaled around the global one), "gaussian" one precision for all ratings (plain BPMF).
NOISES = ("robust", "gaussian")
BAYES_MAX_FACTORS = 256  # the sampler's cost grows with n_factors squared (per rating, per sweep)

# Per-model defaults for the fields left as None: the best settings found by
# `python benchmarks/accuracy.py` (several seeds of ML-100k 80/20; see the README table).
MODEL_DEFAULTS: dict[str, dict] = {
    "dot": {"n_factors": 64, "wd": 0.15, "epochs": 10, "lr": 0.03, "bs": 4096},
    "nn": {"n_factors": 0, "wd": 0.01, "epochs": 14, "lr": 0.005, "bs": 1024},
    # Gibbs sampling (bayes.py): epochs are sweeps; `burn_in` left as None is a quarter of them.
    "bayes": {"n_factors": 10, "epochs": 200, "noise": "robust"},
    # Spark ALS: rank, regParam (scaled by each row's rating count, so 0.05 overfits ML-100k),
    # maxIter; `als_biases` fits a bias baseline first and ALS on its residuals.
    "als": {"n_factors": 64, "wd": 0.1, "epochs": 15, "als_biases": True},
    "imported": {},
}
# Settings a model never reads: left out of its store key and of config equality, so they cannot
# split one model into several store entries. (The neural settings stay in the dot model's key,
# as they always were: its stored ids must not change.)
_BAYES_UNUSED = (
    "wd", "lr", "bs", "optimizer", "momentum", "schedule", "nn_layers", "nn_dropout",
    "nn_emb_dropout", "nn_batchnorm", "nn_emb_sizes", "nn_bias", "nn_swa_start",
)  # fmt: skip
_SPARK_ONLY = ("als_biases", "source")
_SGD = ("lr", "bs", "optimizer", "momentum", "schedule")
_NN = tuple(n for n in _BAYES_UNUSED if n.startswith("nn_"))
UNUSED: dict[str, tuple[str, ...]] = {
    "dot": ("burn_in", "noise", *_SPARK_ONLY),
    "nn": ("burn_in", "noise", *_SPARK_ONLY),
    "bayes": (*_BAYES_UNUSED, *_SPARK_ONLY),
    "als": (*_SGD, *_NN, "burn_in", "noise", "source"),
    # Opened, not trained: its rank and the hash of the files it came from are all there is.
    "imported": (
        *_SGD, *_NN, "wd", "epochs", "burn_in", "noise", "als_biases", "valid_frac", "seed"
    ),
}  # fmt: skip


@dataclass(frozen=True, eq=False)
class TrainConfig:
    """Everything that decides a trained model; also (minus `device`) the model-store key.

    `n_factors`, `wd`, `epochs`, `lr` and `bs` left as None mean "the model's tuned default"
    (`MODEL_DEFAULTS`), so `TrainConfig()` and `TrainConfig(model="nn")` are each the best
    configuration found, and `dataclasses.replace(config, model="nn")` takes the neural model's
    defaults for whatever `config` left unset (what was set stays set). `resolved()` fills them in;
    training reads that. Two configs are equal when they resolve to the same settings (`device`
    aside), i.e. when they train the same model.

    - `n_factors`: embedding size of the dot model; for `nn` it is ignored unless `nn_emb_sizes` is
      None and `n_factors > 0`, in which case both embeddings get that size.
    - `wd`: L2 weight decay added to the loss, per example, on the embedding rows in the batch
      (see `training.fit`).
    - `bs`: batch size; 0 (or any value >= the number of ratings) means full batch.
    - `nn_bias`: give `CollabNN` learned user and item bias terms added to the MLP's output (off
      by default: with BatchNorm it did not lower the RMSE on several ML-100k seeds).
    - `nn_swa_start`: `CollabNN` only; after this fraction of the run's steps the weights (and
      BatchNorm statistics) are averaged over every later step (SWA), and the average is what is
      validated and returned. 1.0 turns it off. Default 0.5: with 14 epochs it took ML-100k's
      validation RMSE from 0.931 (10 epochs, no averaging) to 0.923, lower on every seed tried.

    `model="bayes"` fits the dot model by Gibbs sampling (`bayes.py`): `epochs` is the number of
    sweeps, the first `burn_in` of them (default: a quarter) are discarded and the rest are the
    kept samples that are averaged; `noise` is "robust" or "gaussian" (`NOISES`). It learns its
    priors instead of taking `wd`, and has no learning rate or batches: `wd`, `lr`, `bs`, the
    optimiser and the `nn_` settings are not read (`UNUSED`), nor `burn_in`/`noise` by the others.

    `model="als"` trains on Apache Spark (`spark_train.py`): `n_factors` is ALS's rank, `wd` its
    regParam, `epochs` its maxIter, and `als_biases` (default True) fits a regularised bias
    baseline first and ALS on its residuals. `model="imported"` holds factors opened from files
    (`spark_import.py`): `n_factors` is their width and `source` the hash of those files.
    """

    model: str = "dot"
    n_factors: int | None = None
    wd: float | None = None
    epochs: int | None = None
    lr: float | None = None
    bs: int | None = None
    optimizer: str = "adam"
    momentum: float = 0.9
    schedule: str = "one_cycle"
    nn_layers: tuple[int, ...] = (100, 50)
    nn_dropout: float = 0.2
    nn_emb_dropout: float = 0.05
    nn_batchnorm: bool = True
    nn_emb_sizes: tuple[int, int] | None = None
    nn_bias: bool = False
    nn_swa_start: float = 0.5
    burn_in: int | None = None
    noise: str | None = None
    als_biases: bool | None = None
    source: str | None = None
    valid_frac: float = 0.2
    seed: int = 42
    device: str = field(default="auto", compare=False)

    def __post_init__(self) -> None:
        if self.model not in MODELS:
            raise ConfigError(f"model must be one of {MODELS}, not {self.model!r}.")
        # Tuples survive JSON round trips as lists; keep them tuples (hashable, immutable).
        object.__setattr__(self, "nn_layers", tuple(int(x) for x in self.nn_layers))
        if self.nn_emb_sizes is not None:
            object.__setattr__(self, "nn_emb_sizes", tuple(int(x) for x in self.nn_emb_sizes))
        self.resolved()._validate()

    def resolved(self) -> TrainConfig:
        """This config with every setting left as None replaced by its model's default."""
        unset = {k: v for k, v in MODEL_DEFAULTS[self.model].items() if getattr(self, k) is None}
        if self.model == "bayes" and self.burn_in is None:
            epochs = unset.get("epochs", self.epochs)
            unset["burn_in"] = epochs // 4 if isinstance(epochs, int) else epochs
        return dataclasses.replace(self, **unset) if unset else self

    def _settings(self) -> tuple:
        """The resolved values of every field that changes the trained weights (not `device`)."""
        full, unused = self.resolved(), UNUSED[self.model]
        return tuple(
            getattr(full, f.name)
            for f in dataclasses.fields(self)
            if f.compare and f.name not in unused
        )

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, TrainConfig):
            return NotImplemented
        return self._settings() == other._settings()

    def __hash__(self) -> int:
        return hash(self._settings())

    def _validate(self) -> None:
        """Check a resolved config's values (None fields are filled before this is called)."""

        def bad(msg: str) -> ConfigError:
            return ConfigError(f"Invalid training setting: {msg}")

        if self.optimizer not in OPTIMIZERS:
            raise bad(f"optimizer must be one of {OPTIMIZERS}, not {self.optimizer!r}.")
        if self.schedule not in SCHEDULES:
            raise bad(f"schedule must be one of {SCHEDULES}, not {self.schedule!r}.")
        if self.device not in DEVICES:
            raise bad(f"device must be one of {DEVICES}, not {self.device!r}.")
        if self.model == "dot" and not 1 <= self.n_factors <= 4096:
            raise bad(f"n_factors must be between 1 and 4096, not {self.n_factors}.")
        if self.model == "nn" and not 0 <= self.n_factors <= 4096:
            raise bad(
                f"n_factors must be between 0 (automatic sizes) and 4096, not {self.n_factors}."
            )
        if self.model == "bayes":
            self._validate_bayes(bad)
            return
        if self.model in ("als", "imported"):
            self._validate_factors(bad)
            return
        if not (self.wd >= 0 and math.isfinite(self.wd)):
            raise bad(f"wd (weight decay) must be a number >= 0, not {self.wd}.")
        if not 1 <= self.epochs <= 10_000:
            raise bad(f"epochs must be between 1 and 10000, not {self.epochs}.")
        if not (self.lr > 0 and math.isfinite(self.lr)):
            raise bad(f"lr (learning rate) must be a number > 0, not {self.lr}.")
        if self.bs < 0:
            raise bad(f"bs (batch size) must be >= 0 (0 means full batch), not {self.bs}.")
        if not 0 <= self.momentum < 1:
            raise bad(f"momentum must be in [0, 1), not {self.momentum}.")
        if not 0 < self.valid_frac < 1:
            raise bad(f"valid_frac must be between 0 and 1 (exclusive), not {self.valid_frac}.")
        if any(h < 1 for h in self.nn_layers):
            raise bad(f"nn_layers must be positive layer sizes, not {self.nn_layers}.")
        if not 0 <= self.nn_swa_start <= 1:
            raise bad(
                f"nn_swa_start must be in [0, 1] (1 turns averaging off), not {self.nn_swa_start}."
            )
        for name in ("nn_dropout", "nn_emb_dropout"):
            if not 0 <= getattr(self, name) < 1:
                raise bad(f"{name} must be in [0, 1), not {getattr(self, name)}.")
        if self.nn_emb_sizes is not None and (
            len(self.nn_emb_sizes) != 2 or min(self.nn_emb_sizes) < 1
        ):
            raise bad(
                f"nn_emb_sizes must be two positive sizes (user, item), not {self.nn_emb_sizes}."
            )

    def _validate_bayes(self, bad) -> None:
        """The Bayesian model's own checks: rank, sweeps, burn-in, noise."""
        if not 1 <= self.n_factors <= BAYES_MAX_FACTORS:
            raise bad(
                f"n_factors (the rank) must be between 1 and {BAYES_MAX_FACTORS} for the Bayesian "
                f"model, not {self.n_factors}."
            )
        if not 1 <= self.epochs <= 10_000:
            raise bad(f"epochs (Gibbs sweeps) must be between 1 and 10000, not {self.epochs}.")
        if not 0 <= self.burn_in < self.epochs:
            raise bad(
                f"burn_in must be at least 0 and less than the number of sweeps (epochs = "
                f"{self.epochs}), not {self.burn_in}: the sweeps after the burn-in are the samples "
                "that are kept and averaged."
            )
        if self.noise not in NOISES:
            raise bad(f"noise must be one of {NOISES}, not {self.noise!r}.")
        if not 0 < self.valid_frac < 1:
            raise bad(f"valid_frac must be between 0 and 1 (exclusive), not {self.valid_frac}.")

    def _validate_factors(self, bad) -> None:
        """Spark ALS's checks (rank, regParam, iterations), and an imported model's rank."""
        if not isinstance(self.n_factors, int) or not 1 <= self.n_factors <= 4096:
            raise bad(f"n_factors (the rank) must be between 1 and 4096, not {self.n_factors}.")
        if self.model == "imported":
            return
        if not (self.wd >= 0 and math.isfinite(self.wd)):
            raise bad(f"wd (ALS's regParam) must be a number >= 0, not {self.wd}.")
        if not 1 <= self.epochs <= 1000:
            raise bad(f"epochs (ALS iterations) must be between 1 and 1000, not {self.epochs}.")
        if not 0 < self.valid_frac < 1:
            raise bad(f"valid_frac must be between 0 and 1 (exclusive), not {self.valid_frac}.")

    def key(self) -> dict:
        """Every field that changes the trained weights (all but `device` and the model's
        `UNUSED` settings), resolved, JSON-ready."""
        d = dataclasses.asdict(self.resolved())
        d.pop("device")
        for name in UNUSED[self.model]:
            d.pop(name)
        if "nn_layers" in d:
            d["nn_layers"] = list(self.nn_layers)
            d["nn_emb_sizes"] = None if self.nn_emb_sizes is None else list(self.nn_emb_sizes)
        return d

    @classmethod
    def from_dict(cls, d: dict) -> TrainConfig:
        """Rebuild a config from `key()` (or `asdict`) output; unknown keys are an error."""
        names = {f.name for f in dataclasses.fields(cls)}
        unknown = sorted(set(d) - names)
        if unknown:
            raise ConfigError(
                f"Unknown training settings {unknown}; known ones are {sorted(names)}."
            )
        return cls(**d)
