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

# %% tags=["nbval-ignore-output"]
import matplotlib.pyplot as plt
import torch
from torch import nn

from cnnlessons import load_data, models, plot_history
from cnnlessons.lessons import resnet as lesson
from cnnlessons.lessons.resnet.recipes import resnet_label
from cnnlessons.measure import count_parameters, flops_per_image
from cnnlessons.plots import legible, plot_paired, plot_seeds
from cnnlessons.runs.announce import announce
from cnnlessons.runs.reference import end_entry, end_histories
from cnnlessons.runs.results import trained_to_the_end
from cnnlessons.views import diagram, say

data = load_data(profile)
print(data)

# %% [markdown] slideshow={"slide_type": "slide"}
# ## The network, drawn from the code
#
# The paper's CIFAR-10 ResNet-20: a 3x3 stem, three stages of three residual blocks (folded into
# one box, "x 3") at 16, 32 and 64 channels, global average pooling, one linear layer.

# %% slideshow={"slide_type": "fragment"}
fig = diagram(models.build_model("resnet20").eval(), (3, 32, 32), title="ResNet-20 on 32x32 images")
plt.show()
say("*Figure: ResNet-20, layer by layer, each box with its output shape.*")

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 1. Degradation: past some depth, a deeper plain network has higher training and test error
#
# He et al. trained "plain" networks of 3x3 convolutions with batch norm on CIFAR-10: the 56-layer
# one ends with a higher **training** error than the 20-layer one (their Figure 1). That is not
# overfitting, and the deeper net could copy the shallower one with identity layers on top: the
# optimiser does not find that solution.
#
# The experiment: `SmallResNet` (6n+2 layers) at a shallow and a deep depth, each built twice:
# **plain** (`shortcut="none"`) and **residual** (`shortcut="identity"`), same budget, on each of
# the profile's seeds. The `gpu` profile runs the paper's 20 and 56 layers; `cpu` and `smoke`
# what they can afford.

# %% tags=["nbval-ignore-output"]
setup = lesson.degradation_setup(profile)
degradation = lesson.recipes.DEGRADATION
announce(degradation, data, profile, seeds=profile.seeds, what="plain and residual nets, shallow and deep")
seeded = degradation.train_seeds(data, profile)
end_runs = end_histories(lesson.recipes.DEGRADATION_END.key)
mean_acc = {label: sum(h.test_acc for h in by.values()) / len(by) for label, by in seeded.items()}
metrics = ("train_eval_error", "val_error")
fig = plot_seeds(
    {f"{label} (test {mean_acc[label]:.0%})": by for label, by in seeded.items()},
    metrics,
    title="plain against residual networks, shallow and deep (mean test accuracy in the legend)",
)
lesson.draw_references(fig, end_runs, metrics)
legible(fig)
plt.show()
say(
    "*Figure: training error (eval mode) and validation error per epoch, one line per seed"
    + ("; dashed: the runs trained to the end" if end_runs else "")
    + ".*"
)
for label, by_seed in seeded.items():
    print(
        f"{label:<10} final training error (eval mode) "
        + ", ".join(f"{h.train_eval_error[-1]:.1%}" for h in by_seed.values())
        + "; test error "
        + ", ".join(f"{1 - h.test_acc:.1%}" for h in by_seed.values())
        + f" (seeds {', '.join(map(str, by_seed))})"
    )
runs = {
    (shortcut, depth): seeded[resnet_label(shortcut, depth)][profile.seeds[0]]
    for depth in setup.depths
    for shortcut in ("none", "identity")
}  # the explorer's, below

# %% tags=["nbval-ignore-output"] slideshow={"slide_type": "fragment"}
fig = legible(
    plot_paired(
        {f"{label}\n(test {mean_acc[label]:.0%})": by for label, by in seeded.items()},
        "train_error",
        title="final training error, seed by seed (mean test accuracy under each net)",
    )
)
plt.show()
say("*Figure: each net's final training error (eval mode), one line per seed.*")
degradation_verdict = degradation.judge(lesson.claims.DEGRADATION, seeded, profile)
shortcuts_verdict = degradation.judge(lesson.claims.SHORTCUTS, seeded, profile)
shallow, deep = setup.shallow, setup.deep


def apart(points: float, more: str = "above", less: str = "below") -> str:
    return f"{abs(points):.1f} points {more if points > 0 else less}"


over = "mean over the seeds" if len(profile.seeds) > 1 else f"one seed, {profile.seeds[0]}"
params = {label: next(iter(by.values())).info["parameters"] for label, by in seeded.items()}
twins = all(params[resnet_label("none", d)] == params[resnet_label("identity", d)] for d in setup.depths)
say(
    f"Plain-{deep} ends {apart(degradation_verdict.mean)} plain-{shallow} in training error ({over}): "
    + (
        "the deeper plain net fits its own training images worse"
        if degradation_verdict.mean > 0
        else "at this budget the deeper plain net fits its training images no worse"
    )
    + f"; degradation **{degradation_verdict.verdict}**. ResNet-{deep} ends "
    f"{apart(shortcuts_verdict.mean)} its plain twin and {apart(shortcuts_verdict.conditions[1].mean)} "
    f"ResNet-{shallow}: shortcuts **{shortcuts_verdict.verdict}**."
    + (
        " Each plain net has exactly its residual twin's parameters "
        f"({params[resnet_label('none', shallow)]:,} and {params[resnet_label('none', deep)]:,}): "
        "the identity shortcuts add none."
        if twins
        else ""
    )
)

# %% [markdown] slideshow={"slide_type": "subslide"}
# In the paper (Figure 6), plain-56 stays above plain-20 throughout training, while ResNet-56 ends
# below ResNet-20 (Table 6: 6.97% against 8.75% test error). The course's runs of these four
# networks, trained to the end on all training images:

# %% tags=["nbval-ignore-output"]
if end_runs:
    say(
        "Final training error (eval mode) of the dashed runs above: "
        + "; ".join(
            f"{h.label.split(',')[0]} {h.train_eval_error[-1]:.1%} after {h.epoch[-1]} epochs"
            for h in end_runs
        )
        + "."
    )
else:
    say("None ships with this version of the course yet.")

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 2. Why: gradient size per layer at initialisation, plain against residual
#
# Is it vanishing gradients? One batch, one backward pass through a freshly initialised network
# (batch norm in training mode), and the norm of d loss / d weight of each layer, input to output,
# at the paper's depths:

# %% tags=["nbval-ignore-output"]
x, y = data.batch("train", 64)
norms = {
    (shortcut, depth): lesson.gradient_sizes_by_shortcut(depth, shortcut, x, y, num_classes=data.num_classes)
    for depth in (20, 56)
    for shortcut in ("none", "identity")
}

fig, ax = plt.subplots(figsize=(9, 3.6))
for (shortcut, depth), layer_norms in norms.items():
    ax.semilogy(
        range(1, len(layer_norms) + 1),
        [g for _, g in layer_norms],
        ls="--" if shortcut == "none" else "-",
        lw=1.8 if depth == 56 else 1.0,
        marker="s" if depth == 56 else "o",
        ms=3,
        markevery=3,
        label=lesson.run_label(shortcut, depth),
    )
ax.set_xlabel("layer (input -> output)")
ax.set_ylabel("gradient norm of the weights")
ax.set_title("gradient size per layer at initialisation, one batch")
ax.grid(alpha=0.3, which="both")
ax.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.01, 1.0), borderaxespad=0.0)
fig.tight_layout()
plt.show()
say("*Figure: gradient norm per layer, log scale; dashed: plain, solid: residual; squares: 56 layers.*")
for (shortcut, depth), layer_norms in norms.items():
    convs = layer_norms[:-1]  # the convolutions; the last entry is the classifier
    print(
        f"{lesson.run_label(shortcut, depth):<10} first conv {convs[0][1]:9.3g}, last conv "
        f"{convs[-1][1]:7.3g}, spread over the convolutions {lesson.gradient_spread(convs):.1f} "
        f"orders of magnitude"
    )
plain, residual = norms[("none", 56)][:-1], norms[("identity", 56)][:-1]
direction = "grow" if plain[0][1] > plain[-1][1] else "shrink"
say(
    f"At initialisation the gradients of plain-56's convolutions {direction} from the last to the "
    f"first layer and span {lesson.gradient_spread(plain):.1f} orders of magnitude; with shortcuts "
    f"they span {lesson.gradient_spread(residual):.1f}, "
    f"{10 ** (lesson.gradient_spread(plain) - lesson.gradient_spread(residual)):.0f} times narrower."
)

# %% [markdown] slideshow={"slide_type": "subslide"}
# The paper argues that vanishing gradients are *not* the cause: batch norm keeps its plain
# networks' signals healthy. The gradients need not vanish, but they can spread over orders of
# magnitude along a plain network (Yang et al. 2019 show them growing towards the input with batch
# norm). A *hypothesis*, not the paper's claim: one step size then cannot suit both ends. A
# shortcut gives the gradient a path around every block: d(f(x) + x)/dx = f'(x) + 1.

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 3. Skip connections: f(x) + x, identity and projection shortcuts
#
# A residual block computes
#
# $$\text{out} = \mathrm{ReLU}\big(f(x) + \text{shortcut}(x)\big), \qquad
# f = \text{3x3 conv} \to \text{BN} \to \text{ReLU} \to \text{3x3 conv} \to \text{BN}.$$
#
# When the block keeps the shape, the shortcut is x itself. To do nothing, the block only has to
# drive f to zero; a plain block would have to learn the identity through two convolutions and two
# ReLUs. With f = 0 (the last batch norm's scale set to 0):

# %% slideshow={"slide_type": "fragment"}
torch.manual_seed(0)
block = models.ResidualBlock(16, 16).eval()
nn.init.zeros_(block.last_bn.weight)  # f(x) = 0
x = torch.randn(2, 16, 8, 8)
with torch.no_grad():
    out = block(x)
zero_f_is_relu = torch.equal(out, torch.relu(x))
say(
    f"The shape-keeping block's shortcut is `{type(block.shortcut).__name__}`, with "
    f"{count_parameters(block.shortcut)} parameters; with f = 0 the block returns ReLU(x) "
    + ("exactly." if zero_f_is_relu else "only approximately.")
)

# %% [markdown] slideshow={"slide_type": "subslide"}
# Where a stage begins, the block halves height and width and doubles the channels, so x no longer
# fits f(x). Two ways to make it fit:
#
# - **identity** (the paper's option A, for its CIFAR-10 networks): keep every second pixel and
#   append zero channels; no parameters;
# - **projection** (option B where shapes change, option C everywhere): a 1x1 convolution with
#   stride 2, then batch norm.

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
say(
    f"Both shortcuts turn a 16x32x32 input into the {c}x{h}x{w} of f(x); the projection adds "
    f"{projection.shortcut_params:,} parameters ({projection.shortcut_params / identity.block_params:.1%} "
    "of the block), the identity none."
)

# %% [markdown] slideshow={"slide_type": "subslide"}
# On ImageNet the paper found the three options within about one percentage point (its Table 3) and
# kept the identity where shapes match: it is free. Here: one network with option A and with option
# B, on each of the profile's seeds; they differ in two shortcuts only.

# %% tags=["nbval-ignore-output"] slideshow={"slide_type": "fragment"}
shortcut_kinds = lesson.recipes.SHORTCUTS
announce(shortcut_kinds, data, profile, seeds=profile.seeds, what="identity against projection shortcuts")
kind_runs = shortcut_kinds.train_seeds(data, profile)
shortcut_arms = shortcut_kinds.arms_for(lesson.claims.IDENTITY_VS_PROJECTION, profile)
identity_verdict = shortcut_kinds.judge(lesson.claims.IDENTITY_VS_PROJECTION, kind_runs, profile)
fig = legible(plot_paired(kind_runs, "test_acc", title="test accuracy, seed by seed"))
plt.show()
say(
    "*Figure: each net's test accuracy, one line per seed.* With identity shortcuts the net ends "
    f"{apart(identity_verdict.mean, 'ahead of', 'behind')} the one with projections ({over}); the "
    f"claim asks for at most {lesson.claims.IDENTITY_VS_PROJECTION.conditions[0].margin:g} points "
    f"apart on every seed: **{identity_verdict.verdict}**."
)

# %% [markdown] slideshow={"slide_type": "subslide"}
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
# The library's block with each shortcut, then yours beside it:

# %% slideshow={"slide_type": "fragment"}
for args, name in (((64, 64), "identity shortcut"), ((64, 128, 2), "projection shortcut, stride 2")):
    fig = diagram(models.ResidualBlock(*args).eval(), (64, 32, 32), title=f"ResidualBlock{args}: {name}")
    plt.show()
say("*Figures: the residual block with each shortcut, each box with its output shape.*")

# %% slideshow={"slide_type": "skip"}
from cnnlessons.exercises.drawing import draw_answer

fig = draw_answer(ResidualBlock, models.ResidualBlock, (64, 32, 32), args=(64, 128, 2))
say("*Figure: your block beside the library's.*")

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 4. The bottleneck block: 1x1 down, 3x3, 1x1 up
#
# The deeper ImageNet ResNets (50, 101, 152 layers) work on 256 to 2048 channels. The bottleneck
# block reduces 256 channels to 64 with a 1x1 convolution, applies the 3x3 at 64, and expands back
# to 256 with another 1x1 (GoogLeNet's trick from lesson 03):
#
# $$2 \cdot 9 \cdot 256^2 \quad\text{against}\quad 256 \cdot 64 + 9 \cdot 64^2 + 64 \cdot 256.$$
#
# Counted on the real blocks (the residual branch, on a 56x56 map):

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
say(
    f"The bottleneck needs {wide.conv_weights / bottleneck.conv_weights:.0f} times fewer conv weights "
    f"than two 3x3 layers at 256 channels, about what two 3x3 layers at 64 cost. ResNet-50 "
    f"(bottlenecks) has {resnet50_params / 1e6:.1f}M parameters and {resnet50_flops / 1e9:.1f} GFLOPs "
    f"per 224x224 image, ResNet-34 (basic blocks) {resnet34_params / 1e6:.1f}M and "
    f"{resnet34_flops / 1e9:.1f}."
)

# %% [markdown] slideshow={"slide_type": "subslide"}
# That is the paper's Figure 5: the two blocks have "similar time complexity", so ResNet-50 costs
# about what ResNet-34 costs (the paper: 3.8 and 3.6 billion multiply-adds).
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
say("*Figure: the bottleneck block, each box with its output shape.*")

# %% slideshow={"slide_type": "skip"}
fig = draw_answer(Bottleneck, models.Bottleneck, (256, 56, 56), args=(256, 64))
say("*Figure: your bottleneck beside the library's.*")

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 5. Explorer: shortcut and depth against the training curves
#
# Choose the shortcut (`projection`: a 1x1 convolution in every block) and the depth, then press
# **train**: it trains with section 1's budget and stays on the plot beside section 1's runs.

# %% tags=["nbval-ignore-output"]
from cnnlessons.lessons.resnet.explorer import ShortcutExplorer

explorer = ShortcutExplorer(data, setup, runs=runs)
explorer.static()
print(explorer.text)
say("*Figure: training error (eval mode) per epoch of each setting trained, test accuracy in the legend.*")

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
# Between any two blocks the signal and the gradient now pass by pure addition, which let them
# train a 1001-layer network. The library's `PreActResidualBlock` (`SmallResNet(..., block="preact")`):

# %%
from cnnlessons import views

views.show_source(models.PreActResidualBlock, fold=True)

# %% [markdown] slideshow={"slide_type": "subslide"}
# The original block against the pre-activation block, same depth and recipe, one seed. The paper's
# gain shows at 110 layers and more (the `gpu` profile trains ResNet-110).

# %% tags=["nbval-ignore-output"]
preact = lesson.recipes.PREACTIVATION
announce(preact, data, profile, what="the original against the pre-activation block")
preact_runs = preact.train(data, profile)
(original, first), (pre, second) = preact_runs.items()
fig = legible(
    plot_history(
        preact_runs,
        ("train_eval_error", "val_error"),
        title=f"{original} ({first.test_acc:.1%} test accuracy) against {pre} ({second.test_acc:.1%})",
    )
)
plt.show()
say("*Figure: training error (eval mode) and validation error per epoch of the two blocks, one seed.*")
gap = (second.test_acc - first.test_acc) * 100
deep_accs = [h.test_acc for h in seeded[resnet_label("identity", deep)].values()]
spread = (max(deep_accs) - min(deep_accs)) * 100
say(
    f"After {first.epoch[-1]} epochs on seed {preact.seed}, the pre-activation block is "
    f"{apart(gap, 'ahead of', 'behind')} the original. One seed gives no verdict"
    + (
        f"; for scale, section 1's ResNet-{deep} moved {spread:.1f} points of test accuracy between its "
        f"{len(deep_accs)} seeds."
        if len(deep_accs) > 1
        else "."
    )
)

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 7. Look inside: what a trained ResNet learned
#
# The shipped checkpoint `resnet20` on CIFAR-10 (else section 1's deep ResNet): each stage's most
# active channels on one test image, and where it finds its evidence: Grad-CAM (Selvaraju et al.,
# ICCV 2017) weights the last stage's channels by the gradient of the predicted class's score; red
# marks the evidence.

# %% tags=["nbval-ignore-output"]
from cnnlessons.explorers.views import look_inside

own_resnet, own_history = degradation.fit_run(  # from the run cache: trained in section 1
    degradation.run(resnet_label("identity", deep), profile), data, profile
)
inside = look_inside(  # converged=None: this run's own
    own_resnet, data, converged="resnet20", fold_table=True, accuracy=own_history.test_acc
)
say("*Figures: feature maps of each stage; Grad-CAM maps of eight test images; the explorer.*")
if inside.model is not own_resnet:
    record = inside.model.checkpoint_record
    say(
        f"This is the checkpoint `resnet20`, not section 1's ResNet-{deep}: the paper's ResNet-20 with "
        f"{count_parameters(inside.model):,} parameters (section 1's, at width {setup.width}, has "
        f"{count_parameters(own_resnet):,}), trained for {record['epochs']} epochs on "
        f"{record['train_size']:,} CIFAR-10 images to {record['test_acc']:.1%} test accuracy."
    )
else:
    say(
        f"This is section 1's ResNet-{deep}, seed {profile.seeds[0]}: {count_parameters(own_resnet):,} "
        f"parameters, {own_history.test_acc:.1%} test accuracy."
    )
inside

# %% [markdown] slideshow={"slide_type": "subslide"}
# ### Where it goes wrong
#
# The checkpoint's accuracy per class and confusion matrix on the test split, from its record, then
# its most confident mistakes.

# %% tags=["nbval-ignore-output"]
from cnnlessons.models.converged import confusion_matrix, per_class_accuracy
from cnnlessons.plots import plot_class_errors, plot_mistakes
from cnnlessons.runs.errors import confident_mistakes_on

accuracy = per_class_accuracy("resnet20")
names, counts = confusion_matrix("resnet20")
fig = plot_class_errors("resnet20")
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
mistakes = confident_mistakes_on("resnet20", data)
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
# ### The library's code: option A and the CIFAR ResNet
#
# Option A's shortcut, and the CIFAR networks of section 1:

# %%
views.show_source(models.PadShortcut, fold=True)
views.show_source(models.SmallResNet, fold=True)

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Questions
#
# Predict, then run the cell below each question.

# %% [markdown] tags=["question"]
# The CIFAR ResNet-110 has 6n + 2 layers. How many residual blocks does it have?

# %% tags=["question-answer"]
resnet110 = models.SmallResNet(depth=110)
blocks = [m for m in resnet110.modules() if isinstance(m, models.ResidualBlock)]
say(
    f"{len(blocks)}: {len(blocks) // 3} per stage, two 3x3 convolutions each, plus the stem and the "
    f"classifier: {2 * len(blocks) + 2} layers."
)

# %% [markdown] tags=["question"]
# Rank by parameters: plain-56, ResNet-56 with option A, and ResNet-56 with a 1x1 projection in
# every block (option C).

# %% tags=["question-answer"]
by_shortcut = {
    s: count_parameters(models.SmallResNet(depth=56, shortcut=s)) for s in ("none", "identity", "projection")
}
say(
    f"Plain-56 and ResNet-56 with option A tie at {by_shortcut['none']:,} "
    + ("(the identity adds nothing)" if by_shortcut["none"] == by_shortcut["identity"] else "")
    + f"; option C has {by_shortcut['projection']:,}, "
    f"{by_shortcut['projection'] / by_shortcut['identity'] - 1:.0%} more."
)

# %% [markdown] tags=["question"]
# Option A where a stage begins turns a 16x32x32 input into 32x16x16. What share of the output is
# zeros, and what share of the input reaches it?

# %% tags=["question-answer"]
padded = models.PadShortcut(16, 32, stride=2)(torch.ones(1, 16, 32, 32))
say(
    f"{(padded == 0).float().mean():.0%} of the output is zeros (the appended channels), and "
    f"{int(padded.sum()) / (16 * 32 * 32):.0%} of the input reaches it: every second pixel each way."
)

# %% [markdown] tags=["question"]
# A pre-activation block whose last convolution is all zeros: what does it return for an x with
# negative entries? The original block with f = 0 returns ReLU(x).

# %% tags=["question-answer"]
torch.manual_seed(0)
pre_block = models.PreActResidualBlock(16, 16).eval()
nn.init.zeros_(pre_block.residual.conv2.weight)
xq = torch.randn(2, 16, 8, 8)
with torch.no_grad():
    returned = pre_block(xq)
say(
    "x itself, negative entries and all"
    + (" (exactly)" if torch.equal(returned, xq) else " (not exactly)")
    + f": the original block would drop the {(xq < 0).float().mean():.0%} of x below zero."
)

# %% [markdown] tags=["question"]
# Which class does the checkpoint `resnet20` most often take a cat for?

# %% tags=["question-answer"]
cat = names.index("cat")
row = counts[cat].clone()
row[cat] = 0
say(f"A {names[int(row.argmax())]}: {int(row.max())} of {int(counts[cat].sum()):,} cat test images.")

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Claims ledger
#
# An effect claim is `shown` when every seed's paired difference has the claimed sign and their
# mean clears the margin (`cnnlessons.claims.judge`).

# %% tags=["nbval-ignore-output"]
from cnnlessons.claims import show_ledger

converged = trained_to_the_end("resnet20")
budget = "more epochs for every network (the gpu profile: the paper's depths on all of CIFAR-10)"
show_ledger(
    [
        degradation_verdict.row(
            budget=budget, converged=converged, reference=end_entry(lesson.claims.DEGRADATION.id)
        ),
        shortcuts_verdict.row(
            budget=budget, converged=converged, reference=end_entry(lesson.claims.SHORTCUTS.id)
        ),
        identity_verdict.row(
            budget=budget, converged=converged, reference=end_entry(lesson.claims.IDENTITY_VS_PROJECTION.id)
        ),
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
# - A residual block computes ReLU(f(x) + x). Where the shape changes, the shortcut is either the
#   parameter-free identity with zero padding (option A) or a 1x1 projection.
# - The bottleneck (1x1 down, 3x3, 1x1 up) makes very deep networks on wide feature maps
#   affordable.
# - The pre-activation block leaves the shortcut path to pure addition.

# %% tags=["nbval-ignore-output"]
say(
    f"- **Degradation**: plain-{deep} against plain-{shallow}, {degradation_verdict.verdict}; with "
    f"**shortcuts** ResNet-{deep} against both, {shortcuts_verdict.verdict}.\n"
    f"- **Gradients** at initialisation: plain-56's span {lesson.gradient_spread(plain):.1f} orders of "
    f"magnitude, ResNet-56's {lesson.gradient_spread(residual):.1f}.\n"
    f"- **Identity against projection** shortcuts: {identity_verdict.verdict}."
)

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Papers
#
# - K. He, X. Zhang, S. Ren, J. Sun. *Deep Residual Learning for Image Recognition.* CVPR 2016.
#   arXiv:1512.03385.
# - K. He, X. Zhang, S. Ren, J. Sun. *Identity Mappings in Deep Residual Networks.* ECCV 2016.
#   arXiv:1603.05027.
# - G. Yang, J. Pennington, V. Rao, J. Sohl-Dickstein, S. S. Schoenholz. *A Mean Field Theory of
#   Batch Normalization.* ICLR 2019. arXiv:1902.08129.
#
# Next: `05_densenet.ipynb`.
