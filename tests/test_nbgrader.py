"""``release --nbgrader``: an nbgrader course folder that nbgrader's own commands grade as it is.

The round trip runs real nbgrader (the ``nbgrader`` extra, which ``make test`` installs) on lesson
02, as on a JupyterHub: no ``CI`` and no ``CNNLESSONS_PROFILE`` in the environment, the settings
from the exported ``nbgrader_config.py`` only. Without nbgrader these tests are skipped, except
in CI, where they fail.
"""

from __future__ import annotations

import ast
import copy
import csv
import importlib.util
import os
import re
import subprocess
import sys
import threading
from pathlib import Path

import nbformat
import pytest
from grading_notebooks import answered, write
from nbformat.v4 import new_code_cell, new_notebook

from cnnlessons.__main__ import main
from cnnlessons.instructor.checkcells import check_ids
from cnnlessons.instructor.grade import grade
from cnnlessons.instructor.nbgrader import config_text, nbgrader_notebook
from cnnlessons.instructor.release import ANSWER, BEGIN, PREDICTION, release_notebook

REPO = Path(__file__).resolve().parents[1]
LESSON = REPO / "notebooks" / "02_vggnet.ipynb"
COURSE_NOTEBOOKS = sorted((REPO / "notebooks").glob("*.ipynb"))

needs_nbgrader = pytest.mark.skipif(
    importlib.util.find_spec("nbgrader") is None and not os.environ.get("CI"),
    reason="nbgrader is not installed (pip install -e '.[nbgrader]'; `make test` does)",
)

NO_BIAS = (
    "def conv_params(kernel_size: int, in_channels: int, out_channels: int, bias: bool = True) -> int:\n"
    "    return kernel_size * kernel_size * in_channels * out_channels"
)


def _hub_env(tmp_path: Path) -> dict[str, str]:
    """This environment as a JupyterHub's: no CI, no profile, the environment's scripts on PATH
    (nbgrader runs `alembic` by name), no user-level Jupyter config."""
    env = {k: v for k, v in os.environ.items() if k not in ("CI", "CNNLESSONS_PROFILE")}
    env["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), env.get("PATH", "")])
    env["JUPYTER_CONFIG_DIR"] = str(tmp_path / "jupyter-config")
    return env


def _nbgrader(course: Path, env: dict[str, str], *args: str) -> str:
    done = subprocess.run(
        [sys.executable, "-m", "nbgrader", *args],
        cwd=course,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, (
        f"nbgrader {' '.join(args)} failed:\n{done.stdout[-2000:]}\n{done.stderr[-4000:]}"
    )
    return done.stderr


def _without_nbgrader_metadata(nb: nbformat.NotebookNode) -> nbformat.NotebookNode:
    nb = copy.deepcopy(nb)
    for cell in nb.cells:
        for key in ("nbgrader", "deletable", "editable"):
            cell.metadata.pop(key, None)
    return nb


def test_every_lesson_gets_nbgraders_metadata():
    validator = None
    if importlib.util.find_spec("nbgrader") is not None:
        from nbgrader.nbgraderformat import MetadataValidator

        validator = MetadataValidator()
    for path in COURSE_NOTEBOOKS:
        original = nbformat.read(path, as_version=4)
        nb, exercises, _ = nbgrader_notebook(original, path.name)
        if validator is not None:
            validator.validate_nb(nb)  # nbgrader's own schema-3 check, unique grade ids included
        ids = set()
        for before, cell in zip(original.cells, nb.cells, strict=False):
            meta = cell.metadata.get("nbgrader")
            if cell.cell_type != "code":  # a mention of the markers gets a no-break space
                assert meta is None and cell.source.replace("\u00a0", " ") == before.source
                assert BEGIN not in cell.source
                continue
            if ANSWER in cell.metadata.get("tags", []):  # a question's answer: cleared, the learner's
                assert meta is None and cell.source == PREDICTION and cell.outputs == []
                continue
            assert meta["schema_version"] == 3 and re.fullmatch(r"[a-zA-Z0-9_-]+", meta["grade_id"])
            ids.add(meta["grade_id"])
            if BEGIN in before.source:
                assert (meta["solution"], meta["grade"], meta["locked"]) == (True, False, False), meta
                assert meta["grade_id"].endswith("-answer") and cell.outputs == []
            elif check_ids(before.source):
                assert (meta["solution"], meta["grade"], meta["locked"]) == (False, True, True), meta
                assert meta["points"] == len(check_ids(before.source))
                assert meta["grade_id"] == "-".join(check_ids(before.source)).replace(".", "-")
            else:
                assert (meta["solution"], meta["grade"], meta["locked"]) == (False, False, True), meta
                assert cell.outputs == before.outputs and cell.source == before.source
        assert len(ids) == sum(c.cell_type == "code" and "nbgrader" in c.metadata for c in nb.cells)
        assert exercises == [i for c in original.cells if c.cell_type == "code" for i in check_ids(c.source)]


def test_the_export_needs_no_nbgrader_and_its_config_only_sets_values():
    """``release --nbgrader`` runs without nbgrader; the config it writes imports the course's
    grading kernel and sets values: no class, function, loop or comprehension of its own."""
    blocked = "import sys; sys.modules['nbgrader'] = None; import cnnlessons.instructor.nbgrader"
    done = subprocess.run([sys.executable, "-c", blocked], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    tree = ast.parse(config_text())
    logic = (ast.ClassDef, ast.FunctionDef, ast.Lambda, ast.For, ast.While, ast.If, ast.comprehension)
    assert not [ast.unparse(n) for n in ast.walk(tree) if isinstance(n, logic)]
    assert all(isinstance(s, (ast.Import, ast.ImportFrom, ast.Assign, ast.Expr)) for s in tree.body)


@needs_nbgrader
def test_course_execute_profile_and_notebook_time_limit(tmp_path, monkeypatch):
    """The grading kernel runs the config's profile whatever the environment says, and the cells
    past the notebook's time limit fail without running: a check cell there scores 0."""
    from nbgrader.utils import determine_grade
    from traitlets.config import PyFileConfigLoader

    from cnnlessons.instructor.nbgrader_execute import CourseExecute

    (tmp_path / "nbgrader_config.py").write_text(
        config_text(profile="smoke", cell_timeout=30, notebook_timeout=5)
    )
    config = PyFileConfigLoader("nbgrader_config.py", str(tmp_path)).load_config()
    assert CourseExecute in config.Autograde.autograde_preprocessors
    monkeypatch.setenv("CNNLESSONS_PROFILE", "cpu")
    check = new_code_cell(
        "print('late')",
        metadata={
            "nbgrader": {
                "schema_version": 3,
                "grade": True,
                "solution": False,
                "locked": True,
                "grade_id": "late",
                "points": 1,
            }
        },
    )
    nb = new_notebook(
        cells=[
            new_code_cell("import os\nprint(os.environ['CNNLESSONS_PROFILE'])"),
            new_code_cell("import time\ntime.sleep(60)"),
            check,
        ],
        metadata={"kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}},
    )
    CourseExecute(config=config).preprocess(nb, {"metadata": {"path": str(tmp_path)}})
    assert nb.cells[0].outputs[0]["text"] == "smoke\n"
    assert nb.cells[1].outputs[-1]["ename"] == "CellTimeoutError"  # cut where the 5 s ran out
    assert [o["ename"] for o in nb.cells[2].outputs] == ["NotebookTimeoutError"]
    assert "the notebook's time limit (5 s) was used up" in nb.cells[2].outputs[0]["evalue"]
    assert determine_grade(nb.cells[2]) == (0, 1.0)  # nbgrader's own scoring of the cell


@needs_nbgrader
@pytest.mark.timeout(240)
def test_nbgrader_grades_the_export_as_cnnlessons_grade_does(tmp_path):
    from nbgrader.api import Gradebook

    course, env = tmp_path / "course", _hub_env(tmp_path)
    assert main(["release", str(course), "--nbgrader", str(LESSON)]) == 0
    assert sorted(p.relative_to(course).as_posix() for p in course.rglob("*")) == [
        "nbgrader_config.py",
        "source",
        "source/02_vggnet",
        "source/02_vggnet/02_vggnet.ipynb",
    ]

    _nbgrader(course, env, "generate_assignment", "02_vggnet")
    released = nbformat.read(course / "release" / "02_vggnet" / "02_vggnet.ipynb", as_version=4)
    instructor = nbformat.read(LESSON, as_version=4)
    ours, _, _ = release_notebook(instructor)
    # nbgrader's learner version is the course's own: same stubs, the stored outputs kept
    assert _without_nbgrader_metadata(released).cells == ours.cells

    students = {"ada": {}, "bob": {"vgg.conv_params": NO_BIAS}}
    for student, answers in students.items():
        learner = answered(released, instructor, answers)
        write(learner, course / "submitted" / student / "02_vggnet" / "02_vggnet.ipynb")
        write(learner, tmp_path / "submissions" / f"{student}.ipynb")
    # the course's own grader, meanwhile, in a thread (its kernels and nbgrader's wait a lot)
    records: list = []
    grading = threading.Thread(
        target=lambda: records.extend(
            grade(
                sorted((tmp_path / "submissions").glob("*.ipynb")),
                tmp_path / "grading",
                instructor=[LESSON],
                profile="smoke",
            )
        )
    )
    grading.start()
    try:
        _nbgrader(course, env, "autograde", "02_vggnet")
        _nbgrader(course, env, "export", "--to", str(tmp_path / "grades.csv"))
    finally:
        grading.join()

    rows = {r["student_id"]: r for r in csv.DictReader((tmp_path / "grades.csv").open(encoding="utf-8"))}
    assert {s: (float(r["score"]), float(r["max_score"])) for s, r in rows.items()} == {
        "ada": (3.0, 3.0),
        "bob": (2.0, 3.0),
    }
    for student in students:  # graded in the config's profile, with CI unset
        graded = nbformat.read(
            course / "autograded" / student / "02_vggnet" / "02_vggnet.ipynb", as_version=4
        )
        assert "profile 'smoke'" in graded.cells[1].outputs[0]["text"]

    exercises = [i for c in instructor.cells if c.cell_type == "code" for i in check_ids(c.source)]
    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gb:
        nbgrader_passed = {
            s: {
                e: gb.find_grade(e.replace(".", "-"), "02_vggnet", "02_vggnet", s).score == 1
                for e in exercises
            }
            for s in students
        }
    cnnlessons_passed = {
        Path(r.name).stem: {e: r.results[e].status == "passed" for e in exercises} for r in records
    }
    assert nbgrader_passed == cnnlessons_passed
    assert nbgrader_passed["bob"] == {
        "vgg.receptive_field": True,
        "vgg.conv_params": False,
        "vgg.vgg_block": True,
    }
