"""Time to the first drawn embedding map in headless Chromium, at 1.7k, 60k and 200k movies.

    python benchmarks/map_render.py [--sizes 1682 60000 200000] [--repeats 3]

For each size: a synthetic catalogue (`collab_core.synthetic`, with a flatter popularity law than
MovieLens' so that nearly every movie is rated) with random 64-number item factors (drawing speed
does not depend on the weights), the PCA map of every movie, and the figure the Embedding map page
draws for it, shown by `st.plotly_chart` in a real Streamlit server (this file is also the app:
`streamlit run benchmarks/map_render.py`, `?n=60000`). Headless Chromium (Debian's, with the e2e
tests' flags: software WebGL, as on a machine without a GPU) opens the page in a new session.
Columns: `script s`, the page script's time to build the figure and hand it to Streamlit;
`page s`, from navigation to the first frame showing the page's first element (Streamlit's own
start, the same at every size); `map drawn s`, from navigation to the first frame in which the
chart holds all its points; `map after page s`, the difference: what the map adds. The map itself
is computed once per size (the app caches it per model) and not counted; the catalogue's first
visit is a warm-up. Figures: the median of `--repeats` visits.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
SERVER_START_TIMEOUT_S = 90
BROWSER_TIMEOUT_S = 300

# Milliseconds from navigation to the first frame showing the page's first element (a caption
# that says how many points the chart will hold, "points: N", sent before the chart), then to
# the first frame with every point of the chart drawn.
_CAPTION_JS = """() => {
  const caption = Array.from(document.querySelectorAll('[data-testid="stCaptionContainer"]'))
    .map(c => c.textContent).find(t => t.startsWith('points: '));
  return caption ? performance.now() : false;
}"""
_DRAWN_JS = """() => {
  const caption = Array.from(document.querySelectorAll('[data-testid="stCaptionContainer"]'))
    .map(c => c.textContent).find(t => t.startsWith('points: '));
  const gd = document.querySelector('.js-plotly-plot');
  if (!caption || !gd || !gd._fullData) return false;
  const want = parseInt(caption.slice(8).replace(/,/g, ''));
  const n = gd._fullData.filter(t => t.type === 'scatter' || t.type === 'scattergl')
    .reduce((s, t) => s + (t._length || 0), 0);
  return n >= want ? performance.now() : false;
}"""


def catalogue(n_items: int, seed: int = 0):
    """A synthetic data set of about `n_items` movies and its `Explorer` on random factors."""
    from collab_core import synthetic
    from collab_core.analysis import Explorer
    from collab_core.models import FactorModel

    n_ratings = max(100_000, 25 * n_items)
    ds = synthetic.generate(
        n_ratings=n_ratings,
        n_items=n_items,
        n_users=max(943, n_ratings // 200),
        popularity_exponent=0.8,
        seed=seed,
    )
    rng = np.random.default_rng(seed)
    model = FactorModel(
        rng.normal(0, 0.3, (ds.n_users, 64)),
        rng.normal(0, 0.3, (ds.n_items, 64)),
        user_bias=np.zeros(ds.n_users),
        item_bias=rng.normal(0, 0.3, ds.n_items),
        global_bias=3.5,
        y_range=(0.0, 5.5),
    )
    return Explorer(ds, model)


def make_map(ex):
    """The PCA map of every movie (computed once per model in the app, then cached)."""
    return ex.embedding_map(method="pca", n_items=ex.dataset.n_items)


def page_figure(emap):
    """The figure the Embedding map page draws by default (one genre highlighted, 40 titles) for
    a map of every movie, and the number of points it draws."""
    from collab_core import labels, map_figure, maps

    coords = emap.coords
    ranges = (labels.axis_range(coords["x"]), labels.axis_range(coords["y"]))
    fig = map_figure.embedding_map(
        coords,
        groups=maps.genre_groups(coords, emap.telling_genres(1)),
        labels=labels.choose_labels(coords, labels.LABELS, ranges=ranges),
        titles=[a.title() for a in emap.axes],
        ranges=ranges,
    )
    points = sum(len(t.x) for t in fig.data if t.type == "scatter")
    return fig, points


def app() -> None:
    """The benchmark's Streamlit page: the map of `?n=` movies, as the Embedding map page draws it."""
    import streamlit as st

    @st.cache_resource(max_entries=1)
    def cached_map(n: int):
        ex = catalogue(n)
        t0 = time.perf_counter()
        return make_map(ex), time.perf_counter() - t0

    st.set_page_config(layout="wide")
    emap, map_s = cached_map(int(st.query_params.get("n", 1682)))
    t0 = time.perf_counter()
    fig, points = page_figure(emap)
    st.caption(f"points: {points:,}")
    st.plotly_chart(fig, key="map")
    st.caption(f"python: {time.perf_counter() - t0:.3f} s; map: {map_s:.2f} s")


def _serve(home: str) -> tuple[subprocess.Popen, str]:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "streamlit",
            "run",
            __file__,
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
        env=dict(os.environ, COLLAB_EXPLORER_HOME=home, PYTHONPATH=str(ROOT)),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + SERVER_START_TIMEOUT_S
    while True:
        try:
            with urllib.request.urlopen(url + "/_stcore/health", timeout=2) as r:
                if r.read().strip() == b"ok":
                    return proc, url
        except OSError:
            pass
        if proc.poll() is not None or time.monotonic() > deadline:
            proc.kill()
            sys.exit("streamlit did not start")
        time.sleep(0.5)


def main() -> None:
    import argparse

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", type=int, nargs="+", default=[1682, 60_000, 200_000])
    ap.add_argument("--repeats", type=int, default=3)
    args = ap.parse_args()

    from playwright.sync_api import sync_playwright

    from collab_core.devices import describe_machine

    sys.path.insert(0, str(ROOT / "tests" / "e2e"))
    from conftest import CHROMIUM_ARGS, find_chromium

    chromium = find_chromium()
    if chromium is None:
        sys.exit("no Chromium found (install Debian's `chromium` or set COLLAB_E2E_CHROMIUM)")
    print(f"machine: {describe_machine()}; load average {os.getloadavg()[0]:.1f}")
    print(f"Chromium {chromium} {' '.join(CHROMIUM_ARGS)}; viewport 1400 x 900")
    print(
        f"{'movies':>8} {'points drawn':>13} {'script s':>9} {'page s':>7} {'map drawn s':>12} "
        f"{'map after page s':>17}"
    )
    with tempfile.TemporaryDirectory() as home:
        proc, url = _serve(home)
        try:
            with sync_playwright() as pw:
                browser = pw.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
                for size in args.sizes:
                    times, first, script, points = [], [], [], ""
                    for visit in range(args.repeats + 1):  # the first builds the catalogue
                        context = browser.new_context(viewport={"width": 1400, "height": 900})
                        page = context.new_page()
                        page.set_default_timeout(BROWSER_TIMEOUT_S * 1000)
                        page.goto(f"{url}/?n={size}")
                        ms0 = page.wait_for_function(_CAPTION_JS, polling="raf").json_value()
                        ms = page.wait_for_function(_DRAWN_JS, polling="raf").json_value()
                        page.get_by_text("python: ").wait_for()
                        captions = page.get_by_test_id("stCaptionContainer").all_inner_texts()
                        context.close()
                        if visit:
                            first.append(ms0 / 1000)
                            times.append(ms / 1000)
                            points = captions[0].split()[1]
                            script.append(float(captions[1].split()[1]))
                    page_s, drawn_s = statistics.median(first), statistics.median(times)
                    after = statistics.median(t - f for t, f in zip(times, first, strict=True))
                    print(
                        f"{size:>8,} {points:>13} {statistics.median(script):>9.2f} "
                        f"{page_s:>7.2f} {drawn_s:>12.2f} {after:>17.2f}",
                        flush=True,
                    )
                browser.close()
        finally:
            proc.terminate()
            proc.wait(timeout=10)
    print(f"load average after: {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    from streamlit import runtime

    if runtime.exists():
        app()
    else:
        main()
