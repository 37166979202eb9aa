# ---
# jupyter:
#   jupytext:
#     text_representation:
#       extension: .py
#       format_name: percent
# ---

# %% [markdown] tags=["colab-badge"] slideshow={"slide_type": "skip"}
# [![Open In Colab](https://colab.research.google.com/assets/colab-badge.svg)](https://colab.research.google.com/github/cnnlessons/cnnlessons/blob/main/notebooks/06_summary.ipynb)

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
# # 06 · Summary: five ImageNet networks side by side
#
# Five networks, one idea each: AlexNet (2012) ReLUs, dropout and GPUs; VGGNet (2014) stacked 3x3
# convolutions; GoogLeNet (2014) 1x1 convolutions; ResNet (2015) skip connections; DenseNet (2017)
# concatenation. After this lesson you can
#
# 1. compare the five course-scale models under one budget;
# 2. name the four ingredients of the recipe that trained the checkpoints to the end;
# 3. say where the trained five look and where they go wrong;
# 4. read the full-size models' costs, and show each key technique in one line.

# %% [markdown] slideshow={"slide_type": "slide"}
# ## The ImageNet challenge, 2010-2017
#
# The winners' top-5 test error by year: from 2012 every winner was a CNN ensemble (the bar says of
# how many). The last challenge, in 2017, went to SENet; DenseNet (2017) won none. Sources are
# numbered under the figure.

# %% slideshow={"slide_type": "fragment"}
import matplotlib.pyplot as plt
import torch
from IPython.display import Markdown, display
from torch import nn

from cnnlessons import load_data, models, plot_history
from cnnlessons.lessons import summary
from cnnlessons.measure import count_parameters, receptive_field
from cnnlessons.plots import checkpoint_accuracy, checkpoint_title, legible, plot_ilsvrc
from cnnlessons.runs.announce import announce
from cnnlessons.runs.results import converged_runs, reference_runs, trained_to_the_end
from cnnlessons.views import fold_references, say

fig = plot_ilsvrc()
plt.show()
say("*Figure: ILSVRC classification winners' top-5 error by year, with the size of each ensemble.*")

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 1. All five under one budget
#
# The course-scale model of each lesson (the DenseNet is lesson 05's DenseNet-BC), built for
# 3x32x32 CIFAR-10 images. Parameters and FLOPs per image (`torch.utils.flop_counter`: a
# multiply-add counts as 2 FLOPs) are properties of the architecture, not of a run:

# %%
display(Markdown(summary.small_models_table((3, 32, 32))))

# %% [markdown] slideshow={"slide_type": "subslide"}
# Now each trains under **one budget**: the same data, epochs, batch size, optimiser (AdamW at
# 0.002, one-cycle) and augmentation, on each of the profile's seeds (in `cpu` on half the images
# at 16x16 pixels). The table adds test accuracy, training time and the memory a step keeps for
# backward per image.

# %% tags=["nbval-ignore-output"]
from cnnlessons.plots import plot_paired, plot_seeds

data = load_data(profile)
five = summary.recipes.FIVE_MODELS
announce(five, data, profile, seeds=profile.seeds, what="the five under one budget")
seeded = five.train_seeds(data, profile)
runs = {label: by_seed[profile.seeds[0]] for label, by_seed in seeded.items()}
say(f"Seed {profile.seeds[0]}'s runs on {data.name}, {five.epochs_for(profile)} epochs:")
display(Markdown(summary.summary_table(runs)))

# %% tags=["nbval-ignore-output"]
reference = reference_runs(five.key) + converged_runs(*summary.CHECKPOINTS.values())
mean_acc = {
    label: sum(h.test_acc for h in by_seed.values()) / len(by_seed) for label, by_seed in seeded.items()
}
fig = legible(
    plot_seeds(
        {f"{label} (test {mean_acc[label]:.0%})": by for label, by in seeded.items()},
        ("train_eval_error", "val_error"),
        title="the five under one budget (mean test accuracy in the legend)",
    ),
    columns=3,
)
plt.show()
say("*Figure: training (eval mode) and validation error per epoch, one line per seed.*")
fig = legible(plot_paired(seeded, "test_acc", title="test accuracy, seed by seed"))
plt.show()
say("*Figure: each model's test accuracy, one line per seed.*")
fig = summary.plot_accuracy_vs_parameters(
    runs,
    reference=reference,
    title=f"{profile.name} profile: {five.epochs_for(profile)} epochs on {data.name}",
)
plt.show()
say("*Figure: test accuracy against parameters; open grey markers: the checkpoints trained to the end.*")
fold_references(reference)

# %% tags=["nbval-ignore-output"] slideshow={"slide_type": "fragment"}
five_models = five.judge(summary.claims.FIVE_MODELS, seeded)
order = sorted(mean_acc, key=mean_acc.get, reverse=True)
say(
    f"Mean test accuracy over {len(profile.seeds)} seed{'s' if len(profile.seeds) > 1 else ''}, best first: "
    + ", ".join(f"{label} {mean_acc[label]:.1%}" for label in order)
    + f". The BN-era designs against AlexNet and VGG: **{five_models.verdict}** ({five_models.reason})."
)

# %% [markdown] slideshow={"slide_type": "subslide"}
# What to look for: AlexNet and VGG have no batch normalisation, the other three normalise after
# every convolution. Compare how fast each learns with where each ends (the checkpoints). ResNet
# and DenseNet compute far more per parameter (the first table's last column): wide feature maps
# kept at full resolution longer.

# %% tags=["nbval-ignore-output"]
BN_ERA, NO_BN = ("GoogLeNet", "ResNet", "DenseNet"), ("AlexNet", "VGG")
first = {label: sum(h.val_acc[0] for h in by.values()) / len(by) for label, by in seeded.items()}
ends = {label: checkpoint_accuracy(name) for label, name in summary.CHECKPOINTS.items()}
span_now = max(mean_acc.values()) - min(mean_acc.values())
span_end = max(ends.values()) - min(ends.values())
say(
    "Validation accuracy after one epoch: "
    + ", ".join(f"{label} {first[label]:.0%}" for label in (*BN_ERA, *NO_BN))
    + (
        ": the three with BN were ahead from the start."
        if min(first[b] for b in BN_ERA) > max(first[n] for n in NO_BN)
        else ": not all three with BN were ahead after one epoch."
    )
    + f" The five span {100 * span_now:.0f} points of test accuracy here, {100 * span_end:.0f} "
    "trained to the end"
    + (": most of this table's gaps are how fast each learns." if span_now > 2 * span_end else ".")
)

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 2. The recipe that trains to the end
#
# The checkpoints learned with one recipe, `CONVERGED_TRAINING`: SGD with Nesterov momentum at
# peak rate 0.1 (AdamW for AlexNet and VGG), for many more epochs on all training images but a
# held-out tenth, and four ingredients:
#
# - **one-cycle**: the rate rises from a tenth of its peak to the peak over the first quarter of
#   the steps, then falls to a thousandth of it (Smith and Topin, 2019);
# - **label smoothing**: the target is $(1-\varepsilon)\,\text{onehot}(y) + \varepsilon / K$
#   with $\varepsilon = 0.1$, $K$ classes (Szegedy et al., 2016);
# - **weight decay** $5\cdot10^{-4}$ on convolution and linear weights;
# - **augmentation**: random crops (padding 4) and horizontal flips.
#
# Section 1's ResNet beside the `small_resnet` checkpoint's training history, dashed:

# %% tags=["nbval-ignore-output"]
ours = runs["ResNet"]
checkpoint_runs = converged_runs("small_resnet")
fig = legible(
    plot_history(
        ours,
        ("train_eval_error", "val_error"),
        reference=checkpoint_runs,
        title=f"ResNet, section 1's run: test accuracy {ours.test_acc:.1%}",
    )
)
plt.show()
say(
    "*Figure: training (eval mode) and validation error per epoch; section 1's run solid, the "
    "checkpoint dashed.*"
)
if checkpoint_runs and summary.takes_checkpoints(data):
    end = checkpoint_runs[0]
    final = ours.val_error[-1]
    passed = next((e for e, v in zip(end.epoch, end.val_error, strict=True) if v <= final), None)
    say(
        f"Section 1's run ends at {final:.1%} validation error after {len(ours.epoch)} epochs on "
        f"{len(five.data_for(data, profile.seeds[0], profile).train_labels):,} images. The checkpoint "
        + (f"was there by its epoch {passed}" if passed else "never got that low")
        + f" and ended at {end.val_error[-1]:.1%} after {len(end.epoch)}."
    )
elif checkpoint_runs:
    say(f"This run trained on {data.name}, the checkpoint on CIFAR-10: their errors are not comparable.")

# %% [markdown] slideshow={"slide_type": "subslide"}
# ### What each ingredient buys at course scale
#
# Section 1's small ResNet, on its data, with the full recipe and with each ingredient left out in
# turn (no one-cycle: a constant rate at the peak). Five runs, fixed before any run, on seed 0
# alone. One seed decides nothing: this is a table, with no claim and no verdict.

# %% tags=["nbval-ignore-output"]
ingredients = summary.recipes.INGREDIENTS_RECIPE
announce(ingredients, data, profile, what="the recipe, ingredient by ingredient")
ingredient_runs = ingredients.train(data, profile)
fig = summary.plot_ingredients(
    ingredient_runs,
    title=f"small ResNet, seed {ingredients.seed}, {ingredients.epochs_for(profile)} epochs: test accuracy",
)
plt.show()
say("*Figure: test accuracy with the full recipe (star, dashed line) and with each ingredient left out.*")
full_acc = ingredient_runs[summary.recipes.FULL_RECIPE].test_acc
change = {
    label: 100 * (h.test_acc - full_acc)
    for label, h in ingredient_runs.items()
    if label != summary.recipes.FULL_RECIPE
}
left_out = {label: ingredient for ingredient, (label, _) in summary.recipes.INGREDIENTS.items()}
worst = min(change, key=change.get)
helped = [left_out[label] for label, d in change.items() if d > 0]
resnet_seeds = [h.test_acc for h in seeded["ResNet"].values()]
seed_spread = 100 * (max(resnet_seeds) - min(resnet_seeds))
say(
    f"The full recipe reached {full_acc:.1%}; "
    + (
        f"leaving out {left_out[worst]} cost the most ({change[worst]:+.1f} points)"
        if change[worst] < 0
        else "no run without an ingredient did worse"
    )
    + (
        f"; without {', '.join(helped[:-1]) + ' or ' if len(helped) > 1 else ''}{helped[-1]} it did better"
        if helped
        else ""
    )
    + "."
    + (
        f" Section 1's ResNet varied by {seed_spread:.1f} points over its {len(profile.seeds)} seeds; "
        f"{sum(abs(d) > seed_spread for d in change.values())} of these four differences are larger."
        if len(profile.seeds) > 1
        else ""
    )
)

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 3. Where the five look
#
# The five checkpoints trained to the end, on the same CIFAR-10 test images at 32x32: Grad-CAM
# (Selvaraju et al., ICCV 2017) marks in red where each prediction's evidence sits.

# %% tags=["nbval-ignore-output"]
from cnnlessons import views

x, y = data.batch("test", 6)
if summary.takes_checkpoints(data):
    looked = summary.load_checkpoints()
    titles = {
        label: checkpoint_title(summary.CHECKPOINTS[label], f"{count_parameters(net):,} parameters")
        for label, net in looked.items()
    }
    images = data.test_images[:6]
    which = "the shipped checkpoints (`build_model(name, weights='cifar10')`)"
else:  # the checkpoints take CIFAR-10's 3x32x32 images: section 1's own models instead
    seen = five.data_for(data, profile.seeds[0], profile)
    x, y = seen.batch("test", 6)
    looked = {label: five.fit_run(five.run(label), data, profile, seed=profile.seeds[0])[0] for label in runs}
    titles = {label: f"{label}, section 1's run: test accuracy {runs[label].test_acc:.1%}" for label in runs}
    images = seen.test_images[:6]
    shape = "x".join(map(str, data.input_size))
    which = (
        f"section 1's own models (the checkpoints take CIFAR-10's 3x32x32 images, not {shape} {data.name})"
    )
right = {}
for label, net in looked.items():
    predicted = views.predict(net, x)
    right[label] = sum(int(p) == int(t) for p, t in zip(predicted, y, strict=True))
    fig = views.plot_gradcam(images, views.gradcam(net, x), y, predicted, data.classes, title=titles[label])
    plt.show()
say(
    f"*Figures: Grad-CAM of {which}, six test images each.* Right on these six: "
    + ", ".join(f"{label} {n}" for label, n in right.items())
    + "."
)

# %% [markdown] slideshow={"slide_type": "subslide"}
# ### Where they go wrong
#
# Each checkpoint's accuracy on each class of the 10,000 test images, from its record:

# %%
per_class = summary.class_accuracy()
fig = summary.plot_class_accuracy(
    per_class,
    {label: checkpoint_accuracy(name) for label, name in summary.CHECKPOINTS.items()},
    title="the five checkpoints trained to the end: accuracy per class (test accuracy in brackets)",
)
plt.show()
say("*Figure: accuracy per class, models by row, the hardest classes first; each model's worst framed.*")
worst_class = summary.worst_classes(per_class)
hardest = set(worst_class.values())
classes = list(next(iter(per_class.values())))
gap = {c: max(p[c] for p in per_class.values()) - min(p[c] for p in per_class.values()) for c in classes}
widest = max(gap, key=gap.get)
say(
    (
        f"**{hardest.pop()}** is every model's worst class ("
        + ", ".join(f"{label} {per_class[label][worst_class[label]]:.0%}" for label in per_class)
        + ")."
        if len(hardest) == 1
        else "Their worst classes: " + ", ".join(f"{label} {c}" for label, c in worst_class.items()) + "."
    )
    + f" The five differ most on {widest}: {100 * gap[widest]:.0f} points between the best and the worst."
)

# %% [markdown]
# Each checkpoint's most confident mistakes, with Grad-CAM for the class it wrongly predicted:
# where it saw that class.

# %% tags=["nbval-ignore-output"]
from cnnlessons.runs.errors import confident_mistakes_on

found = {label: confident_mistakes_on(name, data, n=6) for label, name in summary.CHECKPOINTS.items()}
if any(m.images is None for m in found.values()):
    say(next(m.why for m in found.values() if m.images is None))
else:
    for label, m in found.items():
        cams = views.gradcam(looked[label], data.normalize(m.images))  # explains the prediction
        fig = views.plot_gradcam(
            m.images,
            cams,
            m.truth,
            m.predicted,
            data.classes,
            title=checkpoint_title(summary.CHECKPOINTS[label], f"its {len(m)} most confident mistakes"),
        )
        plt.show()

    def span(m) -> str:
        low, high = f"{min(m.probability):.0%}", f"{max(m.probability):.0%}"
        return low if low == high else f"{low} to {high}"

    say(
        "*Figures: each checkpoint's most confident mistakes, truth and prediction above, Grad-CAM of "
        "the prediction below.* The probability each gave its wrong class: "
        + ", ".join(f"{label} {span(m)}" for label, m in found.items())
        + "."
    )

# %% [markdown] slideshow={"slide_type": "subslide"}
# With the real ImageNet weights (about 1 GB, online) the five full-size networks can be compared
# on scikit-learn's two sample photographs (`load_sample_images`):

# %%
REAL_WEIGHTS = False  # True: download the five ImageNet models (about 1 GB; needs network)
if REAL_WEIGHTS:
    from sklearn.datasets import load_sample_images
    from torchvision.models import get_model_weights

    photos = torch.stack([torch.tensor(im).permute(2, 0, 1) for im in load_sample_images().images])
    for name in ("alexnet", "vgg16", "googlenet", "resnet50", "densenet121"):
        weights = get_model_weights(name).DEFAULT
        xp = weights.transforms()(photos)  # resize, centre crop 224, normalise
        net = models.build_model(name, weights="DEFAULT").eval()
        with torch.no_grad():
            top5 = net(xp).softmax(1).topk(5)
        names = weights.meta["categories"]
        for i, (p, c) in enumerate(zip(top5.values, top5.indices, strict=False)):
            print(
                f"{name}, photo {i}:",
                ", ".join(f"{names[int(k)]} {float(v):.0%}" for v, k in zip(p, c, strict=False)),
            )
        fig = views.plot_gradcam(
            xp, views.gradcam(net, xp), predictions=top5.indices[:, 0].tolist(), class_names=names, title=name
        )
else:
    print(
        "Real weights are off: set REAL_WEIGHTS = True (online) for the five ImageNet models' top-5 "
        "predictions and activation maps on two real photos."
    )

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 4. The full-size models: parameters and FLOPs at 224x224
#
# The ImageNet models, built with the course's blocks (parameter for parameter torchvision's) on
# PyTorch's `meta` device: real shapes, no weights allocated, no arithmetic done.

# %%
full = summary.full_size(image_size=224)
display(Markdown(summary.full_size_table(full)))

# %% slideshow={"slide_type": "fragment"}
by_name = {r.name: r for r in full}
alexnet, vgg19, googlenet = by_name["AlexNet"], by_name["VGG-19"], by_name["GoogLeNet"]
resnet152, densenet121 = by_name["ResNet-152"], by_name["DenseNet-121"]
fig = summary.plot_full_size(full)
plt.show()
say("*Figure: GFLOPs per 224x224 image against parameters, both on log scales.*")
say(
    f"VGG-19 has {vgg19.parameters / googlenet.parameters:.0f}x GoogLeNet's parameters "
    f"and {vgg19.flops / alexnet.flops:.0f}x AlexNet's FLOPs; ResNet-152 is {152 // 19}x deeper "
    f"than VGG-19 with {resnet152.parameters / vgg19.parameters:.0%} of its parameters and "
    f"{resnet152.flops / vgg19.flops:.0%} of its FLOPs; DenseNet-121 needs "
    f"{densenet121.parameters / 1e6:.1f}M parameters, {densenet121.flops / 1e9:.1f} GFLOPs."
)

# %% [markdown] slideshow={"slide_type": "subslide"}
# Most of AlexNet's and VGG's parameters sit in the fully connected classifier (VGG's first FC
# layer alone has 512·7·7·4096 = 102,764,544 weights), used once per image. GoogLeNet, ResNet and
# DenseNet pool globally into one small classifier and spend their FLOPs in convolutions.

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 5. The four key techniques
#
# One computation each, on the library's own blocks:
#
# - **VGGNet: repeated 3x3 convolutions.** Three stacked 3x3 convolutions see 7x7 pixels, like one
#   7x7 convolution, with $27C^2$ instead of $49C^2$ weights and two more ReLUs.
# - **GoogLeNet: 1x1 convolutions.** A 1x1 reduction to 32 channels in front of a 3x3 convolution
#   128 → 128 cuts its weights from 147,456 to 40,960.
# - **ResNet: the skip connection.** A block computes $F(x) + x$; the identity shortcut costs no
#   parameters, and a block whose branch $F$ is zero passes its input on unchanged.
# - **DenseNet: concatenation.** A block computes $[x, F(x)]$; its output keeps $x$ as its first
#   channels, and its channels grow by $k$ per layer.

# %%
from cnnlessons.models.googlenet import reduction_params

C = 64
stack = nn.Sequential(*[nn.Conv2d(C, C, 3, padding=1, bias=False) for _ in range(3)])
single = nn.Conv2d(C, C, 7, padding=3, bias=False)
print(
    f"VGGNet    | three 3x3 convs {C}->{C}: {count_parameters(stack):,} weights, receptive field "
    f"{receptive_field([(3, 1)] * 3)}; one 7x7: {count_parameters(single):,} weights, receptive "
    f"field {receptive_field([(7, 1)])}"
)

direct, reduced = reduction_params(128, 32, 128)
print(f"GoogLeNet | 3x3 conv 128->128: {direct:,} weights; 1x1 128->32 then 3x3 32->128: {reduced:,}")

torch.manual_seed(0)
block = models.ResidualBlock(C, C).eval()
torch.nn.init.zeros_(block.last_bn.weight)  # F(x) = 0: only the shortcut is left
x = torch.relu(torch.randn(2, C, 8, 8))
with torch.no_grad():
    passes = torch.equal(block(x), x)
print(
    f"ResNet    | identity shortcut: {count_parameters(block.shortcut)} parameters; with F = 0 the "
    f"block returns its input exactly: {passes}"
)

dense = models.DenseBlock(num_layers=4, in_channels=C, growth_rate=32).eval()
with torch.no_grad():
    y = dense(x)
dense_keeps, dense_channels = torch.equal(y[:, :C], x), y.shape[1]
identity_params, stack_weights, single_weights = (
    count_parameters(m) for m in (block.shortcut, stack, single)
)
print(
    f"DenseNet  | dense block, 4 layers, k = 32: {C} -> {dense_channels} channels "
    f"({C} + 4*32), first {C} channels == input: {dense_keeps}"
)

# %% [markdown] slideshow={"slide_type": "subslide"}
# The blocks, drawn from the library's code on 64 input channels (the bottleneck on 256):

# %% slideshow={"slide_type": "fragment"}
from cnnlessons.views import diagram

five_blocks = {
    "AlexNet: two towers (conv, ReLU, pooling per GPU)": (
        models.SmallAlexNet(groups=2).features,
        (3, 32, 32),
    ),
    "VGGNet: a VGG block, two 3x3 convolutions": (models.VGGBlock(2, 64, 64), (64, 32, 32)),
    "GoogLeNet: the Inception block (3a)": (models.Inception(C, 64, (96, 128), (16, 32), 32), (C, 28, 28)),
    "ResNet: the residual block": (models.ResidualBlock(C, C), (C, 32, 32)),
    "ResNet: the bottleneck block": (models.Bottleneck(256, 64), (256, 32, 32)),
    "DenseNet: a dense block, 4 layers, k = 32": (models.DenseBlock(4, C, 32), (C, 32, 32)),
}
for title, (module, size) in five_blocks.items():
    fig = diagram(module.eval(), size, title=title)
    plt.show()
say("*Figures: each architecture's block, layer by layer, with output shapes.*")

# %% [markdown] slideshow={"slide_type": "subslide"}
# ### Exercise: the key techniques
#
# Write `key_techniques()` returning a dict from each of the four architectures (`"VGGNet"`,
# `"GoogLeNet"`, `"ResNet"`, `"DenseNet"`) to its key technique, in a few words.


# %% slideshow={"slide_type": "skip"}
def key_techniques() -> dict:
    ### BEGIN SOLUTION
    return {
        "VGGNet": "stacks of 3x3 convolutions",
        "GoogLeNet": "1x1 convolutions (in the Inception block)",
        "ResNet": "skip connections: F(x) + x",
        "DenseNet": "concatenation of all earlier feature maps",
    }
    ### END SOLUTION


# %% slideshow={"slide_type": "skip"}
check("summary.techniques", key_techniques)

# %% [markdown] slideshow={"slide_type": "subslide"}
# ### Exercise: which architecture is this block from?
#
# Write `identify_block(block, x)`: it gets a block it has never seen (plain torch layers in a
# class called `Block`) and an input `x` of positive values, and returns `"VGGNet"`,
# `"GoogLeNet"`, `"ResNet"` or `"DenseNet"`. What does a dense block keep of its input? What does a
# residual block with an identity shortcut return when all its weights are zero? Which kind of
# convolution cuts the cost of an Inception block?

# %% slideshow={"slide_type": "skip"}
import copy


def identify_block(block: nn.Module, x: torch.Tensor) -> str:
    ### BEGIN SOLUTION
    c = x.shape[1]
    with torch.no_grad():
        y = block(x)
        if y.shape[1] > c and y.shape[2:] == x.shape[2:] and torch.equal(y[:, :c], x):
            return "DenseNet"  # concatenation keeps the input, unchanged
        zeroed = copy.deepcopy(block)
        for p in zeroed.parameters():
            p.zero_()
        z = zeroed(x)
        if z.shape == x.shape and torch.allclose(z, x):
            return "ResNet"  # with F = 0 the block returns its input: F(x) + x
    kernels = {m.kernel_size for m in block.modules() if isinstance(m, nn.Conv2d)}
    return "GoogLeNet" if (1, 1) in kernels else "VGGNet"
    ### END SOLUTION


# %% slideshow={"slide_type": "skip"}
check("summary.identify_block", identify_block)

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Questions
#
# Predict, then run the cell below each question.

# %% [markdown] tags=["question"]
# With label smoothing 0.1 over CIFAR-10's ten classes, can a network's cross-entropy loss on an
# image reach zero? If not, what is the lowest it can reach, and with which prediction?

# %% tags=["question-answer"]
K, eps = 10, 0.1
target = torch.full((K,), eps / K)
target[0] += 1 - eps
smoothed = nn.CrossEntropyLoss(label_smoothing=eps)
label = torch.tensor([0])
lowest = smoothed(target.log()[None], label).item()
sure = torch.full((1, K), -20.0)
sure[0, 0] = 20.0
say(
    f"No: the lowest is {lowest:.3f}, the entropy of the target itself, reached by predicting it "
    f"({target[0]:.2f} for the true class, {target[1]:.2f} for each other). A prediction sure of the "
    f"true class scores {smoothed(sure, label).item():.2f}: larger logits cost loss."
)

# %% [markdown] tags=["question"]
# Of the five checkpoints, which has the fewest parameters, and how many points of test accuracy
# is it behind the most accurate one?

# %% tags=["question-answer"]
from cnnlessons.models.converged import load_record

counts = {label: load_record(name)["parameters"] for label, name in summary.CHECKPOINTS.items()}
smallest = min(counts, key=counts.get)
best = max(ends, key=ends.get)
say(
    f"{smallest}, with {counts[smallest]:,} parameters ({counts[smallest] / counts[best]:.0%} of "
    f"{best}'s {counts[best]:,}), is {100 * (ends[best] - ends[smallest]):.1f} points behind {best} "
    f"({ends[smallest]:.1%} against {ends[best]:.1%})."
)

# %% [markdown] tags=["question"]
# Of the seven full-size models of section 4, which does the most arithmetic per parameter, and
# which the least?

# %% tags=["question-answer"]
per_parameter = {r.name: r.flops / r.parameters for r in full}
most, least = max(per_parameter, key=per_parameter.get), min(per_parameter, key=per_parameter.get)
say(
    f"{most}: {per_parameter[most]:,.0f} FLOPs per parameter per image; {least}: "
    f"{per_parameter[least]:,.0f}"
    + (
        ", whose weights sit mostly in fully connected layers, used once per image."
        if least == "AlexNet"
        else "."
    )
)

# %% [markdown] tags=["question"]
# Which two classes does the ResNet checkpoint confuse most often?

# %% tags=["question-answer"]
from cnnlessons.models.converged import confusion_matrix

names, confusion = confusion_matrix(summary.CHECKPOINTS["ResNet"])
wrong = confusion.clone().fill_diagonal_(0)
both = wrong + wrong.T
a, b = divmod(int(both.argmax()), len(names))
say(
    f"{names[a]} and {names[b]}: {int(wrong[a, b])} {names[a]} images taken for a {names[b]}, "
    f"{int(wrong[b, a])} the other way, of {int(confusion[a].sum()):,} each."
)

# %% [markdown] tags=["question"]
# In section 1, did the model with the most FLOPs per image also take the longest to train?

# %% tags=["question-answer", "nbval-ignore-output"]
heaviest = max(runs, key=lambda label: runs[label].info["flops"])
slowest = max(runs, key=lambda label: runs[label].wall_time)
say(
    f"The most FLOPs per image: {heaviest} ({runs[heaviest].info['flops'] / 1e6:.1f} MFLOPs); the "
    f"longest training: {slowest} ({runs[slowest].wall_time:.1f} s)"
    + (
        ": the same model."
        if heaviest == slowest
        else f". FLOPs are not time: {slowest}'s {runs[slowest].info['flops'] / 1e6:.1f} MFLOPs took "
        "longer (layer count, thin layers and memory traffic cost time too)."
    )
)

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Claims ledger
#
# The effect claim is `shown` when every seed's paired difference, against the stronger of AlexNet
# and VGG, has the claimed sign and their mean clears the margin (`cnnlessons.claims.judge`); the
# constructive claims check the figures computed above.

# %% tags=["nbval-ignore-output"]
from cnnlessons.claims import show_ledger
from cnnlessons.runs.reference import end_entry

show_ledger(
    [
        five_models.row(
            budget="more epochs for every model, as the converged checkpoints had",
            converged=trained_to_the_end(*summary.CHECKPOINTS.values()),
            reference=end_entry(summary.claims.FIVE_MODELS.id),
        ),
        summary.claims.THREE_3X3.row(
            f"{stack_weights:,} against {single_weights:,} weights at C = {C}",
            bool(stack_weights == 27 * C * C and single_weights == 49 * C * C),
        ),
        summary.claims.REDUCTION.row(
            f"{direct:,} -> {reduced:,}",
            bool(reduced < direct),
        ),
        summary.claims.IDENTITY.row(
            f"returns its input: {passes}; shortcut parameters: {identity_params}",
            bool(passes and identity_params == 0),
        ),
        summary.claims.CONCATENATION.row(
            f"{C} -> {dense_channels} channels; first {C} == input: {dense_keeps}",
            bool(dense_keeps and dense_channels == C + 4 * 32),
        ),
    ]
)

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Summary
#
# - **AlexNet** (2012): ReLU, dropout, augmentation and two GPUs; most of its 61M parameters sit in
#   the classifier.
# - **VGGNet** (2014): stacked 3x3 convolutions; 144M parameters at 19 layers, the most of the five.
# - **GoogLeNet** (2014): 1x1 convolutions cut the Inception block's cost; 6.6M parameters.
# - **ResNet** (2015): the skip connection $F(x) + x$ makes 152 layers trainable.
# - **DenseNet** (2017): concatenation $[x, F(x)]$ reuses every feature. In the paper's Table 2 a
#   DenseNet-BC with 0.8M parameters has 4.51% error on augmented CIFAR-10, a pre-activation ResNet
#   with 10.2M 4.62%.
# - Training to the end took one-cycle, label smoothing, weight decay and augmentation.

# %% tags=["nbval-ignore-output"]
dense_vs_res = 100 * (mean_acc["DenseNet"] - mean_acc["ResNet"])
say(
    f"Here, under one budget, DenseNet ({runs['DenseNet'].info['parameters']:,} parameters) was "
    + (f"{dense_vs_res:.1f} points ahead of" if dense_vs_res > 0 else f"{-dense_vs_res:.1f} points behind")
    + f" ResNet ({runs['ResNet'].info['parameters']:,}) in mean test accuracy; trained to the end, "
    f"the DenseNet checkpoint reached {ends['DenseNet']:.1%} against ResNet's {ends['ResNet']:.1%}."
)

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Papers
#
# - A. Krizhevsky, I. Sutskever, G. E. Hinton. *ImageNet Classification with Deep Convolutional
#   Neural Networks.* NeurIPS 2012.
# - K. Simonyan, A. Zisserman. *Very Deep Convolutional Networks for Large-Scale Image
#   Recognition.* ICLR 2015. arXiv:1409.1556.
# - C. Szegedy et al. *Going Deeper with Convolutions.* CVPR 2015. arXiv:1409.4842.
# - K. He, X. Zhang, S. Ren, J. Sun. *Deep Residual Learning for Image Recognition.* CVPR 2016.
#   arXiv:1512.03385.
# - G. Huang, Z. Liu, L. van der Maaten, K. Q. Weinberger. *Densely Connected Convolutional
#   Networks.* CVPR 2017. arXiv:1608.06993.
# - O. Russakovsky et al. *ImageNet Large Scale Visual Recognition Challenge.* IJCV 115(3), 2015.
#   arXiv:1409.0575.
# - L. N. Smith, N. Topin. *Super-Convergence: Very Fast Training of Neural Networks Using Large
#   Learning Rates.* 2019. arXiv:1708.07120 (the one-cycle schedule).
# - C. Szegedy et al. *Rethinking the Inception Architecture for Computer Vision.* CVPR 2016.
#   arXiv:1512.00567 (label smoothing).
