"""Assertions and readers shared by the AppTest tests (a plain module: `conftest` is ambiguous)."""

from __future__ import annotations

import base64
import json
from pathlib import Path

import numpy as np
from streamlit.testing.v1 import AppTest

ROOT = Path(__file__).resolve().parents[2]


def no_errors(at: AppTest) -> None:
    """The run raised nothing and showed no error box."""
    assert not at.exception, [e.value for e in at.exception]
    assert not at.error, [e.value for e in at.error]


def _decode(obj):
    """Plotly sends numpy arrays as {"dtype", "bdata" (base64), "shape"}; turn them into lists."""
    if isinstance(obj, dict):
        if "bdata" in obj and "dtype" in obj:
            arr = np.frombuffer(base64.b64decode(obj["bdata"]), dtype=obj["dtype"])
            if "shape" in obj:
                arr = arr.reshape([int(n) for n in str(obj["shape"]).split(",")])
            return arr.tolist()
        return {k: _decode(v) for k, v in obj.items()}
    if isinstance(obj, list):
        return [_decode(v) for v in obj]
    return obj


def plotly_figures(at: AppTest) -> list[dict]:
    """The Plotly figures on the page, as the browser receives them (arrays as lists)."""
    return [_decode(json.loads(el.proto.spec)) for el in at.get("plotly_chart")]


def pick(at: AppTest, key: str, typed: str) -> AppTest:
    """Type `typed` into the search field of the movie picker kept under `key`, and run: the
    picker chooses its best match (see `ui.widgets.movie_picker`)."""
    return at.text_input(key=f"{key}_query").input(typed).run()


def go(at: AppTest, page: str) -> AppTest:
    """Follow the sidebar link to `page` (a key of `ui.nav.PAGES`) in the same session, and run."""
    from ui import nav

    return at.switch_page(f"../../app_pages/{nav.PAGES[page][0]}").run()


def sidebar_text(at: AppTest) -> str:
    """Everything the sidebar says in words (markdown and captions)."""
    return "\n".join(e.value for e in [*at.sidebar.markdown, *at.sidebar.caption])


def toasts(at: AppTest) -> list[str]:
    return [t.value for t in at.toast]
