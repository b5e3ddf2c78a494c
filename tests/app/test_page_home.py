"""Home page and the shared sidebar."""

from apptest_helpers import no_errors, plotly_figures


def test_home_shows_the_data_set_models_and_sidebar(open_page, default_stored):
    at = open_page("home")
    no_errors(at)
    assert at.title[0].value == "Collab Explorer"
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Ratings"] == "100,000"
    assert metrics["Users"] == "943" and metrics["Movies"] == "1,682"
    hist = plotly_figures(at)[0]
    assert sum(hist["data"][0]["y"]) == 100_000  # one bar per star value, every rating counted
    models = at.dataframe[-1].value
    assert default_stored.model_id in set(models["model_id"])
    # sidebar: data set, active model, device
    assert at.sidebar.selectbox(key="dataset_choice").value == "ml-100k"
    assert at.sidebar.selectbox(key="model_id").value == default_stored.model_id
    assert any(
        c.value.startswith("Device: cpu") or c.value.startswith("Device: cuda")
        for c in at.sidebar.caption
    )


def test_empty_home_fetches_data_and_offers_one_click_training(open_page, tmp_path, monkeypatch):
    monkeypatch.setenv("COLLAB_EXPLORER_HOME", str(tmp_path))  # nothing fetched, nothing trained
    at = open_page("home", model=False)
    no_errors(at)
    assert (tmp_path / "data" / "ml-100k" / "ratings.parquet").exists()
    assert at.button(key="home_train_default").label == "Train the default model"
    assert "No model trained" in " ".join(c.value for c in at.sidebar.caption)


def test_model_pages_without_a_model_offer_training_instead_of_failing(
    open_page, tmp_path, monkeypatch
):
    monkeypatch.setenv("COLLAB_EXPLORER_HOME", str(tmp_path))
    for page in ("bias", "map", "similar", "recommend"):
        at = open_page(page, model=False)
        no_errors(at)
        assert at.button(key="require_model_train").label == "Train the default model"
