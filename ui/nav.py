"""The app's pages, their order and icons, and the one function that runs the app."""

from __future__ import annotations

from pathlib import Path

import streamlit as st

from . import sidebar

ROOT = Path(__file__).resolve().parent.parent
# Not "pages/": Streamlit treats a folder of that name as a v1 multipage app, and a fresh server's
# first visit to /train would then run that page alone, without st.navigation and the sidebar.
# key: (file under app_pages/, title, icon, section), in the order the sidebar lists them.
PAGES: dict[str, tuple[str, str, str, str]] = {
    "home": ("home.py", "Home", ":material/home:", "Start"),
    "train": ("train.py", "Train", ":material/model_training:", "Start"),
    "bias": ("bias.py", "Bias rankings", ":material/bar_chart:", "Explore the model"),
    "map": ("embedding_map.py", "Embedding map", ":material/scatter_plot:", "Explore the model"),
    "similar": ("similar.py", "Similar movies", ":material/join_inner:", "Explore the model"),
    "recommend": ("recommend.py", "Recommend", ":material/recommend:", "Explore the model"),
    "feedback": (
        "feedback_loops.py",
        "Feedback loops",
        ":material/autorenew:",
        "Explore the model",
    ),
    "enthusiasts": (
        "enthusiasts.py",
        "Enthusiasts",
        ":material/groups:",
        "Explore the model",
    ),
    "upload": ("upload.py", "Upload", ":material/upload_file:", "Your data"),
}


def page(key: str, *, default: bool = False) -> st.Page:
    """The `st.Page` of `key` (absolute path, so any main script can register it)."""
    file, title, icon, _ = PAGES[key]
    return st.Page(ROOT / "app_pages" / file, title=title, icon=icon, default=default)


def run(default: str = "home") -> None:
    """Set up the page, the navigation and the shared sidebar, then run the chosen page."""
    st.set_page_config(page_title="Collab Explorer", page_icon=":material/movie:", layout="wide")
    sections: dict[str, list] = {}
    for key, (*_, section) in PAGES.items():
        sections.setdefault(section, []).append(page(key, default=key == default))
    nav = st.navigation(sections)
    sidebar.render()
    nav.run()
