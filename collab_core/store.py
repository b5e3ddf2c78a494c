"""`ModelStore`: every trained model cached on disk, keyed by data set + config, safe to reload.

Layout of the store folder (`paths.models_dir()` by default), one model per key:

    <id>.safetensors   the weights (safetensors: loading them cannot run code)
    <id>.json          metadata: config, metrics, history, data set, checksum... written LAST, so a
                       model is visible only once its weights are complete
    .locks/<id>.lock   a file lock per key: one process trains, the others wait and reuse the result

The metadata file's mtime is the model's "last used" time (set on every load), which the optional
size cap uses to evict the least recently used models first.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import time
import warnings
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any

from filelock import FileLock, Timeout

from . import __version__, paths
from .errors import StoreError, TrainingCancelled

if TYPE_CHECKING:
    from torch import nn

    from .config import TrainConfig
    from .data import Dataset
    from .training import TrainEvent

# Bump when the file layout or the meaning of stored weights changes: old entries then miss.
FORMAT_VERSION = 1
ENV_MAX_MB = "COLLAB_EXPLORER_STORE_MAX_MB"
WEIGHTS_SUFFIX = ".safetensors"
META_SUFFIX = ".json"
ID_LENGTH = 12
_ID_PATTERN = re.compile(f"[0-9a-f]{{1,{ID_LENGTH}}}")
# Metadata keys every valid entry has, with their JSON types (what `load` needs to rebuild the model).
REQUIRED_META: dict[str, type | tuple[type, ...]] = {
    "model_id": str,
    "format": int,
    "fingerprint": str,
    "config": dict,
    "n_users": int,
    "n_items": int,
    "y_range": (list, type(None)),  # None: a model without a link range (`BayesDot`)
    "sha256": str,
    "size": int,
}


class ModelStoreWarning(UserWarning):
    """A stored model was damaged or foreign; it was not served (and is retrained when possible)."""


class _Missing(Exception):
    """No entry for this id (internal)."""


class _Damaged(Exception):
    """An entry exists but cannot be trusted; the message says why (internal)."""


@dataclass
class StoredModel:
    """A trained model from the store; `cached` says whether it was reused rather than trained now."""

    model_id: str
    model: nn.Module
    config: TrainConfig
    meta: dict[str, Any]
    cached: bool
    warnings: list[str] = field(default_factory=list)

    @property
    def metrics(self) -> dict[str, Any]:
        return self.meta.get("metrics", {})

    @property
    def history(self) -> list[dict[str, Any]]:
        return self.meta.get("history", [])


def _plain(obj: Any) -> Any:
    """JSON fallback for numpy / torch scalars and arrays that metrics and histories may hold."""
    if hasattr(obj, "tolist"):
        return obj.tolist()
    if hasattr(obj, "item"):
        return obj.item()
    return str(obj)


def _json_normal(obj: Any) -> Any:
    """`obj` as it reads back from JSON (tuples become lists), so stored and fresh keys compare equal."""
    return json.loads(json.dumps(obj, sort_keys=True, default=_plain))


def model_key(fingerprint: str, config: TrainConfig) -> dict[str, Any]:
    """The full store key: data set fingerprint, every weight-changing config field, format version."""
    return {
        "format": FORMAT_VERSION,
        "fingerprint": fingerprint,
        "config": _json_normal(config.key()),
    }


def model_id_for(fingerprint: str, config: TrainConfig) -> str:
    """A short, stable hash of the key (the same in every process and on every machine)."""
    blob = json.dumps(model_key(fingerprint, config), sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(blob.encode()).hexdigest()[:ID_LENGTH]


def _looks_like_safetensors(data: bytes) -> bool:
    """A safetensors file starts with a little-endian u64 header length, then a JSON object."""
    if len(data) < 10:
        return False
    n = int.from_bytes(data[:8], "little")
    return 8 + n <= len(data) and data[8:9] == b"{"


def _max_bytes_from_env() -> int | None:
    raw = os.environ.get(ENV_MAX_MB, "").strip()
    if not raw:
        return None
    try:
        mb = float(raw)
    except ValueError:
        raise StoreError(
            f"{ENV_MAX_MB}={raw!r} is not a number; give the store's size cap in "
            "megabytes (e.g. 500), or unset it for no cap."
        ) from None
    if mb <= 0:
        raise StoreError(f"{ENV_MAX_MB}={raw!r} must be a positive number of megabytes.")
    return int(mb * 1e6)


class ModelStore:
    """On-disk cache of trained models keyed by data set fingerprint + training config.

    Holds no state besides its folder and size cap, so one instance can be shared by every
    Streamlit session (`st.cache_resource`) and by threads; processes coordinate by file locks.
    `max_bytes` (default: `$COLLAB_EXPLORER_STORE_MAX_MB`, else no cap) evicts the least recently
    used models after each save.
    """

    def __init__(
        self, root: str | os.PathLike | None = None, *, max_bytes: int | None = None
    ) -> None:
        self.root = Path(root).expanduser() if root is not None else paths.models_dir()
        self.root.mkdir(parents=True, exist_ok=True)
        self.max_bytes = max_bytes if max_bytes is not None else _max_bytes_from_env()
        if self.max_bytes is not None and self.max_bytes <= 0:
            raise StoreError(f"max_bytes must be positive, got {self.max_bytes}.")

    def __repr__(self) -> str:
        return f"ModelStore(root={str(self.root)!r}, max_bytes={self.max_bytes})"

    # -- paths ---------------------------------------------------------------------------------

    def _weights_path(self, model_id: str) -> Path:
        return self.root / f"{model_id}{WEIGHTS_SUFFIX}"

    def _meta_path(self, model_id: str) -> Path:
        return self.root / f"{model_id}{META_SUFFIX}"

    def _lock(self, model_id: str) -> FileLock:
        locks = self.root / ".locks"
        try:
            locks.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise StoreError(
                f"Cannot write to the model store {self.root} ({exc.strerror}); set "
                "COLLAB_EXPLORER_HOME to a folder you can write to."
            ) from None
        # A new FileLock object per use: each opens its own descriptor, so threads exclude each other too.
        return FileLock(locks / f"{model_id}.lock")

    @contextmanager
    def _locked(self, model_id: str, cancel: Callable[[], bool] | None) -> Iterator[None]:
        """Hold the key's lock; while another process trains it, wait (and honour `cancel`)."""
        lock = self._lock(model_id)
        while True:
            try:
                lock.acquire(timeout=0.1)
                break
            except Timeout:
                if cancel is not None and cancel():
                    raise TrainingCancelled(
                        "Stopped while waiting for another training of the same model to finish."
                    ) from None
        try:
            yield
        finally:
            lock.release()

    # -- public API ----------------------------------------------------------------------------

    def model_id(self, dataset: Dataset, config: TrainConfig) -> str:
        """The id `config` trained on `dataset` has (or would have) in the store."""
        return model_id_for(dataset.fingerprint, config)

    def find(self, dataset: Dataset, config: TrainConfig) -> StoredModel | None:
        """The stored model for (dataset, config), or None; a damaged entry is reported, not served."""
        model_id = self.model_id(dataset, config)
        try:
            return self._load(model_id, dataset, config)
        except _Missing:
            return None
        except _Damaged as exc:
            warnings.warn(
                self._damaged_message(model_id, exc, "it is ignored"),
                ModelStoreWarning,
                stacklevel=2,
            )
            return None

    def get_or_train(
        self,
        dataset: Dataset,
        config: TrainConfig,
        *,
        callback: Callable[[TrainEvent], None] | None = None,
        cancel: Callable[[], bool] | None = None,
        fit: Callable[..., Any] | None = None,
    ) -> StoredModel:
        """The stored model for (dataset, config) at once if there is one, else train, store, return it.

        `fit(dataset, config, callback=, cancel=)` trains it (default `training.fit`; Spark's
        `spark_train.SparkTrainer.fit` for `model="als"`), returning a `TrainResult`.

        Concurrent calls for the same key (threads or processes) train once: the others wait on the
        key's lock and then load the result. A damaged entry is reported (warning) and retrained.
        `cancel()` returning True stops training (or waiting) with `TrainingCancelled`, storing nothing.
        """
        model_id = self.model_id(dataset, config)
        # Fast path without the lock: files are replaced atomically, metadata last.
        with suppress(_Missing, _Damaged):
            return self._load(model_id, dataset, config)

        problems: list[str] = []
        with self._locked(model_id, cancel):
            try:
                # Another process may have trained it while we waited for the lock.
                return self._load(model_id, dataset, config)
            except _Missing:
                pass
            except _Damaged as exc:
                # Only judged damaged under the lock, where no writer can be half-way through.
                msg = self._damaged_message(model_id, exc, "it is being retrained")
                warnings.warn(msg, ModelStoreWarning, stacklevel=2)
                problems.append(msg)
                self._delete_files(model_id)
            if fit is None:
                from .training import fit
            result = fit(dataset, config, callback=callback, cancel=cancel)
            try:
                stored = self._save(model_id, dataset, config, result)
            except OSError as exc:
                # Disk full or read-only: the training is not lost, it is just not cached.
                self._delete_files(model_id)
                msg = f"Could not save model {model_id} in {self.root} ({exc}); it is not cached."
                warnings.warn(msg, ModelStoreWarning, stacklevel=2)
                problems.append(msg)
                stored = StoredModel(model_id, result.model, config, {}, cached=False)
            stored.warnings = problems
        self._evict(keep=model_id)
        return stored

    def put(
        self,
        dataset: Dataset,
        config: TrainConfig,
        model: nn.Module,
        *,
        metrics: dict | None = None,
    ) -> StoredModel:
        """Store a model made elsewhere (`spark_import`: factors opened from files) under
        (dataset, config), replacing what was there; it then serves every page like a trained one."""
        from types import SimpleNamespace

        model_id = self.model_id(dataset, config)
        result = SimpleNamespace(model=model, metrics=metrics or {}, history=[], device="imported")
        with self._locked(model_id, None):
            stored = self._save(model_id, dataset, config, result)
        self._evict(keep=model_id)
        return stored

    def load(self, model_id: str) -> StoredModel:
        """The stored model with this id (or unique id prefix); StoreError if unknown or damaged."""
        model_id = self._resolve(model_id)
        try:
            return self._load(model_id)
        except _Missing:
            raise StoreError(self._unknown_message(model_id)) from None
        except _Damaged as exc:
            msg = self._damaged_message(model_id, exc, "it cannot be loaded")
            raise StoreError(
                f"{msg} Remove it (`collab-explorer models rm {model_id}`) and train it again."
            ) from None

    def info(self, model_id: str) -> dict[str, Any]:
        """An entry's metadata (config, metrics, history, ...), read without loading the weights
        and without counting as a use (listing models must not reorder the size cap's eviction)."""
        model_id = self._resolve(model_id)
        try:
            return self._read_meta(model_id)
        except _Missing:
            raise StoreError(self._unknown_message(model_id)) from None
        except _Damaged as exc:
            raise StoreError(self._damaged_message(model_id, exc, "it cannot be read")) from None

    def list(self, fingerprint: str | None = None) -> list[dict[str, Any]]:
        """One summary dict per stored model, newest first (optionally only one data set's).

        Reads metadata only (no checksums), so it is cheap; an entry whose metadata is unreadable
        is listed with `problem` set (only when no fingerprint is given) so it can be removed.
        """
        rows = []
        for meta_path in self.root.glob(f"*{META_SUFFIX}"):
            model_id = meta_path.name[: -len(META_SUFFIX)]
            if not _ID_PATTERN.fullmatch(model_id):
                continue  # not ours (temp files start with a dot)
            try:
                meta = self._read_meta(model_id)
                st = meta_path.stat()
            except (_Missing, FileNotFoundError):
                continue  # removed while we listed
            except _Damaged as exc:
                if fingerprint is None:
                    rows.append(self._row(model_id, {}, None, problem=str(exc)))
                continue
            if fingerprint is not None and meta.get("fingerprint") != fingerprint:
                continue
            problem = None
            try:
                if self._weights_path(model_id).stat().st_size != meta["size"]:
                    problem = "weights file has the wrong size"
            except FileNotFoundError:
                problem = "weights file is missing"
            rows.append(self._row(model_id, meta, st.st_mtime, problem=problem))
        rows.sort(key=lambda r: (r["created"] or "", r["model_id"]), reverse=True)
        return rows

    def remove(self, model_id: str) -> None:
        """Delete one stored model by id (or unique id prefix); StoreError if there is none."""
        model_id = self._resolve(model_id)
        lock = self._lock(model_id)
        try:
            lock.acquire(timeout=30)
        except Timeout:
            raise StoreError(
                f"Model {model_id} is being trained or repaired right now; try again "
                "when that has finished."
            ) from None
        try:
            if not self._delete_files(model_id):
                raise StoreError(self._unknown_message(model_id))
        finally:
            lock.release()

    def total_bytes(self) -> int:
        """Bytes the stored models take on disk (weights + metadata)."""
        return sum(size for _, _, size in self._entries())

    # -- internals -----------------------------------------------------------------------------

    def _row(self, model_id: str, meta: dict, last_used: float | None, problem: str | None) -> dict:
        config = meta.get("config") if isinstance(meta.get("config"), dict) else {}
        metrics = meta.get("metrics") if isinstance(meta.get("metrics"), dict) else {}
        return {
            "model_id": model_id,
            "model": config.get("model"),
            "n_factors": config.get("n_factors"),
            "wd": config.get("wd"),
            "epochs": config.get("epochs"),
            "valid_rmse": metrics.get("valid_rmse"),
            "size": meta.get("size"),
            "created": meta.get("created"),
            "last_used": (
                datetime.fromtimestamp(last_used, timezone.utc).isoformat(timespec="seconds")
                if last_used is not None
                else None
            ),
            "dataset": meta.get("dataset"),
            "fingerprint": meta.get("fingerprint"),
            "device": meta.get("device"),
            "train_seconds": meta.get("train_seconds"),
            "problem": problem,
        }

    def _resolve(self, model_id: str) -> str:
        """An exact id, or the one id starting with `model_id` (like git's short hashes)."""
        model_id = str(model_id).strip().lower()
        if not _ID_PATTERN.fullmatch(model_id):
            raise StoreError(self._unknown_message(model_id))
        if self._meta_path(model_id).exists() or self._weights_path(model_id).exists():
            return model_id
        matches = sorted(
            {
                p.name.split(".")[0]
                for p in self.root.glob(f"{model_id}*")
                if p.suffix in (META_SUFFIX, WEIGHTS_SUFFIX) and _ID_PATTERN.fullmatch(p.stem)
            }
        )
        if len(matches) == 1:
            return matches[0]
        if len(matches) > 1:
            raise StoreError(
                f"{model_id!r} matches {len(matches)} models ({', '.join(matches)}); "
                "give more of the id."
            )
        raise StoreError(self._unknown_message(model_id))

    def _unknown_message(self, model_id: str) -> str:
        return (
            f"No stored model has the id {model_id!r} (in {self.root}). Ids are "
            f"{ID_LENGTH} hex digits (or a unique start of one); `collab-explorer models` lists them."
        )

    @staticmethod
    def _damaged_message(model_id: str, exc: Exception, outcome: str) -> str:
        return f"Stored model {model_id} is damaged or not ours ({exc}); {outcome}."

    def _read_meta(self, model_id: str) -> dict[str, Any]:
        try:
            raw = self._meta_path(model_id).read_bytes()
        except FileNotFoundError:
            raise _Missing(model_id) from None
        except OSError as exc:
            raise _Damaged(f"its metadata file cannot be read ({exc.strerror})") from None
        try:
            meta = json.loads(raw)
        except (ValueError, UnicodeDecodeError):
            raise _Damaged("its metadata file is not valid JSON") from None
        if not isinstance(meta, dict):
            raise _Damaged("its metadata file is not a JSON object")
        if meta.get("format") != FORMAT_VERSION:
            raise _Damaged(
                f"store format {meta.get('format')!r}, this version reads {FORMAT_VERSION}"
            )
        missing = [k for k in REQUIRED_META if k not in meta]
        if missing:
            raise _Damaged(f"its metadata lacks {', '.join(missing)}")
        wrong = [k for k, t in REQUIRED_META.items() if not isinstance(meta[k], t)]
        if wrong or (meta["y_range"] is not None and len(meta["y_range"]) != 2):
            raise _Damaged(
                f"its metadata has values of the wrong type ({', '.join(wrong) or 'y_range'})"
            )
        if meta["model_id"] != model_id:
            raise _Damaged(f"its metadata belongs to model {meta['model_id']!r}")
        return meta

    def _load(
        self,
        model_id: str,
        dataset: Dataset | None = None,
        config: TrainConfig | None = None,
    ) -> StoredModel:
        """Read, verify and rebuild one entry; raises _Missing or _Damaged, never serves a bad file."""
        import torch
        from safetensors.torch import load as load_safetensors

        from .config import TrainConfig
        from .models import build_model

        meta = self._read_meta(model_id)
        if dataset is not None and config is not None:
            want = model_key(dataset.fingerprint, config)
            got = {
                "format": meta["format"],
                "fingerprint": meta["fingerprint"],
                "config": meta["config"],
            }
            if got != want:
                raise _Damaged("its metadata is for a different data set or config")
        try:
            data = self._weights_path(model_id).read_bytes()
        except FileNotFoundError:
            raise _Damaged("its weights file is missing") from None
        except OSError as exc:
            raise _Damaged(f"its weights file cannot be read ({exc.strerror})") from None
        if not _looks_like_safetensors(data):
            if len(data) < meta["size"]:
                raise _Damaged(
                    f"its weights file is truncated ({len(data):,} of {meta['size']:,} bytes)"
                )
            raise _Damaged("its weights file is not a safetensors file")
        if len(data) != meta["size"]:
            raise _Damaged(
                f"its weights file is {len(data):,} bytes, expected {meta['size']:,} "
                "(truncated or overwritten)"
            )
        if hashlib.sha256(data).hexdigest() != meta["sha256"]:
            raise _Damaged("checksum mismatch: its weights file was changed or corrupted")
        try:
            state = load_safetensors(data)
        except Exception as exc:  # safetensors raises its own error type for a bad header
            raise _Damaged(f"its weights file cannot be read as safetensors ({exc})") from None
        try:
            stored_config = TrainConfig.from_dict(meta["config"])
            # The fresh model's random init is overwritten at once; keep it off the global RNG.
            with torch.random.fork_rng(devices=[]):
                model = build_model(
                    stored_config,
                    int(meta["n_users"]),
                    int(meta["n_items"]),
                    None if meta["y_range"] is None else tuple(meta["y_range"]),
                )
        except Exception as exc:  # a config this version of the code cannot build
            raise _Damaged(f"its config cannot be rebuilt ({exc})") from None
        try:
            model.load_state_dict(state, strict=True)
        except RuntimeError as exc:
            first = str(exc).strip().splitlines()
            raise _Damaged(
                "its weights do not fit the model (shape mismatch: "
                f"{first[-1].strip() if first else exc})"
            ) from None
        model.eval()
        # Set last-used explicitly (fine-grained clock) for LRU eviction; a failure here is harmless.
        now = time.time_ns()
        with suppress(OSError):
            os.utime(self._meta_path(model_id), ns=(now, now))
        return StoredModel(
            model_id=model_id, model=model, config=config or stored_config, meta=meta, cached=True
        )

    def _save(self, model_id: str, dataset: Dataset, config: TrainConfig, result) -> StoredModel:
        """Write weights, then metadata (atomically each); the caller holds the key's lock."""
        from safetensors.torch import save as save_safetensors

        model = result.model
        # clone(): safetensors refuses tensors that share memory; contiguous CPU copies are safe.
        state = {k: v.detach().cpu().contiguous().clone() for k, v in model.state_dict().items()}
        data = save_safetensors(
            state, metadata={"model_id": model_id, "format": str(FORMAT_VERSION)}
        )
        metrics = dict(result.metrics)
        meta = {
            "model_id": model_id,
            "format": FORMAT_VERSION,
            "fingerprint": dataset.fingerprint,
            "dataset": dataset.name,
            "config": _json_normal(config.key()),
            "n_users": int(model.n_users),
            "n_items": int(model.n_items),
            "y_range": None if model.y_range is None else [float(v) for v in model.y_range],
            "metrics": _json_normal(metrics),
            "history": _json_normal(list(result.history)),
            "device": str(result.device),
            "created": datetime.now(timezone.utc).isoformat(timespec="seconds"),
            "train_seconds": metrics.get("train_seconds"),
            "version": __version__,
            "sha256": hashlib.sha256(data).hexdigest(),
            "size": len(data),
        }
        self._remove_temp_files(model_id)
        paths.atomic_write(self._weights_path(model_id), data)
        paths.atomic_write(self._meta_path(model_id), json.dumps(meta, indent=1).encode())
        model.eval()
        return StoredModel(model_id=model_id, model=model, config=config, meta=meta, cached=False)

    def _remove_temp_files(self, model_id: str) -> None:
        """Temp files a crashed writer of this key left behind (we hold its lock, so none is live)."""
        for tmp in self.root.glob(f".{model_id}.*.tmp"):
            with suppress(OSError):
                tmp.unlink()

    def _delete_files(self, model_id: str) -> bool:
        """Remove an entry, metadata first so it disappears at once; True if anything was there."""
        found = False
        for path in (self._meta_path(model_id), self._weights_path(model_id)):
            try:
                path.unlink()
                found = True
            except FileNotFoundError:
                pass
        return found

    def _entries(self) -> list[tuple[str, float, int]]:
        """(model_id, last used, bytes on disk) for every entry that has metadata."""
        out = []
        for meta_path in self.root.glob(f"*{META_SUFFIX}"):
            model_id = meta_path.name[: -len(META_SUFFIX)]
            if not _ID_PATTERN.fullmatch(model_id):
                continue  # not ours (temp files start with a dot)
            try:
                st = meta_path.stat()
                size = st.st_size
                with suppress(FileNotFoundError):
                    size += self._weights_path(model_id).stat().st_size
            except FileNotFoundError:
                continue
            out.append((model_id, st.st_mtime_ns, size))
        return out

    def _evict(self, keep: str) -> list[str]:
        """Remove least recently used models until the store fits `max_bytes` (never `keep`)."""
        if self.max_bytes is None:
            return []
        entries = self._entries()
        total = sum(size for _, _, size in entries)
        evicted = []
        for model_id, _, size in sorted(entries, key=lambda e: e[1]):
            if total <= self.max_bytes:
                break
            if model_id == keep:
                continue
            lock = self._lock(model_id)
            try:
                lock.acquire(timeout=0)  # in use (being retrained) elsewhere: leave it alone
            except Timeout:
                continue
            try:
                self._delete_files(model_id)
            finally:
                lock.release()
            total -= size
            evicted.append(model_id)
        return evicted


def default_model(
    dataset: Dataset,
    callback: Callable[[TrainEvent], None] | None = None,
    *,
    store: ModelStore | None = None,
    cancel: Callable[[], bool] | None = None,
) -> StoredModel:
    """The default `TrainConfig` trained on `dataset`, through the store (instant once trained)."""
    from .config import TrainConfig

    return (store or ModelStore()).get_or_train(
        dataset, TrainConfig(), callback=callback, cancel=cancel
    )
