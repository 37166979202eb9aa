"""A class over machines and interruptions: shards merged give the one-run gradebook, a killed
run resumed gives it too without regrading what was done, and each learner gets feedback.

The module grades two small submissions six times in all (one run, two shards, an interrupted
run and its resume, one resume after a key change): about 40 s on a busy 2-core machine, each
grading a kernel start and a check process.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from grading_notebooks import SOLUTIONS, instructor_notebook, submission, write

from cnnlessons.__main__ import main
from cnnlessons.instructor import gradebook
from cnnlessons.instructor.grade import grade
from cnnlessons.instructor.release import release_notebook

IDS = ["alexnet.conv_output_size", "vgg.receptive_field"]
REPO = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def course(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("class")
    teacher = write(instructor_notebook(IDS), tmp / "instructor" / "demo.ipynb")
    released, _, _ = release_notebook(instructor_notebook(IDS))
    write(instructor_notebook(IDS), tmp / "subs" / "ann" / "demo.ipynb")  # all right
    write(
        submission(
            released,
            {"vgg.receptive_field": "def receptive_field(num_layers, kernel_size=3):\n    return num_layers"},
            checks={"alexnet.conv_output_size": None},
        ),  # the check cell deleted
        tmp / "subs" / "ben" / "demo.ipynb",
    )
    full = tmp / "full"
    records = grade([tmp / "subs"], full, instructor=[teacher], timeout=60, jobs=2)
    return tmp, teacher, full, records


def _gradebook(folder: Path) -> tuple[str, str]:
    return (
        (folder / "gradebook.csv").read_text(encoding="utf-8"),
        (folder / "gradebook.md").read_text(encoding="utf-8"),
    )


def test_one_run_grades_and_writes_feedback(course):
    tmp, _, full, records = course
    ann, ben = records
    assert {e: r.status for e, r in ann.results.items()} == dict.fromkeys(IDS, "passed")
    assert ben.results["alexnet.conv_output_size"].status == "not attempted"
    assert ben.results["alexnet.conv_output_size"].details == "the check cell was deleted"
    assert ben.results["vgg.receptive_field"].status == "failed"
    feedback = (full / "feedback" / (gradebook.file_name(ben.name) + ".md")).read_text(encoding="utf-8")
    assert "0 of 2 exercises passed" in feedback
    assert "| `vgg.receptive_field` | ✘ failed |" in feedback
    assert "- **`vgg.receptive_field`** (failed): receptive_field(" in feedback
    assert "- **`alexnet.conv_output_size`** (not attempted): the check cell was deleted" in feedback
    # every output is made from the records alone
    assert _gradebook(full) == (
        gradebook.gradebook_csv(gradebook.read_records(full)),
        gradebook.gradebook_markdown(gradebook.read_records(full)),
    )


def test_two_shards_merged_give_the_one_run_gradebook(course, capsys):
    tmp, teacher, full, _ = course
    for k in (1, 2):
        [record] = grade([tmp / "subs"], tmp / f"shard{k}", instructor=[teacher], timeout=60, shard=f"{k}/2")
        assert record.name.endswith(("ann/demo.ipynb", "ben/demo.ipynb")[k - 1])
    assert main(["gradebook", "merge", str(tmp / "merged"), str(tmp / "shard1"), str(tmp / "shard2")]) == 0
    assert _gradebook(tmp / "merged") == _gradebook(full)
    assert main(["gradebook", "merge", str(tmp / "merged"), str(tmp / "shard1")]) == 2
    assert "already holds a gradebook; pass --force" in capsys.readouterr().err


def test_a_killed_run_resumes_without_regrading_what_was_done(course):
    tmp, teacher, full, _ = course
    out = tmp / "killed"
    command = [
        sys.executable,
        "-m",
        "cnnlessons",
        "grade",
        str(tmp / "subs"),
        "--instructor",
        str(teacher),
        "--out",
        str(out),
        "--timeout",
        "60",
    ]
    process = subprocess.Popen(
        command, cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True
    )  # its kernels die with it
    deadline = time.monotonic() + 120
    while not list((out / "records").glob("*.json")) and time.monotonic() < deadline:
        time.sleep(0.2)
    os.killpg(process.pid, signal.SIGKILL)
    process.wait()
    [done] = list((out / "records").glob("*.json"))
    before = done.read_text(encoding="utf-8")
    assert not (out / "gradebook.csv").exists()
    assert not list(out.rglob("*.tmp"))  # nothing half-written

    assert main(["grade", str(tmp / "subs"), "--instructor", str(teacher), "--out", str(out)]) == 2  # refuses
    records = grade([tmp / "subs"], out, instructor=[teacher], timeout=60, resume=True)
    assert done.read_text(encoding="utf-8") == before  # not graded again
    assert len(records) == 2 and _gradebook(out) == _gradebook(full)


def test_resume_grades_again_when_the_library_changed(course):
    tmp, teacher, _, _ = course
    out = tmp / "shard1"  # graded above: ann only
    [path] = list((out / "records").glob("*.json"))
    record = json.loads(path.read_text(encoding="utf-8"))
    assert set(record["key"]) == {
        "checks",
        "profile",
        "timeout",
        "total_timeout",
        "kernel",
        "library",
        "sandbox",
    }
    record["key"]["library"] = "0" * 64  # as if the checkers' source had changed
    path.write_text(json.dumps(record), encoding="utf-8")
    [again] = grade([tmp / "subs"], out, instructor=[teacher], timeout=60, shard="1/2", resume=True)
    assert again.graded_at and again.key["library"] != "0" * 64
    assert json.loads(path.read_text(encoding="utf-8"))["key"]["library"] == again.key["library"]


def test_gradebook_require_is_one_autograding_test(course, capsys):
    _, _, full, _ = course
    assert main(["gradebook", "require", str(full), "alexnet.conv_output_size"]) == 1  # ben did not pass
    out = capsys.readouterr().out
    assert "ann/demo.ipynb: alexnet.conv_output_size passed" in out
    assert main(["gradebook", "require", str(full), "densenet.out_channels"]) == 2
    assert "EXERCISE 'densenet.out_channels' was not graded" in capsys.readouterr().err


def test_classroom_repository_and_its_workflow_commands(course, tmp_path):
    """The workflow's own commands, run here as GitHub would run them on a learner's push."""
    import yaml

    tmp, teacher, _, _ = course
    assert (
        main(["release", str(tmp_path / "release"), str(teacher), "--classroom", str(tmp_path / "repo")]) == 0
    )
    repo = tmp_path / "repo"
    flow = yaml.safe_load((repo / ".github" / "workflows" / "classroom.yml").read_text(encoding="utf-8"))
    steps = flow["jobs"]["autograding"]["steps"]
    tests = [
        s for s in steps if s.get("uses", "").startswith("classroom-resources/autograding-command-grader")
    ]
    assert [s["with"]["test-name"] for s in tests] == IDS and all(s["with"]["max-score"] == 1 for s in tests)
    reporter = steps[-1]
    assert reporter["with"]["runners"] == ",".join(s["id"] for s in tests)
    assert set(reporter["env"]) == {s["id"].upper() + "_RESULTS" for s in tests}
    # a learner answers one exercise and pushes
    nb_path = repo / "notebooks" / "demo.ipynb"
    import nbformat

    nb = nbformat.read(nb_path, as_version=4)
    for cell in nb.cells:
        if cell.source.startswith("def conv_output_size"):
            cell.source = SOLUTIONS["alexnet.conv_output_size"][0]
    nbformat.write(nb, nb_path)
    run = [s["run"] for s in steps if s.get("name") == "Grade the notebooks"][0]
    python = [sys.executable]
    assert subprocess.run(python + run.split()[1:], cwd=repo, capture_output=True).returncode == 0
    codes = [
        subprocess.run(python + s["with"]["command"].split()[1:], cwd=repo, capture_output=True).returncode
        for s in tests
    ]
    assert codes == [0, 1]  # one point: the answered exercise
