"""The KDF parameters new keys get, and packaging that tells the truth about Python."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

from secondme.unlock import kdf_params, use_kdf_params
from storage import DEFAULT_KDF, FAST_KDF, KdfParams, KeyFileError

ROOT = Path(__file__).resolve().parents[1]


def test_no_environment_variable_weakens_the_kdf(monkeypatch):
    monkeypatch.setenv("SECONDME_KDF", "fast")
    previous = use_kdf_params(DEFAULT_KDF)
    try:
        assert kdf_params() == DEFAULT_KDF
    finally:
        use_kdf_params(previous)


def test_product_code_never_reads_a_kdf_switch():
    for folder in ("secondme", "storage", "tui"):
        for path in (ROOT / folder).rglob("*.py"):
            assert "SECONDME_KDF" not in path.read_text(encoding="utf-8"), path


def test_the_test_seam_is_explicit_and_keeps_the_floors():
    assert kdf_params() == FAST_KDF            # set by the suite's fixture, not by the env
    with pytest.raises(KeyFileError):
        use_kdf_params(KdfParams(m_kib=8, t=1, p=1))
    assert kdf_params() == FAST_KDF


def test_requires_python_matches_the_code():
    """config.py imports tomllib (3.11+): the package must not claim 3.10."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    assert project["project"]["requires-python"].replace(" ", "") == ">=3.11"
    assert project["tool"]["ruff"]["target-version"] == "py311"
