"""Training on Apache Spark (one local session for the module), and what it needs to run."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest

from collab_core import spark_train
from collab_core.analysis import Explorer
from collab_core.config import TrainConfig
from collab_core.errors import EngineUnavailable, TrainingCancelled
from collab_core.evaluate import rmse
from collab_core.models import FactorModel
from collab_core.recommend import recommend_for
from collab_core.spark_import import spark_als_model
from collab_core.splits import random_split
from collab_core.store import ModelStore
from collab_core.synthetic import generate

SMALL = TrainConfig(model="als", n_factors=8, epochs=5)


@pytest.fixture(scope="module")
def spark():
    """One local Spark session for every test here (starting one takes seconds)."""
    with spark_train.spark_session("local[2]") as session:
        yield session


@pytest.fixture(scope="module")
def small():
    return generate(n_ratings=6000, n_users=120, n_items=300, seed=0)


def test_a_bad_java_home_or_no_pyspark_says_the_fix(monkeypatch):
    monkeypatch.setenv("JAVA_HOME", "/nowhere/jdk")
    with pytest.raises(EngineUnavailable, match="JAVA_HOME is '/nowhere/jdk'.*openjdk-17-jre"):
        spark_train.require_spark()
    monkeypatch.delenv("JAVA_HOME")
    monkeypatch.setenv("PATH", "/nonexistent")
    with pytest.raises(EngineUnavailable, match="no `java` here"):
        spark_train.require_spark()
    monkeypatch.setitem(sys.modules, "pyspark", None)  # what an uninstalled package looks like
    with pytest.raises(EngineUnavailable, match=r"needs pyspark.*collab-explorer\[spark\]"):
        spark_train.require_spark()


def test_a_bad_master_url_is_refused_before_spark_starts():
    with pytest.raises(Exception, match="not a Spark master URL"):
        spark_train.check_master("spark:/localhost")


def test_the_cli_names_the_fix_when_java_is_missing(monkeypatch, capsys):
    from collab_core.cli import main

    monkeypatch.setenv("JAVA_HOME", "/nowhere/jdk")
    assert main(["train", "--engine", "spark", "--epochs", "2"]) == 2
    assert "JAVA_HOME is '/nowhere/jdk'" in capsys.readouterr().err


def test_cancel_stops_the_spark_jobs(spark, small):
    with pytest.raises(TrainingCancelled, match="cancelled"):
        spark_train.SparkTrainer(spark=spark).fit(small, SMALL, cancel=lambda: True)


def test_spark_trains_a_stored_model_every_page_can_explore(spark, small, tmp_path):
    store = ModelStore(tmp_path / "models")
    events = []
    fit = spark_train.SparkTrainer(spark=spark).fit
    stored = store.get_or_train(small, SMALL, callback=events.append, fit=fit)
    model = stored.model
    assert isinstance(model, FactorModel) and model.bias_kind == "learned"
    assert any(e.message.startswith("Spark: ALS") for e in events)
    assert events[-1].fraction == 1.0 and stored.meta["device"] == "spark local[2]"
    # Keyed by data and settings: the same settings come back from the store, not from Spark.
    again = store.get_or_train(small, SMALL, fit=None)
    assert again.cached and again.model_id == stored.model_id
    u, i, r = small.encode(small.ratings[:50])
    np.testing.assert_allclose(again.model.predict(u, i), model.predict(u, i), rtol=1e-6)
    # Better than predicting every rating with the mean.
    _, valid = random_split(small.ratings, 0.2, 42)
    assert stored.metrics["valid_rmse"] < rmse(
        np.full(len(valid), valid["rating"].mean()), valid["rating"]
    )
    ex = Explorer(small, again.model)
    assert len(ex.embedding_map(n_items=100).coords) == 100
    title = small.items["title"].iloc[0]
    assert len(ex.similar(title).table) == 10
    recs = recommend_for(ex, {title: 5}, min_ratings=0)
    assert len(recs.table) == 10 and title not in set(recs.table["title"])


def test_biases_plus_als_beats_the_bias_baseline_on_ml100k(spark, ml100k):
    config = TrainConfig(model="als", n_factors=8, epochs=5)
    result = spark_train.SparkTrainer(spark=spark).fit(ml100k, config)
    m = result.model
    baseline = FactorModel(
        np.zeros((m.n_users, 1)), np.zeros((m.n_items, 1)), user_bias=m.bu, item_bias=m.bi,
        global_bias=m.intercept(),
    )  # fmt: skip
    _, valid = random_split(ml100k.ratings, 0.2, 42)
    u, i, r = ml100k.encode(valid)
    base = rmse(baseline.predict(u, i).numpy(), r)
    assert result.metrics["valid_rmse"] < base - 0.01, (result.metrics, base)
    assert 0.93 < base < 0.96  # the regularised baseline's usual figure on ML-100k


def test_an_als_model_saved_by_spark_opens_without_spark(spark, ml100k, tmp_path):
    from pyspark.ml.recommendation import ALS

    ratings = spark.createDataFrame(ml100k.ratings[["user_id", "item_id", "rating"]][:20_000])
    als = ALS(rank=4, maxIter=2, userCol="user_id", itemCol="item_id", ratingCol="rating", seed=1)
    fitted = als.fit(ratings)
    fitted.write().overwrite().save(str(tmp_path / "als"))
    want = {r["id"]: r["features"] for r in fitted.userFactors.collect()}
    code = (
        "import json, sys; from collab_core.spark_import import read_spark_als; "
        f"f = read_spark_als({str(tmp_path / 'als')!r}); "
        "print(json.dumps({'pyspark': 'pyspark' in sys.modules, 'ids': f.user_ids.tolist(), "
        "'first': f.user_factors[0].tolist()}))"
    )
    out = json.loads(
        subprocess.run(
            [sys.executable, "-c", code], capture_output=True, text=True, check=True
        ).stdout
    )
    assert out["pyspark"] is False
    assert sorted(want) == out["ids"]
    assert out["first"] == pytest.approx(want[out["ids"][0]], abs=0)  # bit-identical float32
    from collab_core.spark_import import read_spark_als

    model = spark_als_model(read_spark_als(tmp_path / "als"), ml100k)
    assert int(model.user_seen.sum()) == len(want)


def test_ratings_spark_reads_where_they_are(spark, small, tmp_path):
    from collab_core import spark_files
    from collab_core.errors import DataError
    from collab_core.spark_import import read_spark_als

    path = tmp_path / "ratings.parquet"
    small.ratings.rename(columns={"user_id": "userId", "item_id": "movieId"}).to_parquet(path)
    config = TrainConfig(model="als", n_factors=4, epochs=2)
    run = spark_files.train_on_path(str(path), config, spark=spark)
    counts = small.ratings.groupby("item_id")["rating"].agg(["size", "mean"])
    np.testing.assert_array_equal(run.items["n_ratings"], counts["size"])
    np.testing.assert_allclose(run.items["mean_rating"], counts["mean"], rtol=1e-6)
    assert run.n_ratings == len(small.ratings) and run.scale == small.rating_scale
    assert run.fingerprint == spark_files.file_fingerprint(spark, str(path))
    assert 0.5 < run.metrics["valid_rmse"] < 1.3 and run.model.bias_kind == "learned"
    saved = read_spark_als(spark_files.save_run(run, tmp_path / "run"))
    np.testing.assert_array_equal(saved.item_ids, run.item_ids[run.model.item_seen.numpy()])
    bad = tmp_path / "bad.csv"
    bad.write_text("user,item,x\n1,1,4\n")
    with pytest.raises(DataError, match="has no column Spark could take as the rating"):
        spark_files.read_ratings(spark, str(bad))
    bad.write_text("user,item,rating\nalice,1,4\n")
    with pytest.raises(DataError, match="not whole numbers"):
        spark_files.read_ratings(spark, str(bad))
    with pytest.raises(DataError, match="Spark cannot read"):
        spark_files.read_ratings(spark, str(tmp_path / "missing.parquet"))


def test_a_second_spark_in_the_same_process_is_refused(spark):
    refused = pytest.raises(EngineUnavailable, match="already running in this process")
    with refused, spark_train.spark_session("local[1]"):
        pass
    assert spark.range(3).count() == 3  # the running one was left alone
