"""The library's own code where a lesson teaches it: ``show_source(obj)`` shows an object's
source, highlighted, in the notebook.

It refuses the library objects that are an exercise's solution (``EXERCISE_REFERENCES``) and
everything in the exercise checkers: a learner writes those. The grader does not rely on this
(a learner can always open the files); it keeps the lessons from printing the answers.
"""

from __future__ import annotations

import functools
import html
import importlib
import inspect
import types
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from ..frontend import inline

__all__ = ["EXERCISE_REFERENCES", "refused_exercise", "source_of", "show_source"]

EXERCISE_REFERENCES: Mapping[str, tuple[str, ...]] = {
    "alexnet.conv_output_size": ("cnnlessons.layers:conv_output_size",),
    "vgg.receptive_field": (
        "cnnlessons.measure:stacked_receptive_field",
        "cnnlessons.measure:receptive_field",
    ),
    "vgg.conv_params": ("cnnlessons.measure:conv_params",),
    "vgg.vgg_block": ("cnnlessons.models.vgg:VGGBlock",),
    "googlenet.reduction_params": (
        "cnnlessons.models.googlenet:reduction_params",
        "cnnlessons.lessons.googlenet.experiments:branch_cost_formula",
    ),
    "googlenet.inception_block": ("cnnlessons.models.googlenet:Inception",),
    "resnet.residual_block": (
        "cnnlessons.models.resnet:ResidualBlock",
        "cnnlessons.models.resnet:_SkipBlock",
    ),
    "resnet.bottleneck_block": ("cnnlessons.models.resnet:Bottleneck", "cnnlessons.models.resnet:_SkipBlock"),
    "densenet.out_channels": ("cnnlessons.models.densenet:dense_out_channels",),
    "densenet.dense_block": ("cnnlessons.models.densenet:DenseBlock",),
    "densenet.transition_block": ("cnnlessons.models.densenet:Transition",),
    "next.grouped_params": ("cnnlessons.models.next:grouped_params",),
    "next.depthwise_separable": ("cnnlessons.models.next:DepthwiseSeparable",),
    "next.se_block": ("cnnlessons.models.next:SqueezeExcitation",),
}
"""Exercise id -> the library objects (``module:qualname``) that solve it."""

_PACKAGE = __name__.split(".")[0]
_CHECKERS = f"{_PACKAGE}.exercises"
_LESSONS = f"{_PACKAGE}.lessons."


def _is_checker(module: str) -> bool:
    """Whether ``module`` is the exercise engine or a lesson's checkers (``lessons.<x>.exercises``)."""
    if module == _CHECKERS or module.startswith(_CHECKERS + "."):
        return True
    return module.startswith(_LESSONS) and module.split(".")[3:4] == ["exercises"]


def _resolve(path: str) -> Any:
    module, _, qualname = path.partition(":")
    obj: Any = importlib.import_module(module)
    for part in qualname.split("."):
        obj = getattr(obj, part)
    return obj


def _unwrap(obj: Any) -> Any:
    for _ in range(20):
        if isinstance(obj, functools.partial):
            obj = obj.func
        elif isinstance(obj, (types.MethodType, staticmethod, classmethod)):
            obj = obj.__func__
        elif isinstance(obj, property):
            obj = obj.fget
        elif hasattr(obj, "__wrapped__") and not isinstance(obj, type):
            obj = obj.__wrapped__
        else:
            return obj
    return obj


def _name(obj: Any) -> str:
    if isinstance(obj, types.ModuleType):
        return obj.__name__
    return f"{getattr(obj, '__module__', '?')}.{getattr(obj, '__qualname__', getattr(obj, '__name__', '?'))}"


def refused_exercise(obj: Any) -> str | None:
    """The exercise whose solution ``obj`` is, contains or belongs to (``"checkers"`` for the
    exercise checkers' own code), or None."""
    obj = _unwrap(obj)
    if isinstance(obj, types.ModuleType):
        if _is_checker(obj.__name__):
            return "checkers"
        for exercise, paths in EXERCISE_REFERENCES.items():
            if any(p.partition(":")[0] == obj.__name__ for p in paths):
                return exercise
        return None
    if not isinstance(obj, (type, types.FunctionType)):
        obj = type(obj)  # an instance: its class
    module = getattr(obj, "__module__", "") or ""
    if _is_checker(module):
        return "checkers"
    qualname = getattr(obj, "__qualname__", "")
    for exercise, paths in EXERCISE_REFERENCES.items():
        for path in paths:
            ref_module, _, ref_qualname = path.partition(":")
            if obj is _resolve(path) or (module == ref_module and qualname.startswith(ref_qualname + ".")):
                return exercise
    return None


def source_of(obj: Any) -> str:
    """The source text of a function, class, method or module (an instance gives its class);
    a ValueError naming ``obj`` for an exercise's solution or an object without Python source."""
    exercise = refused_exercise(obj)
    if exercise == "checkers":
        raise ValueError(
            f"show_source({_name(_unwrap(obj))}): the exercise checkers hold the solutions; "
            "their code is not shown in the lessons"
        )
    if exercise is not None:
        raise ValueError(
            f"show_source({_name(_unwrap(obj))}): that is the solution of exercise {exercise!r}; "
            f"write your own and run check({exercise!r}, ...)"
        )
    target = _unwrap(obj)
    if not isinstance(target, (type, types.FunctionType, types.ModuleType)):
        target = type(target)
    try:
        return inspect.getsource(target)
    except (OSError, TypeError):
        raise ValueError(f"show_source({_name(target)}): no Python source to show") from None


def _where(obj: Any) -> str:
    target = _unwrap(obj)
    if not isinstance(target, (type, types.FunctionType, types.ModuleType)):
        target = type(target)
    try:
        path = Path(inspect.getsourcefile(target) or "")
        line = 1 if isinstance(target, types.ModuleType) else inspect.getsourcelines(target)[1]
    except (OSError, TypeError):
        return _name(target)
    parts = path.parts
    if _PACKAGE in parts:  # the path inside the package, not the machine's
        path = Path(*parts[len(parts) - 1 - parts[::-1].index(_PACKAGE) :])
    else:
        path = Path(path.name)
    return f"{_name(target)}  ({path.as_posix()}, line {line})"


def show_source(obj: Any, fold: bool = False) -> None:
    """Show ``obj``'s source highlighted in the notebook (plain text outside IPython); refuses
    an exercise's solution (ValueError naming it). ``fold=True`` shows it closed under its
    header line, marked as plumbing (``views.plumbing.fold``)."""
    text = source_of(obj)
    header = _where(obj)
    if not inline():
        print(f"# {header}\n{text}")
        return
    from IPython.display import HTML, display

    try:
        from pygments import highlight
        from pygments.formatters import HtmlFormatter
        from pygments.lexers import PythonLexer

        body = highlight(text, PythonLexer(), HtmlFormatter(noclasses=True, style="default"))
    except ImportError:  # pragma: no cover - pygments comes with IPython
        body = f"<pre>{html.escape(text)}</pre>"
    if fold:
        from .plumbing import fold as show_folded

        show_folded(f"Source: {header}", text, html_body=f"<div style='font-size:0.85em'>{body}</div>")
        return
    display(HTML(f"<div style='font-size:0.85em'><b>{html.escape(header)}</b>{body}</div>"))
