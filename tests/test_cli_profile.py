"""`secondme profile correct|delete` through the real entry point: memory, recall, audit."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from storage import audit, unlock_bank

from .cli_runner import run


@pytest.fixture
def env(home: Path) -> dict[str, str]:
    base = {"SECONDME_HOME": str(home), "SECONDME_PASSPHRASE": "pw",
            "SECONDME_NOW": "2024-05-08T09:00:00"}
    run(["init"], base)
    run(["remember", "I live in Lyon and I work as a nurse.", "--at", "2024-03-01T09:00"], base)
    run(["jobs", "run", "profile", "--no-llm"], base)
    return base


def facts(env, *extra: str) -> dict[str, dict]:
    listed = json.loads(run(["profile", "--json", *extra], env).stdout)["facts"]
    return {f["value"]: f for f in listed}


def bm25(env, query: str) -> list[dict]:
    out = run(["search", query, "--mode", "bm25", "--all", "--json"], env).stdout
    return [h["memory"] for h in json.loads(out)["hits"]]


def audit_text(home: Path) -> str:
    with unlock_bank(home, "pw") as bank:
        rows = bank.db().query("SELECT before, after, note FROM audit_log")
        return json.dumps([dict(r) for r in rows], ensure_ascii=False)


def test_correct_then_the_job_keeps_it_and_recall_shows_the_old_value_only_as_past(env, home):
    lyon = facts(env)["Lyon"]
    out = json.loads(run(["profile", "correct", str(lyon["id"]), "Porto", "--json"],
                         env).stdout)
    assert out["replaces"] == lyon["id"] and out["fact"]["value"] == "Porto"
    assert out["fact"]["trust"] == "user" and out["fact"]["method"] == "user correction"
    run(["jobs", "run", "profile", "--no-llm"], env)           # must not erase the correction
    current = facts(env)
    assert "Porto" in current and "Lyon" not in current
    assert current["Porto"]["id"] == out["id"]
    assert facts(env, "--history")["Lyon"]["status"] == "closed"
    hits = {m["text"]: m for m in bm25(env, "lives")}
    assert hits["User lives in Porto."]["state"] == "active"
    assert hits["User lives in Lyon."]["state"] == "archived"
    current_hits = json.loads(run(["search", "lives", "--mode", "bm25", "--json"], env).stdout)
    assert "User lives in Lyon." not in [h["memory"]["text"] for h in current_hits["hits"]]
    text = run(["profile", "correct", str(out["id"]), "Braga"], env).stdout
    assert "User lives in Braga." in text and f"#{out['id']}" in text
    with unlock_bank(home, "pw") as bank:
        actions = [h["action"] for h in audit.history(bank.db(), "memory", lyon["memory_id"])]
    assert actions == ["create", "archive"]


def test_delete_asks_first_then_leaves_nothing_searchable(env, home):
    nurse = facts(env)["nurse"]
    fixed = json.loads(run(["profile", "correct", str(nurse["id"]), "zookeeper", "--json"],
                           env).stdout)
    assert [m["kind"] for m in bm25(env, "zookeeper")] == ["fact"]

    refused = run(["profile", "delete", str(fixed["id"])], env, check=False)
    assert refused.returncode == 2 and refused.stderr.count("\n") == 1
    assert "--yes" in refused.stderr and "Traceback" not in refused.stderr
    assert "zookeeper" in facts(env)

    out = json.loads(run(["profile", "delete", str(fixed["id"]), "--yes", "--json"],
                         env).stdout)
    assert out == {"id": fixed["id"], "deleted": True,
                   "removed": {"evidence_links": 0, "memory": 1}}
    assert "zookeeper" not in facts(env, "--history")
    assert bm25(env, "zookeeper") == []
    assert "zookeeper" not in audit_text(home)
    text = run(["profile", "delete", str(nurse["id"]), "--yes"], env).stdout
    assert f"Deleted fact #{nurse['id']}" in text
    assert [m["kind"] for m in bm25(env, "nurse")] == ["remember"]


@pytest.mark.parametrize("args", [["profile", "correct", "999", "Porto"],
                                  ["profile", "delete", "999", "--yes"],
                                  ["profile", "delete", "999", "--json", "--yes"]])
def test_unknown_fact_ids_are_a_one_line_error(env, args):
    proc = run(args, env, check=False)
    assert proc.returncode == 2
    assert proc.stderr == "error: no profile fact with id 999\n"
