"""The Upload page's "factors trained elsewhere": a saved Spark ALSModel or a Projector export."""

from __future__ import annotations

import tempfile
from pathlib import Path

import streamlit as st

from collab_core import describe, localfiles, spark_import

from . import cached, state
from .errors import user_errors

ALS, PROJECTOR = "Spark ALSModel folder (on this machine)", "TensorFlow Projector files"


def factors_section() -> None:
    """An expander that opens factors into the model store for the sidebar's data set and makes
    them the active model; a bad folder or file is shown with what is wrong."""
    with st.expander(
        "Open factors trained elsewhere: a saved Spark ALS model or a Projector export",
        icon=":material/move_to_inbox:",
    ):
        st.caption(
            "Matched to the data set chosen in the sidebar by its user and movie ids (a Projector "
            "export by its `item_id` column, else by title); no Spark needed. Ids the data set "
            "lacks are an error. A Projector export holds movie vectors only: the map, similar "
            "movies and recommendations work, and the Bias page says it has no biases."
        )
        kind = st.radio("What", [ALS, PROJECTOR], horizontal=True, key="import_kind")
        if kind == ALS:
            path = st.text_input(
                "Folder Spark saved the model in (model.write().save(PATH))",
                key="import_als_path",
                placeholder="~/models/als",
            )
            files = None
        else:
            c1, c2 = st.columns(2)
            files = (
                c1.file_uploader("vectors.tsv", type=["tsv", "txt"], key="import_vectors"),
                c2.file_uploader("metadata.tsv", type=["tsv", "txt"], key="import_metadata"),
            )
        if not st.button("Open these factors", key="import_go", icon=":material/input:"):
            return
        with user_errors(stop=False):
            ds = cached.dataset()
            if kind == ALS:
                config, model = spark_import.import_spark_als(localfiles.check_path(path), ds)
            else:
                config, model = _projector(files, ds)
            stored = cached.store().put(ds, config, model)
            label = describe.label(stored.config.key(), stored.metrics)
            state.set_active_model(stored.model_id, announce_as=f"Active model now: {label}")
            st.success(
                f"Model `{stored.model_id}`: {model.n_factors} factors for "
                f"{int(model.item_seen.sum()):,} of {ds.n_items:,} movies of {ds.name}; it is "
                "now the active model.",
                icon=":material/check_circle:",
            )


def _projector(files, ds):
    if files is None or None in files:
        from collab_core.errors import DataError

        raise DataError("Choose both files: vectors.tsv and metadata.tsv.")
    with tempfile.TemporaryDirectory() as tmp:
        paths = [Path(tmp) / name for name in ("vectors.tsv", "metadata.tsv")]
        for path, f in zip(paths, files, strict=True):
            path.write_bytes(f.getvalue())
        return spark_import.import_projector(*paths, ds)
