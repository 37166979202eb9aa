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
# VGGNet (Simonyan and Zisserman, 2014; second in the ImageNet challenge of that year, first in
# localisation) made one design rule out of AlexNet's mix of 11x11, 5x5 and 3x3 kernels: **only 3x3
# convolutions**, stacked one to four deep between poolings (configuration A has single ones in its
# first two blocks), for networks of 11 to 19 layers. For testing, it turned its fully connected
# classifier into convolutions — fc6 into a 7x7 convolution, fc7 and fc8 into 1x1 ones — and ran the
# whole network over larger images.
#
# **Learning goals.** After this lesson you can
#
# 1. compute the receptive field of a stack of convolutions, and measure it as a gradient;
# 2. count the weights of a convolution, and say why three 3x3 layers beat one 7x7 layer;
# 3. write a VGG block and train a scaled-down VGG;
# 4. turn a fully connected classifier into convolutions with the same outputs (the first FC
#    layer becomes an s x s convolution, the others 1x1), and read the class-score map it gives
#    on a larger image.

# %% tags=["nbval-ignore-output"]
import matplotlib.pyplot as plt
import torch
from torch import nn

from cnnlessons import load_data, plot_history
from cnnlessons.lessons import vgg as lesson
from cnnlessons.runs.results import converged_runs, reference_runs

data = load_data(profile)
print(data)

# %% [markdown] slideshow={"slide_type": "slide"}
# ## The networks, drawn from the code
#
# The paper's Table 1: its configurations, block by block, generated from the configurations the
# library builds (`cnnlessons.models.VGG_CONFIGS`), then the lesson's scaled-down stack drawn by
# `cnnlessons.views.diagram` as it runs on one 32x32 image.

# %% slideshow={"slide_type": "fragment"}
from IPython.display import Markdown, display

from cnnlessons import models
from cnnlessons.views import diagram

display(Markdown(lesson.configuration_table()))
fig = diagram(
    models.SmallVGG(image_size=32).eval(), (3, 32, 32), title="the lesson's SmallVGG on 32x32 images"
)
plt.show()

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
# Now measure it instead of computing it. The receptive field of an output pixel is the set of
# input pixels it depends on: those where the gradient of that output with respect to the input
# is nonzero. We build stacks of one, two and three 3x3 convolutions with ReLUs (random weights,
# 4 channels), back-propagate the centre output pixel to a 15x15 input and mark the input pixels
# with a nonzero gradient (`cnnlessons.measure.gradient_footprint`; ReLUs can switch a path off
# for one input, so it combines 8 random inputs).

# %%
footprints = lesson.measure_footprints(max_layers=3, kernel_size=3, size=15)
for fp in footprints:
    print(
        f"{fp.num_layers} x 3x3: measured footprint {fp.height}x{fp.width}, "
        f"formula 1 + {fp.num_layers}·2 = {fp.formula}"
    )
fig = lesson.plot_footprints(footprints)
plt.show()

# %% [markdown] slideshow={"slide_type": "fragment"}
# Take-away: the measured footprints (printed above) are exactly 3x3, 5x5 and 7x7 — the formula,
# seen as the gradient of one output pixel. (Inside the footprint the gradient is not uniform:
# the centre pixels reach the output along many more paths than the border ones. The *effective*
# receptive field is smaller than the theoretical one — Luo et al., 2016.)

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
print(
    f"Take-away: three 3x3 layers need {r.ratio:.1%} of the weights of one 7x7 layer "
    f"({r.stack:,} against {r.single:,} at C = {r.channels}), and put three ReLUs where the 7x7 "
    f"layer has one."
)

# %% [markdown] slideshow={"slide_type": "subslide"}
# The paper's argument has two halves: fewer weights (a regulariser: the 7x7 kernel is forced to
# factor through 3x3 ones) and more non-linearities (a more discriminative function).
#
# ### Explorer: kernel size and depth against receptive field and parameters
#
# The sliders choose L layers of k x k kernels. Left: the receptive field against depth for k x
# k and for 3x3 kernels (the circle is your stack, the square the 3x3 stack that sees as much).
# Middle: the weights of your stack, of that 3x3 stack, and of one layer that sees it all at once
# (C = 64). The button trains your stack against the 3x3 stack (each behind the same 1x1 stem,
# BN and ReLU after every convolution, global average pooling and a linear classifier; half the
# profile's epochs) and adds both validation curves; runs are kept per setting.

# %%
from cnnlessons.lessons.vgg.explorer import KernelExplorer

explorer = KernelExplorer(data, kernel_size=7, num_layers=1, profile=profile)
explorer.static()
print(explorer.text)

# %% tags=["nbval-ignore-output"]
explorer

# %% [markdown] slideshow={"slide_type": "subslide"}
# ### Both halves of the argument, measured: section 4.1 and Table 3 at course scale
#
# The paper's own ablations: two 3x3 layers instead of one 5x5 lowered top-1 error by 7% (section
# 4.1), and the deeper configurations beat the shallower ones (Table 3: A, 11 layers, 29.6% top-1
# error against D, 16 layers, 27.0%). We train three of the explorer's stacks on each of the
# profile's seeds (0, 1 and 2 in `cpu`), everything else equal: **one 5x5** layer (width 32,
# 25,600 weights), **two 3x3** (the same 5x5 receptive field; width 36, the widest whose 23,328
# weights stay under the 5x5's) and **four 3x3** (the deeper stack at the same width), with
# AdamW for the profile's epochs; test accuracy on the whole test split.

# %% tags=["nbval-ignore-output"]
from cnnlessons.plots import plot_paired

stacks = lesson.recipes.STACKS
print(stacks.describe(profile))
print(stacks.estimate(data, profile))
stack_runs = stacks.train_seeds(data, profile)
fig = plot_paired(stack_runs, "test_acc", title="test accuracy, seed by seed")
plt.show()
for label, by_seed in stack_runs.items():
    first = next(iter(by_seed.values()))
    print(
        f"{label}: {first.info['parameters']:,} parameters, test accuracy "
        + ", ".join(f"seed {seed} {h.test_acc:.1%}" for seed, h in by_seed.items())
    )
small_kernels = stacks.judge(lesson.claims.SMALL_KERNELS, stack_runs)
depth_verdict = stacks.judge(lesson.claims.DEPTH, stack_runs)

# %% tags=["nbval-ignore-output"] slideshow={"slide_type": "fragment"}
print(
    f"Take-away: two 3x3 layers against one 5x5: {small_kernels.mean:+.1f} points of test accuracy "
    f"(mean over the seeds) at fewer weights, {small_kernels.verdict}; four 3x3 layers against two: "
    f"{depth_verdict.mean:+.1f} points, {depth_verdict.verdict}."
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

# %% [markdown] slideshow={"slide_type": "subslide"}
# The lesson's scaled-down VGG (`cnnlessons.models.SmallVGG`, built from the library's own
# `VGGBlock`) has three blocks of two 3x3 convolutions with 16, 32 and 64 channels, and VGG's
# classifier: two fully connected layers with ReLU and dropout, then the class scores. It reads
# the last feature map as it is (4x4 on 32x32 images, 2x2 on the digits' 16x16), which the last
# section needs. Six convolutions and three fully connected layers: a "VGG-9".

# %% tags=["nbval-ignore-output"]
from cnnlessons.measure import count_parameters, layer_summary

torch.manual_seed(0)
from cnnlessons.models import SmallVGG

print(
    layer_summary(
        SmallVGG(data.num_classes, data.channels, image_size=data.image_size), data.input_size, depth=2
    )
)

# %% tags=["nbval-ignore-output"]
print(lesson.recipes.VGG.estimate(data, profile))
vgg, history = lesson.train_vgg(data, profile)
print(history)
fig = plot_history(
    history,
    ["train_error", "val_error"],
    reference=reference_runs(lesson.recipes.VGG.key) + converged_runs("small_vgg"),
    title="SmallVGG",
)
plt.show()

# %% tags=["nbval-ignore-output"] slideshow={"slide_type": "fragment"}
print(
    f"Take-away: the scaled-down VGG reached {history.val_acc[-1]:.1%} validation and "
    f"{history.test_acc:.1%} test accuracy after {history.epoch[-1]} epochs "
    f"({count_parameters(vgg):,} parameters, {history.wall_time:.0f} s)."
)

# %% [markdown] slideshow={"slide_type": "subslide"}
# Without batch normalisation (2015, after VGG) a VGG is slow to get going: the paper trained its
# 11-layer net first and initialised the deeper ones from it — and dropout in the classifier
# slows it further on a short budget (lesson 01). On a CPU budget of a few epochs expect a modest
# accuracy. The dashed curve above shows what the same network reaches with a real budget: SmallVGG
# trained to the end on all of CIFAR-10 (the checkpoint that
# `build_model("small_vgg", weights="cifar10")` loads, its test accuracy in the legend).

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 4. The classifier as convolutions
#
# A fully connected layer that reads a C x s x s feature map is a convolution with an s x s
# kernel: its weight matrix (out x C·s·s) is the kernel (out x C x s x s), reshaped. In VGG-16
# that is fc6, a 7x7 convolution over the 7x7 map. The next fully connected layers (fc7, fc8)
# read a vector, i.e. a 1x1 map: they are 1x1 convolutions. On the
# training size the convolutional head therefore gives exactly the FC head's outputs (a 1x1
# score map); on a larger image it slides over the feature map and gives a **class-score map**,
# which VGG averaged for its "dense" evaluation. `SmallVGG.fully_convolutional()` copies the
# head's weights into convolutions (`cnnlessons.models.vgg.fc_to_conv`).

# %% tags=["nbval-ignore-output"]
x, _ = data.batch("val", 64)
diff, scale, shape = lesson.head_difference(vgg, x)
print(vgg.fully_convolutional().head)
print(f"on {data.image_size}x{data.image_size} images the conv head's output has shape {shape}")
print(f"max |FC head - conv head| over {len(x)} validation images: {diff:.1e} (scores up to {scale:.2f})")

# %% [markdown] slideshow={"slide_type": "fragment"}
# Take-away: the difference printed above is float rounding (the two heads do the same
# arithmetic in a different order). Now a larger input: four validation images of four different
# classes, tiled 2x2 into one image of twice the side. The network was never trained on such an
# image; the fully convolutional version still gives a score for every class at every position of
# a map. Each panel shows the probability of one of the four classes over the map.

# %% tags=["nbval-ignore-output"]
from cnnlessons.augmentation import one_per_class

picks = one_per_class(data.val_labels, 4)
big = lesson.mosaic(data.val_images[picks])
scores = lesson.score_map(vgg, data.normalize(big))
classes = [int(data.val_labels[i]) for i in picks]
fig = lesson.plot_score_map(big[0], scores, data.classes, classes)
plt.show()
h, w = scores.shape[-2:]
print(
    f"a {big.shape[-2]}x{big.shape[-1]} input gives a {h}x{w} score map per class ({scores.shape[0]} classes)"
)
corners = {
    "top left": (0, 0),
    "top right": (0, w - 1),
    "bottom left": (h - 1, 0),
    "bottom right": (h - 1, w - 1),
}
for (name, (i, j)), k in zip(corners.items(), classes, strict=False):
    best = int(scores[:, i, j].argmax())
    print(
        f"{name:>12}: image of a {data.classes[k]!r}, top class there {data.classes[best]!r} "
        f"(P = {scores[best, i, j]:.2f})"
    )
right = sum(int(scores[:, i, j].argmax()) == k for (i, j), k in zip(corners.values(), classes, strict=False))
print(f"{right} of the 4 corners vote for the class of their own image.")

# %% [markdown] slideshow={"slide_type": "fragment"}
# Take-away: the map's side is printed above — (feature map side − head kernel + 1): the head's
# first layer is now a kernel the size of the training feature map, sliding over a feature map
# twice as large. Each corner of the map sees mostly the image in that corner, and votes for its
# class as far as the net classifies that image right on its own (the count above: a net trained
# for a few epochs gets some corners wrong); the positions in between see parts of several
# images. This is the idea behind fully convolutional networks for segmentation (Long et al.,
# 2015) and sliding-window detection (OverFeat, 2014).

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 5. Look inside: what the trained VGG learned
#
# The scaled-down VGG of section 3, as trained there: its layers' shapes, what its stages compute
# on one test image (each stage's most active channels), where in a few test images it finds its
# evidence, and an explorer of the feature maps and activation maps, image by image and stage by
# stage.
#
# A class-activation map (Grad-CAM; Selvaraju et al., ICCV 2017, computed with captum) weights
# the channels of the last convolution stage by the gradient of the predicted class's score and
# sums them: red marks where in the image the evidence for that prediction sits. Read them with
# the accuracy of the run in mind: a network that is right on few test images has little to show.

# %% tags=["nbval-ignore-output"]
from cnnlessons.explorers.views import look_inside

look_inside(vgg, data, converged="small_vgg")  # converged=None: this run's own

# %% [markdown] slideshow={"slide_type": "subslide"}
# ### The library's code: turning the FC head into convolutions
#
# What `SmallVGG.fully_convolutional()` of section 4 calls (not an exercise):

# %%
from cnnlessons import views
from cnnlessons.models import fc_to_conv

views.show_source(fc_to_conv)

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Claims ledger
#
# Every claim of the lesson, with the paper's figure and this run's. The effect claims' verdicts
# come from the course's one rule (`cnnlessons.claims.judge`): paired runs on the same seeds,
# `shown` when every seed's difference has the claimed sign and their mean clears the margin.
# The constructive claims are checks on the figures computed above.

# %% tags=["nbval-ignore-output"]
from cnnlessons.claims import show_ledger

weights = lesson.stack_weights(channels=(512,))[-1]
show_ledger(
    [
        small_kernels.row(budget="more epochs, or more images, for each stack"),
        depth_verdict.row(budget="more epochs, or more images, for each stack"),
        lesson.claims.RECEPTIVE_FIELD.row(
            ", ".join(f"{fp.num_layers} x 3x3: {fp.height}x{fp.width}" for fp in footprints),
            all((fp.height, fp.width) == (fp.formula, fp.formula) for fp in footprints),
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
# - A stack of L stride-1 k x k convolutions sees 1 + L(k − 1) pixels: two 3x3 layers see 5x5,
#   three 7x7 — computed and measured as a gradient footprint.
# - Three 3x3 layers hold 27C² weights, one 7x7 layer 49C² (55%), with three non-linearities
#   instead of one.
# - VGG is depth by repetition: blocks of 3x3 convolutions and a 2x2 pooling, channels doubling.
# - Fully connected layers are convolutions (s x s, then 1x1): same outputs on the training size,
#   a class-score map on larger images.
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
