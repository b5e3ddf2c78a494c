"""MovieLens 100k, the embedded default: fetched once (GroupLens, else the RecBole wheel), then cached.

The real source is GroupLens' ml-100k.zip. Where that host cannot be reached, the same data set is
taken from the RecBole 1.2.1 wheel on the Python package index (downloaded with pip, never installed),
checked against known sha256 sums and converted. Either way the result is written to
`$COLLAB_EXPLORER_HOME/data/ml-100k/` as Parquet and later loads read that.
"""

from __future__ import annotations

import hashlib
import http.client
import io
import json
import os
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
import zipfile
from collections.abc import Callable
from pathlib import Path

import pandas as pd

from . import paths
from .errors import DataError
from .grouplens import parse_grouplens_zip, parse_recbole

GROUPLENS_URL = "https://files.grouplens.org/datasets/movielens/ml-100k.zip"
GROUPLENS_MD5 = "0e33842e24a9c977be4e0107933c0723"
DOWNLOAD_TIMEOUT_S = 5.0

RECBOLE_SPEC = "recbole==1.2.1"
RECBOLE_DIR = "recbole/dataset_example/ml-100k/"
RECBOLE_SHA256 = {
    "ml-100k.inter": "4edb74e2a81178c2ba9ff381495f754f996c4aea351b1272ca36b43da0935eff",
    "ml-100k.item": "51d7cdf777ce5c0f5b32c1d947a4a81fe07d75e78abbe761e0cd4d0756064532",
    "ml-100k.user": "4f670007d9cfbeb9807e757209af1555b9bcc186bde25e767f67cb67c6dd5972",
}
# A long load reports (fraction done, message) through one of these.
Progress = Callable[[float, str], None]
CACHE_FILES = ("ratings.parquet", "items.parquet", "users.parquet", "meta.json")
NAME = "MovieLens 100k"
# What the first run's progress tells the user (measured: ml-100k.zip 4.9 MB, the wheel 2.1 MB).
GROUPLENS_SIZE = "about 5 MB"
RECBOLE_SIZE = "about 2 MB"
# The published shape of ML-100k: a cache that reads but does not have it is damaged.
N_RATINGS, N_USERS, N_ITEMS = 100_000, 943, 1682


def _quiet(fraction: float, message: str) -> None:
    pass


def cache_dir() -> Path:
    return paths.data_dir() / "ml-100k"


def load_frames(
    progress: Progress | None = None, *, allow_download: bool = True
) -> tuple[pd.DataFrame, pd.DataFrame, str]:
    """MovieLens 100k's (ratings, items, source) from the cache, fetched and converted on first use.

    A damaged cache is removed and fetched again (or, with `allow_download=False`, reported).
    """
    progress = progress or _quiet
    folder = cache_dir()
    if not all((folder / f).exists() for f in CACHE_FILES):
        if not allow_download:
            raise DataError(
                "MovieLens 100k is not in the cache yet; run `collab-explorer data` once."
            )
        fetch_movielens_100k(folder, progress)
    try:
        ratings, items, source = read_cache(folder)
    except Exception as exc:  # a damaged cache is rebuilt, never served
        for f in CACHE_FILES:
            (folder / f).unlink(missing_ok=True)
        if not allow_download:
            raise DataError(
                f"The MovieLens 100k cache in {folder} is damaged ({exc}); it was "
                "removed, run `collab-explorer data` to fetch it again."
            ) from None
        fetch_movielens_100k(folder, progress)
        return load_frames(progress, allow_download=False)
    return ratings, items, source


def read_cache(folder: Path) -> tuple[pd.DataFrame, pd.DataFrame, str]:
    """(ratings, items, source) from the Parquet cache; raises if any file is damaged or incomplete."""
    ratings = pd.read_parquet(folder / "ratings.parquet")
    items = pd.read_parquet(folder / "items.parquet")
    meta = json.loads((folder / "meta.json").read_text())
    source = str(meta["source"])
    if list(ratings.columns) != ["user_id", "item_id", "rating", "timestamp"]:
        raise ValueError(f"ratings.parquet has columns {list(ratings.columns)}")
    shape = (len(ratings), ratings["user_id"].nunique(), ratings["item_id"].nunique())
    if shape != (N_RATINGS, N_USERS, N_ITEMS) or len(items) != N_ITEMS:
        raise ValueError(f"ratings/users/items {shape}, expected {(N_RATINGS, N_USERS, N_ITEMS)}")
    items["genres"] = [list(g) for g in items["genres"]]
    return ratings, items, source


def fetch_movielens_100k(
    folder: Path,
    progress: Progress | None = None,
    *,
    url: str = GROUPLENS_URL,
    md5: str | None = GROUPLENS_MD5,
    fallback: bool = True,
) -> str:
    """Download and convert ML-100k into `folder`; returns a description of the source used.

    `fallback=False` skips the RecBole wheel when GroupLens fails (tests of the GroupLens path).
    """
    progress = progress or _quiet
    errors = []
    fetching = f"Downloading {NAME} ({GROUPLENS_SIZE}) from GroupLens ({_host(url)})…"
    progress(0.0, fetching)
    try:
        blob = download(url, md5, progress=lambda f: progress(0.5 * f, fetching))
        progress(0.6, f"Converting {NAME} for quick loading (first run only)…")
        ratings, items, users = parse_grouplens_zip(blob)
        source = f"{NAME} (GroupLens, {url})"
    except DataError as exc:
        errors.append(str(exc))
        if not fallback:
            raise
        progress(
            0.1,
            f"Could not download it from GroupLens; downloading {NAME} ({RECBOLE_SIZE}) from "
            f"a copy on PyPI instead, inside the {_package(RECBOLE_SPEC)} package…",
        )
        try:
            files = fetch_recbole_files(progress=progress)
            progress(0.8, f"Converting {NAME} for quick loading (first run only)…")
            ratings, items, users = parse_recbole(files)
            source = f"{NAME} (the copy in the {_package(RECBOLE_SPEC)} package on PyPI)"
        except DataError as exc2:
            errors.append(str(exc2))
            raise DataError(
                "Could not fetch MovieLens 100k: "
                + " / ".join(errors)
                + " Check the network connection, or load your own ratings file."
            ) from None
    write_cache(folder, ratings, items, users, source)
    progress(1.0, f"Ready: {source}.")
    return source


def download(
    url: str, md5: str | None, *, progress=None, timeout: float = DOWNLOAD_TIMEOUT_S
) -> bytes:
    """GET `url` with a short timeout; check its md5 when given."""
    try:
        with urllib.request.urlopen(url, timeout=timeout) as resp:
            total = int(resp.headers.get("Content-Length") or 0)
            chunks, got = [], 0
            while chunk := resp.read(1 << 16):
                chunks.append(chunk)
                got += len(chunk)
                if progress and total:
                    progress(min(1.0, got / total))
    except (OSError, ValueError, http.client.HTTPException) as exc:
        raise DataError(f"Download of {url} failed ({exc}).") from None
    blob = b"".join(chunks)
    if md5 and hashlib.md5(blob).hexdigest() != md5:
        raise DataError(
            f"Download of {url} is damaged (md5 {hashlib.md5(blob).hexdigest()} "
            f"does not match the expected {md5})."
        )
    return blob


def fetch_recbole_files(
    progress=None, *, spec: str = RECBOLE_SPEC, sha256: dict[str, str] | None = None
) -> dict[str, bytes]:
    """The three ML-100k files from the RecBole wheel (pip download, no install), sha256-checked."""
    progress = progress or _quiet
    sha256 = RECBOLE_SHA256 if sha256 is None else sha256
    with tempfile.TemporaryDirectory(prefix="collab-recbole-") as tmp:
        cmd = [
            sys.executable,
            "-m",
            "pip",
            "download",
            "--no-deps",
            "--only-binary=:all:",
            "--disable-pip-version-check",
            "-q",
            spec,
            "-d",
            tmp,
        ]
        progress(
            0.2,
            f"Downloading {NAME} ({RECBOLE_SIZE}) from PyPI, inside the {_package(spec)} package…",
        )
        try:
            proc = subprocess.run(cmd, capture_output=True, text=True, timeout=180)
        except (OSError, subprocess.TimeoutExpired) as exc:
            raise DataError(f"pip download {spec} failed ({exc}).") from None
        wheels = list(Path(tmp).glob("*.whl"))
        if proc.returncode != 0 or not wheels:
            raise DataError(f"pip download {spec} failed: {proc.stderr.strip()[-300:]}")
        progress(0.6, f"Taking {NAME} out of the {_package(spec)} package…")
        return extract_recbole_files(wheels[0].read_bytes(), sha256)


def extract_recbole_files(wheel: bytes, sha256: dict[str, str]) -> dict[str, bytes]:
    """The files named in `sha256` from the wheel's ML-100k folder, each checked against its sum."""
    try:
        with zipfile.ZipFile(io.BytesIO(wheel)) as zf:
            files = {n: zf.read(RECBOLE_DIR + n) for n in sha256}
    except (zipfile.BadZipFile, KeyError) as exc:
        raise DataError(f"The RecBole wheel does not hold the ML-100k files ({exc}).") from None
    for n, blob in files.items():
        if hashlib.sha256(blob).hexdigest() != sha256[n]:
            raise DataError(f"{n} from the RecBole wheel does not match its known sha256.")
    return files


def _host(url: str) -> str:
    return urllib.parse.urlsplit(url).netloc or url


def _package(spec: str) -> str:
    """'recbole==1.2.1' -> 'RecBole 1.2.1' (other specs as they are)."""
    name, _, version = spec.partition("==")
    return f"{'RecBole' if name == 'recbole' else name} {version}".strip()


def write_cache(folder: Path, ratings, items, users, source: str) -> None:
    """Write the Parquet cache atomically: a reader sees all files or none."""
    folder.mkdir(parents=True, exist_ok=True)
    stage = Path(tempfile.mkdtemp(prefix=".stage-", dir=folder))
    ratings.to_parquet(stage / "ratings.parquet", index=False)
    items.to_parquet(stage / "items.parquet", index=False)
    users.to_parquet(stage / "users.parquet", index=False)
    (stage / "meta.json").write_text(json.dumps({"source": source, "created": time.time()}))
    for f in CACHE_FILES[:-1] + ("meta.json",):
        os.replace(stage / f, folder / f)
    stage.rmdir()
