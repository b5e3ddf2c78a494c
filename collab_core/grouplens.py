"""GroupLens' MovieLens file layouts (ml-100k, ml-1m/10m, ml-latest/25m, RecBole's copy) and genres.

Each layout is read from a folder or from the zip GroupLens distributes it as (with or without its
top folder).
"""

from __future__ import annotations

import io
import zipfile
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

import numpy as np
import pandas as pd

from .archives import zip_files
from .errors import DataError
from .readers import (
    ITEM_COLUMNS,
    YEAR_IN_TITLE,
    Source,
    display_name,
    items_from_table,
    read_table,
    split_genres,
    to_ids,
)

# ML-100k's genres, in the order of u.item's flag columns.
GENRES = [
    "unknown",
    "Action",
    "Adventure",
    "Animation",
    "Children's",
    "Comedy",
    "Crime",
    "Documentary",
    "Drama",
    "Fantasy",
    "Film-Noir",
    "Horror",
    "Musical",
    "Mystery",
    "Romance",
    "Sci-Fi",
    "Thriller",
    "War",
    "Western",
]
U_ITEM_COLUMNS = ["item_id", "title", "release", "video", "url", *GENRES]
# A GroupLens folder's ratings file: ml-100k, ml-1m/10m, ml-latest/25m.
RATINGS_FILES = ("u.data", "ratings.dat", "ratings.csv")
# The items file of the same folder, taken up when it sits beside a ratings file.
ITEMS_FILES = ("movies.csv", "movies.dat", "u.item")
# ml-100k's users file: id|age|gender|occupation|zip code.
USERS_FILE = "u.user"
U_USER_COLUMNS = ["user_id", "age", "gender", "occupation", "zip_code"]


# ---------------------------------------------------------------------------------------------
# Folders and the files in them


def ratings_file(folder: Path) -> Path:
    """The ratings file of a GroupLens folder; a `DataError` when it holds none."""
    for name in RATINGS_FILES:
        if (folder / name).exists():
            return folder / name
    raise DataError(
        f"{folder} holds no ratings file this app knows (u.data, ratings.dat or "
        "ratings.csv). Give the ratings file's path instead."
    )


def items_beside(ratings: Path) -> Path | None:
    """The GroupLens items file in the same folder as `ratings`, if there is one (a zip brings
    its own)."""
    if ratings.suffix.lower() == ".zip":
        return None
    for name in ITEMS_FILES:
        sibling = ratings.with_name(name)
        if sibling.exists() and sibling != ratings:
            return sibling
    return None


def users_beside(ratings: Path) -> Path | None:
    """ml-100k's u.user beside its u.data, if it is there."""
    users = ratings.with_name(USERS_FILE)
    return users if ratings.name == "u.data" and users.is_file() else None


def companions(path: Path) -> list[Path]:
    """The files a load of `path` (a GroupLens folder or a ratings file) reads besides it."""
    ratings = ratings_file(path) if path.is_dir() else path
    found = [ratings] if path.is_dir() else []
    for other in (items_beside(ratings), users_beside(ratings)):
        if other is not None:
            found.append(other)
    return found


def is_own_items_file(path: str | Path) -> bool:
    """Whether `path` is named like GroupLens' headerless items files (u.item, movies.dat)."""
    path = Path(path)
    return path.name == "u.item" or path.suffix == ".dat"


def read_own_items_file(path: str | Path) -> pd.DataFrame:
    """Standard items from u.item or movies.dat, read by their GroupLens layout."""
    path = Path(path)
    return read_own_items(path.read_bytes(), path.name)


def read_own_items(raw: bytes, name: str) -> pd.DataFrame:
    """Standard items from the bytes of u.item or movies.dat (`name` says which)."""
    if PurePosixPath(name).name == "u.item":
        return read_u_item(raw)
    return read_dat_movies(raw, name)


def read_items(
    source: Source,
    *,
    name: str | None = None,
    encoding: str | None = None,
    max_bytes: int | None = None,
) -> tuple[pd.DataFrame, list[str]]:
    """Read an items file (id, title, optional genres and year); returns (items, notes).

    A headerless u.item is recognised by its shape, whatever its name; any other table is read
    by its column names (`readers.items_from_table`).
    """
    display = display_name(source, name)
    table, notes = read_table(source, display, encoding, ITEM_COLUMNS, max_bytes)
    if _is_u_item(table):
        return u_item_frame(table), notes
    return items_from_table(table, display), notes


# ---------------------------------------------------------------------------------------------
# ml-100k: u.data, u.item, u.user


def _is_u_item(table: pd.DataFrame) -> bool:
    """A headerless u.item as `read_table` reads it: 24 columns, the last 19 all 0 or 1."""
    if table.shape[1] != 24 or table.columns[0] != ITEM_COLUMNS[0]:
        return False
    return bool(table.iloc[:, 5:].isin([0, 1]).all().all())


def u_item_frame(table: pd.DataFrame) -> pd.DataFrame:
    """Standard items from u.item's columns: id|title|release date|video date|url|19 genre flags.

    Titles are kept as GroupLens wrote them (three end in a space).
    """
    flags = table.iloc[:, 5:].fillna(0).to_numpy(np.int64).astype(bool)
    release = pd.to_datetime(table.iloc[:, 2], format="%d-%b-%Y", errors="coerce")
    return pd.DataFrame(
        {
            "item_id": to_ids(table.iloc[:, 0]),
            "title": table.iloc[:, 1].astype(str),
            "year": release.dt.year.astype("Int64"),
            "genres": [[g for g, on in zip(GENRES, row, strict=True) if on] for row in flags],
        }
    )


def read_u_item(raw: bytes) -> pd.DataFrame:
    """u.item's bytes (Latin-1, '|'-separated, no header) as standard items."""
    try:
        table = pd.read_csv(
            io.BytesIO(raw), sep="|", header=None, names=U_ITEM_COLUMNS, encoding="latin-1"
        )
        table["item_id"] = table["item_id"].astype(np.int64)
        return u_item_frame(table)
    except (ValueError, pd.errors.ParserError) as exc:
        raise DataError(
            f"u.item is not in the GroupLens layout (id|title|release date|video "
            f"date|url|19 genre flags): {exc}"
        ) from None


def read_u_user(raw: bytes) -> pd.DataFrame:
    """u.user's bytes ('|'-separated, no header) as user_id, age, gender, occupation, zip_code."""
    try:
        users = pd.read_csv(
            io.BytesIO(raw), sep="|", header=None, names=U_USER_COLUMNS, dtype={"zip_code": str}
        )
        users["user_id"] = users["user_id"].astype(np.int64)
        return users
    except (ValueError, pd.errors.ParserError) as exc:
        raise DataError(
            f"u.user is not in the GroupLens layout (id|age|gender|occupation|zip code): {exc}"
        ) from None


def parse_grouplens_zip(blob: bytes) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """ratings, items, users frames from GroupLens' ml-100k.zip bytes."""
    try:
        with zipfile.ZipFile(io.BytesIO(blob)) as zf:
            names = {Path(n).name: n for n in zf.namelist()}
            data, item, user = (zf.read(names[n]) for n in ("u.data", "u.item", "u.user"))
    except (zipfile.BadZipFile, KeyError) as exc:
        raise DataError(f"ml-100k.zip is not the expected archive ({exc}).") from None
    try:
        ratings = pd.read_csv(
            io.BytesIO(data),
            sep="\t",
            header=None,
            names=["user_id", "item_id", "rating", "timestamp"],
        )
        return _typed(ratings), read_u_item(item), read_u_user(user)
    except DataError:
        raise
    except Exception as exc:  # a damaged member reads as a pandas/numpy error
        raise DataError(
            f"ml-100k.zip holds files that are not in the GroupLens layout ({exc})."
        ) from None


def _typed(ratings: pd.DataFrame) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "user_id": ratings["user_id"].astype(np.int64),
            "item_id": ratings["item_id"].astype(np.int64),
            "rating": ratings["rating"].astype(np.float32),
            "timestamp": pd.to_numeric(ratings["timestamp"]).astype(np.int64),
        }
    )


# ---------------------------------------------------------------------------------------------
# ml-1m / ml-10m: movies.dat


def read_dat_movies(raw: bytes | Path, name: str = "movies.dat") -> pd.DataFrame:
    """ml-1m / ml-10m `movies.dat`: MovieID::Title::Genres, Latin-1 (ml-1m) or UTF-8 (ml-10m).

    Split by hand: titles hold quotes that a CSV parser would take for quoting.
    """
    if isinstance(raw, Path):
        raw, name = raw.read_bytes(), raw.name
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        text = raw.decode("latin-1")
    rows = [ln.split("::") for ln in text.splitlines() if ln.strip()]
    bad = [i + 1 for i, r in enumerate(rows) if len(r) != 3]
    if bad:
        raise DataError(f"{name}: line {bad[0]} is not MovieID::Title::Genres.")
    items = pd.DataFrame(rows, columns=["item_id", "title", "genres"])
    items["item_id"] = to_ids(items["item_id"])
    items["year"] = pd.to_numeric(items["title"].str.extract(YEAR_IN_TITLE)[0], errors="coerce")
    items["genres"] = [split_genres(g) for g in items["genres"]]
    return items


# ---------------------------------------------------------------------------------------------
# Zips, as GroupLens distributes every layout


@dataclass(frozen=True)
class ZipLayout:
    """A GroupLens data set in a zip: the names of its members ('ml-25m/ratings.csv', ...)."""

    folder: str  # the folder in the zip that holds it; '' when the files are at the top
    ratings: str
    items: str | None
    users: str | None


def zip_layout(zf: zipfile.ZipFile, display: str) -> ZipLayout | None:
    """The GroupLens layout in a zip (files at its top or in one folder), else None.

    A zip holding two data sets is a `DataError` naming them.
    """
    by_folder: dict[str, dict[str, str]] = {}
    for m in zip_files(zf):
        p = PurePosixPath(m.filename)
        if len(p.parts) <= 2:
            by_folder.setdefault(str(p.parent) if len(p.parts) == 2 else "", {})[p.name] = (
                m.filename
            )
    found = {
        folder: files
        for folder, files in by_folder.items()
        if any(name in files for name in RATINGS_FILES)
    }
    if len(found) > 1:
        raise DataError(
            f"{display} holds several data sets ({', '.join(sorted(f or '(top)' for f in found))}); "
            "extract the one you want and open its folder."
        )
    if not found:
        return None
    folder, files = found.popitem()
    ratings = next(files[n] for n in RATINGS_FILES if n in files)
    items = next((files[n] for n in ITEMS_FILES if n in files), None)
    users = files.get(USERS_FILE) if PurePosixPath(ratings).name == "u.data" else None
    return ZipLayout(folder, ratings, items, users)


# ---------------------------------------------------------------------------------------------
# RecBole's atomic files (its copy of ml-100k)


def parse_recbole(files: dict[str, bytes]) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """ratings, items, users from RecBole's tab-separated atomic files (titles without the year)."""

    def read(name):
        df = pd.read_csv(io.BytesIO(files[name]), sep="\t", dtype=str, keep_default_na=False)
        df.columns = [c.split(":")[0] for c in df.columns]
        return df

    inter, item, user = read("ml-100k.inter"), read("ml-100k.item"), read("ml-100k.user")
    ratings = _typed(inter.rename(columns={"user_id": "user_id", "item_id": "item_id"}))
    year = pd.to_numeric(item["release_year"], errors="coerce").astype("Int64")
    title = item["movie_title"].where(item["movie_title"] != "unkonwn", "unknown")
    title = [t if pd.isna(y) else f"{t} ({y})" for t, y in zip(title, year, strict=True)]
    items = pd.DataFrame(
        {
            "item_id": item["item_id"].astype(np.int64),
            "title": title,
            "year": year,
            "genres": [c.split() for c in item["class"]],
        }
    )
    users = user.rename(columns={"zip_code": "zip_code"})
    users["user_id"] = users["user_id"].astype(np.int64)
    users["age"] = users["age"].astype(np.int64)
    return ratings, items, users
