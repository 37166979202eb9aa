"""Small instructor notebooks and submissions for the grading tests (no training: each runs in a
kernel in a few seconds)."""

from __future__ import annotations

from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

RESIDUAL = """class ResidualBlock(nn.Module):
    def __init__(self, in_channels, out_channels, stride=1):
        super().__init__()
        ### BEGIN SOLUTION
        self.conv1 = nn.Conv2d(in_channels, out_channels, 3, stride=stride, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(out_channels)
        self.conv2 = nn.Conv2d(out_channels, out_channels, 3, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(out_channels)
        self.shortcut = nn.Identity()
        if stride != 1 or in_channels != out_channels:
            self.shortcut = nn.Sequential(nn.Conv2d(in_channels, out_channels, 1, stride=stride, bias=False),
                                          nn.BatchNorm2d(out_channels))
        ### END SOLUTION

    def forward(self, x):
        ### BEGIN SOLUTION
        y = torch.relu(self.bn1(self.conv1(x)))
        return torch.relu(self.bn2(self.conv2(y)) + self.shortcut(x))
        ### END SOLUTION"""

SOLUTIONS = {
    "alexnet.conv_output_size": (
        "def conv_output_size(size, kernel_size, stride=1, padding=0):\n"
        "    ### BEGIN SOLUTION\n"
        "    return (size + 2 * padding - kernel_size) // stride + 1\n"
        "    ### END SOLUTION",
        "conv_output_size",
    ),
    "vgg.receptive_field": (
        "def receptive_field(num_layers, kernel_size=3):\n"
        "    ### BEGIN SOLUTION\n"
        "    return 1 + num_layers * (kernel_size - 1)\n"
        "    ### END SOLUTION",
        "receptive_field",
    ),
    "resnet.residual_block": (RESIDUAL, "ResidualBlock"),
}
IDS = list(SOLUTIONS)


def instructor_notebook(ids=IDS) -> nbformat.NotebookNode:
    """A lesson in miniature: a setup cell, then per exercise a solution cell and its check cell."""
    cells = [
        new_markdown_cell("# Exercises"),
        new_code_cell("import torch\nfrom torch import nn\nfrom cnnlessons import check"),
    ]
    for exercise_id in ids:
        source, name = SOLUTIONS[exercise_id]
        cells.append(new_code_cell(source))
        cells.append(new_code_cell(f'check("{exercise_id}", {name})'))
    for n, cell in enumerate(cells):
        cell["id"] = f"demo-{n:03d}"
    return new_notebook(
        cells=cells,
        metadata={"kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}},
    )


def submission(
    nb: nbformat.NotebookNode,
    answers: dict[str, str] | None = None,
    checks: dict[str, str | None] | None = None,
    extra: str = "",
) -> nbformat.NotebookNode:
    """``nb`` with the solution cell of some exercises replaced, some check cells edited (None:
    deleted), and ``extra`` code run right after the setup cell."""
    nb = nbformat.from_dict(nb)
    answers, checks = answers or {}, checks or {}
    kept = []
    for cell in nb.cells:
        for exercise_id, source in answers.items():
            if cell.cell_type == "code" and cell.source.startswith(SOLUTIONS[exercise_id][0].splitlines()[0]):
                cell.source = source
        target = next((e for e in checks if cell.source == f'check("{e}", {SOLUTIONS[e][1]})'), None)
        if target is not None:
            if checks[target] is None:
                continue
            cell.source = checks[target]
        kept.append(cell)
    nb.cells = kept
    if extra:
        nb.cells.insert(2, new_code_cell(extra))
    return nb


def write(nb: nbformat.NotebookNode, path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, path)
    return path


def answered(
    learner: nbformat.NotebookNode, instructor: nbformat.NotebookNode, answers: dict[str, str] | None = None
) -> nbformat.NotebookNode:
    """``learner`` (a released notebook) with each exercise's answer cell as ``instructor`` has it,
    or as ``answers[exercise_id]`` says; the answer cell is the code cell before the exercise's
    check cell, found in ``learner`` by its cell id."""
    from cnnlessons.instructor.checkcells import check_ids

    answers = answers or {}
    code = [cell for cell in instructor.cells if cell.cell_type == "code"]
    wanted = {}
    for before, cell in zip(code, code[1:], strict=False):
        for exercise_id in check_ids(cell.source):
            wanted[before.id] = answers.get(exercise_id, before.source)
    nb = nbformat.from_dict(learner)
    found = [cell for cell in nb.cells if cell.get("id") in wanted]
    assert len(found) == len(wanted), "the learner's notebook lacks an answer cell of the instructor's"
    for cell in found:
        cell.source = wanted[cell.id]
    return nb
