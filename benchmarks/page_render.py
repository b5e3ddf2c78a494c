"""How long each app page takes to render with a stored model, cold (first run) and warm (rerun).

    python benchmarks/page_render.py [--repeats 5]

Runs the real app through streamlit's AppTest (in-process, no browser), so the figures are the
script's own time: Streamlit's widget and chart serialisation included, browser drawing excluded.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

from collab_core.devices import describe_machine

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
PAGES = ("home", "train", "bias", "map", "similar", "recommend", "upload")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeats", type=int, default=5)
    args = ap.parse_args()

    from streamlit.testing.v1 import AppTest

    from collab_core.data import load_dataset
    from collab_core.devices import describe, pick_device
    from collab_core.prefs import Prefs
    from collab_core.store import default_model

    stored = default_model(load_dataset())
    Prefs().update("ml-100k", active_model=stored.model_id)  # the pages explore the default model
    print(
        f"machine: {describe_machine()}; device {describe(pick_device('auto'))}; "
        f"model {stored.model_id}"
    )
    print(f"{'page':<10} {'first run s':>12} {'rerun median s':>15} {'rerun max s':>12}")
    for page in PAGES:
        at = AppTest.from_file(str(ROOT / "tests" / "app" / "harness.py"), default_timeout=120)
        at.session_state["_test_page"] = page
        t0 = time.perf_counter()
        at.run()
        first = time.perf_counter() - t0
        assert not at.exception, at.exception
        times = []
        for _ in range(args.repeats):
            t0 = time.perf_counter()
            at.run()
            times.append(time.perf_counter() - t0)
        print(f"{page:<10} {first:>12.3f} {statistics.median(times):>15.3f} {max(times):>12.3f}")


if __name__ == "__main__":
    main()
