# ---
# jupyter:
#   jupytext:
#     text_representation:
#       extension: .py
#       format_name: percent
# ---

# %% [markdown] tags=["colab-badge"] slideshow={"slide_type": "skip"}
# [![Open In Colab](https://colab.research.google.com/assets/colab-badge.svg)](https://colab.research.google.com/github/cnnlessons/cnnlessons/blob/main/notebooks/05_densenet.ipynb)

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
# # 05 · DenseNet: concatenation instead of addition
#
# ResNet (lesson 04) adds what a block computes to what it was given: $x_l = H_l(x_{l-1}) + x_{l-1}$.
# DenseNet (Huang, Liu, van der Maaten and Weinberger, CVPR 2017) **concatenates** instead. Inside a
# dense block, layer $l$ reads the block's input and the outputs of *all* earlier layers, stacked
# along the channel axis, and contributes $k$ new channels, the **growth rate** (on CIFAR the
# paper uses k = 12, 24 and 40; on ImageNet k = 32 and 48):
#
# $$x_l = H_l\big([x_0, x_1, \dots, x_{l-1}]\big), \qquad
# H_l = \text{BN} \to \text{ReLU} \to \text{3x3 conv} \to k \text{ channels}.$$
#
# Between dense blocks, **transition blocks** shrink the channels and halve the resolution.
#
# After this lesson you can
#
# 1. show that a dense block hands its input on unchanged, as the first channels of its output;
# 2. compute a dense block's channel count, $c_0 + l\cdot k$, which grows linearly (the lecture says
#    "exponentially"), and explain why every new layer still costs more than the one before;
# 3. say what a transition block does to shapes, and what compression 0.5 means;
# 4. build a dense block and a transition block yourself;
# 5. train a scaled-down DenseNet-BC and weigh its parameters and accuracy against a ResNet's.
#
# The claims of the source are the section headings; each is shown by a computation.

# %% slideshow={"slide_type": "skip"}
# %% [markdown] slideshow={"slide_type": "slide"}
# ## The network, drawn from the code
#
# The lesson's DenseNet-BC (k = 12, three dense blocks of three bottleneck layers, compression
# 0.5) as it runs on one 32x32 image, drawn by `cnnlessons.views.diagram` from the model the
# library builds; sections 1 and 3 open a dense block and a transition.
# %% slideshow={"slide_type": "fragment"}
import matplotlib.pyplot as plt
import numpy as np
import torch
from torch import nn

from cnnlessons import load_data, models
from cnnlessons.lessons import densenet as lesson
from cnnlessons.measure import count_parameters
from cnnlessons.runs.results import converged_runs, reference_runs, trained_to_the_end
from cnnlessons.views import diagram

fig = diagram(
    lesson.build_densenet_bc().eval(), (3, 32, 32), title="the lesson's DenseNet-BC on 32x32 images"
)
plt.show()

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 1. Concatenation instead of addition: the block's output keeps its input
#
# Because a dense block only ever *appends* channels, its output begins with its input, untouched:
# if the input has $c_0$ channels, the first $c_0$ channels of the output are the input itself.
# Every later layer, and the next block, can read the original features directly, instead of the
# sum $H(x) + x$ in which ResNet mixes them.
#
# A real batch of the lesson's images through the library's `DenseBlock` (4 layers, k = 12):

# %% tags=["nbval-ignore-output"]
data = load_data(profile)
x, labels = data.batch("train", 8)
torch.manual_seed(0)
block = models.DenseBlock(num_layers=4, in_channels=data.channels, growth_rate=12).eval()
with torch.no_grad():
    out = block(x)
print(data)
print(f"input batch {tuple(x.shape)} -> dense block output {tuple(out.shape)}")

# %% slideshow={"slide_type": "fragment"}
c0 = x.shape[1]
keeps_input = torch.equal(out[:, :c0], x)
grown = out.shape[1] - c0

torch.manual_seed(0)
conv = nn.Conv2d(c0, c0, 3, padding=1)  # a ResNet-style block adds instead: H(x) + x
with torch.no_grad():
    summed = conv(x) + x
print(f"first c0 channels of the dense block's output == its input (torch.equal): {keeps_input}")
print(f"new channels after the input: {grown} = 4 layers x growth rate 12: {grown == 4 * 12}")
print(f"the sum H(x) + x of a residual block equals its input: {torch.equal(summed, x)}")
print(
    f"Take-away: concatenation kept the input bit for bit in the first channels of the output "
    f"(torch.equal is {keeps_input}) and appended {grown} new channels after it; addition "
    f"replaced it with a sum."
)

# %% [markdown] slideshow={"slide_type": "subslide"}
# The price of concatenation is memory: a block's output holds every feature map the block has
# seen, so the tensors grow as the block goes on, and each layer's BN has to run on all of them.
# (Memory-efficient implementations recompute those BN outputs in the backward pass instead of
# storing them.)

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 2. Channel growth: linear, $c_0 + l \cdot k$, not exponential
#
# The lecture says the number of channels in a dense block grows **exponentially**. It does not:
# each layer adds exactly $k$ channels, so after $l$ layers the block carries
#
# $$c_l = c_0 + l \cdot k \quad\text{channels: linear in } l.$$
#
# What does grow with $l$ is each layer's *input*: layer $l$ reads $c_{l-1} = c_0 + (l-1)k$
# channels, so its 3x3 convolution has $9\,(c_0 + (l-1)k)\,k$ weights and
# $2 \cdot 9\,(c_0 + (l-1)k)\,k \cdot H W$ FLOPs per image. The cost of each new layer grows
# linearly, and the cost of a whole block of $L$ layers grows with $L^2$.
#
# Measured on real `DenseBlock`s with $c_0 = 16$ input channels (the stem width of the paper's
# CIFAR DenseNet), 12 layers, on a 32x32 map, for four growth rates (built on PyTorch's `meta`
# device: shapes without storage, so nothing is computed but the shapes and counts):

# %%
table = lesson.growth_table(in_channels=16, num_layers=12, growth_rates=(4, 12, 24, 32), image_size=32)
print(" k | channels after layer l = 0, 1, ..., 12" + " " * 38 + "| layer 1 -> layer 12: parameters, MFLOPs")
for k, costs in table.items():
    channels = [costs[0].in_channels] + [c.out_channels for c in costs]
    first, last = costs[0], costs[-1]
    print(
        f"{k:>2} | {', '.join(map(str, channels)):<77} | {first.params:>6,} -> {last.params:>7,} "
        f"({last.params / first.params:.1f}x), {first.flops / 1e6:5.1f} -> {last.flops / 1e6:5.1f}"
    )

# %% slideshow={"slide_type": "fragment"}
linear = all(
    set(np.diff([costs[0].in_channels] + [c.out_channels for c in costs])) == {k}
    for k, costs in table.items()
)
k32 = table[32]
doubling = 16 * 2**12
print(f"every layer adds exactly k channels, for every k: {linear}")
print(
    f"after 12 layers at k = 32: {k32[-1].out_channels} channels; doubling every layer would give "
    f"16 * 2**12 = {doubling:,}"
)
print(
    f"Take-away: the channel count grows linearly, c0 + l*k ({k32[-1].out_channels} = 16 + 12*32 "
    f"at k = 32, not {doubling:,}); but layer 12 at k = 32 has {k32[-1].params / k32[0].params:.0f}x the "
    f"parameters and FLOPs of layer 1, because it reads {k32[-1].in_channels} channels instead of "
    f"{k32[0].in_channels}."
)

# %%
fig = lesson.plot_channel_growth(table)

# %% [markdown] slideshow={"slide_type": "subslide"}
# Doubling the block's depth doubles the channels it adds but more than doubles its cost, since
# the added layers are the wide ones. That is why DenseNets keep $k$ small (12 to 32) and add two
# tricks, both used in DenseNet-BC: a 1x1 **bottleneck** before each 3x3 (it reads all
# $c_{l-1}$ channels but hands only $4k$ to the 3x3), and the **compression** of the transition
# blocks (section 3).

# %% slideshow={"slide_type": "fragment"}
block_cost = {L: count_parameters(models.DenseBlock(L, 16, 12)) for L in (6, 12, 24)}
print(
    "parameters of a dense block with k = 12, c0 = 16: "
    + ", ".join(f"{L} layers: {p:,}" for L, p in block_cost.items())
)
print(
    f"Take-away: twice the layers, {block_cost[12] / block_cost[6]:.1f}x then "
    f"{block_cost[24] / block_cost[12]:.1f}x the parameters: the block's cost grows with the "
    f"square of its depth while its channels grow linearly."
)

# %% [markdown] slideshow={"slide_type": "subslide"}
# ### Exercise: `out_channels`
#
# Write `out_channels(in_channels, num_layers, growth_rate)`: the number of channels a dense block
# of `num_layers` layers hands on when it receives `in_channels` channels.


# %% slideshow={"slide_type": "skip"}
def out_channels(in_channels: int, num_layers: int, growth_rate: int) -> int:
    ### BEGIN SOLUTION
    return in_channels + num_layers * growth_rate
    ### END SOLUTION


# %% slideshow={"slide_type": "skip"}
check("densenet.out_channels", out_channels)

# %% [markdown] slideshow={"slide_type": "subslide"}
# ### Exercise: the dense block
#
# Write `DenseBlock(num_layers, in_channels, growth_rate)`. Layer $i$ (counting from 0) is
# BN → ReLU → 3x3 convolution with padding 1 → `growth_rate` channels, and it reads the
# concatenation of the block's input and all earlier layers' outputs, $c_0 + i\cdot k$ channels.
# The block returns that whole concatenation, input first, then layer 1, layer 2, …
# (`nn.ModuleList` holds a list of layers; `torch.cat(tensors, dim=1)` concatenates channels.)


# %% slideshow={"slide_type": "skip"}
class DenseBlock(nn.Module):
    def __init__(self, num_layers: int, in_channels: int, growth_rate: int) -> None:
        super().__init__()
        ### BEGIN SOLUTION
        self.layers = nn.ModuleList(
            nn.Sequential(
                nn.BatchNorm2d(in_channels + i * growth_rate),
                nn.ReLU(),
                nn.Conv2d(in_channels + i * growth_rate, growth_rate, 3, padding=1, bias=False),
            )
            for i in range(num_layers)
        )
        ### END SOLUTION

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        ### BEGIN SOLUTION
        features = [x]
        for layer in self.layers:
            features.append(layer(torch.cat(features, dim=1)))
        return torch.cat(features, dim=1)
        ### END SOLUTION


# %% slideshow={"slide_type": "skip"}
check("densenet.dense_block", DenseBlock)

# %% slideshow={"slide_type": "fragment"}
fig = diagram(
    models.DenseBlock(4, 64, 32).eval(),
    (64, 32, 32),
    title="a dense block: 4 layers, k = 32, on 64 channels (64 + 4 x 32 = 192 out)",
)
plt.show()

# %% slideshow={"slide_type": "skip"}
from cnnlessons.exercises.drawing import draw_answer

fig = draw_answer(DenseBlock, models.DenseBlock, (64, 32, 32), args=(4, 64, 32))

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 3. The transition block shrinks channels and resolution
#
# A dense block keeps the resolution (every 3x3 convolution has padding 1), so something else has
# to shrink the feature maps between blocks. The transition block is
#
# $$\text{BN} \to \text{ReLU} \to \text{1x1 conv}: c \to \lfloor\theta c\rfloor \text{ channels}
# \to \text{2x2 average pooling, stride 2}.$$
#
# The lecture lists BN → 1x1 conv → 2x2 average pooling. The paper's text describes the transition
# as a batch normalisation, a 1x1 convolution and 2x2 average pooling; its Table 1's note ("each
# 'conv' layer shown in the table corresponds the sequence BN-ReLU-Conv") and the authors' official
# code put a ReLU after the BN, and the library follows them. The **compression** $\theta$ is 1 in
# the plain DenseNet and 0.5 in DenseNet-C and DenseNet-BC: every transition halves the channels as
# well as the height and the width. The library's transition from 96 to 48 channels:

# %%
transition = models.Transition(96, 48)
print(transition)
print(f"parameters: {count_parameters(transition):,} (BN: 2 x 96, 1x1 conv: 96 x 48)")

# %% [markdown] slideshow={"slide_type": "subslide"}
# The lesson's scaled-down DenseNet-BC (three dense blocks of three bottleneck layers, k = 12, a
# 3x3 stem of 2k channels, compression 0.5), stage by stage on one 3x32x32 image:

# %% slideshow={"slide_type": "fragment"}
densenet_bc = lesson.build_densenet_bc(num_classes=10, in_channels=3)
shapes = lesson.stage_shapes(densenet_bc, (3, 32, 32))
for name, shape in shapes:
    print(f"{name:<12} {shape[0]:>4} channels x {shape[1]:>2} x {shape[2]:>2}")
halved = [
    (shapes[i - 1][1], shape) for i, (name, shape) in enumerate(shapes) if name.startswith("transition")
]
ok = all(
    after[0] == before[0] // 2 and after[1:] == (before[1] // 2, before[2] // 2) for before, after in halved
)
print(f"every transition halves the channels (compression 0.5) and the height and width: {ok}")
(b1, t1), (b2, t2) = halved
print(
    f"Take-away: transition 1 takes the {b1[0]} x {b1[1]} x {b1[2]} output of block 1 to "
    f"{t1[0]} x {t1[1]} x {t1[2]}, transition 2 takes {b2[0]} x {b2[1]} x {b2[2]} to "
    f"{t2[0]} x {t2[1]} x {t2[2]}: half the channels and a quarter of the pixels each time."
)

# %% [markdown] slideshow={"slide_type": "subslide"}
# And on the real batch from section 1 (the dense block's output above), through a transition with
# compression 0.5:

# %% tags=["nbval-ignore-output"]
with torch.no_grad():
    shrunk = models.Transition(out.shape[1], out.shape[1] // 2).eval()(out)
print(f"dense block output {tuple(out.shape)} -> transition -> {tuple(shrunk.shape)}")

# %% [markdown] slideshow={"slide_type": "subslide"}
# ### Exercise: the transition block
#
# Write `Transition(in_channels, out_channels)`: BN → ReLU → 1x1 convolution to `out_channels` →
# 2x2 average pooling with stride 2. (The check also accepts it without the ReLU, as in the
# lecture's list.)


# %% slideshow={"slide_type": "skip"}
class Transition(nn.Module):
    def __init__(self, in_channels: int, out_channels: int) -> None:
        super().__init__()
        ### BEGIN SOLUTION
        self.norm = nn.BatchNorm2d(in_channels)
        self.relu = nn.ReLU()
        self.conv = nn.Conv2d(in_channels, out_channels, 1, bias=False)
        self.pool = nn.AvgPool2d(2, stride=2)
        ### END SOLUTION

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        ### BEGIN SOLUTION
        return self.pool(self.conv(self.relu(self.norm(x))))
        ### END SOLUTION


# %% slideshow={"slide_type": "skip"}
check("densenet.transition_block", Transition)

# %% slideshow={"slide_type": "fragment"}
fig = diagram(
    models.Transition(192, 96).eval(),
    (192, 32, 32),
    title="a transition block: 192 -> 96 channels, half the side",
)
plt.show()

# %% slideshow={"slide_type": "skip"}
fig = draw_answer(Transition, models.Transition, (192, 32, 32), args=(192, 96))

# %% [markdown] slideshow={"slide_type": "subslide"}
# ### Explorer: growth rate and depth
#
# A three-block DenseNet as in the experiment below: choose the growth rate $k$, the layers per
# block $L$, and plain (BN-ReLU-3x3) or bottleneck layers. The first panel shows the channels
# after every dense layer (green: the linear growth inside a block; red: where a transition has
# halved them), the next two what each dense layer costs. The button trains the chosen network
# with half the profile's epochs (once per setting) and adds its validation curve to the last
# panel. Try $k$ = 4 against $k$ = 32, then the bottleneck at large $k$: the bottleneck caps the
# 3x3 convolution's input at $4k$ channels, so a layer's cost no longer climbs as steeply.

# %%
from cnnlessons.lessons.densenet.explorer import GrowthRateExplorer

explorer = GrowthRateExplorer(
    data,
    growth_rate=12,
    num_layers=4,
    input_size=(3, 32, 32),
    epochs=lesson.recipes.DENSENET_VS_RESNET.epochs_for(profile),
)
explorer.static()
print(explorer.text)

# %% tags=["nbval-ignore-output"]
explorer

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 4. Experiment: a scaled-down DenseNet-BC against a ResNet
#
# The paper's headline is parameter efficiency. On CIFAR-10 with augmentation, DenseNet-BC with
# L = 100 layers and k = 12 (0.8M parameters) has 4.51% test error, against 4.62% for the
# 1001-layer pre-activation ResNet with 10.2M parameters; on ImageNet a DenseNet-201 (20M
# parameters) matches the validation error of a ResNet-101 (more than 40M). Without augmentation
# (the paper's C10 column, where its gap to ResNet is widest) DenseNet-BC (k = 24) has 5.19% error
# against 10.56% for a ResNet with 1.7M parameters. At course scale: the DenseNet-BC of section 3
# against the course's ResNet-14 (`SmallResNet`, widths 16, 32, 64; 2.4 times its parameters),
# trained under the same budget (the same optimiser, learning-rate schedule and data, no
# augmentation), on each of the profile's seeds (0, 1 and 2 in `cpu`, on half the images at 16x16
# pixels, where a DenseNet's many thin layers cost four times less). Expect parity rather than a
# win: UvA's tutorial, at about 0.25M parameters each, has DenseNet at 90.2% against ResNet's 91.1%.

# %% tags=["nbval-ignore-output"]
import matplotlib.pyplot as plt

from cnnlessons.plots import plot_paired, plot_seeds

experiment = lesson.recipes.DENSENET_VS_RESNET
print(experiment.describe(profile))
print(experiment.estimate(data, profile))
seeded = experiment.train_seeds(data, profile)
fig = plot_seeds(
    seeded, ("train_eval_error", "val_error"), title="DenseNet-BC against ResNet-14, no augmentation"
)
plt.show()
fig = plot_paired(seeded, "test_acc", title="test accuracy, seed by seed")
plt.show()
runs = {label: by_seed[profile.seeds[0]] for label, by_seed in seeded.items()}
reference = reference_runs(experiment.key) + converged_runs("small_densenet")

# %% tags=["nbval-ignore-output"] slideshow={"slide_type": "fragment"}
from IPython.display import Markdown, display

display(Markdown(lesson.comparison_table(runs)))
fig = lesson.plot_params_accuracy(runs, reference=reference)
plt.show()
efficiency = experiment.judge(lesson.claims.PARAMETER_EFFICIENCY, seeded)
ratio = efficiency.figures["resnet"]["weights"] / efficiency.figures["densenet"]["weights"]
print(
    f"Take-away ({profile.name} profile, {data.name}; the table is seed {profile.seeds[0]}'s): with "
    f"{ratio:.1f} times fewer parameters, DenseNet-BC is {efficiency.mean:+.1f} points from ResNet-14's test "
    f"accuracy (mean over the seeds): {efficiency.verdict} ({efficiency.reason})."
)
for run in reference:
    print(f"Reference ({run.info.get('device')}, {run.info.get('date')}): {run}")

# %% [markdown] slideshow={"slide_type": "subslide"}
# DenseNet-BC's saving is paid for in FLOPs and memory per parameter: every layer reads the whole
# concatenation, which makes it the slower of the two per image on a CPU (the table's times).
#
# The dashed bars above are the course's DenseNet-BC trained to the end on all of CIFAR-10 (the
# checkpoint that `build_model("small_densenet", weights="cifar10")` loads, with augmentation). In
# the `gpu` profile the same cells train on all of CIFAR-10 at 32x32; that run joins it once a
# reproduction file exists (`python -m cnnlessons reproduce`, experiment
# `05_densenet/densenet_vs_resnet`).

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 5. Look inside: what the trained DenseNet-BC learned
#
# The DenseNet-BC of section 4, taken from the run cache rather than trained again: its layers'
# shapes, what its stages compute on one test image (each stage's most active channels), where in
# a few test images it finds its evidence, and an explorer of the feature maps and activation maps,
# image by image and stage by stage.
#
# A class-activation map (Grad-CAM; Selvaraju et al., ICCV 2017, computed with captum) weights
# the channels of the last convolution stage by the gradient of the predicted class's score and
# sums them: red marks where in the image the evidence for that prediction sits. Read them with
# the accuracy of the run in mind: a network that is right on few test images has little to show.

# %% tags=["nbval-ignore-output"]
from cnnlessons.explorers.views import look_inside

experiment = lesson.recipes.DENSENET_VS_RESNET
densenet, _ = experiment.fit_run(experiment.run("DenseNet-BC"), data, profile)
look_inside(densenet, data, converged="small_densenet")  # converged=None: this run's own

# %% [markdown] slideshow={"slide_type": "subslide"}
# ### The library's code: the DenseNet-BC layer
#
# One layer of a DenseNet-BC block: the 1x1 bottleneck to $4k$ channels in front of the 3x3
# convolution (not an exercise; the dense block you wrote in section 2 is):

# %%
from cnnlessons import views

views.show_source(models.DenseLayer)

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Claims ledger
#
# Every claim of the lesson, with the paper's figure and this run's. The effect claim's verdict
# comes from the course's one rule (`cnnlessons.claims.judge`): paired runs on the same seeds; an
# "about equal" claim is `shown` when every seed's difference stays within its margin. The
# constructive claims are checks on the figures computed above.

# %% tags=["nbval-ignore-output"]
from cnnlessons.claims import show_ledger

show_ledger(
    [
        efficiency.row(
            budget="more epochs for both networks, on all the images",
            converged=trained_to_the_end("small_densenet", "small_resnet"),
        ),
        lesson.claims.CONCATENATION.row(
            f"first {c0} channels equal the input: {keeps_input}; {grown} new channels",
            bool(keeps_input and grown == 4 * 12),
        ),
        lesson.claims.LINEAR_GROWTH.row(
            f"every layer adds exactly k channels: {linear}; k = 32 after 12 layers: "
            f"{k32[-1].out_channels} channels, not {doubling:,}",
            bool(linear and k32[-1].out_channels == 16 + 12 * 32),
        ),
    ]
)

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Summary
#
# - A dense block concatenates: its output starts with its input, unchanged, and every layer reads
#   all the features before it.
# - Its channel count grows linearly, $c_0 + l\cdot k$, not exponentially; each new layer costs more
#   than the last, and a block's cost grows with the square of its depth.
# - Transition blocks (BN → ReLU → 1x1 conv → 2x2 average pooling) halve the resolution and, with
#   compression 0.5, the channels.
# - DenseNet-BC adds 1x1 bottlenecks and compression. The paper's claim is parameter efficiency:
#   ResNet's accuracy with fewer parameters, at the price of more memory traffic; the verdict of
#   this lesson's run, printed in section 4, says how close the course-scale pair came under its
#   budget.

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Papers
#
# - G. Huang, Z. Liu, L. van der Maaten, K. Q. Weinberger. *Densely Connected Convolutional
#   Networks.* CVPR 2017. arXiv:1608.06993.
# - K. He, X. Zhang, S. Ren, J. Sun. *Deep Residual Learning for Image Recognition.* CVPR 2016.
#   arXiv:1512.03385.
# - K. He, X. Zhang, S. Ren, J. Sun. *Identity Mappings in Deep Residual Networks.* ECCV 2016.
#   arXiv:1603.05027 (the pre-activation ResNet-1001 of the comparison).
# - G. Pleiss, D. Chen, G. Huang, T. Li, L. van der Maaten, K. Q. Weinberger. *Memory-Efficient
#   Implementation of DenseNets.* arXiv:1707.06990, 2017.
#
# Next: `06_summary.ipynb`.
