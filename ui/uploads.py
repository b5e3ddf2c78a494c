"""Uploaded data sets on disk: `$COLLAB_EXPLORER_HOME/data/uploads/<fingerprint>/`.

The bytes are written once under a name derived from their content, so a cached loader can key on
the folder path alone, and uploads survive a browser refresh or a server restart.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path

from collab_core import paths
from collab_core.data import Dataset, load_ratings_file
from collab_core.readers import file_columns as file_columns  # the Upload page's column sniffer

PREFIX = "upload:"


@dataclass(frozen=True)
class Upload:
    folder: Path
    label: str

    @property
    def key(self) -> str:
        return PREFIX + self.folder.name


def uploads_dir() -> Path:
    path = paths.data_dir() / "uploads"
    path.mkdir(parents=True, exist_ok=True)
    return path


def upload_fingerprint(ratings: bytes, items: bytes | None, mapping: dict | None) -> str:
    h = hashlib.sha256(ratings)
    h.update(b"\0items\0" + (items or b""))
    h.update(json.dumps(mapping or {}, sort_keys=True).encode())
    return h.hexdigest()[:16]


def save_upload(
    ratings: bytes,
    ratings_name: str,
    items: bytes | None = None,
    items_name: str | None = None,
    mapping: dict | None = None,
    label: str | None = None,
) -> Upload:
    """Write an upload (already validated by the caller) and return where it lives."""
    folder = uploads_dir() / upload_fingerprint(ratings, items, mapping)
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "ratings.bin").write_bytes(ratings)
    if items is not None:
        (folder / "items.bin").write_bytes(items)
    meta = {
        "ratings_name": ratings_name,
        "items_name": items_name,
        "mapping": mapping or None,
        "label": label or Path(ratings_name).stem,
    }
    (folder / "meta.json").write_text(json.dumps(meta))
    return Upload(folder, meta["label"])


def list_uploads() -> list[Upload]:
    """Every saved upload, newest first."""
    found = []
    for folder in uploads_dir().iterdir():
        meta_path = folder / "meta.json"
        if meta_path.is_file() and (folder / "ratings.bin").is_file():
            try:
                label = json.loads(meta_path.read_text())["label"]
            except (ValueError, KeyError):
                continue
            found.append((meta_path.stat().st_mtime, Upload(folder, label)))
    return [u for _, u in sorted(found, key=lambda t: t[0], reverse=True)]


def find_upload(key: str) -> Upload | None:
    return next((u for u in list_uploads() if u.key == key), None)


def load_upload(folder: str | Path) -> Dataset:
    """The `Dataset` of a saved upload (raises `DataError` if the files went bad)."""
    folder = Path(folder)
    meta = json.loads((folder / "meta.json").read_text())
    items = folder / "items.bin"
    return load_ratings_file(
        (folder / "ratings.bin").read_bytes(),
        items.read_bytes() if items.is_file() else None,
        ratings_name=meta["ratings_name"],
        items_name=meta.get("items_name"),
        mapping=meta.get("mapping"),
    )
