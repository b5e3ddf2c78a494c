"""Collab Explorer: `streamlit run app.py`. The pages live in app_pages/, the shared parts in ui/."""

from ui import nav

nav.run()
