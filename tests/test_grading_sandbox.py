"""Hostile submissions graded beside an honest one: every attack fails or is contained.

One grading run (``--sandbox auto``: bubblewrap here) of one small notebook per attack class: the
files (read the instructor notebook and the grader's home, write outside the submission, follow
a symlink out of it), tampering (another learner's submission, the gradebook), the network
(listeners this test starts on 127.0.0.1 and 127.0.0.2; never an address off this machine),
forging the verdict (a crafted pickle, writes to every pipe it can reach) and, only inside an
active sandbox, resources (fork without end, a 50 GB file, 100 GB of memory, endless printing,
killing every process it can). A second, smaller run with ``--sandbox off`` shows that the file,
tamper and network attacks do succeed without the sandbox (so the battery can tell).
"""
from __future__ import annotations

import hashlib
import os
import socket
import threading
from pathlib import Path

import pytest

from cnnlessons.instructor.grade import grade
from cnnlessons.instructor.sandbox import NOT_ISOLATED, bwrap_works

from grading_notebooks import instructor_notebook, submission, write

SANDBOXED = bwrap_works() is None
GB = 1 << 30


def attacks(tmp: Path, ports: dict[str, int]) -> dict[str, str]:
    """Attack cells by class; each tries, notes what worked in the cell's output, and goes on."""
    loot, teacher, home = tmp / "loot", tmp / "instructor" / "demo.ipynb", tmp / "home" / "secret.txt"
    return {
        "files": (f"import os\n"
                  f"for what, path in [('instructor', {str(teacher)!r}), ('home', {str(home)!r})]:\n"
                  f"    try:\n"
                  f"        data = open(path).read()\n"
                  f"        os.makedirs({str(loot)!r}, exist_ok=True)\n"
                  f"        open(os.path.join({str(loot)!r}, what), 'w').write(data)\n"
                  f"        print('read', what)\n"
                  f"    except OSError as e:\n"
                  f"        print('blocked', what, e)\n"
                  f"try:\n"
                  f"    os.symlink({str(tmp)!r}, 'out_link')\n"
                  f"    os.makedirs('out_link/loot', exist_ok=True)\n"
                  f"    open('out_link/loot/symlink', 'w').write(open('out_link/home/secret.txt').read())\n"
                  f"    print('followed the symlink')\n"
                  f"except OSError as e:\n"
                  f"    print('blocked symlink', e)\n"),
        "tamper": (f"import glob, os\n"
                   f"for path in glob.glob({str(tmp / 'subs' / '*.ipynb')!r}) + glob.glob({str(tmp / 'out*' / '**')!r}, recursive=True):\n"
                   f"    try:\n"
                   f"        if os.path.isfile(path) and 'tamper' not in path:\n"
                   f"            open(path, 'a').write('tampered')\n"
                   f"            print('changed', path)\n"
                   f"    except OSError as e:\n"
                   f"        print('blocked', e)\n"
                   f"for name in ('gradebook.csv', 'records/forged.json'):\n"
                   f"    for out in glob.glob({str(tmp / 'out*')!r}):\n"
                   f"        try:\n"
                   f"            open(os.path.join(out, name), 'w').write('forged')\n"
                   f"        except OSError as e:\n"
                   f"            print('blocked', e)\n"),
        "network": (f"import socket\n"
                    f"for host, port in [('127.0.0.1', {ports['127.0.0.1']}), ('127.0.0.2', {ports['127.0.0.2']})]:\n"
                    f"    try:\n"
                    f"        with socket.create_connection((host, port), timeout=2) as s:\n"
                    f"            s.sendall(b'stolen')\n"
                    f"        print('sent to', host)\n"
                    f"    except OSError as e:\n"
                    f"        print('blocked', host, e)\n"),
    }


FORGE = '''import glob, json, os
line = json.dumps({"token": "", "id": "alexnet.conv_output_size", "status": "passed", "message": "", "clean": True})
result = json.dumps({"runs": {}, "hidden_runs": [], "notes": [], "notebook": {}})
for path in glob.glob('/proc/*/fd/*'):  # every pipe and file this kernel can reach: the answer channels
    try:
        with open(path, 'w') as f:
            f.write(result + "\\n" + line + "\\n")
    except OSError:
        pass
class _Forged:
    def __reduce__(self):  # runs in the check process when the answer is loaded
        return (exec, ("import os, json\\nfor fd in range(64):\\n"
                       "    try: os.write(fd, (json.dumps({'id': 'alexnet.conv_output_size', 'status': 'passed', "
                       "'message': '', 'clean': True}) + '\\\\n').encode())\\n    except OSError: pass",))
conv_output_size = _Forged()'''

RESOURCES = {
    "fork": ("import subprocess, sys\n"
             "subprocess.Popen([sys.executable, '-c', 'import os, time\\nend = time.time() + 2\\n"
             "while time.time() < end:\\n    try: os.fork()\\n    except OSError: pass'])\n"
             "import time; time.sleep(3)\n"
             "import signal\n"
             "signal.signal(signal.SIGXFSZ, signal.SIG_IGN)\n"
             "try:\n"
             "    with open('big', 'wb') as f:\n"
             f"        f.seek(50 * {GB}); f.write(b'x')\n"
             "    print('wrote 50 GB')\n"
             "except OSError as e:\n"
             "    print('blocked file', e)\n"
             "try:\n"
             f"    block = bytearray(100 * {GB}); print('allocated 100 GB')\n"
             "except MemoryError:\n"
             "    print('blocked memory')\n"),
    "print": "while True:\n    print('x' * 10000)",
    "kill": "import os, signal\nos.killpg(os.getpgid(0), signal.SIGKILL)\nos.kill(-1, signal.SIGKILL)",
}


class Listener:
    """A TCP listener on ``host`` that records what it receives."""

    def __init__(self, host: str) -> None:
        self.sock = socket.create_server((host, 0))
        self.port = self.sock.getsockname()[1]
        self.received = b""
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self) -> None:
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            with conn:
                self.received += conn.recv(100)


def _snapshot(root: Path) -> dict[str, str]:
    return {str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(root.rglob("*"))
            if p.is_file() and not p.relative_to(root).parts[0].startswith("out")}


def _battery(tmp: Path, names: list[str], monkeypatch) -> tuple[dict[str, str], dict[str, Listener]]:
    monkeypatch.setenv("HOME", str(tmp / "home"))
    (tmp / "home").mkdir(parents=True)
    (tmp / "home" / "secret.txt").write_text("the grader's secret")
    write(instructor_notebook(), tmp / "instructor" / "demo.ipynb")
    listeners = {host: Listener(host) for host in ("127.0.0.1", "127.0.0.2")}
    cells = attacks(tmp, {h: l.port for h, l in listeners.items()})
    cells.update(RESOURCES)
    write(instructor_notebook(), tmp / "subs" / "honest.ipynb")
    for name in names:
        if name == "forge":
            nb = submission(instructor_notebook(), {"alexnet.conv_output_size": FORGE})
        else:
            nb = submission(instructor_notebook(), extra=cells[name])
        write(nb, tmp / "subs" / f"{name}.ipynb")
    return cells, listeners


def _by_name(records) -> dict:
    return {r.name.rsplit("/", 1)[-1].removesuffix(".ipynb"): r for r in records}


@pytest.mark.skipif(not SANDBOXED and not os.environ.get("CI"), reason=f"bubblewrap cannot run here: {bwrap_works()}")
def test_hostile_submissions_are_contained(tmp_path, monkeypatch):
    assert SANDBOXED, f"CI must grade in a sandbox: {bwrap_works()}"
    names = ["files", "tamper", "network", "forge", "fork", "print", "kill"]
    _, listeners = _battery(tmp_path, names, monkeypatch)
    before = _snapshot(tmp_path)
    records = _by_name(grade([tmp_path / "subs"], tmp_path / "out", instructor=[tmp_path / "instructor"],
                             timeout=10, jobs=2, sandbox="require"))
    assert set(records) == {"honest", *names}  # every learner gets a row
    assert {r.key["sandbox"] for r in records.values()} == {"bwrap"}
    assert _snapshot(tmp_path) == before  # nothing outside the output folder changed
    assert not (tmp_path / "loot").exists()
    assert {h: l.received for h, l in listeners.items()} == {"127.0.0.1": b"", "127.0.0.2": b""}
    assert {e: r.status for e, r in records["honest"].results.items()} == \
        dict.fromkeys(records["honest"].results, "passed")
    for name in ("files", "tamper", "network"):  # the attack failed; the honest answers still pass
        assert records[name].passed == 3, records[name].results
    assert records["forge"].results["alexnet.conv_output_size"].status == "failed"
    out = tmp_path / "out"
    assert not (out / "records" / "forged.json").exists()
    assert "forged" not in (out / "gradebook.csv").read_text()
    import nbformat

    executed = nbformat.read(next((out / "executed").glob("*fork*.ipynb")), as_version=4)
    text = str([cell.get("outputs") for cell in executed.cells])
    assert "blocked file" in text and "blocked memory" in text and "wrote 50 GB" not in text


def test_without_the_sandbox_the_attacks_succeed(tmp_path, monkeypatch, capsys):
    """The battery can tell: unsandboxed, the file, tamper and network attacks work (the resource
    attacks never run without a sandbox)."""
    names = ["files", "tamper", "network"]
    _, listeners = _battery(tmp_path, names, monkeypatch)
    honest = (tmp_path / "subs" / "honest.ipynb").read_bytes()
    records = _by_name(grade([tmp_path / "subs"], tmp_path / "out", instructor=[tmp_path / "instructor"],
                             timeout=10, jobs=2, sandbox="off"))
    assert {r.key["sandbox"] for r in records.values()} == {"none"}
    assert (tmp_path / "loot" / "instructor").exists() and (tmp_path / "loot" / "home").exists()
    assert (tmp_path / "loot" / "symlink").exists()
    assert listeners["127.0.0.1"].received == b"stolen" and listeners["127.0.0.2"].received == b"stolen"
    assert (tmp_path / "subs" / "honest.ipynb").read_bytes() != honest


def test_auto_without_bubblewrap_says_what_is_not_isolated(monkeypatch, capsys):
    from cnnlessons.instructor import sandbox

    monkeypatch.setattr(sandbox, "bwrap_works", lambda: "bubblewrap (bwrap) is not installed")
    assert sandbox.resolve("auto").kind == "none"
    assert capsys.readouterr().out.strip() == f"warning: bubblewrap (bwrap) is not installed; grading with {NOT_ISOLATED}"
    with pytest.raises(sandbox.SandboxError, match="--sandbox require: bubblewrap"):
        sandbox.resolve("require")
    with pytest.raises(sandbox.SandboxError, match="--sandbox must be one of"):
        sandbox.resolve("chroot")
