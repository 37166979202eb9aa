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
# DenseNet (Huang et al., CVPR 2017) **concatenates** instead. Inside a dense block, layer $l$ reads
# the block's input and the outputs of *all* earlier layers, stacked along the channel axis, and
# adds $k$ new channels, the **growth rate** (the paper uses k = 12 to 48):
#
# $$x_l = H_l\big([x_0, x_1, \dots, x_{l-1}]\big), \qquad
# H_l = \text{BN} \to \text{ReLU} \to \text{3x3 conv} \to k \text{ channels}.$$
#
# Between dense blocks, **transition blocks** shrink the channels and halve the resolution.
#
# After this lesson you can
#
# 1. show that a dense block hands its input on unchanged, as its first channels;
# 2. compute its channel count, $c_0 + l\cdot k$: linear, not "exponential" as the lecture says,
#    though each new layer costs more than the last;
# 3. say what a transition block and compression 0.5 do to shapes, and build both blocks;
# 4. weigh a scaled-down DenseNet-BC against a ResNet, and read where a trained one goes wrong.

# %% tags=["nbval-ignore-output"]
import matplotlib.pyplot as plt
import numpy as np
import torch
from torch import nn

from cnnlessons import load_data, models
from cnnlessons.lessons import densenet as lesson
from cnnlessons.measure import count_parameters
from cnnlessons.plots import legible
from cnnlessons.runs.announce import announce
from cnnlessons.runs.reference import end_entry
from cnnlessons.runs.results import converged_runs, reference_runs
from cnnlessons.views import diagram, fold_references, say

data = load_data(profile)
print(data)

# %% [markdown] slideshow={"slide_type": "slide"}
# ## The network, drawn from the code
#
# The lesson's DenseNet-BC (k = 12, three dense blocks of three bottleneck layers, compression
# 0.5) as it runs on one 32x32 image; sections 1 and 3 open a dense block and a transition.

# %% slideshow={"slide_type": "fragment"}
fig = diagram(
    lesson.build_densenet_bc().eval(), (3, 32, 32), title="the lesson's DenseNet-BC on 32x32 images"
)
plt.show()
say("*Figure: the lesson's DenseNet-BC, layer by layer, each box with its output shape.*")

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 1. Concatenation instead of addition: the block's output keeps its input
#
# A dense block only *appends* channels, so the first $c_0$ channels of its output are its input,
# untouched: every later layer, and the next block, reads the original features, not ResNet's sum
# $H(x) + x$. A batch of the lesson's images through the library's `DenseBlock` (4 layers, k = 12):

# %% tags=["nbval-ignore-output"]
x, labels = data.batch("train", 8)
torch.manual_seed(0)
block = models.DenseBlock(num_layers=4, in_channels=data.channels, growth_rate=12).eval()
with torch.no_grad():
    out = block(x)
print(f"input batch {tuple(x.shape)} -> dense block output {tuple(out.shape)}")

# %% tags=["nbval-ignore-output"] slideshow={"slide_type": "fragment"}
c0 = x.shape[1]
keeps_input = torch.equal(out[:, :c0], x)
grown = out.shape[1] - c0

torch.manual_seed(0)
conv = nn.Conv2d(c0, c0, 3, padding=1)  # a ResNet-style block adds instead: H(x) + x
with torch.no_grad():
    summed = conv(x) + x
say(
    f"The output begins with the {c0}-channel input "
    + ("bit for bit" if keeps_input else "changed")
    + f" (`torch.equal`), then {grown} new channels: 4 layers x k = 12. The sum H(x) + x "
    + ("equals x." if torch.equal(summed, x) else "keeps nothing of x as it was.")
)

# %% [markdown] slideshow={"slide_type": "subslide"}
# The price is memory: a block's output holds every feature map it has seen, and each layer's BN
# runs on all of them (memory-efficient implementations recompute those in the backward pass).

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
# Measured on 12-layer `DenseBlock`s on 16 channels (the paper's CIFAR stem) and a 32x32 map, for
# four growth rates (on PyTorch's `meta` device: shapes without storage):

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
say(
    ("Every layer adds exactly k channels" if linear else "Not every layer adds k channels")
    + f": {k32[-1].out_channels} = 16 + 12·32 after 12 layers at k = 32, not 16·2¹² = {doubling:,}. "
    f"But layer 12 costs {k32[-1].params / k32[0].params:.0f} times what layer 1 does: it reads "
    f"{k32[-1].in_channels} channels, not {k32[0].in_channels}."
)

# %%
fig = legible(lesson.plot_channel_growth(table), columns=5)
plt.show()
say("*Figure: channels after each layer, and each layer's parameters and FLOPs, for four growth rates.*")

# %% [markdown] slideshow={"slide_type": "subslide"}
# So DenseNets keep $k$ small and add two tricks, both in DenseNet-BC: a 1x1 **bottleneck** before
# each 3x3 (it reads all $c_{l-1}$ channels but hands only $4k$ to the 3x3), and the
# **compression** of the transition blocks (section 3). Doubling a block's depth:

# %% slideshow={"slide_type": "fragment"}
block_cost = {L: count_parameters(models.DenseBlock(L, 16, 12)) for L in (6, 12, 24)}
say(
    "6, 12, 24 layers (k = 12, 16 channels in): "
    + ", ".join(f"{p:,}" for p in block_cost.values())
    + f" parameters, {block_cost[12] / block_cost[6]:.1f} then {block_cost[24] / block_cost[12]:.1f} "
    "times as many at each doubling."
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
say("*Figure: a dense block of four layers; each layer reads the concatenation of all before it.*")

# %% slideshow={"slide_type": "skip"}
from cnnlessons.exercises.drawing import draw_answer

fig = draw_answer(DenseBlock, models.DenseBlock, (64, 32, 32), args=(4, 64, 32))
say("*Figure: your block beside the library's.*")

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 3. The transition block shrinks channels and resolution
#
# A dense block keeps the resolution (every 3x3 convolution has padding 1), so something else has
# to shrink the feature maps between blocks. The transition block is
#
# $$\text{BN} \to \text{ReLU} \to \text{1x1 conv}: c \to \lfloor\theta c\rfloor \text{ channels}
# \to \text{2x2 average pooling, stride 2}.$$
#
# The lecture and the paper's text list BN → 1x1 conv → 2x2 average pooling; the paper's Table 1
# ("each 'conv' layer ... corresponds the sequence BN-ReLU-Conv") and the authors' code put a ReLU
# after the BN, as the library does. The **compression** $\theta$ is 1 in the plain DenseNet and
# 0.5 in DenseNet-BC, whose transitions halve the channels as well as the height and the width:

# %%
transition = models.Transition(96, 48)
print(transition)
print(f"parameters: {count_parameters(transition):,} (BN: 2 x 96, 1x1 conv: 96 x 48)")

# %% [markdown] slideshow={"slide_type": "subslide"}
# The lesson's DenseNet-BC (a 3x3 stem of 2k channels, then three dense blocks of three bottleneck
# layers), stage by stage on one 3x32x32 image:

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
(b1, t1), (b2, t2) = halved
say(
    f"{b1[0]} x {b1[1]} x {b1[2]} becomes {t1[0]} x {t1[1]} x {t1[2]}, and {b2[0]} x {b2[1]} x "
    f"{b2[2]} becomes {t2[0]} x {t2[1]} x {t2[2]}: "
    + ("half the channels, a quarter of the pixels." if ok else "not always half the channels.")
)

# %% [markdown] slideshow={"slide_type": "subslide"}
# Section 1's dense block output through a transition with compression 0.5:

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
say("*Figure: a transition block, BN, ReLU, 1x1 convolution and average pooling, with output shapes.*")

# %% slideshow={"slide_type": "skip"}
fig = draw_answer(Transition, models.Transition, (192, 32, 32), args=(192, 96))
say("*Figure: your transition beside the library's.*")

# %% [markdown] slideshow={"slide_type": "subslide"}
# ### Explorer: growth rate and depth
#
# A three-block DenseNet: choose $k$, the layers per block $L$, and plain or bottleneck layers; the
# button trains it for half the profile's epochs. Try $k$ = 4 against 32, then the bottleneck at
# large $k$: it caps the 3x3's input at $4k$ channels.

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
say("*Figure: channels after each dense layer; parameters and FLOPs of each layer; trained curves.*")

# %% tags=["nbval-ignore-output"]
explorer

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 4. Experiment: a scaled-down DenseNet-BC against a ResNet
#
# The paper's headline is parameter efficiency. In its Table 2 (Huang et al., 2017), on CIFAR-10
# with augmentation (C10+), DenseNet-BC with L = 100 and k = 12 has 4.51% test error with 0.8M
# parameters, against 4.62% for the 1001-layer pre-activation ResNet with 10.2M: a little better,
# with under a twelfth of the parameters. Without augmentation (C10 in Table 2) the same pair has 5.92%
# against 10.56% error. On ImageNet (the paper's Figure 3) a DenseNet-201 with 20M parameters
# matches the validation error of a ResNet-101 with more than 40M. Nearer our scale, UvA's tutorial
# has DenseNet at 90.2% test accuracy against ResNet's 91.1%, at about 0.25M parameters each.
#
# Here the DenseNet-BC of section 3 meets the course's ResNet-14 (2.4 times its parameters) under
# one budget, without augmentation, on each of the profile's seeds (in `cpu`: half the images, at
# 16x16 pixels).

# %% tags=["nbval-ignore-output"]
from cnnlessons.plots import plot_paired, plot_seeds

experiment = lesson.recipes.DENSENET_VS_RESNET
announce(experiment, data, profile, seeds=profile.seeds)
seeded = experiment.train_seeds(data, profile)
mean_acc = {label: np.mean([h.test_acc for h in by.values()]) for label, by in seeded.items()}
fig = legible(
    plot_seeds(
        {f"{label} (test {mean_acc[label]:.1%})": by for label, by in seeded.items()},
        ("train_eval_error", "val_error"),
        title="DenseNet-BC against ResNet-14, no augmentation (mean test accuracy in the legend)",
    )
)
plt.show()
say("*Figure: training (eval mode) and validation error per epoch of both networks, all seeds.*")
fig = legible(plot_paired(seeded, "test_acc", title="test accuracy, seed by seed"))
plt.show()
say("*Figure: each network's test accuracy, one line per seed.*")

# %% tags=["nbval-ignore-output"] slideshow={"slide_type": "fragment"}
from IPython.display import Markdown, display

from cnnlessons.models.converged import load_record

efficiency = experiment.judge(lesson.claims.PARAMETER_EFFICIENCY, seeded)
ratio = efficiency.figures["resnet"]["weights"] / efficiency.figures["densenet"]["weights"]
gap = efficiency.mean


def ahead(points: float, of: str) -> str:
    return f"{points:.1f} points ahead of {of}" if points > 0 else f"{-points:.1f} points behind {of}"


seeds_named = ", ".join(map(str, profile.seeds))
say(
    f"With {ratio:.1f} times fewer parameters, DenseNet-BC is {ahead(gap, 'ResNet-14')} in test accuracy "
    + (f"(seed {seeds_named})" if len(profile.seeds) == 1 else f"(mean over seeds {seeds_named})")
    + f": **{efficiency.verdict}** ({efficiency.reason})."
)
seed = profile.seeds[0]
runs = {label: by_seed[seed] for label, by_seed in seeded.items()}
display(Markdown(lesson.comparison_table(runs)))
dn, rn = runs["DenseNet-BC"], runs["ResNet-14"]
flops = dn.info["flops"] / rn.info["flops"]
say(
    ("The saving is in parameters, not compute" if flops >= 1 else "It saves compute too")
    + f": DenseNet-BC needs {flops:.1f} times ResNet-14's FLOPs per image and trained "
    f"{dn.wall_time / rn.wall_time:.1f} times as long (seed {seed})."
)

# %% tags=["nbval-ignore-output"] slideshow={"slide_type": "subslide"}
reference = reference_runs(experiment.key) + converged_runs("small_densenet", "small_resnet")
fig = lesson.plot_params_accuracy(
    runs, reference=reference, title=f"seed {seed}'s two networks (solid) and the reference runs (hatched)"
)
plt.show()
say("*Figure: parameters and test accuracy per network; this run's bars solid, reference runs hatched.*")
ends = {name: load_record(name) for name in ("small_densenet", "small_resnet")}
d_end, r_end = ends["small_densenet"], ends["small_resnet"]
same_net = d_end["parameters"] == dn.info["parameters"] and r_end["parameters"] == rn.info["parameters"]
say(
    "Hatched: the checkpoints `small_densenet` and `small_resnet`, "
    + ("these two networks" if same_net else "the same designs for CIFAR-10")
    + f" trained to the end with augmentation. DenseNet-BC reaches {d_end['test_acc']:.1%} after "
    f"{d_end['epochs']} epochs, {ahead(100 * (d_end['test_acc'] - r_end['test_acc']), 'ResNet-14')}'s "
    f"{r_end['test_acc']:.1%} after {r_end['epochs']}."
)
fold_references(reference)

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 5. Look inside: what a trained DenseNet-BC learned
#
# The checkpoint `small_densenet` on CIFAR-10 (else this run's DenseNet-BC): each stage's most
# active channels on one test image, and where it finds its evidence: Grad-CAM (Selvaraju et al.,
# ICCV 2017) weights the last stage's channels by the gradient of the predicted class's score.

# %% tags=["nbval-ignore-output"]
from cnnlessons.explorers.views import look_inside

# seed 0's DenseNet-BC, trained above: the run cache hands it back
densenet, own = experiment.fit_run(experiment.run("DenseNet-BC"), data, profile, seed=seed)
inside = look_inside(  # converged=None: this run's own
    densenet, data, converged="small_densenet", fold_table=True, accuracy=own.test_acc
)
if inside.model is densenet:
    say(
        f"Shown: this run's DenseNet-BC (seed {seed}, {count_parameters(densenet):,} parameters, "
        f"{own.test_acc:.1%} test accuracy); the checkpoint takes CIFAR-10's images, not {data.name} images."
    )
else:
    say(
        f"Shown: the checkpoint `small_densenet`, the lesson's DenseNet-BC "
        f"({count_parameters(inside.model):,} parameters) trained to the end: {inside.accuracy:.1%} "
        f"test accuracy, where this run's reached {own.test_acc:.1%}."
    )
say("*Figures: feature maps of each stage; Grad-CAM maps of eight test images; the explorer.*")
inside

# %% [markdown] slideshow={"slide_type": "subslide"}
# ### Where it goes wrong
#
# The checkpoint's accuracy on each class and its confusion matrix on the test split (the diagonal
# is each class's accuracy), then its most confident mistakes.

# %% tags=["nbval-ignore-output"]
from cnnlessons.models.converged import confusion_matrix, per_class_accuracy
from cnnlessons.plots import plot_class_errors, plot_mistakes
from cnnlessons.runs.errors import confident_mistakes_on

accuracy = per_class_accuracy("small_densenet")
names, counts = confusion_matrix("small_densenet")
fig = plot_class_errors("small_densenet")
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
mistakes = confident_mistakes_on("small_densenet", data)
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
# ### The library's code: the DenseNet-BC layer
#
# One layer of a DenseNet-BC block, the 1x1 bottleneck to $4k$ channels before the 3x3:

# %%
from cnnlessons import views

views.show_source(models.DenseLayer, fold=True)

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Questions
#
# Predict, then run the cell below each question.

# %% [markdown] tags=["question"]
# The paper's DenseNet-BC with L = 100 and k = 12 has three blocks of 16 bottleneck layers and a
# stem of 2k = 24 channels, with compression 0.5. How many channels leave its last dense block?

# %% tags=["question-answer"]
with torch.device("meta"):
    bc100 = models.build_model("densenet_bc100")
bc100_shapes = dict(lesson.stage_shapes(bc100, (3, 32, 32)))
say(
    f"{bc100_shapes['denseblock3'][0]}: 24 + 16·12 = {bc100_shapes['denseblock1'][0]}, halved to "
    f"{bc100_shapes['transition1'][0]}; + 192 = {bc100_shapes['denseblock2'][0]}, halved to "
    f"{bc100_shapes['transition2'][0]}; + 192 = {bc100_shapes['denseblock3'][0]}. The network has "
    f"{count_parameters(bc100) / 1e6:.2f}M parameters (Table 2: 0.8M)."
)

# %% [markdown] tags=["question"]
# A bottleneck layer (1x1 to 4k channels, then the 3x3) against a plain one (the 3x3 alone), at
# k = 12: from how many input channels on does the bottleneck save parameters? Does it save any in
# the lesson's DenseNet-BC?

# %% tags=["question-answer"]
saves_from = next(
    c
    for c in range(1, 1000)
    if count_parameters(models.DenseLayer(c, 12, bottleneck=True))
    < count_parameters(models.DenseLayer(c, 12, bottleneck=False))
)
widest = max(cost.in_channels for cost in lesson.dense_layer_costs(densenet_bc, (3, 32, 32)))
say(
    f"From {saves_from} input channels on: per input channel the 1x1 costs 4k = 48 weights, the plain "
    f"3x3 9k = 108. The "
    f"lesson's layers read at most {widest} channels: "
    + ("every bottleneck there adds parameters." if widest < saves_from else "some of them save.")
)

# %% [markdown] tags=["question"]
# Without compression (θ = 1: transitions keep every channel), how many parameters would the
# lesson's DenseNet-BC have?

# %% tags=["question-answer"]
uncompressed = count_parameters(lesson.build_densenet_bc(compression=1.0))
say(
    f"{uncompressed:,} against {count_parameters(densenet_bc):,}: "
    f"{uncompressed / count_parameters(densenet_bc):.1f} times as many, since the later blocks read "
    "twice the channels."
)

# %% [markdown] tags=["question"]
# Per image, which keeps more numbers for the backward pass in training: the lesson's DenseNet-BC or
# ResNet-14, with 2.4 times its parameters?

# %% tags=["question-answer", "nbval-ignore-output"]
from cnnlessons.measure import training_memory_per_image

torch.manual_seed(0)
kept = {
    "DenseNet-BC": training_memory_per_image(lesson.build_densenet_bc(), (3, 32, 32)),
    "ResNet-14": training_memory_per_image(
        models.build_model("small_resnet", depth=14, width=16), (3, 32, 32)
    ),
}
more = max(kept, key=kept.get)
say(
    f"{more}: {kept['DenseNet-BC'] / 2**20:.1f} MiB against {kept['ResNet-14'] / 2**20:.1f} MiB per "
    "32x32 image (float32). Every layer's BN and ReLU run on the whole concatenation, and autograd "
    "keeps each result."
)

# %% [markdown] tags=["question"]
# At ImageNet scale: how many times fewer parameters has DenseNet-121 than ResNet-50?

# %% tags=["question-answer"]
with torch.device("meta"):
    full = {name: count_parameters(models.build_model(name)) for name in ("densenet121", "resnet50")}
say(
    f"{full['resnet50'] / full['densenet121']:.1f} times: {full['densenet121']:,} against "
    f"{full['resnet50']:,}."
)

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Claims ledger
#
# An "about equal" claim is `shown` when every seed's paired difference stays within its margin
# (`cnnlessons.claims.judge`); the constructive claims check the figures above.

# %% tags=["nbval-ignore-output"]
from cnnlessons.claims import show_ledger

show_ledger(
    [
        efficiency.row(
            budget="more epochs, on all the images",
            converged=f"trained to the end, small_densenet {d_end['test_acc']:.1%}, small_resnet "
            f"{r_end['test_acc']:.1%}",
            reference=end_entry(lesson.claims.PARAMETER_EFFICIENCY.id),
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
# - DenseNet-BC adds 1x1 bottlenecks and compression; the paper claims ResNet's accuracy with
#   fewer parameters, paid for in memory.

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Papers
#
# - G. Huang, Z. Liu, L. van der Maaten, K. Q. Weinberger. *Densely Connected Convolutional
#   Networks.* CVPR 2017. arXiv:1608.06993.
# - K. He, X. Zhang, S. Ren, J. Sun. *Identity Mappings in Deep Residual Networks.* ECCV 2016.
#   arXiv:1603.05027 (the pre-activation ResNet-1001 of the comparison).
# - G. Pleiss, D. Chen, G. Huang, T. Li, L. van der Maaten, K. Q. Weinberger. *Memory-Efficient
#   Implementation of DenseNets.* arXiv:1707.06990, 2017.
# - P. Lippe. *UvA Deep Learning Tutorials*, Tutorial 5. 2022.
#
# Next: `06_summary.ipynb`.
