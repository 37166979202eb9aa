"""The error analysis in the checkpoints' records (``cnnlessons.runs.errors``): each shipped record's
confusion matrix covers the 10,000 test images and gives its test accuracy, its confident mistakes
are mistakes, most confident first; the function that measures them agrees with the model's own
argmax on a small slice of data the test makes; the record check refuses planted faults. No test
here runs over the real dataset."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest
import torch

from cnnlessons.data import CourseData
from cnnlessons.models import build_model
from cnnlessons.models.converged import (
    check_error_analysis,
    confident_mistakes,
    confusion_matrix,
    load_record,
    per_class_accuracy,
    record_path,
    weights_digest,
    weights_path,
)
from cnnlessons.runs.converged import CONVERGED
from cnnlessons.runs.errors import CONFIDENT_MISTAKES, add_error_analysis, error_analysis, split_digest

CLASSES = ["airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck"]


@pytest.mark.parametrize("name", sorted(CONVERGED))
def test_each_shipped_record_holds_its_error_analysis(name):
    record = load_record(name)
    check_error_analysis(record)  # the diagonal within 0.2 points of the record's test accuracy
    classes, confusion = confusion_matrix(name)
    assert classes == list(record["per_class_test_acc"]) == CLASSES
    assert confusion.shape == (10, 10) and int(confusion.sum()) == 10_000
    assert int(confusion.diagonal().sum()) / 10_000 == pytest.approx(record["test_acc"], abs=0.002)
    about = record["error_analysis"]
    assert about["split"] == "test" and about["images"] == 10_000 and about["precision"] == "fp32"
    assert "JPEG re-encoding" in about["data"] and about["date"] >= record["date"]
    assert about["weights_sha256"] == record["weights_sha256"]
    mistakes = confident_mistakes(name)
    assert len(mistakes) == CONFIDENT_MISTAKES
    assert all(m["true"] != m["predicted"] for m in mistakes)
    probabilities = [m["probability"] for m in mistakes]
    assert probabilities == sorted(probabilities, reverse=True) and 0.1 < probabilities[-1] <= 1
    assert len({m["index"] for m in mistakes}) == len(mistakes)
    # the bf16 measurement at the end of training and this float32 one on the float16 weights
    accuracy = per_class_accuracy(name)
    assert accuracy == pytest.approx(record["per_class_test_acc"], abs=0.005)


def test_the_shipped_records_measured_one_and_the_same_test_split():
    hashes = {load_record(name)["error_analysis"]["test_sha256"] for name in CONVERGED}
    assert len(hashes) == 1


def _random_data(n: int = 48, seed: int = 0) -> CourseData:
    """CIFAR-shaped random images and labels: a test split of ``n``, tiny other splits."""
    g = torch.Generator().manual_seed(seed)

    def images(k: int) -> torch.Tensor:
        return torch.randint(0, 256, (k, 3, 32, 32), dtype=torch.uint8, generator=g)

    def labels(k: int) -> torch.Tensor:
        return torch.randint(0, 10, (k,), generator=g)

    return CourseData(
        "random",
        list(CLASSES),
        images(8),
        labels(8),
        images(4),
        labels(4),
        images(n),
        labels(n),
        torch.tensor([0.49, 0.48, 0.45]),
        torch.tensor([0.25, 0.24, 0.26]),
        source="random tensors",
    )


def _tiny_model(seed: int = 0) -> torch.nn.Module:
    torch.manual_seed(seed)
    return build_model("small_alexnet").eval()


def test_error_analysis_agrees_with_the_models_argmax():
    data, model = _random_data(), _tiny_model()
    found = error_analysis(model, data, mistakes=5, batch_size=20)  # batches of 20, 20, 8
    with torch.no_grad():
        probabilities = torch.softmax(model(data.normalize(data.test_images)), dim=1)
    top, predicted = probabilities.max(dim=1)
    truth = data.test_labels
    confusion = torch.tensor(found["confusion"])
    assert confusion.shape == (10, 10) and int(confusion.sum()) == len(truth)
    for t in range(10):
        for p in range(10):
            assert confusion[t, p] == int(((truth == t) & (predicted == p)).sum())
    wrong = (predicted != truth).nonzero().flatten().tolist()
    expected = sorted(wrong, key=lambda i: -float(top[i]))[:5]
    mistakes = found["confident_mistakes"]
    assert [m["index"] for m in mistakes] == expected
    for m in mistakes:
        i = m["index"]
        assert (m["true"], m["predicted"]) == (CLASSES[truth[i]], CLASSES[predicted[i]])
        assert m["probability"] == pytest.approx(float(top[i]), abs=6e-5)
    about = found["error_analysis"]
    assert about["images"] == 48 and about["split"] == "test" and about["data"] == "random tensors"
    assert about["classes"] == CLASSES and about["test_sha256"] == split_digest(data)
    record = {"name": "tiny", "test_acc": float((predicted == truth).float().mean()), **found}
    check_error_analysis(record, tolerance=1e-9)
    assert error_analysis(model, data, mistakes=0)["confident_mistakes"] == []


def test_the_test_split_hash_sees_one_changed_pixel_or_label():
    data = _random_data()
    before = split_digest(data)
    data.test_images[3, 1, 7, 7] ^= 1
    assert split_digest(data) != before
    data.test_images[3, 1, 7, 7] ^= 1
    data.test_labels[0] = (data.test_labels[0] + 1) % 10
    assert split_digest(data) != before


def _planted(record: dict[str, Any], fault: str) -> dict[str, Any]:
    bad = copy.deepcopy(record)
    mistakes = bad["confident_mistakes"]
    if fault == "total":
        bad["confusion"][3][5] += 1
    elif fault == "accuracy":  # the same total: 50 airplanes moved off the diagonal (0.5 points)
        bad["confusion"][0][0] -= 50
        bad["confusion"][0][1] += 50
    elif fault == "not a mistake":
        mistakes[2]["predicted"] = mistakes[2]["true"]
    elif fault == "order":
        mistakes[0], mistakes[1] = mistakes[1], mistakes[0]
        mistakes[0]["probability"] = mistakes[1]["probability"] - 0.01
    elif fault == "shape":
        bad["confusion"] = bad["confusion"][:9]
    elif fault == "index":
        mistakes[4]["index"] = 10_000
    elif fault == "twice":
        mistakes[1]["index"] = mistakes[0]["index"]
    return bad


@pytest.mark.parametrize(
    "fault, message",
    [
        ("total", r"the confusion counts 10,001 images, not the 10,000 measured"),
        ("accuracy", r"its diagonal gives .* the record's test accuracy is"),
        ("not a mistake", r"confident mistake 2 is not a mistake"),
        ("order", r"not most confident first \(at 1\)"),
        ("shape", r"confusion must be 10 x 10 counts"),
        ("index", r"confident mistake 4 has no index into the 10,000 images"),
        ("twice", r"listed twice"),
    ],
)
def test_the_check_refuses_a_planted_fault(fault, message):
    record = load_record("small_vgg")
    check_error_analysis(record)
    with pytest.raises(ValueError, match=message):
        check_error_analysis(_planted(record, fault))


def test_the_accessors_refuse_a_record_whose_confusion_total_is_wrong(tmp_path):
    source = Path(record_path("small_vgg")).parent
    for path in (record_path("small_vgg", source), weights_path("small_vgg", source)):
        (tmp_path / path.name).write_bytes(path.read_bytes())
    record = json.loads(record_path("small_vgg", tmp_path).read_text())
    record_path("small_vgg", tmp_path).write_text(json.dumps(_planted(record, "total")))
    with pytest.raises(ValueError, match="counts 10,001 images"):
        per_class_accuracy("small_vgg", tmp_path)
    del record["confusion"]
    record_path("small_vgg", tmp_path).write_text(json.dumps(record))
    with pytest.raises(
        ValueError, match="holds no error analysis: add it with `cnnlessons checkpoints errors"
    ):
        confident_mistakes("small_vgg", tmp_path)


def _tiny_checkpoint(folder: Path, data: CourseData) -> dict[str, Any]:
    """A small_alexnet checkpoint as ``train`` writes one (float16 weights, a finished record)."""
    state = {k: v.half() if v.is_floating_point() else v for k, v in _tiny_model().state_dict().items()}
    torch.save(state, weights_path("small_alexnet", folder))
    record = {
        "name": "small_alexnet",
        "model": "small_alexnet",
        "model_kwargs": {},
        "test_acc": 0.1,
        "per_class_test_acc": {c: 0.1 for c in CLASSES},
        "test_set": "random tensors of the test: the test split, 48 images",
        "normalisation": {"mean": data.mean.tolist(), "std": data.std.tolist()},
        "weights_sha256": weights_digest(state),
        "history": {"epoch": [1], "interrupted": False},
    }
    record_path("small_alexnet", folder).write_text(json.dumps(record, indent=1) + "\n")
    return record


def test_adding_the_analysis_to_a_record_leaves_the_weights_and_the_rest_alone(tmp_path):
    data = _random_data()
    before = _tiny_checkpoint(tmp_path, data)
    weights = weights_path("small_alexnet", tmp_path).read_bytes()
    record = add_error_analysis("small_alexnet", data, folder=tmp_path, device="cpu", mistakes=3)
    assert weights_path("small_alexnet", tmp_path).read_bytes() == weights
    assert json.loads(record_path("small_alexnet", tmp_path).read_text()) == record
    assert {k: v for k, v in record.items() if k in before} == before
    assert record["error_analysis"]["data"] == "random tensors of the test"
    assert record["error_analysis"]["weights_sha256"] == before["weights_sha256"]
    assert len(record["confident_mistakes"]) == 3
    # measured on the weights as they load: float16, in float32
    model = build_model("small_alexnet")
    model.load_state_dict(
        {k: v.float() for k, v in torch.load(weights_path("small_alexnet", tmp_path)).items()}
    )
    assert record["confusion"] == error_analysis(model.eval(), data)["confusion"]
    again = add_error_analysis("small_alexnet", data, folder=tmp_path, data_name="named", mistakes=3)
    assert again["error_analysis"]["data"] == "named" and list(again) == list(record)

    other = _random_data(seed=1)
    other.mean = other.mean + 0.01
    with pytest.raises(ValueError, match="these are not the data it trained on"):
        add_error_analysis("small_alexnet", other, folder=tmp_path)


def test_the_checkpoints_errors_command_names_what_it_cannot_do(tmp_path, capsys):
    from cnnlessons.__main__ import main

    assert main(["checkpoints", "errors", "resnet18", "--data", str(tmp_path)]) == 2
    assert "no converged CIFAR-10 checkpoint of 'resnet18'" in capsys.readouterr().err
    assert (
        main(["checkpoints", "errors", "--data", str(tmp_path / "nowhere"), "--folder", str(tmp_path)]) == 2
    )
    assert capsys.readouterr().err == f"checkpoints errors: --folder {tmp_path} holds no checkpoint\n"
    _tiny_checkpoint(tmp_path, _random_data())
    assert (
        main(["checkpoints", "errors", "--data", str(tmp_path / "nowhere"), "--folder", str(tmp_path)]) == 2
    )
    err = capsys.readouterr().err
    assert err.startswith("checkpoints errors: --data: dataset path") and "does not exist" in err


def test_confident_mistakes_on_show_images_only_on_the_records_own_test_split(digits, monkeypatch):
    import dataclasses

    from cnnlessons.runs import errors
    from cnnlessons.runs.errors import confident_mistakes_on

    found = confident_mistakes_on("small_vgg", digits)
    assert found.images is None and len(found) == 0
    assert f"({len(digits.test_labels):,} digits images) is another" in found.why and "10,000" in found.why
    # On the record's own split (its hash; here stand-ins of CIFAR-10's 10,000 test images), the
    # mistakes are the record's, their images picked by index, most confident first.
    cifar = dataclasses.replace(
        digits,
        classes=CLASSES,
        test_images=(torch.arange(10_000).view(-1, 1, 1, 1) % 256).expand(-1, 3, 2, 2).to(torch.uint8),
        test_labels=torch.zeros(10_000, dtype=torch.int64),
    )
    monkeypatch.setattr(
        errors, "split_digest", lambda data: load_record("small_vgg")["error_analysis"]["test_sha256"]
    )
    found = confident_mistakes_on("small_vgg", cifar, n=3)
    listed = confident_mistakes("small_vgg")[:3]
    assert found.why == "" and found.name == "small_vgg" and len(found) == 3
    assert [int(img[0, 0, 0]) for img in found.images] == [m["index"] % 256 for m in listed]
    assert [CLASSES[k] for k in found.predicted] == [m["predicted"] for m in listed]
    assert [CLASSES[k] for k in found.truth] == [m["true"] for m in listed]
    assert found.probability == [m["probability"] for m in listed] == sorted(found.probability, reverse=True)
    with pytest.raises(ValueError, match="n must be an int >= 1, got 0"):
        confident_mistakes_on("small_vgg", cifar, n=0)
