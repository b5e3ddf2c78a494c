"""Upload page: bad files get an error with the fix; a good one becomes the data set everywhere."""

from apptest_helpers import no_errors


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
