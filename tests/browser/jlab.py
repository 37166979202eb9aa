"""Drive the course in JupyterLab the way a learner does: `make lab`, headless Chromium, widgets.

The server is started by the Makefile's own `make lab` (so the test covers that command), on a free
loopback port, with a token and its own config/data/runtime/settings folders in a temporary
directory; the browser is Debian's Chromium driven by Playwright (never a downloaded browser).
Everything here raises AssertionError/RuntimeError with a message that says what a learner would
have seen, and the server and the browser are always torn down.
"""

from __future__ import annotations

import contextlib
import json
import os
import pathlib
import re
import secrets
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field

ROOT = pathlib.Path(__file__).resolve().parents[2]
NOTEBOOKS = ROOT / "notebooks"
SCREENSHOTS = ROOT / "screenshots"
CHROMIUM = pathlib.Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]

# JupyterLab user settings for the test: every cell stays in the DOM (no windowing), the stored
# notebooks are never overwritten by an autosave, and no news/update request leaves the machine.
LAB_SETTINGS = {
    "@jupyterlab/notebook-extension/tracker.jupyterlab-settings": {"windowingMode": "none"},
    "@jupyterlab/docmanager-extension/plugin.jupyterlab-settings": {"autosave": False},
    "@jupyterlab/apputils-extension/notification.jupyterlab-settings": {
        "fetchNews": "false",
        "checkForUpdates": False,
    },
}


# Server log lines that say nothing about the course.
LOG_NOISE = (
    "websocket_ping_timeout",
    "is not trusted",
    "Kernel is running over TCP",
    "Setting websocket_ping_timeout",
)


def missing_browser_tools() -> str | None:
    """Why the browser tests cannot run here, or None when they can."""
    if not CHROMIUM.exists():
        return (
            f"{CHROMIUM} is missing (install it with `apt-get install -y chromium`, "
            "or run tools/ci_browser.sh)"
        )
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return (
            "the Python package playwright is missing (`.venv/bin/pip install playwright`, "
            "or run tools/ci_browser.sh; never `playwright install`)"
        )
    return None


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# -- the server ---------------------------------------------------------------------------------
@dataclass
class LabServer:
    """A JupyterLab started by `make lab`; ``start()`` waits until it answers, ``stop()`` ends it."""

    workdir: pathlib.Path
    env_extra: dict[str, str] = field(default_factory=dict)
    port: int = 0
    token: str = field(default_factory=lambda: secrets.token_hex(16))
    proc: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def log_path(self) -> pathlib.Path:
        return self.workdir / "lab.log"

    def log_tail(self, lines: int = 40, quiet: bool = False) -> str:
        """The end of the server's log (with ``quiet``: without its INFO lines and known noise)."""
        try:
            text = self.log_path.read_text(errors="replace")
        except OSError:
            return "(no server log)"
        text = re.sub(r"token=[0-9a-f]+", "token=...", text)
        kept = text.splitlines()
        if quiet:
            kept = [
                line
                for line in kept
                if not line.startswith("[I ") and not any(noise in line for noise in LOG_NOISE)
            ]
        return "\n".join(kept[-lines:]) or "(nothing but INFO lines)"

    def _environment(self) -> dict[str, str]:
        dirs = {
            name: self.workdir / sub
            for name, sub in [
                ("JUPYTER_CONFIG_DIR", "config"),
                ("JUPYTER_DATA_DIR", "data"),
                ("JUPYTER_RUNTIME_DIR", "runtime"),
                ("JUPYTERLAB_SETTINGS_DIR", "settings"),
                ("JUPYTERLAB_WORKSPACES_DIR", "workspaces"),
                ("IPYTHONDIR", "ipython"),
            ]
        }
        for d in dirs.values():
            d.mkdir(parents=True, exist_ok=True)
        # The Makefile's command line has no --ServerApp.open_browser=False; the config file of
        # this server's own config folder sets it, forbids a silent move to another port, and
        # lets it run as root (CI and containers; plain `make lab` refuses root).
        (dirs["JUPYTER_CONFIG_DIR"] / "jupyter_server_config.json").write_text(
            json.dumps({"ServerApp": {"open_browser": False, "port_retries": 0, "allow_root": True}})
        )
        for rel, values in LAB_SETTINGS.items():
            path = dirs["JUPYTERLAB_SETTINGS_DIR"] / rel
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(json.dumps(values))
        env = dict(os.environ)
        env.pop("MPLBACKEND", None)  # the kernel must use matplotlib's inline backend
        for var in ("MAKEFLAGS", "MFLAGS", "MAKELEVEL"):  # run `make lab` as if typed in a shell
            env.pop(var, None)
        env.update({k: str(v) for k, v in dirs.items()})
        env.update(
            {
                "JUPYTER_TOKEN": self.token,
                "CNNLESSONS_PROFILE": "smoke",
                "TQDM_DISABLE": "1",
                "PYTHONHASHSEED": "0",
            }
        )
        env.update(self.env_extra)
        return env

    def start(self, timeout: float = 300.0) -> LabServer:
        """Run `make lab PORT=<free port>` in the checkout and wait until the server answers.

        The timeout is generous because `make lab` first (re)creates .venv when pyproject.toml is
        newer than its stamp.
        """
        env = self._environment()
        for attempt in range(3):
            self.port = free_port()
            with open(self.log_path, "ab") as log:
                self.proc = subprocess.Popen(
                    ["make", "--no-print-directory", "-C", str(ROOT), "lab", f"PORT={self.port}"],
                    stdin=subprocess.DEVNULL,
                    stdout=log,
                    stderr=subprocess.STDOUT,
                    env=env,
                    start_new_session=True,
                )
            deadline = time.monotonic() + timeout
            while time.monotonic() < deadline:
                if self.proc.poll() is not None:
                    break
                with contextlib.suppress(OSError, urllib.error.URLError):
                    if self.get_json("/api/status", timeout=5) is not None:
                        return self
                time.sleep(0.5)
            exited = self.proc.poll() is not None
            self.stop()
            if exited and "already in use" in self.log_tail(10) and attempt < 2:
                continue  # the free port was taken in between: try another
            raise RuntimeError(
                f"`make lab PORT={self.port}` "
                + (
                    f"exited with status {self.proc.returncode}"
                    if exited
                    else f"did not answer on {self.url} within {timeout:.0f} s"
                )
                + f"; the end of its log:\n{self.log_tail()}"
            )
        raise AssertionError("unreachable")

    def request(self, method: str, path: str, timeout: float = 30.0):
        req = urllib.request.Request(
            self.url + path, method=method, headers={"Authorization": f"token {self.token}"}
        )
        return urllib.request.urlopen(req, timeout=timeout)

    def get_json(self, path: str, timeout: float = 30.0):
        with self.request("GET", path, timeout=timeout) as response:
            return json.loads(response.read())

    def shutdown_kernels(self) -> None:
        """Shut down every kernel this server runs (each notebook gets a fresh one)."""
        with contextlib.suppress(OSError, urllib.error.URLError, ValueError):
            for kernel in self.get_json("/api/kernels"):
                with contextlib.suppress(OSError, urllib.error.URLError):
                    self.request("DELETE", f"/api/kernels/{kernel['id']}").close()

    def stop(self) -> None:
        """Shut the kernels down, then end `make` and the server (their whole process group)."""
        if self.proc is None or self.proc.poll() is not None:
            return
        self.shutdown_kernels()
        for sig, wait in ((signal.SIGTERM, 20), (signal.SIGKILL, 10)):
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.proc.pid, sig)
            try:
                self.proc.wait(timeout=wait)
                break
            except subprocess.TimeoutExpired:
                continue

    def saved_files(self) -> list[str]:
        """Files the server has written through its contents API (it logs 'Saving file at')."""
        try:
            text = self.log_path.read_text(errors="replace")
        except OSError:
            return []
        return re.findall(r"Saving file at (\S+)", text)

    def notebook_url(self, name: str) -> str:
        return f"{self.url}/lab/tree/{name}?reset&token={self.token}"


# -- the browser ---------------------------------------------------------------------------------
@contextlib.contextmanager
def chromium():
    """Debian's Chromium, headless, driven by Playwright; always closed."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True)
        try:
            yield browser
        finally:
            browser.close()


RUN_ALL = "runmenu:run-all"
RUN_ALL_BELOW = "notebook:run-all-below"
CLEAR_ALL = "editmenu:clear-all"
BUTTON = "button.widget-button:not(.widget-toggle-button)"
PROMPT_DONE = re.compile(r"^\[\d+\]:?$")


class NotebookPage:
    """One lesson notebook open in JupyterLab in its own browser context."""

    def __init__(self, browser, server: LabServer, name: str) -> None:
        self.server, self.name = server, name
        self.context = browser.new_context(viewport={"width": 1400, "height": 1000})
        self.page = self.context.new_page()
        self.console: list[str] = []
        self.code_cells: list[str] = []
        self.page.on("console", self._on_console)
        self.page.on("pageerror", lambda e: self.console.append(f"page error: {e}"))

    def _on_console(self, message) -> None:
        # resources from the internet (the Colab badge image) cannot load here: not an error
        if message.type == "error" and "ERR_NAME_NOT_RESOLVED" not in message.text:
            self.console.append(f"{message.type}: {message.text}")

    def close(self) -> None:
        with contextlib.suppress(Exception):
            self.context.close()

    def fail(self, message: str) -> None:
        extra = ""
        if self.console:
            extra += "\nbrowser console errors:\n  " + "\n  ".join(self.console[-8:])
        extra += "\nserver log (warnings, errors, kernel output):\n" + self.server.log_tail(25, quiet=True)
        raise AssertionError(f"{self.name}: {message}{extra}")

    # -- opening and running ------------------------------------------------------------------
    def open(self, timeout: float = 120.0) -> None:
        """Open the notebook; wait until all its cells are shown and its kernel is idle."""
        stored = json.loads((NOTEBOOKS / self.name).read_text())["cells"]
        cells = len(stored)
        self.code_cells = ["".join(c["source"]) for c in stored if c["cell_type"] == "code"]
        self.page.goto(self.server.notebook_url(self.name), timeout=timeout * 1000)
        deadline = time.monotonic() + timeout
        shown, status = 0, ""
        while time.monotonic() < deadline:
            shown = self.page.locator(".jp-NotebookPanel .jp-Notebook .jp-Cell").count()
            status = self.kernel_status()
            if shown == cells and status == "idle":
                return
            time.sleep(0.5)
        self.fail(
            f"the notebook did not open within {timeout:.0f} s: {shown} of {cells} cells "
            f"shown, kernel status {status!r} (want 'idle')"
        )

    def kernel_status(self) -> str:
        """The kernel's state as the status bar shows it ('Python 3 (ipykernel) | Idle')."""
        text = self.page.evaluate("""() => Array.from(
            document.querySelectorAll('#jp-main-statusbar .jp-StatusBar-TextItem'))
            .map(e => e.textContent).find(t => t.includes(' | ')) || ''""")
        return text.rsplit(" | ", 1)[-1].strip().lower() if text else ""

    def _run_menu(self, command: str, menu: str = "Run") -> None:
        self.page.click(f"#jp-MainMenu .lm-MenuBar-item:has-text('{menu}')")
        self.page.click(f".lm-Menu-item[data-command='{command}']")

    def clear_outputs(self, timeout: float = 30.0) -> None:
        """Edit > Clear Outputs of All Cells, and wait until no code cell shows a stored prompt.

        The stored notebook's prompts ("[12]:") would otherwise look like cells that this session
        ran, and a round after a failed check could start below cells that never ran.
        """
        self.page.click(".jp-NotebookPanel .jp-Notebook")
        self._run_menu(CLEAR_ALL, menu="Edit")
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if not any(PROMPT_DONE.match(prompt) for prompt, _ in self.code_cell_states()):
                return
            time.sleep(0.3)
        self.fail(f"Edit > Clear Outputs of All Cells left stored prompts after {timeout:.0f} s")

    def code_cell_states(self) -> list[tuple[str, list[str]]]:
        """Per code cell: its prompt, and the text of its error and stderr outputs."""
        return [
            (prompt.strip(), errors)
            for prompt, errors in self.page.eval_on_selector_all(
                ".jp-NotebookPanel .jp-Notebook .jp-CodeCell",
                """cells => cells.map(c => [
                (c.querySelector('.jp-InputArea-prompt') || {textContent: ''}).textContent,
                Array.from(c.querySelectorAll(
                    ".jp-OutputArea-output[data-mime-type='application/vnd.jupyter.stderr']"))
                    .map(e => e.innerText)])""",
            )
        ]

    def run_all(
        self, may_fail: frozenset[int] = frozenset(), timeout: float = 600.0
    ) -> tuple[float, dict[int, str]]:
        """Run > Run All Cells, as a learner does, and wait until every code cell has run.

        A cell of ``may_fail`` (indices among the code cells) that fails stops the run, as in
        JupyterLab; then, as a learner reading a failed check does, select the next cell and
        Run > Run Selected Cell and All Below. Any other cell's error or stderr fails the test.
        Returns the seconds it took and ``{code cell index: error text}`` of the cells that failed.
        """
        runs = [i for i, source in enumerate(self.code_cells) if source.strip()]
        failed: dict[int, str] = {}
        self.clear_outputs()  # as a learner's "Restart Kernel and Clear Outputs of All Cells"
        rounds: list[int] = []
        first, before = runs[0], self.code_cell_states()
        self.page.click(".jp-NotebookPanel .jp-Notebook")  # make the notebook the current widget
        self._run_menu(RUN_ALL)
        start = since = time.monotonic()  # since: when this round (from cell ``first``) was asked
        while True:
            states = self.code_cell_states()
            started = False  # a cell was queued or running ("[*]:"), or the first one has run
            while time.monotonic() - start < timeout:
                time.sleep(0.5)
                states = self.code_cell_states()
                if len(states) != len(self.code_cells):
                    continue
                busy = any(states[i][0] == "[*]:" for i in runs)
                started = started or busy or states[first][0] != before[first][0]
                if not started:
                    if time.monotonic() - since > 30:
                        self.fail(
                            f"code cell {first} did not start within 30 s of asking the Run menu to run it"
                        )
                    continue
                if not busy and self.kernel_status() == "idle":
                    break
            else:
                waiting = [i for i in runs if not PROMPT_DONE.match(states[i][0])]
                self.fail(
                    f"running all cells did not finish within {timeout:.0f} s: "
                    f"{len(runs) - len(waiting)} of {len(runs)} code cells ran, the next "
                    f"show {[states[i][0] for i in waiting[:3]]}"
                )
            for i in runs:
                # A cell that ran while a cell above it did not ran past a failed check: the
                # kernel cancels the queued cells that reach it within its stop_on_error_timeout
                # (0 s), and on a busy machine a later one can arrive after that. It runs again,
                # in order, in the next round, as a learner's "Run All Below" does.
                ran_early = any(not PROMPT_DONE.match(states[j][0]) for j in runs if j < i)
                if states[i][1] and not ran_early:
                    failed.setdefault(i, "\n".join(states[i][1]))
            rounds.append(first)
            unexpected = {i: text for i, text in failed.items() if i not in may_fail}
            if unexpected:
                prompts = " ".join(f"{i}{states[i][0]}" for i in runs)
                self.fail(
                    "running all cells wrote errors or stderr:\n"
                    + "\n---\n".join(f"code cell {i}: {t}" for i, t in unexpected.items())[:3000]
                    + f"\nrounds started at code cells {rounds}; prompts now: {prompts}"
                )
            left = [i for i in runs if not PROMPT_DONE.match(states[i][0])]
            if not left:
                return time.monotonic() - start, failed
            stopped_at = max((i for i in failed if i < left[0]), default=None)
            if stopped_at is None:
                self.fail(f"the run stopped before code cell {left[0]} without an error")
            first, before = left[0], states
            self.select_code_cell(first)
            self._run_menu(RUN_ALL_BELOW)
            since = time.monotonic()

    def select_code_cell(self, index: int, timeout: float = 10.0) -> None:
        """Click code cell ``index``'s prompt until JupyterLab shows it as the active cell.

        A click can land on another cell while outputs above are still being laid out, and
        "Run Selected Cell and All Below" would then start from that cell.
        """
        cell = self.page.locator(".jp-NotebookPanel .jp-Notebook .jp-CodeCell").nth(index)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            cell.locator(".jp-InputArea-prompt").click()
            time.sleep(0.2)
            if "jp-mod-active" in (cell.get_attribute("class") or "").split():
                return
        self.fail(
            f"code cell {index} did not become the active cell within {timeout:.0f} s of clicking its prompt"
        )

    # -- explorers ------------------------------------------------------------------------------
    def explorers(self):
        return self.page.locator(".jp-Notebook .cnnlessons-explorer")


@dataclass
class View:
    readout: str
    plot: str
    status: str


class ExplorerDriver:
    """One explorer widget on the page: its controls, readout and plot, used as a learner does."""

    def __init__(self, notebook: NotebookPage, index: int) -> None:
        self.nb, self.index = notebook, index
        self.root = notebook.explorers().nth(index)
        self.title = ""

    def view(self) -> View:
        return View(
            **self.root.evaluate("""root => {
            const text = sel => { const el = root.querySelector(sel); return el ? el.innerText.trim() : ''; };
            const plot = root.querySelector('.cnnlessons-plot');
            let sig = '';
            if (plot) {
                sig = Array.from(plot.querySelectorAll('img'))
                    .map(i => i.getAttribute('src') || '').join('|');
                if (!sig) sig = Array.from(plot.querySelectorAll('svg')).map(s => s.outerHTML).join('|');
            }
            return {readout: text('.cnnlessons-readout'), plot: sig, status: text('.cnnlessons-status')};
        }""")
        )

    def describe(self) -> str:
        return f"explorer {self.index + 1}" + (f" ({self.title!r})" if self.title else "")

    def wait_ready(self, timeout: float = 60.0) -> View:
        """The widget rendered with a readout and a plot image."""
        self.root.wait_for(state="visible", timeout=timeout * 1000)
        deadline = time.monotonic() + timeout
        view = self.view()
        while time.monotonic() < deadline:
            view = self.view()
            if view.readout and view.plot:
                break
            time.sleep(0.3)
        else:
            self.nb.fail(
                f"{self.describe()} shows no readout and plot after {timeout:.0f} s "
                f"(readout {view.readout!r}, plot {'present' if view.plot else 'missing'})"
            )
        with contextlib.suppress(Exception):
            self.title = self.root.locator(":scope > .widget-html b").first.inner_text(timeout=2000)
        return view

    def expect_change(
        self, action: str, before: View, timeout: float, plot: bool = True, settle: float = 10.0
    ) -> View:
        """Wait until the readout and (if ``plot``) the plot differ from ``before``; fail with what
        is missing.

        Gives up early once the kernel has been idle for ``settle`` seconds without a change (the
        callback ran, or never ran, and drew nothing new).
        """
        start = time.monotonic()
        idle_since = None
        view = self.view()
        while time.monotonic() - start < timeout:
            view = self.view()
            if "could not draw" in view.readout:
                self.nb.fail(f"{self.describe()}: after {action}, the explorer says: {view.readout}")
            if view.readout != before.readout and view.plot and (view.plot != before.plot or not plot):
                return view
            now = time.monotonic()
            if self.nb.kernel_status() == "idle":
                idle_since = idle_since or now
                if now - idle_since >= settle:
                    break
            else:
                idle_since = None
            time.sleep(0.3)
        waited = time.monotonic() - start
        missing = [
            what
            for what, same in (
                ("the readout", view.readout == before.readout),
                ("the plot", not view.plot or (plot and view.plot == before.plot)),
            )
            if same
        ]
        why = (
            f"within {timeout:.0f} s"
            if waited >= timeout
            else f"(waited {waited:.0f} s; the kernel has been idle for the last {settle:.0f} s)"
        )
        self.nb.fail(
            f"{self.describe()}: after {action}, {' and '.join(missing)} did not change "
            f"{why}; readout: {view.readout[:200]!r}" + (f", status: {view.status!r}" if view.status else "")
        )
        raise AssertionError("unreachable")

    # -- the learner's actions --------------------------------------------------------------------
    def controls(self, selector: str):
        return self.root.locator(selector)

    def _act(self, action: str, do, timeout: float, plot: bool) -> str:
        before = self.view()
        do()
        after = self.expect_change(action, before, timeout, plot=plot)
        if after.plot == before.plot:
            return f"{action} (readout changed; the plot waits for the button)"
        return action

    def move_slider(self, i: int, plot: bool = True, timeout: float = 60.0) -> str:
        """Focus the i-th slider's handle and press an arrow key (as a keyboard user would)."""
        slider = self.controls(".widget-slider").nth(i)
        label = slider.locator(".widget-label").first.inner_text(timeout=5000).strip()
        handle = slider.locator(".noUi-handle, .ui-slider-handle").first
        now, high = handle.get_attribute("aria-valuenow"), handle.get_attribute("aria-valuemax")
        key = "ArrowLeft" if now is not None and now == high else "ArrowRight"

        def press():
            handle.focus()
            handle.press(key)

        return self._act(f"pressing {key} on the slider {label!r}", press, timeout, plot)

    def pick_option(self, i: int, plot: bool = True, timeout: float = 60.0) -> str:
        """Pick the next option of the i-th dropdown."""
        select = self.controls(".widget-dropdown select").nth(i)
        options = [" ".join(t.split()) for t in select.locator("option").all_inner_texts()]
        if len(options) < 2:
            return ""
        target = (select.evaluate("s => s.selectedIndex") + 1) % len(options)
        return self._act(
            f"picking {options[target]!r} in the dropdown",
            lambda: select.select_option(index=target),
            timeout,
            plot,
        )

    def toggle(self, i: int, plot: bool = True, timeout: float = 60.0) -> str:
        """Click a not-selected button of the i-th ToggleButtons."""
        choice = self.controls(".widget-toggle-buttons").nth(i).locator("button:not(.mod-active)")
        if choice.count() == 0:
            return ""
        choice = choice.first
        return self._act(
            f"clicking the toggle {' '.join(choice.inner_text().split())!r}", choice.click, timeout, plot
        )

    def click_button(self, i: int, plot: bool = True, timeout: float = 300.0) -> str:
        """Click the i-th push button (e.g. 'train') and wait for the result to be drawn."""
        button = self.controls(BUTTON).nth(i)
        return self._act(
            f"clicking the button {' '.join(button.inner_text().split())!r}", button.click, timeout, plot
        )

    def exercise(self) -> list[str]:
        """The first slider, dropdown and toggle buttons, then every push button.

        Each action must change the readout. It must change the plot too, except where the
        explorer has a push button: there (anything that trains runs behind a button) a setting
        may show its curve only once trained, and the button must change the plot.
        """
        self.wait_ready()
        has_button = self.controls(BUTTON).count() > 0
        done = []
        for selector, act in (
            (".widget-slider", self.move_slider),
            (".widget-dropdown select", self.pick_option),
            (".widget-toggle-buttons", self.toggle),
        ):
            if self.controls(selector).count():
                done.append(act(0, plot=not has_button))
        for i in range(self.controls(BUTTON).count()):
            done.append(self.click_button(i))
        return [d for d in done if d]

    def screenshot(self, path: pathlib.Path) -> pathlib.Path:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.root.scroll_into_view_if_needed()
        self.root.screenshot(path=str(path))
        return path
