"""Open factors trained elsewhere without Spark: a saved Spark `ALSModel` folder, a Projector export.

A saved `ALSModel` is a folder: `metadata/part-*` (one JSON line: class, sparkVersion, rank, ...)
and `userFactors/`, `itemFactors/` (Parquet: `id` int, `features` array<float>), which pyarrow reads
alone. Spark's ids are the data set's own user and item ids; every id must be in the data set
(`CollabError` naming them otherwise), and the data set's users and items that the model lacks keep
zero factors, marked unseen (they contribute nothing to a prediction, as with a model trained here).
A TensorFlow Projector export is `vectors.tsv` (one vector a line) and `metadata.tsv` (a header
row when it has more than one column, as `export.projector_tsv` writes): item vectors only, matched
to the data set's movies by an `item_id` column if there is one, else by title.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from .config import TrainConfig
from .data import Dataset
from .errors import DataError
from .models import FactorModel

ALS_CLASS = "org.apache.spark.ml.recommendation.ALSModel"
# 'Chasing Amy (1997) · id 246, 124 ratings': how `titles.labels` tells copies of a title apart.
_SHARED_TITLE = re.compile(r".* · id (\S+), [\d,]+ ratings")


@dataclass(frozen=True)
class SparkFactors:
    """The two factor tables of a saved `ALSModel`, as Spark wrote them (ids sorted)."""

    rank: int
    user_ids: np.ndarray
    user_factors: np.ndarray  # [n_users, rank]
    item_ids: np.ndarray
    item_factors: np.ndarray  # [n_items, rank]
    spark_version: str


def _hash_files(paths: list[Path]) -> str:
    h = hashlib.sha256()
    for p in sorted(paths):
        h.update(p.name.encode())
        h.update(p.read_bytes())
    return h.hexdigest()[:16]


def _read_factors(folder: Path, side: str, rank: int) -> tuple[np.ndarray, np.ndarray]:
    import pyarrow.parquet as pq

    path = folder / f"{side}Factors"
    parts = sorted(path.glob("*.parquet")) if path.is_dir() else []
    if not parts:
        raise DataError(
            f"{folder} is not a saved Spark ALSModel: it has no {side}Factors/ folder of Parquet "
            "files (save one with `model.write().save(PATH)` in Spark)."
        )
    try:
        table = pq.ParquetDataset(parts).read()
    except Exception as exc:  # pyarrow's own error types for a damaged file
        raise DataError(f"{path} cannot be read as Parquet ({exc}).") from None
    if not {"id", "features"} <= set(table.column_names):
        raise DataError(
            f"{path} has the columns {table.column_names}; a Spark ALSModel's factors have "
            "`id` and `features`."
        )
    ids = table.column("id").to_numpy()
    features = table.column("features").to_pylist()
    widths = {len(f) for f in features if f is not None}
    if None in features or widths - {rank}:
        bad = sorted(widths - {rank}) or ["missing"]
        raise DataError(
            f"{path}: factor lengths differ from the model's rank {rank} (found {bad}); the "
            "folder mixes factors of different models."
        )
    if len(np.unique(ids)) != len(ids):
        raise DataError(f"{path} lists some ids twice; the folder mixes factors of several models.")
    order = np.argsort(ids, kind="stable")
    return ids[order], np.asarray(features, np.float32).reshape(len(ids), rank)[order]


def read_spark_als(path: str | Path) -> SparkFactors:
    """The factors of the `ALSModel` Spark saved in `path` (no Spark needed); DataError if it is not one."""
    folder = Path(path).expanduser()
    if not folder.is_dir():
        raise DataError(f"{folder} is not a folder; give the folder Spark saved the ALSModel in.")
    meta_parts = sorted((folder / "metadata").glob("part-*"))
    if not meta_parts:
        raise DataError(
            f"{folder} is not a saved Spark ALSModel: it has no metadata/part-* file (save one "
            "with `model.write().save(PATH)` in Spark)."
        )
    try:
        meta = json.loads(meta_parts[0].read_text().splitlines()[0])
    except (ValueError, IndexError, UnicodeDecodeError):
        raise DataError(f"{meta_parts[0]} is not Spark's JSON model metadata.") from None
    if not isinstance(meta, dict) or meta.get("class") != ALS_CLASS:
        got = meta.get("class") if isinstance(meta, dict) else type(meta).__name__
        raise DataError(f"{folder} holds a {got!r}, not a Spark ALSModel ({ALS_CLASS}).")
    rank = meta.get("rank")
    if not isinstance(rank, int) or rank < 1:
        raise DataError(f"{meta_parts[0]} gives no valid rank ({rank!r}).")
    uid, uf = _read_factors(folder, "user", rank)
    iid, itf = _read_factors(folder, "item", rank)
    return SparkFactors(rank, uid, uf, iid, itf, str(meta.get("sparkVersion", "?")))


def _place(ids: np.ndarray, index: np.ndarray, what: str, data: Dataset) -> None:
    """DataError naming the ids `index` could not place (-1) in the data set."""
    unknown = ids[index < 0]
    if len(unknown):
        shown = ", ".join(str(x) for x in unknown[:5]) + (", ..." if len(unknown) > 5 else "")
        raise DataError(
            f"{len(unknown):,} of the model's {len(ids):,} {what} ids are not in {data.name} "
            f"({shown}): the model was trained on other data. Open it with the data it was "
            "trained on (--data)."
        )


def _table(rows: np.ndarray, values: np.ndarray, n: int, width: int) -> np.ndarray:
    out = np.zeros((n, width), np.float32)
    out[rows] = values
    return out


def spark_als_model(factors: SparkFactors, data: Dataset) -> FactorModel:
    """A `FactorModel` for `data` from Spark's factors: raw ALS scores, no biases, no range."""
    u = data.user_index(factors.user_ids)
    i = data.item_index(factors.item_ids)
    _place(factors.user_ids, u, "user", data)
    _place(factors.item_ids, i, "item", data)
    user_seen, item_seen = np.zeros(data.n_users, bool), np.zeros(data.n_items, bool)
    user_seen[u], item_seen[i] = True, True
    return FactorModel(
        _table(u, factors.user_factors, data.n_users, factors.rank),
        _table(i, factors.item_factors, data.n_items, factors.rank),
        user_seen=user_seen,
        item_seen=item_seen,
    )


def import_spark_als(path: str | Path, data: Dataset) -> tuple[TrainConfig, FactorModel]:
    """(config, model) for a saved ALSModel matched to `data`; the config is its store key."""
    factors = read_spark_als(path)
    model = spark_als_model(factors, data)
    folder = Path(path).expanduser()
    files = [p for p in folder.rglob("*") if p.is_file() and not p.name.startswith(".")]
    config = TrainConfig(model="imported", n_factors=factors.rank, source=_hash_files(files))
    return config, model


def read_projector(vectors: str | Path, metadata: str | Path) -> tuple[np.ndarray, pd.DataFrame]:
    """(vectors [n, d], metadata table) of a Projector export; DataError where they disagree."""
    vpath, mpath = Path(vectors).expanduser(), Path(metadata).expanduser()
    for p in (vpath, mpath):
        if not p.is_file():
            raise DataError(
                f"{p} is not a file; give the Projector's vectors.tsv and metadata.tsv."
            )
    lines = [ln for ln in vpath.read_text(errors="replace").splitlines() if ln.strip()]
    if not lines:
        raise DataError(f"{vpath} has no vectors.")
    rows = [ln.split("\t") for ln in lines]
    widths = [len(r) for r in rows]
    if len(set(widths)) > 1:
        line = next(k for k, w in enumerate(widths) if w != widths[0]) + 1
        raise DataError(
            f"{vpath}: vector lengths differ (line 1 has {widths[0]} numbers, line {line} has "
            f"{widths[line - 1]})."
        )
    try:
        v = np.asarray(rows, dtype=np.float32)
    except ValueError:
        raise DataError(
            f"{vpath} holds values that are not numbers; it must be vectors.tsv."
        ) from None
    meta_lines = mpath.read_text(errors="replace").splitlines()
    while meta_lines and not meta_lines[-1].strip():
        meta_lines.pop()
    header = meta_lines[0].split("\t") if meta_lines else []
    if len(header) > 1:  # the Projector's rule: more than one column means a header row
        cells = [ln.split("\t") for ln in meta_lines[1:]]
        table = pd.DataFrame(
            [(c + [""] * len(header))[: len(header)] for c in cells], columns=header
        )
    else:
        table = pd.DataFrame({"title": meta_lines})
    if len(table) != len(v):
        raise DataError(
            f"{vpath.name} has {len(v):,} vectors but {mpath.name} describes {len(table):,} rows; "
            "they must match line for line (export both from the same model)."
        )
    return v, table


def _title_rows(table: pd.DataFrame, data: Dataset) -> np.ndarray:
    """Each metadata row's item index: by `item_id` when present, else by title (the k-th row
    with a title takes the k-th movie of that title, so same-titled films stay apart)."""
    if "item_id" in table.columns:
        ids = pd.to_numeric(table["item_id"], errors="coerce")
        if ids.isna().any():
            ids = table["item_id"].astype(str)
        return data.item_index(ids.to_numpy())
    if "title" not in table.columns:
        raise DataError(
            f"The metadata has the columns {list(table.columns)}; it needs `title` (or "
            "`item_id`) to match its rows to the data set's movies."
        )
    titles = data.items["title"].astype(str)
    by_title = titles.groupby(titles, sort=False).indices
    nth = table.groupby("title").cumcount().to_numpy()
    out = np.full(len(table), -1, np.int64)
    for k, (title, n) in enumerate(zip(table["title"].astype(str), nth, strict=True)):
        shared = _SHARED_TITLE.fullmatch(title)  # the app's label of a shared title names its id
        if shared is not None:
            out[k] = data.item_index(pd.Index([shared.group(1)]).astype(data.item_ids.dtype))[0]
            continue
        rows = by_title.get(title)
        if rows is not None and n < len(rows):
            out[k] = rows[n]
    return out


def projector_model(vectors: np.ndarray, table: pd.DataFrame, data: Dataset) -> FactorModel:
    """A `FactorModel` of item vectors only: users have none (a new user is fitted by fold-in)."""
    rows = _title_rows(table, data)
    if (rows < 0).any():
        key = "item_id" if "item_id" in table.columns else "title"
        missing = table[key].astype(str).to_numpy()[rows < 0]
        shown = "; ".join(missing[:5]) + ("; ..." if len(missing) > 5 else "")
        raise DataError(
            f"{len(missing):,} of the {len(table):,} metadata rows name movies that are not in "
            f"{data.name} ({shown}). Open the export with the data set it was made from (--data)."
        )
    item_seen = np.zeros(data.n_items, bool)
    item_seen[rows] = True
    return FactorModel(
        np.zeros((data.n_users, vectors.shape[1]), np.float32),
        _table(rows, vectors, data.n_items, vectors.shape[1]),
        global_bias=float(data.ratings["rating"].mean()),
        user_seen=np.zeros(data.n_users, bool),
        item_seen=item_seen,
    )


def import_projector(
    vectors: str | Path, metadata: str | Path, data: Dataset
) -> tuple[TrainConfig, FactorModel]:
    """(config, model) for a Projector export matched to `data`'s movies."""
    v, table = read_projector(vectors, metadata)
    model = projector_model(v, table, data)
    source = _hash_files([Path(vectors).expanduser(), Path(metadata).expanduser()])
    return TrainConfig(model="imported", n_factors=int(v.shape[1]), source=source), model
