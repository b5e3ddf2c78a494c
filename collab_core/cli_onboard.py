"""The command line's new-user commands: `recommend --start ...` and `onboard` (the questionnaire)."""

from __future__ import annotations

import argparse
import sys

from .errors import ConfigError

# As in `starts.STARTS` and `questionnaire.ORDERS` (a test checks): spelled here so that building
# the parser does not import the models.
STARTS = ("mean", "representative", "profile")
ORDERS = ("adaptive", "popular", "random")

PROFILE_FIELDS = ("age", "gender", "occupation")
SKIP_WORDS = ("skip", "s", "-", "unseen", "no", "n", "")


def add_start_args(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--start",
        choices=STARTS,
        help="where a new user starts: the mean user (default), the real user nearest it, or "
        "the profile model's guess from --age/--gender/--occupation",
    )
    p.add_argument("--age", type=float, help="profile start: your age")
    p.add_argument("--gender", help="profile start: as the users table says it (M, F)")
    p.add_argument("--occupation", help="profile start: e.g. student, engineer, retired")


def start_from_args(args: argparse.Namespace, model, ds):
    """The start `--start` names (None: the mean user); profile fields without --start profile
    are an error, so that they are never silently ignored."""
    profile = {f: getattr(args, f) for f in PROFILE_FIELDS if getattr(args, f, None) is not None}
    how = getattr(args, "start", None) or ("profile" if profile else None)
    if how is None:
        return None
    from .starts import start_user

    if profile and how != "profile":
        raise ConfigError(
            f"--{next(iter(profile))} describes you for --start profile, not --start {how}."
        )
    return start_user(how, model, ds, profile)


def add_onboard_parser(sub) -> None:
    p = sub.add_parser(
        "onboard",
        help="a new user's questionnaire: rate the movies it asks about, watch the list sharpen",
    )
    add_start_args(p)
    p.add_argument("--order", choices=ORDERS, default="adaptive", help="question order")
    p.add_argument("--questions", type=int, default=10, help="how many questions (default 10)")
    p.add_argument(
        "--answers",
        help="answers in the order asked, for scripts: ratings, or 'skip' for haven't seen it "
        "(e.g. '5,skip,4'); without it the questions are asked in the terminal",
    )
    p.add_argument("--k", type=int, default=10, help="list length (default 10)")
    p.add_argument("--seed", type=int, default=0, help="random order's seed")
    return p


def onboard(args: argparse.Namespace, ex) -> tuple[dict, str]:
    """Run the questionnaire `args` describe on the `Explorer` `ex`: (JSON object, text)."""
    import numpy as np

    from .questionnaire import Questionnaire, QuestionPool
    from .recommend import recommend_items

    ds, model = ex.dataset, ex.model
    start = start_from_args(args, model, ds)
    q = Questionnaire(model, QuestionPool.of(model, ds), args.order, start, seed=args.seed)
    scripted = None if args.answers is None else [a.strip() for a in args.answers.split(",")]
    if scripted is None and not sys.stdin.isatty():
        raise ConfigError("No terminal to ask in: give the answers with --answers '5,skip,4'.")

    def top() -> list[str]:
        idx = np.fromiter(q.answers, np.int64, len(q.answers))
        r = np.fromiter(q.answers.values(), np.float64, len(q.answers))
        return recommend_items(ex, idx, r, k=args.k, start=start).table["title"].tolist()

    first = top()
    steps, lines = [], []
    live = scripted is None and not args.json  # in a terminal: each line as it comes

    def say(line: str) -> None:
        print(line, flush=True) if live else lines.append(line)

    say(f"start: {(start or model.mean_user()).method}")
    say(_list_line(first))
    for n in range(args.questions):
        item = q.next_item()
        if item is None:
            break
        title = ds.items["title"].iloc[item]
        if scripted is not None:
            if n >= len(scripted):
                break
            said = scripted[n]
        else:
            said = input(f"{n + 1}. {title}: your rating (or Enter if you haven't seen it)? ")
        rating = _rating(said, ds.rating_scale, title)
        if rating is None:
            q.skip(item)
            steps.append({"question": title, "answer": None})
            if not live:  # (in a terminal the question and its answer are on screen)
                lines.append(f"{n + 1:>3}. {title}: haven't seen it")
            continue
        q.answer(item, rating)
        now = top()
        steps.append({"question": title, "answer": rating, "top": now})
        said = "     " if live else f"{n + 1:>3}. {title}: {rating:g}  "
        say(f"{said}->  {_list_line(now, first)}")
    out = {"start": (start or model.mean_user()).method, "order": args.order}
    out |= {"before": first, "steps": steps, "recommendations": top()}
    if live:
        lines.append(_list_line(out["recommendations"]).replace("top:", "your list now:"))
    return out, "\n".join(lines)


def representative_line(model, ds) -> str:
    from .starts import representative_user

    rep = representative_user(model, ds)
    fav = ", ".join(rep.favourites["title"].head(3))
    return f"representative: {rep.name} ({rep.n_ratings} ratings; loves {fav})"


def _rating(said: str, scale: tuple[float, float], title: str) -> float | None:
    if said.strip().lower() in SKIP_WORDS:
        return None
    lo, hi = scale
    try:
        r = float(said)
    except ValueError:
        raise ConfigError(
            f"The answer for {title!r} must be a rating from {lo:g} to {hi:g} or 'skip', "
            f"not {said!r}."
        ) from None
    if not lo <= r <= hi:
        raise ConfigError(f"The answer {said!r} for {title!r} is outside {lo:g} to {hi:g}.")
    return r


def _list_line(titles: list[str], before: list[str] | None = None) -> str:
    if before is None:
        return "top: " + "; ".join(titles[:5])
    new = [t for t in titles if t not in before]
    return f"{len(new)} new in the top {len(titles)}" + (f" (first: {new[0]})" if new else "")
