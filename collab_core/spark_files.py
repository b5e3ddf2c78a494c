"""Ratings that stay in Spark: a Parquet or CSV path read by Spark, its statistics, and ALS on it.

For data that does not fit on the driver (a local path here; `hdfs://` or `s3a://` on a cluster):
Spark reads the ratings where they are and only what the explorer needs comes back: the factors
and biases, per-item count and mean, per-user count, the rating scale, and a fingerprint made from
the files' names, sizes and modification times (no pass over the data). Nothing here holds the
ratings in pandas. `save_run` writes the result as a saved-ALSModel folder (`spark_import` reads
it) with the statistics beside it.
"""

from __future__ import annotations

import hashlib
import json
import re
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from .config import TrainConfig
from .errors import DataError
from .models import FactorModel
from .sniff import COLUMN_ALIASES
from .spark_import import ALS_CLASS
from .spark_train import Run, fit_factors, phases, spark_session, watch

SPARK_PATH = re.compile(r"(?i).*(\.parquet|\.csv)/?$|[a-z][a-z0-9+]*://.*")


def is_spark_path(path: str) -> bool:
    """Whether `--data` names something Spark should read where it is (Parquet/CSV, or a URL)."""
    return bool(SPARK_PATH.fullmatch(str(path)))


@dataclass
class SparkRun:
    """ALS trained on ratings that stayed in Spark, with the statistics the pages need."""

    model: FactorModel
    user_ids: np.ndarray  # sorted; row k of the user factors is user_ids[k]
    item_ids: np.ndarray
    items: Any  # pandas: item_id, n_ratings, mean_rating (one row per item; small)
    user_counts: np.ndarray  # ratings per user, in user_ids' order
    scale: tuple[float, float]
    n_ratings: int
    fingerprint: str
    metrics: dict


def _column(columns: list[str], role: str, path: str) -> str:
    norm = {re.sub(r"[^a-z0-9]", "", c.lower()): c for c in columns}
    for alias in COLUMN_ALIASES[role]:
        if alias in norm:
            return norm[alias]
    raise DataError(
        f"{path} has no column Spark could take as the {role.replace('_', ' ')} (its columns: "
        f"{', '.join(columns)}); name it e.g. {COLUMN_ALIASES[role][0]}."
    )


def read_ratings(spark, path: str):
    """(user_id, item_id, rating) of `path` as a Spark DataFrame: Parquet, or CSV with a header."""
    from pyspark.sql import functions as F

    try:
        if str(path).rstrip("/").lower().endswith(".csv"):
            df = spark.read.option("header", True).option("inferSchema", True).csv(str(path))
        else:
            df = spark.read.parquet(str(path))
    except Exception as exc:  # Spark's AnalysisException: a missing path, not Parquet, ...
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise DataError(f"Spark cannot read {path} ({first}).") from None
    cols = {role: _column(df.columns, role, path) for role in ("user_id", "item_id", "rating")}
    out = df.select(
        F.col(cols["user_id"]).try_cast("int").alias("u"),
        F.col(cols["item_id"]).try_cast("int").alias("i"),
        F.col(cols["rating"]).try_cast("float").alias("r"),
    )
    bad = out.where(F.col("u").isNull() | F.col("i").isNull() | F.col("r").isNull()).limit(1)
    if bad.count():
        raise DataError(
            f"{path}: some user or item ids are not whole numbers, or ratings are missing; ALS "
            "needs integer ids (index them first, e.g. with Spark's StringIndexer)."
        )
    return out


def file_fingerprint(spark, path: str) -> str:
    """A hash of the files' paths, sizes and modification times, from the file system alone."""
    jvm = spark.sparkContext._jvm
    hpath = jvm.org.apache.hadoop.fs.Path(str(path))
    fs = hpath.getFileSystem(spark.sparkContext._jsc.hadoopConfiguration())
    files, it = [], fs.listFiles(hpath, True)
    while it.hasNext():
        st = it.next()
        files.append((str(st.getPath().toString()), st.getLen(), st.getModificationTime()))
    return hashlib.sha256(json.dumps(sorted(files)).encode()).hexdigest()[:16]


def train_on_path(
    path: str, config: TrainConfig, *, master: str = "local[*]", spark=None, callback=None
) -> SparkRun:
    """Read `path` in Spark, compute its statistics, and train `config` (model "als") on it."""
    config = config.resolved()
    if spark is None:
        with spark_session(master) as session:
            return train_on_path(path, config, spark=session, callback=callback)
    from pyspark.sql import functions as F

    started = time.perf_counter()
    ratings = read_ratings(spark, path)
    fingerprint = file_fingerprint(spark, path)

    def work(run: Run) -> SparkRun:
        phase = phases(spark, run)
        items = (
            ratings.groupBy("i")
            .agg(F.count("*").alias("n_ratings"), F.avg("r").alias("mean_rating"))
            .orderBy("i")
            .toArrow()
            .to_pandas()
            .rename(columns={"i": "item_id"})
        )
        users = ratings.groupBy("u").agg(F.count("*").alias("n")).orderBy("u").toArrow()
        lo, hi, n = ratings.agg(F.min("r"), F.max("r"), F.count("*")).first()
        split = ratings.withColumn("_valid", F.rand(config.seed) < config.valid_frac)
        train, valid = split.where(~F.col("_valid")), split.where(F.col("_valid"))
        user_ids = users.column("u").to_numpy()
        item_ids = items["item_id"].to_numpy()
        model, fitted = fit_factors(spark, train, user_ids, item_ids, config, phase)
        err = fitted.predictions(valid).select((F.col("pred") - F.col("r")).alias("e"))
        rmse, mae, n_valid = err.agg(
            F.sqrt(F.avg(F.col("e") ** 2)), F.avg(F.abs("e")), F.count("*")
        ).first()
        metrics = {
            "valid_rmse": float(rmse),
            "valid_mae": float(mae),
            "n_train": int(n) - int(n_valid),
            "n_valid": int(n_valid),
        }
        return SparkRun(
            model, user_ids, item_ids, items, users.column("n").to_numpy(), (float(lo), float(hi)),
            int(n), fingerprint, metrics,
        )  # fmt: skip

    run = watch(spark, work, callback, None, started)
    run.metrics["train_seconds"] = round(time.perf_counter() - started, 4)
    return run


def save_run(run: SparkRun, folder: Path) -> Path:
    """The run as a saved-ALSModel folder (what `spark_import.read_spark_als` opens), plus
    `items.parquet` (count, mean, bias), `users.parquet` (count, bias) and `run.json`."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    folder.mkdir(parents=True, exist_ok=True)
    (folder / "metadata").mkdir(exist_ok=True)
    meta = {"class": ALS_CLASS, "rank": run.model.n_factors, "sparkVersion": "collab-explorer"}
    (folder / "metadata" / "part-00000").write_text(json.dumps(meta) + "\n")
    m = run.model
    for side, ids, table, seen in (
        ("user", run.user_ids, m.user_factors(), m.user_seen),
        ("item", run.item_ids, m.item_factors(), m.item_seen),
    ):
        keep = seen.numpy()
        (folder / f"{side}Factors").mkdir(exist_ok=True)
        factors = pa.table(
            {
                "id": pa.array(ids[keep].astype(np.int32)),
                "features": pa.array(list(table.numpy()[keep]), pa.list_(pa.float32())),
            }
        )
        pq.write_table(factors, folder / f"{side}Factors" / "part-00000.parquet")
    items = run.items.assign(bias=m.item_bias().numpy())
    pq.write_table(pa.Table.from_pandas(items, preserve_index=False), folder / "items.parquet")
    users = {"user_id": run.user_ids, "n_ratings": run.user_counts, "bias": m.user_bias().numpy()}
    pq.write_table(pa.table(users), folder / "users.parquet")
    info = {
        "fingerprint": run.fingerprint, "n_ratings": run.n_ratings, "scale": run.scale,
        "global_bias": m.intercept(), "metrics": run.metrics,
    }  # fmt: skip
    (folder / "run.json").write_text(json.dumps(info, indent=1))
    return folder
