"""Per-data-set preferences: kept per data set, written atomically, a damaged file never trusted."""

import json
import threading

import numpy as np
import pytest

from collab_core.errors import StoreError
from collab_core.prefs import Prefs, PrefsWarning


@pytest.fixture
def prefs(tmp_path):
    return Prefs(tmp_path / "prefs")


def test_nothing_saved_reads_as_nothing(prefs):
    assert prefs.read("ml-100k") == {}


def test_fields_are_kept_per_data_set_and_survive_a_new_instance(prefs):
    prefs.update("ml-100k", active_model="aaa111", ratings=[[50, 5.0], [181, 4]])
    prefs.update("upload:0123abcd", active_model="bbb222")
    again = Prefs(prefs.root)  # as after a restart
    assert again.read("ml-100k") == {"active_model": "aaa111", "ratings": [[50, 5.0], [181, 4.0]]}
    assert again.read("upload:0123abcd") == {"active_model": "bbb222"}
    assert sorted(p.name for p in prefs.root.glob("*.json")) == [
        "ml-100k.json",
        "upload%3A0123abcd.json",
    ]


def test_update_changes_only_the_fields_given_and_none_removes_one(prefs):
    prefs.update("ml-100k", active_model="aaa111", last_trained={"model_id": "aaa111"})
    assert prefs.update("ml-100k", active_model="ccc333")["last_trained"] == {"model_id": "aaa111"}
    assert prefs.update("ml-100k", last_trained=None) == {"active_model": "ccc333"}


def test_numpy_item_ids_and_ratings_are_saved_as_plain_numbers(prefs):
    prefs.update("ml-100k", ratings=[(np.int64(7), np.float32(3.5)), ("tt01", np.float64(2))])
    assert prefs.read("ml-100k")["ratings"] == [[7, 3.5], ["tt01", 2.0]]
    assert json.loads(prefs.path("ml-100k").read_text())["version"] == 1


def test_a_corrupt_file_is_set_aside_with_a_warning_and_the_data_set_starts_afresh(prefs):
    prefs.update("ml-100k", active_model="aaa111")
    path = prefs.path("ml-100k")
    path.write_text('{"active_model": "aaa1')  # cut off mid-write by a crash elsewhere
    with pytest.warns(PrefsWarning, match="damaged.*starts afresh.*ml-100k.json.corrupt"):
        assert prefs.read("ml-100k") == {}
    assert not path.exists() and path.with_name("ml-100k.json.corrupt").exists()
    assert prefs.update("ml-100k", active_model="bbb222") == {"active_model": "bbb222"}
    assert prefs.read("ml-100k") == {"active_model": "bbb222"}


def test_a_file_that_is_not_an_object_is_corrupt_too(prefs):
    prefs.root.mkdir(parents=True)
    prefs.path("ml-100k").write_text("[1, 2, 3]")
    with pytest.warns(PrefsWarning, match="not a JSON object"):
        assert prefs.read("ml-100k") == {}


def test_a_field_of_the_wrong_type_is_dropped_and_the_others_kept(prefs):
    prefs.root.mkdir(parents=True)
    prefs.path("ml-100k").write_text(
        json.dumps(
            {
                "version": 1,
                "active_model": 42,
                "train_form": {"train_wd_dot": 0.1},
                "ratings": [[50, 5], [181, "four"], [7], [True, 3], [9, float("nan")]],
                "something_else": 1,
            }
        )
    )
    with pytest.warns(PrefsWarning) as caught:
        saved = prefs.read("ml-100k")
    assert saved == {"train_form": {"train_wd_dot": 0.1}, "ratings": [[50, 5.0]]}
    said = " ".join(str(w.message) for w in caught)
    assert "active model" in said and "ratings" in said


def test_an_unknown_field_is_a_clear_error(prefs):
    with pytest.raises(StoreError, match=r"Unknown preferences \['colour'\]"):
        prefs.update("ml-100k", colour="blue")


def test_an_unwritable_home_is_a_clear_error(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    with pytest.raises(StoreError, match="Could not save the choices.*COLLAB_EXPLORER_HOME"):
        Prefs(blocker / "prefs").update("ml-100k", active_model="aaa111")


def test_a_failed_write_leaves_the_old_file_whole(prefs, monkeypatch):
    from collab_core import paths

    prefs.update("ml-100k", active_model="aaa111")

    def crash(path, data):
        path.with_name(path.name + ".partial").write_bytes(data[:5])
        raise OSError("disk full")

    monkeypatch.setattr(paths, "atomic_write", crash)
    with pytest.raises(StoreError, match="disk full"):
        prefs.update("ml-100k", active_model="bbb222")
    monkeypatch.undo()
    assert prefs.read("ml-100k") == {"active_model": "aaa111"}


def test_concurrent_updates_of_different_fields_all_land(prefs):
    def write(i):
        field = "active_model" if i % 2 else "last_trained"
        value = f"m{i}" if i % 2 else {"model_id": f"m{i}"}
        prefs.update("ml-100k", **{field: value})

    threads = [threading.Thread(target=write, args=(i,)) for i in range(20)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    saved = prefs.read("ml-100k")
    assert set(saved) == {"active_model", "last_trained"}  # no write lost the other field
