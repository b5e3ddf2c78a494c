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
EXPECT_TIMEOUT_MS = 60_000
# Where to look when $COLLAB_E2E_CHROMIUM is not set: absolute paths, then names on $PATH.
CANDIDATES = ("/usr/bin/chromium", "chromium", "chromium-browser", "google-chrome")


def find_chromium() -> str | None:
    """The Chromium binary to drive: $COLLAB_E2E_CHROMIUM, then the usual Debian/Ubuntu names."""
    env = os.environ.get("COLLAB_E2E_CHROMIUM")
    if env:
        return env if Path(env).exists() else None
    for name in CANDIDATES:
        path = shutil.which(name) or (name if Path(name).exists() else None)
        if path:
            return path
    return None


def _unavailable(reason: str):
    """Skip with `reason`, or fail under CI (`CI=true`, as CI services set it)."""
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"e2e tests cannot run under CI: {reason}")
    pytest.skip(reason)


def require_chromium() -> str:
    """The Chromium to drive, else skip (fail under CI) saying how to get one."""
    path = find_chromium()
    if path is None:
        _unavailable(
            "no Chromium found (install Debian's `chromium` package or set COLLAB_E2E_CHROMIUM)"
        )
    return path


@pytest.fixture(scope="session")
def chromium_path() -> str:
    return require_chromium()


@pytest.fixture(scope="session")
def browser(chromium_path):
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _unavailable("playwright is not installed (pip install -e '.[test]')")
    from playwright.sync_api import expect

    # expect() waits 5 s by default; a Streamlit run on a shared 2-core CPU can take longer.
    expect.set_options(timeout=EXPECT_TIMEOUT_MS)
    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=chromium_path, args=CHROMIUM_ARGS)
        yield b
        b.close()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="session")
def app_server(chromium_path, tmp_path_factory, ml100k):
    """`streamlit run app.py` on a free port with a fresh $COLLAB_EXPLORER_HOME, bound (by the
    project's .streamlit/config.toml) to 127.0.0.1.

    The home starts with the MovieLens 100k cache the test session already has (`ml100k`), so the
    server does not download it again; it has no models, so the journey starts from "train one".
    Depends on `chromium_path` so that a machine without a browser skips before starting a server.
    """
    yield from serve_app(tmp_path_factory.mktemp("e2e_home"))


def serve_app(home: Path):
    """Run the app with `home` as its home folder (the ML-100k cache copied in) until closed;
    yields its URL. What the app remembers there (models, choices, ratings) is this server's."""
    from collab_core import movielens

    shutil.copytree(movielens.cache_dir(), home / "data" / "ml-100k")
    port = _free_port()
    env = dict(os.environ, COLLAB_EXPLORER_HOME=str(home), PYTHONUNBUFFERED="1")
    log = open(home / "streamlit.log", "w")  # noqa: SIM115 (closed after the server stops)
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
            # No --server.address: the project's .streamlit/config.toml binds to 127.0.0.1, and
            # test_serving.py checks that it does.
            "--browser.gatherUsageStats",
            "false",
            "--server.fileWatcherType",
            "none",
            # No "Deploy" button in the screenshots; the running indicator stays.
            "--client.toolbarMode",
            "viewer",
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


VIEWPORT = {"width": 1400, "height": 900}
# Screenshots grow the viewport to the page's height (Streamlit scrolls an inner container, so a
# "full page" screenshot of the document would cut it off), but no taller than this.
MAX_SHOT_HEIGHT = 2600


@pytest.fixture
def page(browser):
    """A page in a fresh browser context: each test opens the app in its own Streamlit session."""
    context = browser.new_context(viewport=VIEWPORT)
    pg = context.new_page()
    pg.set_default_timeout(60_000)
    yield pg
    context.close()


# The height of the app's content: Streamlit's main area scrolls inside its own container.
_CONTENT_HEIGHT_JS = """() => {
  const ids = ["stMain", "stAppViewContainer", "stAppScrollToBottomContainer", "stSidebarContent"];
  let h = document.documentElement.scrollHeight;
  for (const id of ids) {
    const el = document.querySelector(`[data-testid="${id}"]`);
    if (el) h = Math.max(h, el.scrollHeight);
  }
  return h;
}"""


@pytest.fixture(scope="session")
def shot():
    """shot(page, name): a full-page screenshot under tests/e2e/screenshots/ (and assets/ when asked)."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    to_assets = os.environ.get("COLLAB_E2E_UPDATE_ASSETS") == "1"

    def take(pg, name: str) -> Path:
        path = SCREENSHOTS / f"{name}.png"
        height = pg.evaluate(_CONTENT_HEIGHT_JS)
        size = pg.viewport_size or VIEWPORT
        shot_size = {"width": size["width"], "height": min(max(height, 600), MAX_SHOT_HEIGHT)}
        pg.set_viewport_size(shot_size)
        # The pointer away from the sidebar (whose collapse button shows on hover) and charts.
        pg.mouse.move(shot_size["width"] - 30, shot_size["height"] - 10)
        try:
            # Let charts re-lay themselves out for the new size (cosmetic: nothing is asserted here).
            pg.evaluate("() => new Promise(r => requestAnimationFrame(() => setTimeout(r, 400)))")
            pg.screenshot(path=str(path), animations="disabled", caret="hide")
        finally:
            pg.set_viewport_size(size)
        if to_assets:
            (ROOT / "assets").mkdir(exist_ok=True)
            shutil.copy(path, ROOT / "assets" / f"{name}.png")
        return path

    return take
