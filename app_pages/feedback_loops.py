"""Feedback loops: run the recommender for rounds and watch what it does to the catalogue."""

import pandas as pd
import streamlit as st

from collab_core import loop_plots
from collab_core.loop_metrics import METRICS, conclusion
from ui import context, simulation, state, widgets

st.title("Feedback loops")
page = context.model_page()

st.markdown(
    "A recommender's lists decide what people watch, and what they watch becomes its next "
    "training data. This page simulates that on your model: every user gets **true tastes** (the "
    "model's predictions plus noise), is shown a top-10 list each round, watches a movie from it "
    "(likelier the more they truly like it; now and then one found elsewhere) and rates it; the "
    "ratings join the data and the model retrains. The charts follow what the lists show, round "
    "by round, for two ways of making them."
)
request = simulation.settings_form(page.explorer.genres.names)
if request is not None:
    simulation.run(page, request)
runs = state.simulation(page.key)
if runs is None:
    st.info(
        "Choose the rounds and two policies, then **Run the simulation** (10 rounds of the "
        "three runs take one to two minutes on a 2-core CPU).",
        icon=":material/autorenew:",
    )
    st.stop()

tables = {label: result.rounds for label, result in runs.items()}
first = next(iter(runs.values()))
genre = first.settings.enthusiasts
st.subheader("What happened")
st.markdown(conclusion(tables, genre=genre, n_enthusiasts=first.n_enthusiasts))

st.subheader("Round by round")
st.plotly_chart(loop_plots.metric_grid(tables, genre=genre), key="fb_charts")
with st.expander("What each chart measures", icon=":material/help:"):
    st.markdown(
        "\n".join(
            f"- **{label}**: {what}."
            for metric, (label, what) in METRICS.items()
            if any(metric in t for t in tables.values())
        )
    )

st.subheader("The catalogue shown, first and last round")
label = st.radio("Lists of", list(runs), horizontal=True, key="fb_map_run")
result = runs[label]
with context.user_errors():
    emap = page.embedding_map(method="pca", n_components=2, n_items=int(result.catalogue.sum()))
last = len(result.rounds)
st.plotly_chart(
    loop_plots.shown_map(
        emap.coords,
        result.exposure[0],
        result.exposure[-1],
        labels=("Round 1", f"Round {last}"),
    ),
    key="fb_map",
)
st.caption(
    "Every movie the model knows, placed by its embedding (PCA, as on the Embedding map page); "
    "coloured if some list showed it in that round, brighter the more lists did. Grey: no list "
    "showed it."
)
all_rounds = pd.concat(tables, names=["run"]).reset_index(level=0)
widgets.csv_download(all_rounds, "feedback_loops.csv", key="fb_csv")
