"""Where a new user starts: the mean user, a representative real user, or a profile model's guess.

The lesson's ways to bootstrap a user the model has never seen (the fourth, asking them to rate
movies, is `questionnaire`). Each gives a `NewUser` that `CollabModel.fold_in(..., start=...)`
pulls the user's later ratings towards, for any model: a start is a row of `user_vectors()`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from .data import Dataset
from .errors import ConfigError
from .models import CollabModel, NewUser

STARTS = ("mean", "representative", "profile")
# The representative user is the trained user nearest the mean among those with this many
# ratings: a user with a handful sits near the mean only because training never moved them.
REPRESENTATIVE_MIN_RATINGS = 50
PROFILE_RIDGE = 100.0  # the profile model's ridge (standardised features): best of 1-1000 on
# half of ML-100k's users predicting the other half (RMSE 0.9768 against the mean user's 0.9780)
MAX_LEVELS = 50  # a text column with more distinct values (zip codes) is not a feature
# MovieLens' own age bands (ml-1m's u.user codes): the page asks for one.
AGE_BANDS = ((1, 17), (18, 24), (25, 34), (35, 44), (45, 49), (50, 55), (56, 120))
SKIP = ("user_id", "zip_code", "zip")


def age_band(age: float) -> str:
    """'25-34' for 30; the band's label as the page shows it."""
    for lo, hi in AGE_BANDS:
        if age <= hi:
            return f"under {hi + 1}" if lo == 1 else (f"{lo}+" if hi == 120 else f"{lo}-{hi}")
    return f"{AGE_BANDS[-1][0]}+"


def band_age(label: str) -> float:
    """The middle age of a band label from `age_band` (what the profile model is given)."""
    for lo, hi in AGE_BANDS:
        if age_band(lo) == label:
            return float((lo + min(hi, 70)) / 2)
    raise ConfigError(f"{label!r} is not an age band; choose one of {age_band_labels()}.")


def age_band_labels() -> list[str]:
    return [age_band(lo) for lo, _ in AGE_BANDS]


def why_no_profile(dataset: Dataset) -> str | None:
    """Why the profile start is off for `dataset` (None when it is on)."""
    if dataset.users is None or len(dataset.users.columns) < 2:
        return (
            f"{dataset.name} has no users table (age, occupation, ...), so there is nothing to "
            "learn a profile from. MovieLens 100k has one; add your own users file on the Upload "
            "page (or `--users` on the command line)."
        )
    return None


# ---------------------------------------------------------------------------------------------
# The representative user


@dataclass
class Representative:
    """The real user chosen to stand for average taste: `index` (in the model), `user_id`,
    `distance` to the mean user, `n_ratings`, `favourites` (their top-rated movies) and `user`."""

    index: int
    user_id: object
    distance: float
    n_ratings: int
    favourites: pd.DataFrame
    user: NewUser

    @property
    def name(self) -> str:
        return f"user {self.user_id}"


def representative_user(
    model: CollabModel, dataset: Dataset, *, min_ratings: int = REPRESENTATIVE_MIN_RATINGS, top=5
) -> Representative:
    """The trained user nearest the mean user's vector (`user_vectors`), among those with at
    least `min_ratings` ratings (all trained users if none has that many)."""
    vectors = model.user_vectors()
    seen = model.user_seen.cpu().numpy().copy()
    counts = np.bincount(dataset.user_index(dataset.ratings["user_id"]), minlength=len(seen))
    eligible = seen & (counts[: len(seen)] >= min_ratings)
    eligible = eligible if eligible.any() else seen
    mean = vectors[seen].mean(0)
    dist = np.linalg.norm(vectors - mean, axis=1)
    dist[~eligible] = np.inf
    u = int(np.argmin(dist))
    user_id = dataset.user_ids[u]
    mine = dataset.ratings[dataset.ratings["user_id"] == user_id]
    idx = dataset.item_index(mine["item_id"])
    fav = pd.DataFrame(
        {
            "title": dataset.items["title"].to_numpy()[idx],
            "rating": mine["rating"].to_numpy(),
            "n_ratings": dataset.items["n_ratings"].to_numpy()[idx],
        }
    )
    fav = fav.sort_values(["rating", "n_ratings"], ascending=False).head(top)
    method = f"start: user {user_id}, the real user nearest the mean user"
    return Representative(
        index=u,
        user_id=user_id,
        distance=float(dist[u]),
        n_ratings=int(counts[u]),
        favourites=fav.reset_index(drop=True),
        user=model.user_from_vector(vectors[u], method),
    )


# ---------------------------------------------------------------------------------------------
# The profile model


@dataclass
class ProfileModel:
    """A ridge regression from what users tell about themselves to their `user_vectors()` row.

    Features: each numeric column standardised (age also as MovieLens' age bands, one-hot) and
    each text column with at most `MAX_LEVELS` values one-hot; the targets are centred, so an
    empty profile predicts the mean user. Closed form, deterministic: refitting it from the model
    and the users table (a few ms on ML-100k) gives the same model, so it is not stored.
    """

    ridge: float = PROFILE_RIDGE
    columns_: dict = field(default_factory=dict, init=False)  # column -> stats or levels
    coef_: np.ndarray | None = field(default=None, init=False, repr=False)
    mean_: np.ndarray | None = field(default=None, init=False, repr=False)
    n_users_: int = field(default=0, init=False)

    def fit(self, model: CollabModel, dataset: Dataset, users=None) -> ProfileModel:
        """Fit on the trained users (or the user indices `users`) that the users table describes."""
        reason = why_no_profile(dataset)
        if reason:
            raise ConfigError(reason)
        table = dataset.users
        rows = dataset.user_index(table["user_id"])
        keep = rows >= 0
        seen = model.user_seen.cpu().numpy()
        keep &= seen[np.clip(rows, 0, len(seen) - 1)]
        if users is not None:
            keep &= np.isin(rows, np.asarray(users))
        table, rows = table[keep], rows[keep]
        if len(table) < 2:
            raise ConfigError(
                "Too few trained users have details in the users table to learn from."
            )
        self.columns_ = {}
        for col in table.columns:
            if col in SKIP:
                continue
            values = table[col]
            if pd.api.types.is_numeric_dtype(values):
                v = values.astype(float)
                self.columns_[col] = ("number", float(v.mean()), float(v.std() or 1.0))
            else:
                levels = sorted(values.dropna().astype(str).unique())
                if 1 < len(levels) <= MAX_LEVELS:
                    self.columns_[col] = ("levels", levels)
        if not self.columns_:
            raise ConfigError("The users table has no column to learn a profile from.")
        F = self._features(table)
        Y = model.user_vectors()[rows]
        self.mean_ = Y.mean(0)
        A = F.T @ F + self.ridge * np.eye(F.shape[1])
        self.coef_ = np.linalg.solve(A, F.T @ (Y - self.mean_))
        self.n_users_ = len(table)
        return self

    def fields(self) -> dict[str, list[str] | str]:
        """What the model asks: {column: its levels, or "number"}."""
        return {
            c: spec[1] if spec[0] == "levels" else "number" for c, spec in self.columns_.items()
        }

    def predict_vector(self, profiles: pd.DataFrame) -> np.ndarray:
        """[len(profiles), k] predicted `user_vectors()` rows."""
        return self.mean_ + self._features(profiles) @ self.coef_

    def start(self, model: CollabModel, profile: Mapping) -> NewUser:
        """The new user this profile ({column: value}; missing ones count as unknown) suggests."""
        self._check(profile)
        said = ", ".join(f"{k} {v}" for k, v in profile.items() if v is not None) or "nothing"
        vector = self.predict_vector(pd.DataFrame([dict(profile)]))[0]
        method = f"start: the profile model's guess from {said} (ridge over {self.n_users_} users)"
        return model.user_from_vector(vector, method)

    def _check(self, profile: Mapping) -> None:
        for col, value in profile.items():
            if value is None:
                continue
            spec = self.columns_.get(col)
            if spec is None:
                raise ConfigError(
                    f"The profile model knows nothing of {col!r}; it uses {', '.join(self.columns_)}."
                )
            if spec[0] == "number":
                try:
                    float(value)
                except (TypeError, ValueError):
                    raise ConfigError(f"{col} must be a number, not {value!r}.") from None
            elif str(value) not in spec[1]:
                raise ConfigError(
                    f"{value!r} is not a known {col}; choose one of {', '.join(spec[1])}."
                )

    def _features(self, table: pd.DataFrame) -> np.ndarray:
        """Standardised numbers (0: unknown), age bands and one-hot levels (all 0: unknown)."""
        n = len(table)
        cols = []
        for col, spec in self.columns_.items():
            values = table[col] if col in table else pd.Series([None] * n, index=table.index)
            if spec[0] == "number":
                v = pd.to_numeric(values, errors="coerce").to_numpy(float)
                cols.append(np.nan_to_num((v - spec[1]) / spec[2])[:, None])
                if col == "age":
                    band = np.array([age_band(a) if np.isfinite(a) else "" for a in v])
                    cols.append((band[:, None] == np.array(age_band_labels())).astype(float))
            else:
                text = values.astype(object).where(values.notna(), "").astype(str).to_numpy()
                cols.append((text[:, None] == np.array(spec[1])).astype(float))
        return np.concatenate(cols, axis=1)


def start_user(
    how: str,
    model: CollabModel,
    dataset: Dataset,
    profile: Mapping | None = None,
    *,
    profile_model: ProfileModel | None = None,
) -> NewUser:
    """The starting `NewUser` for `how` in `STARTS` ("profile" needs `profile`, {column: value})."""
    if how == "mean":
        return model.mean_user()
    if how == "representative":
        return representative_user(model, dataset).user
    if how == "profile":
        pm = profile_model or ProfileModel().fit(model, dataset)
        return pm.start(model, profile or {})
    raise ConfigError(f"Unknown start {how!r}; choose one of {', '.join(STARTS)}.")
