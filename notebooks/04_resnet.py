# ---
# jupyter:
#   jupytext:
#     text_representation:
#       extension: .py
#       format_name: percent
# ---

# %% [markdown] tags=["colab-badge"] slideshow={"slide_type": "skip"}
# [![Open In Colab](https://colab.research.google.com/assets/colab-badge.svg)](https://colab.research.google.com/github/cnnlessons/cnnlessons/blob/main/notebooks/04_resnet.ipynb)

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
# # 04 · ResNet: skip connections against the degradation problem
#
# ResNet won ILSVRC 2015 with a network of 152 layers, eight times deeper than VGG-19. Plain
# networks that deep do not just overfit: they train *worse* than shallower ones. ResNet's answer is
# the **skip connection**: each block computes f(x) + x, so it only has to learn the change f it
# makes to its input.
#
# After this lesson you can
#
# 1. show the degradation problem: a deeper plain network with a higher *training* error, and a
#    residual network of the same depth without it;
# 2. measure the gradient size per layer at initialisation, plain against residual;
# 3. build the residual block, with the identity and the projection shortcut;
# 4. build the bottleneck block and count what it saves.
#
# The claims of the source are the section headings; each is shown by a computation.

# %% slideshow={"slide_type": "skip"}
import matplotlib.pyplot as plt
import torch
from torch import nn

from cnnlessons import load_data, models, plot_history
from cnnlessons.lessons import resnet as lesson
from cnnlessons.measure import count_parameters, flops_per_image
from cnnlessons.runs.results import trained_to_the_end

# %% [markdown] slideshow={"slide_type": "slide"}
# ## The network, drawn from the code
#
# The paper's CIFAR-10 ResNet-20 as it runs on one 32x32 image, drawn by `cnnlessons.views.diagram`
# from the model the library builds: a 3x3 stem, three stages of three residual blocks (repeated
# blocks folded into one box, "x 3") at 16, 32 and 64 channels, global average pooling and one
# linear layer. Section 3 opens a block.
# %% slideshow={"slide_type": "fragment"}
from cnnlessons.views import diagram

fig = diagram(models.build_model("resnet20").eval(), (3, 32, 32), title="ResNet-20 on 32x32 images")
plt.show()

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 1. Degradation: past some depth, a deeper plain network has higher training and test error
#
# He et al. trained "plain" networks of 3x3 convolutions with batch norm on CIFAR-10: the 56-layer
# one ends with a higher **training** error than the 20-layer one (their Figure 1). Overfitting
# cannot explain that (the deeper network fits the training set worse), and the deeper network
# could in principle copy the shallower one and set its extra layers to the identity. The
# optimiser simply does not find such a solution.
#
# The experiment: the paper's CIFAR-10 networks (`SmallResNet`: a 3x3 stem, three stages of
# blocks of two 3x3 convolutions, 6n+2 layers) at a shallow and a deep depth, each built twice from
# the same layers: as a **plain** network (`shortcut="none"`) and as a **residual** network
# (`shortcut="identity"`, which adds each block's input to its output and has no parameters of its
# own). All four get the same budget, on each of the profile's seeds (0, 1 and 2 in `cpu`). The
# `gpu` profile runs the paper's 20 and 56 layers; the `cpu` and `smoke` profiles use what they
# can afford (`cpu`: a quarter of the images for twice the epochs, at 16x16 pixels, a quarter of
# the arithmetic, so that every seed of four networks fits the lesson's budget):

# %% tags=["nbval-ignore-output"]
data = load_data(profile)
setup = lesson.degradation_setup(profile)
degradation = lesson.recipes.DEGRADATION
print(data)
print(f"{profile.name} profile: {setup}")
print(degradation.describe(profile))
for run in degradation.runs_for(profile):
    print(f"  {run.label:<10} {count_parameters(degradation.build(run, data)):>9,} parameters")

# %% tags=["nbval-ignore-output"]
from cnnlessons.lessons.resnet.recipes import resnet_label
from cnnlessons.plots import plot_paired, plot_seeds

print(degradation.estimate(data, profile))
seeded = degradation.train_seeds(data, profile)
fig = plot_seeds(
    seeded, ("train_eval_error", "val_error"), title="plain against residual networks, shallow and deep"
)
plt.show()
fig = plot_paired(seeded, "train_error", title="final training error, seed by seed")
plt.show()
runs = {
    (shortcut, depth): seeded[resnet_label(shortcut, depth)][profile.seeds[0]]
    for depth in setup.depths
    for shortcut in ("none", "identity")
}  # the explorer's, below

# %% tags=["nbval-ignore-output"] slideshow={"slide_type": "fragment"}
for label, by_seed in seeded.items():
    print(
        f"{label:<10} final training error (eval mode) "
        + ", ".join(f"{h.train_eval_error[-1]:.1%}" for h in by_seed.values())
        + "; test error "
        + ", ".join(f"{1 - h.test_acc:.1%}" for h in by_seed.values())
        + f" (seeds {', '.join(map(str, by_seed))})"
    )
degradation_verdict = degradation.judge(lesson.claims.DEGRADATION, seeded, profile)
shortcuts_verdict = degradation.judge(lesson.claims.SHORTCUTS, seeded, profile)
print()
print(
    f"Take-away: plain-{setup.deep} ends {degradation_verdict.mean:+.1f} points above plain-{setup.shallow} "
    f"in training error (mean over the seeds): degradation {degradation_verdict.verdict}. With shortcuts the "
    f"deep network ends {shortcuts_verdict.mean:+.1f} points "
    f"against its plain twin: {shortcuts_verdict.verdict} "
    f"({shortcuts_verdict.reason})."
)

# %% [markdown] slideshow={"slide_type": "subslide"}
# The take-away above is written by the code from the final training errors (measured in
# evaluation mode on a fixed subset of the training images, as the paper means training error:
# the running average over a training epoch mixes weights from the epoch's start and end), so it
# says what this run shows, also when a small budget does not show the effect. In the paper's run
# (Figure 6), plain-56 stays above plain-20 throughout training, while ResNet-56 ends below
# ResNet-20 (the paper's Table 6: 6.97% against 8.75% test error). The `gpu` profile runs the
# paper's depths and widths (20 and 56 layers, 16/32/64 channels) on all of CIFAR-10; the paper's
# ResNet-20 trained to the end is what `build_model("resnet20", weights="cifar10")` loads.
# Neither uses the paper's schedule:
# the paper trained for 64k iterations (about 164 epochs) at batch 128, learning rate 0.1 divided
# by 10 at 32k and 48k iterations, weight decay 1e-4 and momentum 0.9; the course trains for the
# profile's epochs with a one-cycle schedule and weight decay 5e-4.

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 2. Why: gradient size per layer at initialisation, plain against residual
#
# Is it vanishing gradients? The paper argues not: with batch norm the forward signals keep a
# healthy variance. The gradient that reaches each layer can be measured directly: one batch, one
# backward pass through a freshly initialised network (batch norm in training mode, as in the first
# step of training), and the norm of d loss / d weight for each convolution from the input to the
# output. Here for the paper's depths, 20 and 56 layers, plain and residual:

# %% tags=["nbval-ignore-output"]
x, y = data.batch("train", 64)
norms = {
    (shortcut, depth): lesson.gradient_sizes_by_shortcut(depth, shortcut, x, y, num_classes=data.num_classes)
    for depth in (20, 56)
    for shortcut in ("none", "identity")
}

fig, ax = plt.subplots(figsize=(8, 3.6))
for (shortcut, depth), layer_norms in norms.items():
    ax.semilogy(
        range(1, len(layer_norms) + 1),
        [g for _, g in layer_norms],
        ls="--" if shortcut == "none" else "-",
        lw=2 if depth == 56 else 1,
        marker="o",
        ms=2,
        label=lesson.run_label(shortcut, depth),
    )
ax.set_xlabel("layer (input -> output)")
ax.set_ylabel("gradient norm of the weights")
ax.grid(alpha=0.3, which="both")
ax.legend(fontsize=8)
fig.tight_layout()

# %% tags=["nbval-ignore-output"]
for (shortcut, depth), layer_norms in norms.items():
    convs = layer_norms[:-1]  # the convolutions; the last entry is the classifier
    print(
        f"{lesson.run_label(shortcut, depth):<10} first conv {convs[0][1]:9.3g}, last conv "
        f"{convs[-1][1]:7.3g}, spread over the convolutions {lesson.gradient_spread(convs):.1f} "
        f"orders of magnitude"
    )
plain, residual = norms[("none", 56)][:-1], norms[("identity", 56)][:-1]
direction = "grow" if plain[0][1] > plain[-1][1] else "shrink"
print(
    f"\nTake-away: at initialisation the gradients of plain-56's convolutions {direction} from the "
    f"last to the first layer and span {lesson.gradient_spread(plain):.1f} orders of magnitude; "
    f"with shortcuts they span {lesson.gradient_spread(residual):.1f}, "
    f"{10 ** (lesson.gradient_spread(plain) - lesson.gradient_spread(residual)):.0f} times narrower."
)

# %% [markdown] slideshow={"slide_type": "subslide"}
# (The classifier, the last point of each curve, gets a large gradient in every network.) The
# paper argues that vanishing gradients are *not* the cause of degradation: its plain networks
# have batch norm, which, it says, keeps the forward signals and the backward gradients at healthy
# sizes, and it verified the gradients' norms. The measurement above adds a second view: the
# gradients need not vanish, but they can be spread over orders of magnitude from one end of the
# network to the other (the span printed above). A *hypothesis*, not the paper's claim: such
# uneven gradients could make one step size fit one end of a plain network and not the other
# (for batch-normalised plain networks at initialisation Yang et al. 2019 show gradients growing
# towards the input). A shortcut gives the gradient a path around every block's rescaling:
# d(f(x) + x)/dx = f'(x) + 1.

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 3. Skip connections: f(x) + x, identity and projection shortcuts
#
# A residual block computes
#
# $$\text{out} = \mathrm{ReLU}\big(f(x) + \text{shortcut}(x)\big), \qquad
# f = \text{3x3 conv} \to \text{BN} \to \text{ReLU} \to \text{3x3 conv} \to \text{BN}.$$
#
# When the block keeps the shape, the shortcut is the identity: x itself, no parameters. If the
# best the block can do is nothing, it only has to drive f to zero, which is easy; a plain block
# would have to learn the identity through two convolutions and two ReLUs. With f = 0 (here: the
# last batch norm's scale set to 0) the block returns ReLU(x):

# %% slideshow={"slide_type": "fragment"}
torch.manual_seed(0)
block = models.ResidualBlock(16, 16).eval()
nn.init.zeros_(block.last_bn.weight)  # f(x) = 0
x = torch.randn(2, 16, 8, 8)
with torch.no_grad():
    out = block(x)
print(
    f"shortcut of a shape-keeping block: {type(block.shortcut).__name__}, "
    f"{count_parameters(block.shortcut)} parameters"
)
zero_f_is_relu = torch.equal(out, torch.relu(x))
print(f"Take-away: with f = 0 the block returns ReLU(x) exactly: {zero_f_is_relu}")

# %% [markdown] slideshow={"slide_type": "subslide"}
# Where a stage begins, the block halves height and width (stride 2) and doubles the channels, so x
# no longer fits f(x). There are two ways to make it fit:
#
# - **identity** (the paper's option A, used for its CIFAR-10 networks): keep every second pixel
#   and append zero channels; still no parameters;
# - **projection** (option B where shapes change, option C everywhere): a 1x1 convolution with
#   stride 2, then batch norm, learning the map from 16 to 32 channels.

# %% slideshow={"slide_type": "fragment"}
shortcuts = lesson.compare_shortcuts(in_channels=16, out_channels=32, stride=2, size=32)
for row in shortcuts:
    print(
        f"{row.shortcut:>10} shortcut: f(x) {row.residual_shape}, shortcut(x) {row.shortcut_shape}, "
        f"output {row.output_shape}; shortcut {row.shortcut_params:,} parameters, "
        f"block {row.block_params:,}"
    )
identity, projection = shortcuts
n, c, h, w = projection.output_shape
print(
    f"Take-away: both shortcuts turn a 16x32x32 input into the {c}x{h}x{w} of f(x); "
    f"the projection adds "
    f"{projection.shortcut_params:,} parameters "
    f"({projection.shortcut_params / identity.block_params:.1%} of the block), the identity none."
)

# %% [markdown] slideshow={"slide_type": "subslide"}
# On ImageNet the paper found the three options within about one percentage point of each other
# (its Table 3), and kept the identity wherever the shapes match: it is free, and it keeps the
# gradient path clean. Here: the same network twice, with identity shortcuts (option A) and with
# projections where the shape changes (option B), on the profile's seeds (`cpu`: ResNet-8 at
# width 8, on all the profile's images at 16x16 pixels for 20 epochs; the two differ in two
# shortcuts only, so a short budget leaves their difference inside one run's noise):

# %% tags=["nbval-ignore-output"] slideshow={"slide_type": "fragment"}
shortcut_kinds = lesson.recipes.SHORTCUTS
print(shortcut_kinds.describe(profile))
print(shortcut_kinds.estimate(data, profile))
kind_runs = shortcut_kinds.train_seeds(data, profile)
shortcut_arms = shortcut_kinds.arms_for(lesson.claims.IDENTITY_VS_PROJECTION, profile)
fig = plot_paired(kind_runs, "test_acc", title="test accuracy, seed by seed")
plt.show()
identity_verdict = shortcut_kinds.judge(lesson.claims.IDENTITY_VS_PROJECTION, kind_runs, profile)
print(
    f"Take-away: {shortcut_arms['identity']} against {shortcut_arms['projection']}: "
    f"{identity_verdict.mean:+.1f} points of test accuracy (mean over the seeds), "
    f"{identity_verdict.verdict} ({identity_verdict.reason})."
)
#
# ### Exercise: the residual block
#
# Write `ResidualBlock(in_channels, out_channels, stride=1)`: 3x3 conv (with the stride, padding
# 1) - BN - ReLU - 3x3 conv (padding 1) - BN, added to the shortcut, then ReLU. The shortcut is the
# identity when the shapes match, else a projection: a 1x1 convolution with the stride, then BN.


# %% slideshow={"slide_type": "skip"}
class ResidualBlock(nn.Module):
    def __init__(self, in_channels: int, out_channels: int, stride: int = 1) -> None:
        super().__init__()
        ### BEGIN SOLUTION
        self.conv1 = nn.Conv2d(in_channels, out_channels, 3, stride=stride, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(out_channels)
        self.conv2 = nn.Conv2d(out_channels, out_channels, 3, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(out_channels)
        self.shortcut = nn.Identity()
        if stride != 1 or in_channels != out_channels:
            self.shortcut = nn.Sequential(
                nn.Conv2d(in_channels, out_channels, 1, stride=stride, bias=False),
                nn.BatchNorm2d(out_channels),
            )
        ### END SOLUTION

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        ### BEGIN SOLUTION
        f = self.bn2(self.conv2(torch.relu(self.bn1(self.conv1(x)))))
        return torch.relu(f + self.shortcut(x))
        ### END SOLUTION


# %% slideshow={"slide_type": "skip"}
check("resnet.residual_block", ResidualBlock)

# %% [markdown] slideshow={"slide_type": "subslide"}
# The library's residual block, drawn: with the identity shortcut where the shape stays, and with
# the projection (1x1 convolution with stride 2, then BN) where a stage begins. Below, your block
# beside the lesson's.

# %% slideshow={"slide_type": "fragment"}
for args, name in (((64, 64), "identity shortcut"), ((64, 128, 2), "projection shortcut, stride 2")):
    fig = diagram(models.ResidualBlock(*args).eval(), (64, 32, 32), title=f"ResidualBlock{args}: {name}")
    plt.show()

# %% slideshow={"slide_type": "skip"}
from cnnlessons.exercises.drawing import draw_answer

fig = draw_answer(ResidualBlock, models.ResidualBlock, (64, 32, 32), args=(64, 128, 2))

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 4. The bottleneck block: 1x1 down, 3x3, 1x1 up
#
# The deeper ImageNet ResNets (50, 101, 152 layers) work on 256 to 2048 channels. Two 3x3
# convolutions at 256 channels cost 2·9·256² weights; the bottleneck block first reduces to 64
# channels with a 1x1 convolution, applies the 3x3 at 64, and expands back to 256 with another 1x1
# (GoogLeNet's trick from lesson 03):
#
# $$2 \cdot 9 \cdot 256^2 \quad\text{against}\quad 256 \cdot 64 + 9 \cdot 64^2 + 64 \cdot 256.$$
#
# Counted on the real blocks (the residual branch; on a 56x56 map for the FLOPs):

# %% slideshow={"slide_type": "fragment"}
costs = lesson.bottleneck_costs(channels=256, size=56)
with torch.device("meta"):  # shapes only: counted without allocating the weights
    resnet34, resnet50 = models.resnet34(), models.resnet50()
resnet34_params, resnet50_params = count_parameters(resnet34), count_parameters(resnet50)
resnet34_flops, resnet50_flops = (flops_per_image(m, (3, 224, 224)) for m in (resnet34, resnet50))
del resnet34, resnet50

for c in costs:
    print(
        f"{c.name:<34} {c.conv_weights:>9,} conv weights, {c.params:>9,} parameters with BN, "
        f"{c.flops / 1e9:5.2f} GFLOPs"
    )
bottleneck, wide, narrow = costs
print(
    f"Take-away: at 256 channels the bottleneck needs {bottleneck.conv_weights:,} conv weights "
    f"against {wide.conv_weights:,} for two 3x3 layers, {wide.conv_weights / bottleneck.conv_weights:.0f} "
    f"times fewer; it costs about what two 3x3 layers at 64 channels cost "
    f"({narrow.conv_weights:,}), while its input and output keep 256 channels."
)
print(
    f"ResNet-34 (basic blocks): {resnet34_params:,} parameters, {resnet34_flops / 1e9:.1f} GFLOPs per "
    f"224x224 image; ResNet-50 (bottlenecks): {resnet50_params:,} "
    f"parameters, {resnet50_flops / 1e9:.1f} GFLOPs "
    f"({resnet50_flops / resnet34_flops:.2f} times ResNet-34's arithmetic)"
)

# %% [markdown] slideshow={"slide_type": "subslide"}
# That is the paper's Figure 5: the basic block at 64 channels and the bottleneck at 256 have
# "similar time complexity", so ResNet-50, built of bottlenecks, costs about as much arithmetic as
# ResNet-34, built of basic blocks (the FLOPs printed above: the paper gives 3.6 and 3.8 billion
# multiply-adds), while being deeper and four times wider at its blocks' inputs and outputs; in
# parameters it is the larger one (the counts above).
#
# ### Exercise: the bottleneck block
#
# Write `Bottleneck(in_channels, mid_channels, stride=1)`: 1x1 conv -> mid - BN - ReLU - 3x3 conv
# (padding 1) - BN - ReLU - 1x1 conv -> 4·mid - BN, added to the shortcut (identity when the shapes
# match, else a 1x1 projection with the stride, then BN), then ReLU. Put the stride on the 3x3.


# %% slideshow={"slide_type": "skip"}
class Bottleneck(nn.Module):
    def __init__(self, in_channels: int, mid_channels: int, stride: int = 1) -> None:
        super().__init__()
        ### BEGIN SOLUTION
        out_channels = 4 * mid_channels
        self.conv1 = nn.Conv2d(in_channels, mid_channels, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(mid_channels)
        self.conv2 = nn.Conv2d(mid_channels, mid_channels, 3, stride=stride, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(mid_channels)
        self.conv3 = nn.Conv2d(mid_channels, out_channels, 1, bias=False)
        self.bn3 = nn.BatchNorm2d(out_channels)
        self.shortcut = nn.Identity()
        if stride != 1 or in_channels != out_channels:
            self.shortcut = nn.Sequential(
                nn.Conv2d(in_channels, out_channels, 1, stride=stride, bias=False),
                nn.BatchNorm2d(out_channels),
            )
        ### END SOLUTION

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        ### BEGIN SOLUTION
        f = torch.relu(self.bn1(self.conv1(x)))
        f = torch.relu(self.bn2(self.conv2(f)))
        f = self.bn3(self.conv3(f))
        return torch.relu(f + self.shortcut(x))
        ### END SOLUTION


# %% slideshow={"slide_type": "skip"}
check("resnet.bottleneck_block", Bottleneck)

# %% slideshow={"slide_type": "fragment"}
fig = diagram(
    models.Bottleneck(256, 64).eval(), (256, 56, 56), title="the bottleneck block, 256 -> 64 -> 64 -> 256"
)
plt.show()

# %% slideshow={"slide_type": "skip"}
fig = draw_answer(Bottleneck, models.Bottleneck, (256, 56, 56), args=(256, 64))

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 5. Explorer: shortcut and depth against the training curves
#
# Choose the shortcut (`none`: the plain network; `identity`; `projection`: a 1x1 convolution in
# every block) and the depth, then press **train**: the network trains with the same budget as in
# section 1, and every setting you train stays on the plot (dashed: plain, solid: identity, dotted:
# projection). The four runs of section 1 are already there.

# %% tags=["nbval-ignore-output"]
from cnnlessons.lessons.resnet.explorer import ShortcutExplorer

explorer = ShortcutExplorer(data, setup, runs=runs)
explorer.static()
print(explorer.text)

# %% tags=["nbval-ignore-output"]
explorer

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 6. Identity mappings: the pre-activation block
#
# A year after the ResNet paper, He et al. ("Identity Mappings in Deep Residual Networks", 2016)
# moved the block's BN and ReLU *before* its convolutions and dropped the ReLU after the addition:
#
# $$x_{l+1} = x_l + F(x_l), \qquad
# F = \text{BN} \to \text{ReLU} \to \text{conv} \to \text{BN} \to \text{ReLU} \to \text{conv}.$$
#
# Now nothing at all sits on the shortcut path: from any block to any later one the signal and the
# gradient pass by pure addition, which let them train a 1001-layer network. The library builds it
# from the same convolutions and shortcuts (`PreActResidualBlock`; `SmallResNet(..., block="preact")`):

# %%
from cnnlessons import views

views.show_source(models.PreActResidualBlock)

# %% [markdown] slideshow={"slide_type": "subslide"}
# The comparison: the original block against the pre-activation block, same depth, same recipe.
# The paper's gain shows at 110 layers and more (the `gpu` profile trains ResNet-110); at the
# depth a CPU affords, expect them to be close.

# %% tags=["nbval-ignore-output"]
preact = lesson.recipes.PREACTIVATION
print(preact.describe(profile))
print(preact.estimate(data, profile))
preact_runs = preact.train(data, profile)
fig = plot_history(
    preact_runs, ("train_eval_error", "val_error"), title="original against pre-activation block"
)
(original, first), (pre, second) = preact_runs.items()
print(
    f"Take-away: {original} reaches {first.test_acc:.1%} test accuracy, {pre} {second.test_acc:.1%}"
    f" ({abs(first.test_acc - second.test_acc) * 100:.1f} points apart after {first.epoch[-1]} epochs)."
)

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 7. Look inside: what the trained ResNet learned
#
# The deep residual network of section 1, taken from the run cache rather than trained again: its
# layers' shapes, what its stages compute on one test image (each stage's most active channels),
# where in a few test images it finds its evidence, and an explorer of the feature maps and
# activation maps, image by image and stage by stage.
#
# A class-activation map (Grad-CAM; Selvaraju et al., ICCV 2017, computed with captum) weights
# the channels of the last convolution stage by the gradient of the predicted class's score and
# sums them: red marks where in the image the evidence for that prediction sits. Read them with
# the accuracy of the run in mind: a network that is right on few test images has little to show.

# %% tags=["nbval-ignore-output"]
from cnnlessons.explorers.views import look_inside
from cnnlessons.lessons.resnet.recipes import resnet_label

resnet, _ = degradation.fit_run(degradation.run(resnet_label("identity", setup.deep), profile), data, profile)
look_inside(resnet, data, converged="resnet20")  # converged=None: this run's own

# %% [markdown] slideshow={"slide_type": "subslide"}
# ### The library's code: option A and the CIFAR ResNet
#
# The parameter-free shortcut of option A (identity, zero-padded where the shape changes), and
# how the CIFAR networks of section 1 are assembled (neither is an exercise):

# %%
views.show_source(models.PadShortcut)

# %%
views.show_source(models.SmallResNet)

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Claims ledger
#
# Every claim of the lesson, with the paper's figure and this run's. The effect claims' verdicts
# come from the course's one rule (`cnnlessons.claims.judge`): paired runs on the same seeds,
# `shown` when every seed's difference has the claimed sign and their mean clears the margin.
# The constructive claims are checks on the figures computed above.

# %% tags=["nbval-ignore-output"]
from cnnlessons.claims import show_ledger

converged = trained_to_the_end("resnet20")
budget = "more epochs for every network (the gpu profile: the paper's depths on all of CIFAR-10)"
show_ledger(
    [
        degradation_verdict.row(budget=budget, converged=converged),
        shortcuts_verdict.row(budget=budget, converged=converged),
        identity_verdict.row(budget=budget, converged=converged),
        lesson.claims.ZERO_RESIDUAL.row(
            f"block(x) == ReLU(x): {zero_f_is_relu}",
            bool(zero_f_is_relu),
        ),
        lesson.claims.SHORTCUT_SHAPES.row(
            f"identity {identity.shortcut_shape}, {identity.shortcut_params} parameters; "
            f"projection {projection.shortcut_shape}, {projection.shortcut_params:,} parameters",
            bool(
                identity.shortcut_shape == identity.residual_shape == projection.shortcut_shape
                and identity.shortcut_params == 0
            ),
        ),
        lesson.claims.BOTTLENECK.row(
            f"{bottleneck.conv_weights:,} against {wide.conv_weights:,} conv weights",
            bool(bottleneck.conv_weights * 4 < wide.conv_weights),
        ),
    ]
)

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Summary
#
# - Degradation: a deeper plain network can train *worse* than a shallower one; section 1 measured
#   it, and its take-away says whether this profile's budget shows it.
# - At initialisation, the gradients of a deep plain network are spread over orders of magnitude
#   from layer to layer; with shortcuts the spread is much narrower (section 2 gives the figures).
# - A residual block computes ReLU(f(x) + x). Where the shape changes, the shortcut is either the
#   parameter-free identity with zero padding (option A) or a 1x1 projection.
# - The bottleneck (1x1 down, 3x3, 1x1 up) makes very deep networks on wide feature maps
#   affordable.

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Papers
#
# - K. He, X. Zhang, S. Ren, J. Sun. *Deep Residual Learning for Image Recognition.* CVPR 2016.
#   arXiv:1512.03385.
# - K. He, X. Zhang, S. Ren, J. Sun. *Identity Mappings in Deep Residual Networks.* ECCV 2016.
#   arXiv:1603.05027.
# - S. Ioffe, C. Szegedy. *Batch Normalization: Accelerating Deep Network Training by Reducing
#   Internal Covariate Shift.* ICML 2015. arXiv:1502.03167.
# - G. Yang, J. Pennington, V. Rao, J. Sohl-Dickstein, S. S. Schoenholz. *A Mean Field Theory of
#   Batch Normalization.* ICLR 2019. arXiv:1902.08129.
# - D. Balduzzi, M. Frean, L. Leary, J. P. Lewis, K. W.-D. Ma, B. McWilliams. *The Shattered
#   Gradients Problem: If resnets are the answer, then what is the question?* ICML 2017.
#   arXiv:1702.08591.
#
# Next: `05_densenet.ipynb`.
