# ---
# jupyter:
#   jupytext:
#     text_representation:
#       extension: .py
#       format_name: percent
# ---

# %% [markdown] tags=["colab-badge"] slideshow={"slide_type": "skip"}
# [![Open In Colab](https://colab.research.google.com/assets/colab-badge.svg)](https://colab.research.google.com/github/cnnlessons/cnnlessons/blob/main/notebooks/03_googlenet.ipynb)

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
# # 03 · GoogLeNet: 1x1 convolutions and the Inception block
#
# GoogLeNet won ILSVRC 2014 with a network 22 layers deep and far fewer parameters than AlexNet or
# VGGNet. Two ideas make that possible: **1x1 convolutions** that shrink the channel count before
# an expensive 3x3 or 5x5 convolution, and the **Inception block**, which runs several filter sizes
# side by side and concatenates what they find.
#
# After this lesson you can
#
# 1. say what a 1x1 convolution computes, and show that it is a linear layer applied to every pixel;
# 2. count what a 1x1 reduction saves, and see how the saving depends on its width;
# 3. build an Inception block and follow the shapes through its four branches;
# 4. check the source's table of layers and parameters against the real models;
# 5. train a scaled-down GoogLeNet.
#
# The claims of the source are the section headings; each is shown by a computation.

# %% slideshow={"slide_type": "skip"}
# %% [markdown] slideshow={"slide_type": "slide"}
# ## The network, drawn from the code
#
# The lesson's scaled-down GoogLeNet as it runs on one 32x32 image, drawn by
# `cnnlessons.views.diagram` from the model the library builds: a 3x3 stem, five Inception blocks
# (each box one block; section 3 opens one) with two poolings between them, global average pooling
# and one linear layer.
# %% slideshow={"slide_type": "fragment"}
import matplotlib.pyplot as plt
import torch
from torch import nn

from cnnlessons import load_data, models, plot_history, set_seed
from cnnlessons.lessons import googlenet as lesson
from cnnlessons.measure import count_parameters, flops_per_image
from cnnlessons.runs.results import converged_runs, reference_runs, trained_to_the_end
from cnnlessons.views import diagram

fig = diagram(
    models.SmallGoogLeNet().eval(), (3, 32, 32), title="the lesson's SmallGoogLeNet on 32x32 images"
)
plt.show()

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 1. A 1x1 convolution is a per-pixel linear map across channels
#
# A convolution with a 1x1 kernel looks at one pixel at a time. At pixel (h, w) it mixes the
# C_in input channels into C_out output channels with one weight matrix W (C_out x C_in) shared by
# all pixels:
#
# $$y_{o,h,w} = b_o + \sum_{c=1}^{C_\text{in}} W_{o,c}\, x_{c,h,w}.$$
#
# So it keeps the width and the height and changes only the number of channels. The same map is
# an `nn.Linear(C_in, C_out)` applied to the channel vector of every pixel, or one `einsum`:

# %% slideshow={"slide_type": "fragment"}
torch.manual_seed(0)
x = torch.randn(2, 64, 7, 7)  # N x C_in x H x W
conv = nn.Conv2d(64, 16, kernel_size=1)  # 64 -> 16 channels
W, b = conv.weight[:, :, 0, 0], conv.bias  # 16 x 64 and 16

linear = nn.Linear(64, 16)  # the same weights, as a linear layer
with torch.no_grad():
    linear.weight.copy_(W)
    linear.bias.copy_(b)
    y_conv = conv(x)
    y_einsum = torch.einsum("oc,nchw->nohw", W, x) + b.view(1, -1, 1, 1)
    y_linear = linear(x.permute(0, 2, 3, 1)).permute(0, 3, 1, 2)  # Linear on each pixel's channels

same = max((y_conv - y_einsum).abs().max().item(), (y_conv - y_linear).abs().max().item()) < 1e-5
print(f"input {tuple(x.shape)} -> 1x1 conv output {tuple(y_conv.shape)}")
print(f"einsum output {tuple(y_einsum.shape)}, per-pixel Linear output {tuple(y_linear.shape)}")
print(
    f"Take-away: the 1x1 convolution turned {x.shape[1]} channels into {y_conv.shape[1]} on the "
    f"same {x.shape[2]}x{x.shape[3]} grid, and it equals a Linear({x.shape[1]}, {y_conv.shape[1]}) "
    f"applied to each of the {x.shape[0] * x.shape[2] * x.shape[3]} pixels "
    f"(max difference below 1e-5: {same})."
)

# %% tags=["nbval-ignore-output"]
# The last digits of float32 rounding depend on the CPU's kernels, so these figures are not compared.
diff_einsum = (y_conv - y_einsum).abs().max().item()
diff_linear = (y_conv - y_linear).abs().max().item()
print(f"max |conv - einsum| = {diff_einsum:.1e}, max |conv - per-pixel Linear| = {diff_linear:.1e}")

# %% [markdown] slideshow={"slide_type": "subslide"}
# Any difference there is float32 rounding: the three computations may add the same products in a
# different order.

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 2. Same receptive field and output size with far fewer parameters
#
# A 3x3 convolution from C_in to C_out channels has k²·C_in·C_out weights. GoogLeNet first reduces
# the channels with a 1x1 convolution to r channels and applies the 3x3 to those:
#
# $$k^2 C_\text{in} C_\text{out} \quad\text{against}\quad C_\text{in}\, r + k^2 r\, C_\text{out}.$$
#
# The source's example is 128 -> 128 channels with r = 32: 9·128·128 = 147,456 weights against
# 128·32 + 9·32·128 = 4,096 + 36,864 = 40,960. Here both paths are built as real layers (without
# biases), their weights counted, an image run through each, and their receptive fields measured
# as the input pixels that one output pixel's gradient reaches.

# %% slideshow={"slide_type": "fragment"}
cmp = lesson.compare_reduction(in_channels=128, reduced_channels=32, out_channels=128, kernel_size=3, size=28)
print(
    f"3x3 conv 128->128:            {cmp.direct_params:>7,} weights, output {cmp.direct_shape}, "
    f"receptive field {cmp.direct_receptive_field}, {cmp.direct_flops / 1e6:.1f} MFLOPs"
)
print(
    f"1x1 conv 128->32, 3x3 32->128: {cmp.reduced_params:>7,} weights, output {cmp.reduced_shape}, "
    f"receptive field {cmp.reduced_receptive_field}, {cmp.reduced_flops / 1e6:.1f} MFLOPs"
)
print(
    f"Take-away: the reduced path needs {cmp.reduced_params:,} instead of {cmp.direct_params:,} "
    f"weights ({cmp.saving:.0%}) and {cmp.reduced_flops / cmp.direct_flops:.0%} of the FLOPs on a "
    f"28x28 map, for the same {cmp.direct_receptive_field[0]}x{cmp.direct_receptive_field[1]} "
    f"receptive field and the same output shape."
)

# %% [markdown] slideshow={"slide_type": "subslide"}
# The saving is not free: the 3x3 convolution now sees only 32 mixtures of the 128 input channels,
# so the block can express fewer functions. The paper's argument (its section 5, after Arora et
# al.) is that the channels of a layer are redundant: highly correlated features can be embedded
# in a low-dimensional space with little loss, so a narrow 1x1 "embedding" in front of the costly
# convolution keeps most of what it needs.
#
# ### Exercise: `reduction_params`
#
# Write `reduction_params(in_channels, reduced_channels, out_channels, kernel_size=3)` returning the
# pair (weights of one kxk convolution in -> out, weights of the 1x1 in -> reduced followed by the
# kxk reduced -> out), without biases.


# %% slideshow={"slide_type": "skip"}
def reduction_params(
    in_channels: int, reduced_channels: int, out_channels: int, kernel_size: int = 3
) -> tuple[int, int]:
    ### BEGIN SOLUTION
    k2 = kernel_size * kernel_size
    direct = k2 * in_channels * out_channels
    reduced = in_channels * reduced_channels + k2 * reduced_channels * out_channels
    return direct, reduced
    ### END SOLUTION


# %% slideshow={"slide_type": "skip"}
check("googlenet.reduction_params", reduction_params)

# %% [markdown] slideshow={"slide_type": "subslide"}
# ### Explorer: how wide should the reduction be?
#
# Pick one of GoogLeNet's reduced branches (or the source's example) and move the width of its 1x1
# reduction. The blue line is the branch's cost (weights and biases; FLOPs on the map size that
# block works on in a 224x224 network), the red line the same kxk convolution without a reduction,
# the dotted line the paper's choice. The marked point is counted on real layers, the library's
# `Inception` branch.

# %% slideshow={"slide_type": "fragment"}
from cnnlessons.lessons.googlenet.explorer import ReductionExplorer

explorer = ReductionExplorer(branch="3a 5x5")
b = explorer.current
with_reduction = lesson.branch_cost(b.in_channels, b.reduced_channels, b.out_channels, b.kernel_size, b.size)
without = lesson.branch_cost(b.in_channels, None, b.out_channels, b.kernel_size, b.size)
k2 = b.kernel_size**2
break_even = k2 * b.in_channels * b.out_channels / (b.in_channels + k2 * b.out_channels)
explorer.static()
print(explorer.text)
print(
    f"Take-away: in block 3a's 5x5 branch the paper's {b.reduced_channels}-channel reduction keeps "
    f"{with_reduction.params / without.params:.0%} of the parameters and "
    f"{with_reduction.flops / without.flops:.0%} of the FLOPs; a reduction saves weights as long as "
    f"it is narrower than k²·C_in·C_out / (C_in + k²·C_out) = {break_even:.0f} channels."
)

# %% tags=["nbval-ignore-output"]
explorer

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 3. The Inception block: four parallel branches, concatenated along channels
#
# Each Inception block reads the same input with four branches:
#
# 1. a 1x1 convolution -> c1 channels;
# 2. a 1x1 reduction -> c2[0], then a 3x3 convolution (padding 1) -> c2[1];
# 3. a 1x1 reduction -> c3[0], then a 5x5 convolution (padding 2) -> c3[1];
# 4. 3x3 max pooling (stride 1, padding 1), then a 1x1 convolution -> c4.
#
# Every branch keeps height and width, so the outputs can be stacked along the channel axis:
# c1 + c2[1] + c3[1] + c4 channels. The pooling branch needs its 1x1 convolution: max pooling
# keeps all C_in input channels, so without it the block's output would have at least as many
# channels as its input, and the channel count could only grow from block to block; the 1x1
# projection lets each block choose its own width c4 for that branch. Here is block 3a of GoogLeNet
# on its 28x28 input with 192 channels (the library's `Inception`):

# %% slideshow={"slide_type": "fragment"}
block = models.Inception(192, 64, (96, 128), (16, 32), 32)
x = torch.randn(1, 192, 28, 28)
shapes, out_shape = lesson.branch_shapes(block, x)
for (name, shape), branch in zip(shapes, block.branches, strict=False):
    print(f"branch {name:<20} -> {shape}, {count_parameters(branch):>7,} parameters")
print(f"concatenated output      -> {out_shape}")
print(
    f"Take-away: the four branches give {' + '.join(str(s[1]) for _, s in shapes)} = "
    f"{out_shape[1]} channels on the same {out_shape[2]}x{out_shape[3]} grid; the whole block has "
    f"{count_parameters(block):,} parameters."
)

# %% [markdown] slideshow={"slide_type": "subslide"}
# The full GoogLeNet stacks nine such blocks (3a, 3b, 4a-4e, 5a, 5b) with max pooling between the
# stages. (torchvision's `googlenet` uses a 3x3 kernel in its "5x5" branch, a slip kept for its
# pretrained weights; the course's `GoogLeNet` copies it by default so that the counts match, and
# `build_model("googlenet_paper")` builds the paper's 5x5.)
#
# ### Exercise: the Inception block
#
# Write the block: the four branches above, a ReLU after every convolution, the outputs
# concatenated along channels in the order 1x1, 3x3, 5x5, pool.

# %% slideshow={"slide_type": "skip"}
import torch.nn.functional as F


class Inception(nn.Module):
    def __init__(self, in_channels: int, c1: int, c2: tuple[int, int], c3: tuple[int, int], c4: int) -> None:
        super().__init__()
        ### BEGIN SOLUTION
        self.b1 = nn.Conv2d(in_channels, c1, 1)
        self.b2_reduce = nn.Conv2d(in_channels, c2[0], 1)
        self.b2 = nn.Conv2d(c2[0], c2[1], 3, padding=1)
        self.b3_reduce = nn.Conv2d(in_channels, c3[0], 1)
        self.b3 = nn.Conv2d(c3[0], c3[1], 5, padding=2)
        self.b4_pool = nn.MaxPool2d(3, stride=1, padding=1)
        self.b4 = nn.Conv2d(in_channels, c4, 1)
        ### END SOLUTION

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        ### BEGIN SOLUTION
        y1 = F.relu(self.b1(x))
        y2 = F.relu(self.b2(F.relu(self.b2_reduce(x))))
        y3 = F.relu(self.b3(F.relu(self.b3_reduce(x))))
        y4 = F.relu(self.b4(self.b4_pool(x)))
        return torch.cat([y1, y2, y3, y4], dim=1)
        ### END SOLUTION


# %% slideshow={"slide_type": "skip"}
check("googlenet.inception_block", Inception)

# %% slideshow={"slide_type": "skip"}
from cnnlessons.exercises.drawing import draw_answer

fig = draw_answer(Inception, models.Inception, (192, 28, 28), args=(192, 64, (96, 128), (16, 32), 32))

# %% [markdown] slideshow={"slide_type": "subslide"}
# The paper's *naive* block (its Figure 2a: the 3x3 and 5x5 convolutions read the block's input
# directly, and the pooled input is passed on as it is), the same with the pool branch's 1x1
# projection kept, and the block with its 1x1 reductions (Figure 2b), for block 3a's input of
# 192 channels:

# %% slideshow={"slide_type": "fragment"}
naive_2a = models.Inception(192, 64, (96, 128), (16, 32), 32, reductions=False, pool_projection=False).eval()
naive_3a = models.Inception(192, 64, (96, 128), (16, 32), 32, reductions=False).eval()
reduced_3a = models.Inception(192, 64, (96, 128), (16, 32), 32).eval()
for name, block_3a in (
    ("naive (Figure 2a)", naive_2a),
    ("naive, pool branch projected", naive_3a),
    ("with 1x1 reductions", reduced_3a),
):
    fig = diagram(
        block_3a,
        (192, 28, 28),
        title=f"Inception 3a, {name}: {count_parameters(block_3a):,} parameters, "
        f"{block_3a.out_channels} channels out",
    )
    plt.show()
print(
    f"Take-away: the reductions leave {count_parameters(reduced_3a) / count_parameters(naive_3a):.0%} of the "
    "parameters of the naive block with the same four "
    f"branches and the same {reduced_3a.out_channels} output "
    f"channels; the Figure 2a block passes its {naive_2a.in_channels} input channels on as well, "
    f"{naive_2a.out_channels} channels out for the next block's 3x3 and 5x5 convolutions to read."
)


# %% [markdown] slideshow={"slide_type": "slide"}
# ## 4. The source's table: AlexNet 8 layers 60M, VGGNet 19 layers 110M, GoogLeNet 22 layers 4M
#
# The source sums up the three winners in one table of layers and parameters. Here the full-size
# models are built with the course's own blocks (on PyTorch's `meta` device: shapes without
# storage, so even VGG-19 costs no memory), their parameters counted, their layers measured as the
# number of convolutions and linear layers on the longest path from the image to the output, and
# set beside torchvision's models of the same name (built with `weights=None`).

# %%
rows = lesson.architecture_table()
print(lesson.format_table(rows))
print()
for row in rows:
    if row.source_params is not None:
        print(f"{row.name}: {row.verdict}")

# %% slideshow={"slide_type": "fragment"}
by_name = {row.name: row for row in rows}
alexnet, vgg19, googlenet = by_name["AlexNet"], by_name["VGG-19"], by_name["GoogLeNet"]
paper_googlenet = by_name["GoogLeNet, the paper's layers"]
print(
    f"Take-away: the layer counts are right ({alexnet.layers}, {vgg19.layers}, {googlenet.layers}), "
    f"and AlexNet's {alexnet.params / 1e6:.1f}M is close to 60M; but VGG-19 has "
    f"{vgg19.params / 1e6:.1f}M parameters, not 110M, and GoogLeNet {googlenet.params / 1e6:.1f}M "
    f"({paper_googlenet.params / 1e6:.1f}M with the paper's 5x5 layers "
    f"and biases), not 4M: {alexnet.params / googlenet.params:.1f} times fewer than AlexNet and "
    f"{vgg19.params / googlenet.params:.0f} times fewer than VGG-19."
)

# %% [markdown] slideshow={"slide_type": "subslide"}
# The GoogLeNet paper itself speaks of "12 times fewer parameters" than AlexNet, about 5M; the
# measured ratio is above. Most of VGG-19's parameters sit in its first fully connected layer
# (512·7·7·4096 = 102,764,544 weights), and GoogLeNet has no such layer: global average pooling
# leaves 1024 features for a single 1024 x 1000 classifier. The two auxiliary classifiers that
# GoogLeNet trains with (and drops at test time) almost double its count, as the last row shows.
# They are small classifiers on top of blocks 4a and 4d whose losses are added to the main loss
# with weight 0.3 during training: they inject gradient into the middle of the 22-layer network,
# which the paper hoped would counter vanishing gradients and encourage discriminative features in
# the lower stages, and act as a regulariser. (Later work, Inception-v3, found they help little
# early in training and act mostly as regularisers.)

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 5. Experiment: a scaled-down GoogLeNet
#
# `SmallGoogLeNet` keeps GoogLeNet's plan for 16x16 and 32x32 images: a 3x3 stem, Inception blocks
# with GoogLeNet's branch proportions (3a, 3b | pool | 4a, 4e | pool | 5b at a quarter of the
# width), global average pooling and one linear layer, with batch norm after every convolution as
# in torchvision. It is trained with the active profile's budget.

# %% tags=["nbval-ignore-output"]
data = load_data(profile)
recipe = lesson.recipes.GOOGLENET
print(recipe.describe(profile))
set_seed(0)
model = recipe.build(recipe.run("SmallGoogLeNet"), data)
print(data)
print(
    f"SmallGoogLeNet: {count_parameters(model):,} parameters, "
    f"{flops_per_image(model, data.input_size) / 1e6:.1f} MFLOPs per image"
)

# %% tags=["nbval-ignore-output"]
print(recipe.estimate(data, profile))
model, history = recipe.fit_run(recipe.run("SmallGoogLeNet"), data, profile)
print(history)
reference = reference_runs(recipe.key) + converged_runs("small_googlenet")
fig = plot_history(history, ("train_error", "val_error"), reference=reference)

# %% tags=["nbval-ignore-output"] slideshow={"slide_type": "fragment"}
print(
    f"Take-away: after {history.epoch[-1]} epochs on {len(data.train_labels):,} {data.name} images "
    f"the {count_parameters(model):,}-parameter SmallGoogLeNet reaches "
    f"{history.test_acc:.1%} test accuracy ({profile.name} profile)."
)
for run in reference:
    print(f"Reference ({run.info.get('device')}, {run.info.get('date')}): {run}")

# %% [markdown] slideshow={"slide_type": "subslide"}
# The dashed curve above is the same network trained to the end on all of CIFAR-10 (the checkpoint
# that `build_model("small_googlenet", weights="cifar10")` loads). In the `gpu` profile the same
# cells train on all of CIFAR-10 with that profile's budget, and that run joins it once a
# reproduction file exists (`python -m cnnlessons reproduce`, experiment `03_googlenet/googlenet`).
# What the lesson predicts for it: a network this small, whose branches are mostly 1x1 reductions,
# still trains to a useful accuracy, because its parameters go into mixing channels rather than into
# wide kxk kernels.

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 6. Two ablations: the 1x1 reductions, and batch normalisation
#
# **The reductions.** Section 2 counted what a 1x1 reduction saves; does the network lose accuracy
# for it? The paper's answer (section 4): the reductions are what make the block affordable, at
# no loss. Its naive block (Figure 2a, drawn in section 3) has no 1x1 convolution at all, not even
# after the pool: the pooled input is passed on as it is, so every block gives more channels than
# it received, and the next block's 3x3 and 5x5 convolutions read them all: "a computational blow
# up within a few stages". The small GoogLeNet of section 5 built with each of section 3's blocks,
# counted:

# %% tags=["nbval-ignore-output"] slideshow={"slide_type": "fragment"}
growth = lesson.naive_growth(
    width=recipe.run("SmallGoogLeNet").model_kwargs.get("width", 16), input_size=data.input_size
)
print(f"{'blocks':<30} {'channels after each block':<28} {'weights':>10} {'MFLOPs':>8}")
for cost in growth:
    print(
        f"{cost.design:<30} {' '.join(f'{c:>4}' for c in cost.channels):<28} {cost.weights:>10,} "
        f"{cost.flops / 1e6:>8.1f}"
    )
reduced_cost, projected_cost, naive_cost_2a = growth
print(
    f"Take-away: without any 1x1 convolution the channels grow from {naive_cost_2a.channels[0]} to "
    f"{naive_cost_2a.channels[-1]} over five blocks, and the net has "
    f"{naive_cost_2a.weights / reduced_cost.weights:.1f} times the weights and "
    f"{naive_cost_2a.flops / reduced_cost.flops:.1f} times "
    "the FLOPs of the one with reductions; keeping only "
    f"the pool branch's projection still leaves {projected_cost.weights / reduced_cost.weights:.1f} times "
    "the weights."
)

# %% [markdown] slideshow={"slide_type": "subslide"}
# The naive net trained below keeps the pool branch's projection, so that it gives the same
# channels as the reduced one and only the 3x3 and 5x5 reductions differ: the harder rival of the
# two (the ledger's row says how the Figure 2a net fared).
#
# **Batch normalisation.** The `SmallGoogLeNet` above has a batch normalisation (BN; Ioffe and
# Szegedy, 2015) after every convolution, and so do ResNet and DenseNet; the 2014 GoogLeNet did
# not: BN was introduced on GoogLeNet itself ("BN-Inception", the GoogLeNet v2 line). BN
# normalises each channel of a convolution's output over the batch,
# $\hat z = (z - \mu_B) / \sqrt{\sigma_B^2 + \epsilon}$, then scales and shifts it with two learned
# parameters, $\gamma \hat z + \beta$. At test time $\mu$ and $\sigma$ are running averages from
# training. What it does: every layer passes on activations of a controlled size, whatever the
# weights before it did. What the paper says it buys: much larger learning rates and faster
# training. To test that claim and not another, every net here starts from the same He
# initialisation, and the net without BN gets two learning rates: the lesson's 0.1, and 0.01.
#
# Four runs on each of the profile's seeds (0, 1 and 2 in `cpu`), at half the lesson's width, on
# half the profile's images for two thirds of its epochs; test accuracy on the whole test split.

# %% tags=["nbval-ignore-output"]
import matplotlib.pyplot as plt

from cnnlessons.plots import plot_paired, plot_seeds

ablations = lesson.recipes.ABLATIONS
print(ablations.describe(profile))
print(ablations.estimate(data, profile))
ablation_runs = ablations.train_seeds(data, profile)
fig = plot_seeds(ablation_runs, ("train_eval_error", "val_error"), title="the small GoogLeNet, four ways")
plt.show()
fig = plot_paired(ablation_runs, "test_acc", title="test accuracy, seed by seed")
plt.show()
for label, by_seed in ablation_runs.items():
    first = next(iter(by_seed.values()))
    print(
        f"{label:>15}: {first.info['parameters']:>9,} parameters, {first.info['flops'] / 1e6:6.1f} MFLOPs; "
        "test accuracy " + ", ".join(f"seed {seed} {h.test_acc:.1%}" for seed, h in by_seed.items())
    )
reductions = ablations.judge(lesson.claims.REDUCTIONS, ablation_runs)
batch_norm = ablations.judge(lesson.claims.BATCH_NORM, ablation_runs)

# %% tags=["nbval-ignore-output"] slideshow={"slide_type": "fragment"}
weights = {
    arm: next(iter(ablation_runs[label].values())).info["parameters"]
    for arm, label in ablations.arms_for(lesson.claims.REDUCTIONS, profile).items()
}
naive_cost = weights["reduced"] / weights["naive"]
print(
    f"Take-away: with its reductions the network keeps {naive_cost:.0%} of the naive one's weights and is "
    f"{reductions.mean:+.1f} points from its test accuracy (mean over the seeds): {reductions.verdict}. "
    f"With BN at lr 0.1 it is {batch_norm.mean:+.1f} points more accurate than the better run without BN "
    f"(lr 0.1 or 0.01, seed by seed): {batch_norm.verdict}."
)

# %% [markdown] slideshow={"slide_type": "subslide"}
# What BN does inside: the mean and standard deviation of what each convolution layer passes on
# (after BN where there is one), on one batch of training images, for the net with BN and the net
# without it (both at lr 0.1, seed 0), freshly initialised and after training:

# %% tags=["nbval-ignore-output"]
from cnnlessons import views

xb, _ = data.batch("train", 128)
stats = {}
for label in ("reduced", "no BN, lr 0.1"):
    run = ablations.run(label, profile)
    set_seed(0)
    name = "with BN" if label == "reduced" else "without BN"
    stats[f"{name}, initialised"] = views.activation_stats(ablations.build(run, data), xb)
    trained, _ = ablations.fit_run(run, data, profile, seed=0)  # from the run cache: trained above
    stats[f"{name}, trained"] = views.activation_stats(trained, xb)
fig = views.plot_activation_stats(stats, title="what each conv layer passes on, with and without BN")
plt.show()
for name, rows in stats.items():
    print(f"{name:>26}: standard deviation, first conv layer {rows[0].std:.2f}, last {rows[-1].std:.2f}")

# %% [markdown] slideshow={"slide_type": "subslide"}
# Read the panel with the printout: with BN every layer passes on activations with a standard
# deviation near 1, before and after training (the learned $\gamma$ and $\beta$ move them a
# little); without it, each layer's size is whatever the weights before it make it, and nothing
# brings it back. That is also why lesson 02's SmallVGG, which has no BN, needs AdamW and a small
# learning rate to get going.

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 7. Look inside: what the trained GoogLeNet learned
#
# The `SmallGoogLeNet` of section 5, as trained there: its layers' shapes, what its stages compute
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

look_inside(model, data, converged="small_googlenet")  # converged=None: this run's own

# %% [markdown] slideshow={"slide_type": "subslide"}
# ### The library's code: convolution, batch norm, ReLU
#
# The unit every convolution of `SmallGoogLeNet` is made of (not an exercise):

# %%
from cnnlessons.layers import conv_bn_relu

views.show_source(conv_bn_relu)

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Claims ledger
#
# Every claim of the lesson, with the paper's figure and this run's. The effect claims' verdicts
# come from the course's one rule (`cnnlessons.claims.judge`): paired runs on the same seeds,
# `shown` when every seed's difference has the claimed sign and their mean clears the margin (for
# an "about equal" claim, when every difference stays within it). The constructive claims are
# checks on the figures computed above.

# %% tags=["nbval-ignore-output"]
from cnnlessons.claims import show_ledger

reduced_run = ablations.run("reduced", profile)
ablation_width = reduced_run.model_kwargs["width"]
reduction_channels = lesson.reduction_widths(ablations.build(reduced_run, data))
show_ledger(
    [
        reductions.row(
            budget="not at equal FLOPs here: the reduced net runs "
            f"{reductions.figures['reduced']['flops'] / reductions.figures['naive']['flops']:.0%} of the "
            "naive one's FLOPs, and the pair at equal FLOPs (the reduced net widened to within 10% of "
            f"them) is still to be trained. At {ablation_width}/64 of GoogLeNet's width the reductions "
            "keep only "
            f"{min(reduction_channels)} to {max(reduction_channels)} channels; the designs tried on "
            "other seeds (width 16 on 10,000 images at 16x16 for 6 and 12 epochs, the reduced net "
            "also widened to half the naive one's FLOPs, with reductions 1.25 to 4 times wider, or "
            "against a naive net narrowed to twice its cost) left the naive net 1 to 4 points ahead; "
            "the paper's own Figure 2a net (the pooled input passed on, 8 times the weights) trained "
            "worse, 3 to 7 points behind the reduced one (6 and 12 epochs, lr 0.1 to 0.01, and this "
            "lesson's setting): would "
            "need GoogLeNet's own widths, trained to the end",
            converged=trained_to_the_end("small_googlenet"),
        ),
        batch_norm.row(budget="more epochs for the three runs"),
        lesson.claims.ONE_BY_ONE.row(
            f"max difference to a per-pixel Linear {max(diff_einsum, diff_linear):.1e}",
            bool(same),
        ),
        lesson.claims.REDUCTION_COST.row(
            f"{cmp.direct_params:,} -> {cmp.reduced_params:,} weights",
            bool((cmp.direct_params, cmp.reduced_params) == (147_456, 40_960)),
        ),
    ]
)

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Summary
#
# - A 1x1 convolution is a linear layer applied to every pixel's channel vector: it changes the
#   channel count and keeps height and width.
# - Put in front of a 3x3 or 5x5 convolution, it cuts the weights (147,456 -> 40,960 in the source's
#   example) for the same receptive field and output size.
# - The Inception block runs 1x1, 3x3, 5x5 and pooling branches side by side and concatenates
#   their channels.
# - The source's layer counts are right; its parameter counts for VGG-19 (143.7M) and GoogLeNet
#   (6.6M-7.0M) are not.

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Papers
#
# - C. Szegedy, W. Liu, Y. Jia, P. Sermanet, S. Reed, D. Anguelov, D. Erhan, V. Vanhoucke,
#   A. Rabinovich. *Going Deeper with Convolutions.* CVPR 2015. arXiv:1409.4842.
# - M. Lin, Q. Chen, S. Yan. *Network In Network.* ICLR 2014. arXiv:1312.4400 (the 1x1 convolution
#   as a per-pixel network).
# - A. Krizhevsky, I. Sutskever, G. E. Hinton. *ImageNet Classification with Deep Convolutional
#   Neural Networks.* NeurIPS 2012.
# - K. Simonyan, A. Zisserman. *Very Deep Convolutional Networks for Large-Scale Image
#   Recognition.* ICLR 2015. arXiv:1409.1556.
# - S. Ioffe, C. Szegedy. *Batch Normalization: Accelerating Deep Network Training by Reducing
#   Internal Covariate Shift.* ICML 2015. arXiv:1502.03167 (used in torchvision's GoogLeNet).
#
# Next: `04_resnet.ipynb`.
