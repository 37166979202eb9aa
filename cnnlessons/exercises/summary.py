"""Exercise of lesson 06 (summary): each architecture's key technique, in the learner's words."""
from __future__ import annotations

import re
from typing import Any

from .core import ExerciseFailed, call, exercise

LESSON = "06_summary"

# architecture -> (accepted key spellings, normalised), (keyword patterns), what it is called
_ARCHITECTURES = {
    "VGGNet": (("vggnet", "vgg"), (r"3x3", r"stack"), "stacks of 3x3 convolutions"),
    "GoogLeNet": (("googlenet",), (r"1x1", r"inception"), "the 1x1 convolution"),
    "ResNet": (("resnet",), (r"skip", r"residual", r"shortcut", r"identity"), "the skip connection"),
    "DenseNet": (("densenet",), (r"concat",), "concatenation"),
}


def _key(name: str) -> str:
    return re.sub(r"[^a-z0-9]", "", name.lower())


def _text(value: str) -> str:
    value = value.lower().replace("×", "x")
    return re.sub(r"(\d)\s*[x*]\s*(\d)", r"\1x\2", value)


def _mentions(text: str, architecture: str) -> bool:
    return any(re.search(p, text) for p in _ARCHITECTURES[architecture][1])


@exercise("summary.techniques", lesson=LESSON, kind="dict",
          signature="techniques: dict (or a function returning it) from architecture name to its "
                    "key technique",
          description="VGGNet: 3x3 stacks, GoogLeNet: 1x1 convolution, ResNet: skip connection, "
                      "DenseNet: concatenation")
def check_techniques(answer: Any) -> int:
    if callable(answer) and not isinstance(answer, dict):
        answer = call(answer, what="techniques()")
    if not isinstance(answer, dict):
        raise ExerciseFailed(f"expected a dict from architecture name to its key technique, got an object of type "
                             f"{type(answer).__name__}")
    entries = {}
    for name, value in answer.items():
        if isinstance(name, str):
            entries[_key(name)] = (name, value)
    for architecture, (spellings, _, _) in _ARCHITECTURES.items():
        found = [entries[s] for s in spellings if s in entries]
        if not found:
            raise ExerciseFailed(f"the dict has no entry for {architecture} (keys found: "
                                 f"{', '.join(repr(k) for k in answer) or 'none'})")
        name, value = found[0]
        if not isinstance(value, str) or not value.strip():
            raise ExerciseFailed(f"the entry for {name!r} should name its key technique in a few words "
                                 f"(a str), got {value!r}")
        text = _text(value)
        if _mentions(text, architecture):
            continue
        others = [a for a in _ARCHITECTURES if a != architecture and _mentions(text, a)]
        if others:
            raise ExerciseFailed(f"the entry for {name!r}, {value!r}, describes {others[0]}'s key "
                                 f"technique ({_ARCHITECTURES[others[0]][2]}), not {architecture}'s")
        raise ExerciseFailed(f"the entry for {name!r}, {value!r}, does not name {architecture}'s key "
                             "technique; look at the section of the summary lesson about it, and name "
                             "it in its usual words")
    return len(_ARCHITECTURES)
