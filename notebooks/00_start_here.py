# ---
# jupyter:
#   jupytext:
#     text_representation:
#       extension: .py
#       format_name: percent
# ---

# %% [markdown] tags=["colab-badge"] slideshow={"slide_type": "skip"}
# [![Open In Colab](https://colab.research.google.com/assets/colab-badge.svg)](https://colab.research.google.com/github/cnnlessons/cnnlessons/blob/main/notebooks/00_start_here.ipynb)

# %% tags=["setup", "nbval-ignore-output"] slideshow={"slide_type": "skip"}
# Set up: in Colab this installs the course on first use (Colab's own torch and
# ipywidgets are kept); on your machine `make lab` has installed it already.
import importlib.util, subprocess, sys
if importlib.util.find_spec("cnnlessons") is None:
    subprocess.run([sys.executable, "-m", "pip", "install", "-q",
                    "cnnlessons @ git+https://github.com/cnnlessons/cnnlessons@main"], check=True)
from cnnlessons import check, setup_notebook
profile = setup_notebook(profile="auto")  # or "smoke", "cpu", "gpu"

# %% [markdown] slideshow={"slide_type": "slide"}
# # 00 · Start here: the tools of the course
#
# This course rebuilds the convolutional networks that won the ImageNet challenge (ILSVRC) —
# AlexNet, VGGNet, GoogLeNet, ResNet and DenseNet — and shows every claim about them with a live
# computation. This first notebook introduces the tools every lesson uses:
#
# 1. **profiles**: one notebook, three budgets (`smoke` for CI, `cpu` for a laptop, `gpu` for real training);
# 2. **data**: real images as tensors, split into training, validation and test sets;
# 3. **the training loop** `fit`, its history and its curves;
# 4. **measurements**: parameters and FLOPs;
# 5. **exercises** and how they are checked and graded.
#
# The cell above set the course up and printed the profile and device of this run.

# %% [markdown] slideshow={"slide_type": "slide"}
# ## The ImageNet challenge, 2010-2015
#
# The winners of ILSVRC's classification task, top-5 error on the test set by year. The first two
# years were won without CNNs; from 2012 every winner was a CNN, and each was an ensemble of
# several networks (the bar says how many). DenseNet (2017) came after the last classification
# challenge and won none; it is in this course because it takes ResNet's shortcut one step
# further. The sources are numbered under the figure.

# %% slideshow={"slide_type": "fragment"}
import matplotlib.pyplot as plt

from cnnlessons.plots import plot_ilsvrc

fig = plot_ilsvrc()
plt.show()

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 1. Profiles
#
# A profile fixes the dataset, how many images, their size, the epochs and the batch size. It is
# chosen by the environment variable `CNNLESSONS_PROFILE`; without it, `gpu` when a CUDA GPU is
# present, `smoke` when the variable `CI` is set, else `cpu`. Notebooks ask the profile and never
# hard-code a budget, so the same notebook runs in well under a minute in CI and trains for real on
# a GPU.

# %%
from cnnlessons import PROFILES

for p in PROFILES.values():
    print(f"{p.name:>5}: {p.description}")

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 2. Data
#
# `load_data(profile)` gives the profile's dataset as `uint8` tensors of shape N x C x H x W. The
# validation split is carved out of the training split (the test split is never used to choose
# anything), and the normalisation statistics are computed on the training split alone.
#
# Without network, the course uses an embedded real dataset: scikit-learn's 8x8 scans of
# handwritten digits, scaled up to the profile's image size. With network, CIFAR-10 (the course's
# main dataset) and Fashion-MNIST are downloaded into `data/`; a local copy can be read from a path.

# %% tags=["nbval-ignore-output"]
from cnnlessons import load_data, show_images

data = load_data(profile)
print(data)
print("mean per channel:", [round(v, 3) for v in data.mean.tolist()],
      " std per channel:", [round(v, 3) for v in data.std.tolist()])

# %% tags=["nbval-ignore-output"]
fig = show_images(data.train_images[:16], data.train_labels[:16], data.classes,
                  title=f"the first training images of {data.name}")

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 3. Training: `fit`
#
# `fit(model, data)` trains with the profile's epochs and batch size on the best device present.
# Batches are drawn from one tensor on that device and augmented a whole batch at a time (random
# crops, and flips where they make sense), so no time goes to per-image Python work. It returns a
# `History` of per-epoch losses and accuracies that `plot_history` draws. Interrupting the kernel
# stops training and keeps what was learned.
#
# A small network to try it on: two convolution blocks and a linear classifier.

# %% tags=["nbval-ignore-output"]
import torch
from torch import nn

from cnnlessons import fit, plot_history
from cnnlessons.measure import count_parameters


def tiny_cnn(in_channels: int, num_classes: int) -> nn.Module:
    return nn.Sequential(
        nn.Conv2d(in_channels, 16, 3, padding=1), nn.BatchNorm2d(16), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(16, 32, 3, padding=1), nn.BatchNorm2d(32), nn.ReLU(),
        nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(32, num_classes),
    )


torch.manual_seed(0)
model = tiny_cnn(data.channels, data.num_classes)
print(f"tiny_cnn: {count_parameters(model):,} parameters")

# %% [markdown] slideshow={"slide_type": "subslide"}
# Every lesson prints such a layer-by-layer table of the model it trains: each layer's output
# shape for one image and its parameters (`cnnlessons.views.shape_table`, from torchinfo).

# %% tags=["nbval-ignore-output"]
from cnnlessons.views import shape_table

print(shape_table(model, data.input_size))

# %% tags=["nbval-ignore-output"]
history = fit(model, data, lr=0.1, test=True, label="tiny_cnn", verbose=True)
print(history)
fig = plot_history(history, ["train_loss", "val_acc"])

# %% [markdown] slideshow={"slide_type": "fragment"}
# Take-away: the history holds one row per epoch; the curves above are the ones every lesson draws
# (in the `smoke` profile they are short, in `gpu` they are the real thing).

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 4. Measuring a network
#
# Parameters are counted exactly; FLOPs per image come from `torch.utils.flop_counter`, which counts
# a multiply-add as **2** FLOPs. For the first convolution above (1 or 3 input channels, 16 outputs,
# 3x3 kernel, the image's full resolution) the count by hand is
# 2 x C_in x 16 x 9 x H x W.

# %%
from cnnlessons.measure import flops_per_image

first = nn.Conv2d(3, 16, 3, padding=1)
by_hand = 2 * 3 * 16 * 9 * 32 * 32
print(f"conv 3->16, 3x3, on 32x32: {flops_per_image(first, (3, 32, 32)):,} FLOPs "
      f"(by hand: {by_hand:,})")
print(f"tiny_cnn on 3x32x32 images: {flops_per_image(tiny_cnn(3, 10), (3, 32, 32)):,} FLOPs per image")

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 5. Exercises and grading
#
# Each lesson has exercises. You write your answer between the markers
# `### BEGIN SOLUTION` and `### END SOLUTION`, and the next cell checks it with
# `check("<exercise id>", answer)`. A correct answer prints one line; a wrong one raises
# `ExerciseFailed` with a message that says what is wrong and where to look; an untouched one says
# "not attempted". Checks try your function on fresh random inputs too, so an answer that only fits
# a few fixed cases does not pass.
#
# Here is a warm-up. A model's output for N images is an N x K tensor of *logits*, one score per
# class; its prediction for an image is the class of the largest logit in its row, and its
# **accuracy** is the fraction of the N images whose prediction equals their label. Write
# `accuracy(logits, labels)` returning that fraction as a Python float:

# %% slideshow={"slide_type": "skip"}
def accuracy(logits: torch.Tensor, labels: torch.Tensor) -> float:
    ### BEGIN SOLUTION
    return (logits.argmax(dim=1) == labels).float().mean().item()
    ### END SOLUTION


# %% slideshow={"slide_type": "skip"}
check("start.accuracy", accuracy)

# %% [markdown] slideshow={"slide_type": "subslide"}
# And this is what a wrong answer (one that counts the right predictions instead of taking their
# fraction) gets back:

# %%
from cnnlessons import ExerciseFailed


def count_right(logits, labels):
    return (logits.argmax(dim=1) == labels).sum().item()


try:
    check("start.accuracy", count_right)
except ExerciseFailed as failure:
    print("ExerciseFailed:", str(failure).splitlines()[0])

# %% [markdown] slideshow={"slide_type": "subslide"}
# Instructors hand out the learners' version of each notebook (`python -m cnnlessons release
# OUT_DIR`: every solution replaced by `raise NotImplementedError()`), and grade the returned
# notebooks with `python -m cnnlessons grade SUBMISSIONS...`, which writes a gradebook; completed
# notebooks also pass `pytest --nbval`. The README says more.

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Summary
#
# - The profile decides the budget; the notebook shows which one ran.
# - `load_data`, `fit`, `plot_history` and the `measure` helpers are the tools of every lesson.
# - Exercises are checked on the spot, and graded with the same checks.
#
# Next: `01_alexnet.ipynb`.
