"""One submission's notebook run, as a process of its own (inside its sandbox).

``python -I -m cnnlessons.instructor.worker`` reads a request (JSON) on stdin, runs the notebook
with ``kernelrun.Runner`` (nbclient and the kernel it starts talk over loopback, inside the
sandbox's own network namespace) and writes one JSON document on its original stdout: every
cell's run, every hidden cell's run, the notes and the executed notebook. The kernel gets
``/dev/null`` as its standard streams and this process is not dumpable, so learner code cannot
write on that channel. The grader reads it with a size limit and checks it against ``SCHEMA``
(``read_result``); nothing but JSON crosses back.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Any

__all__ = ["RunResult", "STATUSES", "read_result"]

STATUSES = ("ok", "error", "timeout", "dead", "skipped")
TEXT_LIMIT = 4000
"""Longest error name or value kept from a run."""
NOTES_LIMIT = 100


class RunResult(dict):
    """``runs`` {index: CellRun}, ``hidden_runs`` {(index, number): CellRun}, ``notes``, ``notebook``."""


def _run(request: dict[str, Any]) -> dict[str, Any]:
    import nbformat

    from .kernelrun import Runner, run_coroutine

    nb = nbformat.reads(Path(request["notebook"]).read_text(encoding="utf-8"), as_version=4)
    hidden = {int(k): v for k, v in request["hidden"].items()}
    runner = Runner(
        nb,
        Path(request["notebook"]),
        request["timeout"],
        request["total_timeout"],
        request["profile"],
        request["kernel_name"],
        request["grace"],
        hidden,
        output_limit=request.get("output_limit"),
    )
    try:
        runs = run_coroutine(runner.run)
    except Exception as error:  # the kernel would not start, etc.
        runs = {}
        runner.notes.append(f"could not run the notebook: {type(error).__name__}: {error}")

    def run(r) -> dict[str, str]:
        return {"status": r.status, "ename": r.ename, "evalue": r.evalue}

    return {
        "runs": {str(i): run(r) for i, r in runs.items()},
        "hidden_runs": [[i, n, run(r)] for (i, n), r in runner.hidden_runs.items()],
        "notes": runner.notes,
        "notebook": nb,
    }


def _serve() -> int:
    try:  # not dumpable: another process of the same user cannot open our descriptors or memory
        import ctypes

        ctypes.CDLL(None).prctl(4, 0, 0, 0, 0)  # PR_SET_DUMPABLE
    except (OSError, AttributeError):
        pass
    request = json.loads(sys.stdin.buffer.read().decode("utf-8"))
    channel = os.fdopen(os.dup(1), "w", encoding="utf-8")
    errors = os.fdopen(os.dup(2), "w", encoding="utf-8")
    null = os.open(os.devnull, os.O_RDWR)
    for fd in (0, 1, 2):
        os.dup2(null, fd)
    try:
        result = _run(request)
        channel.write(json.dumps(result))
    except BaseException:  # noqa: BLE001  the grader reports the last lines
        import traceback

        errors.write(traceback.format_exc())
        return 1
    finally:
        errors.close()
    channel.close()
    return 0


# --- in the grader ---------------------------------------------------------------------------


def _text(value: Any) -> str:
    if not isinstance(value, str):
        raise ValueError("a text field is not a string")
    return value[:TEXT_LIMIT]


def _cell_run(value: Any):
    from .kernelrun import CellRun

    if not isinstance(value, dict) or value.get("status") not in STATUSES:
        raise ValueError("a cell run is malformed")
    return CellRun(value["status"], _text(value.get("ename", "")), _text(value.get("evalue", "")))


def read_result(data: bytes, cells: int) -> RunResult:
    """The worker's JSON, checked field by field (``cells``: how many cells the notebook has).
    Raises ValueError for anything else."""
    import nbformat

    doc = json.loads(data.decode("utf-8"))
    if not isinstance(doc, dict) or set(doc) != {"runs", "hidden_runs", "notes", "notebook"}:
        raise ValueError("not a run result")
    runs = {}
    for key, value in doc["runs"].items():
        index = int(key)
        if not 0 <= index < cells:
            raise ValueError("a cell index out of range")
        runs[index] = _cell_run(value)
    hidden = {}
    for entry in doc["hidden_runs"]:
        index, number, value = entry
        if not (
            isinstance(index, int) and isinstance(number, int) and 0 <= index < cells and 0 <= number < 1000
        ):
            raise ValueError("a hidden cell index out of range")
        hidden[(index, number)] = _cell_run(value)
    if not isinstance(doc["notes"], list):
        raise ValueError("notes are not a list")
    notes = [_text(n) for n in doc["notes"][:NOTES_LIMIT]]
    notebook = nbformat.from_dict(doc["notebook"])
    nbformat.validate(notebook)
    if len(notebook.cells) != cells:
        raise ValueError("the notebook's cells changed")
    return RunResult(runs=runs, hidden_runs=hidden, notes=notes, notebook=notebook)


if __name__ == "__main__":
    sys.exit(_serve())
