"""Which paths on the server the app may open: the allowed folders, and the check that a path lies in one.

The app's "open a file on this machine" field reads files where the server runs; anyone who can
reach the app can type a path there. So only paths under the allowed folders open (by default the
home folder and the app's data folder; `$COLLAB_EXPLORER_ALLOWED_DIRS` replaces them), checked after
symbolic links are followed, so a link cannot lead outside.
"""

from __future__ import annotations

import os
from pathlib import Path

from . import grouplens, paths
from .errors import DataError

ENV_ALLOWED = "COLLAB_EXPLORER_ALLOWED_DIRS"  # folders, separated by os.pathsep (':' or ';')


def allowed_folders() -> list[Path]:
    """The folders whose files the app may open: `$COLLAB_EXPLORER_ALLOWED_DIRS`, else the home
    folder and the app's data folder."""
    env = os.environ.get(ENV_ALLOWED)
    if env is not None:
        folders = [Path(p).expanduser() for p in env.split(os.pathsep) if p.strip()]
    else:
        folders = [Path.home(), paths.data_dir()]
    return [f.resolve() for f in folders]


def check_path(path: str | os.PathLike, folders: list[Path] | None = None) -> Path:
    """`path` (relative paths start at the home folder) if it, and every file a load of it reads,
    lies inside an allowed folder once links are followed; else a `DataError` saying why."""
    folders = allowed_folders() if folders is None else [Path(f).resolve() for f in folders]
    text = str(path).strip()
    if not text:
        raise DataError("Give the path of a ratings file, a GroupLens zip or a GroupLens folder.")
    p = Path(text).expanduser()
    if not p.is_absolute():
        p = Path.home() / p
    p = Path(os.path.normpath(p))
    _check_one(p, folders)
    if p.is_dir():
        try:
            extra = grouplens.companions(p)
        except DataError:
            extra = []  # loading it says what the folder lacks
    else:
        extra = grouplens.companions(p)
    for other in extra:
        _check_one(other, folders)
    return p


def _check_one(p: Path, folders: list[Path]) -> None:
    where = ", ".join(str(f) for f in folders) or "(none)"
    if not os.path.lexists(p):
        raise DataError(f"{p} does not exist. Check the path (it is a path on the server).")
    try:
        real = p.resolve(strict=True)
    except (OSError, RuntimeError):
        raise DataError(
            f"{p} is a link to something that does not exist (or a loop of links)."
        ) from None
    inside = [f for f in folders if real == f or f in real.parents]
    if not inside:
        lexical = any(p == f or f in p.parents for f in folders)
        what = f"{p} is a link to {real}, which is" if lexical and real != p else f"{p} is"
        raise DataError(
            f"{what} outside the folders this app may open ({where}). Copy the file into one of "
            f"them, or have whoever runs the app add its folder to ${ENV_ALLOWED}."
        )
    if not (real.is_file() or real.is_dir()):  # a pipe would block the app on open
        raise DataError(f"{p} is not a file or a folder (it is a device, a socket or a pipe).")
    if not os.access(real, os.R_OK) or (real.is_dir() and not os.access(real, os.X_OK)):
        raise DataError(f"{p} cannot be read (permission denied). Check the file's permissions.")
