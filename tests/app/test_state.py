"""What the app shows is true: state belongs to its data set, its model and its user.

Each test is a user's steps, in one session unless it says "reload" (a new session on what the
home folder holds, as after F5): train, upload, switch data sets, sweep, rate, reload.
"""

import re

import pytest
from apptest_helpers import go, no_errors, sidebar_text, toasts

from collab_core.config import TrainConfig
from collab_core.prefs import Prefs


def _small(at, factors=6, epochs=2):
    """Small settings (not test_page_train's: that test trains its own model afresh)."""
    at.number_input(key="train_factors_dot").set_value(factors)
    at.number_input(key="train_epochs_dot").set_value(epochs).run()
    return at


def _last_trained(at) -> str | None:
    heads = [h.value for h in at.subheader if h.value.startswith("Last trained")]
    return heads[0] if heads else None


def _upload(at, name="mine"):
    """Upload a small ratings file with titles on the Upload page and use it."""
    go(at, "upload")
    rows = "\n".join(f"{u},{i},{(u + 2 * i) % 5 + 1}" for u in range(1, 41) for i in range(1, 31))
    items = "\n".join(f"{i},Film {i} (19{50 + i}),Drama|Comedy" for i in range(1, 31))
    at.file_uploader(key="upload_ratings").upload(
        f"{name}.csv", f"userId,movieId,rating\n{rows}\n".encode(), "text/csv"
    )
    at.file_uploader(key="upload_items").upload(
        "movies.csv", f"movieId,title,genres\n{items}\n".encode(), "text/csv"
    ).run()
    at.button(key="upload_use").click().run()
    no_errors(at)
    return at.sidebar.selectbox(key="dataset_choice").value


def test_last_trained_and_the_train_form_belong_to_their_data_set(open_page):
    at = _small(open_page("train"))
    at.button(key="train_go").click().run()
    no_errors(at)
    ml_model = at.sidebar.selectbox(key="model_id").value
    assert _last_trained(at) == f"Last trained: model `{ml_model}`"

    upload = _upload(at)
    go(at, "train")
    no_errors(at)
    assert _last_trained(at) is None  # nothing trained on this data set yet
    assert at.number_input(key="train_factors_dot").value == 64  # its own form: the defaults
    assert "No model trained on this data set yet." in sidebar_text(at)
    at.button(key="train_go").click().run()
    no_errors(at)
    upload_model = at.sidebar.selectbox(key="model_id").value
    assert upload_model != ml_model
    assert _last_trained(at) == f"Last trained: model `{upload_model}`"

    at.sidebar.selectbox(key="dataset_choice").set_value("ml-100k").run()
    no_errors(at)
    assert _last_trained(at) == f"Last trained: model `{ml_model}`"  # not the upload's
    assert at.sidebar.selectbox(key="model_id").value == ml_model
    assert at.number_input(key="train_factors_dot").value == 6  # the settings used here
    assert upload_model not in set(at.dataframe[0].value["model_id"])

    at.sidebar.selectbox(key="dataset_choice").set_value(upload).run()
    assert _last_trained(at) == f"Last trained: model `{upload_model}`"
    assert at.sidebar.selectbox(key="model_id").value == upload_model


def test_a_sweep_and_a_comparison_leave_the_active_model_alone(open_page, default_stored):
    at = _small(open_page("train"), epochs=1)
    assert at.sidebar.selectbox(key="model_id").value == default_stored.model_id
    at.multiselect(key="train_sweep_wd").set_value([0.01, 0.3]).run()
    at.button(key="train_sweep_go").click().run()
    no_errors(at)
    # Each run's progress bar names it
    bars = [p.proto.text for p in at.get("progress")]
    assert re.fullmatch(
        r"Sweep run 1 of 2 \(wd = 0.01\): done · validation RMSE \d\.\d{4}", bars[-2]
    )
    assert re.fullmatch(
        r"Sweep run 2 of 2 \(wd = 0.3\): done · validation RMSE \d\.\d{4}", bars[-1]
    )
    at.button(key="train_compare_go").click().run()
    no_errors(at)
    named = [p.proto.text for p in at.get("progress")] + [c.value for c in at.caption]
    for k, label in enumerate(["SGD", "SGD + momentum", "Adam", "Adam, no weight decay"], 1):
        assert any(t.startswith(f"Comparison run {k} of 4 ({label}):") for t in named), named

    assert at.sidebar.selectbox(key="model_id").value == default_stored.model_id
    assert not any(t.startswith("Active model") for t in toasts(at))
    assert _last_trained(at) is None  # sweeps are not "the model I trained" either
    again = open_page("bias", reload=True)  # and after a reload
    assert again.sidebar.selectbox(key="model_id").value == default_stored.model_id


def test_the_active_model_and_the_ratings_survive_a_reload(open_page, default_stored, ml100k):
    at = _small(open_page("train"), factors=12)
    at.button(key="train_go").click().run()
    small = at.sidebar.selectbox(key="model_id").value
    assert small != default_stored.model_id
    assert "12 factors" in sidebar_text(at)

    go(at, "recommend")
    picked = {50: 5, 100: 4}  # Star Wars, Fargo (item ids)
    for item_id, stars in picked.items():
        idx = int(ml100k.item_index([item_id])[0])
        at.selectbox(key="rec_pick").set_value(idx).run()
        at.feedback(key=f"rec_new_0_{idx}").set_value(stars - 1).run()
    no_errors(at)
    before = at.dataframe[0].value

    at = open_page("recommend", reload=True)  # F5
    no_errors(at)
    assert at.sidebar.selectbox(key="model_id").value == small
    rated = {int(ml100k.item_index([i])[0]): float(s) for i, s in picked.items()}
    assert at.session_state["rated"]["ml-100k"] == rated
    assert {"Star Wars (1977)", "Fargo (1996)"} <= {m.value for m in at.markdown}
    assert at.dataframe[0].value.equals(before)  # the same list: same model, same ratings
    assert "are kept on this computer" in " ".join(c.value for c in at.caption)

    # Choosing another model in the sidebar is remembered too; forgetting the ratings is final.
    at.sidebar.selectbox(key="model_id").set_value(default_stored.model_id).run()
    at.button(key="rec_clear").click().run()
    at = open_page("recommend", reload=True)
    assert at.sidebar.selectbox(key="model_id").value == default_stored.model_id
    assert at.session_state["rated"]["ml-100k"] == {}
    assert any(c.value.startswith("No ratings yet") for c in at.caption)


def test_ratings_belong_to_their_data_set(open_page, ml100k):
    at = open_page("recommend")
    star_wars = int(ml100k.item_index([50])[0])
    at.selectbox(key="rec_pick").set_value(star_wars).run()
    at.feedback(key=f"rec_new_0_{star_wars}").set_value(4).run()
    upload = _upload(at)
    assert Prefs().read(upload).get("ratings") is None  # the upload starts with none
    assert Prefs().read("ml-100k")["ratings"] == [[50, 5.0]]  # kept by item id


def test_the_sidebar_shows_the_active_model_in_full(open_page, default_stored):
    at = open_page("home")
    no_errors(at)
    rmse = default_stored.metrics["valid_rmse"]
    said = sidebar_text(at)
    assert "**Dot product** · 64 factors · wd 0.15 · 10 epochs · Adam, lr 0.03" in said
    assert f"Validation RMSE {rmse:.4f} · model `{default_stored.model_id}`" in said
    picker = at.sidebar.selectbox(key="model_id")
    assert picker.format_func(picker.value).startswith(f"RMSE {rmse:.4f} · Dot product")


def test_a_deleted_active_model_gives_way_to_the_default_with_a_word(open_page, default_stored):
    Prefs().update("ml-100k", active_model="0123456789ab")  # deleted since (say, from the CLI)
    at = open_page("home", reload=True)
    no_errors(at)
    assert at.sidebar.selectbox(key="model_id").value == default_stored.model_id
    assert any("the one chosen before was deleted" in t for t in toasts(at))
    assert Prefs().read("ml-100k")["active_model"] == default_stored.model_id


@pytest.fixture(scope="module")
def small_nn(ml100k):
    """A small neural model on ML-100k, in the store (seconds)."""
    from collab_core.store import ModelStore

    config = TrainConfig(
        model="nn", epochs=2, nn_emb_sizes=(16, 16), nn_layers=(32,), bs=1024, lr=0.01
    )
    return ModelStore().get_or_train(ml100k, config)


def test_the_bias_page_says_the_neural_models_biases_are_derived(open_page, small_nn):
    at = open_page("home")
    at.sidebar.selectbox(key="model_id").set_value(small_nn.model_id).run()
    assert "**Neural network** · 16 per user, 16 per movie" in sidebar_text(at)
    go(at, "bias")
    no_errors(at)
    assert at.warning[0].value.startswith("These biases are derived, not learned: this neural")
    assert not any("has a learned bias" in m.value for m in at.markdown)
    _one_unit(at, small_nn.model)


def test_biases_and_their_explanations_use_one_unit_stars(open_page, default_stored):
    at = open_page("bias")
    no_errors(at)
    assert not at.warning  # learned biases: nothing to warn about
    assert any("has a learned bias" in m.value for m in at.markdown)
    _one_unit(at, default_stored.model)


def _one_unit(at, model):
    said = " ".join(c.value for c in at.caption)
    typical = float(model.to_rating(model.intercept()))
    assert f"Biases are in stars: what each adds to {typical:.2f} stars" in said
    assert "in logits" in said  # the model's own unit, given once
    table = at.dataframe[0].value
    for bias, why in zip(table["bias"], table["explanation"], strict=True):
        assert why.startswith(f"its bias adds {bias:+.2f} stars")
    assert at.dataframe[0].proto.columns  # the bias column is labelled in stars:
    assert '"bias (stars)"' in at.dataframe[0].proto.columns


def test_the_neural_models_embedding_size_is_said_in_words(open_page, small_nn):
    at = open_page("train")
    at.button_group(key="train_model").set_value("nn").run()
    no_errors(at)
    assert at.number_input(key="train_factors_nn").value == 0
    assert (
        "Embedding size: auto (fastai's rule 1.6 × n^0.56: 74 for 943 users, 102 for 1,682 "
        "movies)" in [c.value for c in at.caption]
    )
    table = at.dataframe[0].value.set_index("model_id")
    assert table.loc[small_nn.model_id, "n_factors"] == "16 / 16"
