# ---
# jupyter:
#   jupytext:
#     text_representation:
#       extension: .py
#       format_name: percent
# ---

# %% [markdown] tags=["colab-badge"] slideshow={"slide_type": "skip"}
# [![Open In Colab](https://colab.research.google.com/assets/colab-badge.svg)](https://colab.research.google.com/github/cnnlessons/cnnlessons/blob/main/notebooks/02_vggnet.ipynb)

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
# # 02 · VGGNet: only 3x3 kernels, stacked for depth; the FC classifier as convolutions
#
# VGGNet (Simonyan and Zisserman, 2014; second in that year's ImageNet challenge) turned AlexNet's
# mix of kernel sizes into one rule: **only 3x3 convolutions**, stacked between poolings, for
# networks of 11 to 19 layers. For testing, it turned its fully connected classifier into
# convolutions and ran the whole network over larger images.
#
# **Learning goals.** After this lesson you can
#
# 1. compute the receptive field of a stack of convolutions, and measure it as a gradient;
# 2. count a convolution's weights, and say why three 3x3 layers beat one 7x7 layer;
# 3. write a VGG block and train a scaled-down VGG;
# 4. turn a fully connected classifier into convolutions and read its class-score map;
# 5. read where a trained VGG goes wrong.

# %% tags=["nbval-ignore-output"]
import matplotlib.pyplot as plt
import torch
from torch import nn

from cnnlessons import load_data, plot_history
from cnnlessons.lessons import vgg as lesson
from cnnlessons.plots import legible
from cnnlessons.runs.announce import announce
from cnnlessons.runs.reference import end_entry
from cnnlessons.runs.results import converged_runs, reference_runs
from cnnlessons.views import fold_layers, say

data = load_data(profile)
print(data)

# %% [markdown] slideshow={"slide_type": "slide"}
# ## The networks, drawn from the code
#
# The paper's Table 1, generated from the configurations the library builds, then the lesson's
# scaled-down VGG as it runs on one 32x32 image.

# %% slideshow={"slide_type": "fragment"}
from IPython.display import Markdown, display

from cnnlessons import models
from cnnlessons.views import diagram

display(Markdown(lesson.configuration_table()))
fig = diagram(
    models.SmallVGG(image_size=32).eval(), (3, 32, 32), title="the lesson's SmallVGG on 32x32 images"
)
plt.show()
say("*Figure: the lesson's SmallVGG, layer by layer, each box with its output shape.*")

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 1. Two stacked 3x3 convolutions see 5x5, three see 7x7
#
# An output pixel of a 3x3 convolution (stride 1) depends on a 3x3 patch of its input. Each
# further 3x3 layer widens that patch by one pixel on each side, so a stack of L layers with
# kernel k sees
#
# $$r = 1 + L\,(k - 1)$$
#
# pixels in each direction: 3, 5, 7 for one, two, three 3x3 layers. Write it:


# %% slideshow={"slide_type": "skip"}
def receptive_field(num_layers: int, kernel_size: int = 3) -> int:
    ### BEGIN SOLUTION
    return 1 + num_layers * (kernel_size - 1)
    ### END SOLUTION


# %% slideshow={"slide_type": "skip"}
check("vgg.receptive_field", receptive_field)

# %% [markdown] slideshow={"slide_type": "subslide"}
# Now measure it: the receptive field of an output pixel is where its gradient on the input is
# nonzero. We back-propagate the centre output pixel of one, two and three random 3x3 layers with
# ReLUs to a 15x15 input (`cnnlessons.measure.gradient_footprint`, over 8 random inputs, since a
# ReLU can switch a path off for one).

# %%
footprints = lesson.measure_footprints(max_layers=3, kernel_size=3, size=15)
fig = lesson.plot_footprints(footprints)
plt.show()
say("*Figure: the input pixels that the centre output pixel's gradient reaches, for 1, 2, 3 layers.*")
exact = all((fp.height, fp.width) == (fp.formula, fp.formula) for fp in footprints)
say(
    "The measured footprints are "
    + ", ".join(f"{fp.height}x{fp.width}" for fp in footprints)
    + (": exactly the formula's." if exact else ", not all the formula's.")
)

# %% [markdown] slideshow={"slide_type": "fragment"}
# Inside a footprint the centre pixels reach the output along many more paths than the border
# ones: the *effective* receptive field is smaller (Luo et al., 2016).

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 2. Fewer parameters: three 3x3 layers cost 27C² against 49C² for one 7x7
#
# A convolution from C_in to C_out channels with a k x k kernel has k² · C_in · C_out weights,
# plus C_out biases. Write it:


# %% slideshow={"slide_type": "skip"}
def conv_params(kernel_size: int, in_channels: int, out_channels: int, bias: bool = True) -> int:
    ### BEGIN SOLUTION
    return kernel_size * kernel_size * in_channels * out_channels + (out_channels if bias else 0)
    ### END SOLUTION


# %% slideshow={"slide_type": "skip"}
check("vgg.conv_params", conv_params)

# %% [markdown] slideshow={"slide_type": "subslide"}
# With C channels in and out, three 3x3 layers hold 3 · 9 · C² = 27C² weights; one 7x7 layer,
# with the same 7x7 receptive field, 49C². Counted on real `nn.Conv2d` layers (no biases):

# %% slideshow={"slide_type": "fragment"}
print(f"{'C':>5} {'3 x 3x3':>12} {'1 x 7x7':>12} {'27C^2':>12} {'49C^2':>12} {'ratio':>6}")
for r in lesson.stack_weights(channels=(64, 128, 256, 512)):
    c = r.channels
    print(f"{c:>5} {r.stack:>12,} {r.single:>12,} {27 * c * c:>12,} {49 * c * c:>12,} {r.ratio:>6.3f}")
say(
    f"Three 3x3 layers need {r.ratio:.1%} of the weights of one 7x7 layer ({r.stack:,} against "
    f"{r.single:,} at C = {r.channels}), and put three ReLUs where the 7x7 layer has one."
)

# %% [markdown] slideshow={"slide_type": "subslide"}
# The paper's argument has two halves: fewer weights (a regulariser: the 7x7 kernel is forced to
# factor through 3x3 ones) and more non-linearities (a more discriminative function).
#
# ### Explorer: kernel size and depth against receptive field and parameters
#
# The sliders choose L layers of k x k kernels; the figure sets them beside the 3x3 stack that sees
# as much (C = 64). The button trains both stacks for half the profile's epochs and adds their
# validation curves.

# %%
from cnnlessons.lessons.vgg.explorer import KernelExplorer

explorer = KernelExplorer(data, kernel_size=7, num_layers=1, profile=profile)
explorer.static()
print(explorer.text)
say("*Figure: receptive field against depth for 7x7 and 3x3 kernels; weights of one 7x7 against three 3x3.*")

# %% tags=["nbval-ignore-output"]
explorer

# %% [markdown] slideshow={"slide_type": "subslide"}
# ### Both halves of the argument, measured: section 4.1 and Table 3 at course scale
#
# The paper's ablations: two 3x3 layers instead of one 5x5 lowered top-1 error by 7% (section 4.1),
# and deeper configurations beat shallower ones (Table 3: A, 11 layers, 29.6% top-1 error against
# D, 16 layers, 27.0%). We train three of the explorer's stacks on each of the profile's seeds,
# all else equal: **one 5x5** (width 32, 25,600 weights), **two 3x3** (the same receptive field;
# width 36, whose 23,328 weights stay under the 5x5's) and **four 3x3** (deeper, same width).

# %% tags=["nbval-ignore-output"]
from cnnlessons.plots import plot_paired

stacks = lesson.recipes.STACKS
announce(stacks, data, profile, seeds=profile.seeds)
stack_runs = stacks.train_seeds(data, profile)
for label, by_seed in stack_runs.items():
    first = next(iter(by_seed.values()))
    print(
        f"{label}: {first.info['parameters']:,} parameters, test accuracy "
        + ", ".join(f"seed {seed} {h.test_acc:.1%}" for seed, h in by_seed.items())
    )
fig = legible(plot_paired(stack_runs, "test_acc", title="the three stacks' test accuracy, seed by seed"))
plt.show()
say("*Figure: test accuracy of the three stacks, one line per seed.*")

# %% tags=["nbval-ignore-output"] slideshow={"slide_type": "fragment"}
small_kernels = stacks.judge(lesson.claims.SMALL_KERNELS, stack_runs)
depth_verdict = stacks.judge(lesson.claims.DEPTH, stack_runs)
params = {label: next(iter(by.values())).info["parameters"] for label, by in stack_runs.items()}


def ahead(points: float) -> str:
    return f"{points:.1f} points ahead of" if points > 0 else f"{-points:.1f} points behind"


say(
    f"Two 3x3 layers are {ahead(small_kernels.mean)} one 5x5 in test accuracy (mean over the seeds) "
    f"with {params['two 3x3'] / params['one 5x5']:.0%} of its parameters: **{small_kernels.verdict}**. "
    f"Four 3x3 layers are {ahead(depth_verdict.mean)} two: **{depth_verdict.verdict}**."
)


# %% [markdown] slideshow={"slide_type": "slide"}
# ## 3. Depth through repeated 3x3 blocks: a scaled-down VGG
#
# A VGG block is a few 3x3 convolutions (padding 1, so the size stays) with ReLUs, then 2x2 max
# pooling with stride 2 that halves the size; the next block doubles the channels. Write the
# block:


# %% slideshow={"slide_type": "skip"}
class VGGBlock(nn.Module):
    def __init__(self, num_convs: int, in_channels: int, out_channels: int) -> None:
        ### BEGIN SOLUTION
        super().__init__()
        layers = []
        for i in range(num_convs):
            layers += [
                nn.Conv2d(in_channels if i == 0 else out_channels, out_channels, 3, padding=1),
                nn.ReLU(inplace=True),
            ]
        layers.append(nn.MaxPool2d(2, stride=2))
        self.body = nn.Sequential(*layers)
        ### END SOLUTION

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        ### BEGIN SOLUTION
        return self.body(x)
        ### END SOLUTION


# %% slideshow={"slide_type": "skip"}
check("vgg.vgg_block", VGGBlock)

# %% slideshow={"slide_type": "skip"}
from cnnlessons.exercises.drawing import draw_answer

fig = draw_answer(VGGBlock, models.VGGBlock, (16, 32, 32), args=(2, 16, 32))
say("*Figure: your block beside the library's.*")

# %% [markdown] slideshow={"slide_type": "subslide"}
# The lesson's `SmallVGG` has three blocks of two 3x3 convolutions (16, 32, 64 channels), then
# VGG's classifier: two fully connected layers with ReLU and dropout, then the class scores, read
# from the last feature map as it is (4x4 on 32x32 images). A "VGG-9". Without batch
# normalisation (2015, after VGG) a VGG is slow to get going: the paper trained its 11-layer net
# first and initialised the deeper ones from it.

# %% tags=["nbval-ignore-output"]
from cnnlessons.measure import count_parameters
from cnnlessons.models import SmallVGG, build_model

torch.manual_seed(0)
table = fold_layers(
    SmallVGG(data.num_classes, data.channels, image_size=data.image_size), data.input_size, depth=2
)
announce(lesson.recipes.VGG, data, profile)
vgg, history = lesson.train_vgg(data, profile)
fig = legible(
    plot_history(
        history,
        ["train_error", "val_error"],
        reference=reference_runs(lesson.recipes.VGG.key) + converged_runs("small_vgg"),
        title=f"SmallVGG, this run: test accuracy {history.test_acc:.1%}",
    )
)
plt.show()
say("*Figure: training and validation error per epoch, this run solid, the checkpoint dashed.*")

# %% tags=["nbval-ignore-output"] slideshow={"slide_type": "fragment"}
checkpoint = build_model("small_vgg", weights="cifar10")
record = checkpoint.checkpoint_record
pooled, own_side = checkpoint.classifier.spatial, vgg.classifier.spatial
say(
    f"This run's SmallVGG reached {history.test_acc:.1%} test accuracy after {history.epoch[-1]} "
    f"epochs on {len(data.train_labels):,} images. The dashed curve is the checkpoint `small_vgg`, "
    f"trained to the end: {record['test_acc']:.1%} after {record['epochs']} epochs on "
    f"{record['train_size']:,} CIFAR-10 images. It is not quite this network: "
    + (
        f"the same six convolutions, but its head reads the last feature map averaged to "
        f"{pooled}x{pooled}, {checkpoint.classifier.fc1.in_features:,} features, where this net's "
        f"reads it as it is, {own_side}x{own_side}: {vgg.classifier.fc1.in_features:,}"
        if own_side != pooled
        else f"it takes CIFAR-10's 3-channel images, this net {data.name}'s {data.channels}-channel ones"
    )
    + f"; {count_parameters(checkpoint):,} parameters against this net's {count_parameters(vgg):,}."
)


# %% [markdown] slideshow={"slide_type": "slide"}
# ## 4. The classifier as convolutions
#
# A fully connected layer that reads a C x s x s feature map is a convolution with an s x s
# kernel: its weight matrix (out x C·s·s) is the kernel (out x C x s x s), reshaped. In VGG-16,
# fc6 becomes a 7x7 convolution; fc7 and fc8 read a vector, a 1x1 map, and become 1x1
# convolutions. On the training size this head gives the FC head's outputs; on a larger image it
# slides over the feature map and gives a **class-score map**, which VGG averaged for its "dense"
# evaluation. `SmallVGG.fully_convolutional()` copies the weights (`fc_to_conv`).

# %% tags=["nbval-ignore-output"]
x, _ = data.batch("val", 64)
diff, scale, shape = lesson.head_difference(vgg, x)
say(
    f"On {data.image_size}x{data.image_size} images the convolutional head's output has shape "
    f"{shape}, one score per class at one position, and differs from the FC head by at most "
    f"{diff:.1e} (scores up to {scale:.2f}) over {len(x)} validation images: float rounding."
)

# %% [markdown] slideshow={"slide_type": "fragment"}
# Now a larger input: four validation images of four classes tiled into one image of twice the
# side. The map is the checkpoint `small_vgg`'s on CIFAR-10 (else this run's net). It averages its
# 4x4 feature map to 2x2 before its head; averaging is linear, so it folds into a 4x4 kernel, each
# 2x2 patch one weight of the 2x2 kernel divided by 4 (`lesson.dense_net`). This is the idea
# behind fully convolutional segmentation (Long et al., 2015) and OverFeat's detection (2014).

# %% tags=["nbval-ignore-output"]
from cnnlessons.augmentation import one_per_class

scorer = lesson.scorer(vgg, history.test_acc, data)
picks = one_per_class(data.val_labels, 4)
big = lesson.mosaic(data.val_images[picks])
scores = lesson.score_map(scorer.model, scorer.normalize(big), data.image_size)
classes = [int(data.val_labels[i]) for i in picks]
h, w = scores.shape[-2:]
title = f"{scorer.name} (test accuracy {scorer.test_acc:.1%}) on a {big.shape[-2]}x{big.shape[-1]} mosaic"
fig = lesson.plot_score_map(big[0], scores, data.classes, classes, title=title)
plt.show()
say("*Figure: the mosaic, and each of its classes' probability at each position of the map.*")
corners = {
    "top left": (0, 0),
    "top right": (0, w - 1),
    "bottom left": (h - 1, 0),
    "bottom right": (h - 1, w - 1),
}
for (name, (i, j)), k in zip(corners.items(), classes, strict=True):
    best = int(scores[:, i, j].argmax())
    print(
        f"{name:>12}: image of a {data.classes[k]!r}, top class there {data.classes[best]!r} "
        f"(P = {scores[best, i, j]:.2f})"
    )
right = sum(int(scores[:, i, j].argmax()) == k for (i, j), k in zip(corners.values(), classes, strict=True))
kernel = lesson.dense_net(scorer.model, data.image_size).head.conv1.kernel_size[0]
say(
    f"The map is {h}x{w}: the head's {kernel}x{kernel} kernel fits at {h} positions a side of the "
    f"{h + kernel - 1}x{w + kernel - 1} feature map. Each corner sees mostly its own image, and "
    f"{right} of the 4 corners vote for its class"
    + (
        "."
        if right == 4
        else f"; the others go wrong, as a net with {scorer.test_acc:.0%} test accuracy does on some "
        "single images."
    )
    + " Positions in between see parts of several images."
)

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 5. Look inside: what a trained VGG learned
#
# The checkpoint `small_vgg` on CIFAR-10 (else this run's net): its layers, each stage's most
# active channels on one test image, and where it finds its evidence: Grad-CAM (Selvaraju et al.,
# ICCV 2017) weights the last stage's channels by the gradient of the predicted class's score; red
# marks the evidence.

# %% tags=["nbval-ignore-output"]
from cnnlessons.explorers.views import look_inside

inside = look_inside(  # converged=None: this run's own
    vgg, data, converged="small_vgg", fold_table=True, accuracy=history.test_acc
)
say("*Figures: feature maps of each stage; Grad-CAM maps of eight test images; the explorer.*")
inside

# %% [markdown] slideshow={"slide_type": "subslide"}
# ### Where it goes wrong
#
# The checkpoint's accuracy on each class and its confusion matrix on the test split, from its
# record: a row per true class, the share of its images given each class; the diagonal is each
# class's accuracy. Then its most confident mistakes.

# %% tags=["nbval-ignore-output"]
from cnnlessons.models.converged import confusion_matrix, per_class_accuracy
from cnnlessons.plots import plot_class_errors, plot_mistakes
from cnnlessons.runs.errors import confident_mistakes_on

accuracy = per_class_accuracy("small_vgg")
names, counts = confusion_matrix("small_vgg")
fig = plot_class_errors("small_vgg")
plt.show()
say("*Figure: accuracy per class; the confusion matrix, true classes by row, in % of the row.*")
wrong = counts.clone().fill_diagonal_(0)
t, p = divmod(int(wrong.argmax()), len(names))
best, worst = max(accuracy, key=accuracy.get), min(accuracy, key=accuracy.get)
say(
    f"It is right on {accuracy[best]:.0%} of the {best} images, {accuracy[worst]:.0%} of the "
    f"{worst} ones; its most frequent mistake is a {names[t]} taken for a {names[p]} "
    f"({int(wrong[t, p])} of {int(counts[t].sum()):,})."
)
mistakes = confident_mistakes_on("small_vgg", data)
if mistakes.images is None:
    say(mistakes.why)
else:
    fig = plot_mistakes(mistakes, data.classes)
    plt.show()
    say(
        f"*Figure: its {len(mistakes)} most confident mistakes, prediction over truth.* "
        f"It gave these wrong classes {min(mistakes.probability):.0%} to "
        f"{max(mistakes.probability):.0%}."
    )

# %% [markdown] slideshow={"slide_type": "subslide"}
# ### The library's code: a Linear layer as a convolution
#
# The heart of `fc_to_conv`, which `SmallVGG.fully_convolutional()` calls (not an exercise):

# %%
from cnnlessons import views
from cnnlessons.models.vgg import _linear_to_conv

views.show_source(_linear_to_conv, fold=True)

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Questions
#
# Predict, then run the cell below each question.

# %% [markdown] tags=["question"]
# Five stacked 3x3 convolutions (C channels in and out): what receptive field, and what share of
# the weights of one convolution that sees as much?

# %% tags=["question-answer"]
from cnnlessons.measure import stacked_receptive_field

side = stacked_receptive_field(5, 3)
five = count_parameters(nn.Sequential(*[nn.Conv2d(64, 64, 3, bias=False) for _ in range(5)]))
one = count_parameters(nn.Conv2d(64, 64, side, bias=False))
say(
    f"{side}x{side}, with {five / one:.0%} of the weights: 45C² against {side * side}C² "
    f"({five:,} against {one:,} at C = 64)."
)

# %% [markdown] tags=["question"]
# A 2x2 max pooling (stride 2) between two 3x3 convolutions: is the receptive field still 5x5?

# %% tags=["question-answer"]
from cnnlessons.measure import gradient_footprint

torch.manual_seed(0)
pooled_stack = nn.Sequential(
    nn.Conv2d(1, 4, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2, 2), nn.Conv2d(4, 4, 3, padding=1), nn.ReLU()
)
found = gradient_footprint(pooled_stack, (1, 16, 16), trials=8)
say(
    f"{found.height}x{found.width}: the first 3x3 sees 3 pixels, the pooling widens that to 4, and "
    "after it each step of the second kernel spans two input pixels, so it adds 2 · 2 = 4."
)


# %% [markdown] tags=["question"]
# The lesson's SmallVGG for 32x32 images, made fully convolutional, reads a 96x96 image: how large
# is its class-score map?

# %% tags=["question-answer"]
with torch.no_grad():
    dense = lesson.dense_net(SmallVGG(image_size=32).eval(), 32)
    answer = dense(torch.zeros(1, 3, 96, 96)).shape
say(
    f"{answer[-2]}x{answer[-1]}: three poolings shrink 96 to 12, where the head's 4x4 kernel fits "
    f"at 12 − 4 + 1 = {answer[-1]} positions a side."
)

# %% [markdown] tags=["question"]
# What share of SmallVGG's parameters (32x32 images) sits in its fully connected layers? And of
# VGG-16's?

# %% tags=["question-answer"]
small = SmallVGG(image_size=32)
with torch.device("meta"):
    vgg16 = models.VGG("vgg16")
shares = {
    name: count_parameters(net.classifier) / count_parameters(net)
    for name, net in (("SmallVGG", small), ("VGG-16", vgg16))
}
say(
    f"{shares['SmallVGG']:.0%} of SmallVGG's and {shares['VGG-16']:.0%} of VGG-16's: the first "
    "fully connected layer reads the whole last feature map."
)

# %% [markdown] tags=["question"]
# VGG-19 adds a 3x3 convolution to each of VGG-16's last three blocks: how many parameters?

# %% tags=["question-answer"]
with torch.device("meta"):
    vgg16, vgg19 = models.VGG("vgg16"), models.VGG("vgg19")
added = count_parameters(vgg19) - count_parameters(vgg16)
say(
    f"{added:,} ({added / count_parameters(vgg16):.1%} more): one 3x3 convolution 256 → 256 and "
    "two 512 → 512."
)

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Claims ledger
#
# Every claim, with the paper's figure and this run's. An effect claim is `shown` when every
# seed's paired difference has the claimed sign and their mean clears the margin
# (`cnnlessons.claims.judge`); the constructive claims check the figures computed above.

# %% tags=["nbval-ignore-output"]
from cnnlessons.claims import show_ledger

weights = lesson.stack_weights(channels=(512,))[-1]
show_ledger(
    [
        small_kernels.row(
            budget="more epochs, or more images, for each stack",
            reference=end_entry(lesson.claims.SMALL_KERNELS.id),
        ),
        depth_verdict.row(
            budget="more epochs, or more images, for each stack", reference=end_entry(lesson.claims.DEPTH.id)
        ),
        lesson.claims.RECEPTIVE_FIELD.row(
            ", ".join(f"{fp.num_layers} x 3x3: {fp.height}x{fp.width}" for fp in footprints), exact
        ),
        lesson.claims.WEIGHTS.row(
            f"{weights.stack:,} against {weights.single:,} at C = {weights.channels}",
            bool(weights.stack == 27 * weights.channels**2 and weights.single == 49 * weights.channels**2),
        ),
        lesson.claims.FULLY_CONVOLUTIONAL.row(
            f"max difference {diff:.1e} (scores up to {scale:.2f})",
            bool(diff <= 1e-4 * max(scale, 1.0)),
        ),
    ]
)

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Summary
#
# - L stride-1 k x k convolutions see 1 + L(k − 1) pixels: two 3x3 layers see 5x5, three 7x7.
# - Three 3x3 layers hold 27C² weights, one 7x7 layer 49C² (55%), with three non-linearities
#   instead of one.
# - VGG is depth by repetition: blocks of 3x3 convolutions and a 2x2 pooling, channels doubling.
# - Fully connected layers are convolutions (s x s, then 1x1): the same outputs on the training
#   size, a class-score map on larger images.
# - A confusion matrix shows where a trained network goes wrong, class by class.
#
# Next: `03_googlenet.ipynb`, where 1x1 convolutions cut the parameters.

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Papers
#
# - K. Simonyan, A. Zisserman. *Very Deep Convolutional Networks for Large-Scale Image
#   Recognition.* International Conference on Learning Representations (ICLR 2015);
#   arXiv:1409.1556.
# - P. Sermanet, D. Eigen, X. Zhang, M. Mathieu, R. Fergus, Y. LeCun. *OverFeat: Integrated
#   Recognition, Localization and Detection using Convolutional Networks.* International
#   Conference on Learning Representations (ICLR 2014); arXiv:1312.6229.
# - J. Long, E. Shelhamer, T. Darrell. *Fully Convolutional Networks for Semantic Segmentation.*
#   IEEE Conference on Computer Vision and Pattern Recognition (CVPR 2015), pp. 3431–3440.
# - W. Luo, Y. Li, R. Urtasun, R. Zemel. *Understanding the Effective Receptive Field in Deep
#   Convolutional Neural Networks.* Advances in Neural Information Processing Systems 29
#   (NIPS 2016), pp. 4898–4906.
