"""The generated pages in docs/ are what their generators write today, so they cannot drift."""

from __future__ import annotations

import re
from pathlib import Path

from cnnlessons.exercises import EXERCISES

DOCS = Path(__file__).resolve().parents[1] / "docs"


def test_exercises_page_is_up_to_date():
    from cnnlessons.exercises.__main__ import markdown

    stored = (DOCS / "exercises.md").read_text(encoding="utf-8")
    assert stored == markdown(), (
        "docs/exercises.md is out of date: run `python -m cnnlessons.exercises > docs/exercises.md`"
    )


def test_exercises_page_lists_every_exercise_once_with_its_contract():
    stored = (DOCS / "exercises.md").read_text(encoding="utf-8")
    rows = re.findall(r"^\| `([^`]+)` \| .* \| (.*) \|$", stored, flags=re.MULTILINE)
    assert [i for i, _ in rows] == list(EXERCISES)
    for exercise_id, contract in rows:
        assert contract == EXERCISES[exercise_id].description.replace("|", "\\|")


def test_model_table_lists_every_model_with_its_parameter_count():
    """docs/models.md (``python -m cnnlessons.models``) against the models: every name of the
    table's groups, in registry order, with today's parameter count. The FLOPs column is not
    recomputed here: counting FLOPs of every model takes longer than a unit test may."""
    import torch

    from cnnlessons.measure import count_parameters
    from cnnlessons.models import CIFAR, FULL_SIZE, MODELS, PAPER, SMALL, build_model

    stored = (DOCS / "models.md").read_text(encoding="utf-8")
    rows = re.findall(r"^\| (\w+) \| [^|]+ \| ([\d,]+) \|", stored, flags=re.MULTILINE)
    listed = {*FULL_SIZE, *PAPER, *CIFAR, *SMALL}
    hint = "docs/models.md is out of date: run `python -m cnnlessons.models > docs/models.md`"
    assert [name for name, _ in rows] == [name for name in MODELS if name in listed], hint
    for name, params in rows:
        with torch.device("meta"):
            model = build_model(name)
        assert count_parameters(model) == int(params.replace(",", "")), f"{name}: {hint}"
