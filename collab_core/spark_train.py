"""Training on Apache Spark: a bias baseline, then MLlib's ALS on its residuals, as a `FactorModel`.

ALS has no bias terms, so the Bias page would have nothing to show and ALS would spend its factors
on what a bias says in one number. Here Spark first fits the regularised baseline
r ≈ μ + b_u + b_i (a few alternating passes of DataFrame aggregations:
b_i = Σ(r − μ − b_u) / (n_i + λ_i), then b_u likewise), then ALS on r − μ − b_u − b_i. The model
predicts μ + b_u + b_i + p_u·q_i in stars (no link, no range). `als_biases=False` is plain ALS.

The ratings of a loaded data set go to Spark as one Parquet file under the home folder
(`<home>/spark/ratings/`), written once per data set and seed with each rating's place in the
seeded permutation `splits.random_split` draws, so Spark validates on the same ratings as the
models trained here. ALS's lineage grows with every iteration (a StackOverflowError past about
20 without checkpoints), so each session checkpoints to a folder under the home that is removed
when the session stops.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import subprocess
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from . import paths
from .config import TrainConfig
from .data import Dataset
from .errors import ConfigError, EngineUnavailable, TrainingCancelled
from .models import FactorModel
from .training import TrainEvent, TrainResult

DEFAULT_MASTER = "local[*]"
SPARK_FIX = "pip install 'collab-explorer[spark]' (or pip install 'pyspark>=4')"
JAVA_FIX = (
    "install a Java 17+ runtime (Debian/Ubuntu: apt-get install openjdk-17-jre-headless) or set "
    "JAVA_HOME to the folder of one"
)
BIAS_REG = (15.0, 10.0)  # (λ_u, λ_i): the baseline's regularisation (Surprise's defaults)
BIAS_PASSES = 3
CHECKPOINT_INTERVAL = 5  # ALS iterations between checkpoints (cuts the lineage)
_MASTER = re.compile(
    r"local(\[(\*|\d+)(,\d+)?\])?|spark://[\w.\-]+:\d+(,[\w.\-]+:\d+)*|yarn|k8s://\S+"
)
_POLL_S = 0.25
_PHASES = ("reading the ratings", "bias baseline", "ALS", "collecting the factors")


def java_problem() -> str | None:
    """Why Java cannot start Spark here (None when it can): no java, a bad JAVA_HOME, too old."""
    home = os.environ.get("JAVA_HOME")
    if home:
        java = Path(home) / "bin" / "java"
        if not os.access(java, os.X_OK):
            return f"JAVA_HOME is {home!r}, which has no bin/java; {JAVA_FIX}."
    else:
        found = shutil.which("java")
        if found is None:
            return f"Spark needs Java, and there is no `java` here; {JAVA_FIX}."
        java = Path(found)
    try:
        out = subprocess.run(
            [str(java), "-version"], capture_output=True, text=True, timeout=30
        ).stderr
    except (OSError, subprocess.TimeoutExpired) as exc:
        return f"{java} does not run ({exc}); {JAVA_FIX}."
    m = re.search(r'version "(1\.)?(\d+)', out)
    if m and int(m.group(2)) < 17:
        return f"Spark 4 needs Java 17 or newer, and {java} is Java {m.group(2)}; {JAVA_FIX}."
    return None


def require_spark() -> None:
    """`EngineUnavailable` naming the fix unless pyspark imports and Java runs."""
    try:
        import pyspark  # noqa: F401
    except ImportError:
        raise EngineUnavailable(
            f"Training on Apache Spark needs pyspark, which is not installed: {SPARK_FIX}."
        ) from None
    why = java_problem()
    if why is not None:
        raise EngineUnavailable(why)


def check_master(master: str) -> str:
    """The master URL as given, if Spark could take it (local[*], local[N], spark://host:port, ...)."""
    master = str(master).strip()
    if not _MASTER.fullmatch(master):
        raise ConfigError(
            f"{master!r} is not a Spark master URL; use local[*] (this machine, every core), "
            "local[N], or spark://HOST:PORT for a standalone cluster."
        )
    return master


@contextlib.contextmanager
def spark_session(
    master: str = DEFAULT_MASTER, *, app_name: str = "collab-explorer", conf: dict | None = None
) -> Iterator:
    """A SparkSession on `master` that checkpoints under the home folder; stopped (and its
    checkpoints removed) on exit. `conf`: more Spark settings (e.g. spark.driver.memory).
    Missing pyspark or Java: `EngineUnavailable` with the fix."""
    master = check_master(master)
    require_spark()
    from pyspark import SparkContext
    from pyspark.sql import SparkSession

    active = SparkContext._active_spark_context  # one per process; stopping it is the owner's
    if active is not None:
        raise EngineUnavailable(
            f"Spark is already running in this process (master {active.master}) for another "
            "training; one Spark runs per process. Try again when that training has finished."
        )
    root = paths.home() / "spark"
    root.mkdir(parents=True, exist_ok=True)
    checkpoints = Path(tempfile.mkdtemp(prefix="checkpoints-", dir=root))
    builder = (
        SparkSession.builder.master(master)
        .appName(app_name)
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")
    )
    if master.startswith(("local", "spark://127.0.0.1:", "spark://localhost:")):
        # This machine only: no need to find (or expose) a routable address. A remote cluster's
        # executors must reach the driver, so there Spark picks the address as usual.
        builder = builder.config("spark.driver.host", "127.0.0.1")
        builder = builder.config("spark.driver.bindAddress", "127.0.0.1")
    for key, value in (conf or {}).items():
        builder = builder.config(key, value)
    try:
        spark = builder.getOrCreate()
    except Exception as exc:  # py4j / PySpark errors when the JVM or the master cannot be reached
        shutil.rmtree(checkpoints, ignore_errors=True)
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise EngineUnavailable(
            f"Spark could not start with master {master} ({first}). Check the master URL, and "
            f"that Java works: {JAVA_FIX}."
        ) from None
    spark.sparkContext.setLogLevel("ERROR")
    # 200 shuffle partitions by default: mostly empty tasks on small data; two per core instead.
    spark.conf.set("spark.sql.shuffle.partitions", str(_blocks(spark) * 2))
    spark.sparkContext.setCheckpointDir(str(checkpoints))
    try:
        yield spark
    finally:
        spark.stop()
        shutil.rmtree(checkpoints, ignore_errors=True)


def _blocks(spark) -> int:
    """Partitions (and ALS blocks) for this session: one per core Spark has, at least two."""
    return max(2, spark.sparkContext.defaultParallelism)


def ratings_parquet(dataset: Dataset, seed: int) -> Path:
    """The data set's ratings as Parquet for Spark (u, i, r, and `order`: each rating's place in
    `random_split`'s permutation for `seed`), written once and reused."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    folder = paths.home() / "spark" / "ratings"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{dataset.fingerprint}-seed{seed}.parquet"
    if path.exists():
        return path
    u, i, r = dataset.encode(dataset.ratings)
    perm = np.random.default_rng(seed).permutation(len(r))  # as splits.random_split draws it
    order = np.empty(len(r), np.int64)
    order[perm] = np.arange(len(r))
    table = pa.table({"u": u.astype(np.int32), "i": i.astype(np.int32), "r": r, "order": order})
    tmp = folder / f".{path.name}.{os.getpid()}.tmp"
    pq.write_table(table, tmp)
    os.replace(tmp, path)
    return path


def fit_biases(train, passes: int = BIAS_PASSES, reg: tuple[float, float] = BIAS_REG):
    """(μ, user biases, item biases) of the regularised baseline, fitted in Spark by alternating
    aggregations; the bias tables are small DataFrames (u, bu) and (i, bi)."""
    from pyspark.sql import functions as F

    mu = float(train.agg(F.avg("r")).first()[0])
    bu = None
    for _ in range(passes):
        res = F.col("r") - mu - (F.coalesce(F.col("bu"), F.lit(0.0)) if bu is not None else 0.0)
        t = train if bu is None else train.join(F.broadcast(bu), "u", "left")
        bi = t.groupBy("i").agg((F.sum(res) / (F.count("*") + reg[1])).alias("bi")).cache()
        res = F.col("r") - mu - F.coalesce(F.col("bi"), F.lit(0.0))
        bu = (
            train.join(F.broadcast(bi), "i", "left")
            .groupBy("u")
            .agg((F.sum(res) / (F.count("*") + reg[0])).alias("bu"))
            .cache()
        )
    return mu, bu, bi


def _table(df, key: str, value: str, ids: np.ndarray, width: int | None = None) -> np.ndarray:
    """A small Spark DataFrame (key, value) as a dense numpy table, row k for `ids[k]` (sorted),
    zeros where it has no row."""
    t = df.select(key, value).toArrow()
    rows = np.searchsorted(ids, t.column(key).to_numpy())
    if width is None:
        out = np.zeros(len(ids), np.float32)
        out[rows] = t.column(value).to_numpy()
        return out
    out = np.zeros((len(ids), width), np.float32)
    out[rows] = np.asarray(t.column(value).to_pylist(), np.float32).reshape(len(rows), width)
    return out


def _seen(df, ids: np.ndarray) -> np.ndarray:
    seen = np.zeros(len(ids), bool)
    seen[np.searchsorted(ids, df.select("id").toArrow().column("id").to_numpy())] = True
    return seen


@dataclass
class Fitted:
    """The Spark side of a fit: the model's parts as Spark holds them (to score in Spark)."""

    mu: float
    user_bias: Any  # DataFrame (u, bu), or None for plain ALS
    item_bias: Any  # DataFrame (i, bi), or None
    als: Any  # pyspark's ALSModel (userCol u, itemCol i)

    def predictions(self, ratings):
        """`ratings` (u, i, r) with `pred` = μ + b_u + b_i + p_u·q_i (0 for an unknown side)."""
        from pyspark.sql import functions as F

        out = ratings
        for df, key, name in ((self.user_bias, "u", "bu"), (self.item_bias, "i", "bi")):
            out = out.join(F.broadcast(df), key, "left") if df is not None else out
            out = out.withColumn(
                name, F.coalesce(F.col(name), F.lit(0.0)) if df is not None else F.lit(0.0)
            )
        out = self.als.transform(out)
        dot = F.coalesce(F.col("prediction"), F.lit(0.0))
        return out.withColumn("pred", dot + self.mu + F.col("bu") + F.col("bi"))


def fit_factors(spark, train, users: np.ndarray, items: np.ndarray, config: TrainConfig, phase):
    """(FactorModel, Fitted) from `train` (u, i, r: integer ids): the baseline, ALS on its
    residuals, and the factors back in the order of `users` and `items` (sorted ids)."""
    from pyspark.ml.recommendation import ALS
    from pyspark.sql import functions as F

    train = train.repartition(_blocks(spark)).cache()
    phase(1)
    if config.als_biases:
        mu, bu_df, bi_df = fit_biases(train)
        resid = (
            train.join(F.broadcast(bu_df), "u", "left")
            .join(F.broadcast(bi_df), "i", "left")
            .select("u", "i", (F.col("r") - mu - F.col("bu") - F.col("bi")).alias("res"))
            .cache()
        )
    else:
        mu, bu_df, bi_df = 0.0, None, None
        resid = train.withColumnRenamed("r", "res")
    phase(2)
    als = ALS(
        rank=config.n_factors,
        maxIter=config.epochs,
        regParam=config.wd,
        userCol="u",
        itemCol="i",
        ratingCol="res",
        seed=config.seed,
        checkpointInterval=CHECKPOINT_INTERVAL,
        numUserBlocks=_blocks(spark),
        numItemBlocks=_blocks(spark),
    )
    fitted = als.fit(resid)
    resid.unpersist()
    train.unpersist()
    phase(3)
    k = config.n_factors
    biases = {}
    if config.als_biases:
        biases = {
            "user_bias": _table(bu_df, "u", "bu", users),
            "item_bias": _table(bi_df, "i", "bi", items),
        }
    model = FactorModel(
        _table(fitted.userFactors, "id", "features", users, k),
        _table(fitted.itemFactors, "id", "features", items, k),
        global_bias=mu,
        user_seen=_seen(fitted.userFactors, users),
        item_seen=_seen(fitted.itemFactors, items),
        **biases,
    )
    return model, Fitted(mu, bu_df, bi_df, fitted)


@dataclass
class Run:
    """What the worker thread shares with the watcher: its phase, result or error."""

    phase: int = 0
    cancelled: bool = False
    result: Any = None
    error: BaseException | None = None


def phases(spark, run: Run) -> Callable[[int], None]:
    """`phase(k)`: the run enters phase k (named in Spark's job group), unless it was cancelled."""
    sc = spark.sparkContext

    def phase(k: int) -> None:
        if run.cancelled:
            raise TrainingCancelled("Training on Spark was cancelled.")
        run.phase = k
        sc.setJobGroup(f"collab-{k}", _PHASES[k], interruptOnCancel=True)

    return phase


def _train_in_spark(spark, path: Path, dataset: Dataset, config: TrainConfig, run: Run):
    """The Spark side for a loaded data set: its split of the Parquet file, then `fit_factors`."""
    from pyspark.sql import functions as F

    n_valid = int(round(len(dataset.ratings) * config.valid_frac))
    train = spark.read.parquet(str(path)).where(F.col("order") >= n_valid).select("u", "i", "r")
    users, items = np.arange(dataset.n_users), np.arange(dataset.n_items)
    return fit_factors(spark, train, users, items, config, phases(spark, run))[0]


def _progress(sc, run: Run, started: float) -> TrainEvent:
    """What Spark's status tracker says now, as a TrainEvent (phase, job and stage progress)."""
    tracker = sc.statusTracker()
    stages = [s for s in (tracker.getStageInfo(i) for i in tracker.getActiveStageIds()) if s]
    done = sum(s.numCompletedTasks for s in stages)
    total = sum(s.numTasks for s in stages)
    jobs = tracker.getActiveJobsIds()
    msg = f"Spark: {_PHASES[run.phase]}"
    if stages:
        msg += f" · job {max(jobs) if jobs else '?'}, stage {max(s.stageId for s in stages)}: "
        msg += f"{done}/{total} tasks"
    msg += f" · {time.perf_counter() - started:.0f} s"
    within = done / total if total else 0.0
    fraction = min(0.99, (run.phase + within) / len(_PHASES))
    return TrainEvent(
        "batch", run.phase, len(_PHASES), done, total, float("nan"), fraction=fraction, message=msg
    )


def watch(spark, work: Callable[[Run], Any], callback, cancel, started: float) -> Any:
    """Run `work` in a thread while this one reports Spark's progress and honours `cancel`
    (`sc.cancelAllJobs`); an exception here (a page stopped mid-run) cancels the jobs too."""
    sc = spark.sparkContext
    run = Run()

    def target() -> None:
        try:
            run.result = work(run)
        except BaseException as exc:  # handed to the watching thread
            run.error = exc

    thread = threading.Thread(target=target, name="collab-spark-train", daemon=True)
    thread.start()
    cancelled = False
    try:
        while thread.is_alive():
            thread.join(_POLL_S)
            if not cancelled and cancel is not None and cancel():
                cancelled = run.cancelled = True
            if cancelled:  # again at every poll: the jobs a phase starts after the first cancel
                sc.cancelAllJobs()
            if callback is not None and thread.is_alive():
                callback(_progress(sc, run, started))
    except BaseException:
        sc.cancelAllJobs()
        thread.join(30)
        raise
    if cancelled:
        raise TrainingCancelled("Training on Spark was cancelled; its jobs were stopped.")
    if run.error is not None:
        raise run.error
    return run.result


@dataclass
class SparkTrainer:
    """Trains `model="als"` configs on Spark: `fit` has `training.fit`'s shape, for the store.

    `master` is where (not part of the model's store key: a cluster and this machine train the
    same model); `spark` an open session to use (tests share one), else one is started for the
    run and stopped after it.
    """

    master: str = DEFAULT_MASTER
    spark: Any = None

    def fit(
        self,
        dataset: Dataset,
        config: TrainConfig,
        *,
        callback: Callable[[TrainEvent], None] | None = None,
        cancel: Callable[[], bool] | None = None,
    ) -> TrainResult:
        config = config.resolved()
        if config.model != "als":
            raise ConfigError(f"Spark trains the ALS model (model='als'), not {config.model!r}.")
        started = time.perf_counter()
        if self.spark is not None:
            return self._fit(self.spark, dataset, config, callback, cancel, started)
        with spark_session(self.master) as spark:
            return self._fit(spark, dataset, config, callback, cancel, started)

    def _fit(self, spark, dataset, config, callback, cancel, started) -> TrainResult:
        from .evaluate import mae, rmse
        from .splits import random_split

        path = ratings_parquet(dataset, config.seed)
        fit_start = time.perf_counter()

        def work(run: Run):
            return _train_in_spark(spark, path, dataset, config, run)

        model = watch(spark, work, callback, cancel, started)
        seconds = time.perf_counter() - fit_start
        train, valid = random_split(dataset.ratings, config.valid_frac, config.seed)
        metrics_rows = {}
        for name, part in (("train", train), ("valid", valid)):
            u, i, r = dataset.encode(part)
            pred = model.predict(u, i).numpy()
            metrics_rows[name] = (rmse(pred, r), mae(pred, r))
        history = [
            {
                "epoch": config.epochs - 1,
                "train_loss": metrics_rows["train"][0] ** 2,
                "valid_loss": metrics_rows["valid"][0] ** 2,
                "valid_rmse": metrics_rows["valid"][0],
                "valid_mae": metrics_rows["valid"][1],
            }
        ]
        if callback is not None:
            callback(
                TrainEvent(
                    "epoch", config.epochs - 1, config.epochs, 1, 1, history[0]["train_loss"],
                    history[0]["valid_loss"], history[0]["valid_rmse"], fraction=1.0,
                    message="Spark: done",
                )
            )  # fmt: skip
        metrics = {
            "valid_rmse": metrics_rows["valid"][0],
            "valid_mae": metrics_rows["valid"][1],
            "train_seconds": round(seconds, 4),
            "n_train": len(train),
            "n_valid": len(valid),
        }
        master = spark.sparkContext.master
        return TrainResult(
            model=model, history=history, metrics=metrics, device=f"spark {master}", config=config
        )
