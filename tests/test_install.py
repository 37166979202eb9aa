"""The course installed the way Colab's setup cell installs it: ``pip install`` from a git URL into a
fresh place outside the checkout, then used from an unrelated folder.

The repository is a commit of this working tree (tracked files and new ones git does not ignore),
installed with ``--no-deps --target`` so that the torch and Jupyter already installed are reused
and it takes seconds; ``PYTHONPATH`` puts the installed copy first. A lesson notebook runs there
in the smoke profile, its explorer draws, reference results load from the package's data, the
data root is the per-user cache, and ``release`` and ``grade`` work from the installed package.
"""

import json
import os
import pathlib
import shutil
import subprocess
import sys
import textwrap

import nbformat
import pytest

ROOT = pathlib.Path(__file__).resolve().parent.parent
LESSON = "03_googlenet"  # the smallest lesson with an explorer and reference results
GIT = [
    "git",
    "-c",
    "user.name=cnnlessons tests",
    "-c",
    "user.email=tests@localhost",
    "-c",
    "commit.gpgsign=false",
    "-c",
    "init.defaultBranch=main",
]


def _run(cmd: list[str], **kw) -> subprocess.CompletedProcess:
    done = subprocess.run(cmd, capture_output=True, text=True, **kw)
    assert done.returncode == 0, f"{' '.join(map(str, cmd))} failed:\n{done.stdout}\n{done.stderr}"
    return done


@pytest.fixture(scope="module")
def installed(tmp_path_factory):
    """(clone, target, env): a commit of the working tree, the course pip-installed from it into
    ``target``, and the environment that uses the installed copy (and a fresh per-user cache)."""
    if shutil.which("git") is None:
        pytest.skip("needs git")
    base = tmp_path_factory.mktemp("install")
    try:
        listed = subprocess.run(
            ["git", "ls-files", "--cached", "--others", "--exclude-standard", "-z"],
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=True,
        ).stdout
    except subprocess.CalledProcessError:
        pytest.skip("not a git checkout")
    clone = base / "repo"
    for rel in filter(None, listed.split("\0")):
        if (ROOT / rel).is_file():
            (clone / rel).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(ROOT / rel, clone / rel)
    _run([*GIT, "init", "-q", str(clone)])
    _run([*GIT, "-C", str(clone), "add", "-A"])
    _run([*GIT, "-C", str(clone), "commit", "-q", "-m", "snapshot"])

    target = base / "site"
    _run(
        [
            sys.executable,
            "-m",
            "pip",
            "install",
            "-q",
            "--no-deps",
            "--no-index",
            "--no-build-isolation",
            "--target",
            str(target),
            f"cnnlessons[instructor] @ git+file://{clone}",
        ],
        cwd=base,
    )
    env = {
        **os.environ,
        "PYTHONPATH": str(target),
        "XDG_CACHE_HOME": str(base / "cache"),
        "CNNLESSONS_PROFILE": "smoke",
    }
    for name in ("CNNLESSONS_DATA_ROOT", "CNNLESSONS_DATA", "CNNLESSONS_DATASET"):
        env.pop(name, None)
    elsewhere = base / "elsewhere"
    elsewhere.mkdir()
    return clone, target, env, elsewhere


def _python(code: str, env: dict, cwd: pathlib.Path) -> str:
    return _run([sys.executable, "-c", textwrap.dedent(code)], env=env, cwd=cwd).stdout


def _write_results(folder: pathlib.Path, name: str, label: str) -> None:
    run = {
        "label": label,
        "epoch": [1, 2],
        "train_loss": [2.0, 1.5],
        "train_acc": [0.3, 0.5],
        "val_loss": [2.0, 1.6],
        "val_acc": [0.3, 0.45],
        "time": [10.0, 20.0],
        "info": {},
    }
    (folder / name).write_text(
        json.dumps(
            {"device": f"GPU {label}", "date": name[:10], "experiments": {f"{LESSON}/googlenet": [run]}}
        )
    )


def test_installed_package_finds_its_data_and_instructor_extra(installed):
    clone, target, env, elsewhere = installed
    meta = next(target.glob("cnnlessons-*.dist-info")) / "METADATA"
    extra = [line for line in meta.read_text().splitlines() if 'extra == "instructor"' in line]
    names = {line.split()[1].split(">")[0].split(";")[0] for line in extra}
    assert {"ipykernel", "nbclient", "nbformat"} <= names, extra  # what release and grade need
    assert not (target / "data").exists() and not (target / "notebooks").exists()
    package = target / "cnnlessons" / "reference_results"
    assert (package / "README.md").is_file(), "the results folder is not shipped as package data"
    _write_results(package, "2026-01-01-000000-shipped.json", "shipped")
    try:
        out = _python(
            """
            import json, pathlib, cnnlessons
            from cnnlessons import data
            from cnnlessons.runs import results
            found = {"package": cnnlessons.__file__, "checkout": str(data.checkout_root()),
                     "root": str(data.data_root()), "out": str(results.output_dir())}
            found["shipped"] = [r.label for r in results.reference_runs("03_googlenet/googlenet")]
            results.output_dir().mkdir(parents=True)
            mine = results.output_dir() / "2026-02-01-000000-mine.json"
            mine.write_text(pathlib.Path(results.package_results(),
                            "2026-01-01-000000-shipped.json").read_text().replace("shipped", "mine"))
            found["newest"] = [r.label for r in results.reference_runs("03_googlenet/googlenet")]
            print(json.dumps(found))
        """,
            env,
            elsewhere,
        )
    finally:
        (package / "2026-01-01-000000-shipped.json").unlink()
    found = json.loads(out)
    cache = pathlib.Path(env["XDG_CACHE_HOME"]) / "cnnlessons"
    assert found["package"] == str(target / "cnnlessons" / "__init__.py")
    assert found["checkout"] == "None" and found["root"] == str(cache)
    assert found["out"] == str(cache / "reference_results")  # reproduce writes to the cache
    assert found["shipped"] == ["shipped"]  # read from the package data
    assert found["newest"] == ["mine"]  # the newer file of the two folders


def test_installed_course_speaks_korean_with_its_catalog_and_font(installed):
    """The compiled catalog and the Hangul font are package data: a Korean check message and a
    Korean figure without a missing glyph, from the installed copy alone."""
    clone, target, env, elsewhere = installed
    package = target / "cnnlessons"
    assert (package / "locale" / "ko" / "LC_MESSAGES" / "cnnlessons.mo").is_file()
    assert (package / "fonts" / "NanumGothic.ttf").is_file() and (package / "fonts" / "OFL.txt").is_file()
    out = _python(
        """
        import io, json, warnings
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
        import cnnlessons
        from cnnlessons import NotAttempted, check, i18n
        cnnlessons.set_language("ko")
        def conv_output_size(size, kernel_size, stride=1, padding=0):
            raise NotImplementedError()
        try:
            check("alexnet.conv_output_size", conv_output_size)
        except NotAttempted as error:
            message = str(error)
        fig, ax = plt.subplots()
        ax.set_title(i18n._("validation error"))
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            fig.savefig(io.BytesIO(), format="png")
        print(json.dumps({"message": message, "title": ax.get_title(), "locale": str(i18n.LOCALE_DIR),
                          "font": str(i18n.FONT), "warnings": [str(w.message) for w in caught]}))
    """,
        {**env, "CNNLESSONS_LANG": "en"},
        elsewhere,
    )
    found = json.loads(out)
    assert "아직 답을 작성하지 않았습니다" in found["message"], found
    assert found["title"] == "검증 오류율"
    assert found["locale"] == str(package / "locale") and found["font"] == str(
        package / "fonts" / "NanumGothic.ttf"
    )
    assert not [w for w in found["warnings"] if "missing from" in w], found["warnings"]


def test_lesson_explorer_release_and_grade_from_the_installed_package(installed):
    from nbclient import NotebookClient

    clone, target, env, elsewhere = installed
    nb = nbformat.read(clone / "notebooks" / f"{LESSON}.ipynb", as_version=4)
    nb.cells.append(
        nbformat.v4.new_code_cell(
            "import cnnlessons, cnnlessons.data\n"
            "print('package:', cnnlessons.__file__)\n"
            "print('data root:', cnnlessons.data.data_root())\n"
            "print('explorer outputs:', len(explorer.output.outputs))"
        )
    )
    NotebookClient(
        nb, timeout=300, kernel_name="python3", resources={"metadata": {"path": str(elsewhere)}}
    ).execute(env=env)
    last = "".join(o.get("text", "") for o in nb.cells[-1].outputs)
    assert f"package: {target / 'cnnlessons' / '__init__.py'}" in last, last
    assert f"data root: {pathlib.Path(env['XDG_CACHE_HOME']) / 'cnnlessons'}" in last, last
    assert "explorer outputs: 1" in last, last  # the figure reached the Output widget
    static = [c for c in nb.cells if c.cell_type == "code" and "explorer.static()" in c.source]
    assert static and any("image/png" in o.get("data", {}) for o in static[0].outputs), (
        "explorer.static() showed no figure"
    )

    instructor = clone / "notebooks" / f"{LESSON}.ipynb"
    cli = [sys.executable, "-m", "cnnlessons"]
    _run([*cli, "release", str(elsewhere / "release"), str(instructor)], env=env, cwd=elsewhere)
    released = nbformat.read(elsewhere / "release" / f"{LESSON}.ipynb", as_version=4)
    assert any("raise NotImplementedError()" in c.source for c in released.cells)
    assert not any("### BEGIN SOLUTION" in c.source for c in released.cells)

    # A learner's submission: the notebook up to its first exercise, solved (the instructor's
    # solution); every later exercise is left out and counts as not attempted.
    first_check = next(i for i, c in enumerate(nb.cells) if c.source.startswith("check("))
    submission = nbformat.v4.new_notebook(cells=nb.cells[: first_check + 1], metadata=nb.metadata)
    (elsewhere / "submissions").mkdir()
    nbformat.write(submission, elsewhere / "submissions" / f"{LESSON}.ipynb")
    _run(
        [
            *cli,
            "grade",
            str(elsewhere / "submissions"),
            "--instructor",
            str(instructor),
            "--out",
            str(elsewhere / "grading"),
        ],
        env=env,
        cwd=elsewhere,
    )
    book = (elsewhere / "grading" / "gradebook.csv").read_text()
    exercise = nb.cells[first_check].source.split('"')[1]
    header, row = book.splitlines()[:2]
    assert row.split(",")[header.split(",").index(exercise)] == "passed", book
