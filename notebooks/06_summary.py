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
# Five lessons, five networks, each remembered for one idea: AlexNet (2012) showed that a deep CNN
# with ReLUs, dropout and GPUs wins ImageNet; VGGNet (2014) built depth from repeated 3x3
# convolutions; GoogLeNet (2014) cut the cost with 1x1 convolutions inside Inception blocks; ResNet
# (2015) made very deep networks trainable with skip connections; DenseNet (2017) reuses every
# feature by concatenation.
#
# After this lesson you can
#
# 1. compare the five course-scale models trained under one budget: parameters, FLOPs, accuracy,
#    training time and memory;
# 2. read the full-size models' parameters and FLOPs, and say where each spends them;
# 3. name each architecture's key technique and show it with a one-line computation.

# %% slideshow={"slide_type": "skip"}
# %% [markdown] slideshow={"slide_type": "slide"}
# ## The ImageNet challenge, 2010-2017
#
# The winners of ILSVRC's classification task, top-5 error on the test set by year. The first two
# years were won without CNNs; from 2012 every winner was a CNN, and each was an ensemble of
# several networks (the bar says how many). The last challenge, in 2017, went to SENet.
# DenseNet (2017) won none; it is in this course because it takes ResNet's shortcut one step
# further. The sources are numbered under the figure.
# %% slideshow={"slide_type": "fragment"}
import matplotlib.pyplot as plt
import torch
from IPython.display import Markdown, display
from torch import nn

from cnnlessons import load_data, models
from cnnlessons.lessons import summary
from cnnlessons.measure import count_parameters, receptive_field
from cnnlessons.plots import plot_ilsvrc
from cnnlessons.runs.results import converged_runs, reference_runs, trained_to_the_end

fig = plot_ilsvrc()
plt.show()

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 1. All five under one budget
#
# The course-scale model of each lesson (the DenseNet is lesson 05's DenseNet-BC), built for
# 3x32x32 CIFAR-10 images. Parameters and FLOPs per image (`torch.utils.flop_counter`: a
# multiply-add counts as 2 FLOPs) are properties of the architecture and do not depend on the run:

# %%
display(Markdown(summary.small_models_table((3, 32, 32))))

# %% [markdown] slideshow={"slide_type": "subslide"}
# Now each is trained under **one budget**: the same data, the same number of epochs (the
# profile's), batch size, optimiser (AdamW, learning rate 0.002 with a one-cycle schedule) and
# augmentation, on each of the profile's seeds (0, 1 and 2 in `cpu`, on half the images at 16x16
# pixels, so that every seed of the five fits the lesson's budget). The table adds the test
# accuracy, the training time on this machine, the memory a training step keeps for backward per
# image (measured on any device), and the peak memory of the run where the device reports it (a
# CUDA GPU; the CPU does not).
#
# The parameter counts in this table are those of the models built for the data the run trains
# on. They differ from the first table's wherever the data does: the first convolution has a
# weight per input channel (3 for colour images, 1 for the greyscale digits of the `smoke`
# profile), and a classifier that reads a feature map as it is grows with the image size.

# %% tags=["nbval-ignore-output"]
import matplotlib.pyplot as plt

from cnnlessons.plots import plot_paired, plot_seeds

data = load_data(profile)
five = summary.recipes.FIVE_MODELS
print(data)
print(five.describe(profile))
print(five.estimate(data, profile))
seeded = five.train_seeds(data, profile)
runs = {label: by_seed[profile.seeds[0]] for label, by_seed in seeded.items()}
print(f"The table is seed {profile.seeds[0]}'s run:")
display(Markdown(summary.summary_table(runs)))

# %% tags=["nbval-ignore-output"]
reference = reference_runs(five.key) + converged_runs(*(name for name, _ in summary.SMALL_MODELS.values()))
fig = plot_seeds(seeded, ("train_eval_error", "val_error"), title="the five under one budget")
plt.show()
fig = plot_paired(seeded, "test_acc", title="test accuracy, seed by seed")
plt.show()
fig = summary.plot_accuracy_vs_parameters(
    runs,
    reference=reference,
    title=f"{profile.name} profile: {five.epochs_for(profile)} epochs on {data.name}",
)

# %% tags=["nbval-ignore-output"] slideshow={"slide_type": "fragment"}
five_models = five.judge(summary.claims.FIVE_MODELS, seeded)
mean_acc = {
    label: sum(h.test_acc for h in by_seed.values()) / len(by_seed) for label, by_seed in seeded.items()
}
order = sorted(mean_acc, key=mean_acc.get, reverse=True)
print(
    f"Take-away ({profile.name} profile, {data.name}): mean test accuracy over the seeds, best first: "
    + ", ".join(f"{label} {mean_acc[label]:.1%}" for label in order)
    + f". The BN-era designs against AlexNet and VGG: {five_models.verdict} ({five_models.reason})."
)
for run in reference:
    print(f"Reference ({run.info.get('device')}, {run.info.get('date')}): {run}")

# %% [markdown] slideshow={"slide_type": "subslide"}
# What to look for. AlexNet and VGG have no batch normalisation and learn slowest in the first
# epochs; the three later designs (GoogLeNet, ResNet and DenseNet, all with BN) learn faster per
# epoch: compare their curves with AlexNet's and VGG's above. Under a budget this small, that
# speed is most of what the accuracies measure; the converged checkpoints (dashed in the
# accuracy-against-parameters plot, and the table's last column) show where each ends up. ResNet
# and DenseNet also compute far more per parameter (see the FLOPs per parameter in the first
# table): they keep wide feature maps at full resolution for longer, which shows in their training
# time on a CPU, and DenseNet's concatenations add memory traffic that FLOPs do not count.
#
# In the `gpu` profile the same cell trains on all of CIFAR-10 at 32x32; that run is drawn as
# open grey markers once a reproduction file exists (`python -m cnnlessons reproduce`, experiment
# `06_summary/five_models`).

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 2. The full-size models: parameters and FLOPs at 224x224
#
# The ImageNet models, built with the course's own blocks (each parameter for parameter
# torchvision's model of the same name) on PyTorch's `meta` device: the shapes are real, no
# weights are allocated and no arithmetic is done, so even VGG-19 costs nothing to measure. FLOPs
# are counted for one 224x224 image.

# %%
full = summary.full_size(image_size=224)
display(Markdown(summary.full_size_table(full)))

# %% slideshow={"slide_type": "fragment"}
by_name = {r.name: r for r in full}
alexnet, vgg19, googlenet = by_name["AlexNet"], by_name["VGG-19"], by_name["GoogLeNet"]
resnet152, densenet121 = by_name["ResNet-152"], by_name["DenseNet-121"]
print(
    f"Take-away: VGG-19 has {vgg19.parameters / googlenet.parameters:.0f}x GoogLeNet's parameters "
    f"and {vgg19.flops / alexnet.flops:.0f}x AlexNet's FLOPs; ResNet-152 is {152 // 19}x deeper "
    f"than VGG-19 with {resnet152.parameters / vgg19.parameters:.0%} of its parameters and "
    f"{resnet152.flops / vgg19.flops:.0%} of its FLOPs; DenseNet-121 needs "
    f"{densenet121.parameters / 1e6:.1f}M parameters, {densenet121.flops / 1e9:.1f} GFLOPs."
)
fig = summary.plot_full_size(full)

# %% [markdown] slideshow={"slide_type": "subslide"}
# Where the parameters go: most of AlexNet's and VGG's sit in the fully connected classifier
# (VGG's first FC layer alone has 512·7·7·4096 = 102,764,544 weights), which costs few FLOPs per
# weight. GoogLeNet, ResNet and DenseNet end with global average pooling and a single small
# classifier, and spend their FLOPs in convolutions applied at every pixel, hence their high
# FLOPs per parameter. DenseNet never entered the ImageNet challenge (the last one ran in 2017);
# it is in this course because it carries ResNet's shortcut idea one step further.

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 3. The four key techniques
#
# One computation for each technique, on the library's own blocks:
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
# The five blocks side by side, each drawn by `cnnlessons.views.diagram` from the block the library
# builds, on 64 input channels (the bottleneck on 256, as in ResNet-50):

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
# The harder test of the same idea: write `identify_block(block, x)`, which gets a block it has
# never seen — built from plain torch layers, in a class called `Block` whose name gives nothing
# away — and an input `x` of positive values, and returns `"VGGNet"`, `"GoogLeNet"`, `"ResNet"` or
# `"DenseNet"`. Use what the lessons showed: what does a dense block keep of its input? What does a
# residual block with an identity shortcut return when every weight of its layers is zero? Which
# kind of convolution cuts the cost of an Inception block?

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
# ## 4. Where the five look
#
# The class-activation maps (Grad-CAM) of the five course-scale models of section 1, on the same
# test images: for each image, red marks where the evidence for the model's prediction sits. The
# models come from the run cache of section 1, not trained again.

# %% tags=["nbval-ignore-output"]
from cnnlessons import views

seen = five.data_for(data, profile.seeds[0], profile)  # the images as section 1's runs saw them
x, y = seen.batch("test", 6)
for label in runs:
    trained, _ = five.fit_run(five.run(label), data, profile, seed=profile.seeds[0])
    print(f"{label}:\n{views.shape_table(trained, seen.input_size, depth=1)}")
    fig = views.plot_gradcam(
        seen.test_images[:6],
        views.gradcam(trained, x),
        y,
        views.predict(trained, x),
        seen.classes,
        title=label,
    )

# %% [markdown] slideshow={"slide_type": "subslide"}
# With the real ImageNet weights the five full-size networks can be compared on real photographs:
# the two that scikit-learn ships (`load_sample_images`: a Chinese temple and a flower). The
# weights are about 1 GB to download, so this runs only when you ask for it, online.

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
        "predictions and activation maps on two real photos; above are the course-scale models."
    )

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Claims ledger
#
# The course's summary claims, with this run's figures. The effect claim's verdict comes from the
# course's one rule (`cnnlessons.claims.judge`): paired runs on the same seeds, `shown` when every
# seed's difference has the claimed sign and their mean clears the margin, against the stronger of
# AlexNet and VGG seed by seed. The constructive claims are checks on the figures computed above.

# %% tags=["nbval-ignore-output"]
from cnnlessons.claims import show_ledger

show_ledger(
    [
        five_models.row(
            budget="more epochs for every model, as the converged checkpoints had",
            converged=trained_to_the_end(*(name for name, _ in summary.SMALL_MODELS.values())),
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
# - **AlexNet** (2012): ReLU, dropout, augmentation and two GPUs made a deep CNN trainable on
#   ImageNet; most of its 61M parameters sit in the classifier.
# - **VGGNet** (2014): only 3x3 convolutions, stacked for depth; 144M parameters at 19 layers, the
#   most of the five in parameters and FLOPs.
# - **GoogLeNet** (2014): 1x1 convolutions cut the cost of the Inception block's parallel branches;
#   22 layers with 6.6M parameters.
# - **ResNet** (2015): the skip connection $F(x) + x$ makes 152 layers trainable.
# - **DenseNet** (2017): concatenation $[x, F(x)]$ reuses every feature; channels grow linearly
#   with the growth rate; the paper's DenseNet-BC reaches ResNet's accuracy with fewer parameters.

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Papers
#
# - A. Krizhevsky, I. Sutskever, G. E. Hinton. *ImageNet Classification with Deep Convolutional
#   Neural Networks.* NeurIPS 2012.
# - K. Simonyan, A. Zisserman. *Very Deep Convolutional Networks for Large-Scale Image
#   Recognition.* ICLR 2015. arXiv:1409.1556.
# - C. Szegedy, W. Liu, Y. Jia, P. Sermanet, S. Reed, D. Anguelov, D. Erhan, V. Vanhoucke,
#   A. Rabinovich. *Going Deeper with Convolutions.* CVPR 2015. arXiv:1409.4842.
# - K. He, X. Zhang, S. Ren, J. Sun. *Deep Residual Learning for Image Recognition.* CVPR 2016.
#   arXiv:1512.03385.
# - G. Huang, Z. Liu, L. van der Maaten, K. Q. Weinberger. *Densely Connected Convolutional
#   Networks.* CVPR 2017. arXiv:1608.06993.
# - O. Russakovsky, J. Deng, H. Su, J. Krause, S. Satheesh, S. Ma, Z. Huang, A. Karpathy,
#   A. Khosla, M. Bernstein, A. C. Berg, L. Fei-Fei. *ImageNet Large Scale Visual Recognition
#   Challenge.* IJCV 115(3), 2015. arXiv:1409.0575.
