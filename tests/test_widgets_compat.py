"""The Explorer base under the running ipywidgets, 8 here and 7.7.1 (what Colab ships) through
tools/widgets7.sh: classes, continuous_update, callbacks, the cache, errors in the readout, and,
in a real kernel driven like a browser drives it, the figure reaching the Output widget.

tools/widgets7.sh sets CNNLESSONS_EXPECT_IPYWIDGETS=7.7.1; the first test then checks that the
version really is the one imported.
"""

from __future__ import annotations

import json
import os
import pathlib

import ipywidgets as widgets
import pytest

ROOT = pathlib.Path(__file__).resolve().parent.parent

# One explorer with every kind of control the lessons use; run here and in a kernel.
PROBE = """
import ipywidgets as widgets
from cnnlessons.explorers import Explorer


class Probe(Explorer):
    def __init__(self):
        self.size = widgets.IntSlider(value=3, min=1, max=9, step=1, description="size")
        self.kind = widgets.Dropdown(options=["line", "steps"], value="line", description="kind")
        self.style = widgets.ToggleButtons(options=["solid", "dashed"], value="solid")
        self.train = widgets.Button(description="train")
        self.train.on_click(self._on_train)
        self.runs = []
        self.computed = 0
        super().__init__([self.size, self.kind, self.style, self.train], title="probe")

    def _compute(self):
        self.computed += 1
        return [v * v for v in range(self.size.value)]

    def _on_train(self, button):
        self.set_status("training...")
        self.runs.append(self.cached(("run", self.size.value), self._compute))
        self.set_status("")
        self.update()

    def draw(self, fig):
        ax = fig.add_subplot(1, 1, 1)
        ys = list(range(self.size.value))
        ls = "-" if self.style.value == "solid" else "--"
        if self.kind.value == "line":
            ax.plot(ys, ls=ls)
        else:
            ax.step(range(len(ys)), ys, ls=ls)
        for run in self.runs:
            ax.plot(run)
        return f"size {self.size.value}, {self.kind.value}, {self.style.value}, {len(self.runs)} runs"
"""


def make_probe():
    namespace: dict = {}
    exec(compile(PROBE, "<probe>", "exec"), namespace)
    return namespace["Probe"]()


def test_running_ipywidgets_version():
    version = widgets.__version__
    print(f"ipywidgets {version} from {widgets.__file__}")
    expected = os.environ.get("CNNLESSONS_EXPECT_IPYWIDGETS")
    if expected:
        assert version == expected, f"running ipywidgets {version}, expected {expected}"
    assert int(version.split(".")[0]) in (7, 8), f"ipywidgets {version} is neither 7 nor 8"


def test_classes_layout_and_continuous_update():
    probe = make_probe()
    assert "cnnlessons-explorer" in probe.widget._dom_classes
    assert "cnnlessons-readout" in probe.readout._dom_classes
    assert "cnnlessons-plot" in probe.output._dom_classes
    assert "cnnlessons-status" in probe.status._dom_classes
    assert isinstance(probe.output, widgets.Output) and isinstance(probe.widget, widgets.VBox)
    assert probe.size.continuous_update is False, "sliders must redraw on release only"
    header, controls = probe.widget.children[:2]
    assert isinstance(header, widgets.HTML) and "probe" in header.value
    assert list(controls.children) == [probe.size, probe.kind, probe.style, probe.train]
    assert probe.widget.children[2:] == (probe.status, probe.readout, probe.output)
    tagged = widgets.HTML("x").add_class("a").add_class("b")  # chaining works in 7 and 8
    assert list(tagged._dom_classes) == ["a", "b"]


def test_controls_redraw_readout_and_figure():
    probe = make_probe()
    assert probe.show() is probe.widget
    assert probe.redraws == 1 and probe.text == "size 3, line, solid, 0 runs"
    assert probe.readout.value == probe.text
    assert list(probe.figure.axes[0].lines[0].get_ydata()) == [0, 1, 2]
    probe.size.value = 5
    assert probe.text == "size 5, line, solid, 0 runs" and probe.readout.value == probe.text
    assert list(probe.figure.axes[0].lines[0].get_ydata()) == [0, 1, 2, 3, 4]
    probe.kind.value = "steps"
    assert probe.text.startswith("size 5, steps") and probe.redraws == 3
    probe.style.value = "dashed"
    assert probe.figure.axes[0].lines[0].get_linestyle() == "--"
    probe.train.click()
    assert probe.text.endswith("1 runs") and probe.redraws == 5
    assert list(probe.figure.axes[0].lines[-1].get_ydata()) == [0, 1, 4, 9, 16]
    assert probe.status.value == ""


def test_training_is_cached_per_setting():
    probe = make_probe()
    probe.show()
    probe.train.click()
    probe.train.click()
    assert probe.computed == 1 and len(probe.runs) == 2
    probe.size.value = 4
    probe.train.click()
    assert probe.computed == 2


def test_a_failing_draw_says_so_in_the_readout():
    probe = make_probe()
    probe.show()

    def broken(fig):
        raise ValueError("depth must be 6n+2, got 21")

    probe.draw = broken
    with pytest.raises(ValueError):
        probe.size.value = 4
    assert "could not draw: ValueError: depth must be 6n+2, got 21" in probe.readout.value
    assert probe.text.startswith("could not draw")


def test_output_widget_accepts_output_outside_a_kernel():
    out = widgets.Output()
    with out:
        out.clear_output(wait=True)
    out.clear_output()


# -- in a real kernel, with the comm messages a browser would send -------------------------------
@pytest.fixture(scope="module")
def kernel():
    jupyter_client = pytest.importorskip("jupyter_client")
    env = dict(os.environ)
    env.pop("MPLBACKEND", None)  # the kernel's matplotlib inline backend, as in a notebook
    km = jupyter_client.KernelManager(kernel_name="python3")
    km.start_kernel(env=env, cwd=str(ROOT))
    kc = km.client()
    kc.start_channels()
    try:
        kc.wait_for_ready(timeout=120)
        yield kc
    finally:
        kc.stop_channels()
        km.shutdown_kernel(now=True)


def replies(kc, msg_id: str, timeout: float = 60.0) -> list[dict]:
    """The iopub messages caused by ``msg_id``, up to the kernel going idle."""
    got = []
    while True:
        msg = kc.get_iopub_msg(timeout=timeout)
        if msg["parent_header"].get("msg_id") != msg_id:
            continue
        got.append(msg)
        if msg["msg_type"] == "status" and msg["content"]["execution_state"] == "idle":
            return got


def run(kc, code: str) -> list[dict]:
    msgs = replies(kc, kc.execute(code))
    errors = [m["content"] for m in msgs if m["msg_type"] == "error"]
    assert not errors, f"kernel error: {errors[0]['ename']}: {errors[0]['evalue']}"
    return msgs


def send_comm(kc, comm_id: str, data: dict) -> tuple[str, list[dict]]:
    """Send what a widget's view sends to its model in the kernel; return the message's id and
    the kernel's messages."""
    msg = kc.session.msg("comm_msg", {"comm_id": comm_id, "data": data})
    kc.shell_channel.send(msg)
    return msg["header"]["msg_id"], replies(kc, msg["header"]["msg_id"])


def states(msgs: list[dict], comm_id: str) -> list[dict]:
    return [
        m["content"]["data"].get("state", {})
        for m in msgs
        if m["msg_type"] == "comm_msg"
        and m["content"]["comm_id"] == comm_id
        and m["content"]["data"].get("method") == "update"
    ]


def images_for_output(msgs: list[dict], output_id: str, parent_id: str) -> int:
    """How many PNGs a frontend's Output widget receives: captured display_data (its msg_id set to
    the triggering message) or outputs put in its state (append_display_data)."""
    captured = any(s.get("msg_id") == parent_id for s in states(msgs, output_id))
    shown = (
        sum(1 for m in msgs if m["msg_type"] == "display_data" and "image/png" in m["content"]["data"])
        if captured
        else 0
    )
    in_state = sum(
        1 for s in states(msgs, output_id) for o in s.get("outputs", ()) if "image/png" in o.get("data", {})
    )
    return shown + in_state


def test_in_a_kernel_the_browser_path_redraws(kernel):
    msgs = run(kernel, PROBE + "\nprobe = Probe()\nprobe")
    views = [
        m["content"]["data"]["application/vnd.jupyter.widget-view+json"]["model_id"]
        for m in msgs
        if m["msg_type"] in ("display_data", "execute_result")
        and "application/vnd.jupyter.widget-view+json" in m["content"]["data"]
    ]
    out = run(
        kernel,
        "import json, ipywidgets\nprint(json.dumps({'version': ipywidgets.__version__,"
        " 'box': probe.widget.model_id, 'size': probe.size.model_id,"
        " 'train': probe.train.model_id, 'readout': probe.readout.model_id,"
        " 'output': probe.output.model_id}))",
    )
    ids = json.loads("".join(m["content"]["text"] for m in out if m["msg_type"] == "stream"))
    assert ids["version"] == widgets.__version__, "the kernel runs another ipywidgets"
    assert views == [ids["box"]], "the cell should display the explorer's VBox once"

    # the slider, released at 6 (what the browser sends with continuous_update=False)
    sent, msgs = send_comm(
        kernel, ids["size"], {"method": "update", "state": {"value": 6}, "buffer_paths": []}
    )
    assert any(s.get("value") == "size 6, line, solid, 0 runs" for s in states(msgs, ids["readout"])), (
        "moving the slider did not update the readout"
    )
    assert images_for_output(msgs, ids["output"], sent) >= 1, (
        "moving the slider did not put a PNG into the plot's Output widget"
    )

    # the train button, clicked
    sent, msgs = send_comm(kernel, ids["train"], {"method": "custom", "content": {"event": "click"}})
    readouts = [s["value"] for s in states(msgs, ids["readout"]) if "value" in s]
    assert readouts and readouts[-1] == "size 6, line, solid, 1 runs", readouts
    assert images_for_output(msgs, ids["output"], sent) >= 1, "clicking the button did not redraw the plot"
    errors = [m for m in msgs if m["msg_type"] == "stream" and m["content"]["name"] == "stderr"]
    assert not errors, errors[0]["content"]["text"]
