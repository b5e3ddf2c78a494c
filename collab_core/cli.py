"""`collab-explorer`: the command line over collab_core (data, train, evaluate, models, explore)."""

from __future__ import annotations

import argparse
import json
import sys

from .errors import CollabError


def _progress_to_stderr(fraction: float, message: str) -> None:
    print(f"[{fraction:4.0%}] {message}", file=sys.stderr, flush=True)


def _emit(obj: dict, as_json: bool, text: str) -> None:
    print(json.dumps(obj, default=str) if as_json else text)


def cmd_data(args: argparse.Namespace) -> int:
    from .data import load_dataset

    ds = load_dataset(args.data, items=args.items, progress=_progress_to_stderr)
    s = ds.summary()
    text = (f"{s['name']} — {s['source']}\n"
            f"  ratings {s['ratings']:,}  users {s['users']:,}  items {s['items']:,}\n"
            f"  rating scale {s['rating_min']:g}–{s['rating_max']:g} (mean {s['rating_mean']:.2f}),"
            f" sparsity {s['sparsity']:.2%}\n  fingerprint {s['fingerprint']}")
    text += "".join(f"\n  note: {n}" for n in ds.notes)
    _emit(s, args.json, text)
    return 0


def add_data_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--data", help="ratings file or MovieLens folder (default: MovieLens 100k)")
    p.add_argument("--items", help="items file with titles (and genres)")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="collab-explorer", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("data", help="summarise a data set")
    add_data_args(p)
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.set_defaults(func=cmd_data)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return args.func(args)
    except CollabError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
