"""Release (solution regions -> stubs) and grading (run submissions, classify every exercise)."""

from __future__ import annotations

import csv
import importlib.util
import json
import os
import sys
from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output

from cnnlessons.__main__ import main
from cnnlessons.exercises import EXERCISES
from cnnlessons.instructor.grade import check_ids, grade
from cnnlessons.instructor.release import ReleaseError, release, release_notebook, strip_solutions

REPO = Path(__file__).resolve().parents[1]
COURSE_NOTEBOOKS = sorted((REPO / "notebooks").glob("*.ipynb"))

IDS = ["vgg.conv_params", "alexnet.conv_output_size", "densenet.out_channels", "vgg.receptive_field"]

SOLUTIONS = {
    "vgg.conv_params": (
        "def conv_params(kernel_size, in_channels, out_channels, bias=True):\n"
        '    """Weights and biases of one convolution."""\n'
        "    ### BEGIN SOLUTION\n"
        "    weights = kernel_size * kernel_size * in_channels * out_channels\n"
        "    return weights + (out_channels if bias else 0)\n"
        "    ### END SOLUTION",
        "conv_params",
    ),
    "alexnet.conv_output_size": (
        "def conv_output_size(size, kernel_size, stride=1, padding=0):\n"
        "    ### BEGIN SOLUTION\n"
        "    return (size + 2 * padding - kernel_size) // stride + 1\n"
        "    ### END SOLUTION",
        "conv_output_size",
    ),
    "densenet.out_channels": (
        "def out_channels(in_channels, num_layers, growth_rate):\n"
        "    ### BEGIN SOLUTION\n"
        "    return in_channels + num_layers * growth_rate\n"
        "    ### END SOLUTION",
        "out_channels",
    ),
    "vgg.receptive_field": (
        "def receptive_field(num_layers, kernel_size=3):\n"
        "    ### BEGIN SOLUTION\n"
        "    field = 1\n"
        "    for _ in range(num_layers):\n"
        "        field += kernel_size - 1\n"
        "    return field\n"
        "    ### END SOLUTION",
        "receptive_field",
    ),
}

PASS_LINES = {
    "vgg.conv_params": "✔ vgg.conv_params: passed (46 cases)\n",
    "alexnet.conv_output_size": "✔ alexnet.conv_output_size: passed (48 cases)\n",
    "densenet.out_channels": "✔ densenet.out_channels: passed (44 cases)\n",
    "vgg.receptive_field": "✔ vgg.receptive_field: passed (46 cases)\n",
}


def instructor_notebook() -> nbformat.NotebookNode:
    cells = [
        new_markdown_cell("# Exercises\n\nThe markers `### BEGIN SOLUTION` are explained here."),
        new_code_cell("from cnnlessons import check", execution_count=1),
    ]
    for n, exercise_id in enumerate(IDS):
        source, name = SOLUTIONS[exercise_id]
        cells.append(
            new_code_cell(
                source,
                execution_count=2 + 2 * n,
                outputs=[new_output("stream", name="stdout", text="defined\n")],
            )
        )
        cells.append(
            new_code_cell(
                f'check("{exercise_id}", {name})',
                execution_count=3 + 2 * n,
                outputs=[new_output("stream", name="stdout", text=PASS_LINES[exercise_id])],
            )
        )
    cells.append(new_markdown_cell("The end."))
    return new_notebook(
        cells=cells,
        metadata={"kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}},
    )


def _write(nb, path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, path)
    return path


def _with_answers(nb, answers: dict[str, str]) -> nbformat.NotebookNode:
    """A submission: the released notebook with some solution cells replaced."""
    nb = nbformat.from_dict(nb)
    for cell in nb.cells:
        for exercise_id, source in answers.items():
            name = SOLUTIONS[exercise_id][1]
            if cell.cell_type == "code" and cell.source.startswith(f"def {name}("):
                cell.source = source
    return nb


# --- release ---------------------------------------------------------------------------------


def test_strip_solutions_keeps_the_region_indentation():
    source, indents = strip_solutions(SOLUTIONS["vgg.conv_params"][0])
    assert source == (
        "def conv_params(kernel_size, in_channels, out_channels, bias=True):\n"
        '    """Weights and biases of one convolution."""\n'
        "    raise NotImplementedError()"
    )
    assert indents == ["    "]
    nested = (
        "class Block:\n    def __init__(self):\n        super().__init__()\n"
        "        ### BEGIN SOLUTION\n        self.a = 1\n        ### END SOLUTION\n\n"
        "    def forward(self, x):\n        ### BEGIN SOLUTION\n        return x\n        ### END SOLUTION\n"
        "answer = Block\n"
    )
    source, indents = strip_solutions(nested)
    assert source == (
        "class Block:\n    def __init__(self):\n        super().__init__()\n"
        "        raise NotImplementedError()\n\n"
        "    def forward(self, x):\n        raise NotImplementedError()\n"
        "answer = Block\n"
    )
    assert indents == ["        ", "        "]
    compile(source, "released", "exec")


@pytest.mark.parametrize(
    "source, fragment",
    [
        ("### BEGIN SOLUTION\nx = 1\n", "'### BEGIN SOLUTION' on line 2 has no '### END SOLUTION'"),
        ("x = 1\n### END SOLUTION\n", "'### END SOLUTION' on line 3 without"),
        (
            "### BEGIN SOLUTION\n### BEGIN SOLUTION\n### END SOLUTION\n",
            "on line 3 inside the solution region opened on line 2",
        ),
    ],
)
def test_unbalanced_markers_name_the_notebook_and_cell(tmp_path, source, fragment):
    nb = instructor_notebook()
    nb.cells[4].source = "def conv_output_size(size, kernel_size):\n" + source
    path = _write(nb, tmp_path / "nb" / "02_bad.ipynb")
    with pytest.raises(ReleaseError) as info:
        release(tmp_path / "out", [path])
    message = str(info.value)
    assert (
        fragment in message and "02_bad.ipynb, cell 4 ('def conv_output_size(size, kernel_size):')" in message
    )
    assert not (tmp_path / "out").exists()


def test_release_replaces_solutions_and_keeps_the_rest(tmp_path, capsys):
    source = _write(instructor_notebook(), tmp_path / "notebooks" / "02_demo.ipynb")
    assert main(["release", str(tmp_path / "release"), str(source)]) == 0
    assert "(4 solution regions replaced)" in capsys.readouterr().out
    original = nbformat.read(source, as_version=4)
    released = nbformat.read(tmp_path / "release" / "02_demo.ipynb", as_version=4)
    assert len(released.cells) == len(original.cells)
    for before, after in zip(original.cells, released.cells, strict=False):
        if before.cell_type == "code" and "### BEGIN SOLUTION" in before.source:
            assert "### BEGIN SOLUTION" not in after.source and "raise NotImplementedError()" in after.source
            assert after.source.splitlines()[0] == before.source.splitlines()[0]  # the def line stays
            assert after.outputs == [] and after.execution_count is None
            assert after.get("id") == before.get("id")
        else:
            assert after == before  # markdown, imports and check cells with their passing outputs
    assert released.cells[3].outputs[0]["text"] == PASS_LINES["vgg.conv_params"]
    assert "### BEGIN SOLUTION" in released.cells[0].source  # markdown is not touched


def test_release_warns_about_top_level_regions_and_unknown_ids():
    nb = instructor_notebook()
    nb.cells.append(new_code_cell("### BEGIN SOLUTION\ntechniques = {}\n### END SOLUTION"))
    nb.cells.append(new_code_cell('check("vgg.conv_param", conv_params)'))
    released, regions, warnings = release_notebook(nb, "demo.ipynb")
    assert regions == 5
    assert released.cells[-2].source == "raise NotImplementedError()"
    assert any("top level" in w and "cell 11" in w for w in warnings)
    assert any("'vgg.conv_param'" in w for w in warnings)


def test_release_refuses_to_overwrite_the_source(tmp_path):
    source = _write(instructor_notebook(), tmp_path / "02_demo.ipynb")
    with pytest.raises(ReleaseError, match="holds the instructor notebook"):
        release(tmp_path, [source])
    with pytest.raises(ReleaseError, match="holds the instructor notebook"):
        release(tmp_path.parent, [source], force=True)  # --force never replaces a folder above them
    assert source.exists()


# --- grade -----------------------------------------------------------------------------------


def test_check_ids_only_of_check_cells():
    assert check_ids("check(\"vgg.conv_params\", f)  # mine\n\ncheck(\n  'a.b', g)") == [
        "vgg.conv_params",
        "a.b",
    ]
    assert check_ids("from cnnlessons import check") == []
    # a cell that shows a failing check is not a check cell
    assert check_ids('try:\n    check("vgg.conv_params", f)\nexcept ExerciseFailed as e:\n    print(e)') == []
    assert check_ids('check("vgg.conv_params", f)\nprint(1)') == []
    assert check_ids('check("vgg.conv_params", f)\n%time x = 1') == []


def test_grade_classifies_every_exercise(tmp_path, capsys, monkeypatch):
    instructor = instructor_notebook()
    released, _, _ = release_notebook(instructor)
    submissions = tmp_path / "submissions"
    _write(instructor, submissions / "alice.ipynb")  # everything right
    _write(released, submissions / "bob.ipynb")  # handed back untouched
    _write(
        _with_answers(
            released,
            {  # a wrong answer, an endless loop, a crash, one right
                "vgg.conv_params": "def conv_params(kernel_size, in_channels, out_channels, bias=True):\n"
                "    return kernel_size * kernel_size * in_channels * out_channels",
                "alexnet.conv_output_size": "def conv_output_size(size, kernel_size, stride=1, padding=0):\n"
                "    while True:\n        pass",
                "densenet.out_channels": (
                    "def out_channels(in_channels, num_layers, growth_rate):\n    return 1 / 0"
                ),
                "vgg.receptive_field": SOLUTIONS["vgg.receptive_field"][0],
            },
        ),
        submissions / "carol.ipynb",
    )
    _write(
        _with_answers(
            released,
            {  # the kernel dies, then a loop that ignores interrupts
                "vgg.conv_params": "import os\ndef conv_params(*args, **kwargs):\n    os._exit(1)",
                "alexnet.conv_output_size": "import signal, time\n"
                "def conv_output_size(*args, **kwargs):\n"
                "    signal.signal(signal.SIGINT, signal.SIG_IGN)\n"
                "    while True:\n        time.sleep(1)",
                "densenet.out_channels": SOLUTIONS["densenet.out_channels"][0],
            },
        ),
        submissions / "dave.ipynb",
    )

    out = tmp_path / "grading"
    monkeypatch.setattr("cnnlessons.instructor.kernelrun.GRACE_S", 3)
    teacher = _write(instructor, tmp_path / "instructor" / "demo.ipynb")
    assert (
        main(
            [
                "grade",
                str(submissions),
                "--out",
                str(out),
                "--timeout",
                "12",
                "--jobs",
                "2",
                "--instructor",
                str(teacher),
            ]
        )
        == 0
    )
    printed = capsys.readouterr().out

    rows = {
        Path(r["submission"]).stem: r for r in csv.DictReader((out / "gradebook.csv").open(encoding="utf-8"))
    }
    assert list(rows) == ["alice", "bob", "carol", "dave"]
    header = (out / "gradebook.csv").read_text(encoding="utf-8").splitlines()[0]
    assert header == (
        "submission,alexnet.conv_output_size,vgg.receptive_field,vgg.conv_params,"
        "densenet.out_channels,passed,details"
    )
    assert {k: rows["alice"][k] for k in IDS} == dict.fromkeys(IDS, "passed")
    assert rows["alice"]["passed"] == "4/4" and rows["alice"]["details"] == ""
    assert {k: rows["bob"][k] for k in IDS} == dict.fromkeys(IDS, "not attempted")
    assert rows["bob"]["passed"] == "0/4" and rows["bob"]["details"] == ""

    carol = rows["carol"]
    assert [carol[k] for k in IDS] == ["failed", "failed", "failed", "passed"]
    assert carol["passed"] == "1/4"
    assert "vgg.conv_params: conv_params(3, 64, 64) returned 36864" in carol["details"]
    assert "alexnet.conv_output_size: the check cell ran over the time limit (12 s)" in carol["details"]
    assert "densenet.out_channels: out_channels(64, 6, 32) raised ZeroDivisionError" in carol["details"]

    dave = rows["dave"]
    assert [dave[k] for k in IDS] == ["failed", "failed", "passed", "not attempted"]
    assert "vgg.conv_params: the check cell killed the kernel" in dave["details"]
    assert "alexnet.conv_output_size: the check cell ran over the time limit" in dave["details"]
    assert "could not be interrupted; the kernel was restarted" in dave["details"]

    markdown = (out / "gradebook.md").read_text(encoding="utf-8")
    assert markdown in printed
    lines = markdown.splitlines()
    assert lines[0] == (
        "| submission | `alexnet.conv_output_size` | `vgg.receptive_field` | `vgg.conv_params` "
        "| `densenet.out_channels` | passed | details |"
    )
    assert lines[2].endswith("| passed | passed | passed | passed | 4/4 |  |")
    assert len(lines) == 6
    executed = sorted(p.name for p in (out / "executed").glob("*.ipynb"))
    assert len(executed) == 4 and any("alice" in name for name in executed)


def test_grade_stops_at_the_notebook_time_limit(tmp_path):
    nb = instructor_notebook()
    nb.cells.insert(2, new_code_cell("import time\ntime.sleep(60)"))
    path = _write(nb, tmp_path / "slow.ipynb")
    teacher = _write(instructor_notebook(), tmp_path / "instructor" / "demo.ipynb")
    [submission] = grade([path], tmp_path / "grading", timeout=30, total_timeout=8, instructor=[teacher])
    assert {r.status for r in submission.results.values()} == {"failed"}
    details = submission.results["vgg.receptive_field"].details
    assert "was not run: the notebook's time limit (8 s) was used up" in details


# --- the course's own notebooks --------------------------------------------------------------

BROWSER_LESSONS = "tests/browser/test_lab.py::test_lesson_runs_and_its_explorers_respond"


def _run_in_the_browser(session: pytest.Session) -> bool:
    """Whether this session's browser test runs the released lessons in JupyterLab (and checks
    the same there): it is collected, and it can run here (or must: CNNLESSONS_REQUIRE_BROWSER)."""
    if not any(item.nodeid.startswith(BROWSER_LESSONS) for item in session.items):
        return False
    if os.environ.get("CNNLESSONS_REQUIRE_BROWSER") == "1":
        return True
    jlab = sys.modules.get("jlab")
    if jlab is None:
        spec = importlib.util.spec_from_file_location("jlab", REPO / "tests" / "browser" / "jlab.py")
        jlab = sys.modules["jlab"] = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(jlab)
    return jlab.missing_browser_tools() is None


@pytest.mark.skipif(not COURSE_NOTEBOOKS, reason="no notebooks/*.ipynb yet")
@pytest.mark.parametrize("notebook", COURSE_NOTEBOOKS, ids=lambda p: p.stem)
def test_released_course_notebooks_fail_only_at_checks(notebook, tmp_path, monkeypatch, request):
    from nbclient import NotebookClient

    if _run_in_the_browser(request.session):  # one run of each released lesson serves both
        pytest.skip("the browser test runs this released notebook in JupyterLab and checks it there")

    [item] = release(tmp_path, [notebook])
    nb = nbformat.read(item.target, as_version=4)
    monkeypatch.setenv("CNNLESSONS_PROFILE", "smoke")
    NotebookClient(
        nb,
        timeout=600,
        kernel_name="python3",
        allow_errors=True,
        resources={"metadata": {"path": str(notebook.parent)}},
    ).execute()
    check_cells = {i for i, c in enumerate(nb.cells) if c.cell_type == "code" and check_ids(c.source)}
    errors = {
        i: o
        for i, c in enumerate(nb.cells)
        if c.cell_type == "code"
        for o in c.outputs
        if o.output_type == "error"
    }
    assert set(errors) == check_cells, {
        i: (e.ename, e.evalue) for i, e in errors.items() if i not in check_cells
    }
    for index, error in errors.items():
        assert error.ename == "NotAttempted" and "not attempted" in error.evalue, (index, error.evalue)
    ids = {i for c in nb.cells if c.cell_type == "code" for i in check_ids(c.source)}
    assert ids <= set(EXERCISES)


def test_grade_from_inside_a_running_event_loop(tmp_path):
    """As in a Jupyter cell, or beside Playwright's sync API: asyncio.run would refuse there."""
    import asyncio

    path = _write(instructor_notebook(), tmp_path / "done.ipynb")

    async def inside_a_loop():
        return grade([path], tmp_path / "grading", timeout=60, instructor=[path])

    import threading

    found = []  # a thread of its own, so that no other loop of this process is in the way
    worker = threading.Thread(target=lambda: found.extend(asyncio.run(inside_a_loop())))
    worker.start()
    worker.join()
    [submission] = found
    assert {r.status for r in submission.results.values()} == {"passed"}, submission.notes


def test_a_released_notebook_installs_the_course_it_was_released_with(tmp_path, capsys, monkeypatch):
    from cnnlessons import course

    notebook = REPO / "notebooks" / "00_start_here.ipynb"
    setup = next(c.source for c in nbformat.read(notebook, as_version=4).cells if c.cell_type == "code")
    assert setup == course.setup_cell_source()  # the stored notebook installs its version's tag
    assert f'git+{course.REPOSITORY}@v{course.VERSION}"' in setup

    [item] = release(tmp_path / "pinned", [notebook], ref="0123abcd")
    released = next(c.source for c in nbformat.read(item.target, as_version=4).cells if c.cell_type == "code")
    assert released == course.setup_cell_source("0123abcd")

    # without a ref, the commit pip installed the course from
    monkeypatch.setattr(course, "installed_ref", lambda: "feedbeef")
    assert main(["release", str(tmp_path / "default"), str(notebook)]) == 0
    assert "the setup cells install cnnlessons at feedbeef" in capsys.readouterr().out
    default = nbformat.read(tmp_path / "default" / notebook.name, as_version=4)
    setups = [c.source for c in default.cells if c.cell_type == "code"][:1]
    assert setups == [course.setup_cell_source("feedbeef")]


def test_the_installed_ref_is_the_commit_pip_recorded_else_the_tag(monkeypatch):
    from importlib import metadata

    from cnnlessons import course

    class Installed:
        def __init__(self, text):
            self.text = text

        def read_text(self, name):
            return self.text if name == "direct_url.json" else None

    vcs = json.dumps({"url": course.REPOSITORY, "vcs_info": {"vcs": "git", "commit_id": "abc"}})
    monkeypatch.setattr(metadata, "distribution", lambda name: Installed(vcs))
    assert course.installed_ref() == "abc"
    monkeypatch.setattr(metadata, "distribution", lambda name: Installed('{"dir_info": {"editable": true}}'))
    assert course.installed_ref() == f"v{course.VERSION}"
    monkeypatch.setattr(metadata, "distribution", lambda name: Installed(None))
    assert course.installed_ref() == f"v{course.VERSION}"
