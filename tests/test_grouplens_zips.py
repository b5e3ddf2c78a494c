"""GroupLens zips: every layout opens straight from its zip, with or without the top folder.

The zips are made by the tests from folders in each layout (test_grouplens, test_layout_ml25m).
"""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path

import pandas as pd
import pytest
from test_grouplens import U_USER, _ml1m, _ml100k_folder, _ml_latest
from test_layout_ml25m import _ml25m

from collab_core.cli import main
from collab_core.data import load_dataset, load_ratings_file
from collab_core.errors import DataError


def _ml100k(folder: Path) -> Path:
    _ml100k_folder(folder)
    (folder / "u.user").write_bytes(
        U_USER + b"196|30|M|writer|55105\n186|40|F|other|00000\n22|25|M|writer|40206\n"
    )
    (folder / "u1.base").write_bytes(b"196\t242\t3\t881250949\n")  # the split files GroupLens adds
    (folder / "README").write_text("MovieLens 100k\n")
    return folder


def _ml10m(folder: Path) -> Path:  # ml-10m's folder is called ml-10M100K
    _ml1m(folder)
    (folder / "tags.dat").write_text("1::1193::classic::978300760\n")
    return folder


LAYOUTS = {
    "ml-100k": _ml100k,
    "ml-1m": _ml1m,
    "ml-10M100K": _ml10m,
    "ml-latest-small": _ml_latest,
    "ml-25m": _ml25m,
}


def zip_folder(folder: Path, target: Path, *, top: bool) -> Path:
    """Zip `folder` as GroupLens does (its files under `folder.name/`), or with `top=False`, its
    files at the top of the zip, as re-zipping the extracted files gives."""
    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as zf:
        if top:
            zf.writestr(f"{folder.name}/", b"")  # GroupLens' zips list the folder itself
        for f in sorted(folder.iterdir()):
            zf.write(f, f"{folder.name}/{f.name}" if top else f.name)
    return target


@pytest.mark.parametrize("top", [True, False], ids=["top-folder", "no-top-folder"])
@pytest.mark.parametrize("layout", list(LAYOUTS))
def test_each_layout_opens_from_its_zip(tmp_path, layout, top):
    folder = LAYOUTS[layout](tmp_path / layout)
    by_folder = load_dataset(folder)
    path = zip_folder(folder, tmp_path / f"{layout}.zip", top=top)
    by_zip = load_dataset(path)
    uploaded = load_ratings_file(io.BytesIO(path.read_bytes()), ratings_name=f"{layout}.zip")
    for ds in (by_zip, uploaded):
        assert ds.fingerprint == by_folder.fingerprint
        pd.testing.assert_frame_equal(ds.items, by_folder.items)
        assert ds.name == layout  # the folder in the zip, else the zip's own name
        assert any(len(g) for g in ds.items["genres"])  # the movies file came with it
    assert by_zip.source == str(path) and uploaded.source == f"{layout}.zip"
    if layout == "ml-100k":  # ratings, movies and users together
        for ds in (by_folder, by_zip, uploaded):
            assert ds.users is not None and ds.users["user_id"].tolist() == [1, 2, 196, 186, 22]
            assert ds.summary()["user_details"] == ["age", "gender", "occupation", "zip_code"]
            assert ds.users.set_index("user_id").loc[186, "zip_code"] == "00000"
    else:
        assert by_zip.users is None


def test_zip_with_the_ratings_file_alone_opens_without_titles(tmp_path):
    folder = _ml_latest(tmp_path / "ml-latest-small")
    (folder / "movies.csv").unlink()
    ds = load_dataset(zip_folder(folder, tmp_path / "r.zip", top=True))
    assert ds.items["title"].tolist() == ["Item 1", "Item 3"]


def test_zip_beside_a_movies_file_keeps_its_own(tmp_path):
    folder = _ml_latest(tmp_path / "ml-latest-small")
    path = zip_folder(folder, tmp_path / "ml-latest-small.zip", top=True)
    (tmp_path / "movies.csv").write_text("movieId,title\n900,Unrelated (2000)\n")
    assert load_dataset(path).items.set_index("item_id").loc[1, "title"] == "Toy Story (1995)"


def test_zip_holding_two_data_sets_is_refused_naming_them(tmp_path):
    one, two = _ml1m(tmp_path / "ml-1m"), _ml_latest(tmp_path / "ml-latest-small")
    path = tmp_path / "both.zip"
    with zipfile.ZipFile(path, "w") as zf:
        for folder in (one, two):
            for f in folder.iterdir():
                zf.write(f, f"{folder.name}/{f.name}")
    with pytest.raises(
        DataError, match=r"both.zip holds several data sets \(ml-1m, ml-latest-small\)"
    ):
        load_dataset(path)


def test_cli_opens_a_grouplens_zip(tmp_path, capsys):
    path = zip_folder(_ml25m(tmp_path / "ml-25m"), tmp_path / "ml-25m.zip", top=True)
    assert main(["data", "--data", str(path), "--json"]) == 0
    s = json.loads(capsys.readouterr().out)
    assert (s["name"], s["ratings"], s["items"], s["rating_min"]) == ("ml-25m", 10, 8, 0.5)
