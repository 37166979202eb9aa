"""Facts about the course itself, kept in one place: its version, its repository and its lessons."""

from __future__ import annotations

import json
import re
from importlib import metadata

VERSION = "0.2.0"
"""The course's version (the package's, as pyproject.toml reads it from here). A release moves it,
adds its entry to CHANGELOG.md and is tagged ``v<VERSION>``: the notebooks' setup cells install
that tag, so a notebook keeps the code it was built with when ``main`` moves on."""
REPOSITORY = "https://github.com/cnnlessons/cnnlessons"
"""Where the course lives; the Colab badges and setup cells are generated from this."""
BRANCH = "main"

LESSONS = {
    "00_start_here": (
        "Start here: the five networks, the data, a small CNN trained in a minute, exercises and their checks"
    ),
    "01_alexnet": (
        "AlexNet: ReLU, two-GPU model parallelism, LRN and overlapping pooling, augmentation, dropout"
    ),
    "02_vggnet": (
        "VGGNet: only 3x3 kernels, stacked for depth; 1x1 convolutions instead of the FC classifier"
    ),
    "03_googlenet": (
        "GoogLeNet: 1x1 convolutions that cut parameters; the Inception block's parallel branches"
    ),
    "04_resnet": (
        "ResNet: the degradation problem; skip connections; identity and projection shortcuts; bottlenecks"
    ),
    "05_densenet": (
        "DenseNet: concatenation instead of addition; dense blocks, growth rate; transition blocks"
    ),
    "06_summary": "Summary: all five side by side under one budget",
}


def github_path() -> str:
    """``owner/repo`` of the repository, as Colab's GitHub URLs want it."""
    return REPOSITORY.removeprefix("https://github.com/").rstrip("/")


def colab_url(notebook: str) -> str:
    """The address that opens ``notebooks/<notebook>.ipynb`` in Google Colab."""
    return (
        f"https://colab.research.google.com/github/{github_path()}/blob/{BRANCH}/notebooks/{notebook}.ipynb"
    )


def colab_badge(notebook: str) -> str:
    return (
        f"[![Open In Colab](https://colab.research.google.com/assets/colab-badge.svg)]({colab_url(notebook)})"
    )


def release_tag() -> str:
    """The git tag of this version: what the stored notebooks' setup cells install."""
    return f"v{VERSION}"


def installed_ref() -> str:
    """The git ref that names the installed course: the commit pip installed it from (a
    ``git+`` install records it), else this version's tag."""
    try:
        text = metadata.distribution("cnnlessons").read_text("direct_url.json")
    except metadata.PackageNotFoundError:
        text = None
    commit = json.loads(text).get("vcs_info", {}).get("commit_id") if text else None
    return commit or release_tag()


_INSTALL = re.compile(r'(course = "cnnlessons @ git\+[^"@]+@)[^"]*(")')


def pin_setup_cell(source: str, ref: str) -> str:
    """``source`` with the setup cell's install line pinned to ``ref`` (a tag or a commit);
    unchanged where it has no such line."""
    return _INSTALL.sub(lambda m: f"{m.group(1)}{ref}{m.group(2)}", source)


def setup_cell_source(ref: str | None = None, language: str | None = None) -> str:
    """The first code cell of every notebook: installs the course in Colab at ``ref`` (default:
    this version's tag), sets up the run. ``language`` (e.g. ``"ko"``) is the notebook's language,
    passed to ``setup_notebook`` (which is where ``grade`` reads it); None: English, as before."""
    ref = release_tag() if ref is None else ref
    chosen = "" if language is None else f', language="{language}"'
    return (
        "# Set up: in Colab this installs the course on first use (Colab's own torch and\n"
        "# ipywidgets are kept); on your machine `make lab` has installed it already.\n"
        "import importlib.util\n"
        "import subprocess\n"
        "import sys\n"
        "\n"
        'if importlib.util.find_spec("cnnlessons") is None:\n'
        f'    course = "cnnlessons @ git+{REPOSITORY}@{ref}"\n'
        '    subprocess.run([sys.executable, "-m", "pip", "install", "-q", course], check=True)\n'
        "from cnnlessons import check, setup_notebook\n"
        "\n"
        f'profile = setup_notebook(profile="auto"{chosen})  # or "smoke", "cpu", "gpu"'
    )
