"""Home: what this is, the data set at a glance, the trained models, one click to train."""

import streamlit as st

from collab_core.config import TrainConfig
from ui import cached, context, nav, widgets
from ui.training import default_model_button

st.title("Collab Explorer")
st.markdown(
    "**Collaborative filtering** predicts how much someone will like a movie from everyone's "
    "ratings alone. Each user and each movie gets a short vector of learned numbers (its "
    "*embedding*, or *latent factors*) plus a *bias*; a predicted rating is the dot product of the "
    "two vectors plus both biases. Nobody tells the model what the factors mean, yet they end up "
    "encoding taste: action vs. drama, classic vs. blockbuster. This app follows the fast.ai "
    "lesson: **train** a model, look at what it learned (**bias rankings**, the **embedding map**, "
    "**similar movies**), then get **recommendations** for yourself."
)

TOUR = {
    "train": "Train: fit the model, watch the loss fall, see what weight decay does",
    "bias": "Bias rankings: the movies everyone likes (or not), whatever their taste",
    "map": "Embedding map: what the model discovered, drawn in two dimensions",
    "similar": "Similar movies: neighbours in embedding space",
    "recommend": "Recommend: rate a few movies, get suggestions that explain themselves",
    "upload": "Upload: do it all on your own ratings",
}

ds = context.dataset()
s = ds.summary()
st.subheader(f"The data: {s['name']}")
cols = st.columns(5)
cols[0].metric("Ratings", f"{s['ratings']:,}")
cols[1].metric("Users", f"{s['users']:,}")
cols[2].metric("Movies", f"{s['items']:,}")
cols[3].metric("Mean rating", f"{s['rating_mean']:.2f}")
cols[4].metric(
    "Sparsity",
    f"{s['sparsity']:.1%}",
    help="Share of user × movie pairs with no rating: what the model has to fill in.",
)
for note in ds.notes:
    st.caption(f"Note: {note}")
left, right = st.columns([3, 2])
left.plotly_chart(cached.rating_histogram(ds.fingerprint, ds), key="home_hist")
right.markdown("**Most-rated movies**")
right.dataframe(
    widgets.item_columns(ds, ds.items["n_ratings"].nlargest(8).index),
    hide_index=True,
    column_config={
        "genres": None,
        "year": st.column_config.NumberColumn(format="%d"),
        "n_ratings": "ratings",
        "mean_rating": st.column_config.NumberColumn("mean", format="%.2f"),
    },
)

st.subheader("Trained models")
rows = context.models(ds)
if rows:
    st.dataframe(widgets.models_table(rows), hide_index=True)
    active = context.active_model(ds)
    if active is not None:
        label = widgets.model_label({"config": active.config.key(), "metrics": active.metrics})
        st.success(f"Active model: {label}.", icon=":material/check_circle:")
else:
    st.info(
        "No model is trained on this data set yet. The default model (the dot-product model "
        "of the lesson, with the best settings found) trains in seconds to a minute on a CPU.",
        icon=":material/info:",
    )
if cached.store().model_id(ds, TrainConfig()) not in {r["model_id"] for r in rows}:
    default_model_button(ds, key="home_train_default")

st.subheader("A tour, in the lesson's order")
for key, text in TOUR.items():
    st.page_link(nav.page(key), label=text, icon=nav.PAGES[key][2])
