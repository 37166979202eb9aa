"""Writing files so that an interruption never leaves a half-written one.

``atomic_write`` writes a file beside its target and renames it into place (``os.replace`` is
atomic on POSIX and Windows); ``atomic_dir`` builds a whole folder beside its target and swaps it
in at the end.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

__all__ = ["atomic_dir", "atomic_write", "atomic_write_notebook"]


def atomic_write(path: str | os.PathLike, data: str | bytes, encoding: str = "utf-8") -> Path:
    """Write ``data`` to ``path``: the old file, or the whole new one, never a part of it."""
    path = Path(path)
    if isinstance(data, str):
        data = data.encode(encoding)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    return path


def atomic_write_notebook(nb, path: str | os.PathLike) -> Path:
    """Write the notebook ``nb`` as ``nbformat.write`` does, atomically."""
    import nbformat

    text = nbformat.writes(nb)
    return atomic_write(path, text if text.endswith("\n") else text + "\n")


@contextlib.contextmanager
def atomic_dir(target: str | os.PathLike, replace: bool = False) -> Iterator[Path]:
    """A fresh folder to fill; on success it becomes ``target`` (replacing an existing one only
    when ``replace``), on an error it is removed and ``target`` is left as it was."""
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent))
    try:
        yield work
        if target.exists():
            if not replace:
                raise FileExistsError(f"{target} already exists")
            old = Path(tempfile.mkdtemp(prefix=f".{target.name}.", suffix=".old", dir=target.parent))
            os.replace(target, old / "x")
            os.replace(work, target)
            shutil.rmtree(old, ignore_errors=True)
        else:
            os.replace(work, target)
    except BaseException:
        shutil.rmtree(work, ignore_errors=True)
        raise
