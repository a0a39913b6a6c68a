from __future__ import annotations

import os
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import pytest

from secondme.clock import Clock
from secondme.config import load_settings
from secondme.services import build_services
from secondme.unlock import use_kdf_params
from storage import FAST_KDF, create_bank

from .fakes import FakeModel, HashingEmbedder

PASSPHRASE = "correct horse battery staple"


@pytest.fixture(autouse=True)
def isolated_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """No test touches the real home, keyring or clock, nor sees the developer's settings.

    New keys use the fastest KDF the floors allow (subprocesses: `tests/cli_runner.py`)."""
    for var in [name for name in os.environ if name.startswith("SECONDME_")]:
        monkeypatch.delenv(var)
    monkeypatch.setenv("SECONDME_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("SECONDME_MODEL_CACHE", str(Path.home() / ".cache" / "secondme" / "models"))
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("TMPDIR", str(tmp_path / "tmp"))
    (tmp_path / "tmp").mkdir()
    previous = use_kdf_params(FAST_KDF)
    yield
    use_kdf_params(previous)


@pytest.fixture
def home(tmp_path: Path) -> Path:
    return tmp_path / "home"


@pytest.fixture
def bank(home: Path):
    b = create_bank(home, PASSPHRASE, FAST_KDF)
    yield b
    b.close()


@pytest.fixture
def clock() -> Clock:
    return Clock(datetime(2024, 5, 1, 12, 0, 0))


@pytest.fixture
def fake_model() -> FakeModel:
    return FakeModel()


@pytest.fixture
def embedder() -> HashingEmbedder:
    return HashingEmbedder()


@pytest.fixture
def services(bank, clock, home, fake_model, embedder):
    settings = load_settings(home)
    svc = build_services(settings, bank, clock, embedder=embedder, model=fake_model)
    yield svc
    svc.close()


@pytest.fixture
def unembedded_services(bank, clock, home, fake_model, embedder):
    """As `services`, but writes get no vector: they wait for the embed job (an import)."""
    svc = build_services(load_settings(home), bank, clock, embedder=embedder, model=fake_model,
                         embed_on_write=False)
    yield svc
    svc.close()


@pytest.fixture
def make_services(bank, clock, home, fake_model, embedder):
    """Services over the test bank with other seams, e.g. make_services(model=GatedModel()).

    The fakes are the defaults; `model=None` means "load the configured model" (to test a
    missing one), and `settings=` replaces the test home's settings."""
    def make(*, settings=None, **seams):
        seams.setdefault("model", fake_model)
        seams.setdefault("embedder", embedder)
        return build_services(settings or load_settings(home), bank, clock, **seams)
    return make
