"""What the app remembers per data set between visits: active model, last trained, Train form, ratings.

One small JSON file per data set under `$COLLAB_EXPLORER_HOME/prefs/` (the data set's key, e.g.
"ml-100k" or "upload:<folder>", URL-quoted as the file name):

    {"version": 1, "active_model": "3f2a…", "last_trained": {"model_id": "…", "cached": false},
     "train_form": {"train_wd_dot": 0.1, …}, "ratings": [[50, 5.0], [181, 4.0]]}

Ratings are kept by item id (not row number), in the order they were given. Writes are atomic
(temp file, then rename) under a lock per file, so two sessions never interleave a write and a
reader never sees half a file. A file that cannot be read is never trusted: it is moved aside to
`<name>.corrupt` (kept for the curious), a `PrefsWarning` says so, and the data set starts afresh;
a field of the wrong type is dropped the same way, the others kept.
"""

from __future__ import annotations

import json
import math
import numbers
import os
import warnings
from pathlib import Path
from urllib.parse import quote

from filelock import FileLock

from . import paths
from .errors import StoreError

VERSION = 1
# The fields and their JSON types; anything else in a file is ignored.
FIELDS: dict[str, type] = {
    "active_model": str,
    "last_trained": dict,
    "train_form": dict,
    "ratings": list,
}


class PrefsWarning(UserWarning):
    """A preferences file (or one field of it) could not be used; the data set starts afresh."""


class Prefs:
    """Per-data-set preferences in `root` (default `$COLLAB_EXPLORER_HOME/prefs`).

    Stateless besides its folder: share one instance between sessions and threads.
    `read(key)` returns the saved fields ({} when none); `update(key, **fields)` sets fields (None
    removes one) and returns the result. Both take the data set's key.
    """

    def __init__(self, root: str | os.PathLike | None = None) -> None:
        self.root = Path(root).expanduser() if root is not None else paths.home() / "prefs"

    def path(self, key: str) -> Path:
        if not key:
            raise StoreError("A data set key is needed to keep its preferences.")
        return self.root / f"{quote(key, safe='')}.json"

    def read(self, key: str) -> dict:
        """The fields saved for data set `key`; {} (with a `PrefsWarning`) for a damaged file."""
        path = self.path(key)
        try:
            raw = path.read_bytes()
        except FileNotFoundError:
            return {}
        except OSError as exc:
            warnings.warn(
                f"Could not read the saved choices for this data set ({exc.strerror}); "
                "starting afresh.",
                PrefsWarning,
                stacklevel=2,
            )
            return {}
        try:
            found = json.loads(raw)
            if not isinstance(found, dict):
                raise ValueError("not a JSON object")
        except ValueError as exc:
            self._set_aside(path, str(exc))
            return {}
        return _clean(found)

    def update(self, key: str, **fields) -> dict:
        """Set `fields` for data set `key` (a None value removes the field); returns all fields.

        Raises `StoreError` when the home folder cannot be written (the message says which).
        """
        unknown = sorted(set(fields) - set(FIELDS))
        if unknown:
            raise StoreError(f"Unknown preferences {unknown}; known ones are {sorted(FIELDS)}.")
        path = self.path(key)
        try:
            (self.root / ".locks").mkdir(parents=True, exist_ok=True)
            with FileLock(self.root / ".locks" / f"{path.name}.lock", timeout=10):
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore", PrefsWarning)  # reported by the last read
                    saved = self.read(key)
                for name, value in fields.items():
                    if value is None:
                        saved.pop(name, None)
                    else:
                        saved[name] = value
                saved = _clean(saved)
                data = json.dumps({"version": VERSION, **saved}, indent=1, default=_plain)
                paths.atomic_write(path, data.encode())
        except (OSError, TimeoutError) as exc:
            raise StoreError(
                f"Could not save the choices for this data set in {self.root} ({exc}); set "
                "COLLAB_EXPLORER_HOME to a folder you can write to."
            ) from None
        return saved

    def _set_aside(self, path: Path, why: str) -> None:
        aside = path.with_name(path.name + ".corrupt")
        try:
            os.replace(path, aside)
            where = f" It was moved to {aside.name}."
        except OSError:
            where = ""
        warnings.warn(
            f"The saved choices for this data set ({path.name}) were damaged ({why}) and are not "
            f"used; the data set starts afresh.{where}",
            PrefsWarning,
            stacklevel=3,
        )


def _clean(found: dict) -> dict:
    """The known fields of a file, type-checked; a bad field is dropped with a `PrefsWarning`."""
    out = {}
    for name, kind in FIELDS.items():
        if name not in found:
            continue
        value = found[name]
        if name == "ratings" and isinstance(value, list):
            value, bad = _ratings(value)
        else:
            bad = not isinstance(value, kind)
        if bad:
            warnings.warn(
                f"The saved {name.replace('_', ' ')} of this data set could not be read; "
                "it was dropped.",
                PrefsWarning,
                stacklevel=3,
            )
        if isinstance(value, kind):
            out[name] = value
    return out


def _ratings(value: list) -> tuple[list, bool]:
    """[[item id, rating], ...] with the unusable pairs left out, and whether there were any."""
    good = []
    for pair in value:
        if not (isinstance(pair, (list, tuple)) and len(pair) == 2):
            continue
        item, rating = pair
        if isinstance(item, bool) or isinstance(rating, bool):
            continue
        if isinstance(item, numbers.Integral):
            item = int(item)
        elif not isinstance(item, str):
            continue
        if isinstance(rating, numbers.Real) and math.isfinite(rating):
            good.append([item, float(rating)])
    return good, len(good) != len(value)


def _plain(obj):
    """numpy scalars (item ids, ratings, widget values) as JSON numbers."""
    if hasattr(obj, "item"):
        return obj.item()
    raise TypeError(f"{type(obj).__name__} cannot be saved as a preference")
