"""The errors a user can cause (one hierarchy; messages say the fix) and the setting checks raising them."""

import numpy as np


class CollabError(Exception):
    """Base class for every error a user can cause; the app shows its message, the CLI exits 2."""


class DataError(CollabError):
    """A ratings or items file (or a data set download) that cannot be used as it is."""


class MissingColumnError(DataError):
    """A ratings file with no column for a role (user ids, item ids, ratings) that could be found.

    `file`, `role` (a key of `readers.COLUMN_ALIASES`) and `columns` (the file's) let a page name
    its own controls; the message says what to rename.
    """

    def __init__(self, message: str, *, file: str, role: str, columns: list[str]) -> None:
        super().__init__(message)
        self.file, self.role, self.columns = file, role, columns


class ConfigError(CollabError):
    """A training or analysis setting that is out of range or inconsistent."""


class UnknownItemError(CollabError):
    """A movie title or id that is not in the data set (the message lists close candidates)."""


class StoreError(CollabError):
    """A model-store operation that cannot be done (unknown model id, unreadable store)."""


class EngineUnavailable(CollabError):
    """A training engine that cannot run here (Apache Spark without pyspark or Java); says the fix."""


class TrainingCancelled(CollabError):
    """Training was stopped by the caller between two batches."""


def check_whole(name: str, value, minimum: int) -> None:
    """`ConfigError` unless `value` is a whole number >= `minimum` (a setting a user chose)."""
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < minimum:
        raise ConfigError(f"{name} must be a whole number of at least {minimum}, not {value!r}.")


def check_unit(name: str, value, lo: str, hi: str) -> None:
    """`ConfigError` unless `value` is a number in [0, 1]; `lo` and `hi` say what the ends mean."""
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 <= value <= 1:
        raise ConfigError(f"{name} must be a number from {lo} to {hi}, not {value!r}.")
