"""Hostile submissions graded beside an honest one: every attack fails or is contained.

One grading run (``--sandbox require``: bubblewrap) of one small notebook per attack class:
``intrude`` (the files: read the instructor notebook and the grader's home, write outside the
submission, follow a symlink out of it; tampering: another learner's submission, the gradebook;
the network: listeners this test starts on 127.0.0.1 and 127.0.0.2, never an address off this
machine), ``forge`` (the verdict: a crafted pickle, writes to every pipe it can reach) and, only
inside an active sandbox, ``resources`` (fork without end, a 50 GB file, 100 GB of memory),
``print`` (printing without end) and ``kill`` (every process it may signal). A second run with
``--sandbox off`` of ``intrude`` alone shows that its attacks do succeed without the sandbox (so
the battery can tell).

Cost (the issue allows 45 s of ``make test``): six notebooks, two at a time, with a per-cell limit
of 15 s for the slow cells on a busy machine (the endless print is interrupted at the output
limit); the unsandboxed run grades one notebook.
"""

from __future__ import annotations

import hashlib
import os
import re
import socket
import threading
from pathlib import Path

import pytest
from grading_notebooks import instructor_notebook, submission, write

from cnnlessons.instructor.grade import grade
from cnnlessons.instructor.kernelrun import OUTPUT_LIMIT
from cnnlessons.instructor.sandbox import NOT_ISOLATED, bwrap_works

SANDBOXED = bwrap_works() is None
GB = 1 << 30


def intrude(tmp: Path, ports: dict[str, int]) -> str:
    """The file, tamper and network attacks: each tries, notes what worked in the cell's output,
    and goes on."""
    loot, teacher, home = tmp / "loot", tmp / "instructor" / "demo.ipynb", tmp / "home" / "secret.txt"
    files = (
        f"import os\n"
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
        f"    print('blocked symlink', e)\n"
    )
    tamper = (
        f"import glob\n"
        f"for path in glob.glob({str(tmp / 'subs' / '*.ipynb')!r}) + "
        f"glob.glob({str(tmp / 'out*' / '**')!r}, recursive=True):\n"
        f"    try:\n"
        f"        if os.path.isfile(path) and 'intrude' not in path:\n"
        f"            open(path, 'a').write('tampered')\n"
        f"            print('changed', path)\n"
        f"    except OSError as e:\n"
        f"        print('blocked', e)\n"
        f"for name in ('gradebook.csv', 'records/forged.json'):\n"
        f"    for out in glob.glob({str(tmp / 'out*')!r}):\n"
        f"        try:\n"
        f"            open(os.path.join(out, name), 'w').write('forged')\n"
        f"        except OSError as e:\n"
        f"            print('blocked', e)\n"
    )
    network = (
        f"import socket\n"
        f"for host, port in [('127.0.0.1', {ports['127.0.0.1']}), ('127.0.0.2', {ports['127.0.0.2']})]:\n"
        f"    try:\n"
        f"        with socket.create_connection((host, port), timeout=2) as s:\n"
        f"            s.sendall(b'stolen')\n"
        f"        print('sent to', host)\n"
        f"    except OSError as e:\n"
        f"        print('blocked', host, e)\n"
    )
    return files + tamper + network


FORGE = """import glob, json, os
line = json.dumps({"token": "", "id": "alexnet.conv_output_size", "status": "passed", "message": "",
                   "clean": True})
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
                       "    try: os.write(fd, "
                       "(json.dumps({'id': 'alexnet.conv_output_size', 'status': 'passed', "
                       "'message': '', 'clean': True}) + '\\\\n').encode())\\n    except OSError: pass",))
conv_output_size = _Forged()"""

BOMB = (
    "import os, time\n"  # every process forks until a fork fails (5 s at most); the first counts
    "end, first, failed = time.time() + 5, os.getpid(), 0\n"
    "while time.time() < end and not failed:\n"
    "    try: os.fork()\n"
    "    except OSError: failed += 1\n"
    "if os.getpid() == first: print('fork failed', failed, 'times', flush=True)\n"
)
RESOURCES = {  # only ever graded inside an active sandbox
    "resources": (
        f"BOMB = {BOMB!r}\n"
        "import os, subprocess, sys, time\n"
        "def processes():\n"  # the sandbox's own /proc: only its processes
        "    return sum(name.isdigit() for name in os.listdir('/proc'))\n"
        "alone = processes()\n"
        "subprocess.run([sys.executable, '-c', BOMB])\n"
        "end = time.time() + 10\n"  # its last children are gone (a process limit of its own)
        "while processes() > alone and time.time() < end:\n"
        "    time.sleep(0.05)\n"
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
        "    print('blocked memory')\n"
    ),
    "print": "while True:\n    print('x' * 10000)",
    # kill(-1) first: every process it may signal but itself (without a process namespace of its own:
    # every process of the grader's user, every process at all as root); then its own process group
    "kill": "import os, signal\nos.kill(-1, signal.SIGKILL)\nos.killpg(os.getpgid(0), signal.SIGKILL)",
}
ATTACKS = ["intrude", "forge", *RESOURCES]
CELL_S = 15
"""The battery's per-cell limit. The slowest cells that must finish,
importing torch in the kernel (about 1.5 s of CPU; conftest has read torch into the page cache) and
the fork bomb's clean-up, take several times longer on a busy 2-core machine (CI runs other tests
beside this one): 4 s timed them out there."""


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
    return {
        str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file() and not p.relative_to(root).parts[0].startswith("out")
    }


def _battery(tmp: Path, names: list[str], monkeypatch) -> dict[str, Listener]:
    monkeypatch.setenv("HOME", str(tmp / "home"))
    (tmp / "home").mkdir(parents=True)
    (tmp / "home" / "secret.txt").write_text("the grader's secret")
    write(instructor_notebook(), tmp / "instructor" / "demo.ipynb")
    listeners = {host: Listener(host) for host in ("127.0.0.1", "127.0.0.2")}
    cells = dict(RESOURCES, intrude=intrude(tmp, {h: listener.port for h, listener in listeners.items()}))
    write(instructor_notebook(), tmp / "subs" / "honest.ipynb")
    for name in names:
        if name == "forge":
            nb = submission(instructor_notebook(), {"alexnet.conv_output_size": FORGE})
        else:
            nb = submission(instructor_notebook(), extra=cells[name])
        write(nb, tmp / "subs" / f"{name}.ipynb")
    return listeners


def _by_name(records) -> dict:
    return {r.name.rsplit("/", 1)[-1].removesuffix(".ipynb"): r for r in records}


def _outputs(out: Path, name: str) -> str:
    """The outputs of the executed notebook ``name``, as text."""
    import json

    executed = json.loads(next((out / "executed").glob(f"*{name}*.ipynb")).read_text(encoding="utf-8"))
    return str([cell.get("outputs") for cell in executed["cells"]])


@pytest.mark.skipif(
    not SANDBOXED and not os.environ.get("CI"), reason=f"bubblewrap cannot run here: {bwrap_works()}"
)
def test_hostile_submissions_are_contained(tmp_path, monkeypatch):
    assert SANDBOXED, f"CI must grade in a sandbox: {bwrap_works()}"
    listeners = _battery(tmp_path, ATTACKS, monkeypatch)
    before = _snapshot(tmp_path)
    out = tmp_path / "out"
    records = _by_name(
        grade(
            [tmp_path / "subs"],
            out,
            instructor=[tmp_path / "instructor"],
            timeout=CELL_S,
            jobs=2,
            sandbox="require",
        )
    )
    assert set(records) == {"honest", *ATTACKS}  # every learner gets a row
    assert {r.key["sandbox"] for r in records.values()} == {"bwrap"}
    assert _snapshot(tmp_path) == before  # nothing outside the output folder changed
    assert not (tmp_path / "loot").exists()
    assert {h: listener.received for h, listener in listeners.items()} == {"127.0.0.1": b"", "127.0.0.2": b""}
    assert {e: r.status for e, r in records["honest"].results.items()} == dict.fromkeys(
        records["honest"].results, "passed"
    )
    for name in (
        "intrude",
        "resources",
        "print",
    ):  # the attack failed or was cut short; the honest answers pass
        assert records[name].passed == 3, (name, records[name].results, records[name].notes)
    assert "blocked instructor" in _outputs(out, "intrude") and "blocked symlink" in _outputs(out, "intrude")
    assert records["forge"].results["alexnet.conv_output_size"].status == "failed"
    assert not (out / "records" / "forged.json").exists()
    assert "forged" not in (out / "gradebook.csv").read_text()
    text = _outputs(out, "resources")
    assert re.search(r"fork failed [1-9][0-9]* times", text)  # the process limit held
    assert "blocked file" in text and "blocked memory" in text and "wrote 50 GB" not in text
    printed = _outputs(out, "print")
    # stopped at the output limit, long before its time limit
    assert len(printed) < 2 * OUTPUT_LIMIT and "bytes dropped; the cell was stopped]" in printed


def test_without_the_sandbox_the_attacks_succeed(tmp_path, monkeypatch):
    """The battery can tell: unsandboxed, the file, tamper and network attacks work (only
    ``intrude`` is graded: the resource attacks never run without a sandbox)."""
    listeners = _battery(tmp_path, ["intrude"], monkeypatch)
    honest = (tmp_path / "subs" / "honest.ipynb").read_bytes()
    records = grade(
        [tmp_path / "subs" / "intrude.ipynb"],
        tmp_path / "out",
        instructor=[tmp_path / "instructor"],
        timeout=CELL_S,
        sandbox="off",
    )
    assert [r.key["sandbox"] for r in records] == ["none"]
    assert (tmp_path / "loot" / "instructor").exists() and (tmp_path / "loot" / "home").exists()
    assert (tmp_path / "loot" / "symlink").exists()
    assert listeners["127.0.0.1"].received == b"stolen" and listeners["127.0.0.2"].received == b"stolen"
    assert (tmp_path / "subs" / "honest.ipynb").read_bytes() != honest  # another learner's submission


def test_auto_without_bubblewrap_says_what_is_not_isolated(monkeypatch, capsys):
    from cnnlessons.instructor import sandbox

    monkeypatch.setattr(sandbox, "bwrap_works", lambda: "bubblewrap (bwrap) is not installed")
    assert sandbox.resolve("auto").kind == "none"
    assert (
        capsys.readouterr().out.strip()
        == f"warning: bubblewrap (bwrap) is not installed; grading with {NOT_ISOLATED}"
    )
    with pytest.raises(sandbox.SandboxError, match="--sandbox require: bubblewrap"):
        sandbox.resolve("require")
    with pytest.raises(sandbox.SandboxError, match="--sandbox must be one of"):
        sandbox.resolve("chroot")


def test_one_large_print_is_cut_to_the_output_limit():
    """A busy kernel sends its prints in batches: one message of megabytes stays under the limit."""
    from nbformat.v4 import new_notebook

    from cnnlessons.instructor.kernelrun import _capped_client

    client = _capped_client(1000)(new_notebook())
    client.clear_before_next_output = False  # as async_execute_cell sets it
    outs = []
    for text in ("x" * 10, "😀" * (1 << 20), "y" * 10):
        msg = {
            "msg_type": "stream",
            "header": {"msg_type": "stream"},
            "parent_header": {"msg_id": "m"},
            "content": {"name": "stdout", "text": text},
        }
        client.output(outs, msg, None, 0)
    assert sum(len(o.text) for o in outs) < 1100 and len(outs) == 3 and "bytes dropped;" in outs[-1].text


def test_sandbox_users_are_reserved_across_processes():
    """As root each sandbox runs as a user of its own, whose process limit a fork bomb exhausts: two
    graders (pytest-xdist workers) on one machine must not hand out the same user."""
    import subprocess
    import sys

    from cnnlessons.instructor import sandbox

    mine = sandbox._take_uid()
    try:
        load = (
            "import importlib.util as u, sys\n"  # the module alone (the package would import torch)
            f"spec = u.spec_from_file_location('sandbox', {sandbox.__file__!r})\n"
            "module = sys.modules['sandbox'] = u.module_from_spec(spec); spec.loader.exec_module(module)\n"
            "print(module._take_uid())"
        )
        other = subprocess.run([sys.executable, "-c", load], capture_output=True, text=True, check=True)
        assert int(other.stdout) != mine
    finally:
        sandbox._give_uid(mine)


def test_an_endless_print_is_stopped_at_the_output_limit(tmp_path):
    """Without a sandbox too: the cell is interrupted once its output passes the limit, not at its
    time limit, and the learner's honest answers are still graded."""
    import time

    write(instructor_notebook(), tmp_path / "instructor" / "demo.ipynb")
    write(submission(instructor_notebook(), extra=RESOURCES["print"]), tmp_path / "subs" / "print.ipynb")
    start = time.monotonic()
    [record] = grade(
        [tmp_path / "subs"], tmp_path / "out", instructor=[tmp_path / "instructor"], timeout=60, sandbox="off"
    )
    assert time.monotonic() - start < 50  # a cell limit of 60 s: the print did not run into it
    assert record.passed == 3, (record.results, record.notes)
    printed = _outputs(tmp_path / "out", "print")
    assert "bytes dropped; the cell was stopped]" in printed
