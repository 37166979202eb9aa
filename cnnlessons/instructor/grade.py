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

import hashlib
import sys
import tempfile
from collections.abc import Iterable
from pathlib import Path

from . import gradebook
from .checkcells import check_ids
from .gradebook import ExerciseResult, Record, gradebook_markdown
from .sandbox import MODES, Sandbox, SandboxError, resolve
from .submission import GradeError, Instructor, grade_notebook

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
