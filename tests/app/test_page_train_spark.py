"""Train page, "Apache Spark": its settings, a bad master or Java named with the fix, a real run."""

from apptest_helpers import no_errors
from conftest import HARNESS
from streamlit.testing.v1 import AppTest


def _spark(at, master: str = "local[2]"):
    at.button_group(key="train_model").set_value("als").run()
    at.text_input(key="train_spark_master").set_value(master)
    at.number_input(key="train_factors_als").set_value(4)
    at.number_input(key="train_epochs_als").set_value(2)
    return at.run()


def test_a_bad_master_url_or_java_is_shown_with_the_fix(open_page, monkeypatch):
    at = _spark(open_page("train"), master="spark:/nowhere")
    assert "train_lr_find" not in [b.key for b in at.button]  # ALS has no learning rate
    at.button(key="train_go").click().run()
    assert "not a Spark master URL" in at.error[0].value
    monkeypatch.setenv("JAVA_HOME", "/nowhere/jdk")
    at.text_input(key="train_spark_master").set_value("local[2]").run()
    at.button(key="train_go").click().run()
    assert "JAVA_HOME is '/nowhere/jdk'" in at.error[0].value
    assert "openjdk-17-jre-headless" in at.error[0].value


def test_spark_trains_and_its_model_becomes_the_active_one(open_page):
    at = _spark(open_page("train", timeout=300))
    at.button(key="train_go").click().run()
    no_errors(at)
    new_id = at.session_state["dataset_scopes"]["ml-100k"]["last_trained"]["model_id"]
    assert at.sidebar.selectbox(key="model_id").value == new_id
    rmse = float({m.label: m.value for m in at.metric}["Validation RMSE"])
    assert 0.85 < rmse < 1.1
    table = at.dataframe[0].value.set_index("model_id")
    assert table.loc[new_id, "model"] == "als" and table.loc[new_id, "device"] == "spark local[2]"
    # Every explore page works on the Spark model (its biases come from the baseline).
    for page in ("bias", "map", "similar", "recommend"):
        other = AppTest.from_file(HARNESS, default_timeout=60)
        other.session_state["_test_page"] = page
        other.session_state["model_id"] = new_id
        no_errors(other.run())
    assert other.dataframe[0].value is not None
