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
# networks of that story, **AlexNet, VGGNet, GoogLeNet, ResNet and DenseNet**, one notebook each,
# and tests every claim made about them with a computation you can run and change. Here you will
# see where the networks come from, meet the data, train a small CNN, and solve a first exercise.
#
# The cell above printed your **profile**, the budget every lesson runs under: `cpu` trains on
# 10,000 CIFAR-10 images for a few epochs, `gpu` on all 50,000 (in Colab: *Runtime → Change runtime
# type → GPU*). To choose, edit its last line, e.g. `setup_notebook(profile="cpu")`.

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 1. The ImageNet challenge, 2010-2017
#
# The winners of ILSVRC's classification task, top-5 error on the test set, from the first
# challenge to the last. The first two were won without CNNs; from 2012 every winner was an
# ensemble of CNNs. The last, in 2017, went to SENet. DenseNet won none; it is in
# the course because it takes ResNet's shortcut one step further. Sources under the figure.

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
# Each section of a lesson takes one claim from a paper and computes something that tests it.
# Each lesson ends with its **claims ledger**: every claim, the paper's figure, ours on the
# profile's seeds, and a verdict, `shown` or `not shown` at this budget, with why.

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 2. The data
#
# The lessons train on **CIFAR-10**: 60,000 colour photos of 32x32 pixels in ten classes, 50,000
# for training and 10,000 for testing (Krizhevsky, 2009). `load_data(profile)` splits the profile's
# share three ways: the network learns from the *training* images, we choose settings on the
# *validation* images, and the *test* images only report the final accuracy. Without network the
# course uses scikit-learn's handwritten digits instead; the line below says which you have.

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
# To the network an image is a tensor: channels x height x width, one byte (0-255) per colour and
# pixel. Before training each channel is *normalised* by the mean and standard deviation of the
# training images alone (using the test images would leak them into training).

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
# A convolutional network stacks *blocks*: a convolution (3x3 filters sliding over the image),
# batch normalisation, a ReLU, and pooling that halves height and width. Each block sees a larger
# part of the image with more channels. At the end, global average pooling turns each channel into
# one number, and a linear layer gives one score (*logit*) per class:

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
# `cnnlessons.views.diagram` runs the model on one image and draws what ran, each layer with its
# output shape (channels x height x width) and its weights:

# %% tags=["nbval-ignore-output"]
from cnnlessons.views import diagram

torch.manual_seed(0)
model = small_cnn(data.channels, data.num_classes)
fig = diagram(model, data.input_size, title=f"small_cnn on one {'x'.join(map(str, data.input_size))} image")
plt.show()

# %% [markdown] slideshow={"slide_type": "subslide"}
# Two figures describe a network's cost. Its **weights** (parameters) are counted exactly; its
# **FLOPs** per image, the arithmetic of one forward pass, come from `torch.utils.flop_counter`,
# which counts a multiply-add as 2 FLOPs. The first convolution on a 3x32x32 image, by hand: each
# of the 32 x 32 output pixels of its 32 channels needs 3 x 9 multiply-adds.

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
# `fit(model, data, Training(lr=0.1, test=True))` trains it: `Training` says how (the learning
# rate; one measurement on the test images at the end), the profile gives the epochs and batch size.
# Each batch is *augmented* (randomly shifted and mirrored) so that the network does not just
# memorise the images. Interrupting the kernel stops training and keeps what was learned.

# %% tags=["nbval-ignore-output"]
from cnnlessons import Training, fit, plot_history

history = fit(model, data, Training(lr=0.1, test=True), label="small_cnn", show="epochs")
print(history)
fig = plot_history(history, ["train_loss", "val_acc"])
plt.show()

# %% [markdown] slideshow={"slide_type": "subslide"}
# Its predictions on the first 20 test images, right ones in blue with a tick, wrong ones in orange
# with a cross and the true class underneath:

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

# %% tags=["nbval-ignore-output"] slideshow={"slide_type": "fragment"}
from cnnlessons.models.converged import available, load_record
from cnnlessons.views import say

shipped = {name: load_record(name)["test_acc"] for name in available()}
say(
    f"*Figure: 20 test images with small_cnn's predictions.* A {count_parameters(model):,}-weight CNN "
    f"reached {history.test_acc:.1%} test accuracy after {history.epoch[-1]} epochs in "
    f"{history.wall_time:.0f} s; chance is {1 / data.num_classes:.0%}. In the `cpu` profile the "
    "lessons' networks train for minutes, not hours, so each lesson also looks inside a copy of its "
    f"network trained to the end on CIFAR-10: the {len(shipped)} shipped checkpoints reach "
    f"{min(shipped.values()):.1%} to {max(shipped.values()):.1%} test accuracy."
)

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 4. Exercises and their checks
#
# You write an answer between the markers `### BEGIN SOLUTION` and `### END SOLUTION`; the next
# cell checks it with `check("<exercise id>", answer)`. A correct answer prints one line; a wrong
# one raises `ExerciseFailed` saying what is wrong; an untouched one says "not attempted". Checks
# also try fresh random inputs, so an answer that fits only fixed cases does not pass.
#
# A warm-up. A model's output for N images is an N x K tensor of logits; its prediction for an
# image is the class of the largest logit in its row, and its **accuracy** is the fraction of
# images whose prediction equals their label. Write `accuracy(logits, labels)` returning that
# fraction as a Python float:


# %% slideshow={"slide_type": "skip"}
def accuracy(logits: torch.Tensor, labels: torch.Tensor) -> float:
    ### BEGIN SOLUTION
    return (logits.argmax(dim=1) == labels).float().mean().item()
    ### END SOLUTION


# %% slideshow={"slide_type": "skip"}
check("start.accuracy", accuracy)

# %% [markdown] slideshow={"slide_type": "subslide"}
# What a wrong answer (the count of right predictions, not their fraction) gets back:

# %%
from cnnlessons import ExerciseFailed


def count_right(logits, labels):
    return (logits.argmax(dim=1) == labels).sum().item()


try:
    check("start.accuracy", count_right)
except ExerciseFailed as failure:
    print("ExerciseFailed:", str(failure).splitlines()[0])

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Questions
#
# Predict, then run the cell below.

# %% [markdown] tags=["question"]
# How many weights has a 3x3 convolution from 32 to 64 channels, without bias?

# %% tags=["question-answer"]
print(f"{count_parameters(nn.Conv2d(32, 64, 3, bias=False)):,} weights (3 x 3 x 32 x 64)")

# %% [markdown] tags=["question"]
# `small_cnn` halves the height and width in each of its three blocks. What shape does a 32x32
# image have when it reaches the global average pooling?

# %% tags=["question-answer"]
print(tuple(small_cnn(3, 10)[:3](torch.zeros(1, 3, 32, 32)).shape[1:]), "(channels, height, width)")

# %% [markdown] tags=["question"]
# Which class will your trained `small_cnn` get right least often on the test images, and which
# most often?

# %% tags=["question-answer", "nbval-ignore-output"]
predicted = predict(model, data.normalize(data.test_images))
right = [float((predicted[data.test_labels == k] == k).float().mean()) for k in range(data.num_classes)]
order = sorted(range(data.num_classes), key=right.__getitem__)
worst, best = order[0], order[-1]
print(
    f"least often: {data.classes[worst]} ({right[worst]:.0%}); most: {data.classes[best]} ({right[best]:.0%})"
)

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
