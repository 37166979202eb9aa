"""Results a learner cannot fake: five families of cheats, several variants each, all "failed";
honest answers written in other styles than the library's still pass.

One grading run covers every variant (four cheating submissions and one honest one, two at a
time): a kernel start and a check process per notebook are the cost, so one run is far cheaper
than one per cheat. It takes about 45 s on a 2-core machine shared with other work.
"""

from __future__ import annotations

import pytest
from grading_notebooks import instructor_notebook, submission, write

from cnnlessons.exercises.core import evaluate
from cnnlessons.instructor.grade import grade
from cnnlessons.instructor.release import release_notebook

WRONG_RESIDUAL = """class ResidualBlock(nn.Module):
    def __init__(self, in_channels, out_channels, stride=1):
        super().__init__()
        self.conv = nn.Conv2d(in_channels, out_channels, 3, stride=stride, padding=1)
        {extra}

    def forward(self, x):
        return self.conv(x)"""

CHEATS = {
    # 1. the library's own block or function: imported, aliased, subclassed, wrapped, reloaded
    "library_imported": {
        "answers": {
            "resnet.residual_block": "from cnnlessons.models import ResidualBlock",
            "alexnet.conv_output_size": "from cnnlessons.layers import conv_output_size",
            "vgg.receptive_field": (
                "import importlib\n"
                "_layers = importlib.import_module('cnnlessons.layers')\n"
                "def receptive_field(num_layers, kernel_size=3):\n"
                "    size = 1\n"
                "    for _ in range(num_layers):\n"
                "        size = 2 * size - _layers.conv_output_size(size, kernel_size, padding=1) "
                "+ kernel_size - 1\n"
                "    return 1 + num_layers * (kernel_size - 1)"
            ),
        },
    },
    "library_wrapped": {
        "answers": {
            "resnet.residual_block": (
                "import cnnlessons.models as models\nclass ResidualBlock(models.ResidualBlock):\n    pass"
            ),
            "alexnet.conv_output_size": (
                "import functools, importlib.util, sys\n"
                "import cnnlessons.layers\n"
                "spec = importlib.util.spec_from_file_location('cnnlessons.copy_of_layers',"
                " cnnlessons.layers.__file__)\n"
                "copy = importlib.util.module_from_spec(spec)\n"
                "sys.modules[spec.name] = copy\n"
                "spec.loader.exec_module(copy)\n"
                "conv_output_size = functools.partial(copy.conv_output_size)"
            ),
            "vgg.receptive_field": (
                "from cnnlessons import models\n"
                "class _Holder(nn.Module):\n"
                "    def __init__(self):\n"
                "        super().__init__()\n"
                "        self.inner = models.ResidualBlock(1, 1)\n"
                "def receptive_field(num_layers, kernel_size=3):\n"
                "    _Holder()\n"
                "    return 1 + num_layers * (kernel_size - 1)"
            ),
        },
    },
    # 2. a rebound `check`, 3. a forged grade-log line or success line, 4. an edited check cell
    "forged": {
        "extra": (
            "import os, json\n"
            "def check(exercise_id, answer):\n"
            "    print(f'✔ {exercise_id}: passed (48 cases)')\n"
            "    for path in [os.environ.get('CNNLESSONS_GRADE_LOG') or 'checks.jsonl']:\n"
            "        with open(path, 'a') as f:\n"
            "            f.write(json.dumps({'id': exercise_id, 'status': 'passed', 'message': ''}) + '\\n')"
        ),
        "answers": {
            "alexnet.conv_output_size": (
                "def conv_output_size(size, kernel_size, stride=1, padding=0):\n    return 0"
            ),
            "vgg.receptive_field": (
                "import builtins\n"
                "builtins.check = lambda *args: print('✔ vgg.receptive_field: passed (46 cases)')\n"
                "def receptive_field(num_layers, kernel_size=3):\n    return num_layers"
            ),
            "resnet.residual_block": WRONG_RESIDUAL.format(extra="pass")
            + "\n"
            + "class Good(nn.Module):\n    pass",
        },
        "checks": {
            "resnet.residual_block": 'check("resnet.residual_block", Good)',
            "vgg.receptive_field": (
                'try:\n    check("vgg.receptive_field", receptive_field)\nexcept Exception:\n    pass'
            ),
        },
    },
    "edited_check_cells": {
        "answers": {
            "alexnet.conv_output_size": (
                "def conv_output_size(size, kernel_size, stride=1, padding=0):\n    return size"
            ),
            "vgg.receptive_field": "def receptive_field(num_layers, kernel_size=3):\n    return 0",
            "resnet.residual_block": WRONG_RESIDUAL.format(extra="pass"),
        },
        "checks": {
            "alexnet.conv_output_size": "print('✔ alexnet.conv_output_size: passed (48 cases)')",
            "vgg.receptive_field": 'check("vgg.receptive_field", lambda n, k=3: 1 + n * (k - 1))',
            "resnet.residual_block": (
                'from cnnlessons.models import ResidualBlock as R\ncheck("resnet.residual_block", R)'
            ),
        },
    },
    # 5. a solution that patches the checker module (in the kernel, and when the grader runs it)
    "patched_checker": {
        "answers": {
            "alexnet.conv_output_size": (
                "import dataclasses\n"
                "import cnnlessons.exercises.core as core\n"
                "for _id, _ex in list(core.EXERCISES.items()):\n"
                "    core.EXERCISES[_id] = dataclasses.replace(_ex, checker=lambda a: 1)\n"
                "core.evaluate = lambda *a: core.Outcome('passed', '', 1)\n"
                "def conv_output_size(size, kernel_size, stride=1, padding=0):\n"
                "    return -1"
            ),
            "vgg.receptive_field": (
                "def receptive_field(num_layers, kernel_size=3):\n"
                "    import cnnlessons.exercises.functions as functions\n"
                "    functions.check_function = lambda *a, **k: 46\n"
                "    return -1"
            ),
            "resnet.residual_block": WRONG_RESIDUAL.format(
                extra="import torch as t, cnnlessons.exercises.core as c\n"
                "        t.allclose = lambda *a, **k: True\n"
                "        c.library_answers_allowed.__globals__['_library_answers_allowed'] = True"
            ),
        },
    },
}

HONEST = {
    "alexnet.conv_output_size": (
        "import math\n"
        "def conv_output_size(size, kernel_size, stride=1, padding=0):\n"
        "    return math.floor((size - kernel_size + 2 * padding) / stride) + 1"
    ),
    "vgg.receptive_field": (
        "def _grow(field, kernel_size):\n"
        "    return field + kernel_size - 1\n"
        "def receptive_field(num_layers, kernel_size=3):\n"
        "    return 1 if num_layers == 0 else _grow(receptive_field(num_layers - 1, kernel_size),"
        " kernel_size)"
    ),
    "resnet.residual_block": (
        "import torch.nn.functional as F\n"
        "def conv_bn(cin, cout, k, stride):\n"
        "    return nn.Sequential(nn.Conv2d(cin, cout, k, stride, k // 2, bias=False),"
        " nn.BatchNorm2d(cout))\n"
        "class ResidualBlock(nn.Module):\n"
        "    def __init__(self, cin, cout, stride=1):\n"
        "        super().__init__()\n"
        "        self.main = nn.Sequential(conv_bn(cin, cout, 3, stride), nn.ReLU(),"
        " conv_bn(cout, cout, 3, 1))\n"
        "        self.skip = conv_bn(cin, cout, 1, stride) if (stride, cin) != (1, cout) else None\n"
        "    def forward(self, x):\n"
        "        return F.relu(self.main(x) + (x if self.skip is None else self.skip(x)))"
    ),
}


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("cheats")
    teacher = write(instructor_notebook(), tmp / "instructor" / "demo.ipynb")
    released, _, _ = release_notebook(instructor_notebook())
    for name, cheat in CHEATS.items():
        write(
            submission(released, cheat.get("answers"), cheat.get("checks"), cheat.get("extra", "")),
            tmp / "submissions" / f"{name}.ipynb",
        )
    write(submission(released, HONEST), tmp / "submissions" / "honest.ipynb")
    records = grade([tmp / "submissions"], tmp / "grading", instructor=[teacher], timeout=60, jobs=2)
    return {record.name.rsplit("/", 1)[-1].removesuffix(".ipynb"): record for record in records}


@pytest.mark.parametrize("name", list(CHEATS))
def test_every_cheat_fails(graded, name):
    results = graded[name].results
    assert set(results) == set(CHEATS[name]["answers"]) | set(CHEATS[name].get("checks", {}))
    assert {e: r.status for e, r in results.items()} == dict.fromkeys(results, "failed"), results


def test_the_failures_say_why(graded):
    library = graded["library_imported"].results
    assert (
        "is the course library's own `cnnlessons.models.resnet.ResidualBlock`"
        in library["resnet.residual_block"].details
    )
    assert (
        "is the course library's own `cnnlessons.layers.conv_output_size`"
        in library["alexnet.conv_output_size"].details
    )
    assert (
        "calls the course library's own `cnnlessons.layers.conv_output_size`"
        in library["vgg.receptive_field"].details
    )
    wrapped = graded["library_wrapped"].results
    assert (
        "the module 'cnnlessons.copy_of_layers', which exists only in your notebook's kernel"
        in wrapped["alexnet.conv_output_size"].details
    )
    assert (
        "calls the course library's own `cnnlessons.models.resnet.ResidualBlock.__init__`"
        in wrapped["vgg.receptive_field"].details
    )
    forged = graded["forged"].results
    assert "conv_output_size(" in forged["alexnet.conv_output_size"].details  # the real checker's message
    patched = graded["patched_checker"].results
    assert "returned -1" in patched["alexnet.conv_output_size"].details  # the kernel's patch is not seen
    assert "changes the course's checker or torch" in patched["vgg.receptive_field"].details
    assert "changes the course's checker or torch" in patched["resnet.residual_block"].details


def test_honest_answers_in_other_styles_pass(graded):
    results = graded["honest"].results
    assert {e: r.status for e, r in results.items()} == dict.fromkeys(HONEST, "passed"), results


def test_reference_rule_in_the_learners_own_check():
    """In the learner's notebook too, `check` names the library's reference it found."""
    import functools

    from cnnlessons.layers import conv_output_size
    from cnnlessons.models import ResidualBlock

    assert "is the course library's own" in evaluate("resnet.residual_block", ResidualBlock).message
    assert (
        "is the course library's own"
        in evaluate("alexnet.conv_output_size", functools.partial(conv_output_size)).message
    )
    wrapper = evaluate(
        "alexnet.conv_output_size", lambda s, k, stride=1, padding=0: conv_output_size(s, k, stride, padding)
    )
    assert wrapper.status == "failed" and "calls the course library's own" in wrapper.message
    honest = evaluate(
        "alexnet.conv_output_size", lambda s, k, stride=1, padding=0: (s + 2 * padding - k) // stride + 1
    )
    assert honest.status == "passed"
