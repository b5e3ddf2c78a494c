"""Collab Explorer core: data, models, training, store and analysis for collaborative filtering."""

__version__ = "0.1.0"
