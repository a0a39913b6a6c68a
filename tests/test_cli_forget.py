"""`secondme forget --source …` through the real entry point (issue 16 item 2)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from .cli_runner import run


@pytest.fixture
def env(home: Path) -> dict[str, str]:
    base = {"SECONDME_HOME": str(home), "SECONDME_PASSPHRASE": "pw",
            "SECONDME_NOW": "2024-05-10T09:00:00"}
    run(["init"], base)
    return base


def search(env, words: str) -> list:
    return json.loads(run(["search", words, "--json", "--mode", "bm25", "--all"],
                          env).stdout)["hits"]


def test_forget_source_undoes_an_import_with_a_dry_run_and_counts(env, tmp_path):
    vault = tmp_path / "vault"
    vault.mkdir()
    (vault / "one.md").write_text("# Trip\n\nThe qzvaultword trip to the coast.\n")
    (vault / "two.md").write_text("# Plans\n\nMore qzvaultword plans for June.\n")
    run(["import", str(vault)], env)
    assert len(search(env, "qzvaultword")) == 2

    dry = json.loads(run(["forget", "--source", str(vault), "--dry-run", "--json"], env).stdout)
    assert dry["dry_run"] and dry["counts"]["memories"] == 2
    assert {"memories", "messages", "summaries", "facts"} <= set(dry["counts"])
    assert len(search(env, "qzvaultword")) == 2            # nothing changed yet

    refused = run(["forget", "--source", str(vault)], env, check=False)
    assert refused.returncode == 2 and "Traceback" not in refused.stderr
    assert len(refused.stderr.strip().splitlines()) == 1 and "--yes" in refused.stderr

    done = json.loads(run(["forget", "--source", str(vault), "--yes", "--json"], env).stdout)
    assert done["counts"]["memories"] == 2 and done["counts"]["documents"] == 2
    assert search(env, "qzvaultword") == []
    text = run(["forget", "--source", str(vault), "--yes"], env, check=False)
    assert text.returncode == 2 and "nothing in the bank was imported" in text.stderr


def test_forget_source_import_run_and_session(env, tmp_path):
    note = tmp_path / "single.md"
    note.write_text("# Note\n\nA qzrunword line.\n")
    run(["import", str(note)], env)
    out = run(["forget", "--source", "import-run:last", "--yes"], env).stdout
    assert "Forgot 1 memory" in out
    assert search(env, "qzrunword") == []
    bad = run(["forget", "--source", "session:nope", "--yes"], env, check=False)
    assert bad.returncode == 2 and "no chat session" in bad.stderr


def test_issue_12_1_reproduction_through_the_cli(env):
    """remember at 05-01 and 05-03, summarize, `memory forget N --yes`, summarize → none has it."""
    first = json.loads(run(["remember", "DAYONLY qzdayword my therapist notes", "--at",
                            "2024-05-01", "--json"], env).stdout)["id"]
    run(["remember", "Lunch with Sam at the harbour", "--at", "2024-05-03"], env)
    run(["jobs", "run", "summarize", "--no-llm", "--now", "2024-05-10"], env)

    def texts() -> str:
        items = json.loads(run(["summaries", "--history", "--json"], env).stdout)["summaries"]
        return "\n".join(s["text"] for s in items)

    assert "qzdayword" in texts()
    run(["memory", "forget", str(first), "--yes"], env)
    assert "qzdayword" not in texts()
    run(["jobs", "run", "summarize", "--no-llm", "--now", "2024-05-10"], env)
    assert "qzdayword" not in texts() and "harbour" in texts()
