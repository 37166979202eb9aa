"""Grade one submission: the instructor's check cells put back, the notebook run and decided.

``grade`` (the class, the command line) calls ``grade_notebook`` once per submission; see
``grade``'s docstring for the steps. ``Instructor`` holds the check cells of the instructor
notebooks and finds the ones a submission is a copy of.

A submission is graded in its notebook's language (``notebook_language``): the language its setup
cell passes to ``setup_notebook(language=...)``, English when it passes none. The checker's
messages, the grader's own and the feedback report are in that language.
"""

from __future__ import annotations

import ast
import copy
import dataclasses
import hashlib
import json
import os
import tempfile
import time
from collections.abc import Iterable, Sequence
from pathlib import Path

import nbformat

from ..i18n import DEFAULT, LANGUAGES, _, using
from . import gradebook
from ._files import atomic_write_notebook
from .checkcells import CheckCall, check_calls, check_ids
from .gradebook import FAILED, NOT_ATTEMPTED, PASSED, ExerciseResult, Record
from .kernelrun import CellRun
from .sandbox import Sandbox
from .worker import RunResult, read_result

__all__ = [
    "GradeError",
    "Instructor",
    "InstructorCell",
    "grade_notebook",
    "notebook_language",
    "restore_check_cells",
]


class GradeError(ValueError):
    """Bad input to ``grade``; the message names the argument and what was expected."""


# --- the instructor's check cells ------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class InstructorCell:
    """One check cell of an instructor notebook."""

    notebook: str
    cell_id: str | None
    source: str
    calls: tuple[CheckCall, ...]


@dataclasses.dataclass
class Instructor:
    """The check cells of the instructor notebooks (the released ones hold the same cells)."""

    cells: dict[str, list[InstructorCell]]
    """Notebook stem -> its check cells, in order."""

    @classmethod
    def load(cls, paths: Iterable[str | Path]) -> Instructor:
        notebooks: list[Path] = []
        for path in map(Path, paths):
            if path.is_dir():
                notebooks += sorted(p for p in path.glob("*.ipynb"))
            elif path.is_file():
                notebooks.append(path)
            else:
                raise GradeError(
                    f"--instructor '{path}' does not exist; pass the instructor (or released) "
                    "notebooks, or the folder that holds them"
                )
        if not notebooks:
            raise GradeError(f"--instructor '{', '.join(map(str, paths))}' holds no .ipynb notebooks")
        cells: dict[str, list[InstructorCell]] = {}
        for path in notebooks:
            try:
                nb = nbformat.read(path, as_version=4)
            except Exception as error:  # not JSON, not a notebook
                raise GradeError(
                    f"--instructor notebook '{path}' is not a readable notebook ({type(error).__name__})"
                ) from None
            cells[path.stem] = [
                InstructorCell(path.stem, cell.get("id"), cell.source, tuple(check_calls(cell.source)))
                for cell in nb.cells
                if cell.cell_type == "code" and check_calls(cell.source)
            ]
        if not any(cells.values()):
            raise GradeError(
                '--instructor notebooks hold no check cells (cells that run check("<id>", answer))'
            )
        return cls(cells)

    def digest(self) -> str:
        data = {name: [(c.cell_id, c.source) for c in cells] for name, cells in sorted(self.cells.items())}
        return hashlib.sha256(json.dumps(data, sort_keys=True).encode("utf-8")).hexdigest()

    def match(self, nb: nbformat.NotebookNode, path: Path) -> list[InstructorCell] | None:
        """The check cells of the instructor notebook this submission is a copy of (most shared
        cell ids, then exercise ids, then the file name), or None."""
        ids = {cell.get("id") for cell in nb.cells} - {None}
        exercises = {i for cell in nb.cells if cell.cell_type == "code" for i in check_ids(cell.source)}

        def score(item: tuple[str, list[InstructorCell]]) -> tuple[int, int, bool]:
            name, cells = item
            return (
                len(ids & {c.cell_id for c in cells}),
                len(exercises & {call.exercise_id for c in cells for call in c.calls}),
                path.stem == name,
            )

        best = max(self.cells.items(), key=score, default=None)
        return best[1] if best is not None and any(score(best)) else None


def restore_check_cells(
    nb: nbformat.NotebookNode, cells: Sequence[InstructorCell]
) -> tuple[nbformat.NotebookNode, dict[str, int]]:
    """A copy of ``nb`` with every instructor check cell put back; exercise id -> cell index
    (an exercise whose check cell was deleted is missing)."""
    nb = copy.deepcopy(nb)
    placed: dict[str, int] = {}
    taken: set[int] = set()
    by_id = {cell.get("id"): i for i, cell in enumerate(nb.cells) if cell.get("id")}
    for instructor in cells:
        wanted = {call.exercise_id for call in instructor.calls}
        index = by_id.get(instructor.cell_id) if instructor.cell_id else None
        if index is None or index in taken:
            index = next(
                (
                    i
                    for i, cell in enumerate(nb.cells)
                    if i not in taken and cell.cell_type == "code" and wanted & set(check_ids(cell.source))
                ),
                None,
            )
        if index is None:
            continue
        taken.add(index)
        cell = nb.cells[index]
        if cell.cell_type != "code":
            nb.cells[index] = cell = nbformat.v4.new_code_cell(instructor.source, id=cell.get("id"))
        cell.source = instructor.source
        for call in instructor.calls:
            placed[call.exercise_id] = index
    return nb, placed


# --- the notebook's language ----------------------------------------------------------------


def notebook_language(nb: nbformat.NotebookNode) -> str:
    """The language a notebook is graded in: the ``language=`` string its setup cell passes to
    ``setup_notebook`` (the first code cell that calls it), English when it passes none, or
    none the course speaks. Read from the source; nothing runs."""
    for cell in nb.cells:
        if cell.cell_type != "code" or "setup_notebook" not in cell.source:
            continue
        try:
            tree = ast.parse(_python_only(cell.source))
        except SyntaxError:
            continue
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call):
                continue
            name = getattr(node.func, "id", None) or getattr(node.func, "attr", None)
            if name != "setup_notebook":
                continue
            for keyword in node.keywords:
                if keyword.arg == "language" and isinstance(keyword.value, ast.Constant):
                    value = keyword.value.value
                    code = (
                        value.strip().lower().replace("-", "_").split("_")[0]
                        if isinstance(value, str)
                        else ""
                    )
                    return code if code in LANGUAGES else DEFAULT
            return DEFAULT
    return DEFAULT


def _python_only(source: str) -> str:
    """The cell without IPython's magics and shell lines, which ``ast`` cannot read."""
    return "\n".join("" if line.lstrip().startswith(("%", "!")) else line for line in source.splitlines())


# --- one submission --------------------------------------------------------------------------


def _hand_over_source(answer: str, target: Path) -> str:
    return (
        f"def _cnnlessons_hand_over():\n"
        f"    import cloudpickle\n"
        f"    with open({str(target)!r}, 'wb') as f:\n"
        f"        cloudpickle.dump(({answer}\n), f)\n"
        f"try:\n"
        f"    _cnnlessons_hand_over()\n"
        f"finally:\n"
        f"    del _cnnlessons_hand_over\n"
    )


WORKER_STARTUP_S = 300
"""Beyond the notebook's own limit: starting (and restarting) kernels, writing the result."""


def _run_worker(
    sandbox: Sandbox, request: dict, box: Path, tmp: Path, total: float, cells: int, language: str = DEFAULT
) -> tuple[RunResult | None, str]:
    """Run the notebook in ``sandbox`` (``worker``); its checked result, or None and why not."""
    import subprocess
    import threading

    env = dict(sandbox.env("/tmp"), PYTHONDONTWRITEBYTECODE="1", CNNLESSONS_LANG=language)
    argv = sandbox.wrap(sandbox.python_module("cnnlessons.instructor.worker"), box, env=env)
    limit = sandbox.limits.output
    with open(tmp / "worker.err", "w+b") as err:
        process = subprocess.Popen(
            argv,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=err,
            cwd=box,
            env=env if not sandbox.isolated else {"PATH": os.environ.get("PATH", "")},
            start_new_session=True,
        )
        chunks: list[bytes] = []

        def read() -> None:
            size = 0
            while size <= limit:
                chunk = process.stdout.read(1 << 16)
                if not chunk:
                    return
                chunks.append(chunk)
                size += len(chunk)

        reader = threading.Thread(target=read, daemon=True)
        reader.start()
        try:
            process.stdin.write(json.dumps(request).encode("utf-8"))
            process.stdin.close()
        except OSError:
            pass
        reader.join(total + WORKER_STARTUP_S)
        over = reader.is_alive() or sum(map(len, chunks)) > limit
        if process.poll() is None:
            try:
                process.wait(5 if not over else 0.1)
            except subprocess.TimeoutExpired:
                pass
        if process.poll() is None:
            process.kill()
            process.wait()
        if over:
            return None, _("it ran over {seconds:.0f} s or wrote over {limit} bytes").format(
                seconds=total + WORKER_STARTUP_S, limit=limit
            )
        err.seek(0, 2)
        err.seek(max(0, err.tell() - 600))
        tail = " ".join(err.read().decode("utf-8", "replace").split()[-40:])
    try:
        return read_result(b"".join(chunks), cells), ""
    except Exception as error:  # noqa: BLE001  anything malformed (JSON, schema, notebook) is no result
        return None, (
            _("{error}: {message}; exit status {status}").format(
                error=type(error).__name__, message=str(error)[:200], status=process.returncode
            )
            + (f"; {tail}" if tail else "")
        )


def _details(message: str, exercise_id: str) -> str:
    message = message.strip()
    if message.startswith(exercise_id + ": "):
        message = message[len(exercise_id) + 2 :]
    return " ".join(message.split())


def _describe_run(index: int, run: CellRun) -> str:
    if run.status == "error":
        return _("cell {index} raised {error}").format(index=index, error=run.ename) + (
            f": {run.evalue}" if run.evalue else ""
        )
    return _("cell {index} {what}").format(index=index, what=run.evalue)


def grade_notebook(
    path: str | Path,
    instructor: Instructor,
    *,
    key: dict | None = None,
    timeout: int = 120,
    total_timeout: float | None = None,
    profile: str = "smoke",
    kernel_name: str = "python3",
    executed: str | Path | None = None,
    name: str | None = None,
    grace: float | None = None,
    sandbox: Sandbox | None = None,
) -> Record:
    """Grade the notebook at ``path`` against the check cells of ``instructor``.

    The notebook's run (``worker``) and the check process (``verdict``) each run inside
    ``sandbox`` (default: none), on a copy of the notebook in a private folder; only JSON comes back.
    Everything is decided and said in the notebook's language (``notebook_language``).

    ``timeout`` limits each cell (and each check in the grader's check process), ``total_timeout``
    (default 10 x timeout, at least 600 s) the whole notebook; ``executed`` is where to write the
    notebook with its outputs; ``grace`` is how long an interrupted cell may take to stop before
    the kernel is restarted.
    """
    path = Path(path)
    name = name or str(path)
    started = time.monotonic()
    data = path.read_bytes()
    record = Record(name, hashlib.sha256(data).hexdigest(), dict(key or {}), {}, [], 0.0, gradebook.now())
    try:
        nb = nbformat.reads(data.decode("utf-8"), as_version=4)
    except Exception as error:  # not a notebook at all
        record.notes.append(
            _("could not read the notebook ({error}); nothing was graded").format(error=type(error).__name__)
        )
        return record
    record.language = notebook_language(nb)
    with using(record.language):
        return _grade(
            nb,
            path,
            record,
            instructor,
            timeout=timeout,
            total_timeout=total_timeout,
            profile=profile,
            kernel_name=kernel_name,
            executed=executed,
            grace=grace,
            sandbox=sandbox,
            started=started,
        )


def _grade(
    nb: nbformat.NotebookNode,
    path: Path,
    record: Record,
    instructor: Instructor,
    *,
    timeout: int,
    total_timeout: float | None,
    profile: str,
    kernel_name: str,
    executed: str | Path | None,
    grace: float | None,
    sandbox: Sandbox | None,
    started: float,
) -> Record:
    from . import verdict

    total = float(total_timeout if total_timeout is not None else max(600, 10 * timeout))
    cells = instructor.match(nb, path)
    if cells is None:
        record.notes.append(_("no instructor notebook has this notebook's check cells; nothing was graded"))
        return record
    nb, placed = restore_check_cells(nb, cells)
    expected = [call for cell in cells for call in cell.calls]
    sandbox = sandbox or Sandbox("none")
    record.key.setdefault("sandbox", sandbox.kind)
    with tempfile.TemporaryDirectory(prefix="cnnlessons-grade-") as tmp:
        box = Path(tmp) / "box"  # the submission's private folder: all its sandbox sees of the disk
        box.mkdir()
        notebook = box / "notebook.ipynb"
        atomic_write_notebook(nb, notebook)
        notebook.chmod(0o644)  # readable by the sandbox's own user
        answers = {call.exercise_id: box / f"answer-{n}.pkl" for n, call in enumerate(expected)}
        hidden: dict[int, list[str]] = {}
        order: dict[str, tuple[int, int]] = {}
        for call in expected:
            if call.exercise_id in placed:
                index = placed[call.exercise_id]
                order[call.exercise_id] = (index, len(hidden.setdefault(index, [])))
                hidden[index].append(_hand_over_source(call.answer, answers[call.exercise_id]))
        request = {
            "notebook": str(notebook),
            "timeout": timeout,
            "total_timeout": total,
            "profile": profile,
            "kernel_name": kernel_name,
            "grace": grace,
            "hidden": hidden,
        }
        with sandbox.for_submission(box) as own:
            # the check process imports torch while the kernel runs
            checker = verdict.start(profile, box, own, language=record.language) if hidden else None
            try:
                result, problem = _run_worker(
                    own, request, box, Path(tmp), total, len(nb.cells), language=record.language
                )
                if result is None:
                    runs, hidden_runs, notes = (
                        {},
                        {},
                        [_("the notebook's run gave no usable result ({problem})").format(problem=problem)],
                    )
                else:
                    runs, hidden_runs, notes = result["runs"], result["hidden_runs"], result["notes"]
                    nb = result["notebook"]
                decided_in_kernel = {
                    e
                    for e, i in placed.items()
                    if runs.get(i, CellRun("skipped")).status in ("timeout", "dead", "skipped")
                }
                jobs = [
                    verdict.Job(e, answers[e])
                    for e in placed
                    if e not in decided_in_kernel
                    and hidden_runs.get(order[e], CellRun("skipped")).status == "ok"
                    and answers[e].exists()
                ]
                verdicts = (
                    verdict.decide(
                        jobs,
                        timeout=timeout,
                        profile=profile,
                        workdir=box,
                        process=checker,
                        sandbox=own,
                        language=record.language,
                    )
                    if jobs
                    else {}
                )
            finally:
                if checker is not None and checker.poll() is None:
                    checker.kill()
                    checker.wait()
    record.notes += notes
    earlier: dict[int, list[str]] = {}
    pending: list[str] = []
    check_cells = set(placed.values())
    for index, cell in enumerate(nb.cells):
        if cell.cell_type != "code":
            continue
        run = runs.get(index, CellRun("skipped", evalue=_("was not run")))
        if index in check_cells:
            earlier[index], pending = pending, []
        elif run.status not in ("ok", "skipped"):
            pending.append(_describe_run(index, run))
    for call in expected:
        exercise_id = call.exercise_id
        if exercise_id not in placed:
            record.results[exercise_id] = ExerciseResult(NOT_ATTEMPTED, _("the check cell was deleted"))
            continue
        index = placed[exercise_id]
        run = runs.get(index, CellRun("skipped", evalue=_("was not run")))
        handed = hidden_runs.get(order[exercise_id])
        if exercise_id in decided_in_kernel:
            result = ExerciseResult(FAILED, _("the check cell {what}").format(what=run.evalue))
        elif exercise_id in verdicts:
            status, message = verdicts[exercise_id]
            result = ExerciseResult(status, "" if status == NOT_ATTEMPTED else _details(message, exercise_id))
        elif run.status == "error" and run.ename == "NotAttempted":
            result = ExerciseResult(NOT_ATTEMPTED)
        else:
            why = (
                f"{handed.ename}: {handed.evalue}"
                if handed and handed.status == "error"
                else (handed.evalue if handed else _("it was not run"))
            )
            result = ExerciseResult(
                FAILED,
                _("the answer `{answer}` could not be handed to the grader ({why})").format(
                    answer=call.answer, why=_details(why, exercise_id)
                ),
            )
        if result.status != PASSED and earlier.get(index):
            result.details += _(" (before it: {runs})").format(runs="; ".join(earlier[index]))
        record.results[exercise_id] = result
    if executed is not None:
        Path(executed).parent.mkdir(parents=True, exist_ok=True)
        atomic_write_notebook(nb, executed)
    record.seconds = round(time.monotonic() - started, 2)
    return record
