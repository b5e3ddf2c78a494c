"""AppTest helpers: open any page of the real app (navigation + sidebar) with the default model."""

from __future__ import annotations

import shutil
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
    """`open_page("map")` runs the app on that page in a new session, with the default model as
    ML-100k's active model.

    The home folder keeps each data set's choices (active model, Train form, ratings); a test
    starts with none besides that active model (none at all with `model=False`, where the
    sidebar then picks the default model itself), unless `reload=True`: a new session on what
    the folder holds, as after the user presses F5.
    """
    from collab_core.prefs import Prefs

    def _open(
        page: str, *, model: bool = True, reload: bool = False, timeout: float = 60
    ) -> AppTest:
        if not reload:
            prefs = Prefs()
            shutil.rmtree(prefs.root, ignore_errors=True)
            if model:
                prefs.update("ml-100k", active_model=default_stored.model_id)
        at = AppTest.from_file(HARNESS, default_timeout=timeout)
        at.session_state["_test_page"] = page
        return at.run()

    return _open
