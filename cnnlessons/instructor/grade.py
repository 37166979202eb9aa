"""Grade submitted notebooks: run each in its own kernel, decide every exercise outside it.

For each submission the grader
1. puts the instructor's version of every check cell back in place (found by cell id, else by
   exercise id; a deleted check cell makes its exercise "not attempted");
2. runs the notebook top to bottom in a fresh kernel (``kernelrun``), with the ``smoke`` profile by
   default and a time limit per cell and per notebook; before each check cell a hidden cell hands
   the answer over (pickled by value) — the kernel is never asked whether it passed;
3. decides each handed-over answer in a process of its own (``verdict``), with the real checker;
   a check cell that ran over its limit or killed the kernel fails without that;
4. writes the submission's record (``gradebook``) as soon as it is done.

Steps 2 and 3 run inside the submission's sandbox (``sandbox``: bubblewrap by default where it
works), on a copy of the notebook in a private folder; what comes back is JSON, checked against
its schema and size limits (``worker.read_result``, ``verdict.decide``); the grader never
unpickles anything, and only the grader writes the gradebook, the records and the feedback.

    python -m cnnlessons grade SUBMISSION ... [--instructor notebooks] [--out grading]
        [--timeout 120] [--jobs 2] [--shard K/N] [--resume | --force]
        [--sandbox auto|bwrap|docker|podman|require|off]

writes ``records/``, ``gradebook.csv``, ``gradebook.md``, ``feedback/`` and ``executed/`` under
``--out``.
"""

from __future__ import annotations

import copy
import dataclasses
import hashlib
import json
import os
import sys
import tempfile
import time
from collections.abc import Iterable, Sequence
from pathlib import Path

import nbformat

from . import gradebook
from ._files import atomic_write_notebook
from .checkcells import CheckCall, check_calls, check_ids
from .gradebook import FAILED, NOT_ATTEMPTED, PASSED, ExerciseResult, Record, gradebook_markdown
from .kernelrun import CellRun
from .sandbox import MODES, Sandbox, SandboxError, resolve
from .worker import RunResult, read_result

__all__ = [
    "ExerciseResult",
    "GradeError",
    "Instructor",
    "Record",
    "Submission",
    "check_ids",
    "grade",
    "grade_notebook",
    "gradebook_markdown",
    "library_digest",
    "parse_shard",
]

Submission = Record
"""The result of grading one submission (the name the grader used before records)."""


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
    sandbox: Sandbox, request: dict, box: Path, tmp: Path, total: float, cells: int
) -> tuple[RunResult | None, str]:
    """Run the notebook in ``sandbox`` (``worker``); its checked result, or None and why not."""
    import subprocess
    import threading

    env = dict(sandbox.env("/tmp"), PYTHONDONTWRITEBYTECODE="1")
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
            return None, f"it ran over {total + WORKER_STARTUP_S:.0f} s or wrote over {limit} bytes"
        err.seek(0, 2)
        err.seek(max(0, err.tell() - 600))
        tail = " ".join(err.read().decode("utf-8", "replace").split()[-40:])
    try:
        return read_result(b"".join(chunks), cells), ""
    except Exception as error:  # noqa: BLE001  anything malformed (JSON, schema, notebook) is no result
        return None, (
            f"{type(error).__name__}: {str(error)[:200]}; exit status {process.returncode}"
            + (f"; {tail}" if tail else "")
        )


def _details(message: str, exercise_id: str) -> str:
    message = message.strip()
    if message.startswith(exercise_id + ": "):
        message = message[len(exercise_id) + 2 :]
    return " ".join(message.split())


def _describe_run(index: int, run: CellRun) -> str:
    if run.status == "error":
        return f"cell {index} raised {run.ename}" + (f": {run.evalue}" if run.evalue else "")
    return f"cell {index} {run.evalue}"


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

    ``timeout`` limits each cell (and each check in the grader's check process), ``total_timeout``
    (default 10 x timeout, at least 600 s) the whole notebook; ``executed`` is where to write the
    notebook with its outputs; ``grace`` is how long an interrupted cell may take to stop before
    the kernel is restarted.
    """
    from . import verdict

    path = Path(path)
    total = float(total_timeout if total_timeout is not None else max(600, 10 * timeout))
    name = name or str(path)
    started = time.monotonic()
    data = path.read_bytes()
    record = Record(name, hashlib.sha256(data).hexdigest(), dict(key or {}), {}, [], 0.0, gradebook.now())
    try:
        nb = nbformat.reads(data.decode("utf-8"), as_version=4)
    except Exception as error:  # not a notebook at all
        record.notes.append(f"could not read the notebook ({type(error).__name__}); nothing was graded")
        return record
    cells = instructor.match(nb, path)
    if cells is None:
        record.notes.append("no instructor notebook has this notebook's check cells; nothing was graded")
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
            checker = verdict.start(profile, box, own) if hidden else None
            try:
                result, problem = _run_worker(own, request, box, Path(tmp), total, len(nb.cells))
                if result is None:
                    runs, hidden_runs, notes = (
                        {},
                        {},
                        [f"the notebook's run gave no usable result ({problem})"],
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
                        jobs, timeout=timeout, profile=profile, workdir=box, process=checker, sandbox=own
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
        run = runs.get(index, CellRun("skipped", evalue="was not run"))
        if index in check_cells:
            earlier[index], pending = pending, []
        elif run.status not in ("ok", "skipped"):
            pending.append(_describe_run(index, run))
    for call in expected:
        exercise_id = call.exercise_id
        if exercise_id not in placed:
            record.results[exercise_id] = ExerciseResult(NOT_ATTEMPTED, "the check cell was deleted")
            continue
        index = placed[exercise_id]
        run = runs.get(index, CellRun("skipped", evalue="was not run"))
        handed = hidden_runs.get(order[exercise_id])
        if exercise_id in decided_in_kernel:
            result = ExerciseResult(FAILED, f"the check cell {run.evalue}")
        elif exercise_id in verdicts:
            status, message = verdicts[exercise_id]
            result = ExerciseResult(status, "" if status == NOT_ATTEMPTED else _details(message, exercise_id))
        elif run.status == "error" and run.ename == "NotAttempted":
            result = ExerciseResult(NOT_ATTEMPTED)
        else:
            why = (
                f"{handed.ename}: {handed.evalue}"
                if handed and handed.status == "error"
                else (handed.evalue if handed else "it was not run")
            )
            result = ExerciseResult(
                FAILED,
                f"the answer `{call.answer}` could not be handed to the grader "
                f"({_details(why, exercise_id)})",
            )
        if result.status != PASSED and earlier.get(index):
            result.details += " (before it: " + "; ".join(earlier[index]) + ")"
        record.results[exercise_id] = result
    if executed is not None:
        Path(executed).parent.mkdir(parents=True, exist_ok=True)
        atomic_write_notebook(nb, executed)
    record.seconds = round(time.monotonic() - started, 2)
    return record


# --- a class ---------------------------------------------------------------------------------


def library_digest() -> str:
    """SHA-256 of the library's source files (what a change of the checkers changes)."""
    root = Path(__file__).resolve().parents[1]
    digest = hashlib.sha256()
    for path in sorted(root.rglob("*.py")):
        if "__pycache__" in path.parts:
            continue
        digest.update(path.relative_to(root).as_posix().encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()


def parse_shard(text: str | tuple[int, int] | None) -> tuple[int, int] | None:
    """``"K/N"`` -> (K, N), 1 <= K <= N."""
    if text is None or isinstance(text, tuple):
        shard = text
    else:
        try:
            k, n = (int(part) for part in str(text).split("/"))
            shard = (k, n)
        except ValueError:
            shard = None
            raise GradeError(f"--shard must be K/N with 1 <= K <= N, e.g. 2/4; got {text!r}") from None
    if shard is not None and not 1 <= shard[0] <= shard[1]:
        raise GradeError(f"--shard must be K/N with 1 <= K <= N, e.g. 2/4; got {shard[0]}/{shard[1]}")
    return shard


def submission_paths(paths: Iterable[str | Path], out_dir: Path) -> list[Path]:
    """The notebooks to grade: each path a notebook, or a folder searched for them."""
    found: list[Path] = []
    out = out_dir.resolve()
    for p in map(Path, paths):
        if p.is_dir():
            inside = sorted(
                q
                for q in p.rglob("*.ipynb")
                if ".ipynb_checkpoints" not in q.parts
                and out != q.resolve().parent
                and out not in q.resolve().parents
            )
            if not inside:
                raise GradeError(f"SUBMISSION folder '{p}' holds no .ipynb notebooks")
            found += inside
        elif p.is_file():
            if p.suffix != ".ipynb":
                raise GradeError(f"SUBMISSION '{p}' is not a notebook: expected an .ipynb file or a folder")
            found.append(p)
        else:
            raise GradeError(f"SUBMISSION '{p}' does not exist")
    unique: dict[str, Path] = {}
    for path in found:
        unique.setdefault(str(path), path)
    return [unique[name] for name in sorted(unique)]


_OUTPUTS = ("gradebook.csv", "gradebook.md", gradebook.RECORDS, gradebook.FEEDBACK, "executed")


def _prepare_out(out: Path, resume: bool, force: bool) -> None:
    if out.exists() and not out.is_dir():
        raise GradeError(f"--out '{out}' is a file; expected a folder for the gradebook")
    blocked = next((p for p in out.parents if p.exists() and not p.is_dir()), None)
    if blocked is not None:
        raise GradeError(f"--out '{out}' cannot be written: '{blocked}' is a file")
    if out.is_dir() and any((out / name).exists() for name in _OUTPUTS):
        if not (resume or force):
            raise GradeError(
                f"--out '{out}' already holds a gradebook; pass --resume to go on with it "
                "or --force to grade everything again"
            )
        if force:
            for pattern in (
                "gradebook.csv",
                "gradebook.md",
                "records/*.json",
                "feedback/*.md",
                "executed/*.ipynb",
            ):
                for path in out.glob(pattern):
                    path.unlink()
    try:
        out.mkdir(parents=True, exist_ok=True)
        probe = tempfile.NamedTemporaryFile(dir=out, prefix=".write-test-")
        probe.close()
    except OSError as error:
        raise GradeError(f"--out '{out}' cannot be written ({error.strerror or error})") from None


def grade(
    paths: Iterable[str | Path],
    out_dir: str | Path = "grading",
    *,
    instructor: Iterable[str | Path] | Instructor | None = None,
    timeout: int = 120,
    total_timeout: float | None = None,
    profile: str = "smoke",
    kernel_name: str = "python3",
    progress: bool = False,
    grace: float | None = None,
    jobs: int = 1,
    shard: str | tuple[int, int] | None = None,
    resume: bool = False,
    force: bool = False,
    sandbox: str | Sandbox = "auto",
    sandbox_image: str = "cnnlessons",
) -> list[Record]:
    """Grade every submission (notebooks, or folders searched for them) and write the gradebook.

    ``instructor``: the instructor (or released) notebooks whose check cells grade the
    submissions (default ``notebooks/``). ``jobs`` notebooks run at a time, each in its own
    kernel. ``shard=(K, N)`` (or ``"K/N"``) grades only the K-th of N slices of the sorted
    submissions. With ``resume``, a submission whose record was made from the same notebook and
    the same grading key is not graded again; ``force`` grades all again; without either an
    existing gradebook in ``out_dir`` is an error. ``sandbox`` (``sandbox.MODES``): where each
    submission runs; ``auto`` is bubblewrap where it works, else none with one printed line.
    Returns the records of this run, by name.
    """
    from concurrent.futures import ThreadPoolExecutor

    if isinstance(jobs, bool) or not isinstance(jobs, int) or jobs < 1:
        raise GradeError(f"--jobs must be an integer >= 1, got {jobs!r}")
    if isinstance(timeout, bool) or not isinstance(timeout, (int, float)) or timeout < 1:
        raise GradeError(f"--timeout must be a number of seconds >= 1, got {timeout!r}")
    if resume and force:
        raise GradeError("--resume and --force exclude each other: go on with a gradebook, or start again")
    out = Path(out_dir)
    part = parse_shard(shard)
    work = submission_paths(paths, out)
    if not isinstance(instructor, Instructor):
        if instructor is None:
            if not Path("notebooks").is_dir():
                raise GradeError(
                    "--instructor is needed: there is no notebooks/ folder here; pass the "
                    "instructor (or released) notebooks"
                )
            instructor = ["notebooks"]
        instructor = Instructor.load(list(instructor))
    if part is not None:
        work = [p for i, p in enumerate(work) if i % part[1] == part[0] - 1]
    if not isinstance(sandbox, Sandbox):
        if sandbox not in MODES:
            raise GradeError(f"--sandbox must be one of {', '.join(MODES)}, got {sandbox!r}")
        try:
            sandbox = resolve(sandbox, sandbox_image, say=lambda *a, **k: print(*a, **k, file=sys.stderr))
        except SandboxError as error:
            raise GradeError(str(error)) from None
    _prepare_out(out, resume, force)
    key = {
        "sandbox": sandbox.kind,
        "checks": instructor.digest(),
        "profile": profile,
        "timeout": timeout,
        "total_timeout": total_timeout,
        "kernel": kernel_name,
        "library": library_digest(),
    }

    def one(path: Path) -> Record:
        name = str(path)
        old = gradebook.record_path(out, name)
        if resume and old.exists():
            try:
                record = Record.from_json(old.read_text(encoding="utf-8"))
            except (OSError, ValueError, TypeError, KeyError):
                record = None
            if (
                record is not None
                and record.key == key
                and record.notebook_sha256 == hashlib.sha256(path.read_bytes()).hexdigest()
            ):
                if progress:
                    print(f"already graded: {name}", flush=True)
                return record
        if progress:
            print(f"grading {name} ...", flush=True)
        record = grade_notebook(
            path,
            instructor,
            key=key,
            timeout=timeout,
            total_timeout=total_timeout,
            profile=profile,
            kernel_name=kernel_name,
            name=name,
            grace=grace,
            sandbox=sandbox,
            executed=out / "executed" / (gradebook.file_name(name) + ".ipynb"),
        )
        gradebook.write_record(out, record)
        return record

    if jobs == 1:
        records = [one(path) for path in work]
    else:
        with ThreadPoolExecutor(max_workers=jobs) as pool:
            records = list(pool.map(one, work))
    gradebook.write_outputs(out, records)
    return records
