"""The views explorer: image and stage dropdowns redraw the feature maps and the Grad-CAM map."""

import numpy as np
import pytest
import torch

from cnnlessons import views
from cnnlessons.explorers.views import ViewsExplorer
from cnnlessons.models import build_model


@pytest.fixture(scope="module")
def model():
    torch.manual_seed(0)
    return build_model("small_resnet", in_channels=1, depth=8, width=4).eval()


def _arrays(fig):
    return [np.asarray(im.get_array()) for ax in fig.axes for im in ax.get_images()]


def _close(actual: np.ndarray, expected: np.ndarray) -> bool:
    """Whether torch.testing.assert_close would pass (the same map computed in another batch)."""
    try:
        torch.testing.assert_close(actual, expected, check_dtype=False)
    except AssertionError:
        return False
    return True


def test_default_stage_and_first_image(digits, model):
    explorer = ViewsExplorer(model, digits, n_images=4)
    explorer.show()
    assert explorer.redraws == 1 and explorer.stage.value == "layer3"
    assert explorer.stage.options == ("stem", "layer1", "layer2", "layer3")
    label = digits.classes[int(digits.test_labels[0])]
    assert explorer.image.options[0] == (f"0: {label}", 0)
    assert "image 0: predicted" in explorer.text and "stage layer3: 16 maps of 4x4" in explorer.text
    # the overlay is Grad-CAM at that stage, the panels the stage's most active maps
    x, _ = digits.batch("test", 4)
    arrays = _arrays(explorer.figure)
    expected = views.gradcam(model, x[:1], target_layer="layer3")[0].numpy()
    torch.testing.assert_close(arrays[2], expected, check_dtype=False)
    assert len(arrays) == 3 + 8 and arrays[3].shape == (4, 4)


def test_stage_and_image_redraw(digits, model):
    explorer = ViewsExplorer(model, digits, n_images=4, channels=4)
    explorer.show()
    before = explorer.text
    explorer.stage.value = "layer1"
    assert explorer.redraws == 2 and explorer.text != before
    assert "stage layer1: 4 maps of 16x16" in explorer.text
    arrays = _arrays(explorer.figure)
    maps = views.feature_maps(model, digits.batch("test", 1)[0][0], stages=["layer1"])["layer1"]
    assert len(arrays) == 3 + 4 and any(_close(a, maps[c].numpy()) for a in arrays[3:] for c in range(4))
    explorer.image.value = 2
    assert explorer.redraws == 3 and explorer.text.startswith("image 2: predicted")
    assert set(explorer.cache) == {(0, "layer3"), (0, "layer1"), (2, "layer1")}
    explorer.image.value = 0  # from the cache
    assert explorer.redraws == 4 and len(explorer.cache) == 3


def test_images_without_data_and_bad_arguments(digits, model):
    x, y = digits.batch("test", 2)
    explorer = ViewsExplorer(model, images=x, labels=y.tolist(), class_names=digits.classes, stage="stem")
    explorer.show()
    assert "stage stem: 4 maps of 16x16" in explorer.text
    with pytest.raises(ValueError, match="stage must be one of"):
        ViewsExplorer(model, digits, stage="layer9")
    with pytest.raises(ValueError, match="give data"):
        ViewsExplorer(model)
    with pytest.raises(ValueError, match="labels"):
        ViewsExplorer(model, images=x, labels=[1])


def test_look_inside_shows_the_table_the_maps_the_evidence_and_the_explorer(digits, model, capsys):
    import matplotlib.pyplot as plt

    from cnnlessons.explorers.views import look_inside

    shown = look_inside(model, digits, images=4)
    printed = capsys.readouterr().out
    assert shown.table in printed and "layer3" in shown.table and shown.explorer.text in printed
    # the feature maps are those of the first test image, at every stage
    x, y = digits.batch("test", 4)
    expected = views.plot_feature_maps(
        views.feature_maps(model, x[0]), channels=6, image=digits.test_images[0]
    )
    drawn = _arrays(shown.feature_maps)
    assert len(drawn) == len(_arrays(expected)) > 4
    for a, b in zip(drawn, _arrays(expected), strict=False):
        torch.testing.assert_close(a, b, check_dtype=False)
    # Grad-CAM on the first 4 test images, titled with their true and predicted classes
    titles = [ax.get_title() for ax in shown.gradcam.axes if ax.get_title()]
    predicted = views.predict(model, x).tolist()
    assert titles == [
        f"true: {digits.classes[t]}\npred: {digits.classes[p]}"
        for t, p in zip(y.tolist(), predicted, strict=False)
    ]
    assert shown.explorer.image.options[-1][1] == 3 and shown.explorer.redraws == 1
    plt.close("all")


@pytest.mark.parametrize(
    "kwargs, message",
    [
        (dict(model="resnet"), "model must be an nn.Module, got str"),
        (dict(data=None), "data must be a CourseData"),
        (dict(images=0), "images must be an int >= 1, got 0"),
    ],
)
def test_look_inside_names_a_bad_argument(digits, model, kwargs, message):
    from cnnlessons.explorers.views import look_inside

    args = {"model": model, "data": digits, **kwargs}
    with pytest.raises((TypeError, ValueError), match=message):
        look_inside(args.pop("model"), args.pop("data"), **args)


def test_look_inside_says_when_the_converged_weights_cannot_take_the_data(digits, model, capsys):
    import matplotlib.pyplot as plt

    from cnnlessons.explorers.views import look_inside

    shown = look_inside(model, digits, converged="small_resnet", images=2)
    first = capsys.readouterr().out.splitlines()[0]
    assert (
        first.startswith("this run's own model: SmallResNet") and "takes CIFAR-10's 3x32x32 images" in first
    )
    assert shown.explorer.model is model
    with pytest.raises(ValueError, match="converged must be one of resnet20, small_alexnet"):
        look_inside(model, digits, converged="resnet18")
    plt.close("all")


def test_look_inside_folds_its_table_and_titles_the_run_with_its_accuracy_on_request(digits, model, capsys):
    import matplotlib.pyplot as plt

    from cnnlessons.explorers.views import look_inside

    shown = look_inside(model, digits, images=2, fold_table=True, accuracy=0.5)
    printed = capsys.readouterr().out
    # outside a notebook the fold prints its summary line, then the table
    assert "Layer table of SmallResNet: " in printed and shown.table in printed
    assert shown.accuracy == 0.5 and shown.titled == "this run's own model (50.0% test accuracy)"
    assert (
        shown.feature_maps._suptitle.get_text()
        == "feature maps of this run's own model (50.0% test accuracy)"
    )
    assert shown.gradcam._suptitle.get_text() == "Grad-CAM of this run's own model (50.0% test accuracy)"
    assert shown.explorer.figure._suptitle.get_text().startswith(
        "this run's own model (50.0% test accuracy); layer3"
    )
    # True alone knows no accuracy for the run's own model: the titles stay as they were
    shown = look_inside(model, digits, images=2, accuracy=True)
    assert shown.accuracy is None and shown.gradcam._suptitle.get_text() == "Grad-CAM of this run's own model"
    assert shown.explorer.figure._suptitle.get_text().startswith("layer3")
    with pytest.raises(ValueError, match="accuracy must be True, False or a test accuracy between 0 and 1"):
        look_inside(model, digits, accuracy=50.0)
    plt.close("all")


def test_look_inside_titles_the_checkpoint_with_its_records_accuracy(digits, capsys):
    import dataclasses

    import matplotlib.pyplot as plt

    from cnnlessons.explorers.views import look_inside
    from cnnlessons.models.converged import load_record

    cifar = dataclasses.replace(  # CIFAR-10's shape, for the checkpoint: a few stand-in images
        digits,
        classes=[f"class {k}" for k in range(10)],
        train_images=torch.zeros(1, 3, 32, 32, dtype=torch.uint8),
        test_images=torch.zeros(2, 3, 32, 32, dtype=torch.uint8),
        test_labels=torch.zeros(2, dtype=torch.int64),
    )
    torch.manual_seed(0)
    own = build_model("small_resnet", depth=8, width=4)
    accuracy = load_record("small_resnet")["test_acc"]
    # the checkpoint's accuracy, not the run's own (0.1)
    shown = look_inside(own, cifar, converged="small_resnet", images=1, channels=2, accuracy=0.1)
    assert shown.model is not own and shown.accuracy == accuracy
    assert (
        shown.gradcam._suptitle.get_text()
        == f"Grad-CAM of small_resnet trained to the end ({accuracy:.1%} test accuracy)"
    )
    capsys.readouterr()
    plt.close("all")
