# ---
# jupyter:
#   jupytext:
#     text_representation:
#       extension: .py
#       format_name: percent
# ---

# %% [markdown] tags=["colab-badge"] slideshow={"slide_type": "skip"}
# [![Open In Colab](https://colab.research.google.com/assets/colab-badge.svg)](https://colab.research.google.com/github/cnnlessons/cnnlessons/blob/main/notebooks/01_alexnet.ipynb)

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
# # 01 · AlexNet: ReLU, two GPUs, LRN and overlapping pooling, augmentation, dropout
#
# AlexNet (Krizhevsky, Sutskever and Hinton) won the 2012 ImageNet challenge with 15.3% top-5
# error, against 26.2% for the runner-up. This lesson checks each claim made about its techniques.
# After it you can
#
# 1. say why ReLU trains deep stacks, and what initialisation has to do with it;
# 2. read the paper's Figure 1 (ReLU against tanh) through each activation's learning-rate window;
# 3. write the two GPU "towers" as a grouped convolution and run them on two devices;
# 4. compute a layer's output size; say what overlapping pooling, LRN, augmentation and dropout do;
# 5. read a trained network's filters, per-class accuracy and confident mistakes.

# %% tags=["nbval-ignore-output"]
import torch

from cnnlessons import load_data
from cnnlessons.lessons import alexnet as lesson
from cnnlessons.plots import legible, plot_gradient_sizes
from cnnlessons.views import say

data = load_data(profile)
print(data)

# %% [markdown] slideshow={"slide_type": "slide"}
# ## The network, drawn from the code
#
# AlexNet as the paper built it: 96, 256, 384, 384 and 256 channels, local response normalisation
# (LRN) after conv1 and conv2, most layers split into two "towers" (the lanes), one per GPU; each
# box gives its output shape and parameters. Below, the lesson's `SmallAlexNet` for 32x32 images.

# %% slideshow={"slide_type": "fragment"}
import matplotlib.pyplot as plt

from cnnlessons import models
from cnnlessons.views import diagram

paper_alexnet = models.AlexNet(channels=models.PAPER_CHANNELS, groups=2, lrn=True).eval()
fig = diagram(
    paper_alexnet,
    (3, 224, 224),
    title="AlexNet as the paper built it: 96 first-layer channels, LRN, two towers",
)
plt.show()
fig = diagram(
    models.SmallAlexNet(groups=2).eval(), (3, 32, 32), title="the lesson's SmallAlexNet, two towers, on 32x32"
)
plt.show()

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 1. ReLU avoids vanishing gradients
#
# The lecture says: *ReLU keeps the model close to linear, is easy to optimise, generalises well,
# and avoids vanishing gradients.* Back-propagation multiplies the gradient, layer after layer, by
# the weights and the activation's derivative:
#
# $$\frac{\partial L}{\partial h_{l-1}}
# = W_l^\top \left(f'(z_l) \odot \frac{\partial L}{\partial h_l}\right).$$
#
# The sigmoid's derivative is at most 1/4, ReLU's 1 where the unit is active; the weights' scale
# matters too. He initialisation, variance 2 / fan-in (He et al., 2015), makes up for the half of
# the signal a ReLU zeroes. We measure |d loss / d weight| per layer of a 20-layer stack, with He's
# variance and with PyTorch's default, six times smaller.

# %% tags=["nbval-ignore-output"]
images, labels = data.batch("train", 256)
DEPTH = lesson.claims.GRADIENT_DEPTH
grads = {
    init: {
        a: lesson.gradient_sizes_by_activation(
            images, labels, depth=DEPTH, activation=a, init=init, num_classes=data.num_classes
        )
        for a in ("relu", "tanh", "sigmoid")
    }
    for init in ("kaiming", "default")
}

fig, axes = plt.subplots(1, 2, figsize=(11, 4.2), sharey=True)
for ax, (init, sizes) in zip(axes, grads.items(), strict=False):
    plot_gradient_sizes(sizes, ax=ax, title=f"{DEPTH} layers, {lesson.INITS[init]} init")
legible(fig)
plt.show()
ratio = {init: {a: g[0] / g[-1] for a, g in sizes.items()} for init, sizes in grads.items()}
he, default = ratio["kaiming"], ratio["default"]
say(
    "*Figure: gradient size per layer (1: next to the input); He initialisation left, PyTorch's "
    "default right.* With He initialisation the ReLU stack's first layer gets "
    f"{he['relu']:.2f} times the gradient of its last"
    + (": no vanishing" if 0.1 <= he["relu"] <= 10 else "")
    + f"; the sigmoid stack's first layer {he['sigmoid']:.1e} times"
    + (", whatever the initialisation" if default["sigmoid"] < 1e-3 and he["sigmoid"] < 1e-3 else "")
    + f". With PyTorch's default, ReLU's falls to {default['relu']:.1e}"
    + (
        ": ReLU avoids vanishing gradients *when the weights are initialised for it*."
        if default["relu"] < 1e-3
        else "."
    )
)

# %% [markdown] slideshow={"slide_type": "subslide"}
# ### Explorer: activation and depth against gradient size
#
# Try sigmoid at 40 layers, then ReLU with PyTorch's default init at 40 layers.

# %%
from cnnlessons.lessons.alexnet.explorer import GradientExplorer

explorer = GradientExplorer(images, labels, num_classes=data.num_classes)
explorer.static()

# %% tags=["nbval-ignore-output"]
explorer

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 2. ReLU trains faster: the paper's Figure 1 at course scale
#
# The paper's Figure 1: *a four-layer convolutional neural network with ReLUs reaches a 25%
# training error rate on CIFAR-10 six times faster than an equivalent network with tanh neurons.*
# Our four-layer CNN (three 5x5 convolutions with pooling, one fully connected layer) changes only
# the activation. As in the paper: SGD with momentum at a fixed rate chosen for each activation "to
# make training as fast as possible", no regularisation; He initialisation for ReLU, Glorot for
# tanh. A quarter of the profile's images for at most 2.5 times its epochs; we count the epochs to
# 25% training error (eval mode), and each run stops there.

# %% tags=["nbval-ignore-output"]
from cnnlessons.plots import plot_paired, plot_seeds
from cnnlessons.runs.announce import announce

figure1 = lesson.recipes.FIGURE1
announce(figure1, data, profile, seeds=profile.seeds, what="Figure 1, ReLU against tanh")
fig1_runs = figure1.train_seeds(data, profile)
fig = plot_seeds(
    fig1_runs,
    ["train_eval_error"],
    target=figure1.target,
    title=f"Figure 1 at course scale: ReLU (lr {lesson.recipes.FIGURE1_LR['relu']:g}) against tanh "
    f"(lr {lesson.recipes.FIGURE1_LR['tanh']:g})",
)
legible(fig)
plt.show()
relu_vs_tanh = figure1.judge(lesson.claims.RELU_VS_TANH, fig1_runs)
epochs = lesson.epochs_to(fig1_runs, figure1.target)
first, means = lesson.first_to_target(fig1_runs, figure1.target)
print(
    "\n".join(
        f"{label}: epochs to {figure1.target:.0%} training error, per seed: "
        + ", ".join(
            f"{s}: {n}" if n <= len(fig1_runs[label][s].epoch) else f"{s}: not within {n - 1}"
            for s, n in by_seed.items()
        )
        for label, by_seed in epochs.items()
    )
)

# %% tags=["nbval-ignore-output"] slideshow={"slide_type": "fragment"}
target, ratio_mean = f"{figure1.target:.0%}", relu_vs_tanh.mean
late = any(n > len(fig1_runs[lb][s].epoch) for lb, by in epochs.items() for s, n in by.items())
headline = {
    "tanh": f"**Tanh got there first**: it needed {means['tanh']:.1f} epochs to {target} training "
    f"error on average, ReLU {means['relu']:.1f}; seed by seed ReLU took {ratio_mean:.2f} times tanh's "
    "epochs on average. At course scale the result is the reverse of the paper's Figure 1, where ReLU "
    "took about 1/6.",
    "relu": f"**ReLU got there first**: {means['relu']:.1f} epochs to {target} training error on "
    f"average against tanh's {means['tanh']:.1f}, {ratio_mean:.2f} of tanh's epochs (the paper: about "
    "1/6)"
    + (
        ", at most half on every seed, as the claim asks."
        if relu_vs_tanh.verdict == "shown"
        else ", but not at most half on every seed, as the claim asks."
    ),
    "tie": f"ReLU and tanh needed the same epochs to {target} training error on average "
    f"({means['relu']:.1f}); the paper's ReLU took about 1/6 of tanh's.",
}[first]
say(
    "*Figure: training error (eval mode) per epoch, one line per seed; the dotted line is the "
    f"target.* {headline}"
    + (" A run that never got there counts as one epoch past the budget." if late else "")
    + f" Verdict: {relu_vs_tanh.verdict} ({relu_vs_tanh.reason})."
)

# %% [markdown] slideshow={"slide_type": "subslide"}
# ### Why: each activation's learning-rate window
#
# Each activation trains at its own best rate. The recipe's (ReLU 0.01, tanh 0.1) came from a sweep
# on seeds 100 and 101; here it is, cut to a fifth of Figure 1's epochs, on seed 100 (on both in
# the `gpu` profile).

# %% tags=["nbval-ignore-output"]
window_recipe = lesson.recipes.FIGURE1_WINDOW
window_seeds = lesson.figure1_window_seeds(profile)
announce(window_recipe, data, profile, seeds=window_seeds, what="the learning-rate window")
window_runs = lesson.figure1_window_runs(data, profile)
window = lesson.rate_window(window_runs)
n_epochs = window_recipe.epochs_for(profile)
fig = lesson.plot_rate_window(window, n_epochs, title="each activation's learning-rate window")
plt.show()

# %% tags=["nbval-ignore-output"] slideshow={"slide_type": "fragment"}
best = {a: lesson.best_rate(points) for a, points in window.items()}
at = {a: {p.lr: p.mean for p in points} for a, points in window.items()}
shared = sorted(set(at["relu"]) & set(at["tanh"]))
relu_ahead = [lr for lr in shared if at["relu"][lr] < at["tanh"][lr]]
chance = 1 - 1 / data.num_classes
top = window["relu"][-1]
parts = [
    f"*Figure: training error after {n_epochs} epochs against the learning rate; ReLU solid, tanh "
    f"dashed.* Best rates: ReLU {best['relu'].lr:g} ({best['relu'].mean:.0%} error), tanh "
    f"{best['tanh'].lr:g} ({best['tanh'].mean:.0%})."
]
if relu_ahead == shared:
    parts.append(
        f"At the rates both tried ({', '.join(f'{r:g}' for r in shared)}) ReLU was ahead, as the paper says."
    )
elif not relu_ahead:
    parts.append(f"At the rates both tried ({', '.join(f'{r:g}' for r in shared)}) tanh was ahead.")
else:
    parts.append(f"At equal rates ReLU led at {', '.join(f'{r:g}' for r in relu_ahead)} only.")
if top.mean >= chance - 0.05:
    parts.append(f"At {top.lr:g} ReLU stopped learning ({top.mean:.0%} error; chance is {chance:.0%}).")
tuned = lesson.recipes.FIGURE1_LR
picked = all(best[a].lr == tuned[a] for a in best)
parts.append(
    "These best rates are Figure 1's."
    if picked
    else f"Figure 1 trains at other rates (ReLU {tuned['relu']:g}, tanh {tuned['tanh']:g})."
)
ahead = "tanh" if best["tanh"].mean < best["relu"].mean else "relu"
parts.append(
    f"Each at its best rate, {'tanh' if ahead == 'tanh' else 'ReLU'} ends the sweep ahead"
    + (
        f"; tanh's best rate is {best['tanh'].lr / best['relu'].lr:.3g} times ReLU's"
        if ahead == "tanh" and best["tanh"].lr > best["relu"].lr
        else ""
    )
    + (
        f": that is why {'tanh' if first == 'tanh' else 'ReLU'} got to the target first in Figure 1."
        if picked and ahead == first
        else "."
    )
)
say(" ".join(parts))

# %% [markdown] slideshow={"slide_type": "subslide"}
# The paper trained on all 50,000 images for more epochs; so do the runs trained to the end (less a
# held-out tenth):

# %% tags=["nbval-ignore-output"]
from cnnlessons import plot_history
from cnnlessons.runs.evidence import epochs_to_target
from cnnlessons.runs.reference import end_entry, end_histories

end_runs = end_histories(lesson.recipes.FIGURE1_END.key)
relu_vs_tanh_end = end_entry(lesson.claims.RELU_VS_TANH.id)
if end_runs:
    fig = plot_history(
        end_runs, ["train_eval_error"], title="Figure 1 trained to the end, on all of CIFAR-10"
    )
    legible(fig)
    plt.show()
    say(
        "*Figure: training error (eval mode) per epoch of the runs trained to the end.* Epochs to "
        f"{target} training error: "
        + "; ".join(f"{h.label}: {epochs_to_target(h, figure1.target)}" for h in end_runs)
        + "."
        + (
            f" On their {len(relu_vs_tanh_end['seeds'])} seeds the claim is {relu_vs_tanh_end['verdict']}."
            if relu_vs_tanh_end and relu_vs_tanh_end["verdict"]
            else ""
        )
    )
else:
    say("None ships with this version of the course yet.")

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 3. Two GPUs, model parallel: the towers are a grouped convolution
#
# AlexNet did not fit on one 3 GB GPU, so the paper split each layer's kernels between two GPUs.
# Conv2, conv4 and conv5 read only their own GPU's half of the channels: a **grouped
# convolution**, `nn.Conv2d(c_in, c_out, k, groups=2)`, with k² · (c_in / 2) · c_out weights, half
# the ungrouped layer's. The paper's network, one tower and two:

# %%
rows = lesson.tower_parameters()
print(f"{'layer':>6} {'groups=1':>12} {'groups=2':>12} {'saved':>12}")
for r in rows:
    print(f"{r.layer:>6} {r.one_tower:>12,} {r.two_towers:>12,} {r.saved:>12,}")
total = rows[-1]
fc_share = sum(r.one_tower for r in rows if r.layer.startswith("fc")) / total.one_tower
say(
    f"The two towers save {total.saved:,} weights, {total.saved / total.one_tower:.1%} of the one-tower "
    f"net's {total.one_tower:,}: all in conv2, conv4 and conv5, while the fully connected layers hold "
    f"{fc_share:.0%} of all weights."
)

# %% [markdown] slideshow={"slide_type": "subslide"}
# `cnnlessons.parallel` runs the towers on two GPUs, or in two CPU processes exchanging
# activations through `torch.distributed`; the output must equal the one-device model's. Grouped
# convolutions outlived the GPUs (ResNeXt; depthwise: groups = channels).

# %% tags=["nbval-ignore-output"]
from cnnlessons.models import SmallAlexNet

torch.manual_seed(0)
two_towers = SmallAlexNet(data.num_classes, data.channels, groups=2, lrn=True)
x, _ = data.batch("val", 16)
result = lesson.model_parallel_check(two_towers, x)
print(
    f"backend: {result.backend}; parameters: one device {result.parameters:,}, per tower "
    f"{result.parameters_per_tower}; exchanges before {', '.join(result.exchanges)} "
    f"({result.bytes_exchanged:,} bytes for {len(x)} images)"
)
relative = result.max_abs_diff / result.max_abs_output
say(
    f"The two-device output differs from the one-device output by {relative:.0e} of its size"
    + (
        ": float rounding, so the two-device run *is* the grouped model."
        if relative < 1e-4
        else ": more than float rounding, so something differs."
    )
)

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 4. Local response normalisation and overlapping pooling
#
# ### The output size of a convolution or pooling layer
#
# A window of side k, moved with stride s over an input of side n padded by p on each side, fits
# floor((n + 2p − k) / s) + 1 times. Write it:


# %% slideshow={"slide_type": "skip"}
def conv_output_size(size: int, kernel_size: int, stride: int = 1, padding: int = 0) -> int:
    ### BEGIN SOLUTION
    return (size + 2 * padding - kernel_size) // stride + 1
    ### END SOLUTION


# %% slideshow={"slide_type": "skip"}
check("alexnet.conv_output_size", conv_output_size)

# %% [markdown] slideshow={"slide_type": "subslide"}
# ### Overlapping pooling: 3x3 windows with stride 2
#
# AlexNet pools 3x3 windows with stride 2, so neighbours overlap; 2x2 with stride 2 do not. Sizes
# on AlexNet's maps and ours, windows reading each pixel, receptive fields after (conv, pool) stages:

# %%
pools = lesson.pooling_sizes()
print(f"{'input':>6} {'3x3 s2':>7} {'2x2 s2':>7}")
for r in pools:
    print(f"{r.size:>6} {r.overlapping:>7} {r.non_overlapping:>7}")
over = lesson.pooling_coverage(9, 3, 2)
print("windows reading each pixel, 3x3 stride 2 on 9x9:\n", over)
fields = lesson.pooled_receptive_fields(3)
for name, f in fields.items():
    print(f"receptive field after 1, 2, 3 (3x3 conv, {name} pool) stages: {f}")
same = [r.size for r in pools if r.overlapping == r.non_overlapping]
smaller = [r for r in pools if r.overlapping < r.non_overlapping]
(over_name, over_fields), (plain_name, plain_fields) = fields.items()
say(
    f"3x3/s2 gives the size of 2x2/s2 on the odd sides ({', '.join(map(str, same))})"
    + (
        ", one pixel less on the even ones ("
        + ", ".join(f"{r.size}: {r.overlapping} against {r.non_overlapping}" for r in smaller)
        + ")"
        if smaller
        else ""
    )
    + f". After three stages an output sees {over_fields[-1]} pixels across against "
    f"{plain_fields[-1]}. The paper credits overlapping pooling with 0.4% lower top-1 error (section 3.4)."
)

# %% [markdown] slideshow={"slide_type": "subslide"}
# ### Local response normalisation
#
# LRN divides each activation by (k + α Σ a²)^β, summed over n = 5 neighbouring channels (the
# paper: k = 2, α = 1e-4, β = 0.75; PyTorch divides α by n, so the course passes 5 × 1e-4). The
# divisor on the first layer's outputs, for normalised inputs and for raw 0–255 pixels:

# %% tags=["nbval-ignore-output"]
torch.manual_seed(0)
lrn_net = SmallAlexNet(data.num_classes, data.channels, lrn=True)
effects = {scale: lesson.lrn_effect(lrn_net, x, scale=scale) for scale in (1.0, 255.0)}
for scale, e in effects.items():
    print(
        f"inputs x {scale:>5g}: median activation {e.activation_median:8.3f}; LRN divisor "
        f"min {e.divisor_min:.3f}, median {e.divisor_median:.3f}, max {e.divisor_max:.3f}"
    )
spread = {scale: e.divisor_max / e.divisor_min for scale, e in effects.items()}
say(
    f"The largest divisor is {spread[1.0]:.3f} times the smallest on normalised inputs and "
    f"{spread[255.0]:.2f} times on raw pixel values (k^β = {2.0**0.75:.3f}): LRN "
    + (
        "is close to a constant rescaling on the course's inputs"
        if spread[1.0] < 1.05
        else "varies across activations even on normalised inputs"
    )
    + (" and only normalises at the paper's pixel scale." if spread[255.0] > spread[1.0] else ".")
)

# %% [markdown] slideshow={"slide_type": "fragment"}
# The paper credits LRN with 1.4% lower top-1 error; VGG found no gain from it, and batch
# normalisation (2015) replaced it.

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 5. Data augmentation
#
# AlexNet's 60 million parameters would memorise 1.2 million images. The paper adds random crops,
# mirror images and a colour shift: each pixel of an image gets
# $[p_1, p_2, p_3]\,[\alpha_1\lambda_1, \alpha_2\lambda_2, \alpha_3\lambda_3]^\top$ added, with
# $p_i, \lambda_i$ the eigenvectors and eigenvalues of the RGB covariance over the training set and
# $\alpha_i \sim N(0, 0.1)$ drawn once per image. `fit` does crops and flips (section 7 trains with
# those two); the colour shift is `augmentation.pca_colour_shift`.

# %% tags=["nbval-ignore-output"]
from cnnlessons import augmentation
from cnnlessons.plots import show_gallery

pca = augmentation.colour_pca(data.train_images)
print("eigenvalues of the pixel-colour covariance:", [f"{v:.4f}" for v in pca.eigenvalues.tolist()])
print("principal components (columns):\n", pca.eigenvectors.numpy().round(3))
gallery = augmentation.augmentation_gallery(data, n=8)
fig = show_gallery(gallery)
plt.show()
shifts = {
    name: float((gallery[name].float() - gallery["original"].float()).abs().mean())
    for name in list(gallery)[-2:]
}
first_pc = pca.eigenvectors[:, 0].abs()
say(
    "*Figure: eight training images, one augmentation per row.* Crops shift the object by up to "
    f"{data.crop_padding} pixel{'s' if data.crop_padding != 1 else ''}. The colour shift changes a pixel by "
    + " and ".join(f"{v:.1f} grey levels ({name})" for name, v in shifts.items())
    + " on average; its first component ("
    f"{pca.eigenvalues[0] / pca.eigenvalues.sum():.0%} of the variance) is "
    f"({', '.join(f'{v:.2f}' for v in first_pc.tolist())})"
    + (": overall brightness." if float(first_pc.min()) > 0.45 else ".")
    + (" Flips are off for the digits: a mirrored 3 is no 3." if data.name == "digits" else "")
)

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 6. Dropout
#
# Dropout zeroes each hidden unit with probability p during training, so no unit can rely on
# particular others; AlexNet used p = 0.5 in its first two fully connected layers. *Inverted*
# dropout scales the kept units by 1/(1 − p) in training, so nothing changes at test time, where it
# is off. Write it (without modifying `x`):


# %% slideshow={"slide_type": "skip"}
def dropout(x: torch.Tensor, p: float, training: bool) -> torch.Tensor:
    ### BEGIN SOLUTION
    if not training or p == 0:
        return x
    keep = (torch.rand_like(x) >= p).to(x.dtype)
    return x * keep / (1.0 - p)
    ### END SOLUTION


# %% slideshow={"slide_type": "skip"}
check("alexnet.dropout", dropout)

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 7. Augmentation and dropout against overfitting
#
# To fight overfitting we need a network that overfits: `SmallAlexNet` with 512-unit fully connected
# layers, on a twentieth of the profile's images for 14 times its epochs. Per seed: no
# regularisation; augmentation (crops and flips); dropout (p = 0.5 before fc6 and fc7). Training
# accuracy is measured in eval mode on the un-augmented images.

# %% tags=["nbval-ignore-output"]
regularisation = lesson.recipes.REGULARISATION
announce(
    regularisation, data, profile, seeds=profile.seeds, what="SmallAlexNet, with and without regularisation"
)
gap_runs = lesson.regularisation_runs(data, profile)
fig = plot_seeds(
    gap_runs,
    ["train_error", "val_error"],
    title=f"SmallAlexNet (FC 512) on 1/{regularisation.subset_for(profile)} of the training images",
)
legible(fig)
plt.show()
fig = plot_paired(gap_runs, "test_acc", title="test accuracy, seed by seed")
legible(fig)
plt.show()
gaps = lesson.gap_rows(gap_runs)
print(lesson.format_gap_table(gaps))
augmentation_verdict = regularisation.judge(lesson.claims.AUGMENTATION, gap_runs)
dropout_verdict = regularisation.judge(lesson.claims.DROPOUT, gap_runs)


# %% tags=["nbval-ignore-output"] slideshow={"slide_type": "fragment"}
def mean_of(label: str, figure: str) -> float:
    rows = [g for g in gaps if g.label == label]
    return sum(getattr(g, figure) for g in rows) / len(rows)


plain = "no augmentation, no dropout"
say(
    "*Figures: training and validation error per epoch, a line per seed; test accuracy per run, a "
    "line per seed.* Mean train/test accuracy: "
    + "; ".join(
        f"{label} {mean_of(label, 'train_acc'):.0%}/{mean_of(label, 'test_acc'):.1%}" for label in gap_runs
    )
    + "."
    + (
        " The unregularised net memorised its training images."
        if mean_of(plain, "train_acc") > 0.99
        else " The unregularised net did not memorise its training images within the budget."
    )
    + f" Augmentation: **{augmentation_verdict.verdict}**; dropout: **{dropout_verdict.verdict}** "
    "(the ledger gives the paired figures)."
)

# %% [markdown] slideshow={"slide_type": "subslide"}
# A regulariser pays off only against overfitting; otherwise it slows training (the paper: dropout
# "roughly doubles the number of iterations required to converge").

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 8. Look inside: what a trained SmallAlexNet learned
#
# Not section 7's minutes-long runs: the course's `SmallAlexNet` checkpoint, trained to the end on
# CIFAR-10 (`build_model("small_alexnet", weights="cifar10")`; on other data, section 7's
# augmentation run). Below: its layers, each stage's most
# active channels, and Grad-CAM (Selvaraju et al., ICCV 2017), which weights the last stage's
# channels by the predicted class's gradient: red marks the evidence.

# %% tags=["nbval-ignore-output"]
from cnnlessons.explorers.views import look_inside

own_model, own_history = regularisation.fit_run(regularisation.run("augmentation"), data, profile, seed=0)
inside = look_inside(  # converged=None: the run's own model
    own_model, data, converged="small_alexnet", fold_table=True, accuracy=own_history.test_acc
)
inside

# %% tags=["nbval-ignore-output"]
from cnnlessons import views

fig = views.plot_filters(
    views.first_layer_filters(inside.model),
    ncols=8,
    size=1.1,
    title=f"first-layer filters of {inside.titled}",
)
plt.show()
say(
    "*Figure: the first-layer filters, each scaled to its own range.* "
    + (
        f"This section shows the shipped checkpoint ({inside.accuracy:.1%} test accuracy), not "
        "section 7's runs."
        if inside.model is not own_model
        else f"This section shows section 7's augmentation run, seed 0 ({inside.accuracy:.1%} test accuracy)."
    )
    + " The paper's Figure 3 shows AlexNet's: oriented edges and colour blobs."
)

# %% [markdown] slideshow={"slide_type": "subslide"}
# ### Where the trained network goes wrong
#
# From the checkpoint's record, on the test split:

# %%
from cnnlessons.models.converged import confusion_matrix, per_class_accuracy
from cnnlessons.plots import checkpoint_accuracy, plot_class_errors

fig = plot_class_errors("small_alexnet")
plt.show()
classes, confusion = confusion_matrix("small_alexnet")
by_class = per_class_accuracy("small_alexnet")
off = confusion.clone().fill_diagonal_(0)
i, j = divmod(int(off.argmax()), len(classes))
worst, strongest = min(by_class, key=by_class.get), max(by_class, key=by_class.get)
say(
    "*Figure: accuracy per class; the confusion matrix in percent of each true class.* At "
    f"{checkpoint_accuracy('small_alexnet'):.1%} test accuracy, the checkpoint is weakest on "
    f"{worst} ({by_class[worst]:.0%}) and strongest on {strongest} "
    f"({by_class[strongest]:.0%}); its most common mistake takes a {classes[i]} for a {classes[j]} "
    f"({int(off[i, j])} of {int(confusion[i].sum()):,} {classes[i]} images)."
)

# %% [markdown] slideshow={"slide_type": "fragment"}
# Its most confident mistakes:

# %% tags=["nbval-ignore-output"]
from cnnlessons.plots import plot_mistakes
from cnnlessons.runs.errors import confident_mistakes_on

mistakes = confident_mistakes_on("small_alexnet", data, n=10)
if mistakes.images is None:
    say(mistakes.why)
else:
    fig = plot_mistakes(mistakes, data.classes, ncols=10, size=1.2)
    plt.show()
    say(
        f"*Figure: {len(mistakes)} test images, the wrong prediction above the true class.* It gave the "
        f"wrong class {min(mistakes.probability):.0%} to {max(mistakes.probability):.0%} probability."
    )

# %%
REAL_WEIGHTS = False  # True: download torchvision's AlexNet weights (about 233 MB; needs network)
if REAL_WEIGHTS:
    fig = views.plot_filters(
        views.first_layer_filters(models.build_model("alexnet", weights="DEFAULT")),
        size=0.9,
        title="torchvision's AlexNet, ImageNet weights: 64 filters of 11x11x3 (the paper: 96)",
    )
    plt.show()
else:
    print("REAL_WEIGHTS = True (online) shows torchvision AlexNet's 64 first-layer filters.")

# %% [markdown] slideshow={"slide_type": "subslide"}
# ### The library's code: the PCA colour shift

# %%
views.show_source(augmentation.pca_colour_shift)

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Questions
#
# Predict, then run the cell below.

# %% [markdown] tags=["question"]
# A 32x32 map goes through 3x3 max pooling with stride 2, another through 2x2 with stride 2. What
# side does each come out with?

# %% tags=["question-answer"]
from cnnlessons.layers import conv_output_size as output_size

for k in (3, 2):
    pooled = torch.nn.MaxPool2d(k, stride=2)(torch.zeros(1, 1, 32, 32))
    print(f"{k}x{k}, stride 2: {output_size(32, k, 2)} (the layer gives {pooled.shape[-1]})")

# %% [markdown] tags=["question"]
# AlexNet's conv2 reads 96 channels with 5x5 kernels and writes 256. How many weights does it hold
# with one tower, with two (`groups=2`) and with four?

# %% tags=["question-answer"]
for groups in (1, 2, 4):
    print(
        f"groups={groups}: {torch.nn.Conv2d(96, 256, 5, groups=groups, bias=False).weight.numel():,} weights"
    )

# %% [markdown] tags=["question"]
# Inverted dropout, p = 0.5, on 10,000 ones: roughly what mean and largest value come out in
# training mode? In evaluation mode?

# %% tags=["question-answer", "nbval-ignore-output"]
torch.manual_seed(0)
layer, ones = torch.nn.Dropout(0.5), torch.ones(10_000)
out = layer.train()(ones)
unchanged = bool((layer.eval()(ones) == 1).all())
print(f"training: mean {out.mean():.2f}, largest {out.max():.1f}; eval: all ones unchanged: {unchanged}")

# %% [markdown] tags=["question"]
# The sigmoid's derivative is at most 1/4. By what factor can 20 sigmoid layers' derivatives alone
# shrink a gradient? How does section 1's measurement compare?

# %% tags=["question-answer", "nbval-ignore-output"]
print(
    f"the derivatives alone: 0.25 ** {DEPTH} = {0.25**DEPTH:.1e}; measured first/last with He init: "
    f"{ratio['kaiming']['sigmoid']:.1e} (the weights multiply in too)"
)

# %% [markdown] tags=["question"]
# Which class does the trained SmallAlexNet most often take a cat for?

# %% tags=["question-answer"]
cat = classes.index("cat")
row = confusion[cat].clone()
row[cat] = 0
print(f"{classes[int(row.argmax())]}: {int(row.max())} of {int(confusion[cat].sum()):,} cat test images")

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Claims ledger
#
# Effect claims: paired runs, `shown` when every seed's difference has the claimed sign and their
# mean clears the margin.

# %% tags=["nbval-ignore-output"]
from cnnlessons.claims import show_ledger

show_ledger(
    [
        relu_vs_tanh.row(
            budget="the paper's setting (all 50,000 images, N(0, 0.01) weights on 0-255 pixels, tanh for "
            "about 35 epochs) needs about 50 times this budget",
            reference=relu_vs_tanh_end,
        ),
        augmentation_verdict.row(budget="more epochs on the same images"),
        dropout_verdict.row(budget="more epochs on the same images, for dropout to fit them"),
        lesson.claims.RELU_GRADIENTS.row(
            f"first/last layer gradient norm: ReLU {he['relu']:.2g}, sigmoid {he['sigmoid']:.2g}",
            bool(0.1 <= he["relu"] <= 10 and he["sigmoid"] < 1e-3),
        ),
        lesson.claims.TWO_TOWERS.row(
            f"{total.saved:,} weights saved ({total.saved / total.one_tower:.1%}); two devices differ by "
            f"{relative:.0e} of the outputs' size",
            bool(total.saved > 0 and relative < 1e-5),
        ),
        lesson.claims.OVERLAPPING_POOL.row(
            ", ".join(f"{r.size}: {r.overlapping} and {r.non_overlapping}" for r in pools),
            all(abs(r.overlapping - r.non_overlapping) <= 1 for r in pools),
        ),
    ]
)

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Summary
#
# - **ReLU** keeps gradients' size through depth, given He initialisation; sigmoid cannot.
# - **Two GPUs**: grouped convolutions (`groups=2`) halve conv2, conv4 and conv5.
# - **Output size**: floor((n + 2p − k) / s) + 1; 3x3/s2 pooling gives 2x2/s2's size on odd sides,
#   one less on even ones, with wider receptive fields. **LRN** suits raw pixels.

# %% tags=["nbval-ignore-output"]
winner = {"tanh": "tanh", "relu": "ReLU", "tie": "neither"}[first]
say(
    f"- **Figure 1**: {winner} got to {target} training error first (ReLU took {ratio_mean:.2f} "
    f"times tanh's epochs; the paper: about 1/6): {relu_vs_tanh.verdict}.\n"
    f"- Against overfitting, **augmentation** (crops, flips): {augmentation_verdict.verdict}; "
    f"**dropout**: {dropout_verdict.verdict}."
)

# %% [markdown]
# Next: `02_vggnet.ipynb`, where only 3x3 kernels remain.

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Papers
#
# - Krizhevsky, Sutskever, Hinton. *ImageNet Classification with Deep Convolutional Neural
#   Networks.* NIPS 2012.
# - Nair, Hinton. *Rectified Linear Units Improve Restricted Boltzmann Machines.* ICML 2010.
# - Glorot, Bengio. *Understanding the difficulty of training deep feedforward neural networks.*
#   AISTATS 2010.
# - He, Zhang, Ren, Sun. *Delving Deep into Rectifiers.* ICCV 2015.
# - Srivastava et al. *Dropout: A Simple Way to Prevent Neural Networks from Overfitting.* JMLR 2014.
# - Krizhevsky. *One weird trick for parallelizing convolutional neural networks.* arXiv:1404.5997.
