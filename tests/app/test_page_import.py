"""Upload page, "factors trained elsewhere": a Spark ALSModel folder and Projector files."""

from als_files import write_als
from apptest_helpers import no_errors
from conftest import HARNESS
from streamlit.testing.v1 import AppTest


def test_a_spark_als_folder_becomes_the_active_model(open_page, ml100k, tmp_path, monkeypatch):
    monkeypatch.setenv("COLLAB_EXPLORER_ALLOWED_DIRS", str(tmp_path))
    folder = write_als(tmp_path / "als", ml100k.user_ids.to_numpy(), ml100k.item_ids.to_numpy(), 5)
    at = open_page("upload", model=False)
    at.radio(key="import_kind").set_value("Spark ALSModel folder (on this machine)")
    at.text_input(key="import_als_path").set_value(str(tmp_path / "nowhere")).run()
    at.button(key="import_go").click().run()
    assert "does not exist" in at.error[0].value
    at.text_input(key="import_als_path").set_value(str(folder)).run()
    at.button(key="import_go").click().run()
    no_errors(at)
    assert "5 factors for 1,682 of 1,682 movies" in at.success[0].value
    model_id = at.success[0].value.split("`")[1]
    bias = AppTest.from_file(HARNESS, default_timeout=60)
    bias.session_state["_test_page"] = "bias"
    bias.session_state["model_id"] = model_id
    bias.run()
    no_errors(bias)
    assert any("no biases" in i.value for i in bias.info)


def test_projector_files_that_disagree_are_refused(open_page):
    at = open_page("upload", model=False)
    at.radio(key="import_kind").set_value("TensorFlow Projector files").run()
    at.button(key="import_go").click().run()
    assert "Choose both files" in at.error[0].value
    at.file_uploader(key="import_vectors").upload(
        "vectors.tsv", b"0.1\t0.2\n0.3\t0.4\n", "text/tab-separated-values"
    )
    at.file_uploader(key="import_metadata").upload(
        "metadata.tsv", b"Star Wars (1977)\n", "text/tab-separated-values"
    )
    at.run()
    at.button(key="import_go").click().run()
    assert "has 2 vectors but metadata.tsv describes 1 rows" in at.error[0].value
