"""Grade submitted notebooks: run each in its own kernel and classify every exercise it checks.

Each submission runs top to bottom in a fresh kernel (nbclient), with the ``smoke`` profile by
default, a time limit per cell and one per notebook. Errors do not stop the run. A cell that runs
over its limit is interrupted; if the kernel does not come back (or dies), it is restarted, the
cells that ran before are replayed silently, and the run goes on, so later exercises are still
graded. Every ``check("<id>", ...)`` cell yields one result per exercise: ``passed``, ``failed``
or ``not attempted``, with the reason (the check's message, a timeout, a crash) in the details.

    python -m cnnlessons grade SUBMISSION.ipynb ... [--out grading] [--timeout 120]

writes ``gradebook.csv`` and ``gradebook.md`` (one row per submission, one column per exercise,
the total passed as "n/m", and the details) and the executed notebooks under ``executed/``.
"""
from __future__ import annotations

import ast
import asyncio
import copy
import csv
import dataclasses
import io
import json
import logging
import math
import os
import re
import tempfile
import time
from pathlib import Path
from typing import Iterable, Sequence

import nbformat

__all__ = ["ExerciseResult", "Submission", "grade", "grade_notebook", "gradebook_markdown",
           "write_gradebook", "check_ids"]

PASSED, FAILED, NOT_ATTEMPTED = "passed", "failed", "not attempted"
_CHECK_LINE = re.compile(r"""^\s*check\(\s*(['"])([A-Za-z0-9_.]+)\1.*\)\s*(#.*)?$""")
_ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")
GRACE_S = 10
_TIMEOUT = "CellTimeoutError"
_QUIET = logging.getLogger("cnnlessons.grade.nbclient")
_QUIET.setLevel(logging.CRITICAL)  # timeouts and restarts are reported in the gradebook instead
"""How long an interrupted cell may take to stop before the kernel is restarted."""


@dataclasses.dataclass
class ExerciseResult:
    status: str
    details: str = ""


@dataclasses.dataclass
class Submission:
    path: Path
    name: str
    results: dict[str, ExerciseResult]
    seconds: float = 0.0
    notes: list[str] = dataclasses.field(default_factory=list)

    @property
    def passed(self) -> int:
        return sum(r.status == PASSED for r in self.results.values())


@dataclasses.dataclass
class _CellRun:
    status: str  # ok, error, timeout, dead, skipped
    ename: str = ""
    evalue: str = ""
    log: list[dict] = dataclasses.field(default_factory=list)


def check_ids(source: str) -> list[str]:
    """The exercise ids of a check cell (one whose code is only ``check("<id>", ...)`` calls), in
    order; ``[]`` for any other cell, e.g. one that shows a failing check inside ``try``."""
    try:
        tree = ast.parse(source)
    except SyntaxError:
        lines = [line for line in source.splitlines() if line.strip() and not line.lstrip().startswith("#")]
        matches = [_CHECK_LINE.match(line) for line in lines]
        return [m.group(2) for m in matches] if lines and all(matches) else []
    ids = []
    for statement in tree.body:
        call = statement.value if isinstance(statement, ast.Expr) else None
        if not (isinstance(call, ast.Call) and isinstance(call.func, ast.Name) and call.func.id == "check"
                and call.args and isinstance(call.args[0], ast.Constant) and isinstance(call.args[0].value, str)):
            return []
        ids.append(call.args[0].value)
    return ids


def _first_error(cell: nbformat.NotebookNode) -> tuple[str, str] | None:
    for output in cell.get("outputs", []):
        if output.get("output_type") == "error":
            return output.get("ename", ""), _ANSI.sub("", output.get("evalue", ""))
    return None


def _read_log(path: Path, offset: int) -> tuple[list[dict], int]:
    try:
        with open(path, "rb") as f:
            f.seek(offset)
            data = f.read()
    except FileNotFoundError:
        return [], offset
    entries = []
    for line in data.decode("utf-8", "replace").splitlines():
        try:
            entries.append(json.loads(line))
        except json.JSONDecodeError:
            continue
    return entries, offset + len(data)


class _Runner:
    """Runs one notebook cell by cell, recovering from timeouts and dead kernels.

    On a timeout nbclient interrupts the kernel and hands back a stand-in error reply (so that it
    also stops listening for the cell's output); a probe cell then tells whether the kernel came
    back, else it is restarted.
    """

    def __init__(self, nb: nbformat.NotebookNode, path: Path, timeout: int, total_timeout: float,
                 profile: str, kernel_name: str, log: Path, grace: float | None = None) -> None:
        from nbclient import NotebookClient

        self.nb, self.timeout, self.log = nb, timeout, log
        self.grace = GRACE_S if grace is None else grace
        self.deadline = time.monotonic() + total_timeout
        self.total_timeout = total_timeout
        self.env = dict(os.environ, CNNLESSONS_PROFILE=profile, CNNLESSONS_GRADE_LOG=str(log))
        self.env.pop("CI", None)
        self.client = NotebookClient(
            nb, timeout=timeout, kernel_name=kernel_name, allow_errors=True, record_timing=False,
            interrupt_on_timeout=True,
            error_on_timeout={"ename": _TIMEOUT, "evalue": "timeout", "traceback": []},
            on_cell_executed=self._executed, log=_QUIET,
            resources={"metadata": {"path": str(path.parent.resolve())}})
        self.replayable: list[int] = []
        self.notes: list[str] = []
        self._timed_out = False

    def _executed(self, cell=None, cell_index=None, execute_reply=None, **kwargs) -> None:
        content = (execute_reply or {}).get("content", {})
        self._timed_out = content.get("ename") == _TIMEOUT

    def _left(self) -> float:
        return self.deadline - time.monotonic()

    async def _execute(self, cell: nbformat.NotebookNode, index: int, timeout: float,
                       keep: bool = True) -> bool:
        """Run ``cell``; False when it timed out. Raises DeadKernelError. ``keep=False`` leaves
        the notebook's own cell at ``index`` as it was (nbclient stores the cell it ran there)."""
        original = self.nb.cells[index]
        self.client.timeout = max(1, math.ceil(timeout))  # never stops short of the deadline
        self._timed_out = False
        try:
            await self.client.async_execute_cell(cell, index, store_history=keep)
        finally:
            if not keep:
                self.nb.cells[index] = original
        return not self._timed_out

    async def _responsive(self) -> bool:
        from nbclient.exceptions import DeadKernelError

        try:
            return await self._execute(nbformat.v4.new_code_cell("pass"), 0, self.grace, keep=False)
        except DeadKernelError:
            return False

    async def _restart(self) -> None:
        """A fresh kernel, brought back to where the notebook was by replaying earlier cells."""
        from nbclient.exceptions import DeadKernelError

        km, kc = self.client.km, self.client.kc
        await km.restart_kernel(now=True)
        await kc.wait_for_ready(timeout=120)
        for index in list(self.replayable):
            if self._left() <= 0:
                return
            replay = copy.deepcopy(self.nb.cells[index])
            try:
                finished = await self._execute(replay, index, min(self.timeout, self._left()), keep=False)
            except DeadKernelError:
                finished = False
            if not finished:
                self.notes.append(f"replaying cell {index} after a restart failed; the kernel was restarted again")
                await km.restart_kernel(now=True)
                await kc.wait_for_ready(timeout=120)
                return

    async def run(self) -> dict[int, _CellRun]:
        from nbclient.exceptions import DeadKernelError

        runs: dict[int, _CellRun] = {}
        offset = 0
        async with self.client.async_setup_kernel(env=self.env):
            for index, cell in enumerate(self.nb.cells):
                if cell.cell_type != "code":
                    continue
                if self._left() <= 0:
                    if not any(r.status == "skipped" for r in runs.values()):
                        self.notes.append(f"the notebook's time limit ({self.total_timeout:.0f} s) "
                                          f"was used up before cell {index}")
                    runs[index] = _CellRun("skipped", evalue=f"was not run: the notebook's time limit "
                                                             f"({self.total_timeout:.0f} s) was used up")
                    continue
                limit = min(self.timeout, self._left())
                recover = None
                try:
                    finished = await self._execute(cell, index, limit)
                except DeadKernelError:
                    run = _CellRun("dead", evalue="killed the kernel (a crash, os._exit or out of memory)")
                    recover = "dead"
                else:
                    if finished:
                        error = _first_error(cell)
                        run = _CellRun("error", *error) if error else _CellRun("ok")
                        self.replayable.append(index)
                    else:
                        run = _CellRun("timeout", evalue=f"ran over the time limit ({limit:.0f} s)")
                        recover = "timeout"
                run.log, offset = _read_log(self.log, offset)
                runs[index] = run
                if recover == "timeout" and not await self._responsive():
                    self.notes.append(f"cell {index} could not be interrupted; the kernel was restarted")
                    await self._restart()
                elif recover == "dead":
                    self.notes.append(f"the kernel died in cell {index} and was restarted")
                    await self._restart()
                _, offset = _read_log(self.log, offset)  # what the recovery's replay logged
        return runs


def _details(message: str, exercise_id: str) -> str:
    message = message.strip()
    if message.startswith(exercise_id + ": "):
        message = message[len(exercise_id) + 2:]
    return " ".join(message.split())


def _describe_run(index: int, run: _CellRun) -> str:
    if run.status == "error":
        return f"cell {index} raised {run.ename}" + (f": {run.evalue}" if run.evalue else "")
    return f"cell {index} {run.evalue}"


def _classify(exercise_id: str, index: int, run: _CellRun, earlier: list[str]) -> ExerciseResult:
    entries = [e for e in run.log if e.get("id") == exercise_id]
    if entries:
        last = entries[-1]
        status = last.get("status", FAILED)
        if status not in (PASSED, FAILED, NOT_ATTEMPTED):
            status = FAILED
        result = ExerciseResult(status, _details(last.get("message", ""), exercise_id))
    elif run.status == "error" and run.ename == "NotAttempted":
        result = ExerciseResult(NOT_ATTEMPTED, _details(run.evalue, exercise_id))
    elif run.status == "error":
        result = ExerciseResult(FAILED, f"the check cell raised {run.ename}: {_details(run.evalue, exercise_id)}")
    elif run.status == "ok":
        result = ExerciseResult(FAILED, "the check cell ran but did not check this exercise")
    else:
        result = ExerciseResult(FAILED, f"the check cell {run.evalue}")
    if result.status == NOT_ATTEMPTED:
        result.details = ""  # the status says it all
    if result.status != PASSED and earlier:
        result.details += " (before it: " + "; ".join(earlier) + ")"
    return result


def _run_coroutine(make):
    """``asyncio.run(make())``, in a worker thread when this thread already runs an event loop
    (inside Jupyter, or beside Playwright's sync API), where ``asyncio.run`` would refuse."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(make())
    import concurrent.futures

    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        return pool.submit(lambda: asyncio.run(make())).result()


def grade_notebook(path: str | Path, *, timeout: int = 120, total_timeout: float | None = None,
                   profile: str = "smoke", kernel_name: str = "python3",
                   executed: str | Path | None = None, name: str | None = None,
                   grace: float | None = None) -> Submission:
    """Run the notebook at ``path`` and classify each exercise it checks.

    ``timeout`` limits each cell, ``total_timeout`` (default 10 x timeout, at least 600 s) the whole
    notebook; ``executed`` is where to write the notebook with its outputs; ``grace`` is how long
    an interrupted cell may take to stop before the kernel is restarted.
    """
    path = Path(path)
    total = float(total_timeout if total_timeout is not None else max(600, 10 * timeout))
    name = name or str(path)
    started = time.monotonic()
    try:
        nb = nbformat.read(path, as_version=4)
    except Exception as error:  # not a notebook at all
        return Submission(path, name, {}, 0.0, [f"could not read the notebook: {error}"])
    with tempfile.TemporaryDirectory(prefix="cnnlessons-grade-") as tmp:
        log = Path(tmp) / "checks.jsonl"
        runner = _Runner(nb, path, timeout, total, profile, kernel_name, log, grace)
        try:
            runs = _run_coroutine(runner.run)
        except Exception as error:  # the kernel would not start, etc.
            runs = {}
            runner.notes.append(f"could not run the notebook: {type(error).__name__}: {error}")
    results: dict[str, ExerciseResult] = {}
    earlier: list[str] = []
    for index, cell in enumerate(nb.cells):
        if cell.cell_type != "code":
            continue
        run = runs.get(index, _CellRun("skipped", evalue="was not run"))
        ids = check_ids(cell.source)
        if not ids:
            if run.status not in ("ok", "skipped"):
                earlier.append(_describe_run(index, run))
            continue
        for exercise_id in ids:
            results[exercise_id] = _classify(exercise_id, index, run, earlier)
        earlier = []
    if executed is not None:
        Path(executed).parent.mkdir(parents=True, exist_ok=True)
        nbformat.write(nb, executed)
    return Submission(path, name, results, time.monotonic() - started, runner.notes)


def _exercise_columns(submissions: Sequence[Submission]) -> list[str]:
    from .exercises import EXERCISES

    found: list[str] = []
    for submission in submissions:
        for exercise_id in submission.results:
            if exercise_id not in found:
                found.append(exercise_id)
    known = [e for e in EXERCISES if e in found]
    return known + [e for e in found if e not in EXERCISES]


def _row(submission: Submission, columns: Sequence[str]) -> tuple[list[str], str, str]:
    cells, details = [], []
    for exercise_id in columns:
        result = submission.results.get(exercise_id)
        if result is None:
            result = ExerciseResult(FAILED, "no check cell for this exercise in the submission")
        cells.append(result.status)
        if result.status != PASSED and result.details:
            details.append(f"{exercise_id}: {result.details}")
    details += submission.notes
    passed = sum(c == PASSED for c in cells)
    return cells, f"{passed}/{len(columns)}", "; ".join(details)


def _md_escape(text: str, limit: int | None = None) -> str:
    text = " ".join(text.split())
    if limit and len(text) > limit:
        text = text[: limit - 1] + "…"
    return text.replace("|", "\\|")


def gradebook_markdown(submissions: Sequence[Submission], details_limit: int = 300) -> str:
    """The gradebook as a Markdown table."""
    columns = _exercise_columns(submissions)
    lines = ["| submission | " + " | ".join(f"`{c}`" for c in columns) + " | passed | details |",
             "|---|" + "---|" * len(columns) + "---|---|"]
    for submission in submissions:
        cells, total, details = _row(submission, columns)
        lines.append(f"| {_md_escape(submission.name)} | " + " | ".join(cells)
                     + f" | {total} | {_md_escape(details, details_limit)} |")
    return "\n".join(lines) + "\n"


def gradebook_csv(submissions: Sequence[Submission]) -> str:
    columns = _exercise_columns(submissions)
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(["submission", *columns, "passed", "details"])
    for submission in submissions:
        cells, total, details = _row(submission, columns)
        writer.writerow([submission.name, *cells, total, details])
    return buffer.getvalue()


def write_gradebook(submissions: Sequence[Submission], out_dir: str | Path) -> tuple[Path, Path]:
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    csv_path, md_path = out / "gradebook.csv", out / "gradebook.md"
    csv_path.write_text(gradebook_csv(submissions), encoding="utf-8")
    md_path.write_text(gradebook_markdown(submissions), encoding="utf-8")
    return csv_path, md_path


def _submission_paths(paths: Iterable[str | Path], out_dir: Path) -> list[Path]:
    found: list[Path] = []
    for p in map(Path, paths):
        if p.is_dir():
            found += sorted(q for q in p.rglob("*.ipynb")
                            if ".ipynb_checkpoints" not in q.parts and out_dir.resolve() not in q.resolve().parents)
        else:
            found.append(p)
    return found


def _executed_name(path: Path, used: set[str]) -> str:
    base = re.sub(r"[^A-Za-z0-9_.-]+", "_", str(path.with_suffix("")).strip("./")) or "notebook"
    name, n = base, 1
    while name in used:
        n += 1
        name = f"{base}_{n}"
    used.add(name)
    return name + ".ipynb"


def grade(paths: Iterable[str | Path], out_dir: str | Path = "grading", *, timeout: int = 120,
          total_timeout: float | None = None, profile: str = "smoke", kernel_name: str = "python3",
          progress: bool = False, grace: float | None = None, jobs: int = 1) -> list[Submission]:
    """Grade every submission (notebooks, or folders searched for them) and write the gradebook.

    ``jobs`` notebooks run at a time, each in its own kernel.
    """
    from concurrent.futures import ThreadPoolExecutor

    if jobs < 1:
        raise ValueError(f"jobs must be >= 1, got {jobs}")
    out = Path(out_dir)
    used: set[str] = set()
    work = [(path, out / "executed" / _executed_name(path, used)) for path in _submission_paths(paths, out)]

    def one(item: tuple[Path, Path]) -> Submission:
        path, executed = item
        if progress:
            print(f"grading {path} ...", flush=True)
        return grade_notebook(path, timeout=timeout, total_timeout=total_timeout, profile=profile,
                              kernel_name=kernel_name, executed=executed, grace=grace)

    if jobs == 1:
        submissions = [one(item) for item in work]
    else:
        with ThreadPoolExecutor(max_workers=jobs) as pool:
            submissions = list(pool.map(one, work))
    write_gradebook(submissions, out)
    return submissions
