"""The grader's verdicts, decided in a process the grader starts, not in the learner's kernel.

The learner's kernel only hands over each answer (the object the instructor's check cell would
check, pickled by value with cloudpickle); it never reports whether the answer passed. A fresh
Python (``python -I -m cnnlessons.instructor.verdict``: no current folder on the path, so nothing beside the
submission can stand in for the library) imports the course's checkers before any learner code
runs, records the state of the library, torch and the builtins, loads each answer, and runs the
real checker on it (``exercises.core.evaluate``). An answer whose loading or running changes that
state (a patched checker, registry, torch function or builtin) fails, and the process is replaced
before the next answer. Results go back over the process's original standard output, which learner
code no longer reaches (its prints go to ``/dev/null``), tagged with a token the grader sent.

The grader starts this process inside the submission's sandbox (``sandbox``): the answers
are unpickled there, never in the grader, and each reply line is read with a size limit and
checked field by field. What this cannot stop: code that runs inside this process while its
answer is checked (written against this very process: reading the token from memory, writing to
the saved descriptor) could forge its own submission's line; the sandbox keeps it from anything
else (other submissions, the gradebook, the grader).
"""

from __future__ import annotations

import dataclasses
import json
import os
import queue
import secrets
import subprocess
import sys
import threading
import types
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from ..i18n import _

__all__ = ["Job", "decide", "start"]

_WATCHED_PREFIXES = ("cnnlessons", "torch.nn.modules")
_WATCHED_EXACT = (
    "builtins",
    "math",
    "random",
    "functools",
    "inspect",
    "copy",
    "pickle",
    "sys",
    "os",
    "json",
    "types",
    "operator",
    "collections",
    "itertools",
    "numpy",
    "torch",
    "torch.nn",
    "torch.nn.functional",
    "torch.nn.init",
    "torch.nn.parameter",
    "torch._tensor",
    "torch.random",
    "torch.autograd",
    "torch.autograd.grad_mode",
    "torch.testing",
)
LINE_LIMIT = 64 << 10
"""Longest reply line read from the check process."""
STARTUP_S = 120
"""How long the check process may take to import torch and the checkers."""


@dataclasses.dataclass(frozen=True)
class Job:
    """Decide ``exercise_id`` on the answer pickled at ``answer``."""

    exercise_id: str
    answer: Path


# --- in the check process --------------------------------------------------------------------


def _code_id(value: Any) -> int:
    return id(value.__code__) if isinstance(value, types.FunctionType) else 0


class _Guard:
    """The identity of every name in the watched modules and their classes, to compare later."""

    def __init__(self) -> None:
        self.modules = self._modules()
        self.state = self._take()

    @staticmethod
    def _modules() -> dict[str, types.ModuleType]:
        found = {}
        for name, module in list(sys.modules.items()):
            if module is None:
                continue
            if name in _WATCHED_EXACT or any(
                name == p or name.startswith(p + ".") for p in _WATCHED_PREFIXES
            ):
                found[name] = module
        return found

    def _take(self) -> dict[tuple[str, str], tuple[int, int]]:
        state = {}
        for name, module in self.modules.items():
            own = name.split(".")[0] == "cnnlessons"
            for key, value in list(vars(module).items()):
                state[(name, key)] = (id(value), _code_id(value))
                if isinstance(value, type) and (own or vars(value).get("__module__") == name):
                    for attr, member in list(vars(value).items()):
                        state[(f"{name}.{key}", attr)] = (id(member), _code_id(member))
            if own:  # the registry's entries and their checkers
                registry = vars(module).get("EXERCISES")
                if isinstance(registry, dict):
                    for exercise_id, ex in list(registry.items()):
                        checker = getattr(ex, "checker", None)
                        state[(f"{name}.EXERCISES", exercise_id)] = (id(ex), id(checker))
        return state

    def changed(self) -> str | None:
        """The first watched name that was rebound or removed (or added to the library), or None."""
        now = self._take()
        for key, value in self.state.items():
            if now.get(key) != value:
                return ".".join(key)
        for key in now.keys() - self.state.keys():
            owner, name = key
            if owner.split(".")[0] == "cnnlessons" and not isinstance(
                vars(self.modules[owner]).get(name) if owner in self.modules else None, types.ModuleType
            ):
                return ".".join(key)
        return None


def _load(path: str) -> Any:
    import pickle

    import cloudpickle  # noqa: F401  (pickles made by cloudpickle load with pickle once it is imported)

    with open(path, "rb") as f:
        return pickle.load(f)


def _decide_one(exercise_id: str, path: str, evaluate, guard: _Guard, outcome_type) -> tuple[Any, bool]:
    """(the outcome, whether the process state is still clean)."""
    failed = "failed"

    def tampered(where: str) -> tuple[Any, bool]:
        return outcome_type(
            failed,
            _(
                "{exercise_id}: your code changes the course's checker or torch "
                "({where}); a submission may not patch them"
            ).format(exercise_id=exercise_id, where=where),
        ), False

    try:
        answer = _load(path)
    except BaseException as error:  # noqa: BLE001  the learner's pickle may raise anything
        where = guard.changed()
        if where:
            return tampered(where)
        if isinstance(error, ModuleNotFoundError):
            return outcome_type(
                failed,
                _(
                    "{exercise_id}: the answer comes from the module '{module}', which "
                    "exists only in your notebook's kernel; define the answer in the notebook "
                    "itself"
                ).format(exercise_id=exercise_id, module=error.name),
            ), True
        return outcome_type(
            failed,
            _(
                "{exercise_id}: the answer could not be loaded in the grader's check ({error}: {message})"
            ).format(exercise_id=exercise_id, error=type(error).__name__, message=str(error)[:200]),
        ), True
    where = guard.changed()
    if where:
        return tampered(where)
    try:
        outcome = evaluate(exercise_id, answer)
    except BaseException as error:  # noqa: BLE001  SystemExit, KeyboardInterrupt from learner code
        outcome = outcome_type(
            failed,
            _("{exercise_id}: the answer raised {error} during the check").format(
                exercise_id=exercise_id, error=type(error).__name__
            ),
        )
    where = guard.changed()
    if where:
        return tampered(where)
    return outcome, True


def _serve() -> int:
    """The check process: a request on stdin, one JSON line per job on the original stdout."""
    from .. import lessons  # noqa: F401  registers every checker before learner code runs
    from ..exercises.core import Outcome, evaluate
    from ..i18n import translations

    translations()  # the catalog of CNNLESSONS_LANG loaded (and the font set) before the guard looks
    guard = _Guard()
    request = json.loads(sys.stdin.buffer.read().decode("utf-8"))  # the grader may start us early
    channel = os.fdopen(os.dup(1), "w", encoding="utf-8")
    null = os.open(os.devnull, os.O_RDWR)
    for fd in (0, 1, 2):
        os.dup2(null, fd)
    token = request["token"]
    for job in request["jobs"]:
        outcome, clean = _decide_one(job["id"], job["answer"], evaluate, guard, Outcome)
        channel.write(
            json.dumps(
                {
                    "token": token,
                    "id": job["id"],
                    "status": outcome.status,
                    "message": outcome.message,
                    "clean": clean,
                }
            )
            + "\n"
        )
        channel.flush()
        if not clean:
            break
    channel.close()
    return 0


# --- in the grader ---------------------------------------------------------------------------


def _reader(stream, lines: queue.Queue) -> None:
    for line in iter(lambda: stream.readline(LINE_LIMIT + 1), b""):
        lines.put(line if len(line) <= LINE_LIMIT else b"")  # an overlong line is no reply
    lines.put(None)


def start(
    profile: str = "smoke", workdir: str | Path | None = None, sandbox=None, language: str = "en"
) -> subprocess.Popen:
    """A check process, importing torch and the checkers while it waits for its jobs (start it
    early: the import is most of its time); inside ``sandbox`` (``sandbox.Sandbox``) with
    ``workdir`` read-only. Its messages are in ``language`` (the notebook's)."""
    from .sandbox import Sandbox

    sandbox = sandbox or Sandbox("none")
    env = dict(
        sandbox.env("/tmp"),
        CNNLESSONS_PROFILE=profile,
        CNNLESSONS_LANG=language,
        OMP_NUM_THREADS="1",
        PYTHONDONTWRITEBYTECODE="1",
    )
    argv = sandbox.wrap(
        sandbox.python_module("cnnlessons.instructor.verdict"), workdir, writable=False, env=env
    )
    return subprocess.Popen(
        argv,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        env=env if not sandbox.isolated else {"PATH": os.environ.get("PATH", "/usr/bin")},
        cwd=str(workdir) if workdir else None,
        start_new_session=True,
    )


def decide(
    jobs: Sequence[Job],
    *,
    timeout: float,
    profile: str = "smoke",
    workdir: str | Path | None = None,
    process: subprocess.Popen | None = None,
    sandbox=None,
    language: str = "en",
) -> dict[str, tuple[str, str]]:
    """``{exercise_id: (status, message)}`` for every job, each decided by a check process
    (``process``, from ``start``, for the first ones; a fresh one speaks ``language``).

    ``timeout`` limits each check. A job whose check runs over it, ends the process, or breaks
    the protocol fails; a fresh process then takes the remaining jobs.
    """
    results: dict[str, tuple[str, str]] = {}
    remaining = list(jobs)
    while remaining:
        token = secrets.token_hex(16)
        process = process or start(profile, workdir, sandbox, language=language)
        lines: queue.Queue = queue.Queue()
        threading.Thread(target=_reader, args=(process.stdout, lines), daemon=True).start()
        request = {
            "token": token,
            "jobs": [{"id": j.exercise_id, "answer": str(j.answer)} for j in remaining],
        }
        try:
            process.stdin.write(json.dumps(request).encode("utf-8"))
            process.stdin.close()
        except OSError:
            pass
        allowance = STARTUP_S + timeout
        try:
            while remaining:
                job = remaining[0]
                try:
                    line = lines.get(timeout=allowance)
                except queue.Empty:
                    results[job.exercise_id] = (
                        "failed",
                        _(
                            "{exercise_id}: the check ran over the time limit ({seconds:.0f} s) "
                            "in the grader's check"
                        ).format(exercise_id=job.exercise_id, seconds=timeout),
                    )
                    remaining.pop(0)
                    break
                if line is None:
                    results[job.exercise_id] = (
                        "failed",
                        _("{exercise_id}: the answer ended the grader's check process").format(
                            exercise_id=job.exercise_id
                        ),
                    )
                    remaining.pop(0)
                    break
                try:
                    reply = json.loads(line)
                    valid = (
                        reply.get("token") == token
                        and reply.get("id") == job.exercise_id
                        and reply.get("status") in ("passed", "failed", "not attempted")
                        and isinstance(reply.get("message", ""), str)
                    )
                except (ValueError, AttributeError):
                    valid = False
                remaining.pop(0)
                if not valid:
                    results[job.exercise_id] = (
                        "failed",
                        _("{exercise_id}: the answer interfered with the grader's check").format(
                            exercise_id=job.exercise_id
                        ),
                    )
                    break
                results[job.exercise_id] = (reply["status"], reply.get("message", "")[:4000])
                if reply.get("clean") is not True:
                    break  # the process's state was changed: a fresh one takes the rest
                allowance = timeout
        finally:
            if process.poll() is None:
                process.kill()
            process.wait()
            process = None
    return results


if __name__ == "__main__":
    sys.exit(_serve())
