"""cnnlessons: a hands-on course on the CNNs that won ImageNet.

The notebooks import their building blocks, data, training loop, measurements, plots, explorers
and exercise checkers from here. Heavy submodules load on first use.
"""

from __future__ import annotations

import importlib

from .course import VERSION as __version__
from .profiles import PROFILES, Profile, get_profile

# name -> submodule that defines it; imported lazily so that `import cnnlessons` stays quick.
_LAZY = {
    "load_data": "data",
    "load_dataset": "data",
    "CourseData": "data",
    "DATASETS": "data",
    "fit": "training",
    "Training": "training",
    "History": "history",
    "pick_device": "devices",
    "set_seed": "training",
    "evaluate": "training",
    "plot_history": "plots",
    "plot_bars": "plots",
    "show_images": "plots",
    "plot_ilsvrc": "plots",
    "check": "exercises",
    "ExerciseFailed": "exercises",
    "NotAttempted": "exercises",
    "list_exercises": "exercises",
    "describe": "exercises",
    "draw_answer": "exercises",
    "setup_notebook": "notebook",
    "set_language": "i18n",
    "get_language": "i18n",
}

__all__ = ["__version__", "PROFILES", "Profile", "get_profile", *_LAZY]


def __getattr__(name: str):
    if name in _LAZY:
        if _LAZY[name] == "exercises":  # the lessons register the checkers
            importlib.import_module(".lessons", __name__)
        module = importlib.import_module(f".{_LAZY[name]}", __name__)
        return getattr(module, name)
    raise AttributeError(f"module 'cnnlessons' has no attribute {name!r}")
