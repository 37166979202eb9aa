"""Every command under bad input: one sentence naming the argument, a non-zero exit, no traceback,
nothing written; release never touches the instructor notebooks and writes its output whole.

No notebook is executed here: each case fails before a kernel would start (well under a second).
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
from grading_notebooks import instructor_notebook, write

from cnnlessons.__main__ import main
from cnnlessons.instructor import gradebook

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture
def files(tmp_path):
    teacher = write(instructor_notebook(), tmp_path / "instructor" / "demo.ipynb")
    (tmp_path / "notes.txt").write_text("not a notebook")
    (tmp_path / "empty").mkdir()
    (tmp_path / "broken.ipynb").write_text("{ not json")
    (tmp_path / "a_file").write_text("x")
    return tmp_path, teacher


def _one_sentence(capsys, argv, fragment: str) -> str:
    code = main(argv)
    captured = capsys.readouterr()
    lines = captured.err.strip().splitlines()
    assert code != 0, captured
    assert len(lines) == 1 and "Traceback" not in captured.err and captured.out == "", captured
    assert fragment in lines[0], lines[0]
    return lines[0]


def test_grade_refuses_bad_input_in_one_sentence(files, capsys):
    tmp, teacher = files
    out = tmp / "out"
    base = ["--instructor", str(teacher), "--out", str(out)]
    cases = [
        (["grade", "/no/such/path", *base], "grade: SUBMISSION '/no/such/path' does not exist"),
        (["grade", str(tmp / "notes.txt"), *base], "is not a notebook: expected an .ipynb file or a folder"),
        (["grade", str(tmp / "empty"), *base], "holds no .ipynb notebooks"),
        (["grade", str(teacher), "--instructor", str(tmp / "nowhere")], "--instructor '"),
        (["grade", str(teacher), *base, "--shard", "3/2"], "--shard must be K/N with 1 <= K <= N"),
        (["grade", str(teacher), *base, "--jobs", "0"], "--jobs must be an integer >= 1"),
        (
            ["grade", str(teacher), "--instructor", str(teacher), "--out", str(tmp / "a_file" / "out")],
            "cannot be written",
        ),
        (["grade", str(teacher), "--instructor", str(tmp / "broken.ipynb")], "is not a readable notebook"),
    ]
    for argv, fragment in cases:
        _one_sentence(capsys, argv, fragment)
    assert not out.exists()  # nothing written by a refused run


def test_grade_refuses_an_existing_gradebook(files, capsys):
    tmp, teacher = files
    out = tmp / "out"
    out.mkdir()
    (out / "gradebook.csv").write_text("submission\n")
    _one_sentence(
        capsys,
        ["grade", str(teacher), "--instructor", str(teacher), "--out", str(out)],
        "already holds a gradebook; pass --resume to go on with it or --force to grade everything again",
    )


def test_unreadable_notebooks_give_a_well_formed_table(files, capsys):
    tmp, teacher = files
    folder = tmp / "unreadable"
    folder.mkdir()
    (folder / "a.ipynb").write_text("{ not json")
    (folder / "b.ipynb").write_bytes(b"\xff\xfe")
    assert main(["grade", str(folder), "--instructor", str(teacher), "--out", str(tmp / "out")]) == 0
    table = (tmp / "out" / "gradebook.md").read_text(encoding="utf-8").splitlines()
    assert [line.count(" | ") for line in table] == [2, 2, 2, 2]  # submission | passed | details
    assert "could not read the notebook" in table[2]


def test_release_refuses_bad_input_in_one_sentence(files, capsys):
    tmp, teacher = files
    cases = [
        (
            ["release", str(tmp / "r1"), str(tmp / "broken.ipynb")],
            "NOTEBOOK '" + str(tmp / "broken.ipynb") + "' is not a readable notebook",
        ),
        (["release", str(tmp / "r2"), str(tmp / "missing.ipynb")], "does not exist"),
        (["release", str(tmp / "r3"), str(tmp / "notes.txt")], "is not a notebook: expected an .ipynb file"),
        (["release", str(tmp / "a_file" / "out"), str(teacher)], "cannot be written"),
        (["release", str(teacher.parent), str(teacher), "--force"], "holds the instructor notebook"),
        (["release", str(tmp), str(teacher), "--force"], "holds the instructor notebook"),
        (
            ["release", str(tmp / "r4"), str(teacher), "--classroom", str(teacher.parent)],
            "--classroom '" + str(teacher.parent) + "' holds the instructor notebook",
        ),
    ]
    for argv, fragment in cases:
        _one_sentence(capsys, argv, fragment)
    assert nbformat.read(teacher, as_version=4) == instructor_notebook()
    assert not any((tmp / name).exists() for name in ("r1", "r2", "r3", "r4"))


def test_release_nbgrader_refuses_bad_input_in_one_sentence(files, capsys):
    from nbformat.v4 import new_code_cell, new_notebook

    tmp, teacher = files
    plain = write(new_notebook(cells=[new_code_cell("x = 1")]), tmp / "plain.ipynb")
    stray = instructor_notebook()
    stray.cells.insert(2, new_code_cell('print("### BEGIN SOLUTION goes above your answer")'))
    stray = write(stray, tmp / "stray" / "demo.ipynb")
    mixed = instructor_notebook()
    mixed.cells[3].source = "### BEGIN SOLUTION\n" + mixed.cells[3].source + "\n### END SOLUTION"
    mixed = write(mixed, tmp / "mixed" / "demo.ipynb")
    existing = tmp / "course"
    existing.mkdir()
    (existing / "notes.txt").write_text("mine")
    graded = tmp / "graded"
    graded.mkdir()
    (graded / "gradebook.db").write_text("")
    cases = [
        (
            ["release", str(existing), "--nbgrader", str(teacher)],
            "OUT_DIR '" + str(existing) + "' already exists; pass --force to replace it",
        ),
        (["release", str(tmp / "n1"), "--nbgrader", str(tmp / "broken.ipynb")], "is not a readable notebook"),
        (
            ["release", str(tmp / "n2"), "--nbgrader", str(plain)],
            "NOTEBOOK '" + str(plain) + "' has no exercises",
        ),
        (["release", str(tmp / "n3"), "--nbgrader", str(stray)], "cell 2 ('print(\"### BEGIN SOLUTION goes"),
        (
            ["release", str(tmp / "n5"), "--nbgrader", str(mixed)],
            "cell 3 ('### BEGIN SOLUTION'): a check cell holds a solution region",
        ),
        (
            ["release", str(graded), "--nbgrader", "--force", str(teacher)],
            "holds nbgrader's grading data (gradebook.db), which --force would delete",
        ),
        (
            ["release", str(tmp / "n4"), str(teacher), "--nbgrader", "--classroom", str(tmp / "c")],
            "--classroom and --nbgrader",
        ),
    ]
    for argv, fragment in cases:
        _one_sentence(capsys, argv, fragment)
    assert not any((tmp / name).exists() for name in ("n1", "n2", "n3", "n4", "n5", "c"))  # nothing written
    assert [p.name for p in existing.iterdir()] == ["notes.txt"]
    assert [p.name for p in graded.iterdir()] == ["gradebook.db"]


def test_release_replaces_an_existing_folder_only_when_forced(files, capsys):
    tmp, teacher = files
    out = tmp / "release"
    assert main(["release", str(out), str(teacher)]) == 0
    capsys.readouterr()
    (out / "mine.txt").write_text("kept until --force")
    _one_sentence(capsys, ["release", str(out), str(teacher)], "already exists; pass --force to replace it")
    assert (out / "mine.txt").exists()
    assert main(["release", str(out), str(teacher), "--force"]) == 0
    assert sorted(p.name for p in out.iterdir()) == ["demo.ipynb"]


def test_an_interrupted_release_leaves_the_old_output(files, monkeypatch):
    from cnnlessons.instructor import release as release_module

    tmp, teacher = files
    other = write(instructor_notebook(), tmp / "instructor" / "second.ipynb")
    out = tmp / "release"
    release_module.release(out, [teacher])
    before = (out / "demo.ipynb").read_bytes()
    written = []

    def interrupted(nb, path):
        if written:
            raise KeyboardInterrupt  # a closed laptop after the first notebook
        written.append(path)
        Path(path).write_text("{}")

    monkeypatch.setattr(release_module, "atomic_write_notebook", interrupted)
    with pytest.raises(KeyboardInterrupt):
        release_module.release(out, [teacher, other], force=True)
    assert (
        sorted(p.name for p in out.iterdir()) == ["demo.ipynb"]
        and (out / "demo.ipynb").read_bytes() == before
    )
    assert [p.name for p in tmp.iterdir() if p.name.startswith(".release")] == []


def test_gradebook_merge_refuses_bad_shards(files, capsys):
    tmp, _ = files
    _one_sentence(
        capsys, ["gradebook", "merge", str(tmp / "m"), str(tmp / "empty")], "holds no grading records"
    )
    for n, profile in enumerate(["smoke", "cpu"]):
        record = gradebook.Record(f"s{n}.ipynb", "0" * 64, {"profile": profile}, {})
        gradebook.write_record(tmp / f"shard{n}", record)
    _one_sentence(
        capsys,
        ["gradebook", "merge", str(tmp / "m"), str(tmp / "shard0"), str(tmp / "shard1")],
        "was graded with another profile than",
    )
    path = next((tmp / "shard0" / "records").glob("*.json"))
    path.write_text(json.dumps({"format": 99}))
    _one_sentence(
        capsys,
        ["gradebook", "merge", str(tmp / "m"), str(tmp / "shard0")],
        "is not a readable grading record",
    )
    assert not (tmp / "m").exists()


def test_reproduce_and_bench_are_on_the_main_command(capsys):
    for command, module in (("reproduce", "cnnlessons reproduce"), ("bench", "cnnlessons bench")):
        with pytest.raises(SystemExit) as info:
            main([command, "--help"])
        assert info.value.code == 0
        assert f"usage: python -m {module}" in capsys.readouterr().out


def test_the_real_entry_point_prints_no_traceback(files):
    tmp, _ = files
    done = subprocess.run(
        [sys.executable, "-m", "cnnlessons", "release", str(tmp / "out"), str(tmp / "broken.ipynb")],
        cwd=REPO,
        capture_output=True,
        text=True,
    )
    assert done.returncode == 2 and done.stdout == ""
    assert done.stderr.strip().splitlines() == [
        f"release: NOTEBOOK '{tmp / 'broken.ipynb'}' is not a readable notebook (NotJSONError)"
    ]
