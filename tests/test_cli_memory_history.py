"""`memory history` shows text changes; pin/unpin that change nothing log nothing (16.8)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from secondme.exporters import export_markdown
from secondme.exporters.common import counted

from .cli_runner import run


@pytest.fixture
def env(home: Path) -> dict[str, str]:
    base = {"SECONDME_HOME": str(home), "SECONDME_PASSPHRASE": "pw"}
    run(["init"], base)
    return base


def test_history_shows_the_text_change_and_a_no_op_unpin_is_not_logged(env):
    memory_id = json.loads(run(["remember", "Dentist on Friday", "--json"], env).stdout)["id"]
    assert "was not pinned; nothing changed" in run(["memory", "unpin", str(memory_id)],
                                                    env).stdout
    run(["memory", "edit", str(memory_id), "Dentist on Thursday"], env)
    text = run(["memory", "history", str(memory_id)], env).stdout
    assert "'Dentist on Friday' -> 'Dentist on Thursday'" in text
    history = json.loads(run(["memory", "history", str(memory_id), "--json"], env).stdout)
    assert [h["action"] for h in history["history"]] == ["create", "edit"]


def test_pin_twice_and_unpin_twice_log_one_change_each(services):
    memory_id = services.memory.remember("Keep this")
    for _ in range(2):
        assert services.memory.pin(memory_id).pinned
    for _ in range(2):
        assert not services.memory.unpin(memory_id).pinned
    actions = [h["action"] for h in services.memory.history(memory_id)]
    assert actions == ["create", "pin", "unpin"]


def test_counts_are_pluralised():
    assert counted(1, "memory", "memories") == "1 memory"
    assert counted(2, "memory", "memories") == "2 memories"
    assert counted(0, "month") == "0 months"


def test_the_markdown_export_index_pluralises(services, tmp_path):
    services.memory.remember("One thing only")
    export_markdown(services, tmp_path / "md", plaintext=True)
    index = (tmp_path / "md" / "index.md").read_text()
    assert "1 memory in 1 month." in index and "— 1 memory" in index
    assert "1 memories" not in index and "1 months" not in index
