"""The CLI beyond this machine: `import` (Spark ALSModel, Projector TSVs) and Spark-side `--data`."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable


def add_import_command(sub, add_data_args: Callable, load_dataset: Callable) -> None:
    """Register `import spark-als PATH` and `import projector VECTORS METADATA` on `sub`."""
    p = sub.add_parser(
        "import", help="open factors trained elsewhere (Spark ALS, TensorFlow Projector)"
    )
    kinds = p.add_subparsers(dest="import_kind", required=True, parser_class=type(p))
    als = kinds.add_parser("spark-als", help="a folder Spark saved an ALSModel in")
    als.add_argument("path", help="the ALSModel folder (metadata/, userFactors/, itemFactors/)")
    proj = kinds.add_parser("projector", help="vectors.tsv + metadata.tsv (item vectors only)")
    proj.add_argument("vectors", help="vectors.tsv: one vector a line")
    proj.add_argument("metadata", help="metadata.tsv: a title (or item_id) for each line")
    for q in (als, proj):
        add_data_args(q)
        q.add_argument("--json", action="store_true", help="print one JSON object")
        q.set_defaults(func=lambda args: cmd_import(args, load_dataset(args)))


def cmd_import(args: argparse.Namespace, dataset) -> int:
    from . import spark_import
    from .store import ModelStore

    if args.import_kind == "spark-als":
        config, model = spark_import.import_spark_als(args.path, dataset)
        what = f"Spark ALSModel {args.path}"
    else:
        config, model = spark_import.import_projector(args.vectors, args.metadata, dataset)
        what = f"Projector export {args.vectors}"
    stored = ModelStore().put(dataset, config, model)
    out = {
        "model_id": stored.model_id,
        "model": "imported",
        "n_factors": model.n_factors,
        "users_with_factors": int(model.user_seen.sum()),
        "items_with_factors": int(model.item_seen.sum()),
        "dataset": dataset.name,
        "biases": model.bias_kind != "none",
    }
    text = (
        f"model {stored.model_id}: {what} on {dataset.name}, {model.n_factors} factors for "
        f"{out['users_with_factors']:,} of {dataset.n_users:,} users and "
        f"{out['items_with_factors']:,} of {dataset.n_items:,} items (no biases); explore it "
        f"with --model-id {stored.model_id} or in the app"
    )
    print(json.dumps(out) if args.json else text)
    return 0


def cmd_train_spark_path(args: argparse.Namespace, config) -> int:
    """`train --engine spark --data PATH` where Spark reads PATH itself (Parquet/CSV, or a URL):
    the ratings never come to this process; the factors and statistics are saved as a folder."""
    from . import paths
    from .spark_files import save_run, train_on_path
    from .store import model_id_for

    printer = None
    if not args.json:

        def printer(event) -> None:
            if event.kind == "batch" and event.message:
                print(event.message, file=sys.stderr, flush=True)

    run = train_on_path(args.data, config, master=args.master, callback=printer)
    model_id = model_id_for(run.fingerprint, config)
    folder = save_run(run, paths.home() / "spark" / "runs" / model_id)
    out = {
        "model_id": model_id,
        "model": "als",
        "data": args.data,
        "fingerprint": run.fingerprint,
        "ratings": run.n_ratings,
        "users": len(run.user_ids),
        "items": len(run.item_ids),
        "rating_scale": list(run.scale),
        **{k: v for k, v in run.metrics.items()},
        "saved": str(folder),
        "config": config.key(),
    }
    text = (
        f"Spark ALS on {args.data} ({run.n_ratings:,} ratings, {len(run.user_ids):,} users, "
        f"{len(run.item_ids):,} items, scale {run.scale[0]:g}–{run.scale[1]:g}): valid RMSE "
        f"{run.metrics['valid_rmse']:.4f}, {run.metrics['train_seconds']:.1f} s; factors and "
        f"statistics saved in {folder} (an ALSModel folder: `collab-explorer import spark-als`)"
    )
    print(json.dumps(out, default=str) if args.json else text)
    return 0
