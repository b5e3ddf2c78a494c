"""Ratings data: the `Dataset` object, and `load_dataset` / `load_ratings_file`, which make one."""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from . import grouplens, movielens
from .errors import DataError
from .readers import Source, display_name, read_ratings


@dataclass(frozen=True, eq=False)
class Dataset:
    """Ratings plus item metadata, contiguous index encoders and a content fingerprint.

    `ratings` has columns user_id, item_id, rating (float32), timestamp (int64 seconds, 0 if unknown).
    `items` has one row per item that has ratings, in index order (row i is item index i): item_id,
    title, year (nullable Int64), genres (list of str), n_ratings, mean_rating.
    """

    name: str
    ratings: pd.DataFrame
    items: pd.DataFrame
    source: str
    notes: tuple[str, ...] = ()
    user_ids: pd.Index = field(init=False, repr=False)
    item_ids: pd.Index = field(init=False, repr=False)
    rating_scale: tuple[float, float] = field(init=False)
    fingerprint: str = field(init=False)

    def __post_init__(self) -> None:
        user_ids = pd.Index(np.sort(self.ratings["user_id"].unique()), name="user_id")
        item_ids = pd.Index(self.items["item_id"].to_numpy(), name="item_id")
        r = self.ratings["rating"]
        object.__setattr__(self, "user_ids", user_ids)
        object.__setattr__(self, "item_ids", item_ids)
        object.__setattr__(self, "rating_scale", (float(r.min()), float(r.max())))
        object.__setattr__(self, "fingerprint", fingerprint(self.ratings, self.items))

    @property
    def n_users(self) -> int:
        return len(self.user_ids)

    @property
    def n_items(self) -> int:
        return len(self.item_ids)

    def user_index(self, ids) -> np.ndarray:
        """Contiguous index of each user id; -1 for ids this data set does not have."""
        return self.user_ids.get_indexer(pd.Index(np.asarray(ids))).astype(np.int64)

    def item_index(self, ids) -> np.ndarray:
        """Contiguous index of each item id; -1 for ids this data set does not have."""
        return self.item_ids.get_indexer(pd.Index(np.asarray(ids))).astype(np.int64)

    def encode(self, ratings: pd.DataFrame) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(user index, item index, rating) arrays for a ratings frame; unknown ids map to -1."""
        return (
            self.user_index(ratings["user_id"]),
            self.item_index(ratings["item_id"]),
            ratings["rating"].to_numpy(np.float32),
        )

    def summary(self) -> dict:
        """Plain figures for the CLI and the Home page."""
        n = len(self.ratings)
        lo, hi = self.rating_scale
        return {
            "name": self.name,
            "source": self.source,
            "ratings": n,
            "users": self.n_users,
            "items": self.n_items,
            "rating_min": lo,
            "rating_max": hi,
            "rating_mean": round(float(self.ratings["rating"].mean()), 4),
            "sparsity": round(1.0 - n / max(1, self.n_users * self.n_items), 6),
            "fingerprint": self.fingerprint,
            "notes": list(self.notes),
        }


def fingerprint(ratings: pd.DataFrame, items: pd.DataFrame) -> str:
    """A short content hash: the same data gives the same value in every process."""
    h = hashlib.sha256()
    # Raw bytes of canonical dtypes: several times faster than hash_pandas_object at 25M ratings
    # (it dominated make_dataset there), and int32 or int64 ids give the same value.
    for col, dtype in (
        ("user_id", np.int64),
        ("item_id", np.int64),
        ("rating", np.float32),
        ("timestamp", np.int64),
    ):
        a = ratings[col].to_numpy()
        if a.dtype == object or not np.issubdtype(a.dtype, np.number):  # string ids
            a = pd.util.hash_array(np.asarray(a, dtype=object)).view(np.int64)
        h.update(np.ascontiguousarray(a, dtype=dtype).data)
    h.update(
        pd.util.hash_pandas_object(items[["item_id", "title"]], index=False).to_numpy().tobytes()
    )
    return h.hexdigest()[:16]


def make_dataset(
    ratings: pd.DataFrame,
    items: pd.DataFrame | None = None,
    *,
    name: str = "ratings",
    source: str = "",
    notes: tuple[str, ...] | list[str] = (),
) -> Dataset:
    """Build a `Dataset` from standard-column frames (see `Dataset`); `items` may be partial or None."""
    notes = list(notes)
    ratings = ratings.reset_index(drop=True)
    counts = ratings.groupby("item_id", sort=True)["rating"].agg(["size", "mean"])
    table = pd.DataFrame({"item_id": counts.index.to_numpy()})
    if items is not None and len(items):
        items = items.drop_duplicates("item_id", keep="first").set_index("item_id")
        known = counts.index.isin(items.index)
        if not known.any():
            raise DataError(
                "The items file shares no item ids with the ratings "
                f"(ratings use ids like {_examples(counts.index)}; the items file has "
                f"{_examples(items.index)}). Check that it belongs to this ratings file and "
                "that its id column is the one the ratings use."
            )
        if not known.all():
            notes.append(
                f"{int((~known).sum())} rated items have no entry in the items file; "
                "they are shown by id."
            )
        meta = items.reindex(counts.index)
    else:
        meta = pd.DataFrame(index=counts.index)
    titles = meta["title"] if "title" in meta else pd.Series(index=counts.index, dtype=object)
    table["title"] = [
        str(t) if isinstance(t, str) and t.strip() else f"Item {i}"
        for i, t in zip(counts.index, titles.to_numpy(), strict=True)
    ]
    year = meta["year"] if "year" in meta else pd.Series(pd.NA, index=counts.index)
    table["year"] = pd.array(pd.to_numeric(year, errors="coerce").to_numpy(), dtype="Int64")
    genres = (
        meta["genres"] if "genres" in meta else pd.Series(None, index=counts.index, dtype=object)
    )
    table["genres"] = [list(g) if isinstance(g, (list, tuple, np.ndarray)) else [] for g in genres]
    table["n_ratings"] = counts["size"].to_numpy(np.int64)
    table["mean_rating"] = counts["mean"].to_numpy(np.float64)
    return Dataset(name=name, ratings=ratings, items=table, source=source, notes=tuple(notes))


def _examples(index, n: int = 3) -> str:
    return ", ".join(repr(v) for v in list(index[:n]))


# ---------------------------------------------------------------------------------------------
# Entry points


def load_ratings_file(
    ratings: Source,
    items: Source | None = None,
    *,
    ratings_name: str | None = None,
    items_name: str | None = None,
    mapping: dict[str, str] | None = None,
    encoding: str | None = None,
    max_bytes: int | None = None,
    name: str | None = None,
) -> Dataset:
    """A `Dataset` from a ratings file (path, bytes or file object) and an optional items file.

    The data set is called `name`, else after the ratings file.
    """
    display = display_name(ratings, ratings_name)
    r, notes = read_ratings(
        ratings, name=ratings_name, mapping=mapping, encoding=encoding, max_bytes=max_bytes
    )
    it = None
    if items is not None:
        it, item_notes = grouplens.read_items(
            items, name=items_name, encoding=encoding, max_bytes=max_bytes
        )
        notes += item_notes
    source = str(ratings) if isinstance(ratings, (str, os.PathLike)) else display
    return make_dataset(r, it, name=name or Path(display).stem, source=source, notes=notes)


def load_dataset(
    path: str | os.PathLike | None = None,
    *,
    items: str | os.PathLike | None = None,
    mapping: dict[str, str] | None = None,
    progress: movielens.Progress | None = None,
) -> Dataset:
    """The data set at `path`, or MovieLens 100k when `path` is None.

    `path` may be a ratings file, or a folder in a GroupLens layout: ml-100k (u.data, u.item),
    ml-1m/10m (ratings.dat, movies.dat) or ml-latest(-small)/ml-25m (ratings.csv, movies.csv).
    A ratings file with a movies file beside it in the same layout picks that up too.
    """
    if path is None:
        r, it, source = movielens.load_frames(progress)
        return make_dataset(r, it, name=movielens.NAME, source=source)
    p = Path(path).expanduser()
    if not p.exists():
        raise DataError(
            f"{p} does not exist. Give the path of a ratings file or a MovieLens folder."
        )
    if items is not None and not Path(items).expanduser().is_file():
        raise DataError(
            f"The items file {items} does not exist. Give the path of a file with "
            "item ids and titles, or leave it out."
        )
    if p.is_dir():
        return load_dataset(grouplens.ratings_file(p), items=items, mapping=mapping)
    sibling = grouplens.items_beside(p) if items is None else None
    if sibling is not None:
        try:
            return _load_file(p, sibling, mapping)
        except DataError as exc:
            if "shares no item ids" not in str(exc):
                raise
            raise DataError(
                f"{sibling.name} beside {p.name} was taken as its items file, but: {exc} "
                "Give the right items file explicitly, or move that one away."
            ) from None
    return _load_file(p, items, mapping)


def _load_file(p: Path, items, mapping) -> Dataset:
    if items is not None and grouplens.is_own_items_file(items):  # u.item, movies.dat
        r, notes = read_ratings(p, mapping=mapping)
        return make_dataset(
            r,
            grouplens.read_own_items_file(items),
            name=p.parent.name or p.stem,
            source=str(p),
            notes=notes,
        )
    # ml-latest / ml-25m's ratings.csv is named after its folder, like the other GroupLens layouts.
    name = p.parent.name if p.name == "ratings.csv" and p.parent.name else None
    return load_ratings_file(p, items, mapping=mapping, name=name)
