"""Fixtures of the browser tests: one `make lab` server and one Chromium for the whole session.

The tests skip with the reason when Chromium or Playwright is missing, unless
CNNLESSONS_REQUIRE_BROWSER=1 (CI sets it), when they fail instead.
`pytest tests/browser --break-callback` breaks every explorer's callback in the kernel (through an
IPython startup file in the server's own IPYTHONDIR; no product code knows about it) to show that
the test then fails.
"""

from __future__ import annotations

import os

import pytest
from jlab import LabServer, chromium, missing_browser_tools

# Planted as an IPython startup file of the server's kernels: every Explorer subclass defined
# afterwards gets a ``draw`` that raises once the explorer has drawn its first figure, as a buggy
# callback would (whether the subclass keeps the base's ``update`` or has its own).
BREAK_CALLBACK = """
import functools

import cnnlessons.explorers.base as _base


def _break_draw(cls, **kwargs):
    draw = cls.__dict__.get("draw")
    if draw is None:
        return

    @functools.wraps(draw)
    def broken(self, fig):
        if self.redraws > 0:
            raise RuntimeError("callback broken on purpose by pytest --break-callback")
        return draw(self, fig)

    cls.draw = broken


_base.Explorer.__init_subclass__ = classmethod(_break_draw)
"""


def pytest_addoption(parser):
    parser.addoption(
        "--break-callback",
        action="store_true",
        default=False,
        help="browser tests: break every explorer's callback in the kernel, to show that the test then fails",
    )


@pytest.fixture(scope="module")
def browser_tools():
    reason = missing_browser_tools()
    if reason:
        if os.environ.get("CNNLESSONS_REQUIRE_BROWSER") == "1":
            pytest.fail(f"CNNLESSONS_REQUIRE_BROWSER=1 but {reason}", pytrace=False)
        pytest.skip(f"browser test skipped: {reason}")


@pytest.fixture(scope="module")
def lab(browser_tools, tmp_path_factory, request):
    server = LabServer(tmp_path_factory.mktemp("lab"))
    if request.config.getoption("--break-callback", default=False):
        startup = server.workdir / "ipython" / "profile_default" / "startup"
        startup.mkdir(parents=True, exist_ok=True)
        (startup / "00-break-callback.py").write_text(BREAK_CALLBACK)
    try:
        server.start()
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="module")  # closed with the module: Playwright's loop must not outlive it
def browser(browser_tools):
    with chromium() as b:
        yield b
