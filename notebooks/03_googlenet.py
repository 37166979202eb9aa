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
# GoogLeNet won ILSVRC 2014, 22 layers deep with far fewer parameters than AlexNet or VGGNet, from
# two ideas: **1x1 convolutions** that shrink the channels before an expensive 3x3 or 5x5
# convolution, and the **Inception block**, which runs several filter sizes side by side.
#
# After this lesson you can
#
# 1. show that a 1x1 convolution is a linear layer applied to every pixel, and count what it saves;
# 2. build an Inception block and follow the shapes through its branches;
# 3. check the source's table of layers and parameters against the real models;
# 4. write batch normalisation by hand, and train a scaled-down GoogLeNet with and without it.

# %% tags=["nbval-ignore-output"]
import matplotlib.pyplot as plt
import torch
from torch import nn

from cnnlessons import load_data, models, plot_history, set_seed
from cnnlessons.lessons import googlenet as lesson
from cnnlessons.measure import count_parameters
from cnnlessons.plots import legible
from cnnlessons.runs.announce import announce
from cnnlessons.runs.reference import end_entry
from cnnlessons.runs.results import converged_runs, reference_runs
from cnnlessons.views import diagram, fold_layers, fold_references, say

data = load_data(profile)
print(data)

# %% [markdown] slideshow={"slide_type": "slide"}
# ## The network, drawn from the code
#
# The lesson's scaled-down GoogLeNet on one 32x32 image: a stem, five Inception blocks (section 3
# opens one), global average pooling and one linear layer.

# %% slideshow={"slide_type": "fragment"}
fig = diagram(
    models.SmallGoogLeNet().eval(), (3, 32, 32), title="the lesson's SmallGoogLeNet on 32x32 images"
)
plt.show()
say("*Figure: SmallGoogLeNet, layer by layer, each box with its output shape.*")

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 1. A 1x1 convolution is a per-pixel linear map across channels
#
# A 1x1 convolution mixes the C_in channels of each pixel (h, w) into C_out channels with one
# weight matrix W (C_out x C_in) shared by all pixels:
#
# $$y_{o,h,w} = b_o + \sum_{c=1}^{C_\text{in}} W_{o,c}\, x_{c,h,w}.$$
#
# It keeps width and height: an `nn.Linear(C_in, C_out)` applied to every pixel, or one `einsum`.

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
print(f"input {tuple(x.shape)} -> 1x1 conv, einsum and per-pixel Linear: {tuple(y_conv.shape)}")
say(
    f"The 1x1 convolution turned {x.shape[1]} channels into {y_conv.shape[1]} on the same "
    f"{x.shape[2]}x{x.shape[3]} grid and "
    + ("equals" if same else "does not equal")
    + f" a Linear({x.shape[1]}, {y_conv.shape[1]}) on each pixel, to float32 rounding (below)."
)

# %% tags=["nbval-ignore-output"]
# The last digits of float32 rounding depend on the CPU's kernels, so these figures are not compared.
diff_einsum = (y_conv - y_einsum).abs().max().item()
diff_linear = (y_conv - y_linear).abs().max().item()
print(f"max |conv - einsum| = {diff_einsum:.1e}, max |conv - per-pixel Linear| = {diff_linear:.1e}")

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 2. Same receptive field and output size with far fewer parameters
#
# A kxk convolution from C_in to C_out channels has k²·C_in·C_out weights. GoogLeNet first reduces
# the channels to r with a 1x1 convolution:
#
# $$k^2 C_\text{in} C_\text{out} \quad\text{against}\quad C_\text{in}\, r + k^2 r\, C_\text{out}.$$
#
# The source's example is 128 -> 128 channels with r = 32: 9·128·128 = 147,456 weights against
# 128·32 + 9·32·128 = 4,096 + 36,864 = 40,960. Both, as real layers without biases:

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
say(
    f"The reduced path needs {cmp.saving:.0%} of the weights and "
    f"{cmp.reduced_flops / cmp.direct_flops:.0%} of the FLOPs, for the same output shape and "
    f"{cmp.direct_receptive_field[0]}x{cmp.direct_receptive_field[1]} receptive field (measured)."
)

# %% [markdown] slideshow={"slide_type": "subslide"}
# The saving is not free: the 3x3 convolution now sees only 32 mixtures of the 128 channels. The
# paper's argument (its section 5) is that correlated channels embed in fewer with little loss.
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
# Pick a branch of GoogLeNet and move its reduction's width: its cost (solid) against no
# reduction (dashed).

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
say("*Figure: cost of block 3a's 5x5 branch against its reduction's width.*")
say(
    f"The paper's {b.reduced_channels}-channel reduction keeps "
    f"{with_reduction.params / without.params:.0%} of the parameters; any reduction narrower than "
    f"k²·C_in·C_out / (C_in + k²·C_out) = {break_even:.0f} channels saves."
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
# Every branch keeps height and width, so the outputs stack along the channels. The pooling branch
# needs its 1x1 convolution: max pooling keeps all C_in channels, so without it every block would
# give more channels than it received. GoogLeNet's block 3a (the library's `Inception`):

# %% slideshow={"slide_type": "fragment"}
block = models.Inception(192, 64, (96, 128), (16, 32), 32)
x = torch.randn(1, 192, 28, 28)
shapes, out_shape = lesson.branch_shapes(block, x)
for (name, shape), branch in zip(shapes, block.branches, strict=False):
    print(f"branch {name:<20} -> {shape}, {count_parameters(branch):>7,} parameters")
print(f"concatenated output      -> {out_shape}")
say(
    f"The branches give {' + '.join(str(s[1]) for _, s in shapes)} = {out_shape[1]} channels on "
    f"the same {out_shape[2]}x{out_shape[3]} grid."
)

# %% [markdown] slideshow={"slide_type": "subslide"}
# GoogLeNet stacks nine such blocks. (torchvision's has a 3x3 kernel in its "5x5" branch, a slip
# the course's `GoogLeNet` copies; `build_model("googlenet_paper")` has the paper's 5x5.)
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
say("*Figure: your block beside the library's.*")

# %% [markdown] slideshow={"slide_type": "subslide"}
# The paper's *naive* block (its Figure 2a: no 1x1 convolutions, the pooled input passed on), the
# same with the pool branch projected, and the block with reductions (Figure 2b):

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
say("*Figures: block 3a three ways, with output shapes.*")
say(
    f"The reductions leave {count_parameters(reduced_3a) / count_parameters(naive_3a):.0%} of the "
    f"projected naive block's parameters; the Figure 2a block passes its {naive_2a.in_channels} "
    f"input channels on: {naive_2a.out_channels} out."
)


# %% [markdown] slideshow={"slide_type": "slide"}
# ## 4. The source's table: AlexNet 8 layers 60M, VGGNet 19 layers 110M, GoogLeNet 22 layers 4M
#
# The full-size models built with the course's blocks (on the `meta` device: no storage), their
# parameters counted, their layers measured on the longest path, beside torchvision's.

# %%
from IPython.display import Markdown, display

rows = lesson.architecture_table()
display(Markdown(lesson.format_table(rows)))

# %% slideshow={"slide_type": "fragment"}
by_name = {row.name: row for row in rows}
alexnet, vgg19, googlenet = by_name["AlexNet"], by_name["VGG-19"], by_name["GoogLeNet"]
paper_googlenet = by_name["GoogLeNet, the paper's layers"]
say(
    f"The layer counts are right ({alexnet.layers}, {vgg19.layers}, {googlenet.layers}), and "
    f"AlexNet's {alexnet.params / 1e6:.1f}M is close to 60M; but VGG-19 has "
    f"{vgg19.params / 1e6:.1f}M parameters, not 110M, and GoogLeNet {googlenet.params / 1e6:.1f}M "
    f"({paper_googlenet.params / 1e6:.1f}M with the paper's 5x5 layers and biases), not 4M: "
    f"{alexnet.params / googlenet.params:.1f} times fewer than AlexNet, "
    f"{vgg19.params / googlenet.params:.0f} times fewer than VGG-19."
)

# %% [markdown] slideshow={"slide_type": "subslide"}
# Most of VGG-19's parameters sit in its first fully connected layer (512·7·7·4096 = 102,764,544
# weights); GoogLeNet pools globally to 1024 features for one classifier. Its two auxiliary
# classifiers, which inject gradient mid-network in training only, nearly double the count.

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 5. Experiment: a scaled-down GoogLeNet
#
# `SmallGoogLeNet`: GoogLeNet's branch proportions at a quarter of its width, with batch norm
# (section 6) after every convolution, as in torchvision.

# %% tags=["nbval-ignore-output"]
recipe = lesson.recipes.GOOGLENET
set_seed(0)
table = fold_layers(recipe.build(recipe.run("SmallGoogLeNet"), data), data.input_size, depth=2)
announce(recipe, data, profile)
model, history = recipe.fit_run(recipe.run("SmallGoogLeNet"), data, profile)
reference = reference_runs(recipe.key) + converged_runs("small_googlenet")
fig = legible(
    plot_history(
        history,
        ("train_error", "val_error"),
        reference=reference,
        title=f"SmallGoogLeNet, this run: test accuracy {history.test_acc:.1%}",
    )
)
plt.show()
say("*Figure: training and validation error per epoch, this run solid, the checkpoint dashed.*")
fold_references(reference)

# %% tags=["nbval-ignore-output"] slideshow={"slide_type": "fragment"}
checkpoint = models.build_model("small_googlenet", weights="cifar10")
record = checkpoint.checkpoint_record
same_net = count_parameters(checkpoint) == count_parameters(model)
say(
    f"After {history.epoch[-1]} epochs on {len(data.train_labels):,} images this run reaches "
    f"{history.test_acc:.1%} test accuracy. The dashed curve is the checkpoint `small_googlenet`, "
    + (
        "the same network"
        if same_net
        else f"the same design for CIFAR-10 ({count_parameters(checkpoint):,} parameters)"
    )
    + f" trained to the end: {record['test_acc']:.1%} after {record['epochs']} epochs on "
    f"{record['train_size']:,} CIFAR-10 images."
)

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 6. Batch normalisation, by hand
#
# Batch normalisation (BN; Ioffe and Szegedy, 2015) came after the 2014 GoogLeNet, and was
# introduced on it ("BN-Inception"). In training it normalises each channel with the batch's mean
# $\mu_B$ and variance $\sigma_B^2$ over N, H and W, then scales and shifts it:
#
# $$\hat z = \frac{z - \mu_B}{\sqrt{\sigma_B^2 + \epsilon}}, \qquad y = \gamma \hat z + \beta.$$
#
# It keeps running averages of $\mu_B$ and $\sigma_B^2$ for evaluation, where there may be no batch.
#
# ### Exercise: `batch_norm_forward`
#
# Write `batch_norm_forward(x, weight, bias, running_mean, running_var, training, momentum=0.1,
# eps=1e-5)` as `nn.BatchNorm2d` computes it, for x of shape N x C x H x W. In training: normalise
# with the batch's mean and *biased* variance, scale by `weight`, shift by `bias`, and update the
# running statistics in place under `torch.no_grad()`: running = (1 − momentum) · running +
# momentum · batch statistic, with the *unbiased* variance. In evaluation: normalise with the
# running statistics, change nothing.


# %% slideshow={"slide_type": "skip"}
def batch_norm_forward(
    x: torch.Tensor,
    weight: torch.Tensor,
    bias: torch.Tensor,
    running_mean: torch.Tensor,
    running_var: torch.Tensor,
    training: bool,
    momentum: float = 0.1,
    eps: float = 1e-5,
) -> torch.Tensor:
    ### BEGIN SOLUTION
    if training:
        mean = x.mean(dim=(0, 2, 3))
        var = x.var(dim=(0, 2, 3), unbiased=False)
        n = x.numel() / x.shape[1]
        with torch.no_grad():
            running_mean.mul_(1 - momentum).add_(momentum * mean)
            running_var.mul_(1 - momentum).add_(momentum * var * n / (n - 1))
    else:
        mean, var = running_mean, running_var
    x_hat = (x - mean[None, :, None, None]) / torch.sqrt(var[None, :, None, None] + eps)
    return weight[None, :, None, None] * x_hat + bias[None, :, None, None]
    ### END SOLUTION


# %% slideshow={"slide_type": "skip"}
check("googlenet.batch_norm_forward", batch_norm_forward)

# %% [markdown] slideshow={"slide_type": "subslide"}
# Training against evaluation statistics: `nn.BatchNorm2d` on batches of mean 2 and standard
# deviation 3, checked against the formula by hand in both modes.

# %% tags=["nbval-ignore-output"]
torch.manual_seed(0)
norm = nn.BatchNorm2d(4)
batches = [torch.randn(32, 4, 8, 8) * 3 + 2 for _ in range(50)]
largest = 0.0
for seen, xb in enumerate(batches, start=1):
    with torch.no_grad():
        trained = norm.train()(xb)
        var, mean = torch.var_mean(xb, dim=(0, 2, 3), correction=0)
        by_hand = (xb - mean.view(1, -1, 1, 1)) / torch.sqrt(var.view(1, -1, 1, 1) + norm.eps)
        largest = max(largest, (trained - by_hand).abs().max().item())
        if seen in (1, 10, 50):
            evaluated = norm.eval()(xb)
            mu, sigma2 = norm.running_mean.view(1, -1, 1, 1), norm.running_var.view(1, -1, 1, 1)
            largest = max(largest, (evaluated - (xb - mu) / torch.sqrt(sigma2 + norm.eps)).abs().max().item())
            print(
                f"after {seen:>2} batch{'es' if seen > 1 else ''}: running mean "
                f"{norm.running_mean.mean():.2f}, running std "
                f"{norm.running_var.sqrt().mean():.2f}; output mean and std in training "
                f"{trained.mean():+.2f}, {trained.std():.2f}, in evaluation {evaluated.mean():+.2f}, "
                f"{evaluated.std():.2f}"
            )
say(
    "In training the output is normalised from the first batch; in evaluation only once the running "
    f"averages have caught up. By hand matches `nn.BatchNorm2d` to {largest:.0e}."
)

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 7. Two ablations: the 1x1 reductions, and batch normalisation
#
# **The reductions.** The paper's claim (section 4): reductions let a block afford more width at
# the same compute; its naive block gives "a computational blow up within a few stages". The small
# GoogLeNet with each of section 3's blocks:

# %% tags=["nbval-ignore-output"] slideshow={"slide_type": "fragment"}
ablations = lesson.recipes.ABLATIONS
arms = ablations.arms_for(lesson.claims.REDUCTIONS, profile)
naive_width = ablations.run(arms["naive"], profile).model_kwargs["width"]
wide_width = ablations.run(arms["reduced"], profile).model_kwargs["width"]
growth = lesson.naive_growth(width=naive_width, input_size=data.input_size)
print(f"{'blocks':<30} {'channels after each block':<28} {'weights':>10} {'MFLOPs':>8}")
for cost in growth:
    print(
        f"{cost.design:<30} {' '.join(f'{c:>4}' for c in cost.channels):<28} {cost.weights:>10,} "
        f"{cost.flops / 1e6:>8.1f}"
    )
reduced_cost, projected_cost, naive_cost_2a = growth
say(
    f"Without 1x1 convolutions the channels grow from {naive_cost_2a.channels[0]} to "
    f"{naive_cost_2a.channels[-1]}, at {naive_cost_2a.flops / reduced_cost.flops:.1f} times the FLOPs; "
    f"with the pool branch projected, {projected_cost.flops / reduced_cost.flops:.1f} times."
)

# %% [markdown] slideshow={"slide_type": "subslide"}
# So at equal FLOPs the reduced net can be wider. The naive net here keeps the pool branch's
# projection; the reduced net has every width scaled by the smallest factor that brings its FLOPs
# within a tenth of the naive net's.
#
# **Batch normalisation.** The BN paper says it buys much larger learning rates and faster training.
# All nets start from He initialisation; without BN the net gets two rates, 0.1 and 0.01.
#
# Five runs on each seed, on half the profile's images; test accuracy on the whole test split.

# %% tags=["nbval-ignore-output"]
from cnnlessons.plots import plot_paired, plot_seeds

announce(ablations, data, profile, seeds=profile.seeds)
ablation_runs = ablations.train_seeds(data, profile)
for label, by_seed in ablation_runs.items():
    first = next(iter(by_seed.values()))
    print(
        f"{label:>20}: {first.info['parameters']:>9,} parameters, {first.info['flops'] / 1e6:6.1f} MFLOPs; "
        "test accuracy " + ", ".join(f"seed {seed} {h.test_acc:.1%}" for seed, h in by_seed.items())
    )
mean_acc = {label: sum(h.test_acc for h in by.values()) / len(by) for label, by in ablation_runs.items()}
fig = legible(
    plot_seeds(
        {f"{label} (test {mean_acc[label]:.0%})": by for label, by in ablation_runs.items()},
        ("train_eval_error", "val_error"),
        title="the small GoogLeNet, five ways (mean test accuracy in the legend)",
    ),
    columns=3,
)
plt.show()
say("*Figure: training (eval mode) and validation error per epoch of the five runs, all seeds.*")
order = [arms["naive"], arms["reduced"], *ablations.arms_for(lesson.claims.BATCH_NORM, profile).values()]
fig = legible(plot_paired(ablation_runs, "test_acc", labels=order, title="test accuracy, seed by seed"))
plt.show()
say("*Figure: each run's test accuracy, one line per seed.*")

# %% tags=["nbval-ignore-output"] slideshow={"slide_type": "fragment"}
reductions = ablations.judge(lesson.claims.REDUCTIONS, ablation_runs)
batch_norm = ablations.judge(lesson.claims.BATCH_NORM, ablation_runs)
flops = {arm: reductions.figures[arm]["flops"] for arm in ("reduced", "naive")}


def ahead(points: float) -> str:
    return f"{points:.1f} points ahead of" if points > 0 else f"{-points:.1f} points behind"


say(
    f"At {flops['reduced'] / flops['naive']:.0%} of the naive net's FLOPs, the reduced net "
    f"({wide_width / naive_width:.2f} times as wide) is {ahead(reductions.mean)} it in test accuracy "
    f"(mean over the seeds): **{reductions.verdict}**. With BN at lr 0.1 the net is "
    f"{ahead(batch_norm.mean)} the better run without BN: **{batch_norm.verdict}**."
)

# %% [markdown] slideshow={"slide_type": "subslide"}
# What BN does inside: the mean and spread of each convolution's output (after its BN) on one
# training batch, with and without BN (lr 0.1, seed 0), before and after training.

# %% tags=["nbval-ignore-output"]
from cnnlessons import views

xb, _ = data.batch("train", 128)
stats = {}
for label in (
    ablations.arms_for(lesson.claims.BATCH_NORM, profile)[arm]
    for arm in ("bn, high rate", "no bn, high rate")
):
    run = ablations.run(label, profile)
    set_seed(0)
    name = "without BN" if run.model_kwargs.get("batch_norm") is False else "with BN"
    stats[f"{name}, initialised"] = views.activation_stats(ablations.build(run, data), xb)
    trained, _ = ablations.fit_run(run, data, profile, seed=0)  # from the run cache: trained above
    stats[f"{name}, trained"] = views.activation_stats(trained, xb)
fig = legible(views.plot_activation_stats(stats, title="what each conv layer passes on, with and without BN"))
plt.show()
say("*Figure: mean and standard deviation (log scale) of each conv layer's output.*")
spread = {name: (rows[0].std, rows[-1].std) for name, rows in stats.items()}
say(
    "Trained, the first and last layers pass on standard deviations of "
    f"{spread['with BN, trained'][0]:.2f} and {spread['with BN, trained'][1]:.2f} with BN, "
    f"{spread['without BN, trained'][0]:.2f} and {spread['without BN, trained'][1]:.2f} without: "
    "without BN nothing brings a layer's size back."
)

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 8. Look inside: what a trained GoogLeNet learned
#
# The checkpoint `small_googlenet` on CIFAR-10 (else this run's net): its layers, its stages'
# feature maps, and where it finds its evidence (Grad-CAM, Selvaraju et al., ICCV 2017).

# %% tags=["nbval-ignore-output"]
from cnnlessons.explorers.views import look_inside

inside = look_inside(  # converged=None: this run's own
    model, data, converged="small_googlenet", fold_table=True, accuracy=history.test_acc
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

accuracy = per_class_accuracy("small_googlenet")
names, counts = confusion_matrix("small_googlenet")
fig = plot_class_errors("small_googlenet")
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
mistakes = confident_mistakes_on("small_googlenet", data)
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
# ### The library's code: convolution, batch norm, ReLU
#
# The unit of every convolution in `SmallGoogLeNet`:

# %%
from cnnlessons.layers import conv_bn_relu

views.show_source(conv_bn_relu, fold=True)

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Questions
#
# Predict, then run the cell below each question.

# %% [markdown] tags=["question"]
# Block 5b's 3x3 branch reduces 832 channels to 192, then convolves to 384. What share of the
# unreduced 3x3's parameters does it keep?

# %% tags=["question-answer"]
b5 = lesson.GOOGLENET_BRANCHES["5b 3x3"]
kept = lesson.branch_cost(b5.in_channels, b5.reduced_channels, b5.out_channels, 3, b5.size)
full = lesson.branch_cost(b5.in_channels, None, b5.out_channels, 3, b5.size)
say(
    f"{kept.params / full.params:.0%} ({kept.params:,} against {full.params:,}): it keeps "
    f"{b5.reduced_channels / b5.in_channels:.0%} of the channels."
)

# %% [markdown] tags=["question"]
# How many numbers does an `nn.BatchNorm2d(64)` hold, learned and not?

# %% tags=["question-answer"]
bn64 = nn.BatchNorm2d(64)
learned = sum(p.numel() for p in bn64.parameters())
kept_stats = sum(t.numel() for t in bn64.buffers())
say(f"{learned} learned (γ, β) and {kept_stats} kept: running mean and variance, and a batch count.")

# %% [markdown] tags=["question"]
# A convolution with a bias, then BN in training mode: does the bias change the output?

# %% tags=["question-answer", "nbval-ignore-output"]
torch.manual_seed(0)
conv_b = nn.Conv2d(8, 16, 3, padding=1)
after = nn.BatchNorm2d(16)
xq = torch.randn(4, 8, 10, 10)
with torch.no_grad():
    with_bias = after(conv_b(xq))
    conv_b.bias.add_(5.0)
    shifted = after(conv_b(xq))
say(
    f"No (at most {(with_bias - shifted).abs().max():.0e}): BN subtracts each channel's mean, bias "
    "and all, so convolutions before BN usually have none."
)

# %% [markdown] tags=["question"]
# In evaluation BN is a fixed per-channel scale and shift. Can it be folded into the convolution
# before it, leaving one convolution?

# %% tags=["question-answer", "nbval-ignore-output"]
torch.manual_seed(0)
conv_f, bn_f = nn.Conv2d(8, 16, 3, padding=1), nn.BatchNorm2d(16)
with torch.no_grad():
    bn_f.running_mean.normal_()
    bn_f.running_var.uniform_(0.5, 2.0)
    bn_f.weight.normal_()
    bn_f.bias.normal_()
    scale = bn_f.weight / torch.sqrt(bn_f.running_var + bn_f.eps)
    fused = nn.Conv2d(8, 16, 3, padding=1)
    fused.weight.copy_(conv_f.weight * scale.view(-1, 1, 1, 1))
    fused.bias.copy_((conv_f.bias - bn_f.running_mean) * scale + bn_f.bias)
    gap = (bn_f.eval()(conv_f(xq)) - fused(xq)).abs().max()
say(
    f"Yes: weights times γ/√(σ² + ε), bias (b − μ)·γ/√(σ² + ε) + β; the fused convolution differs "
    f"by at most {gap:.0e}."
)

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Claims ledger
#
# Every claim, with the paper's figure and this run's. An effect claim is `shown` when every
# seed's paired difference has the claimed sign and their mean clears the margin
# (`cnnlessons.claims.judge`); the constructive claims check the figures computed above.

# %% tags=["nbval-ignore-output"]
from cnnlessons.claims import show_ledger

show_ledger(
    [
        reductions.row(
            budget="more epochs for both nets, or runs trained to the end",
            reference=end_entry(lesson.claims.REDUCTIONS.id),
        ),
        batch_norm.row(
            budget="more epochs for the three runs", reference=end_entry(lesson.claims.BATCH_NORM.id)
        ),
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
# - A 1x1 convolution is a linear layer on every pixel's channels; in front of a 3x3 it cuts the
#   weights (147,456 -> 40,960 in the source's example) for the same receptive field.
# - The Inception block runs 1x1, 3x3, 5x5 and pooling branches side by side and concatenates them.
# - BN normalises each channel with the batch's statistics in training, running averages in
#   evaluation.
# - The source's layer counts are right; its parameter counts for VGG-19 (143.7M) and GoogLeNet
#   (6.6M-7.0M) are not.

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Papers
#
# - C. Szegedy, W. Liu, Y. Jia, P. Sermanet, S. Reed, D. Anguelov, D. Erhan, V. Vanhoucke,
#   A. Rabinovich. *Going Deeper with Convolutions.* CVPR 2015. arXiv:1409.4842.
# - M. Lin, Q. Chen, S. Yan. *Network In Network.* ICLR 2014. arXiv:1312.4400 (the 1x1 convolution
#   as a per-pixel network).
# - S. Ioffe, C. Szegedy. *Batch Normalization: Accelerating Deep Network Training by Reducing
#   Internal Covariate Shift.* ICML 2015. arXiv:1502.03167 (used in torchvision's GoogLeNet).
#
# Next: `04_resnet.ipynb`.
