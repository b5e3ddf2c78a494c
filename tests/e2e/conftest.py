"""Real-browser fixtures: a `streamlit run app.py` server on a free port, and headless Chromium.

Chromium comes from Debian's `chromium` package (Playwright cannot download its own browser here).
Where no browser is found the e2e tests skip with the reason, except under CI (`CI=true`), where a
missing browser is a failure: CI installs it, so its absence means the set-up broke.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SCREENSHOTS = Path(os.environ.get("COLLAB_E2E_SCREENSHOTS", ROOT / "tests" / "e2e" / "screenshots"))
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-quic",
    "--no-first-run",
    "--disable-component-update",
    "--disable-sync",
]
SERVER_START_TIMEOUT_S = 90


def find_chromium() -> str | None:
    """The Chromium binary to drive: $COLLAB_E2E_CHROMIUM, then the usual Debian/Ubuntu names."""
    env = os.environ.get("COLLAB_E2E_CHROMIUM")
    if env:
        return env if Path(env).exists() else None
    for name in ("/usr/bin/chromium", "chromium", "chromium-browser", "google-chrome"):
        path = shutil.which(name) or (name if Path(name).exists() else None)
        if path:
            return path
    return None


def _unavailable(reason: str):
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"e2e tests cannot run under CI: {reason}")
    pytest.skip(reason)


@pytest.fixture(scope="session")
def chromium_path() -> str:
    path = find_chromium()
    if path is None:
        _unavailable(
            "no Chromium found (install Debian's `chromium` package or set COLLAB_E2E_CHROMIUM)"
        )
    return path


@pytest.fixture(scope="session")
def browser(chromium_path):
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _unavailable("playwright is not installed (pip install -e '.[test]')")
    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=chromium_path, args=CHROMIUM_ARGS)
        yield b
        b.close()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="session")
def app_server(tmp_path_factory):
    """`streamlit run app.py` on a free localhost port with a fresh $COLLAB_EXPLORER_HOME."""
    home = tmp_path_factory.mktemp("e2e_home")
    port = _free_port()
    env = dict(os.environ, COLLAB_EXPLORER_HOME=str(home), PYTHONUNBUFFERED="1")
    log = open(home / "streamlit.log", "w")
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "streamlit",
            "run",
            str(ROOT / "app.py"),
            "--server.headless",
            "true",
            "--server.port",
            str(port),
            "--server.address",
            "127.0.0.1",
            "--browser.gatherUsageStats",
            "false",
            "--server.fileWatcherType",
            "none",
        ],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + SERVER_START_TIMEOUT_S
    while True:
        try:
            with urllib.request.urlopen(url + "/_stcore/health", timeout=2) as r:
                if r.read().strip() == b"ok":
                    break
        except OSError:
            pass
        if proc.poll() is not None or time.monotonic() > deadline:
            proc.kill()
            log.close()
            raise RuntimeError(
                "streamlit did not start:\n" + (home / "streamlit.log").read_text()[-3000:]
            )
        time.sleep(0.5)
    yield url
    proc.terminate()
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()
    log.close()


@pytest.fixture
def page(browser, app_server):
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    pg = context.new_page()
    pg.set_default_timeout(60_000)
    yield pg
    context.close()


@pytest.fixture(scope="session")
def shot():
    """shot(page, name): a full-page screenshot under tests/e2e/screenshots/ (and assets/ when asked)."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    to_assets = os.environ.get("COLLAB_E2E_UPDATE_ASSETS") == "1"

    def take(pg, name: str) -> Path:
        path = SCREENSHOTS / f"{name}.png"
        pg.screenshot(path=str(path), full_page=True)
        if to_assets:
            shutil.copy(path, ROOT / "assets" / f"{name}.png")
        return path

    return take
