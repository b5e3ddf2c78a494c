"""Ratings data: the `Dataset` object, and `load_dataset` / `load_ratings_file`, which make one."""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np
import pandas as pd

from . import archives, grouplens, movielens, scales
from . import users as users_table
from .errors import DataError
from .readers import Source, display_name, read_ratings
from .tables import Progress, quiet


@dataclass(frozen=True, eq=False)
class Dataset:
    """Ratings plus item metadata, contiguous index encoders and a content fingerprint.

    `ratings` has columns user_id, item_id, rating (float32), timestamp (int64 seconds, 0 if unknown).
    `items` has one row per item that has ratings, in index order (row i is item index i): item_id,
    title, year (nullable Int64), genres (list of str), n_ratings, mean_rating.
    `users`, when the data set comes with them (ml-100k's u.user, or a users file): user_id, then
    what the file tells (ml-100k: age, gender, occupation, zip_code); at most one row per rated
    user. It is not part of the fingerprint (models do not use it; `starts.ProfileModel` does).
    """

    name: str
    ratings: pd.DataFrame
    items: pd.DataFrame
    source: str
    notes: tuple[str, ...] = ()
    users: pd.DataFrame | None = field(default=None, repr=False)
    user_ids: pd.Index = field(init=False, repr=False)
    item_ids: pd.Index = field(init=False, repr=False)
    rating_scale: tuple[float, float] = field(init=False)
    fingerprint: str = field(init=False)

    def __post_init__(self) -> None:
        user_ids = pd.Index(_sorted_unique(self.ratings["user_id"].to_numpy()), name="user_id")
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
            "user_details": [] if self.users is None else list(self.users.columns[1:]),
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
    users: pd.DataFrame | None = None,
) -> Dataset:
    """Build a `Dataset` from standard-column frames (see `Dataset`); `items` may be partial or None.

    Item ids match across the two files when they denote the same number ('7' or '7.0' is 7).
    """
    notes = list(notes)
    ratings = ratings.reset_index(drop=True)
    counts = _item_counts(ratings)
    table = pd.DataFrame({"item_id": counts.index.to_numpy()})
    if items is not None and len(items):
        items = items.assign(item_id=_same_kind(items["item_id"], counts.index))
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
    return Dataset(
        name=name, ratings=ratings, items=table, source=source, notes=tuple(notes), users=users
    )


def _dense(ids: np.ndarray) -> tuple[np.ndarray, int] | None:
    """(ids - smallest, smallest) for integer ids in a range a count per id fits in, else None."""
    if ids.dtype.kind not in "iu" or not len(ids):
        return None
    lo, hi = int(ids.min()), int(ids.max())
    if hi - lo > 4 * len(ids) + 1_000_000:
        return None
    # Ids from 0 or 1 (GroupLens') count as they are: no shifted copy of 25M ids.
    return (ids, 0) if 0 <= lo <= 1_000_000 else (ids - lo, lo)


def _sorted_unique(ids: np.ndarray) -> np.ndarray:
    """The distinct ids, sorted: by counting for integer ids (25M in a fraction of a second)."""
    dense = _dense(ids)
    if dense is None:
        return np.sort(pd.unique(ids))
    offsets, lo = dense
    return (np.flatnonzero(np.bincount(offsets)) + lo).astype(ids.dtype)


def _item_counts(ratings: pd.DataFrame) -> pd.DataFrame:
    """Per item id (sorted): `size` (ratings) and `mean` (rating), as a pandas groupby gives them."""
    ids = ratings["item_id"].to_numpy()
    dense = _dense(ids)
    if dense is None:
        return ratings.groupby("item_id", sort=True)["rating"].agg(["size", "mean"])
    offsets, lo = dense
    rating = ratings["rating"]
    size = np.bincount(offsets)
    total = np.bincount(offsets, weights=rating.to_numpy(np.float64))
    rated = np.flatnonzero(size)
    mean = (total[rated] / size[rated]).astype(rating.dtype)  # pandas' mean keeps the dtype
    index = pd.Index((rated + lo).astype(ids.dtype), name="item_id")
    return pd.DataFrame({"size": size[rated], "mean": mean}, index=index)


def _same_kind(ids: pd.Series, rated: pd.Index) -> pd.Series:
    """The items file's ids in the kind the ratings use: text that denotes a whole number (an items
    file with one non-numeric id is read as text) becomes that number, and numbers become text."""
    numeric_rated = pd.api.types.is_integer_dtype(rated)
    if numeric_rated == pd.api.types.is_integer_dtype(ids):
        return ids
    if not numeric_rated:
        return ids.astype(str)
    num = pd.to_numeric(ids, errors="coerce")
    whole = (num.notna() & (num == np.floor(num))).to_numpy()
    out = ids.astype(object).to_numpy(copy=True)
    out[whole] = num[whole].astype(np.int64).to_numpy()
    return pd.Series(out, index=ids.index)


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
    scale: tuple[float, float] | None = None,
    progress: Progress | None = None,
    users: Source | None = None,
    users_name: str | None = None,
) -> Dataset:
    """A `Dataset` from a ratings file (path, bytes or file object) and an optional items file.

    `users` is an optional users file (see `users.read_users`); it replaces any the data brings.

    The ratings file may be compressed (gzip, bz2, xz, zstd, a zip of one file) or a GroupLens zip
    (any layout, with or without its top folder), which brings its own items (and ml-100k's users).
    The data set is called `name`, else after the file. `scale` (lo, hi) states the rating scale.
    """
    if users is not None:
        ds = load_ratings_file(
            ratings,
            items,
            ratings_name=ratings_name,
            items_name=items_name,
            mapping=mapping,
            encoding=encoding,
            max_bytes=max_bytes,
            name=name,
            scale=scale,
            progress=progress,
        )
        return with_users(ds, users, users_name)
    display = display_name(ratings, ratings_name)
    read = {"mapping": mapping, "encoding": encoding, "max_bytes": max_bytes, "scale": scale}
    zf = archives.zip_of(ratings, display)
    layout = grouplens.zip_layout(zf, display) if zf is not None else None
    if layout is not None:
        return _load_zip(ratings, zf, layout, display, items, items_name, name, progress, read)
    progress = quiet(progress)
    r, notes = read_ratings(ratings, name=ratings_name, progress=progress, **read)
    it = None
    if items is not None:
        it, item_notes = grouplens.read_items(
            items, name=items_name, encoding=encoding, max_bytes=max_bytes
        )
        notes += item_notes
    source = str(ratings) if isinstance(ratings, (str, os.PathLike)) else display
    _indexing(progress)
    return make_dataset(r, it, name=name or _stem(display), source=source, notes=notes)


def with_users(ds: Dataset, source: Source, name: str | None = None) -> Dataset:
    """`ds` with the users table read from a users file (checked against its ratings' user ids)."""
    table = users_table.read_users(source, name)
    table, notes = users_table.match_users(table, ds.user_ids, f"users file {name or ''}".strip())
    return replace(ds, users=table, notes=ds.notes + tuple(notes))


def _indexing(progress: Progress | None) -> None:
    if progress is not None:
        progress(0.9, "Counting the ratings of each user and item…")


def _stem(display: str) -> str:
    """'ratings.csv.gz' -> 'ratings'."""
    return Path(archives.strip_suffix(display)).stem


def _load_zip(source, zf, layout, display, items, items_name, name, progress, read) -> Dataset:
    """A GroupLens layout in a zip: its ratings member, its items (unless `items` is given) and
    ml-100k's users, read straight from the zip."""
    with zf:
        it, users, notes = None, None, []
        if items is None and layout.items is not None:
            raw = zf.read(layout.items)
            if grouplens.is_own_items_file(layout.items):  # u.item, movies.dat
                it = grouplens.read_own_items(raw, layout.items)
            else:
                it, notes = grouplens.read_items(raw, name=f"{layout.items} in {display}")
        if layout.users is not None:
            users = grouplens.read_u_user(zf.read(layout.users))
    ratings = archives.open_input(source, display, member=layout.ratings)
    progress = quiet(progress)
    r, more = read_ratings(ratings, progress=progress, **read)
    if items is not None:
        it, item_notes = grouplens.read_items(
            items, name=items_name, encoding=read["encoding"], max_bytes=read["max_bytes"]
        )
        more += item_notes
    source_name = str(source) if isinstance(source, (str, os.PathLike)) else display
    _indexing(progress)
    return make_dataset(
        r,
        it,
        name=name or Path(layout.folder).name or _stem(display),
        source=source_name,
        notes=notes + more,
        users=users,
    )


def load_dataset(
    path: str | os.PathLike | None = None,
    *,
    items: str | os.PathLike | None = None,
    mapping: dict[str, str] | None = None,
    progress: Progress | None = None,
    scale: tuple[float, float] | None = None,
    users: str | os.PathLike | None = None,
) -> Dataset:
    """The data set at `path`, or MovieLens 100k when `path` is None.

    `users` is an optional users file (see `users.read_users`), replacing any the data brings.

    `path` may be a ratings file (plain or compressed), a folder in a GroupLens layout, or
    GroupLens' zip of one: ml-100k (u.data, u.item, u.user), ml-1m/10m (ratings.dat, movies.dat)
    or ml-latest(-small)/ml-25m (ratings.csv, movies.csv). A ratings file with a movies file
    beside it in the same layout picks that up too. `scale` (lo, hi) states the rating scale:
    ratings outside it are errors (without it, ratings must look like one scale).
    """
    if users is not None:
        return with_users(
            load_dataset(path, items=items, mapping=mapping, progress=progress, scale=scale),
            users,
            Path(users).name,
        )
    if path is None:
        r, it, source = movielens.load_frames(progress)
        if scale is not None:
            scales.check_ratings(r["rating"].to_numpy(), movielens.NAME, 1, scale)
        return make_dataset(
            r, it, name=movielens.NAME, source=source, users=movielens.cached_users()
        )
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
    how = {"mapping": mapping, "progress": progress, "scale": scale}
    if p.is_dir():
        return load_dataset(grouplens.ratings_file(p), items=items, **how)
    sibling = grouplens.items_beside(p) if items is None else None
    if sibling is not None:
        try:
            return _load_file(p, sibling, how)
        except DataError as exc:
            if "shares no item ids" not in str(exc):
                raise
            raise DataError(
                f"{sibling.name} beside {p.name} was taken as its items file, but: {exc} "
                "Give the right items file explicitly, or move that one away."
            ) from None
    return _load_file(p, items, how)


def _load_file(p: Path, items, how: dict) -> Dataset:
    users_file = grouplens.users_beside(p)
    users = grouplens.read_u_user(users_file.read_bytes()) if users_file else None
    if items is not None and grouplens.is_own_items_file(items):  # u.item, movies.dat
        r, notes = read_ratings(p, **how)
        return make_dataset(
            r,
            grouplens.read_own_items_file(items),
            name=p.parent.name or p.stem,
            source=str(p),
            notes=notes,
            users=users,
        )
    # ml-latest / ml-25m's ratings.csv is named after its folder, like the other GroupLens layouts.
    named = archives.strip_suffix(p.name) == "ratings.csv" and p.parent.name
    ds = load_ratings_file(p, items, name=p.parent.name if named else None, **how)
    return ds if users is None else replace(ds, users=users)
