"""GroupLens' MovieLens file layouts (ml-100k, ml-1m/10m, ml-latest/25m, RecBole's copy) and genres."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import numpy as np
import pandas as pd

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
    """The GroupLens items file in the same folder as `ratings`, if there is one."""
    for name in ITEMS_FILES:
        sibling = ratings.with_name(name)
        if sibling.exists() and sibling != ratings:
            return sibling
    return None


def is_own_items_file(path: str | Path) -> bool:
    """Whether `path` is named like GroupLens' headerless items files (u.item, movies.dat)."""
    path = Path(path)
    return path.name == "u.item" or path.suffix == ".dat"


def read_own_items_file(path: str | Path) -> pd.DataFrame:
    """Standard items from u.item or movies.dat, read by their GroupLens layout."""
    path = Path(path)
    if path.name == "u.item":
        return read_u_item(path.read_bytes())
    return read_dat_movies(path)


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
        users = pd.read_csv(
            io.BytesIO(user),
            sep="|",
            header=None,
            dtype={"zip_code": str},
            names=["user_id", "age", "gender", "occupation", "zip_code"],
        )
        return _typed(ratings), read_u_item(item), users
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


def read_dat_movies(path: Path) -> pd.DataFrame:
    """ml-1m / ml-10m `movies.dat`: MovieID::Title::Genres, Latin-1 (ml-1m) or UTF-8 (ml-10m)."""
    raw = path.read_bytes()
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        text = raw.decode("latin-1")
    rows = [ln.split("::") for ln in text.splitlines() if ln.strip()]
    bad = [i + 1 for i, r in enumerate(rows) if len(r) != 3]
    if bad:
        raise DataError(f"{path.name}: line {bad[0]} is not MovieID::Title::Genres.")
    items = pd.DataFrame(rows, columns=["item_id", "title", "genres"])
    items["item_id"] = to_ids(items["item_id"])
    items["year"] = pd.to_numeric(items["title"].str.extract(YEAR_IN_TITLE)[0], errors="coerce")
    items["genres"] = [split_genres(g) for g in items["genres"]]
    return items


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
