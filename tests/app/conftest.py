"""AppTest helpers: open any page of the real app (navigation + sidebar) with the default model."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

ROOT = Path(__file__).resolve().parents[2]
HARNESS = str(ROOT / "tests" / "app" / "harness.py")
if str(ROOT) not in sys.path:  # the harness imports the app's `ui` package
    sys.path.insert(0, str(ROOT))


@pytest.fixture(scope="session")
def default_stored(ml100k):
    """The default model, trained once per session through the store (seconds on ML-100k)."""
    from collab_core.store import default_model

    return default_model(ml100k)


@pytest.fixture
def open_page(default_stored):
    """`open_page("map")` runs the app on that page with the default model active."""

    def _open(page: str, *, model: bool = True, timeout: float = 60) -> AppTest:
        at = AppTest.from_file(HARNESS, default_timeout=timeout)
        at.session_state["_test_page"] = page
        if model:
            at.session_state["model_id"] = default_stored.model_id
        return at.run()

    return _open
