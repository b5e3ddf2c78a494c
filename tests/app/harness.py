"""AppTest entry point: the real app (navigation + sidebar) opened on the page the test names.

`AppTest.switch_page` runs a page without the main script (so without the sidebar), hence this:
set `session_state["_test_page"]` to a key of `ui.nav.PAGES` before the first run.
"""

import streamlit as st

from ui import nav

nav.run(default=st.session_state.get("_test_page", "home"))
