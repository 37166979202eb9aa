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
# In 2012 AlexNet (Krizhevsky, Sutskever and Hinton) won the ImageNet challenge with a top-5 error
# of 15.3%, against 26.2% for the runner-up. The network itself — five convolutions and three
# fully connected layers — was not new; what made it work were a handful of techniques. This
# lesson takes the claims made about them one by one and checks each with a computation.
#
# **Learning goals.** After this lesson you can
#
# 1. explain with measured gradient sizes why ReLU trains deep networks where sigmoid cannot, and
#    what the initialisation has to do with it;
# 2. reproduce the paper's Figure 1 (ReLU against tanh) at course scale, and say what it shows;
# 3. write AlexNet's two GPU "towers" as a grouped convolution, count what it saves, and run the
#    two halves on two devices;
# 4. compute the output size of a convolution or pooling layer, and tell overlapping from
#    non-overlapping pooling; say what local response normalisation does;
# 5. augment images the AlexNet way (random crops, flips and the PCA colour shift) and write
#    dropout yourself;
# 6. measure the train/validation gap with and without augmentation and dropout.

# %% tags=["nbval-ignore-output"]
import torch

from cnnlessons import load_data
from cnnlessons.lessons import alexnet as lesson
from cnnlessons.plots import plot_gradient_sizes

data = load_data(profile)
print(data)

# %% [markdown] slideshow={"slide_type": "slide"}
# ## The network, drawn from the code
#
# AlexNet as the paper built it: five convolutions and three fully connected layers, split into
# two "towers" that each held half of most layers on one GPU (section 3 below). The diagram is
# drawn by `cnnlessons.views.diagram` from the model the library builds, as it runs on one image:
# each box is a layer with its output shape (channels x height x width) and its parameters;
# lanes side by side are the towers. Below it, the lesson's scaled-down AlexNet on 32x32 images.

# %% slideshow={"slide_type": "fragment"}
import matplotlib.pyplot as plt

from cnnlessons import models
from cnnlessons.views import diagram

fig = diagram(
    models.AlexNet(groups=2).eval(), (3, 224, 224), title="AlexNet, two towers (groups=2), on a 224x224 image"
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
# and avoids vanishing gradients.* Back-propagation multiplies the gradient, layer after layer,
# by the weights and by the derivative of the activation:
#
# $$\frac{\partial L}{\partial h_{l-1}}
# = W_l^\top \left(f'(z_l) \odot \frac{\partial L}{\partial h_l}\right).$$
#
# The sigmoid's derivative is at most 1/4, tanh's at most 1 (and less wherever it saturates),
# ReLU's is exactly 1 wherever the unit is active. Each layer multiplies the gradient by
# $f'$ *times the weights*: with sigmoid that factor is at most 1/4 times the weights, so unless
# the weights are large enough to make up for it the gradient shrinks layer after layer (and
# large weights push the sigmoid into saturation, where $f'$ is smaller still). With ReLU the
# gradient keeps its size — *if* the weights have the right scale. That scale is He initialisation,
# variance 2 / fan-in (He et al., 2015): the ReLU zeroes half of the signal, the factor 2 gives it back.
#
# We measure |d loss / d weight| of every layer of a 20-layer plain stack (width 128) at
# initialisation, on one batch of real images, for the three activations — once with He
# initialisation, once with PyTorch's default (variance 1/(3 · fan-in), six times smaller than
# He's).

# %% tags=["nbval-ignore-output"]
import matplotlib.pyplot as plt

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

fig, axes = plt.subplots(1, 2, figsize=(11, 3.8), sharey=True)
for ax, (init, sizes) in zip(axes, grads.items(), strict=False):
    plot_gradient_sizes(sizes, ax=ax, title=f"{DEPTH} layers, {lesson.INITS[init]} init")
plt.show()
for init, sizes in grads.items():
    for a, g in sizes.items():
        print(
            f"{lesson.INITS[init]:>20} init, {a:>7}: |grad| layer 1 {g[0]:.2e}, layer {DEPTH} "
            f"{g[-1]:.2e}, first/last {g[0] / g[-1]:.1e}"
        )

# %% [markdown] slideshow={"slide_type": "fragment"}
# Take-away (the figures are those just printed):

# %% tags=["nbval-ignore-output"]
he, default = grads["kaiming"], grads["default"]
print(
    f"With He initialisation the ReLU stack's first layer gets {he['relu'][0] / he['relu'][-1]:.2f} "
    f"times the gradient of its last: no vanishing. The sigmoid stack's first layer gets "
    f"{he['sigmoid'][0] / he['sigmoid'][-1]:.1e} times it, whatever the initialisation "
    f"({default['sigmoid'][0] / default['sigmoid'][-1]:.1e} with PyTorch's default)."
)
print(
    f"But ReLU alone is not enough: with PyTorch's default (too small) initialisation the ReLU "
    f"stack's first layer gets only {default['relu'][0] / default['relu'][-1]:.1e} times the "
    f"last layer's gradient, tanh's {default['tanh'][0] / default['tanh'][-1]:.1e}."
)

# %% [markdown] slideshow={"slide_type": "subslide"}
# So the claim holds with a condition the lecture leaves out: ReLU avoids vanishing gradients
# *when the weights are initialised for it* (AlexNet itself got away with 8 layers and
# hand-picked scales; He initialisation came in 2015). Sigmoid vanishes in every case: its
# derivative is at most 1/4.
#
# ### Explorer: activation and depth against gradient size
#
# Pick the activation, the depth and the initialisation. The chosen activation is drawn bold.
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
# training error rate on CIFAR-10 six times faster than an equivalent network with tanh
# neurons.* The paper does not specify that network, so we train a four-layer CNN like the
# paper's (three 5x5 convolutions with 32, 32 and 64 channels, each followed by the activation
# and 3x3 max pooling with stride 2, then one fully connected layer), changing only the
# activation. As in the paper: SGD with momentum at a fixed learning rate, **tuned for each
# activation** ("chosen independently to make training as fast as possible"), and no
# regularisation — no weight decay, no augmentation, no dropout. Each activation starts from the
# initialisation made for it (He for ReLU, Glorot for tanh). A quarter of the profile's images
# (2,500 in `cpu`) for 2.5 times its epochs; the training error is measured in eval mode on all of
# them after every epoch, and we count the epochs to 25%. Every comparison in this course runs on
# the profile's seeds (0, 1 and 2 in `cpu`), the same seeds for both arms.

# %%
from cnnlessons.models import Figure1CNN

fig1_model = Figure1CNN("relu", in_channels=3, num_classes=10)
print(fig1_model)

# %% tags=["nbval-ignore-output"]
from cnnlessons.plots import plot_paired, plot_seeds

figure1 = lesson.recipes.FIGURE1
print(figure1.describe(profile))
print(figure1.estimate(data, profile))
fig1_runs = figure1.train_seeds(data, profile)
fig = plot_seeds(
    fig1_runs,
    ["train_eval_error"],
    target=figure1.target,
    title="Figure 1 at course scale: ReLU against tanh, each at its own learning rate",
)
plt.show()
relu_vs_tanh = figure1.judge(lesson.claims.RELU_VS_TANH, fig1_runs)
for arm, label in figure1.arms_for(lesson.claims.RELU_VS_TANH).items():  # the figures the verdict used
    epochs, by_seed = relu_vs_tanh.figures[arm]["epochs_to_target"], fig1_runs[label]
    print(
        f"{label}: epochs to {figure1.target:.0%} training error (eval mode), per seed: "
        + ", ".join(
            f"{seed}: {n:.0f}" if n <= len(by_seed[int(seed)].epoch) else f"{seed}: not within {n - 1:.0f}"
            for seed, n in epochs.items()
        )
    )
print(f"Verdict: {relu_vs_tanh.verdict} ({relu_vs_tanh.reason})")

# %% tags=["nbval-ignore-output"] slideshow={"slide_type": "fragment"}
ratios = relu_vs_tanh.differences
print(
    f"Take-away: ReLU needed {relu_vs_tanh.mean:.2f} of tanh's epochs to {figure1.target:.0%} training "
    f"error (mean of seeds {', '.join(map(str, ratios))}: {', '.join(f'{r:.2f}' for r in ratios.values())}; "
    f"the paper: about 1/6, and the claim needs at most 1/2 on every seed): {relu_vs_tanh.verdict}."
)

# %% [markdown] slideshow={"slide_type": "subslide"}
# Why the paper's six-fold factor need not carry over: each activation gets the initialisation
# made for it and its own best learning rate (tuned on other seeds than these), and tanh takes a
# much larger one than ReLU (0.1 against 0.01: at 0.03 the ReLU net stops learning). Its larger
# steps make up for its saturation. The paper's own setting (every layer initialised from
# N(0, 0.01), pixels on their 0-255 scale with only the mean subtracted, local response
# normalisation), tried on other seeds with these 2,500 images, came out about even too (the
# ledger lists the variants); what it adds beyond them is all 50,000 images and many more
# epochs. What does carry over is section 1's finding: ReLU keeps gradients alive through
# *depth*, which a four-layer net barely has; the ledger at the end keeps this verdict with its
# figures.

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 3. Two GPUs, model parallel: the towers are a grouped convolution
#
# AlexNet did not fit on one 3 GB GPU, so the paper split every layer's kernels in two halves,
# one per GPU. Conv2, conv4 and conv5 only read the channels of their own GPU's half; conv3 and
# the fully connected layers read both, and only there do the GPUs exchange activations. A layer
# whose outputs each read only their own group of input channels is a **grouped convolution**:
# `nn.Conv2d(c_in, c_out, k, groups=2)` has k² · (c_in / 2) · c_out weights, half of the
# k² · c_in · c_out of the ungrouped layer.
#
# The full-size network of the paper (channels 96, 256, 384, 384, 256), counted layer by layer,
# with one tower (`groups=1`) and two (`groups=2`):

# %%
rows = lesson.tower_parameters()
print(f"{'layer':>6} {'groups=1':>12} {'groups=2':>12} {'saved':>12}")
for r in rows:
    print(f"{r.layer:>6} {r.one_tower:>12,} {r.two_towers:>12,} {r.saved:>12,}")
total = rows[-1]
print(
    f"\nTake-away: the two towers save {total.saved:,} weights, {total.saved / total.one_tower:.1%} "
    f"of the {total.one_tower:,} of the one-tower net (all in conv2, conv4 and conv5: the fully "
    "connected layers hold "
    f"{sum(r.one_tower for r in rows if r.layer.startswith('fc')) / total.one_tower:.0%} "
    f"of all weights)."
)

# %% [markdown] slideshow={"slide_type": "subslide"}
# Now really run the two halves on two devices. `cnnlessons.parallel` cuts a `groups=2` model
# into two towers, each holding half of every layer's weights, and runs them on two GPUs when
# there are two — else in two CPU processes that exchange activations through
# `torch.distributed` (the gloo backend), as the two GPUs of 2012 did over PCIe. The output must
# equal the one-device model's (in evaluation mode: dropout off).

# %% tags=["nbval-ignore-output"]
from cnnlessons.models import SmallAlexNet

torch.manual_seed(0)
two_towers = SmallAlexNet(data.num_classes, data.channels, groups=2, lrn=True)
x, _ = data.batch("val", 16)
result = lesson.model_parallel_check(two_towers, x)
print(
    f"backend: {result.backend}; parameters: one device {result.parameters:,}, "
    f"per tower {result.parameters_per_tower}"
)
print(
    f"the towers exchange activations before: {', '.join(result.exchanges)} "
    f"({result.bytes_exchanged:,} bytes for {len(x)} images)"
)
print(
    f"max |two towers - one device| = {result.max_abs_diff:.1e} "
    f"(outputs up to {result.max_abs_output:.2f}), in {result.seconds:.1f} s"
)
relative = result.max_abs_diff / result.max_abs_output
print(
    f"Take-away: the two runs differ by {relative:.0e} of the outputs' size: "
    + (
        "no more than float rounding, so the two-device run *is* the grouped model."
        if relative < 1e-4
        else "more than float rounding: something differs."
    )
)

# %% [markdown] slideshow={"slide_type": "fragment"}
# Model parallelism trades memory for communication; today one GPU holds AlexNet easily, and
# grouped convolutions live on for their
# own sake (ResNeXt, and depthwise convolutions, which are the extreme case groups = channels).

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 4. Local response normalisation and overlapping pooling
#
# ### The output size of a convolution or pooling layer
#
# A window of side k, moved with stride s over an input of side n padded by p on each side,
# fits floor((n + 2p − k) / s) + 1 times. Write it:


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
# AlexNet pools 3x3 windows with stride 2, so neighbouring windows share a row or column; the
# usual choice is 2x2 with stride 2, where they do not. The output sizes (the library's formula,
# checked against the real layers) on AlexNet's feature maps (55, 27, 13) and on ours (32, 16):

# %%
print(f"{'input':>6} {'3x3 s2':>7} {'2x2 s2':>7}")
for r in lesson.pooling_sizes():
    print(f"{r.size:>6} {r.overlapping:>7} {r.non_overlapping:>7}")

# %% [markdown] slideshow={"slide_type": "subslide"}
# Both halve the map (up to one pixel). The difference is in what each output sees: how many
# windows read each input pixel, and the receptive field after a few (3x3 conv, pool) stages:

# %%
over, plain = lesson.pooling_coverage(9, 3, 2), lesson.pooling_coverage(8, 2, 2)
print("windows reading each pixel, 3x3 stride 2 on 9x9:\n", over)
print("windows reading each pixel, 2x2 stride 2 on 8x8: all", int(plain.unique().item()))
fields = lesson.pooled_receptive_fields(3)
for name, f in fields.items():
    print(f"receptive field after 1, 2, 3 (3x3 conv, {name} pool) stages: {f}")

# %% [markdown] slideshow={"slide_type": "fragment"}
# Take-away: with 3x3/s2 pooling a pixel on a window border is read by 2 or 4 windows (the
# printout above), and after three stages each output sees
# more of the image than with 2x2/s2 (the receptive fields printed above), at the same output size.
# The paper reports that overlapping pooling lowered its top-1 error by 0.4% and made the net
# slightly harder to overfit — a difference far below the run-to-run noise of a course-scale
# training run, so we do not train for it here.
#
# ### Local response normalisation
#
# LRN divides each activation by (k + α Σ a²)^β, the sum running over n = 5 neighbouring
# channels at the same pixel (the paper: k = 2, α = 1e-4, β = 0.75). PyTorch's
# `nn.LocalResponseNorm` divides α by n, (k + α/n · Σ a²)^β, so the paper's normalisation is
# α = 5 × 1e-4 there; the course's AlexNet uses that (`cnnlessons.layers.PAPER_LRN`). With
# PyTorch's α = 1e-4 it would be five times weaker than the paper's.
# What does that do to real activations? We measure the divisor on the first layer's ReLU
# outputs, for inputs normalised the course's way (values around ±2) and for raw 0–255 pixel
# values, the scale the paper's constants were chosen for.

# %% tags=["nbval-ignore-output"]
torch.manual_seed(0)
lrn_net = SmallAlexNet(data.num_classes, data.channels, lrn=True)
for scale in (1.0, 255.0):
    e = lesson.lrn_effect(lrn_net, x, scale=scale)
    print(
        f"inputs x {scale:>5g}: median activation {e.activation_median:8.3f}; LRN divisor "
        f"min {e.divisor_min:.3f}, median {e.divisor_median:.3f}, max {e.divisor_max:.3f}"
    )
print(f"k^beta = {2.0**0.75:.3f}")
normalised, raw = (lesson.lrn_effect(lrn_net, x, scale=s) for s in (1.0, 255.0))
spread = {name: e.divisor_max / e.divisor_min for name, e in (("normalised", normalised), ("raw", raw))}
print(
    f"Take-away: the largest divisor is {spread['normalised']:.3f}x the smallest on normalised "
    f"inputs and {spread['raw']:.2f}x on raw pixel values: LRN "
    + (
        "is close to a constant rescaling on the course's inputs"
        if spread["normalised"] < 1.05
        else "varies across activations even on normalised inputs"
    )
    + (" and only normalises at the paper's pixel scale." if spread["raw"] > spread["normalised"] else ".")
)

# %% [markdown] slideshow={"slide_type": "fragment"}
# Where the divisor spreads out, LRN really dampens channels whose neighbours respond strongly
# ("lateral inhibition"); where it stays at k^β it is only a constant rescaling. The paper
# credits response normalisation with 1.4% lower top-1 and 1.2% lower top-5 error; VGG found no
# gain from it, and batch normalisation (2015) has replaced it.

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 5. Data augmentation
#
# AlexNet's 60 million parameters would memorise 1.2 million images. The paper enlarges the
# training set with label-preserving transformations: random 224x224 crops of the 256x256
# images and their horizontal reflections, and a colour shift along the principal components of
# the pixel colours: every pixel of an image gets
# $[p_1, p_2, p_3]\,[\alpha_1\lambda_1, \alpha_2\lambda_2, \alpha_3\lambda_3]^\top$ added, where
# $p_i, \lambda_i$ are the eigenvectors and eigenvalues of the 3x3 covariance of the RGB values
# over the training set and $\alpha_i \sim N(0, 0.1)$ is drawn once per image. `fit` does the
# crops (from a zero-padded copy) and flips on whole batches; the PCA colour shift is
# `augmentation.pca_colour_shift`, computed here on the real training images.

# %% tags=["nbval-ignore-output"]
from cnnlessons import augmentation
from cnnlessons.plots import show_gallery

pca = augmentation.colour_pca(data.train_images)
print("eigenvalues of the pixel-colour covariance:", [f"{v:.4f}" for v in pca.eigenvalues.tolist()])
print("principal components (columns):\n", pca.eigenvectors.numpy().round(3))
gallery = augmentation.augmentation_gallery(data, n=8)
fig = show_gallery(gallery)
plt.show()
for name in list(gallery)[-2:]:
    shift = (gallery[name].float() - gallery["original"].float()).abs().mean()
    print(f"{name}: mean change {shift:.1f} grey levels (of 255)")

# %% [markdown] slideshow={"slide_type": "fragment"}
# Take-away: crops shift the object by up to `data.crop_padding` pixels and flips mirror it, so
# no two epochs see the same image; the PCA shift at the paper's σ = 0.1 changes the colours by
# the few grey levels printed above (the row at 10 x σ shows its direction; on CIFAR-10 the first
# component, with by far the largest eigenvalue, is about (1, 1, 1)/√3: overall brightness).
# For the digits (smoke profile) flips are off — a mirrored 3 is no 3.

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 6. Dropout
#
# Dropout sets each hidden unit to zero with probability p during training, so that no unit can
# rely on particular others. AlexNet used p = 0.5 in its first two fully connected layers. In
# *inverted* dropout the kept units are scaled by 1/(1 − p) during training, so that nothing
# changes at test time, where dropout is off. Write it (without modifying `x`):


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
# Both techniques fight overfitting: a network that fits its training images better than it
# generalises. To see them do it, we need a network that overfits within the budget: the lesson's
# scaled-down AlexNet (`SmallAlexNet`: five convolutions, overlapping pooling, three fully connected
# layers; He initialisation, see section 1), with its fully connected layers widened to 512 units
# (dropout needs redundant units to drop), on a tenth of the profile's images (1,000 in `cpu`) for
# 14 times its epochs (84 in `cpu`), long after the unregularised net has memorised them. Three
# runs on each seed, everything else equal: no regularisation, augmentation (random crops and
# flips), dropout (p = 0.5 before fc6 and fc7). Training accuracy is measured after training, in
# evaluation mode, on the un-augmented training images; test accuracy on the whole test split.

# %% tags=["nbval-ignore-output"]
regularisation = lesson.recipes.REGULARISATION
print(regularisation.describe(profile))
print(regularisation.estimate(data, profile))
gap_runs = lesson.regularisation_runs(data, profile)
fig = plot_seeds(
    gap_runs, ["train_error", "val_error"], title="SmallAlexNet (FC 512) on a tenth of the training images"
)
plt.show()
fig = plot_paired(gap_runs, "test_acc", title="test accuracy, seed by seed")
plt.show()
gaps = lesson.gap_rows(gap_runs)
print(lesson.format_gap_table(gaps))
augmentation_verdict = regularisation.judge(lesson.claims.AUGMENTATION, gap_runs)
dropout_verdict = regularisation.judge(lesson.claims.DROPOUT, gap_runs)


# %% tags=["nbval-ignore-output"] slideshow={"slide_type": "fragment"}
def mean_of(label: str, figure: str) -> float:
    rows = [g for g in gaps if g.label == label]
    return sum(getattr(g, figure) for g in rows) / len(rows)


for label in gap_runs:
    print(
        f"{label}: train {mean_of(label, 'train_acc'):.1%}, test {mean_of(label, 'test_acc'):.1%}, "
        f"gap {mean_of(label, 'gap'):.1%} (means over the seeds)"
    )
print(
    f"Take-away: augmentation {augmentation_verdict.verdict} ({augmentation_verdict.reason}); "
    f"dropout {dropout_verdict.verdict} ({dropout_verdict.reason})."
)

# %% [markdown] slideshow={"slide_type": "subslide"}
# Read the curves with the table: the unregularised net's training error falls to zero while its
# validation error stops falling — it memorises. Both regularisers keep the training error up
# (a regularised net learns more slowly; the paper: dropout "roughly doubles the number of
# iterations required to converge"), and they pay off only where there is overfitting to fight:
# on a training set the net cannot memorise within the budget, they just slow training down.

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 8. Look inside: what the trained network learned
#
# The paper's Figure 3 shows the 96 filters of AlexNet's first layer after training: oriented
# edges and colour blobs (the edge detectors on one GPU's tower, the colour blobs on the other's).
# Here are the first-layer filters of this lesson's trained SmallAlexNet (section 7's run with
# augmentation on seed 0, taken from the run cache rather than trained again), its layers'
# shapes, what its stages compute on one test image (each stage's most active channels), where
# in a few test images it finds its evidence, and an explorer: choose a test image and a stage to
# see that stage's most active feature maps and the activation map computed there.
#
# A class-activation map (Grad-CAM; Selvaraju et al., ICCV 2017, computed with captum) weights
# the channels of the last convolution stage by the gradient of the predicted class's score and
# sums them: red marks where in the image the evidence for that prediction sits. Read them with
# the accuracy of the run in mind: a network that is right on few test images has little to show.

# %% tags=["nbval-ignore-output"]
from cnnlessons.explorers.views import look_inside

alexnet, _ = regularisation.fit_run(regularisation.run("augmentation"), data, profile, seed=0)
inside = look_inside(alexnet, data, converged="small_alexnet")  # converged=None: this run's own
inside

# %% tags=["nbval-ignore-output"]
from cnnlessons import views

fig = views.plot_filters(
    views.first_layer_filters(inside.model), title=f"first-layer filters: {inside.title}"
)

# %%
from cnnlessons import models

REAL_WEIGHTS = False  # True: download torchvision's AlexNet weights (about 233 MB; needs network)
if REAL_WEIGHTS:
    fig = views.plot_filters(
        views.first_layer_filters(models.build_model("alexnet", weights="DEFAULT")),
        title="AlexNet with ImageNet weights: 64 filters of 11x11x3 (the paper: two towers of 48)",
    )
else:
    print(
        "Real weights are off: set REAL_WEIGHTS = True (online) to see torchvision AlexNet's 64 "
        "first-layer filters."
    )

# %% [markdown] slideshow={"slide_type": "subslide"}
# ### The library's code: the PCA colour shift
#
# Section 5's colour augmentation, as the course implements it (this one is not an exercise):

# %%
views.show_source(augmentation.pca_colour_shift)

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Claims ledger
#
# Every claim of the lesson, with the paper's figure and this run's. The effect claims' verdicts
# come from the course's one rule (`cnnlessons.claims.judge`): paired runs on the same seeds,
# `shown` when every seed's difference has the claimed sign and their mean clears the margin.
# The constructive claims (sizes, counts, equalities) are checks on the figures computed above.

# %% tags=["nbval-ignore-output"]
from cnnlessons.claims import show_ledger

he = grads["kaiming"]
relu_ratio, sigmoid_ratio = he["relu"][0] / he["relu"][-1], he["sigmoid"][0] / he["sigmoid"][-1]
pools = lesson.pooling_sizes()
show_ledger(
    [
        relu_vs_tanh.row(
            budget="with its own tuned rate tanh keeps up at 2,500 images, also in the variants "
            "tried on other seeds (N(0, 0.01) weights on 0-255 pixels, also with the paper's "
            "LRN; six more convolutions); the paper's whole setting (all 50,000 images, tanh "
            "for about 35 epochs) needs about 50 times this budget"
        ),
        augmentation_verdict.row(
            budget="needs a training set the net memorises: more epochs on the 1,000 images"
        ),
        dropout_verdict.row(
            budget="needs a training set the net memorises and dropout the epochs to fit it: "
            "more epochs on the 1,000 images"
        ),
        lesson.claims.RELU_GRADIENTS.row(
            f"first/last layer gradient norm: ReLU {relu_ratio:.2g}, sigmoid {sigmoid_ratio:.2g}",
            bool(0.1 <= relu_ratio <= 10 and sigmoid_ratio < 1e-3),
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
# - **ReLU**: derivative 1 where active, so gradients keep their size through depth — given an
#   initialisation made for it (He: variance 2/fan-in). Sigmoid's gradients vanish whatever the
#   initialisation. The paper's "six times faster than tanh" is a claim about its setting; at
#   course scale measure, don't assume.
# - **Two GPUs**: the towers are grouped convolutions (`groups=2`); they halve conv2, conv4 and
#   conv5, and the two halves run on two devices with the same result as one.
# - **Output size**: floor((n + 2p − k)/s) + 1. **Overlapping pooling** (3x3/s2) gives the same
#   size as 2x2/s2 with wider receptive fields. **LRN** only normalises at the raw-pixel scale
#   its constants were made for; batch normalisation replaced it.
# - **Augmentation** (crops, flips, PCA colour) and **dropout** narrow the train/validation gap,
#   and need longer training to pay off.
#
# Next: `02_vggnet.ipynb`, where only 3x3 kernels remain.

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Papers
#
# - A. Krizhevsky, I. Sutskever, G. E. Hinton. *ImageNet Classification with Deep Convolutional
#   Neural Networks.* Advances in Neural Information Processing Systems 25 (NIPS 2012),
#   pp. 1097–1105.
# - V. Nair, G. E. Hinton. *Rectified Linear Units Improve Restricted Boltzmann Machines.*
#   Proceedings of the 27th International Conference on Machine Learning (ICML 2010), pp. 807–814.
# - X. Glorot, Y. Bengio. *Understanding the difficulty of training deep feedforward neural
#   networks.* Proceedings of the 13th International Conference on Artificial Intelligence and
#   Statistics (AISTATS 2010), PMLR 9, pp. 249–256.
# - K. He, X. Zhang, S. Ren, J. Sun. *Delving Deep into Rectifiers: Surpassing Human-Level
#   Performance on ImageNet Classification.* IEEE International Conference on Computer Vision
#   (ICCV 2015), pp. 1026–1034.
# - N. Srivastava, G. Hinton, A. Krizhevsky, I. Sutskever, R. Salakhutdinov. *Dropout: A Simple
#   Way to Prevent Neural Networks from Overfitting.* Journal of Machine Learning Research 15
#   (2014), pp. 1929–1958.
# - A. Krizhevsky. *One weird trick for parallelizing convolutional neural networks.*
#   arXiv:1404.5997 (2014).
