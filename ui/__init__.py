"""Streamlit-side helpers shared by the pages: session state, sidebar, widgets, cached loaders."""
