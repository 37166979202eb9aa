"""Facts about the course itself, kept in one place: its version, its repository and its lessons."""

from __future__ import annotations

VERSION = "0.1.0"
"""The course's version (the package's, as pyproject.toml reads it from here)."""
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


def setup_cell_source() -> str:
    """The first code cell of every notebook: installs the course in Colab, sets up the run."""
    return (
        "# Set up: in Colab this installs the course on first use (Colab's own torch and\n"
        "# ipywidgets are kept); on your machine `make lab` has installed it already.\n"
        "import importlib.util\n"
        "import subprocess\n"
        "import sys\n"
        "\n"
        'if importlib.util.find_spec("cnnlessons") is None:\n'
        f'    course = "cnnlessons @ git+{REPOSITORY}@{BRANCH}"\n'
        '    subprocess.run([sys.executable, "-m", "pip", "install", "-q", course], check=True)\n'
        "from cnnlessons import check, setup_notebook\n"
        "\n"
        'profile = setup_notebook(profile="auto")  # or "smoke", "cpu", "gpu"'
    )
