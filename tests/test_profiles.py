import pytest

from cnnlessons.profiles import PROFILES, get_profile, profile_name


def test_three_profiles_with_budgets():
    assert set(PROFILES) == {"smoke", "cpu", "gpu"}
    smoke, cpu, gpu = PROFILES["smoke"], PROFILES["cpu"], PROFILES["gpu"]
    assert smoke.dataset == "digits" and not smoke.progress
    assert cpu.dataset == gpu.dataset == "cifar10"
    assert smoke.train_size < cpu.train_size and gpu.train_size is None
    assert smoke.epochs <= cpu.epochs <= gpu.epochs


def test_env_variable_chooses(monkeypatch):
    monkeypatch.setenv("CNNLESSONS_PROFILE", "GPU ")
    assert get_profile().name == "gpu"


def test_defaults_without_variable(monkeypatch):
    monkeypatch.delenv("CNNLESSONS_PROFILE", raising=False)
    monkeypatch.setattr("torch.cuda.is_available", lambda: False)
    monkeypatch.setenv("CI", "true")
    assert profile_name() == "smoke"
    monkeypatch.delenv("CI")
    assert profile_name() == "cpu"
    monkeypatch.setattr("torch.cuda.is_available", lambda: True)
    assert profile_name() == "gpu"


def test_unknown_profile_names_the_choices(monkeypatch):
    monkeypatch.setenv("CNNLESSONS_PROFILE", "fast")
    with pytest.raises(ValueError, match="profile must be one of smoke, cpu, gpu.*'fast'"):
        get_profile()


def test_scaled_copy_and_str():
    p = PROFILES["cpu"].scaled(epochs=1)
    assert p.epochs == 1 and PROFILES["cpu"].epochs != 1
    assert "10,000 training images" in str(PROFILES["cpu"])
