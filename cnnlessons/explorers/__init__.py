"""Explorer widgets: the lessons' interactive plots (ipywidgets 7 and 8, no ipympl needed)."""

from .base import Explorer

__all__ = ["Explorer"]
