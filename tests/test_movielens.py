"""MovieLens 100k: the real data set, its Parquet cache, and both fetch paths on generated archives."""

from __future__ import annotations

import hashlib
import http.server
import io
import shutil
import socket
import threading
import zipfile
from pathlib import Path

import pandas as pd
import pytest
from test_grouplens import RB_FILES, RB_INTER, grouplens_zip

from collab_core import movielens, paths
from collab_core.data import load_dataset
from collab_core.errors import DataError

# ---------------------------------------------------------------------------------------------
# The real data set (session fixture)


def test_ml100k_has_the_published_shape(ml100k):
    assert (len(ml100k.ratings), ml100k.n_users, ml100k.n_items) == (100_000, 943, 1682)
    assert ml100k.rating_scale == (1.0, 5.0)
    assert list(ml100k.ratings.columns) == ["user_id", "item_id", "rating", "timestamp"]
    assert str(ml100k.ratings["rating"].dtype) == "float32"
    assert str(ml100k.ratings["timestamp"].dtype) == "int64"
    assert ml100k.ratings["timestamp"].min() > 8e8  # real 1997-98 Unix times, not zeros
    assert "GroupLens" in ml100k.source or "RecBole" in ml100k.source


def test_ml100k_titles_and_genres_read_like_movielens(ml100k):
    toy = ml100k.items.iloc[ml100k.item_index([1])[0]]
    assert toy["title"] == "Toy Story (1995)"
    assert toy["year"] == 1995
    assert sorted(toy["genres"]) == ["Animation", "Children's", "Comedy"]
    assert toy["n_ratings"] == 452
    assert all(isinstance(g, list) for g in ml100k.items["genres"])
    assert ml100k.items["n_ratings"].sum() == 100_000


def test_later_loads_come_from_the_parquet_cache(ml100k, monkeypatch):
    folder = Path(paths.data_dir()) / "ml-100k"
    assert folder == movielens.cache_dir()
    for name in movielens.CACHE_FILES:
        assert (folder / name).is_file(), name

    def no_fetch(*args, **kwargs):
        raise AssertionError("the cache should have been used")

    monkeypatch.setattr(movielens, "fetch_movielens_100k", no_fetch)
    again = load_dataset()
    assert again.fingerprint == ml100k.fingerprint
    assert again.items["title"].tolist() == ml100k.items["title"].tolist()


# ---------------------------------------------------------------------------------------------
# A damaged cache is detected and rebuilt


@pytest.fixture
def private_cache(ml100k, tmp_path, monkeypatch):
    """A copy of the good cache in a private home, and a fake fetch that restores it (counted)."""
    good = movielens.cache_dir()
    monkeypatch.setenv(paths.ENV_HOME, str(tmp_path / "home"))
    folder = movielens.cache_dir()
    shutil.copytree(good, folder, dirs_exist_ok=True)
    calls = []

    def fake_fetch(target, progress=None, **kwargs):
        calls.append(target)
        shutil.copytree(good, target, dirs_exist_ok=True)
        return "restored"

    monkeypatch.setattr(movielens, "fetch_movielens_100k", fake_fetch)
    return folder, calls


@pytest.mark.parametrize(
    "damage",
    [
        lambda f: (f / "ratings.parquet").write_bytes(b"PAR1 this is not parquet PAR1"),
        lambda f: (f / "items.parquet").write_bytes((f / "items.parquet").read_bytes()[:100]),
        lambda f: (f / "meta.json").write_text("{not json"),
        # readable but incomplete: half the ratings
        lambda f: (
            pd.read_parquet(f / "ratings.parquet")
            .head(50_000)
            .to_parquet(f / "ratings.parquet", index=False)
        ),
    ],
    ids=["garbage", "truncated", "bad-meta", "half-the-rows"],
)
def test_damaged_cache_is_rebuilt(private_cache, ml100k, damage):
    folder, calls = private_cache
    damage(folder)
    ds = load_dataset()
    assert calls == [folder]
    assert ds.fingerprint == ml100k.fingerprint
    assert len(ds.ratings) == 100_000


def test_damaged_cache_without_download_says_so(private_cache):
    folder, calls = private_cache
    (folder / "ratings.parquet").write_bytes(b"garbage")
    with pytest.raises(DataError, match="cache .* is damaged"):
        movielens.load_frames(allow_download=False)
    assert calls == []
    assert not (folder / "ratings.parquet").exists()  # removed, so the next load refetches


def test_missing_cache_without_download_is_a_data_error(tmp_path, monkeypatch):
    monkeypatch.setenv(paths.ENV_HOME, str(tmp_path))
    with pytest.raises(DataError, match="not in the cache"):
        movielens.load_frames(allow_download=False)


# ---------------------------------------------------------------------------------------------
# The GroupLens download path, served from a local HTTP server


@pytest.fixture
def serve():
    """serve(blob) -> URL of `blob` on a local http.server (127.0.0.1, random port)."""
    servers = []

    def start(blob: bytes) -> str:
        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):
                self.send_response(200)
                self.send_header("Content-Length", str(len(blob)))
                self.end_headers()
                self.wfile.write(blob)

            def log_message(self, *args):
                pass

        server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True).start()
        servers.append(server)
        return f"http://127.0.0.1:{server.server_port}/ml-100k.zip"

    yield start
    for server in servers:
        server.shutdown()
        server.server_close()


def test_grouplens_zip_is_downloaded_checked_and_cached(serve, tmp_path):
    blob = grouplens_zip()
    url = serve(blob)
    seen = []
    source = movielens.fetch_movielens_100k(
        tmp_path,
        lambda f, m: seen.append(f),
        url=url,
        md5=hashlib.md5(blob).hexdigest(),
        fallback=False,
    )
    assert "GroupLens" in source and url in source
    assert seen[-1] == 1.0
    ratings = pd.read_parquet(tmp_path / "ratings.parquet")
    assert ratings.to_dict("list") == {
        "user_id": [1, 1, 2, 2],
        "item_id": [1, 2, 1, 3],
        "rating": [5.0, 3.0, 4.0, 1.0],
        "timestamp": [881250949, 881250950, 891717742, 878887116],
    }
    items = pd.read_parquet(tmp_path / "items.parquet")
    assert items["title"].tolist()[2] == "Misérables, Les (1995)"  # Latin-1 decoded
    assert list(items["genres"][0]) == ["Animation", "Children's", "Comedy"]
    assert items["year"].tolist() == [1995, 1995, 1995]
    users = pd.read_parquet(tmp_path / "users.parquet")
    assert users["zip_code"].tolist() == ["85711", "94043"]


def test_first_run_progress_says_what_happens_in_plain_words(serve, tmp_path, monkeypatch):
    """What a new user reads while the data arrives: what, how big, from where; no commands."""
    blob = grouplens_zip()
    url = serve(blob)
    said = []
    movielens.fetch_movielens_100k(
        tmp_path, lambda f, m: said.append(m), url=url, md5=hashlib.md5(blob).hexdigest()
    )
    assert said[0] == "Downloading MovieLens 100k (about 5 MB) from GroupLens (127.0.0.1:" + (
        url.split(":")[2].split("/")[0] + ")…"
    )
    assert "Converting MovieLens 100k for quick loading (first run only)…" in said
    assert said[-1] == f"Ready: MovieLens 100k (GroupLens, {url})."

    # GroupLens out of reach: the copy on PyPI, said as such (not "pip download ...").
    sha = {n: hashlib.sha256(b).hexdigest() for n, b in RB_FILES.items()}
    wheel = _wheel(RB_FILES)

    def fake_pip(progress=None, **kwargs):  # its own words are the next test's
        return movielens.extract_recbole_files(wheel, sha)

    monkeypatch.setattr(movielens, "fetch_recbole_files", fake_pip)
    said.clear()
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    source = movielens.fetch_movielens_100k(
        tmp_path / "b", lambda f, m: said.append(m), url=f"http://127.0.0.1:{port}/x.zip"
    )
    assert said[1] == (
        "Could not download it from GroupLens; downloading MovieLens 100k (about 2 MB) from a "
        "copy on PyPI instead, inside the RecBole 1.2.1 package…"
    )
    assert source == "MovieLens 100k (the copy in the RecBole 1.2.1 package on PyPI)"
    assert not any("pip" in m or "wheel" in m for m in said), said


def test_the_pypi_download_names_the_package_not_the_command(monkeypatch):
    said = []

    class Done:
        returncode, stderr = 1, "no network"

    monkeypatch.setattr(movielens.subprocess, "run", lambda *a, **k: Done())
    with pytest.raises(DataError):
        movielens.fetch_recbole_files(lambda f, m: said.append(m))
    assert said == [
        "Downloading MovieLens 100k (about 2 MB) from PyPI, inside the RecBole 1.2.1 package…"
    ]


def test_download_with_wrong_md5_is_rejected(serve, tmp_path):
    url = serve(grouplens_zip())
    with pytest.raises(DataError, match="damaged .*md5"):
        movielens.download(url, "0" * 32)
    with pytest.raises(DataError, match="md5"):
        movielens.fetch_movielens_100k(tmp_path, url=url, md5="0" * 32, fallback=False)
    assert not (tmp_path / "ratings.parquet").exists()


def test_unreachable_url_fails_fast_with_a_data_error():
    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    with pytest.raises(DataError, match="Download of .* failed"):
        movielens.download(f"http://127.0.0.1:{port}/ml-100k.zip", None, timeout=1)


def test_both_sources_failing_names_both(monkeypatch, tmp_path):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]

    def no_wheel(*args, **kwargs):
        raise DataError("pip download recbole==1.2.1 failed: no network")

    monkeypatch.setattr(movielens, "fetch_recbole_files", no_wheel)
    with pytest.raises(DataError) as err:
        movielens.fetch_movielens_100k(tmp_path, url=f"http://127.0.0.1:{port}/x.zip")
    msg = str(err.value)
    assert "Could not fetch MovieLens 100k" in msg
    assert "Download of" in msg and "pip download" in msg
    assert "load your own ratings file" in msg


# ---------------------------------------------------------------------------------------------
# The RecBole wheel path, on a generated wheel-shaped zip


def _wheel(files: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("recbole/__init__.py", "")
        for name, blob in files.items():
            zf.writestr(movielens.RECBOLE_DIR + name, blob)
    return buf.getvalue()


def test_recbole_wheel_files_are_extracted_and_checked():
    sha = {n: hashlib.sha256(b).hexdigest() for n, b in RB_FILES.items()}
    files = movielens.extract_recbole_files(_wheel(RB_FILES), sha)
    assert files == RB_FILES  # converted by grouplens.parse_recbole: see test_grouplens


def test_recbole_wheel_with_wrong_sha256_is_rejected():
    sha = {n: hashlib.sha256(b).hexdigest() for n, b in RB_FILES.items()}
    sha["ml-100k.item"] = "0" * 64
    with pytest.raises(DataError, match="ml-100k.item .*sha256"):
        movielens.extract_recbole_files(_wheel(RB_FILES), sha)


def test_recbole_wheel_without_the_files_is_rejected():
    sha = {n: hashlib.sha256(b).hexdigest() for n, b in RB_FILES.items()}
    with pytest.raises(DataError, match="does not hold the ML-100k files"):
        movielens.extract_recbole_files(_wheel({"ml-100k.inter": RB_INTER}), sha)
