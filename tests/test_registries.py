"""The registries' keys are typed once: a recipe's key and a claim's id appear as a string only in
the call that registers it; the notebook, the widget, the reproduction and the tests use the
object (``lesson.recipes.DEGRADATION``, ``lesson.claims.DEGRADATION``)."""

from __future__ import annotations

import ast
import pathlib

import pytest

from cnnlessons.claims import CHECKS, CLAIMS, CheckClaim, EffectClaim, register_check, register_claim
from cnnlessons.runs.recipes import RECIPES, Recipe, register

ROOT = pathlib.Path(__file__).resolve().parents[1]
SOURCES = sorted(
    [*(ROOT / "cnnlessons").rglob("*.py"), *(ROOT / "notebooks").glob("*.py"), *(ROOT / "tools").glob("*.py")]
)
REGISTERING = {"Recipe", "EffectClaim", "CheckClaim"}
"""The constructors whose first argument is the key they register."""
EXERCISE_CALLS = {"check", "exercise", "describe"}
"""Calls whose first argument is an exercise id (an exercise may share its id with a claim, as
``alexnet.dropout`` does); so are the keys of a mapping named ``EXERCISE_...``."""


def keyed_strings(source: str) -> tuple[list[str], list[str]]:
    """The string constants of ``source`` that are registry keys: (those a registering call takes
    as its key, every other one)."""
    keys = set(RECIPES) | set(CLAIMS) | set(CHECKS)
    registering, other = [], []
    skip: set[int] = set()
    tree = ast.parse(source)
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and node.args and isinstance(node.args[0], ast.Constant):
            name = getattr(node.func, "id", getattr(node.func, "attr", ""))
            if name in REGISTERING:
                registering.append(node.args[0].value)
                skip.add(id(node.args[0]))
            elif name in EXERCISE_CALLS:
                skip.add(id(node.args[0]))
        targets = [getattr(t, "id", "") for t in getattr(node, "targets", [getattr(node, "target", None)])]
        if any(t.startswith("EXERCISE") for t in targets) and isinstance(node.value, ast.Dict):
            skip.update(id(k) for k in node.value.keys)
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant) and node.value in keys and id(node) not in skip:
            other.append(node.value)
    return registering, other


def test_every_key_is_registered_once_and_typed_nowhere_else():
    registered: dict[str, list[str]] = {}
    elsewhere = []
    for path in SOURCES:
        registering, other = keyed_strings(path.read_text())
        for key in registering:
            registered.setdefault(key, []).append(path.relative_to(ROOT).as_posix())
        elsewhere += [f"{path.relative_to(ROOT)}: {key!r}" for key in other]
    assert not elsewhere, "a key typed outside the call that registers it:\n" + "\n".join(elsewhere)
    twice = {key: places for key, places in registered.items() if len(places) > 1}
    assert not twice, twice
    # every registered recipe, claim and check is found (the converged ones by their f-string)
    literal = set(registered)
    assert set(CLAIMS) | set(CHECKS) <= literal
    assert {key for key in RECIPES if not key.startswith("converged/")} <= literal


def test_the_reader_finds_a_typed_key_and_tells_registering_from_using():
    registering, other = keyed_strings(
        'X = Recipe("04_resnet/degradation", "d")\n'
        'y = RECIPES["04_resnet/degradation"]\n'
        'check("alexnet.dropout", f)\n'
        'EXERCISE_REFERENCES = {"vgg.receptive_field": ()}\n'
        'CLAIM_WORDS = {"vgg.receptive_field": ()}\n'
        'recipe.judge("resnet.shortcuts", runs)\n'
    )
    assert registering == ["04_resnet/degradation"]
    assert sorted(other) == ["04_resnet/degradation", "resnet.shortcuts", "vgg.receptive_field"]


def test_a_key_registers_once():
    with pytest.raises(ValueError, match="registered already"):
        register(RECIPES["04_resnet/degradation"])
    with pytest.raises(ValueError, match="registered already"):
        register_claim(CLAIMS["resnet.degradation"])
    with pytest.raises(ValueError, match="registered already"):
        register_check(CheckClaim("resnet.degradation", "04", "a claim", "a paper"))
    with pytest.raises(ValueError, match="claim: expected an EffectClaim"):
        register_claim(CHECKS["resnet.bottleneck"])  # type: ignore[arg-type]
    assert isinstance(CLAIMS["resnet.degradation"], EffectClaim) and Recipe
