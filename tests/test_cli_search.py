"""`secondme search` says when memories are not embedded yet (issue 16 item 4)."""

from __future__ import annotations

import importlib
import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from secondme.cli import app

from .cli_runner import run


@pytest.fixture
def env(home: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    base = {"SECONDME_HOME": str(home), "SECONDME_PASSPHRASE": "pw"}
    run(["init"], base)
    run(["remember", "I live in Lyon."], base)
    run(["remember", "Lyon has two rivers."], base)
    for key, value in base.items():
        monkeypatch.setenv(key, value)
    return base


def test_json_counts_the_memories_without_a_vector(env):
    out = json.loads(run(["search", "Lyon", "--mode", "bm25", "--json"], env).stdout)
    assert out["not_embedded"] == 2 and len(out["hits"]) == 2


def test_text_output_says_how_many_are_found_by_keywords_only(env, monkeypatch):
    search_cli = importlib.import_module("secondme.cli.search")
    monkeypatch.setattr(search_cli, "CATCH_UP_LIMIT", 0)     # too many to embed on the spot
    result = CliRunner().invoke(app, ["search", "Lyon"])
    assert result.exit_code == 0, result.output
    assert "2 memories are not embedded yet" in result.output
    assert "I live in Lyon." in result.output


def test_the_note_is_singular_for_one():
    search_cli = importlib.import_module("secondme.cli.search")
    assert search_cli.not_embedded_note(1).startswith("1 memory is not embedded yet")
