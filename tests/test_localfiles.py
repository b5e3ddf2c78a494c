"""Paths on this machine: only under the allowed folders, links followed; the rest refused with a reason."""

from __future__ import annotations

import os
import socket
from pathlib import Path

import pytest
from test_data import CSV, ITEMS, write_file

from collab_core import localfiles, paths
from collab_core.data import load_dataset, load_ratings_file
from collab_core.errors import DataError
from collab_core.localfiles import allowed_folders, check_path


@pytest.fixture
def allowed(tmp_path, monkeypatch) -> Path:
    """An allowed folder (the only one) and, beside it, a folder that is not allowed."""
    inside = tmp_path / "allowed"
    (tmp_path / "private").mkdir()
    inside.mkdir()
    monkeypatch.setenv(localfiles.ENV_ALLOWED, str(inside))
    return inside


def test_default_folders_are_home_and_the_data_folder(monkeypatch):
    monkeypatch.delenv(localfiles.ENV_ALLOWED, raising=False)
    assert allowed_folders() == [Path.home().resolve(), paths.data_dir().resolve()]
    monkeypatch.setenv(localfiles.ENV_ALLOWED, os.pathsep.join(["/srv/data", "~/films"]))
    assert allowed_folders() == [Path("/srv/data"), (Path.home() / "films").resolve()]


def test_files_and_folders_inside_open(allowed):
    ratings = write_file(allowed / "ratings.csv", CSV)
    assert check_path(str(ratings)) == ratings
    assert check_path(f"  {allowed}  ") == allowed
    inner = allowed / "sub" / "deeper"
    inner.mkdir(parents=True)
    link = allowed / "shortcut.csv"
    link.symlink_to(ratings)  # a link that stays inside is fine
    assert load_dataset(check_path(link)).fingerprint == load_dataset(ratings).fingerprint


def test_path_outside_is_refused(allowed):
    outside = write_file(allowed.parent / "private" / "ratings.csv", CSV)
    with pytest.raises(DataError) as err:
        check_path(outside)
    msg = str(err.value)
    assert f"{outside} is outside the folders this app may open ({allowed})" in msg
    assert localfiles.ENV_ALLOWED in msg
    with pytest.raises(DataError, match="outside the folders"):
        check_path(f"{allowed}/../private/ratings.csv")  # no way out through '..'


def test_symlink_pointing_outside_is_refused(allowed):
    outside = write_file(allowed.parent / "private" / "ratings.csv", CSV)
    (allowed / "ratings.csv").symlink_to(outside)
    with pytest.raises(DataError) as err:
        check_path(allowed / "ratings.csv")
    assert f"is a link to {outside}, which is outside the folders" in str(err.value)
    (allowed / "secrets").symlink_to(outside.parent, target_is_directory=True)
    with pytest.raises(DataError, match="which is outside the folders"):
        check_path(allowed / "secrets" / "ratings.csv")  # a link on the way counts too


def test_folder_whose_files_link_outside_is_refused(allowed):
    """A GroupLens folder inside, its movies.csv a link to a file outside: what a load reads counts."""
    folder = allowed / "ml-latest-small"
    folder.mkdir()
    write_file(folder / "ratings.csv", CSV)
    outside = write_file(allowed.parent / "private" / "movies.csv", ITEMS)
    (folder / "movies.csv").symlink_to(outside)
    for path in (folder, folder / "ratings.csv"):
        with pytest.raises(DataError, match=r"movies.csv is a link to .*outside the folders"):
            check_path(path)


def test_missing_dangling_and_unreadable_paths(allowed):
    with pytest.raises(DataError, match="nope.csv does not exist"):
        check_path(allowed / "nope.csv")
    (allowed / "dangling.csv").symlink_to(allowed / "gone.csv")
    with pytest.raises(DataError, match="dangling.csv is a link to something that does not exist"):
        check_path(allowed / "dangling.csv")
    with pytest.raises(DataError, match="Give the path"):
        check_path("   ")


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads files whatever their permissions")
def test_file_without_read_permission_is_refused(allowed):
    locked = write_file(allowed / "locked.csv", CSV)
    locked.chmod(0)
    try:
        with pytest.raises(DataError, match="locked.csv cannot be read .permission denied"):
            check_path(locked)
    finally:
        locked.chmod(0o644)


def test_unreadable_paths_are_data_errors(allowed):
    """What no one can read as a file, root included: a pipe, a socket, a folder given as a file."""
    os.mkfifo(allowed / "pipe.csv")  # opening it would block the app until someone writes
    with pytest.raises(DataError, match="pipe.csv is not a file or a folder"):
        check_path(allowed / "pipe.csv")
    sock_path = allowed / "ratings.csv"
    with socket.socket(socket.AF_UNIX) as sock:
        sock.bind(str(sock_path))
        with pytest.raises(DataError, match="ratings.csv is not a file or a folder"):
            check_path(sock_path)
        with pytest.raises(DataError, match="ratings.csv cannot be read"):
            load_dataset(sock_path)  # by the command line, which has no allowed folders
    sock_path.unlink()
    (allowed / "ratings.csv").mkdir()
    with pytest.raises(DataError, match="ratings.csv cannot be read .it is a folder, not a file"):
        load_ratings_file(check_path(allowed / "ratings.csv"))


def test_relative_paths_start_at_home(monkeypatch, tmp_path):
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.setenv(localfiles.ENV_ALLOWED, str(tmp_path))
    write_file(tmp_path / "r.csv", CSV)
    assert check_path("r.csv") == tmp_path / "r.csv"
    assert check_path("~/r.csv") == tmp_path / "r.csv"
