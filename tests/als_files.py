"""A saved Spark ALSModel folder written without Spark, laid out as Spark writes one (for tests)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from collab_core import spark_import

_SCHEMA = pa.schema([("id", pa.int32()), ("features", pa.list_(pa.float32()))])


def write_als(folder: Path, user_ids, item_ids, rank: int, *, seed: int = 0, widths=None) -> Path:
    """An ALSModel folder laid out as Spark writes one (metadata JSON line, factor Parquet parts)."""
    rng = np.random.default_rng(seed)
    (folder / "metadata").mkdir(parents=True)
    meta = {"class": spark_import.ALS_CLASS, "sparkVersion": "4.3.0", "rank": rank}
    (folder / "metadata" / "part-00000").write_text(json.dumps(meta) + "\n")
    for side, ids in (("user", user_ids), ("item", item_ids)):
        (folder / f"{side}Factors").mkdir()
        feats = [rng.normal(0, 1, (widths or {}).get(side, rank)).tolist() for _ in ids]
        half = len(ids) // 2  # two parts, as Spark writes several
        for k, sl in enumerate((slice(0, half), slice(half, None))):
            table = pa.table(
                {"id": pa.array(ids[sl], pa.int32()), "features": feats[sl]}, schema=_SCHEMA
            )
            pq.write_table(table, folder / f"{side}Factors" / f"part-0000{k}.snappy.parquet")
    return folder
