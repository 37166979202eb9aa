"""Where a submission's code runs: a sandbox built by the operating system, or none.

``grade`` runs two processes per submission, each wrapped by ``Sandbox.wrap``: the notebook's
run (``worker``: nbclient and the kernel it starts, talking over loopback *inside* the sandbox's
own network namespace) and the check process (``verdict``). Each sees only

- its submission's private folder (read-write for the run, read-only for the check),
- the Python installation, the virtual environment and the course package, read-only (when the
  course is installed editable, only its package folder, never the checkout),
- ``/usr`` (and the ``/lib``, ``/bin`` links), a fresh ``/proc``, ``/dev`` and a private ``/tmp``,

and nothing else: no instructor notebooks, no other submission, no output folder, no home. It
has no network (a namespace of its own: the host's 127.0.0.1 is out of reach too), runs as an
unprivileged user without capabilities, in a process and session namespace of its own (it cannot
signal the grader), with limits on address space, processes and file size (``Limits``).

Kinds:

- ``bwrap`` (Linux): bubblewrap. As root, bubblewrap builds the mounts and ``setpriv`` drops to a
  user of its own (``SANDBOX_UID``): the process limit counts that user's processes, which it
  would not for a user namespace mapped to root. As another user, a user namespace (uid 65534).
- ``docker`` / ``podman``: each process in a container of the image ``--sandbox-image`` (the
  course installed there, as the README's image), with ``--network none`` and the same limits.
- ``none``: no isolation (``off``, or ``auto`` where bubblewrap cannot run; ``NOT_ISOLATED`` says
  what that leaves open).

The security boundary is the kernel's namespaces and limits, not any check in Python.
"""

from __future__ import annotations

import contextlib
import dataclasses
import functools
import os
import shutil
import stat
import subprocess
import sys
import tempfile
import threading
from collections.abc import Iterator, Sequence
from pathlib import Path

__all__ = ["MODES", "NOT_ISOLATED", "Limits", "Sandbox", "SandboxError", "bwrap_works", "resolve"]

MODES = ("auto", "bwrap", "docker", "podman", "require", "off")
NOT_ISOLATED = (
    "no sandbox: the learners' code runs with your rights - it can read and write your files "
    "(the instructor notebooks, your home, other submissions), use the network, and signal or "
    "exhaust this machine; install bubblewrap or pass --sandbox docker"
)
SANDBOX_UID = 64000
"""First uid of the sandboxes' own users when the grader runs as root (one per concurrent sandbox on
this machine, reserved with a file lock: ``_take_uid``)."""
GIB = 1 << 30


class SandboxError(ValueError):
    """A sandbox that was asked for and cannot be had; the message names ``--sandbox``."""


@dataclasses.dataclass(frozen=True)
class Limits:
    """Per-process limits inside a sandbox (sized so that two sandboxes fit a 24 GiB machine)."""

    memory: int = 8 * GIB
    """Address space (RLIMIT_AS) of each process: the kernel, the worker, the check."""
    processes: int = 256
    """Processes and threads of the sandbox's user (RLIMIT_NPROC)."""
    file_size: int = 2 * GIB
    """Largest file a process may write (RLIMIT_FSIZE)."""
    output: int = 64 << 20
    """Most bytes read back from a sandboxed process (the JSON results)."""


@functools.cache
def bwrap_works() -> str | None:
    """None when bubblewrap can build a sandbox here, else why not (one line)."""
    if sys.platform != "linux":
        return f"bubblewrap needs Linux (this is {sys.platform})"
    if shutil.which("bwrap") is None:
        return "bubblewrap (bwrap) is not installed"
    probe = Sandbox("bwrap").wrap([sys.executable, "-I", "-c", "import socket, encodings"], None)
    try:
        run = subprocess.run(
            probe, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, timeout=60
        )
    except (OSError, subprocess.TimeoutExpired) as error:
        return f"bubblewrap could not start ({error})"
    if run.returncode != 0:
        reason = run.stderr.decode("utf-8", "replace").strip().splitlines()
        return f"bubblewrap cannot build a sandbox here ({reason[-1] if reason else run.returncode})"
    return None


def resolve(
    mode: str = "auto", image: str = "cnnlessons", limits: Limits | None = None, say=print
) -> Sandbox:
    """The sandbox for ``--sandbox MODE``; ``auto`` falls back to none with one line (``say``)."""
    if mode not in MODES:
        raise SandboxError(f"--sandbox must be one of {', '.join(MODES)}, got {mode!r}")
    limits = limits or Limits()
    if mode == "off":
        return Sandbox("none", limits=limits)
    if mode in ("docker", "podman"):
        if shutil.which(mode) is None:
            raise SandboxError(f"--sandbox {mode}: the {mode} command is not installed")
        return Sandbox(mode, image=image, limits=limits)
    why = bwrap_works()
    if why is None:
        return Sandbox("bwrap", limits=limits)
    if mode in ("bwrap", "require"):
        raise SandboxError(
            f"--sandbox {mode}: {why}; pass --sandbox docker, or --sandbox off to grade without isolation"
        )
    say(f"warning: {why}; grading with {NOT_ISOLATED}", flush=True)
    return Sandbox("none", limits=limits)


def _package_dir() -> Path:
    return Path(__file__).resolve().parents[1]


def _python_dirs() -> list[Path]:
    """The Python installation and environment, and the course package (nothing above them)."""
    dirs = {Path(p).resolve() for p in (sys.base_prefix, sys.base_exec_prefix, sys.prefix, sys.exec_prefix)}
    dirs.add(_package_dir())
    dirs.add(Path(sys.executable).resolve().parent.parent)
    kept: list[Path] = []
    for path in sorted(dirs, key=lambda p: len(p.parts)):
        if path != Path("/") and not any(k == path or k in path.parents for k in kept):
            kept.append(path)
    return kept


_held: dict[int, int] = {}
"""The sandbox users this process holds -> the descriptor of the file lock that reserves each."""
_lock = threading.Lock()


def _uid_locks() -> Path | None:
    """The folder of the uid locks (root's own, in the temporary folder), or None if unsafe."""
    folder = Path(tempfile.gettempdir()) / "cnnlessons-sandbox-uids"
    try:
        folder.mkdir(mode=0o700, exist_ok=True)
        info = os.lstat(folder)
    except OSError:
        return None
    if not stat.S_ISDIR(info.st_mode) or info.st_uid != os.geteuid() or info.st_mode & 0o022:
        return None
    return folder


def _take_uid() -> int:
    """A sandbox user that no other sandbox on this machine uses now: free in this process and
    locked (``flock``) against other graders (pytest-xdist workers, a second grading run), whose
    sandboxes would otherwise count against the same process limit."""
    import fcntl

    folder = _uid_locks()
    with _lock:
        for uid in range(SANDBOX_UID, SANDBOX_UID + 1000):
            if uid in _held:
                continue
            fd = -1
            if folder is not None:
                try:
                    fd = os.open(
                        folder / str(uid), os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW | os.O_CLOEXEC, 0o600
                    )
                except OSError:
                    fd = -1
                else:
                    try:
                        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    except OSError:  # another grader's sandbox has this user now
                        os.close(fd)
                        continue
            _held[uid] = fd
            return uid
    raise SandboxError(f"no free sandbox user between {SANDBOX_UID} and {SANDBOX_UID + 999}")


def _give_uid(uid: int) -> None:
    with _lock:
        fd = _held.pop(uid, -1)
        if fd >= 0:
            os.close(fd)  # releases the lock


@dataclasses.dataclass(frozen=True)
class Sandbox:
    """How to wrap a command so that it runs isolated (``kind`` ``none``: as it is)."""

    kind: str
    image: str = "cnnlessons"
    limits: Limits = Limits()
    uid: int | None = None
    """The user inside (root only: a uid of its own per submission, from ``for_submission``)."""

    @property
    def isolated(self) -> bool:
        return self.kind != "none"

    @contextlib.contextmanager
    def for_submission(self, folder: Path) -> Iterator[Sandbox]:
        """This sandbox for one submission whose private folder is ``folder``: as root, with a
        user of its own (its processes count against its own process limit), who owns ``folder``."""
        if self.kind == "bwrap" and os.geteuid() == 0:
            uid = _take_uid()
            try:
                os.chown(folder, uid, uid)
                yield dataclasses.replace(self, uid=uid)
            finally:
                _give_uid(uid)
        else:
            if self.kind in ("docker", "podman"):
                folder.chmod(0o777)
            yield self

    def env(self, home: str) -> dict[str, str]:
        """The environment inside: nothing of the grader's but what Python needs."""
        if not self.isolated:
            return dict(os.environ)
        keep = {k: v for k, v in os.environ.items() if k in ("LANG", "LC_ALL", "TZ", "PYTHONHASHSEED")}
        if self.kind == "bwrap":  # the kernel finds the course where the grader found it
            keep["PYTHONPATH"] = str(_package_dir().parent)
        return dict(
            keep,
            HOME=home,
            USER="learner",
            LOGNAME="learner",
            TMPDIR="/tmp",
            PATH="/usr/bin:/bin",
            IPYTHONDIR=f"{home}/.ipython",
            JUPYTER_RUNTIME_DIR="/tmp/jupyter-runtime",
            JUPYTER_PLATFORM_DIRS="1",
            MPLCONFIGDIR="/tmp/matplotlib",
        )

    def python_module(self, module: str) -> list[str]:
        """The command line that runs ``module`` of the course with this Python, isolated (``-I``:
        no environment variables, not the current folder, which the learner's code could fill).

        ``-I`` also ignores ``PYTHONPATH``, so a course installed there (``pip install --target``)
        is appended to the path by hand; a container's image has the course installed.
        """
        if self.kind in ("docker", "podman"):
            return [sys.executable, "-I", "-m", module]
        return [
            sys.executable,
            "-I",
            "-c",
            f"import runpy, sys; sys.path.append({str(_package_dir().parent)!r}); "
            f"runpy.run_module({module!r}, run_name='__main__', alter_sys=True)",
        ]

    def wrap(
        self,
        argv: Sequence[str],
        folder: str | Path | None,
        *,
        writable: bool = True,
        env: dict[str, str] | None = None,
    ) -> list[str]:
        """``argv`` run in this sandbox, with ``folder`` (the submission's private folder) bound at
        its own path (read-write, or read-only with ``writable=False``) and as the current folder."""
        if self.kind == "none":
            return list(argv)
        if self.kind in ("docker", "podman"):
            return self._container(argv, folder, writable, env or {})
        return self._bwrap(argv, folder, writable, self.uid, env or {})

    def _limits(self) -> list[str]:
        lim = self.limits
        return [
            "/usr/bin/prlimit",
            f"--as={lim.memory}",
            f"--nproc={lim.processes}",
            f"--fsize={lim.file_size}",
            "--core=0",
            "--",
        ]

    def _bwrap(
        self,
        argv: Sequence[str],
        folder: str | Path | None,
        writable: bool,
        uid: int | None,
        env: dict[str, str],
    ) -> list[str]:
        args = [
            "bwrap",
            "--unshare-ipc",
            "--unshare-pid",
            "--unshare-net",
            "--unshare-uts",
            "--unshare-cgroup-try",
            "--die-with-parent",
            "--new-session",
            "--clearenv",
            "--hostname",
            "sandbox",
        ]
        if os.geteuid() != 0:
            args += ["--unshare-user", "--uid", "65534", "--gid", "65534", "--cap-drop", "ALL"]
        args += ["--ro-bind", "/usr", "/usr"]
        for name in ("bin", "sbin", "lib", "lib32", "lib64", "libx32"):
            top = Path("/") / name
            if top.is_symlink():
                args += ["--symlink", os.readlink(top), str(top)]
            elif top.is_dir():
                args += ["--ro-bind", str(top), str(top)]
        args += ["--proc", "/proc", "--dev", "/dev", "--perms", "1777", "--tmpfs", "/tmp"]
        made: set[Path] = {Path("/"), Path("/tmp")}
        binds = [(p, False) for p in _python_dirs()]
        if folder is not None:
            binds.append((Path(folder).resolve(), writable))
        for path, rw in binds:
            for parent in reversed(path.parents):
                if parent not in made:
                    made.add(parent)
                    args += ["--perms", "0755", "--dir", str(parent)]
            made.add(path)
            args += ["--bind" if rw else "--ro-bind", str(path), str(path)]
        if folder is not None:
            args += ["--chdir", str(Path(folder).resolve())]
        for key, value in env.items():
            args += ["--setenv", key, value]
        args.append("--")
        if uid is not None:  # root: a user of its own, no capabilities, no way back
            args += [
                "/usr/bin/setpriv",
                f"--reuid={uid}",
                f"--regid={uid}",
                "--clear-groups",
                "--inh-caps=-all",
                "--bounding-set=-all",
                "--no-new-privs",
                "--",
            ]
        return args + self._limits() + list(argv)

    def _container(
        self, argv: Sequence[str], folder: str | Path | None, writable: bool, env: dict[str, str]
    ) -> list[str]:
        lim = self.limits
        args = [
            self.kind,
            "run",
            "--rm",
            "-i",
            "--network",
            "none",
            "--user",
            "65534:65534",
            "--read-only",
            "--cap-drop",
            "ALL",
            "--security-opt",
            "no-new-privileges",
            "--tmpfs",
            "/tmp:rw,exec,mode=1777",
            "--memory",
            str(lim.memory),
            "--pids-limit",
            str(lim.processes),
            "--ulimit",
            f"fsize={lim.file_size}:{lim.file_size}",
        ]
        if folder is not None:
            path = str(Path(folder).resolve())
            args += ["-v", f"{path}:{path}:{'rw' if writable else 'ro'}", "-w", path]
        for key, value in env.items():
            if key not in ("PATH",):
                args += ["-e", f"{key}={value}"]
        argv = list(argv)
        if argv and argv[0] == sys.executable:
            argv[0] = "python"  # the image's own Python, with the course installed
        return args + [self.image] + argv
