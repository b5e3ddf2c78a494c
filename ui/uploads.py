"""Data sets from the Upload page, on disk: `$COLLAB_EXPLORER_HOME/data/uploads/<key>/`.

An uploaded file is written to disk once, as it arrives (`stage`), and read from there, so a large
file is never held twice in memory; "Use this data set" links it into its own folder with the
settings it is read with (`save`). A file opened by path on this machine stays where it is: its
folder keeps the path. Either way the data set survives a browser refresh or a server restart.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import time
from dataclasses import dataclass, field
from pathlib import Path

from collab_core import archives, grouplens, localfiles, paths
from collab_core.data import Dataset, load_dataset, load_ratings_file, with_users
from collab_core.errors import DataError
from collab_core.tables import Progress
from collab_core.tables import file_columns as file_columns  # the Upload page's column sniffer

PREFIX = "upload:"
# Staged uploads nobody used are removed after this long.
_STAGED_MAX_AGE_S = 24 * 3600


@dataclass(frozen=True)
class Upload:
    folder: Path
    label: str

    @property
    def key(self) -> str:
        return PREFIX + self.folder.name


@dataclass(frozen=True)
class Reading:
    """A ratings file to read (an upload staged on disk, or a path on this machine) and how."""

    ratings: Path
    ratings_name: str
    items: Path | None = None
    items_name: str | None = None
    mapping: dict | None = None
    scale: tuple[float, float] | None = None
    on_server: bool = False  # a path on this machine (checked against the allowed folders)
    users: Path | None = None  # a users file (age, occupation, ...): the profile start's data
    users_name: str | None = None
    key: tuple = field(init=False, compare=False)

    def __post_init__(self) -> None:
        # What the data set depends on: the files (by identity: a link or a change is seen) and
        # the settings. Equal keys give the same data set, so a cache may share it.
        files = (_identity(self.ratings), _identity(self.items) if self.items else None)
        settings = json.dumps([self.mapping or {}, self.scale], sort_keys=True)
        users = (_identity(self.users), self.users_name) if self.users else None
        key = (files, settings, self.ratings_name, self.items_name, users)
        object.__setattr__(self, "key", key)

    def load(self, progress: Progress | None = None) -> Dataset:
        """The data set; a `DataError` saying what to fix when it cannot be read."""
        ds = self._ratings(progress)
        return ds if self.users is None else with_users(ds, self.users, self.users_name)

    def _ratings(self, progress: Progress | None) -> Dataset:
        how = {"mapping": self.mapping or None, "scale": self.scale, "progress": progress}
        if self.on_server:
            path = localfiles.check_path(self.ratings)  # the allowed folders may have changed
            return load_dataset(path, items=self.items, **how)
        return load_ratings_file(
            self.ratings,
            self.items,
            ratings_name=self.ratings_name,
            items_name=self.items_name,
            **how,
        )

    def columns(self) -> list[str] | None:
        """The ratings file's header (for the column mapping); None for a GroupLens layout,
        whose columns are known."""
        if self.ratings.is_dir():
            return None
        try:
            zf = archives.zip_of(self.ratings, self.ratings_name)
        except DataError:
            return []
        if zf is not None:
            with zf:
                try:
                    if grouplens.zip_layout(zf, self.ratings_name) is not None:
                        return None
                except DataError:
                    return []
        return file_columns(self.ratings)

    def default_label(self) -> str:
        name = archives.strip_suffix(self.ratings_name)
        return Path(name).stem if "." in name else name


def _identity(path: Path) -> tuple:
    """A file (or GroupLens folder) as it is now: where it lives, its size and when it changed."""
    try:
        targets = grouplens.companions(path)
    except DataError:
        targets = []
    stats = []
    for p in [path, *targets]:
        try:
            s = p.stat()
        except OSError:
            continue
        stats.append((s.st_dev, s.st_ino, s.st_size, s.st_mtime_ns))
    return tuple(stats)


def uploads_dir() -> Path:
    path = paths.data_dir() / "uploads"
    path.mkdir(parents=True, exist_ok=True)
    return path


def stage(file, name: str | None = None) -> Path:
    """Write an uploaded file (Streamlit's `UploadedFile`, or bytes) to disk once; its path.

    Streamlit holds the upload in memory; it is written in blocks from that one copy.
    """
    folder = uploads_dir() / "staged"
    folder.mkdir(exist_ok=True)
    data = file if isinstance(file, bytes) else file.getvalue()  # Streamlit's bytes, not a copy
    tag = getattr(file, "file_id", None) or hashlib.sha256(data).hexdigest()[:16]
    target = folder / f"{''.join(c for c in tag if c.isalnum() or c in '-_')}.bin"
    if not target.exists():
        part = target.with_suffix(".part")
        view = memoryview(data)
        with open(part, "wb") as out:
            for start in range(0, len(view), archives.BLOCK * 16):
                out.write(view[start : start + archives.BLOCK * 16])
        os.replace(part, target)
    _forget_old_staged(folder, keep=target)
    return target


def staged(file) -> tuple[Path | None, str | None]:
    """(staged path, name) of an optional upload; (None, None) without one."""
    return (None, None) if file is None else (stage(file), file.name)


def _forget_old_staged(folder: Path, keep: Path) -> None:
    now = time.time()
    for f in folder.iterdir():
        try:
            if f != keep and now - f.stat().st_mtime > _STAGED_MAX_AGE_S:
                f.unlink()
        except OSError:
            continue


def _file_digest(path: Path) -> bytes:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        while block := f.read(archives.BLOCK * 8):
            h.update(block)
    return h.digest()


def _folder_key(reading: Reading) -> str:
    h = hashlib.sha256()
    if reading.on_server:
        h.update(b"path\0" + str(Path(reading.ratings).resolve()).encode())
        h.update(b"\0items\0" + str(reading.items or "").encode())
    else:
        h.update(_file_digest(reading.ratings))
        h.update(b"\0items\0" + (_file_digest(reading.items) if reading.items else b""))
    if reading.users is not None:  # (without one, the keys data sets already have stay)
        users = str(reading.users) if reading.on_server else _file_digest(reading.users).hex()
        h.update(b"\0users\0" + users.encode())
    h.update(json.dumps([reading.mapping or {}, reading.scale], sort_keys=True).encode())
    return h.hexdigest()[:16]


def _link(src: Path, dst: Path) -> None:
    """`dst` as a hard link to `src` (no second copy on disk), else a copy."""
    if dst.exists():
        return
    try:
        os.link(src, dst)
    except OSError:
        shutil.copyfile(src, dst)


def save(reading: Reading, label: str | None = None) -> Upload:
    """Keep a data set (already read without error by the caller); returns where it lives."""
    folder = uploads_dir() / _folder_key(reading)
    folder.mkdir(parents=True, exist_ok=True)
    meta = {
        "ratings_name": reading.ratings_name,
        "items_name": reading.items_name,
        "mapping": reading.mapping or None,
        "scale": list(reading.scale) if reading.scale else None,
        "label": label or reading.default_label(),
        "users_name": reading.users_name,
    }
    if reading.on_server:
        meta["path"] = str(reading.ratings)
        meta["items_path"] = str(reading.items) if reading.items else None
        meta["users_path"] = str(reading.users) if reading.users else None
    else:
        if reading.users is not None:
            _link(reading.users, folder / "users.bin")
        _link(reading.ratings, folder / "ratings.bin")
        if reading.items is not None:
            _link(reading.items, folder / "items.bin")
    (folder / "meta.json").write_text(json.dumps(meta))
    return Upload(folder, meta["label"])


def save_upload(
    ratings: bytes,
    ratings_name: str,
    items: bytes | None = None,
    items_name: str | None = None,
    mapping: dict | None = None,
    label: str | None = None,
    scale: tuple[float, float] | None = None,
) -> Upload:
    """Stage and keep an upload given as bytes (for scripts and tests)."""
    reading = Reading(
        stage(ratings),
        ratings_name,
        stage(items) if items is not None else None,
        items_name,
        mapping,
        scale,
    )
    return save(reading, label)


def list_uploads() -> list[Upload]:
    """Every saved data set, newest first."""
    found = []
    for folder in uploads_dir().iterdir():
        meta_path = folder / "meta.json"
        if not meta_path.is_file():
            continue
        try:
            meta = json.loads(meta_path.read_text())
            label = meta["label"]
        except (ValueError, KeyError):
            continue
        if meta.get("path") or (folder / "ratings.bin").is_file():
            found.append((meta_path.stat().st_mtime, Upload(folder, label)))
    return [u for _, u in sorted(found, key=lambda t: t[0], reverse=True)]


def find_upload(key: str) -> Upload | None:
    return next((u for u in list_uploads() if u.key == key), None)


def reading_of(folder: str | Path) -> Reading:
    """How a saved data set is read."""
    folder = Path(folder)
    meta = json.loads((folder / "meta.json").read_text())
    scale = tuple(meta["scale"]) if meta.get("scale") else None
    if meta.get("path"):
        items, users = meta.get("items_path"), meta.get("users_path")
        return Reading(
            Path(meta["path"]),
            meta["ratings_name"],
            Path(items) if items else None,
            meta.get("items_name"),
            meta.get("mapping"),
            scale,
            on_server=True,
            users=Path(users) if users else None,
            users_name=meta.get("users_name"),
        )
    items, users = folder / "items.bin", folder / "users.bin"
    return Reading(
        folder / "ratings.bin",
        meta["ratings_name"],
        items if items.is_file() else None,
        meta.get("items_name"),
        meta.get("mapping"),
        scale,
        users=users if users.is_file() else None,
        users_name=meta.get("users_name"),
    )


def load_upload(folder: str | Path, progress: Progress | None = None) -> Dataset:
    """The `Dataset` of a saved data set (raises `DataError` if the files went bad)."""
    return reading_of(folder).load(progress)


def on_this_machine(
    path: str, items: str | None, mapping: dict | None, scale: tuple[float, float] | None
) -> Reading:
    """A `Reading` of a path on the server; a `DataError` unless it lies in an allowed folder."""
    p = localfiles.check_path(path)
    it = localfiles.check_path(items) if items and items.strip() else None
    return Reading(p, p.name, it, it.name if it else None, mapping, scale, on_server=True)
