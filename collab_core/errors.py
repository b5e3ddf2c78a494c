"""The errors a user can cause: one small hierarchy, each message saying what was wrong and the fix."""


class CollabError(Exception):
    """Base class for every error a user can cause; the app shows its message, the CLI exits 2."""


class DataError(CollabError):
    """A ratings or items file (or a data set download) that cannot be used as it is."""


class ConfigError(CollabError):
    """A training or analysis setting that is out of range or inconsistent."""


class UnknownItemError(CollabError):
    """A movie title or id that is not in the data set (the message lists close candidates)."""


class StoreError(CollabError):
    """A model-store operation that cannot be done (unknown model id, unreadable store)."""


class TrainingCancelled(CollabError):
    """Training was stopped by the caller between two batches."""
