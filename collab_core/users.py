"""The users table: reading a users file (age, gender, occupation...) and checking it against the ratings."""

from __future__ import annotations

import io
import os
from pathlib import Path

import numpy as np
import pandas as pd

from . import grouplens
from .errors import DataError

# Column names taken for the user id (compared without case, spaces, '_' or '-').
ID_NAMES = ("userid", "user", "uid", "id")
NUMERIC = ("age",)  # columns that must hold numbers
MAX_BYTES = 64 << 20  # a users file is small; anything larger is surely not one


def read_users(source, name: str | None = None) -> pd.DataFrame:
    """A users file (path, bytes or file object) as a frame whose first column is `user_id`.

    CSV, TSV or '|'-separated with a header row naming a user id column (`user_id`, `userId`,
    `user`, `id`); ml-100k's `u.user` (no header) is recognised by its layout. Other columns are
    kept as they are, lower-cased; `age` must hold numbers.
    """
    display = name or (Path(source).name if isinstance(source, (str, os.PathLike)) else "users")
    raw = _bytes(source, display)
    if _looks_like_u_user(raw):
        return grouplens.read_u_user(raw)
    try:
        users = pd.read_csv(io.BytesIO(raw), sep=None, engine="python", dtype=str)
    except (ValueError, pd.errors.ParserError, UnicodeDecodeError) as exc:
        raise DataError(f"The users file {display} cannot be read as a table ({exc}).") from None
    users.columns = [str(c).strip().lower() for c in users.columns]
    key = {c.replace("_", "").replace("-", "").replace(" ", ""): c for c in users.columns}
    id_col = next((key[n] for n in ID_NAMES if n in key), None)
    if id_col is None:
        raise DataError(
            f"The users file {display} has no user id column (its columns: "
            f"{', '.join(users.columns)}). Name the column with the ids the ratings use "
            "`user_id`."
        )
    users = users.rename(columns={id_col: "user_id"})
    users = users[["user_id", *[c for c in users.columns if c != "user_id"]]]
    users["user_id"] = users["user_id"].str.strip()
    for col in NUMERIC:
        if col in users:
            num = pd.to_numeric(users[col].str.strip(), errors="coerce")
            bad = num.isna() & users[col].notna() & (users[col].str.strip() != "")
            if bad.any():
                row = int(np.flatnonzero(bad.to_numpy())[0])
                raise DataError(
                    f"The {col} column of the users file {display} must hold numbers; row "
                    f"{row + 2} (user {users['user_id'].iloc[row]}) has {users[col].iloc[row]!r}."
                )
            users[col] = num
    return users


def match_users(users: pd.DataFrame, user_ids: pd.Index, name: str = "users file") -> tuple:
    """(users table keyed like the ratings' ids, notes): one row per rated user it describes.

    A file that describes none of the rated users is an error (the wrong file, or another id
    column); users without ratings are dropped with a note.
    """
    ids = users["user_id"]
    if pd.api.types.is_integer_dtype(user_ids):
        num = pd.to_numeric(ids, errors="coerce")
        ids = num.where(num == np.floor(num)).astype("Int64")
    else:
        ids = ids.astype(str)
    users = users.assign(user_id=ids).dropna(subset=["user_id"])
    users = users.drop_duplicates("user_id", keep="first")
    known = users["user_id"].isin(user_ids).to_numpy()
    if not known.any():
        raise DataError(
            f"The {name} shares no user ids with the ratings (ratings use ids like "
            f"{', '.join(map(str, user_ids[:3]))}; the {name} has "
            f"{', '.join(map(str, users['user_id'].head(3)))}). Check that it belongs to these "
            "ratings."
        )
    notes = []
    if not known.all():
        notes.append(f"{int((~known).sum())} users in the {name} have no ratings; left out.")
    users = users[known].reset_index(drop=True)
    if pd.api.types.is_integer_dtype(user_ids):
        users["user_id"] = users["user_id"].astype(np.int64)
    missing = len(user_ids) - len(users)
    if missing:
        notes.append(f"{missing} rated users are not in the {name}; their details are unknown.")
    return users, notes


def _bytes(source, display: str) -> bytes:
    if isinstance(source, bytes):
        raw = source
    elif isinstance(source, (str, os.PathLike)):
        p = Path(source).expanduser()
        if not p.is_file():
            raise DataError(f"The users file {p} does not exist. Give its path, or leave it out.")
        if p.stat().st_size > MAX_BYTES:
            raise DataError(f"The users file {display} is over {MAX_BYTES >> 20} MB.")
        raw = p.read_bytes()
    else:
        raw = source.read()
    if not raw.strip():
        raise DataError(f"The users file {display} is empty.")
    return raw


def _looks_like_u_user(raw: bytes) -> bool:
    """ml-100k's u.user: id|age|gender|occupation|zip, no header."""
    first = raw.split(b"\n", 1)[0].strip().split(b"|")
    return len(first) == 5 and first[0].isdigit() and first[1].isdigit()
