"""Figure builders: what a reader of each chart would check (points, axes, highlights)."""

import numpy as np
import pandas as pd
import pytest

from collab_core import plots


def test_rating_histogram_counts_each_value():
    fig = plots.rating_histogram(pd.Series([1, 2, 2, 5, 5, 5], dtype="float32"))
    bar = fig.data[0]
    assert list(bar.x) == [1.0, 2.0, 5.0]
    assert list(bar.y) == [1, 2, 3]


def test_rating_histogram_bins_continuous_scores_into_twenty_bars():
    scores = pd.Series(np.arange(1000) / 10)  # 0.0 .. 99.9: 1000 distinct values
    bar = plots.rating_histogram(scores).data[0]
    assert len(bar.x) == len(bar.y) == 20  # 20 counts go to the browser, not 1000 ratings
    assert list(bar.y) == [50] * 20 and bar.x[0] == pytest.approx(2.4975)


def test_loss_curves_one_trace_per_run_and_split():
    hist = [
        {"epoch": e, "train_loss": 1.0 - 0.1 * e, "valid_loss": 1.1 - 0.05 * e} for e in range(3)
    ]
    fig = plots.loss_curves({"adam": hist, "sgd": hist[:2], "empty": []})
    names = [t.name for t in fig.data]
    assert names == ["adam (valid)", "adam (train)", "sgd (valid)", "sgd (train)"]
    assert list(fig.data[0].y) == pytest.approx([1.1, 1.05, 1.0])
    assert list(fig.data[0].x) == [1, 2, 3]  # epochs counted from 1, like the progress text
    assert fig.data[1].line.dash == "dash" and fig.data[0].line.color == fig.data[1].line.color
    only_valid = plots.loss_curves({"adam": hist}, show_train=False)
    assert [t.name for t in only_valid.data] == ["adam"]


def test_lr_finder_is_log_scaled_and_marks_the_suggestion():
    fig = plots.lr_finder([1e-5, 1e-3, 1e-1], [1.2, 0.8, 3.0], suggestion=1e-3)
    assert fig.layout.xaxis.type == "log"
    assert fig.layout.shapes[0].x0 == 1e-3


def test_sweep_orders_by_value_uses_log_axis_for_decades_and_stars_the_best():
    res = pd.DataFrame({"wd": [0.1, 0.001, 0.01], "valid_rmse": [0.95, 0.99, 0.91]})
    fig = plots.sweep(res, "wd")
    assert list(fig.data[0].x) == [0.001, 0.01, 0.1]
    assert fig.layout.xaxis.type == "log"
    assert fig.data[1].x[0] == 0.01 and fig.data[1].y[0] == 0.91
    with_zero = plots.sweep(pd.DataFrame({"wd": [0.0, 0.1], "valid_rmse": [1.0, 0.9]}), "wd")
    assert with_zero.layout.xaxis.type != "log"  # a log axis cannot show wd = 0


def test_bias_bars_put_the_first_row_on_top_and_colour_by_sign():
    t = pd.DataFrame(
        {
            "title": ["best", "middle", "worst"],
            "bias": [0.5, 0.1, -0.3],
            "n_ratings": [10, 20, 30],
            "mean_rating": [4.0, 3.0, 2.0],
        }
    )
    fig = plots.bias_bars(t, "Biases")
    bar = fig.data[0]
    assert list(bar.y) == ["worst", "middle", "best"]  # plotly draws the last category on top
    assert bar.marker.color[0] != bar.marker.color[-1]


def test_selected_rows_reads_customdata_in_order_without_duplicates():
    points = [
        {"customdata": [7, "x"]},
        {"customdata": [2]},
        {"customdata": [7]},
        {"x": 1},
        {"customdata": 5},
    ]
    assert plots.selected_rows(points) == [7, 2, 5]
    assert plots.selected_rows([]) == []


def test_histogram():
    h = plots.histogram([0.1, 0.2, 0.3], "User biases", "bias")
    assert len(h.data[0].x) == 3


def test_genre_mix_one_trace_per_column_first_genre_on_top():
    mix = pd.DataFrame(
        {
            "genre": ["Horror", "Thriller", "Comedy"],
            "yours": [1.0, 0.4, 0.0],
            "list": [0.8, 0.5, 0.1],
            "catalogue": [0.06, 0.1, 0.3],
        }
    )
    fig = plots.genre_mix(mix, top=2)
    assert [t.name for t in fig.data] == ["catalogue", "this list", "movies you liked"]
    liked = fig.data[-1]
    assert list(liked.y) == ["Thriller", "Horror"] and list(liked.x) == [0.4, 1.0]
    assert fig.layout.barmode == "group" and fig.layout.xaxis.tickformat == ".0%"
