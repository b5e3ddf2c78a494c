"""Train page: a small config trains with its RMSE shown, then returns from the store at once."""

from apptest_helpers import no_errors, plotly_figures, toasts


def _small_settings(at, epochs=2):
    at.number_input(key="train_factors_dot").set_value(8)
    at.number_input(key="train_epochs_dot").set_value(epochs)
    return at


def test_train_creates_a_model_shows_rmse_and_makes_it_active(open_page):
    at = open_page("train")
    no_errors(at)
    _small_settings(at).run()
    at.button(key="train_go").click().run()
    no_errors(at)
    metrics = {m.label: m.value for m in at.metric}
    rmse = float(metrics["Validation RMSE"])
    assert 0.85 < rmse < 1.2  # ML-100k: a 2-epoch, 8-factor model is near the lesson's ~0.9
    last = at.session_state["dataset_scopes"]["ml-100k"]["last_trained"]  # per data set
    new_id = last["model_id"]
    assert not last["cached"]
    assert at.sidebar.selectbox(key="model_id").value == new_id  # now the active model
    # ... and a toast says so, naming it and its RMSE
    assert toasts(at) == [
        f"Active model now: RMSE {rmse:.4f} · Dot product · 8 factors · wd 0.15 "
        "· 2 epochs · Adam, lr 0.03"
    ]
    table = at.dataframe[0].value
    assert table.set_index("model_id").loc[new_id, "optimizer"] == "adam"  # the settings it used
    # the loss curve of the run: one valid and one train point per epoch
    curve = next(f for f in plotly_figures(at) if f["layout"]["title"]["text"] == "Loss per epoch")
    assert [len(t["y"]) for t in curve["data"]] == [2, 2]

    at.button(key="train_go").click().run()  # same settings again: from the store, not retrained
    no_errors(at)
    last = at.session_state["dataset_scopes"]["ml-100k"]["last_trained"]
    assert last == {"model_id": new_id, "cached": True}
    assert any("trained before" in i.value for i in at.info)


def test_lr_finder_plots_and_its_suggestion_can_be_used(open_page):
    at = open_page("train")
    at.button(key="train_lr_find").click().run()
    no_errors(at)
    fig = next(
        f for f in plotly_figures(at) if f["layout"]["title"]["text"] == "Learning-rate finder"
    )
    assert fig["layout"]["xaxis"]["type"] == "log" and len(fig["data"][0]["x"]) > 10
    at.button(key="train_use_lr").click().run()
    suggestion = at.session_state["train_lr_result"].suggestion
    assert at.number_input(key="train_lr_dot").value == float(f"{suggestion:.5g}")
    at.button_group(key="train_model").set_value("nn").run()  # the dot model's finder: not shown
    assert "train_use_lr" not in [b.key for b in at.button]


def test_switching_model_gives_that_models_tuned_learning_rate(open_page):
    from collab_core.config import MODEL_DEFAULTS

    at = open_page("train")
    assert at.number_input(key="train_lr_dot").value == MODEL_DEFAULTS["dot"]["lr"]
    at.button_group(key="train_model").set_value("nn").run()
    no_errors(at)
    assert at.number_input(key="train_lr_nn").value == MODEL_DEFAULTS["nn"]["lr"]


def test_weight_decay_sweep_plots_rmse_per_value(open_page):
    at = _small_settings(open_page("train"), epochs=1).run()
    at.multiselect(key="train_sweep_wd").set_value([0.0, 0.1]).run()
    at.button(key="train_sweep_go").click().run()
    no_errors(at)
    fig = next(f for f in plotly_figures(at) if "against wd" in f["layout"]["title"]["text"])
    assert list(fig["data"][0]["x"]) == [0.0, 0.1]
    assert all(0.8 < y < 1.3 for y in fig["data"][0]["y"])


def test_loss_curves_of_several_models_overlay(open_page):
    at = _small_settings(open_page("train"), epochs=1).run()
    at.button(key="train_go").click().run()  # a second model besides the session's small one
    ids = list(at.dataframe[0].value["model_id"])
    assert len(ids) >= 2
    at.multiselect(key="train_compare_pick").set_value(ids[:2]).run()
    no_errors(at)
    fig = plotly_figures(at)[-1]
    assert len(fig["data"]) == 4  # two models x (valid, train)
