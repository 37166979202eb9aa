"""Build the course notebooks from their jupytext sources and store a clean run's outputs.

    python tools/notebooks.py build [NAME ...]   # notebooks/NAME.py -> executed notebooks/NAME.ipynb
    python tools/notebooks.py check              # every .ipynb matches its .py source

Each notebook gets the Colab badge and the setup cell (from cnnlessons.course) in front of its
source, and is executed top to bottom in the ``smoke`` profile, the one CI's strict nbval uses.
A build that writes anything to stderr fails: stored notebooks keep stderr clean.
"""
from __future__ import annotations

import argparse
import os
import pathlib
import sys
import time

import jupytext
import nbformat
from nbclient import NotebookClient

ROOT = pathlib.Path(__file__).resolve().parent.parent
NOTEBOOKS = ROOT / "notebooks"
sys.path.insert(0, str(ROOT))
from cnnlessons.course import colab_badge, setup_cell_source  # noqa: E402

IGNORE = "nbval-ignore-output"


def from_source(source: pathlib.Path) -> nbformat.NotebookNode:
    """The notebook of a jupytext source, with the badge and the setup cell in front."""
    nb = jupytext.read(source)
    name = source.stem
    badge = nbformat.v4.new_markdown_cell(colab_badge(name), metadata={"tags": ["colab-badge"]})
    setup = nbformat.v4.new_code_cell(setup_cell_source(), metadata={"tags": ["setup", IGNORE]})
    nb.cells = [badge, setup] + list(nb.cells)
    for i, cell in enumerate(nb.cells):
        cell["id"] = f"{name[:2]}-{i:03d}"
        cell.metadata.pop("lines_to_next_cell", None)
    nb.metadata = {
        "kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"},
        "language_info": {"name": "python"},
        "colab": {"provenance": []},
        "accelerator": "GPU",
    }
    return nb


def execute(nb: nbformat.NotebookNode, timeout: int = 600) -> nbformat.NotebookNode:
    env_keep = dict(os.environ)
    os.environ.update({"CNNLESSONS_PROFILE": "smoke", "CI": "true", "PYTHONHASHSEED": "0",
                       "TQDM_DISABLE": "1"})
    os.environ.pop("CNNLESSONS_DATASET", None)
    try:
        client = NotebookClient(nb, timeout=timeout, kernel_name="python3", record_timing=False,
                                store_widget_state=False,
                                resources={"metadata": {"path": str(NOTEBOOKS)}})
        client.execute()
    finally:
        os.environ.clear()
        os.environ.update(env_keep)
    return nb


def stderr_outputs(nb: nbformat.NotebookNode) -> list[str]:
    found = []
    for i, cell in enumerate(nb.cells):
        for out in cell.get("outputs", []):
            if out.get("name") == "stderr" or out.get("output_type") == "error":
                text = out.get("text") or f"{out.get('ename')}: {out.get('evalue')}"
                found.append(f"cell {i}: {text.strip()[:300]}")
    return found


def build(names: list[str]) -> int:
    sources = [NOTEBOOKS / f"{n.removesuffix('.py')}.py" for n in names] if names else \
        sorted(NOTEBOOKS.glob("[0-9][0-9]_*.py"))
    status = 0
    for source in sources:
        if not source.exists():
            print(f"no such source: {source}")
            return 2
        start = time.perf_counter()
        nb = execute(from_source(source))
        problems = stderr_outputs(nb)
        target = source.with_suffix(".ipynb")
        nbformat.write(nb, target)
        print(f"{target.relative_to(ROOT)}: executed in {time.perf_counter() - start:.1f} s")
        if problems:
            status = 1
            print("  stderr or errors in the stored outputs:\n  " + "\n  ".join(problems))
    return status


def check() -> int:
    stale = []
    for source in sorted(NOTEBOOKS.glob("[0-9][0-9]_*.py")):
        target = source.with_suffix(".ipynb")
        if not target.exists():
            stale.append(f"{target.name} is missing")
            continue
        want = [(c.cell_type, c.source) for c in from_source(source).cells]
        have = [(c.cell_type, c.source) for c in nbformat.read(target, as_version=4).cells]
        if want != have:
            stale.append(f"{target.name} differs from {source.name}")
    for msg in stale:
        print(msg)
    return 1 if stale else 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="cmd", required=True)
    b = sub.add_parser("build", help="convert, execute and store notebooks")
    b.add_argument("names", nargs="*")
    sub.add_parser("check", help="every .ipynb matches its .py source")
    args = parser.parse_args()
    return build(args.names) if args.cmd == "build" else check()


if __name__ == "__main__":
    raise SystemExit(main())
