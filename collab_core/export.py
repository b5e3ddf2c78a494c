"""Tables as CSV, and item embeddings as TensorFlow Embedding Projector TSV files."""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Sequence

import numpy as np
import pandas as pd

from .errors import ConfigError

# The projector reads metadata.tsv with a header row when it has more than one column.
# `item_id` lets `spark_import.import_projector` match the rows back to the data set's movies.
PROJECTOR_COLUMNS = ("title", "year", "genres", "n_ratings", "mean_rating", "item_id")
_CELL_BREAKS = re.compile(r"[\t\r\n]+")


def _flat(value) -> str:
    """One table cell as text: lists joined with '|', missing values empty, no tabs or newlines."""
    if isinstance(value, (list, tuple, np.ndarray)):
        return "|".join(str(v) for v in value)
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return ""
    if isinstance(value, (float, np.floating)):
        return f"{value:.6g}"  # float32 columns would otherwise print 3.8783185482025146
    return _CELL_BREAKS.sub(" ", str(value)).strip()


def flatten(table: pd.DataFrame) -> pd.DataFrame:
    """A copy where list-valued columns (genres) become 'A|B' strings, so CSV readers get one cell."""
    out = table.copy()
    for col in out.columns:
        if (
            out[col].dtype == object
            and out[col].map(lambda v: isinstance(v, (list, tuple, np.ndarray))).any()
        ):
            out[col] = out[col].map(_flat)
    return out


def to_csv_bytes(table: pd.DataFrame, *, index: bool = False) -> bytes:
    """UTF-8 CSV of `table` (lists joined with '|'), ready for a download button."""
    return flatten(table).to_csv(index=index).encode("utf-8")


def projector_tsv(
    vectors: np.ndarray,
    metadata: pd.DataFrame,
    columns: Sequence[str] = PROJECTOR_COLUMNS,
) -> tuple[str, str]:
    """(vectors.tsv, metadata.tsv) text for https://projector.tensorflow.org.

    `vectors` is [n_items, d], row i belongs to `metadata` row i (a `Dataset.items` table, maybe
    with extra columns such as bias). metadata.tsv gets a header row and one line per vector.
    """
    v = np.asarray(vectors, dtype=np.float64)
    if v.ndim != 2 or v.shape[0] == 0:
        raise ConfigError(f"Expected a non-empty 2-D array of item vectors, got shape {v.shape}.")
    if v.shape[0] != len(metadata):
        raise ConfigError(
            f"{v.shape[0]} vectors but {len(metadata)} metadata rows; they must match "
            "row for row (export the model trained on this data set)."
        )
    cols = [c for c in columns if c in metadata.columns]
    if not cols:
        raise ConfigError(f"The metadata has none of the columns {list(columns)}.")
    buf = io.StringIO()
    np.savetxt(buf, v, delimiter="\t", fmt="%.6g")
    meta_lines = ["\t".join(cols)]
    meta_lines += [
        "\t".join(_flat(x) for x in row) for row in metadata[cols].itertuples(index=False)
    ]
    return buf.getvalue(), "\n".join(meta_lines) + "\n"


def projector_zip(
    vectors: np.ndarray, metadata: pd.DataFrame, columns: Sequence[str] = PROJECTOR_COLUMNS
) -> bytes:
    """vectors.tsv and metadata.tsv in one zip archive."""
    vec, meta = projector_tsv(vectors, metadata, columns)
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("vectors.tsv", vec)
        z.writestr("metadata.tsv", meta)
    return buf.getvalue()
