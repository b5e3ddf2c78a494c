"""`collab-explorer`: the command line over collab_core (data, train, evaluate, models, explore)."""

from __future__ import annotations

import argparse
import json
import sys

from .cli_import import add_import_command, cmd_train_spark_path
from .cli_onboard import (
    add_onboard_parser,
    add_start_args,
    onboard,
    representative_line,
    start_from_args,
)
from .config import NOISES, UNUSED, TrainConfig
from .devices import CHOICES as DEVICES
from .errors import CollabError


def _recommend_defaults() -> tuple[float, float]:
    """recommend_for's taste and calibration (the module is imported only when it is needed)."""
    from .recommend import CALIBRATION, TASTE

    return TASTE, CALIBRATION


def _progress_to_stderr(fraction: float, message: str) -> None:
    print(f"[{fraction:4.0%}] {message}", file=sys.stderr, flush=True)


def _emit(obj: dict, as_json: bool, text: str) -> None:
    print(json.dumps(obj, default=str) if as_json else text)


def _dataset(args: argparse.Namespace):
    """The data set `--data` names (MovieLens 100k without it), read with `--scale` if given."""
    from .data import load_dataset

    return load_dataset(
        args.data,
        items=args.items,
        progress=_progress_to_stderr,
        scale=_scale(args),
        users=getattr(args, "users_file", None),
    )


def _scale(args: argparse.Namespace) -> tuple[float, float] | None:
    from .scales import check_scale

    return None if args.scale is None else check_scale(args.scale)


def cmd_data(args: argparse.Namespace) -> int:
    ds = _dataset(args)
    s = ds.summary()
    text = (
        f"{s['name']} — {s['source']}\n"
        f"  ratings {s['ratings']:,}  users {s['users']:,}  items {s['items']:,}\n"
        f"  rating scale {s['rating_min']:g}–{s['rating_max']:g} (mean {s['rating_mean']:.2f}),"
        f" sparsity {s['sparsity']:.2%}\n  fingerprint {s['fingerprint']}"
    )
    text += "".join(f"\n  note: {n}" for n in ds.notes)
    _emit(s, args.json, text)
    return 0


def _size_text(n: int | None) -> str:
    from .readers import human_bytes  # here, not at the top: readers loads pandas

    return "?" if n is None else human_bytes(n)


def cmd_models(args: argparse.Namespace) -> int:
    from .store import ModelStore

    store = ModelStore()
    if args.models_command == "rm":
        for model_id in args.ids:
            store.remove(model_id)
            if not args.json:
                print(f"removed {model_id}")
        if args.json:
            print(json.dumps({"removed": args.ids}))
        return 0
    rows = store.list()
    if args.json:
        print(json.dumps(rows, default=str))
        return 0
    if not rows:
        print(f"no stored models in {store.root}")
        return 0

    def num(v, fmt: str) -> str:
        return "-" if v is None else format(v, fmt)

    print(
        f"{'id':<12}  {'model':<5}  {'factors':>7}  {'wd':>7}  {'RMSE':>6}  {'size':>8}  "
        f"{'created':<19}  data set"
    )
    for r in rows:
        created = (r["created"] or "-").replace("T", " ")[:19]
        line = (
            f"{r['model_id']:<12}  {r['model'] or '?':<5}  {num(r['n_factors'], 'd'):>7}  "
            f"{num(r['wd'], 'g'):>7}  {num(r['valid_rmse'], '.4f'):>6}  "
            f"{_size_text(r['size']):>8}  {created:<19}  {r['dataset'] or '?'}"
        )
        if r["problem"]:
            line += f"  [damaged: {r['problem']}]"
        print(line)
    print(f"{len(rows)} models, {_size_text(store.total_bytes())} in {store.root}")
    return 0


# --- train / evaluate --------------------------------------------------------------------------


def add_model_args(p: argparse.ArgumentParser) -> None:
    """The TrainConfig flags shared by `train` and `evaluate`; unset ones keep the tuned defaults."""
    p.add_argument(
        "--model",
        choices=("dot", "nn", "bayes", "als"),
        default="dot",
        help="dot product, neural net, the dot product by Gibbs sampling (bayes), or Spark's "
        "ALS (als, the same as --engine spark)",
    )
    p.add_argument("--factors", type=int, help="embedding size (n_factors)")
    p.add_argument("--wd", type=float, help="weight decay (per-example L2)")
    p.add_argument("--epochs", type=int, help="training epochs (bayes: Gibbs sweeps)")
    p.add_argument("--lr", type=float, help="(peak) learning rate")
    p.add_argument("--bs", type=int, help="batch size (0 = full batch)")
    p.add_argument(
        "--burn-in", type=int, help="bayes: sweeps discarded before samples are kept (default 1/4)"
    )
    p.add_argument("--noise", choices=NOISES, help="bayes: per user and movie (robust) or one")
    p.add_argument("--device", choices=DEVICES, default="auto")
    p.add_argument("--seed", type=int, default=42, help="random seed (split and initial weights)")
    p.add_argument("--json", action="store_true", help="print one JSON object")


def config_from_args(args: argparse.Namespace) -> TrainConfig:
    from .errors import ConfigError

    if getattr(args, "engine", "local") == "spark":
        if args.model not in ("dot", "als"):
            raise ConfigError(f"--engine spark trains ALS (--model als), not --model {args.model}.")
        args.model = "als"
    if args.model != "als" and getattr(args, "no_biases", False):
        raise ConfigError("--no-biases is a setting of --engine spark (plain ALS).")
    given = [n for n in UNUSED[args.model] if getattr(args, n, None) is not None]
    if given:
        flags = ", ".join("--" + n.replace("_", "-") for n in given)
        why = (
            "it learns its prior from the data and has no learning rate or batches"
            if args.model == "bayes"
            else "ALS on Spark has no learning rate or batches"
            if args.model == "als"
            else "they are settings of --model bayes"
        )
        raise ConfigError(f"{flags} cannot be used with --model {args.model}: {why}.")
    # A flag left out is None, which a TrainConfig reads as "the model's tuned default".
    return TrainConfig(
        model=args.model,
        n_factors=args.factors,
        wd=args.wd,
        epochs=args.epochs,
        lr=args.lr,
        bs=args.bs,
        burn_in=args.burn_in,
        noise=args.noise,
        als_biases=False if getattr(args, "no_biases", False) else None,
        seed=args.seed,
        device=args.device,
    )


def _model_id(dataset, config) -> str:
    from .store import model_id_for

    return model_id_for(dataset.fingerprint, config)


def _train(dataset, config, callback=None, master: str = "local[*]"):
    """(model, metrics, device, cached): `train` goes through the model store, so a config trained
    before on the same data comes back at once (`cached` True) instead of training again."""
    from .store import ModelStore

    fit = None
    if config.model == "als":
        from .spark_train import SparkTrainer, check_master

        fit = SparkTrainer(check_master(master)).fit
    stored = ModelStore().get_or_train(dataset, config, callback=callback, fit=fit)
    return stored.model, stored.metrics, stored.meta.get("device", config.device), stored.cached


def _progress_printer():
    """`_epoch_printer`, plus Spark's progress (phase, job, stage) on stderr when it changes."""
    last = [""]

    def show(event) -> None:
        if event.message and event.kind == "batch":
            head = event.message.rsplit(" · ", 1)[0]  # without the clock, which always changes
            if head != last[0]:
                last[0] = head
                print(event.message, file=sys.stderr, flush=True)
            return
        _epoch_printer(event)

    return show


def _epoch_printer(event) -> None:
    """One line per epoch on stderr; with many (the sampler's sweeps), every tenth of the run."""
    every = max(1, event.epochs // 10) if event.epochs > 20 else 1
    if event.kind == "epoch" and ((event.epoch + 1) % every == 0 or event.epoch == 0):
        valid = event.valid_rmse
        # `evaluate` trains with no validation split (its RMSE is NaN): leave the figure out.
        tail = f"  valid_rmse {valid:.4f}" if valid is not None and valid == valid else ""
        print(
            f"epoch {event.epoch + 1}/{event.epochs}  train_loss {event.train_loss:.4f}{tail}",
            file=sys.stderr,
            flush=True,
        )


def cmd_train(args: argparse.Namespace) -> int:
    config = config_from_args(args)
    if config.model == "als" and args.data and _spark_reads(args.data):
        return cmd_train_spark_path(args, config)
    ds = _dataset(args)
    printer = None if args.json else _progress_printer()
    _, metrics, device, cached = _train(ds, config, printer, master=args.master)
    out = {
        "model_id": _model_id(ds, config),
        "model": config.model,
        "valid_rmse": round(metrics["valid_rmse"], 5),
        "valid_mae": round(metrics["valid_mae"], 5),
        "train_seconds": metrics["train_seconds"],
        "device": device,
        "cached": cached,
        "n_train": metrics["n_train"],
        "n_valid": metrics["n_valid"],
        "config": config.key(),
    }
    text = (
        f"model {out['model_id']} ({config.model}) on {ds.name}: valid RMSE "
        f"{out['valid_rmse']:.4f}, MAE {out['valid_mae']:.4f}, "
        f"{out['train_seconds']:.2f} s on {device}{' (cached)' if cached else ''}"
    )
    _emit(out, args.json, text)
    return 0


def _spark_reads(data: str) -> bool:
    from .spark_files import is_spark_path

    return is_spark_path(data)


def cmd_evaluate(args: argparse.Namespace) -> int:
    from .data import load_dataset, load_ratings_file
    from .evaluate import baseline_scores, score_model
    from .training import fit

    scale = _scale(args)
    ds = load_dataset(args.train, items=args.items, scale=scale)
    test = load_ratings_file(args.test, scale=scale).ratings
    config = config_from_args(args)
    # No validation split: the whole training file trains; the test file is scored afterwards.
    empty = ds.ratings.iloc[:0]
    result = fit(
        ds, config, train=ds.ratings, valid=empty, callback=None if args.json else _epoch_printer
    )
    u, i, r = ds.encode(test)
    scores = score_model(result.model, u, i, r)
    tu, ti, tr = ds.encode(ds.ratings)
    base = baseline_scores(tu, ti, tr, u, i, r)
    unseen = int(((u < 0) | (i < 0)).sum())
    out = {
        "model": config.model,
        "rmse": round(scores["rmse"], 5),
        "mae": round(scores["mae"], 5),
        **{k: round(v, 5) for k, v in scores.items() if "@" in k},
        "train_seconds": result.metrics["train_seconds"],
        "device": result.device,
        "n_train": len(ds.ratings),
        "n_test": len(test),
        "n_test_unseen": unseen,
        "baselines": base,
        "config": config.key(),
    }
    text = (
        f"{config.model} trained on {len(ds.ratings):,} ratings in {out['train_seconds']:.2f} s "
        f"({result.device}); on {len(test):,} test ratings ({unseen:,} with an unseen user or "
        f"item): RMSE {out['rmse']:.4f}, MAE {out['mae']:.4f}\n"
        f"  baselines: global mean RMSE {base['global_mean']['rmse']:.4f}, "
        f"user+item bias RMSE {base['bias']['rmse']:.4f}"
    )
    _emit(out, args.json, text)
    return 0


# --- explore: biases / similar / recommend ------------------------------------------------------


def _explorer(args: argparse.Namespace):
    """An `Explorer` over the data set and the model the explore commands work on (`_stored`)."""
    from .analysis import Explorer

    ds, stored = _stored(args)
    return Explorer(ds, stored.model)


def _stored(args: argparse.Namespace):
    """(data set, `StoredModel`) the explore commands work on.

    The default model comes from the store (trained once, with progress on stderr, then loaded);
    `--model-id` picks a stored one, which must belong to this data set.
    """
    from .errors import ConfigError
    from .store import ModelStore, default_model

    ds = _dataset(args)
    if args.model_id:
        stored = ModelStore().load(args.model_id)
        fp = stored.meta.get("fingerprint")
        if fp and fp != ds.fingerprint:
            raise ConfigError(
                f"Model {stored.model_id} was trained on another data set "
                f"(fingerprint {fp}, this one is {ds.fingerprint}); pass the same "
                "--data it was trained on, or leave out --model-id."
            )
    else:
        stored = default_model(ds, callback=_epoch_printer)
    return ds, stored


def add_explore_args(p: argparse.ArgumentParser, users_option: str = "--users") -> None:
    add_data_args(p, users_option)
    p.add_argument(
        "--model-id",
        help="a stored model (see `collab-explorer models`); "
        "default: the default model, trained once and then loaded",
    )
    p.add_argument("--json", action="store_true", help="print one JSON object")


def _records(df) -> list[dict]:
    return json.loads(df.to_json(orient="records"))  # plain numbers, None for missing


def cmd_biases(args: argparse.Namespace) -> int:
    from .analysis import BIAS_KINDS, BIAS_NOTE, bias_units

    ex = _explorer(args)
    table = ex.biases(top=args.top, users=args.users, min_ratings=args.min_ratings)
    kind = "users" if args.users else "items"
    out = {
        "kind": kind,
        "min_ratings": args.min_ratings,
        "note": BIAS_NOTE,
        "bias_kind": ex.model.bias_kind,
        "units": bias_units(ex),
        "highest": _records(table[table["end"] == "highest"]),
        "lowest": _records(table[table["end"] == "lowest"]),
    }
    lines = []
    for end in ("highest", "lowest"):
        lines.append(f"{end} {kind[:-1]} biases ({args.min_ratings}+ ratings):")
        for row in out[end]:
            name = f"user {row['user_id']}" if args.users else row["title"]
            lines.append(
                f"  {row['rank']:>3}  {row['bias']:+.3f}  mean {row['mean_rating']:.2f} "
                f"({row['n_ratings']})  {name}\n         {row['explanation']}"
            )
    notes = [BIAS_KINDS[ex.model.bias_kind], bias_units(ex), BIAS_NOTE]
    _emit(out, args.json, "\n".join(lines + notes))
    return 0


def _take_title(ex, text: str):
    """The movie `text` names (`TitleIndex.lookup`, misspellings taken when one title is clearly
    the best); a guess is said on stderr, so that scripts reading stdout are not disturbed."""
    found = ex.titles.lookup(text, typos=True)
    if found.guessed:
        print(
            f"note: no title matches {text!r}; taking {found.title!r}, spelled most like it.",
            file=sys.stderr,
            flush=True,
        )
    return found


def cmd_similar(args: argparse.Namespace) -> int:
    ex = _explorer(args)
    found = _take_title(ex, " ".join(args.title))
    res = ex.nearest(found.index, k=args.k, metric=args.metric, min_ratings=args.min_ratings)
    col = "similarity" if res.metric == "cosine" else "distance"
    out = {"query": res.query, "metric": res.metric, "neighbours": _records(res.table)}
    lines = [f"nearest to {res.query} ({res.metric}):"]
    lines += [f"  {r['rank']:>3}  {r[col]:.3f}  {r['title']}" for r in out["neighbours"]]
    _emit(out, args.json, "\n".join(lines))
    return 0


def cmd_recommend(args: argparse.Namespace) -> int:
    from .errors import ConfigError

    pairs = []
    for text in args.rate or []:
        title, sep, rating = text.rpartition("=")
        if not sep or not title.strip():
            raise ConfigError(
                f"--rate takes TITLE=RATING, e.g. --rate 'Star Wars (1977)=5', not {text!r}."
            )
        pairs.append((title.strip(), rating.strip()))
    from .recommend import recommend_for

    ex = _explorer(args)
    start = start_from_args(args, ex.model, ex.dataset)
    if args.start == "representative" and not args.json:
        print(representative_line(ex.model, ex.dataset), file=sys.stderr)
    # A misspelled title becomes the title it was taken for (said on stderr).
    pairs = [(_take_title(ex, title).title, rating) for title, rating in pairs]
    rec = recommend_for(
        ex,
        pairs,
        k=args.k,
        genres=args.genre,
        min_ratings=args.min_ratings,
        novelty=args.novelty,
        start=start,
        **_given(args, "taste", "calibration"),  # else recommend_for's defaults
    )
    lines = [f"{rec.user.method}; top {len(rec.table)}:"]
    lines += [
        f"  {r['rank']:>3}  {r['score']:.2f}{_spread(r)}  {r['title']}\n         {r['because']}"
        for r in _records(rec.table)
    ]
    mix = rec.genre_mix[rec.genre_mix["yours"] > 0].head(5)
    if len(mix):  # only when there is a genre mix to follow
        pairs = [f"{g} {y:.0%} / {q:.0%}" for g, y, q in mix[["genre", "yours", "list"]].values]
        lines.append(
            f"genres (movies you liked / this list; calibration {rec.calibration_used:.2f} "
            "applied): " + ", ".join(pairs)
        )
    lines.append(f"popularity: {rec.report.summary}")
    _emit(rec.to_dict(), args.json, "\n".join(lines))
    return 0


def cmd_onboard(args: argparse.Namespace) -> int:
    out, text = onboard(args, _explorer(args))
    _emit(out, args.json, text)
    return 0


def _spread(row: dict) -> str:
    """' ± 0.31' where the model gives its predictions' posterior spread (`score_sd`)."""
    sd = row.get("score_sd")
    return f" ± {sd:.2f}" if sd is not None else ""


def cmd_simulate(args: argparse.Namespace) -> int:
    from .simulate import SimulationSettings, simulate

    ds, stored = _stored(args)  # the model with its training settings (warm starts use them)
    settings = SimulationSettings(
        rounds=args.rounds,
        policy=args.policy,
        k=args.k,
        picks=args.picks,
        update=args.update,
        enthusiasts=args.enthusiasts,
        users=args.users,
        learn=not args.frozen,
        seed=args.seed,
        **_given(args, "calibration", "novelty", "taste", "epsilon"),
    )

    def progress(t: int, rounds: int, record: dict) -> None:
        if not args.json:
            print(f"round {t}/{rounds} done in {record['seconds']:.1f} s", file=sys.stderr)

    result = simulate(ds, stored.model, settings, config=stored.config, callback=progress)
    table = result.rounds.drop(columns=["seconds"])
    lines = [
        f"{args.rounds} round{'s' * (args.rounds != 1)} of the {args.policy!r} policy over "
        f"{result.n_users:,} users "
        f"(top {args.k}, {args.update} update"
        + (
            f", {result.n_enthusiasts} {result.settings.enthusiasts} enthusiasts"
            if args.enthusiasts
            else ""
        )
        + "):",
        table.to_string(index=False, float_format=lambda v: f"{v:.3f}"),
    ]
    _emit(result.to_dict(), args.json, "\n".join(lines))
    return 0


def _given(args: argparse.Namespace, *names: str) -> dict:
    """The options among `names` given on the command line (their default is None)."""
    return {n: getattr(args, n) for n in names if getattr(args, n) is not None}


def add_data_args(p: argparse.ArgumentParser, users_option: str = "--users") -> None:
    p.add_argument(
        "--data",
        help="ratings file (plain or .gz/.bz2/.xz/.zst/.zip), GroupLens folder or zip "
        "(default: MovieLens 100k)",
    )
    p.add_argument("--items", help="items file with titles (and genres)")
    p.add_argument(
        users_option,
        dest="users_file",
        help="users file: a user id column and what you know of each (age, gender, "
        "occupation...), for the profile start",
    )
    add_scale_arg(p)


def add_scale_arg(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--scale",
        nargs=2,
        type=float,
        metavar=("LO", "HI"),
        help="the rating scale, e.g. --scale 1 5: ratings outside it are errors (default: "
        "ratings must look like one scale)",
    )


class _Parser(argparse.ArgumentParser):
    """argparse, whose usage errors are one JSON object on stdout when `--json` is asked for."""

    json_errors = False

    def error(self, message: str):
        if self.json_errors:
            _json_error(f"{self.prog}: {message}", "UsageError")
            self.exit(2)
        super().error(message)


def _json_error(message: str, kind: str) -> None:
    print(json.dumps({"error": message, "kind": kind}))


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="collab-explorer", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)

    p = sub.add_parser("data", help="summarise a data set")
    add_data_args(p)
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.set_defaults(func=cmd_data)
    p = sub.add_parser("models", help="list stored models (or remove one: models rm ID)")
    p.add_argument("--json", action="store_true", help="print JSON")
    msub = p.add_subparsers(dest="models_command")
    rm = msub.add_parser("rm", help="delete stored models by id (or unique id prefix)")
    rm.add_argument("ids", nargs="+", metavar="ID", help="model id from `collab-explorer models`")
    rm.add_argument("--json", action="store_true", default=argparse.SUPPRESS, help="print JSON")
    p.set_defaults(func=cmd_models)
    p = sub.add_parser("train", help="train a model on a random 80/20 split and report its error")
    add_data_args(p)
    add_model_args(p)
    p.add_argument(
        "--engine",
        choices=("local", "spark"),
        default="local",
        help="train here (default) or on Apache Spark (ALS; needs pip install '.[spark]' and Java)",
    )
    p.add_argument(
        "--master",
        default="local[*]",
        help="Spark master URL: local[*] (default), local[N] or spark://HOST:PORT",
    )
    p.add_argument(
        "--no-biases", action="store_true", help="spark: plain ALS, without the bias baseline"
    )
    p.set_defaults(func=cmd_train)
    add_import_command(sub, add_data_args, _dataset)
    p = sub.add_parser("evaluate", help="train on one ratings file and score another")
    p.add_argument("--train", required=True, help="ratings file (or MovieLens folder) to train on")
    p.add_argument("--test", required=True, help="ratings file to score")
    p.add_argument("--items", help="items file with titles (and genres)")
    add_scale_arg(p)
    add_model_args(p)
    p.set_defaults(func=cmd_evaluate)
    p = sub.add_parser("biases", help="movies (or users) with the highest and lowest learned bias")
    add_explore_args(p, users_option="--users-file")  # --users ranks users here
    p.add_argument("--top", type=int, default=10, help="how many at each end (default 10)")
    p.add_argument("--users", action="store_true", help="rank users instead of movies")
    p.add_argument("--min-ratings", type=int, default=50, help="leave out rarer ones (default 50)")
    p.set_defaults(func=cmd_biases)
    p = sub.add_parser("similar", help="the movies nearest a title in the embedding space")
    p.add_argument("title", nargs="+", help="a title, found forgivingly ('the godfather')")
    add_explore_args(p)
    p.add_argument("--k", type=int, default=10, help="how many (default 10)")
    p.add_argument("--metric", choices=["cosine", "euclidean"], default="cosine")
    p.add_argument("--min-ratings", type=int, default=0, help="leave out rarer movies")
    p.set_defaults(func=cmd_similar)
    p = sub.add_parser("recommend", help="top movies for a new user from a few ratings")
    p.add_argument(
        "--rate",
        action="append",
        metavar="TITLE=R",
        help="a rating, e.g. --rate 'Star Wars (1977)=5' (repeat; none: cold start)",
    )
    add_explore_args(p)
    p.add_argument("--k", type=int, default=10, help="how many (default 10)")
    p.add_argument("--genre", action="append", help="only movies of this genre (repeatable)")
    p.add_argument(
        "--min-ratings",
        type=int,
        default=10,
        help="leave out movies with fewer ratings (default 10)",
    )
    p.add_argument(
        "--novelty",
        type=float,
        default=0.0,
        help="0 (popular first) to 1 (penalise popularity most)",
    )
    p.add_argument(
        "--taste",
        type=float,
        help="0 (rank by predicted rating) to 1 (by how much more than the average user you "
        f"would like it; default {_recommend_defaults()[0]:g})",
    )
    p.add_argument(
        "--calibration",
        type=float,
        help="0 (off) to 1: how hard the list follows the genres of the movies you rated "
        f"above the middle of the scale (default {_recommend_defaults()[1]:g})",
    )
    add_start_args(p)
    p.set_defaults(func=cmd_recommend)
    p = add_onboard_parser(sub)
    add_explore_args(p)
    p.set_defaults(func=cmd_onboard)
    p = sub.add_parser(
        "simulate", help="run the recommender for rounds and watch what it does to the catalogue"
    )
    add_explore_args(p, users_option="--users-file")  # --users: a sample size here
    p.add_argument("--rounds", type=int, default=10, help="how many rounds (default 10)")
    p.add_argument(
        "--policy",
        choices=["predicted", "calibrated", "epsilon", "popular"],
        default="predicted",
        help="how lists are made (default: predicted rating)",
    )
    p.add_argument("--enthusiasts", metavar="GENRE", help="add a few fans of GENRE who rate a lot")
    p.add_argument("--k", type=int, default=10, help="list length (default 10)")
    p.add_argument("--picks", type=int, default=1, help="movies each user picks a round")
    p.add_argument(
        "--update",
        choices=["warm", "fold_in"],
        default="warm",
        help="retrain a little each round (warm) or refit the users only (fold_in)",
    )
    p.add_argument("--users", type=int, help="simulate a random sample of this many users")
    p.add_argument(
        "--frozen", action="store_true", help="the control: a model that never learns (no loop)"
    )
    p.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    p.add_argument("--epsilon", type=float, help="epsilon policy: chance a slot is random (0.1)")
    p.add_argument("--calibration", type=float, help="genre calibration, 0 to 1")
    p.add_argument("--novelty", type=float, help="novelty knob, 0 to 1")
    p.add_argument("--taste", type=float, help="taste knob, 0 to 1")
    p.set_defaults(func=cmd_simulate)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run one command; a bad input exits 2 with its message: an `error:` line on stderr, or with
    `--json` one JSON object `{"error": ..., "kind": ...}` on stdout."""
    argv = sys.argv[1:] if argv is None else argv
    _Parser.json_errors = "--json" in argv
    try:
        args = build_parser().parse_args(argv)
    finally:
        _Parser.json_errors = False
    as_json = getattr(args, "json", False)
    try:
        return args.func(args)
    except CollabError as exc:
        if as_json:
            _json_error(str(exc), type(exc).__name__)
        else:
            print(f"error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
    except Exception as exc:
        if not as_json:
            raise
        # A bug, not a bad input: still one JSON object for the script, the traceback on stderr.
        import traceback

        traceback.print_exc()
        _json_error(f"{type(exc).__name__}: {exc}", "InternalError")
        return 1


if __name__ == "__main__":
    sys.exit(main())
