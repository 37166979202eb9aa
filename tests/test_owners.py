"""One owner per fact: the device is named only by ``devices.device_description``, the claims'
MIME type is defined only in ``claims.ledger``."""

from __future__ import annotations

import ast
import pathlib

ROOT = pathlib.Path(__file__).resolve().parents[1]
SOURCES = sorted([*(ROOT / "cnnlessons").rglob("*.py"), *(ROOT / "tools").glob("*.py")])
DEVICE_OWNER = ROOT / "cnnlessons" / "devices.py"
DEVICE_NAMING = {"get_device_name", "cpu_model"}
"""Calls that name a device: only its owner makes them."""


def device_namers(source: str) -> list[str]:
    """The calls of ``source`` that name a device, and the strings that spell one out."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Call):
            name = getattr(node.func, "attr", getattr(node.func, "id", ""))
            if name in DEVICE_NAMING:
                found.append(f"{name}()")
        elif isinstance(node, ast.Constant) and isinstance(node.value, str) and "Apple's GPU" in node.value:
            found.append(repr(node.value))
    return found


def test_a_device_is_named_only_by_its_owner():
    elsewhere = {
        path.relative_to(ROOT).as_posix(): found
        for path in SOURCES
        if path != DEVICE_OWNER and (found := device_namers(path.read_text()))
    }
    assert not elsewhere, f"a device named outside devices.device_description: {elsewhere}"
    assert device_namers(DEVICE_OWNER.read_text())  # the reader sees the owner's own calls


def test_the_reader_sees_a_device_named_by_hand():
    found = device_namers('name = torch.cuda.get_device_name(0)\nx = "Apple\'s GPU (mps)"')
    assert found == ["get_device_name()", repr("Apple's GPU (mps)")]
    assert device_namers("name = device_description(device)") == []


def test_the_claims_mime_type_has_one_definition():
    definitions = [
        path.relative_to(ROOT).as_posix()
        for path in SOURCES
        if "application/vnd.cnnlessons.claims+json" in path.read_text()
    ]
    assert definitions == ["cnnlessons/claims/ledger.py"]
