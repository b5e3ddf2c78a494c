"""CSV and TensorFlow Embedding Projector exports: files other tools can read back."""

import io
import zipfile

import numpy as np
import pandas as pd
import pytest

from collab_core import export
from collab_core.errors import ConfigError


@pytest.fixture
def items():
    return pd.DataFrame(
        {
            "item_id": [1, 2, 3],
            "title": ["Toy Story (1995)", "Tab\there", "Line\nbreak"],
            "year": pd.array([1995, None, 1997], dtype="Int64"),
            "genres": [["Animation", "Comedy"], [], ["Drama"]],
            "n_ratings": [452, 10, 3],
            "mean_rating": [3.88, 3.0, 2.5],
        }
    )


def test_csv_round_trips_with_genres_joined(items):
    back = pd.read_csv(io.BytesIO(export.to_csv_bytes(items)))
    assert list(back.columns) == list(items.columns)
    assert back.loc[0, "genres"] == "Animation|Comedy"
    assert back.loc[0, "title"] == "Toy Story (1995)"
    assert len(back) == 3


def test_projector_files_match_row_for_row(items):
    vectors = np.arange(6, dtype=np.float32).reshape(3, 2) / 3
    vec, meta = export.projector_tsv(vectors, items)
    rows = [line.split("\t") for line in vec.strip().split("\n")]
    assert len(rows) == 3 and all(len(r) == 2 for r in rows)
    np.testing.assert_allclose(np.array(rows, dtype=float), vectors, rtol=1e-5)
    lines = meta.rstrip("\n").split("\n")
    # header row; item_id last, so the Projector labels points by title and an import matches ids
    assert lines[0] == "title\tyear\tgenres\tn_ratings\tmean_rating\titem_id"
    assert len(lines) == 1 + 3
    assert lines[1].split("\t") == [
        "Toy Story (1995)", "1995", "Animation|Comedy", "452", "3.88", "1"
    ]  # fmt: skip
    long = export.projector_tsv(vectors, items.assign(mean_rating=[3.8783185482025146, 1, 2]))[1]
    assert long.split("\n")[1].endswith("\t3.87832\t1")
    # tabs and newlines inside a title would break the format: they become spaces
    assert lines[2].split("\t")[0] == "Tab here" and lines[2].split("\t")[1] == ""
    assert lines[3].split("\t")[0] == "Line break"


def test_projector_zip_holds_both_files(items):
    data = export.projector_zip(np.ones((3, 4)), items, ("title", "n_ratings"))
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        assert sorted(z.namelist()) == ["metadata.tsv", "vectors.tsv"]
        assert z.read("metadata.tsv").decode().startswith("title\tn_ratings\n")


def test_projector_rejects_mismatched_inputs(items):
    with pytest.raises(ConfigError, match="3 metadata rows"):
        export.projector_tsv(np.ones((2, 4)), items)
    with pytest.raises(ConfigError, match="2-D"):
        export.projector_tsv(np.ones(3), items)
    with pytest.raises(ConfigError, match="none of the columns"):
        export.projector_tsv(np.ones((3, 2)), items, ("nope",))
