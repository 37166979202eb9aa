"""Run a notebook cell by cell in a Jupyter kernel, recovering from timeouts and dead kernels.

Errors do not stop the run. A cell that runs over its limit is interrupted; if the kernel does not
come back (or dies), it is restarted, the cells that ran before are replayed silently, and the run
goes on. ``hidden`` cells (the grader's own, e.g. handing an answer over) run before a given cell
without leaving a trace in the notebook.
"""

from __future__ import annotations

import asyncio
import copy
import dataclasses
import json
import logging
import math
import os
import time
from pathlib import Path

import nbformat

from ..i18n import _

__all__ = ["CellRun", "GRACE_S", "Runner", "first_error", "run_coroutine"]

GRACE_S = 10
"""How long an interrupted cell may take to stop before the kernel is restarted."""
_TIMEOUT = "CellTimeoutError"
_QUIET = logging.getLogger("cnnlessons.instructor.grade.nbclient")
_QUIET.setLevel(logging.CRITICAL)  # timeouts and restarts are reported in the gradebook instead


@dataclasses.dataclass
class CellRun:
    status: str  # ok, error, timeout, dead, skipped
    ename: str = ""
    evalue: str = ""


def first_error(cell: nbformat.NotebookNode) -> tuple[str, str] | None:
    import re

    for output in cell.get("outputs", []):
        if output.get("output_type") == "error":
            return output.get("ename", ""), re.sub(r"\x1b\[[0-9;]*[A-Za-z]", "", output.get("evalue", ""))
    return None


def run_coroutine(make):
    """``asyncio.run(make())``, in a worker thread when this thread already runs an event loop
    (inside Jupyter, or beside Playwright's sync API), where ``asyncio.run`` would refuse."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(make())
    import concurrent.futures

    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        return pool.submit(lambda: asyncio.run(make())).result()


OUTPUT_LIMIT = 8 << 20
"""Most bytes of output kept per cell; the rest is dropped and the cell interrupted (an endless
print cannot fill memory, nor run until its time limit)."""


def _head(text: str, room: int) -> str:
    """About the longest head of ``text`` whose JSON takes at most ``room`` bytes."""
    head = text[:room]
    size = len(json.dumps(head))
    return head if size <= room else head[: max(0, room * len(head) // size - 2)]


def _capped_client(limit: int):
    """nbclient's client, keeping at most ``limit`` bytes of each cell's outputs."""
    from nbclient import NotebookClient
    from nbclient.util import ensure_async

    marker = f"[output over {limit} bytes dropped; the cell was stopped]\n"

    class CappedClient(NotebookClient):
        _sizes: dict = {}

        def output(self, outs, msg, display_id, cell_index):
            key = (cell_index, id(outs))
            size = self._sizes.get(key, 0) if outs else 0
            out = None
            if size < limit:
                content = msg.get("content", {})
                text = content.get("text") if msg.get("msg_type") == "stream" else None
                if isinstance(text, str) and len(text) >= limit - size:
                    # a busy kernel batches its prints (one message can hold megabytes): keep the head
                    msg = dict(msg, content=dict(content, text=_head(text, limit - size)))
                    grown = limit
                else:
                    grown = size + len(json.dumps(content))
                if grown <= limit:
                    out = super().output(outs, msg, display_id, cell_index)
                size = min(grown, limit)
            self._sizes = {key: size}
            if size >= limit and (not outs or outs[-1].get("text") != marker):
                outs.append(nbformat.v4.new_output("stream", name="stderr", text=marker))
                self._stop_the_cell()
            return out

        def _stop_the_cell(self) -> None:
            """Interrupt a cell that printed past the limit: the rest of its output is dropped
            anyway, and only its time limit would stop it (an endless print)."""
            if self.km is None:  # not started (a client made only to cap outputs)
                return
            try:
                loop = asyncio.get_running_loop()
            except RuntimeError:
                return
            loop.create_task(ensure_async(self.km.interrupt_kernel()))

    return CappedClient


class Runner:
    """Runs one notebook cell by cell, recovering from timeouts and dead kernels.

    On a timeout nbclient interrupts the kernel and hands back a stand-in error reply (so that it
    also stops listening for the cell's output); a probe cell then tells whether the kernel came
    back, else it is restarted.
    """

    def __init__(
        self,
        nb: nbformat.NotebookNode,
        path: Path,
        timeout: int,
        total_timeout: float,
        profile: str,
        kernel_name: str,
        grace: float | None = None,
        hidden: dict[int, list[str]] | None = None,
        output_limit: int | None = None,
    ) -> None:

        self.nb, self.timeout = nb, timeout
        self.hidden = hidden or {}
        self.hidden_runs: dict[tuple[int, int], CellRun] = {}
        self.grace = GRACE_S if grace is None else grace
        self.deadline = time.monotonic() + total_timeout
        self.total_timeout = total_timeout
        self.env = dict(os.environ, CNNLESSONS_PROFILE=profile)
        self.env.pop("CI", None)
        self.client = _capped_client(output_limit or OUTPUT_LIMIT)(
            nb,
            timeout=timeout,
            kernel_name=kernel_name,
            allow_errors=True,
            record_timing=False,
            interrupt_on_timeout=True,
            error_on_timeout={"ename": _TIMEOUT, "evalue": "timeout", "traceback": []},
            on_cell_executed=self._executed,
            log=_QUIET,
            resources={"metadata": {"path": str(path.parent.resolve())}},
        )
        self.replayable: list[int] = []
        self.notes: list[str] = []
        self._timed_out = False

    def _executed(self, cell=None, cell_index=None, execute_reply=None, **kwargs) -> None:
        content = (execute_reply or {}).get("content", {})
        self._timed_out = content.get("ename") == _TIMEOUT

    def _left(self) -> float:
        return self.deadline - time.monotonic()

    async def _execute(
        self, cell: nbformat.NotebookNode, index: int, timeout: float, keep: bool = True
    ) -> bool:
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
                self.notes.append(
                    f"replaying cell {index} after a restart failed; the kernel was restarted again"
                )
                await km.restart_kernel(now=True)
                await kc.wait_for_ready(timeout=120)
                return

    async def run(self) -> dict[int, CellRun]:
        from nbclient.exceptions import DeadKernelError

        runs: dict[int, CellRun] = {}
        async with self.client.async_setup_kernel(env=self.env):
            for index, cell in enumerate(self.nb.cells):
                if cell.cell_type != "code":
                    continue
                if self._left() <= 0:
                    if not any(r.status == "skipped" for r in runs.values()):
                        self.notes.append(
                            _(
                                "the notebook's time limit ({seconds:.0f} s) was used up before cell {index}"
                            ).format(seconds=self.total_timeout, index=index)
                        )
                    runs[index] = CellRun(
                        "skipped",
                        evalue=_(
                            "was not run: the notebook's time limit ({seconds:.0f} s) was used up"
                        ).format(seconds=self.total_timeout),
                    )
                    continue
                if index in self.hidden and not await self._run_hidden(index):
                    self.notes.append(
                        _(
                            "handing over the answer checked in cell {index} stopped the kernel; "
                            "it was restarted"
                        ).format(index=index)
                    )
                    await self._restart()
                limit = min(self.timeout, self._left())
                recover = None
                try:
                    finished = await self._execute(cell, index, limit)
                except DeadKernelError:
                    run = CellRun("dead", evalue=_("killed the kernel (a crash, os._exit or out of memory)"))
                    recover = "dead"
                else:
                    if finished:
                        error = first_error(cell)
                        run = CellRun("error", *error) if error else CellRun("ok")
                        self.replayable.append(index)
                    else:
                        run = CellRun(
                            "timeout",
                            evalue=_("ran over the time limit ({seconds:.0f} s)").format(seconds=limit),
                        )
                        recover = "timeout"
                runs[index] = run
                if recover == "timeout" and not await self._responsive():
                    self.notes.append(
                        _("cell {index} could not be interrupted; the kernel was restarted").format(
                            index=index
                        )
                    )
                    await self._restart()
                elif recover == "dead":
                    self.notes.append(
                        _("the kernel died in cell {index} and was restarted").format(index=index)
                    )
                    await self._restart()
        return runs

    async def _run_hidden(self, index: int) -> bool:
        """Run the hidden cells due before cell ``index``; False when the kernel died."""
        from nbclient.exceptions import DeadKernelError

        for number, source in enumerate(self.hidden[index]):
            cell = nbformat.v4.new_code_cell(source)
            try:
                finished = await self._execute(
                    cell, index, min(self.timeout, max(1.0, self._left())), keep=False
                )
            except DeadKernelError:
                self.hidden_runs[(index, number)] = CellRun("dead", evalue=_("killed the kernel"))
                return False
            error = first_error(cell)
            self.hidden_runs[(index, number)] = (
                (CellRun("error", *error) if error else CellRun("ok"))
                if finished
                else CellRun("timeout", evalue=_("ran over the time limit"))
            )
            if not finished and not await self._responsive():
                return False
        return True
