"""Enthusiasts: how much the most active users shape the model, and what changes without them."""

import pandas as pd
import streamlit as st

from collab_core.enthusiasts import MIN_RATINGS, TOP_N, most_active
from ui import context
from ui import enthusiasts as enth

st.title("The enthusiasts")
page = context.model_page()
ds = page.dataset

st.markdown(
    "The lesson warns that a few very enthusiastic users can end up setting the recommendations "
    "for everyone. Here is how much the most active users weigh: their share of the **ratings**, "
    "and of the **weight** their ratings have in fitting the movies (with the users fixed, "
    "fitting a movie is a ridge regression on its raters' embeddings, and a rating's leverage "
    "says how far it alone moves the movie; a rater with strong tastes counts for more)."
)
table = enth.shares(page)
overall = table.iloc[0]
c = st.columns(4)
for col, share in zip((c[0], c[2]), (0.01, 0.10), strict=True):
    tag = f"top{round(share * 100)}"
    n = len(most_active(ds, share))
    col.metric(f"Top {share:.0%} ({n:,} users): ratings", f"{overall[f'ratings_{tag}']:.1%}")
c[1].metric("... their weight", f"{overall['weight_top1']:.1%}")
c[3].metric("... their weight", f"{overall['weight_top10']:.1%}")
st.caption(
    "A fair share would be 1% and 10%. By genre (the most active users overall, their share "
    "of each genre's ratings):"
)
shares = [c for c in table.columns if c.startswith(("ratings_", "weight_"))]
st.dataframe(
    table.assign(**{c: table[c] * 100 for c in shares}),  # shown in percent
    hide_index=True,
    key="enth_table",
    column_config={
        "scope": "genre",
        "ratings": st.column_config.NumberColumn("ratings", format="%d"),
        **{
            c: st.column_config.NumberColumn(
                f"top {c.split('top')[1]}%: {c.split('_')[0]}",
                format="%.1f%%",
            )
            for c in shares
        },
    },
)

st.subheader("Without them")
share = st.radio(
    "Leave out the most active",
    [0.01, 0.10],
    format_func="{:.0%}".format,
    horizontal=True,
    key="enth_share",
)
result = enth.retrain(page, share)
if result is None:
    st.caption(
        "Trains the model twice with its own settings: on everyone (a control, so that "
        "training noise is not counted) and without these users (seconds on MovieLens 100k)."
    )
    st.stop()
c = st.columns(3)
c[0].metric("Ratings left out", f"{result.n_ratings:,}", help=f"{result.n_removed} users")
c[1].metric(
    f"Top {TOP_N} by bias: changed",
    result.bias_top_changed,
    help=f"Of the {TOP_N} movies with the highest bias ({MIN_RATINGS}+ ratings), how many left "
    f"it. Half the movies moved {result.median_move:.0f} places or more in that ranking.",
)
c[2].metric(f"New user's top {TOP_N}: changed", result.new_user_changed)
st.caption(
    f"Against the control, half the movies with {MIN_RATINGS}+ ratings moved "
    f"{result.median_move:.0f} places or more in the bias ranking. A default new user's "
    f"top {TOP_N}, with them and without them:"
)
both = {"with them": result.before, "without them": result.after}
st.dataframe(
    pd.DataFrame(both, index=range(1, len(result.before) + 1)),
    key="enth_lists",
    column_config={"_index": st.column_config.NumberColumn("#")},
)
