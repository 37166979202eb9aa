"""Colab: every notebook opens with its badge and the setup cell, both generated from
cnnlessons.course, the one place that holds the repository's address.

The setup cell installs the course only when it is missing, and names neither torch nor ipywidgets
(Colab's own are kept: pip leaves installed packages alone when they satisfy the requirements,
which the last test checks for the versions Colab ships).
"""

from __future__ import annotations

import ast
import importlib.util
import json
import os
import pathlib
import re
import subprocess
import sys
import warnings

import matplotlib
import nbformat
import pytest
import tomllib
from packaging.requirements import Requirement

from cnnlessons import course

ROOT = pathlib.Path(__file__).resolve().parent.parent
NOTEBOOKS = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
SOURCES = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.py"))
BADGE_IMAGE = "https://colab.research.google.com/assets/colab-badge.svg"
# The forms in which the repository's address could be spelled out elsewhere.
ADDRESS_FORMS = (
    course.REPOSITORY.removeprefix("https://").rstrip("/"),
    f"colab.research.google.com/github/{course.github_path()}",
)
LINK = re.compile(r"\((https://colab\.research\.google\.com/[^)\s]+)\)")


def _badge_link(source: str) -> str:
    m = re.fullmatch(r"\[!\[Open In Colab\]\((?P<img>[^)]+)\)\]\((?P<url>[^)]+)\)", source.strip())
    assert m, f"not an 'Open in Colab' badge: {source[:120]!r}"
    assert m["img"] == BADGE_IMAGE, f"badge image is {m['img']}, want {BADGE_IMAGE}"
    return m["url"]


def _check_first_cells(cells, name: str) -> None:
    assert len(cells) >= 2, f"{name}: fewer than two cells"
    badge, setup = cells[0], cells[1]
    assert badge.cell_type == "markdown", f"{name}: the first cell is {badge.cell_type}, not the badge"
    url = _badge_link(badge.source)
    assert url == course.colab_url(name), f"{name}: the badge opens {url}, want {course.colab_url(name)}"
    assert setup.cell_type == "code", f"{name}: the second cell is {setup.cell_type}, not the setup"
    assert setup.source == course.setup_cell_source(), (
        f"{name}: the second cell is not cnnlessons.course.setup_cell_source() (rebuild it)"
    )


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_notebook_starts_with_badge_and_setup_cell(path):
    nb = nbformat.read(path, as_version=4)
    _check_first_cells(nb.cells, path.stem)
    for i, cell in enumerate(nb.cells[2:], start=2):  # the address nowhere else in the notebook
        text = cell.source + json.dumps(cell.get("outputs", []))
        for form in ADDRESS_FORMS:
            assert form not in text, f"{path.name} cell {i} spells out {form!r}; use cnnlessons.course"


@pytest.mark.parametrize("path", SOURCES, ids=[p.stem for p in SOURCES])
def test_build_tool_puts_badge_and_setup_cell_first(path):
    spec = importlib.util.spec_from_file_location("notebooks_tool", ROOT / "tools" / "notebooks.py")
    tool = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(tool)
    _check_first_cells(tool.from_source(path).cells, path.stem)


def test_colab_url_names_the_notebook():
    url = course.colab_url("02_vggnet")
    assert url == (
        f"https://colab.research.google.com/github/{course.github_path()}"
        f"/blob/{course.BRANCH}/notebooks/02_vggnet.ipynb"
    )
    assert course.REPOSITORY.startswith("https://github.com/")
    assert "//" not in url.removeprefix("https://")


def _pip_call(source: str) -> tuple[ast.If, list[str]]:
    """The `if <cnnlessons missing>:` statement of the setup cell and its pip arguments."""
    guards = [
        node
        for node in ast.walk(ast.parse(source))
        if isinstance(node, ast.If) and "subprocess.run" in ast.unparse(node)
    ]
    assert len(guards) == 1, "the setup cell should run pip inside exactly one `if`"
    guard = guards[0]
    call = next(
        n for n in ast.walk(guard) if isinstance(n, ast.Call) and ast.unparse(n.func) == "subprocess.run"
    )
    # names the `if` assigns before the call (the course's spec) stand for their values
    names = {
        target.id: ast.literal_eval(node.value)
        for node in guard.body
        if isinstance(node, ast.Assign)
        for target in node.targets
        if isinstance(target, ast.Name)
    }

    def value(node: ast.expr) -> str:
        if ast.unparse(node) == "sys.executable":
            return "python"
        return names[node.id] if isinstance(node, ast.Name) else ast.literal_eval(node)

    args = [value(a) for a in call.args[0].elts]
    return guard, args


def test_setup_cell_installs_only_the_course_and_only_when_missing():
    source = course.setup_cell_source()
    guard, args = _pip_call(source)
    assert ast.unparse(guard.test) == "importlib.util.find_spec('cnnlessons') is None", (
        f"pip must run only when cnnlessons is missing, the condition is {ast.unparse(guard.test)}"
    )
    assert args[:3] == ["python", "-m", "pip"] and args[3] == "install", args
    specs = [a for a in args[4:] if not a.startswith("-")]
    flags = [a for a in args[4:] if a.startswith("-")]
    assert specs == [f"cnnlessons @ git+{course.REPOSITORY}@v{course.VERSION}"], (
        specs
    )  # the tag it was built with
    assert not {"-U", "--upgrade", "--force-reinstall", "--no-deps", "-I", "--ignore-installed"} & set(
        flags
    ), f"pip flags {flags} would touch Colab's packages"
    for word in ("torch", "ipywidgets"):
        assert not any(word in a for a in args), f"the setup cell's pip names {word}: {args}"


@pytest.mark.parametrize("installed", [True, False])
def test_setup_cell_runs_pip_exactly_when_cnnlessons_is_missing(installed, monkeypatch):
    calls = []
    real_find_spec = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util,
        "find_spec",
        lambda name, *a: real_find_spec(name, *a) if installed or name != "cnnlessons" else None,
    )
    monkeypatch.setattr(subprocess, "run", lambda cmd, **kw: calls.append((cmd, kw)))
    namespace: dict = {}
    with warnings.catch_warnings(), matplotlib.rc_context():  # keep its settings to itself
        exec(compile(course.setup_cell_source(), "<setup cell>", "exec"), namespace)
    assert namespace["profile"].name == "smoke"  # the cell went on to set the run up
    if installed:
        assert calls == [], "pip ran although cnnlessons is installed"
    else:
        assert len(calls) == 1 and calls[0][1].get("check") is True, calls
        assert calls[0][0][0] == sys.executable


def test_colab_versions_satisfy_the_requirements():
    """pip keeps Colab's torch and ipywidgets only if they already satisfy our requirements."""
    deps = {
        Requirement(d).name: Requirement(d)
        for d in tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"]
    }
    for name, versions in {
        "ipywidgets": ["7.7.1", "8.1.5"],
        "torch": ["2.5.1", "2.6.0", "2.8.0", "2.9.0"],
    }.items():
        for version in versions:
            assert deps[name].specifier.contains(version), (
                f"{deps[name]} in pyproject.toml would replace Colab's {name} {version}"
            )


def _repo_files() -> list[pathlib.Path]:
    """Tracked files and new files that git does not ignore."""
    try:
        out = subprocess.run(
            ["git", "ls-files", "--cached", "--others", "--exclude-standard", "-z"],
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=True,
        ).stdout
    except (OSError, subprocess.CalledProcessError):
        pytest.skip("not a git checkout")
    return [ROOT / p for p in out.split("\0") if p and (ROOT / p).is_file()]


def test_repository_address_lives_only_in_course_py():
    allowed = {"cnnlessons/course.py", "README.md"}  # README: checked link by link below
    found = []
    for path in _repo_files():
        rel = path.relative_to(ROOT).as_posix()
        if rel in allowed or (rel.startswith("notebooks/") and rel.endswith((".ipynb", ".py"))):
            continue  # notebooks and their sources: badge and setup cell only, checked above
        try:
            text = path.read_text()
        except (UnicodeDecodeError, OSError):
            continue
        found += [f"{rel}: {form}" for form in ADDRESS_FORMS if form in text]
    assert not found, (
        "the repository's address is spelled out outside cnnlessons/course.py "
        "(use course.REPOSITORY / course.colab_url):\n  " + "\n  ".join(found)
    )


def test_readme_colab_links_match_course():
    readme = (ROOT / "README.md").read_text()
    links = LINK.findall(readme)
    expected = {course.colab_url(name) for name in course.LESSONS}
    wrong = [url for url in links if url not in expected]
    assert not wrong, f"README links to Colab addresses that course.colab_url does not give: {wrong}"
    missing = sorted(name for name in course.LESSONS if course.colab_url(name) not in links)
    assert not missing, f"README has no Colab link for {missing}"
    stripped = LINK.sub("", readme)
    for form in ADDRESS_FORMS:
        assert form not in stripped, f"README spells out {form!r} outside a Colab link"


# ----------------------------------------------------------------------------- Colab's kernel
# Stand-ins for Colab's kernel and shell: subclasses placed and named like Colab's own.
COLAB_SHELL = """\
from ipykernel.zmqshell import ZMQInteractiveShell


class Shell(ZMQInteractiveShell):
    pass
"""
COLAB_KERNEL = """\
from ipykernel.ipkernel import IPythonKernel
from traitlets import Type

from google.colab._shell import Shell


class Kernel(IPythonKernel):
    shell_class = Type(Shell)
"""


def _colab_like_kernel(tmp_path: pathlib.Path):
    """A kernel manager whose kernel runs ``google.colab._shell.Shell`` as its IPython shell."""
    from jupyter_client import KernelManager
    from jupyter_client.kernelspec import KernelSpecManager

    package = tmp_path / "site" / "google" / "colab"  # no google/__init__.py: a namespace package
    package.mkdir(parents=True)
    (package / "__init__.py").write_text("")
    (package / "_shell.py").write_text(COLAB_SHELL)
    (package / "_kernel.py").write_text(COLAB_KERNEL)
    spec_dir = tmp_path / "kernels" / "colab-like"
    spec_dir.mkdir(parents=True)
    pythonpath = os.pathsep.join(p for p in (str(tmp_path / "site"), os.environ.get("PYTHONPATH")) if p)
    (spec_dir / "kernel.json").write_text(
        json.dumps(
            {
                "argv": [
                    sys.executable,
                    "-m",
                    "ipykernel_launcher",
                    "-f",
                    "{connection_file}",
                    "--IPKernelApp.kernel_class=google.colab._kernel.Kernel",
                ],
                "display_name": "Colab-like",
                "language": "python",
                "env": {"PYTHONPATH": pythonpath, "CNNLESSONS_PROFILE": "smoke"},
            }
        )
    )
    specs = KernelSpecManager(kernel_dirs=[str(tmp_path / "kernels")])
    return KernelManager(kernel_name="colab-like", kernel_spec_manager=specs)


def test_explorer_draws_in_a_kernel_whose_shell_is_colabs(tmp_path):
    from nbclient import NotebookClient

    cells = [
        "shell = get_ipython()\nprint(type(shell).__module__ + '.' + type(shell).__qualname__)",
        "from cnnlessons.lessons.googlenet.explorer import ReductionExplorer\n"
        "explorer = ReductionExplorer()\n"
        "explorer.static()\n"
        "print('after static:', len(explorer.output.outputs))",
        "explorer.width.value = explorer.width.value // 2  # a learner moves the slider\n"
        "print('after slider:', len(explorer.output.outputs), explorer.redraws)",
    ]
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(c) for c in cells])
    NotebookClient(
        nb, km=_colab_like_kernel(tmp_path), timeout=120, resources={"metadata": {"path": str(tmp_path)}}
    ).execute()
    text = lambda cell: "".join(o.get("text", "") for o in cell.outputs)  # noqa: E731
    assert text(nb.cells[0]).strip() == "google.colab._shell.Shell", text(nb.cells[0])
    static = [o for o in nb.cells[1].outputs if o.output_type == "display_data"]
    assert any("image/png" in o.data for o in static), (
        f"static() showed no figure in Colab's shell: {nb.cells[1].outputs}"
    )
    assert "after static: 1" in text(nb.cells[1]), text(nb.cells[1])
    assert "after slider: 1 2" in text(nb.cells[2]), (
        f"the slider move drew nothing into the Output widget: {text(nb.cells[2])}"
    )
