"""Which models are installed, resolving NAME|PATH, and saving the choice (CLI and TUI share it)."""

from __future__ import annotations

from pathlib import Path

import pytest

from secondme.config import load_settings
from secondme.llm.catalog import CatalogError
from secondme.llm.installed import installed_models, model_label, resolve, save_active

CATALOG = ('[tiny]\ntitle = "Tiny"\nrepo = "o/tiny"\nfile = "tiny.gguf"\nsize_mb = 1\n'
           'licence = "MIT"\nram_gb = 0.5\n\n[big]\ntitle = "Big"\nrepo = "o/big"\n'
           'file = "big.gguf"\nsize_mb = 9\nlicence = "MIT"\nram_gb = 9\n')


@pytest.fixture
def models(tmp_path, monkeypatch) -> Path:
    folder = tmp_path / "models"
    folder.mkdir()
    (folder / "tiny.gguf").write_bytes(b"GGUF....")
    (tmp_path / "catalog.toml").write_text(CATALOG)
    monkeypatch.setenv("SECONDME_MODEL_CACHE", str(folder))
    monkeypatch.setenv("SECONDME_MODEL_CATALOG", str(tmp_path / "catalog.toml"))
    return folder


def test_installed_is_the_default_the_pulled_catalog_models_and_the_configured_file(
        models, tmp_path):
    assert [(m.name, m.active) for m in installed_models(None)] == \
        [("default", True), ("tiny", False)]          # 'big' was never pulled
    tiny = str(models / "tiny.gguf")
    assert [(m.name, m.path, m.active) for m in installed_models(tiny)] == \
        [("default", None, False), ("tiny", tiny, True)]
    own = tmp_path / "mine.gguf"
    own.write_bytes(b"GGUF")
    listed = installed_models(str(own))
    assert [(m.name, m.title, m.active) for m in listed][-1] == (str(own), "mine.gguf", True)
    assert not any(m.active for m in listed[:-1])


def test_resolve_takes_a_name_a_path_or_default_and_refuses_the_rest(models, tmp_path):
    assert resolve("default") is None
    assert resolve("tiny") == (models / "tiny.gguf").resolve()
    assert resolve(str(models / "tiny.gguf")) == (models / "tiny.gguf").resolve()
    with pytest.raises(CatalogError, match="model pull big"):
        resolve("big")
    with pytest.raises(CatalogError, match="neither a catalog name"):
        resolve("nope")
    (tmp_path / "text.gguf").write_text("hello")
    with pytest.raises(CatalogError, match="not a GGUF"):
        resolve(str(tmp_path / "text.gguf"))


def test_save_active_writes_and_removes_the_model_key(models, tmp_path):
    home = tmp_path / "home"
    written = save_active(home, resolve("tiny"))
    assert written == home / "config.toml"
    assert load_settings(home).model == str((models / "tiny.gguf").resolve())
    save_active(home, None)
    assert load_settings(home).model is None


def test_a_catalog_file_is_labelled_by_its_title_anything_else_by_its_own_name(models,
                                                                             tmp_path):
    assert model_label(str(models / "tiny.gguf"), "Gemma 3 270m") == "Tiny"
    assert model_label(str(tmp_path / "mine.gguf"), "Gemma 3 270m") == "Gemma 3 270m"
