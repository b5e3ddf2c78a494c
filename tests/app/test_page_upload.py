"""Upload page: bad files get an error with the fix; a good one becomes the data set everywhere."""

import functools
import io
import zipfile

from apptest_helpers import no_errors
from conftest import HARNESS
from streamlit.testing.v1 import AppTest

from collab_core import localfiles, synthetic
from ui import uploads


def test_bad_upload_shows_an_error_not_a_traceback(open_page):
    at = open_page("upload", model=False)
    no_errors(at)
    at.file_uploader(key="upload_ratings").upload(
        "ratings.csv", b"user,movie,score\n1,2,abc\n", "text/csv"
    ).run()
    assert not at.exception
    assert "not numbers" in at.error[0].value and "line 2" in at.error[0].value
    at.file_uploader(key="upload_ratings").set_value(("empty.csv", b"", "text/csv")).run()
    assert not at.exception and "empty" in at.error[0].value
    damaged = ("ratings.parquet", b"PAR1 cut short", "application/octet-stream")
    at.file_uploader(key="upload_ratings").set_value(damaged).run()
    assert not at.exception and "not a readable Parquet file" in at.error[0].value


def test_column_mapping_fixes_an_undetected_column(open_page):
    at = open_page("upload", model=False)
    rows = "\n".join(f"{u},{i},{(u * i) % 5 + 1}" for u in range(1, 30) for i in range(1, 20))
    at.file_uploader(key="upload_ratings").upload(
        "odd.csv", f"who,what,how\n{rows}\n".encode(), "text/csv"
    ).run()
    # The error names this page's own controls, not Python
    assert at.error[0].value == (
        "odd.csv has no column the app recognises as its user ids (its columns: who, what, "
        "how). Open **Column mapping** below and set **User column** to the column that holds "
        "the user ids."
    )
    assert at.selectbox(key="upload_map_user_id").label == "User column"
    at.selectbox(key="upload_map_user_id").set_value("who")
    at.selectbox(key="upload_map_item_id").set_value("what")
    at.selectbox(key="upload_map_rating").set_value("how").run()
    no_errors(at)
    assert {m.label: m.value for m in at.metric}["Ratings"] == f"{29 * 19:,}"


def test_good_upload_becomes_the_data_set_of_every_page(open_page, default_stored):
    at = open_page("upload", model=False)
    rows = "\n".join(f"{u},{i},{(u + 2 * i) % 5 + 1}" for u in range(1, 41) for i in range(1, 31))
    items = "\n".join(f"{i},Film {i} (19{50 + i}),Drama|Comedy" for i in range(1, 31))
    at.file_uploader(key="upload_ratings").upload(
        "mine.csv", f"userId,movieId,rating\n{rows}\n".encode(), "text/csv"
    )
    at.file_uploader(key="upload_items").upload(
        "movies.csv", f"movieId,title,genres\n{items}\n".encode(), "text/csv"
    ).run()
    no_errors(at)
    assert {m.label: m.value for m in at.metric}["Ratings"] == "1,200"
    at.button[-1].click().run()  # "Use this data set"
    no_errors(at)
    choice = at.sidebar.selectbox(key="dataset_choice")
    assert choice.value.startswith("upload:") and "mine" in choice.format_func(choice.value)
    assert "No model trained" in " ".join(c.value for c in at.sidebar.caption)
    at.sidebar.selectbox(key="dataset_choice").set_value("ml-100k").run()
    assert at.sidebar.selectbox(key="model_id").value == default_stored.model_id


# ---------------------------------------------------------------------------------------------
# Real catalogues: a GroupLens zip, strict values, files on this machine


@functools.cache
def ml_latest_small_zip(n_ratings: int = 20_000) -> bytes:
    """A download-style ml-latest-small.zip, from generated data in GroupLens' layout."""
    made = synthetic.generate(synthetic.SyntheticConfig(n_ratings=n_ratings, scale="half_stars"))
    ratings = made.ratings.rename(columns={"user_id": "userId", "item_id": "movieId"})
    movies = made.items[["item_id", "title"]].rename(columns={"item_id": "movieId"})
    movies["genres"] = ["|".join(g) or "(no genres listed)" for g in made.items["genres"]]
    files = {
        "ratings.csv": ratings.to_csv(index=False, float_format="%.1f"),
        "movies.csv": movies.to_csv(index=False),
        "links.csv": "movieId,imdbId,tmdbId\n1,0114709,862\n",
        "tags.csv": "userId,movieId,tag,timestamp\n2,60756,funny,1445714994\n",
        "README.txt": "Summary\n=======\nThis dataset (ml-latest-small) describes ...\n",
    }
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("ml-latest-small/", b"")
        for name, text in files.items():
            zf.writestr(f"ml-latest-small/{name}", text)
    return buf.getvalue()


def test_upload_of_a_grouplens_zip_then_train(open_page):
    """As a new user: download ml-latest-small.zip, upload it as it is, use it, train."""
    at = open_page("upload", model=False)
    assert any("server.maxUploadSize" in c.value for c in at.caption)
    at.file_uploader(key="upload_ratings").upload(
        "ml-latest-small.zip", ml_latest_small_zip(), "application/zip"
    ).run()
    no_errors(at)
    assert "ml-latest-small.zip** reads well" in at.success[0].value
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Ratings"] == "20,000" and metrics["Rating scale"] == "0.5 – 5"
    # a GroupLens layout needs no column mapping
    assert [e.label for e in at.expander if e.label == "Column mapping"] == []
    assert at.text_input(key="upload_label").value == "ml-latest-small"
    at.button[-1].click().run()  # "Use this data set"
    no_errors(at)
    choice = at.sidebar.selectbox(key="dataset_choice")
    assert choice.format_func(choice.value) == "Upload: ml-latest-small"

    home = AppTest.from_file(HARNESS, default_timeout=120)
    home.session_state["_test_page"] = "home"
    home.session_state["dataset_choice"] = choice.value
    home.run()
    no_errors(home)
    assert home.subheader[0].value == "The data: ml-latest-small"
    home.button(key="home_train_default").click().run()
    no_errors(home)
    model_id = home.sidebar.selectbox(key="model_id").value
    assert model_id and home.dataframe[-1].value["model_id"].tolist() == [model_id]
    assert home.dataframe[0].value["title"].str.endswith(")").all()  # titles from the zip


def test_rating_scale_field(open_page):
    values = [2 if n % 3 else 4 for n in range(300)]
    values[40] = -3
    rows = "\n".join(f"{n // 10},{n % 10},{v}" for n, v in enumerate(values))
    at = open_page("upload", model=False)
    at.file_uploader(key="upload_ratings").upload(
        "range.csv", f"user,item,rating\n{rows}\n".encode(), "text/csv"
    ).run()
    assert "1 ratings do not look like the others" in at.error[0].value
    assert "Rating scale field" in at.error[0].value
    at.text_input(key="upload_scale").input("-5 to 5").run()
    no_errors(at)
    assert {m.label: m.value for m in at.metric}["Rating scale"] == "-3 – 4"
    at.text_input(key="upload_scale").input("5 1").run()
    assert "lower to a higher value" in at.error[0].value


def test_open_a_file_on_this_machine(open_page, tmp_path, monkeypatch):
    allowed, private = tmp_path / "films", tmp_path / "private"
    allowed.mkdir()
    private.mkdir()
    monkeypatch.setenv(localfiles.ENV_ALLOWED, str(allowed))
    (allowed / "ml-latest-small.zip").write_bytes(ml_latest_small_zip())
    (private / "ratings.csv").write_text("user,item,rating\n1,1,4\n2,1,3\n")
    (allowed / "link.csv").symlink_to(private / "ratings.csv")

    at = open_page("upload", model=False)
    at.radio(key="upload_source").set_value("Open a file on this machine").run()
    assert any(f"`{allowed}`" in c.value for c in at.caption)  # says which folders
    at.text_input(key="upload_path").input(str(private / "ratings.csv")).run()
    assert "outside the folders this app may open" in at.error[0].value
    at.text_input(key="upload_path").input(str(allowed / "link.csv")).run()
    assert "is a link to" in at.error[0].value
    at.text_input(key="upload_path").input(str(allowed / "ml-latest-small.zip")).run()
    no_errors(at)
    assert {m.label: m.value for m in at.metric}["Ratings"] == "20,000"
    at.button[-1].click().run()
    no_errors(at)
    saved = uploads.find_upload(at.sidebar.selectbox(key="dataset_choice").value)
    assert not (saved.folder / "ratings.bin").exists()  # read where it is, not copied


def test_users_file_is_checked_and_kept_with_the_upload(open_page):
    """A bad users file gets its error; a good one shows the details it brings, and stays."""
    at = open_page("upload", model=False)
    rows = "\n".join(f"{u},{i},{(u + i) % 5 + 1}" for u in range(1, 21) for i in range(1, 11))
    at.file_uploader(key="upload_ratings").upload(
        "mine.csv", f"userId,movieId,rating\n{rows}\n".encode(), "text/csv"
    )
    at.file_uploader(key="upload_users").upload(
        "people.csv", b"userId,age\n1,twenty\n", "text/csv"
    ).run()
    assert not at.exception and "age column of the users file people.csv" in at.error[0].value
    people = "\n".join(f"{u},{20 + u},{'MF'[u % 2]},student" for u in range(1, 21))
    at.file_uploader(key="upload_users").set_value(
        ("people.csv", f"userId,age,gender,occupation\n{people}\n".encode(), "text/csv")
    ).run()
    no_errors(at)
    assert any("age, gender, occupation" in c.value for c in at.caption)
    at.button[-1].click().run()  # "Use this data set"
    no_errors(at)
    saved = uploads.find_upload(at.sidebar.selectbox(key="dataset_choice").value)
    ds = uploads.load_upload(saved.folder)
    assert ds.users["age"].tolist() == list(range(21, 41))
