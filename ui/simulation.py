"""The Feedback loops page's settings form and its run: simulations with one progress bar."""

from __future__ import annotations

import dataclasses
import time

import streamlit as st

from collab_core.simulate import POLICIES, UPDATES, SimulationSettings, simulate

from . import state
from .errors import user_errors
from .model_page import ModelPage

NAMES = {
    "predicted": "Predicted rating",
    "calibrated": "Calibrated (the app's default)",
    "epsilon": "ε-random exploration",
    "popular": "Most popular",
}
UPDATE_NAMES = {"warm": "Retrain a little (warm start)", "fold_in": "Refit users only"}
CONTROL = "never retrained (no loop)"
# The enthusiasts' genre at first: on ML-100k a niche one whose rise reads clearly round by round.
GENRE = "Musical"


def settings_form(genres: list[str]) -> dict[str, SimulationSettings] | None:
    """Draw the form; on "Run" return {label: settings} for each run (A, B and A's control)."""
    with st.form("feedback_form", border=False):
        c = st.columns(3)
        rounds = c[0].slider("Rounds (think: months)", 1, 30, 10, key="fb_rounds")
        policies = []
        for side, col, default in (("A", c[1], "predicted"), ("B", c[2], "epsilon")):
            policies.append(
                col.selectbox(
                    f"Policy {side}",
                    list(POLICIES),
                    index=list(POLICIES).index(default),
                    format_func=NAMES.get,
                    key=f"fb_policy_{side}",
                    help="; ".join(f"{NAMES[p]}: {d}" for p, d in POLICIES.items()),
                )
            )
        c = st.columns(3)
        enthusiasts = c[0].toggle(
            "Add genre enthusiasts",
            key="fb_enthusiasts",
            disabled=not genres,  # a data set without genres has no genre to love
            help="Ten extra users who love one genre, rate ten films a month and watch little "
            "else (on MovieLens 100k, 1% of the users giving a tenth of the new ratings).",
        )
        genre = c[1].selectbox(
            "Their genre",
            genres,
            index=genres.index(GENRE) if GENRE in genres else 0 if genres else None,
            key="fb_genre",
            disabled=not genres,
        )
        control = c[2].checkbox(
            "Also run A without the loop",
            value=True,
            key="fb_control",
            help="The control: the same users and choices, but a model that never learns from "
            "what it showed. The gap between the two is what the loop did.",
        )
        with st.expander("More settings", icon=":material/tune:"):
            c = st.columns(4)
            k = c[0].number_input("List length k", 1, 100, 10, key="fb_k")
            picks = c[1].number_input("Picks per user a round", 1, 10, 1, key="fb_picks")
            update = c[2].selectbox(
                "Model update", list(UPDATES), format_func=UPDATE_NAMES.get, key="fb_update"
            )
            seed = c[3].number_input("Seed", 0, 10_000, 0, key="fb_seed")
            c = st.columns(4)
            knobs = {
                side: {
                    "novelty": c[2 * j].slider(
                        f"Novelty ({side})", 0.0, 1.0, 0.0, 0.05, key=f"fb_nov_{side}"
                    ),
                    "taste": c[2 * j + 1].slider(
                        f"Taste ({side})", 0.0, 1.0, 0.0, 0.05, key=f"fb_taste_{side}"
                    ),
                }
                for j, side in enumerate("AB")
            }
            epsilon = st.slider("ε (chance a slot is random)", 0.0, 1.0, 0.1, 0.05, key="fb_eps")
        run = st.form_submit_button(
            "Run the simulation", type="primary", icon=":material/play_arrow:"
        )
    if not run:
        return None
    common = dict(
        rounds=rounds,
        k=int(k),
        picks=int(picks),
        update=update,
        seed=int(seed),
        epsilon=float(epsilon),
        enthusiasts=genre if enthusiasts and genres else None,
    )
    runs = {}
    for side, policy in zip("AB", policies, strict=True):
        runs[_label(side, policy, knobs[side])] = SimulationSettings(
            policy=policy, **common, **knobs[side]
        )
    if control:
        first = next(iter(runs.values()))
        runs[f"A, {CONTROL}"] = dataclasses.replace(first, learn=False)
    return runs


def _label(side: str, policy: str, knobs: dict) -> str:
    extra = [f"{k} {v:g}" for k, v in knobs.items() if v and policy != "popular"]
    return f"{side}: {NAMES[policy].split(' (')[0]}" + (f" ({', '.join(extra)})" if extra else "")


def run(page: ModelPage, runs: dict[str, SimulationSettings]) -> None:
    """Simulate each run on the active model with one progress bar; keep the results."""
    total = sum(s.rounds for s in runs.values())
    bar = st.progress(0.0, "Setting up: every user's true tastes…")
    start, done, results = time.monotonic(), 0, {}
    for label, settings in runs.items():

        def on_round(t: int, rounds: int, record: dict, label=label, base=done) -> None:
            bar.progress(
                (base + t) / total,
                f"{label}: round {t} of {rounds} done · coverage {record['coverage']:.0%}",
            )

        with user_errors():
            results[label] = simulate(
                page.dataset,
                page.stored.model,
                settings,
                config=page.stored.config,
                callback=on_round,
            )
        done += settings.rounds
    rounds = next(iter(runs.values())).rounds
    bar.progress(
        1.0, f"Done: {len(runs)} runs of {rounds} rounds in {time.monotonic() - start:.0f} s"
    )
    state.set_simulation(page.key, results)
