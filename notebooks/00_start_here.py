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
import importlib.util
import subprocess
import sys

if importlib.util.find_spec("cnnlessons") is None:
    course = "cnnlessons @ git+https://github.com/cnnlessons/cnnlessons@v0.2.0"
    subprocess.run([sys.executable, "-m", "pip", "install", "-q", course], check=True)
from cnnlessons import check, setup_notebook

profile = setup_notebook(profile="auto")  # or "smoke", "cpu", "gpu"

# %% [markdown] slideshow={"slide_type": "slide"}
# # 00 · Start here
#
# Between 2012 and 2015, convolutional networks went from winning the ImageNet challenge (ILSVRC)
# for the first time to beating the human error estimate on it. This course rebuilds the five
# networks of that story — **AlexNet, VGGNet, GoogLeNet, ResNet and DenseNet** — one notebook
# each, and shows every claim made about them with a computation you can run and change.
#
# In this notebook you will:
#
# 1. see where the five networks come from;
# 2. meet the data every lesson trains on;
# 3. build a small CNN, see its diagram, and train it in about a minute;
# 4. solve your first exercise and see how its check answers you.
#
# The cell above set the course up. It printed your **profile**, the budget every lesson runs
# under: `cpu` trains on 10,000 CIFAR-10 images for a few epochs (minutes a lesson on a laptop),
# `gpu` on all 50,000 for real (choose *Runtime → Change runtime type → GPU* in Colab). To choose,
# edit its last line, e.g. `setup_notebook(profile="cpu")`.

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 1. The ImageNet challenge, 2010-2015
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

# %% [markdown] slideshow={"slide_type": "subslide"}
# | lesson | the network | what it is about |
# |---|---|---|
# | `01_alexnet` | AlexNet (2012) | ReLU, two GPUs, overlapping pooling, augmentation, dropout |
# | `02_vggnet` | VGGNet (2014) | only 3x3 kernels, stacked for depth |
# | `03_googlenet` | GoogLeNet (2014) | 1x1 convolutions that cut cost; Inception's parallel branches |
# | `04_resnet` | ResNet (2015) | the degradation problem; skip connections f(x) + x; bottlenecks |
# | `05_densenet` | DenseNet (2017) | concatenation instead of addition; dense blocks and growth rate |
# | `06_summary` | all five | side by side under one budget |
#
# Every lesson opens with its network's diagram, drawn from the code you train. Each section takes
# one claim from the paper, computes something that tests it, and ends with a take-away that
# quotes the figure just computed. Each lesson ends with its **claims ledger**: every claim, the
# paper's figure, ours on three seeds, and a verdict, `shown` or `not shown` at this budget (with
# why). Where a claim does not hold up at course scale, the ledger says so.

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 2. The data
#
# The lessons train on **CIFAR-10**: 60,000 colour photos of 32x32 pixels in ten classes, 50,000
# for training and 10,000 for testing (Krizhevsky, 2009). `load_data(profile)` loads the profile's
# share of it and splits it three ways: the network learns from the *training* images, we choose
# settings (such as when to stop) on the *validation* images, carved out of the training split,
# and the *test* images are only ever used to report the final accuracy.
#
# Without network the course uses an embedded real dataset instead (scikit-learn's scans of
# handwritten digits), so that every lesson still runs; the line below says which one you have.

# %% tags=["nbval-ignore-output"]
from cnnlessons import load_data, show_images

data = load_data(profile)
print(data)

# %% tags=["nbval-ignore-output"] slideshow={"slide_type": "subslide"}
per_class = [int((data.train_labels == k).nonzero()[0]) for k in range(data.num_classes)]
first_of_each = data.train_images[per_class]
fig = show_images(
    first_of_each,
    range(data.num_classes),
    data.classes,
    ncols=10,
    size=1.0,
    title=f"one training image of each class of {data.name}",
)
plt.show()

# %% [markdown] slideshow={"slide_type": "subslide"}
# To the network an image is a tensor of numbers: channels x height x width, one byte (0-255) per
# colour and pixel. Before training, every channel is *normalised*: the mean is subtracted and the
# result divided by the standard deviation, both measured on the training images alone (using the
# test images for anything would leak them into training).

# %% tags=["nbval-ignore-output"]
image = data.train_images[0]
print(
    f"one image: shape {tuple(image.shape)}, dtype {image.dtype}, "
    f"values {int(image.min())}..{int(image.max())}"
)
print(
    "mean per channel:",
    [round(v, 3) for v in data.mean.tolist()],
    " std per channel:",
    [round(v, 3) for v in data.std.tolist()],
)

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 3. A small CNN, trained in a minute
#
# A convolutional network stacks *blocks*: a convolution (3x3 filters that slide over the image),
# batch normalisation, a ReLU, and a pooling layer that halves the height and width. Each block
# sees a larger part of the image and has more channels than the one before. At the end, global
# average pooling turns each channel into one number and a linear layer gives one score (*logit*)
# per class. Here are three such blocks in PyTorch:

# %% slideshow={"slide_type": "subslide"}
import torch
from torch import nn


def conv_block(in_channels: int, out_channels: int) -> nn.Sequential:
    """3x3 convolution, batch norm, ReLU, then 2x2 max pooling (halves height and width)."""
    return nn.Sequential(
        nn.Conv2d(in_channels, out_channels, 3, padding=1, bias=False),
        nn.BatchNorm2d(out_channels),
        nn.ReLU(),
        nn.MaxPool2d(2),
    )


def small_cnn(in_channels: int, num_classes: int) -> nn.Sequential:
    return nn.Sequential(
        conv_block(in_channels, 32),
        conv_block(32, 64),
        conv_block(64, 128),
        nn.AdaptiveAvgPool2d(1),
        nn.Flatten(),
        nn.Linear(128, num_classes),
    )


# %% [markdown] slideshow={"slide_type": "subslide"}
# Every lesson draws its networks this way: `cnnlessons.views.diagram` runs the model on one
# image and draws what ran, each layer with its output shape (channels x height x width) and its
# number of weights.

# %% tags=["nbval-ignore-output"]
from cnnlessons.views import diagram

torch.manual_seed(0)
model = small_cnn(data.channels, data.num_classes)
fig = diagram(model, data.input_size, title=f"small_cnn on one {'x'.join(map(str, data.input_size))} image")
plt.show()

# %% [markdown] slideshow={"slide_type": "subslide"}
# Two figures describe the cost of a network, and every lesson prints them. Its **weights**
# (parameters) are counted exactly. Its **FLOPs** per image, the arithmetic of one forward pass,
# come from `torch.utils.flop_counter`, which counts a multiply-add as 2 FLOPs. For the first
# convolution on a 3x32x32 image, by hand: each of the 32 x 32 output pixels of each of the 32
# output channels needs 3 x 9 multiply-adds, so 2 x 3 x 9 x 32 x 32 x 32 FLOPs.

# %%
from cnnlessons.measure import count_parameters, flops_per_image

first = nn.Conv2d(3, 32, 3, padding=1, bias=False)
print(
    f"first convolution on 3x32x32: {flops_per_image(first, (3, 32, 32)):,} FLOPs "
    f"(by hand: {2 * 3 * 9 * 32 * 32 * 32:,}), {count_parameters(first):,} weights (by hand: {3 * 9 * 32:,})"
)
print(
    f"small_cnn on 3x32x32: {flops_per_image(small_cnn(3, 10), (3, 32, 32)):,} FLOPs per image, "
    f"{count_parameters(small_cnn(3, 10)):,} weights"
)

# %% [markdown] slideshow={"slide_type": "subslide"}
# `fit(model, data, Training(lr=0.1, test=True))` trains it: `Training` says how (here the
# learning rate, and one measurement on the test images at the end), the profile gives the epochs
# (passes over the training images) and the batch size, and it runs on the best device present;
# `show="epochs"` prints one line per epoch. A misspelt option fails at once. Each batch is
# *augmented* (randomly shifted and mirrored) so that the network does not just memorise the
# images. Interrupting the kernel stops training and keeps what was learned.

# %% tags=["nbval-ignore-output"]
from cnnlessons import Training, fit, plot_history

history = fit(model, data, Training(lr=0.1, test=True), label="small_cnn", show="epochs")
print(history)
fig = plot_history(history, ["train_loss", "val_acc"])
plt.show()

# %% [markdown] slideshow={"slide_type": "subslide"}
# What did it learn? Its predictions on the first 20 test images, right ones in blue with a tick,
# wrong ones in orange with a cross and the true class underneath:

# %% tags=["nbval-ignore-output"]
from cnnlessons.views import predict

test_images, test_labels = data.test_images[:20], data.test_labels[:20]
predicted = predict(model, data.normalize(test_images))
fig = show_images(
    test_images,
    predicted,
    data.classes,
    truth=test_labels,
    ncols=10,
    size=1.0,
    title=f"small_cnn on 20 test images: {int((predicted == test_labels).sum())} right",
)
plt.show()

# %% [markdown] slideshow={"slide_type": "fragment"}
# The lessons' networks are deeper and wider than this one, and in the `cpu` profile they train
# for minutes, not hours, so their accuracies are far from the papers'. Each lesson therefore
# also loads a copy of its network trained to the end (85-90% test accuracy on CIFAR-10) to look
# inside, and draws its training curve, dashed, beside yours.

# %% tags=["nbval-ignore-output"]
print(
    f"Take-away: a {count_parameters(model):,}-weight CNN reached {history.test_acc:.1%} test accuracy "
    f"after {history.epoch[-1]} epochs in {history.wall_time:.0f} s; chance is {1 / data.num_classes:.0%}."
)

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 4. Exercises and their checks
#
# Each lesson has exercises. You write your answer between the markers
# `### BEGIN SOLUTION` and `### END SOLUTION`, and the next cell checks it with
# `check("<exercise id>", answer)`. A correct answer prints one line; a wrong one raises
# `ExerciseFailed` with a message that says what is wrong and where to look; an untouched one says
# "not attempted". Checks try your function on fresh random inputs too, so an answer that only fits
# a few fixed cases does not pass.
#
# Here is a warm-up. A model's output for N images is an N x K tensor of logits, one score per
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

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Summary
#
# - Five networks, one lesson each; every claim is computed, and each lesson's ledger says which
#   claims the numbers carry at your budget.
# - `load_data` gives the images, split into training, validation and test sets; `fit` trains;
#   `diagram` draws a network; `count_parameters` and `flops_per_image` measure its cost.
# - Exercises are checked on the spot.
#
# Next: `01_alexnet.ipynb`, the network that started it.
