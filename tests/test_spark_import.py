"""Opening factors trained elsewhere without Spark: saved ALSModel folders, Projector exports."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from als_files import write_als

from collab_core import export, spark_import
from collab_core.analysis import Explorer
from collab_core.cli import main
from collab_core.errors import DataError
from collab_core.recommend import recommend_for
from collab_core.store import ModelStore


def test_a_saved_als_model_is_matched_to_the_data_sets_ids(ml100k, tmp_path):
    users = ml100k.user_ids.to_numpy()[::-1][:900]  # not all users, in another order
    items = ml100k.item_ids.to_numpy()[:1500]
    folder = write_als(tmp_path / "als", users, items, rank=6)
    factors = spark_import.read_spark_als(folder)
    model = spark_import.spark_als_model(factors, ml100k)
    assert model.n_factors == 6 and model.bias_kind == "none"
    assert int(model.user_seen.sum()) == 900 and int(model.item_seen.sum()) == 1500
    # user 943 and movie 50 (Star Wars): the prediction is Spark's dot product of their rows.
    u, i = ml100k.user_index([943])[0], ml100k.item_index([50])[0]
    want = (
        factors.user_factors[factors.user_ids == 943][0]
        @ factors.item_factors[factors.item_ids == 50][0]
    )
    assert float(model.predict([u], [i])[0]) == pytest.approx(want, rel=1e-5)
    missing = int(np.flatnonzero(~model.user_seen.numpy())[0])
    assert np.all(model.user_factors().numpy()[missing] == 0)


def test_bad_als_folders_say_what_is_wrong(ml100k, tmp_path):
    with pytest.raises(DataError, match="is not a folder"):
        spark_import.read_spark_als(tmp_path / "nowhere")
    (tmp_path / "empty").mkdir()
    with pytest.raises(DataError, match="no metadata/part-"):
        spark_import.read_spark_als(tmp_path / "empty")
    other = tmp_path / "other"
    (other / "metadata").mkdir(parents=True)
    (other / "metadata" / "part-00000").write_text('{"class": "org.apache.spark.ml.Pipeline"}\n')
    with pytest.raises(DataError, match="Pipeline.*not a Spark ALSModel"):
        spark_import.read_spark_als(other)
    ids = ml100k.user_ids.to_numpy()[:10]
    mixed = write_als(tmp_path / "mixed", ids, ids, rank=4, widths={"item": 5})
    with pytest.raises(
        DataError, match=r"factor lengths differ from the model's rank 4 \(found \[5\]\)"
    ):
        spark_import.read_spark_als(mixed)
    no_items = write_als(tmp_path / "no_items", ids, ids, rank=4)
    for part in (no_items / "itemFactors").iterdir():
        part.unlink()
    with pytest.raises(DataError, match="no itemFactors/ folder"):
        spark_import.read_spark_als(no_items)
    foreign = write_als(tmp_path / "foreign", np.array([1, 2, 99_999, 100_000]), [50], rank=4)
    with pytest.raises(
        DataError, match=r"2 of the model's 4 user ids are not in .*\(99999, 100000\)"
    ):
        spark_import.import_spark_als(foreign, ml100k)


@pytest.fixture
def projector_files(ml100k, default_model, tmp_path):
    """The default model's item vectors as the Map page exports them for the Projector."""
    ex = Explorer(ml100k, default_model)
    vectors, meta = export.projector_tsv(
        ex.item_factors_, ex.item_table(np.arange(ml100k.n_items)).assign(bias=0.0),
        (*export.PROJECTOR_COLUMNS, "bias"),
    )  # fmt: skip
    (tmp_path / "vectors.tsv").write_text(vectors)
    (tmp_path / "metadata.tsv").write_text(meta)
    return tmp_path / "vectors.tsv", tmp_path / "metadata.tsv"


@pytest.mark.parametrize("match", ["item_id", "title"])
def test_projector_round_trip_keeps_the_neighbours(ml100k, default_model, projector_files, match):
    if match == "title":  # an export without ids (older, or hand-made): matched by title
        meta = projector_files[1]
        table = pd.read_csv(meta, sep="\t").drop(columns="item_id")
        table.to_csv(meta, sep="\t", index=False)
    config, model = spark_import.import_projector(*projector_files, ml100k)
    ours = Explorer(ml100k, default_model)
    assert model.n_items == ml100k.n_items and config.n_factors == default_model.n_factors
    np.testing.assert_allclose(model.item_factors().numpy(), ours.item_factors_, rtol=1e-5)
    # Same-titled films (ML-100k has some) keep their own vectors (the app's labels name ids).
    theirs = Explorer(ml100k, model)
    got = theirs.similar("Star Wars (1977)").table["title"].tolist()
    assert got == ours.similar("Star Wars (1977)").table["title"].tolist()
    recs = recommend_for(theirs, {"Star Wars (1977)": 5, "Return of the Jedi (1983)": 5})
    assert len(recs.table) == 10 and "Star Wars (1977)" not in set(recs.table["title"])


def test_bad_projector_files_say_what_is_wrong(ml100k, projector_files, tmp_path):
    vectors, meta = projector_files
    lines = meta.read_text().splitlines()
    short = tmp_path / "short.tsv"
    short.write_text("\n".join(lines[:-3]) + "\n")
    with pytest.raises(DataError, match="1,682 vectors but short.tsv describes 1,679 rows"):
        spark_import.read_projector(vectors, short)
    ragged = tmp_path / "ragged.tsv"
    ragged.write_text(vectors.read_text().replace("\n", "\t0.5\n", 1))
    with pytest.raises(DataError, match="vector lengths differ .*line 2 has"):
        spark_import.read_projector(ragged, meta)
    words = tmp_path / "words.tsv"
    words.write_text("a\tb\n")
    with pytest.raises(DataError, match="not numbers"):
        spark_import.read_projector(words, meta)
    strange = tmp_path / "strange.tsv"
    strange.write_text(
        lines[0] + "\n" + "Not a Movie (2031)\t2031\t\t1\t3\t0\n" + "\n".join(lines[2:])
    )
    with pytest.raises(
        DataError, match=r"1 of the 1,682 metadata rows name movies that are not in"
    ):
        spark_import.import_projector(vectors, strange, ml100k)
    with pytest.raises(DataError, match="is not a file"):
        spark_import.read_projector(tmp_path / "nope.tsv", meta)


def test_imported_models_live_in_the_store_and_the_cli(ml100k, projector_files, tmp_path, capsys):
    vectors, meta = projector_files
    assert main(["import", "projector", str(vectors), str(meta), "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["items_with_factors"] == 1682 and out["biases"] is False
    stored = ModelStore().load(out["model_id"])
    assert stored.model.bias_kind == "none" and stored.config.model == "imported"
    assert main(["similar", "star wars", "--model-id", out["model_id"], "--json"]) == 0
    similar = json.loads(capsys.readouterr().out)
    assert similar["neighbours"][0]["title"] == "Empire Strikes Back, The (1980)"
    folder = write_als(tmp_path / "als", ml100k.user_ids.to_numpy(), ml100k.item_ids.to_numpy(), 3)
    assert main(["import", "spark-als", str(folder)]) == 0
    assert "3 factors for 943 of 943 users" in capsys.readouterr().out
    assert main(["import", "spark-als", str(tmp_path)]) == 2
    assert "not a saved Spark ALSModel" in capsys.readouterr().err
