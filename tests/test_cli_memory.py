"""`secondme memory …` and the forgetting curve, driven through the real entry point."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from secondme.clock import Clock
from secondme.config import load_settings
from secondme.services import build_services
from storage import unlock_bank

from .cli_runner import run

ROOT = Path(__file__).resolve().parents[1]
T0 = datetime(2024, 5, 1, 12, 0)




def at(days: float) -> str:
    return (T0 + timedelta(days=days)).isoformat()


@pytest.fixture
def env(home: Path) -> dict[str, str]:
    base = {"SECONDME_HOME": str(home), "SECONDME_PASSPHRASE": "pw", "SECONDME_NOW": at(0)}
    run(["init"], base)
    return base


def remember(env, text: str, *extra: str) -> int:
    out = json.loads(run(["remember", text, "--json", *extra], env).stdout)
    return out["id"]


def show(env, memory_id: int, days: float = 0) -> dict:
    return json.loads(run(["memory", "show", str(memory_id), "--json"],
                          {**env, "SECONDME_NOW": at(days)}).stdout)


def test_show_has_text_times_source_curve_and_history(env):
    memory_id = remember(env, "I ran 5 km on April 27th", "--at", "2024-04-27")
    data = show(env, memory_id)
    memory, ret = data["memory"], data["retention"]
    assert memory["text"] == "I ran 5 km on April 27th"
    assert memory["event_at"] == "2024-04-27T00:00:00"
    assert memory["recorded_at"] == at(0) and memory["source"] == "cli"
    assert memory["recall_count"] == 0 and memory["strength"] == 2.0
    assert 0 < ret["r_now"] < 1
    assert ret["r_now"] > ret["projected"]["1"] > ret["projected"]["7"] > ret["projected"]["30"]
    assert ret["days_since_reinforced"] == pytest.approx(4.5)
    assert ret["days_until_archive"] > 0 and ret["threshold"] == 0.05 and ret["tau_days"] == 7
    assert [h["action"] for h in data["history"]] == ["create"]

    text = run(["memory", "show", str(memory_id)], env).stdout
    for needle in ("I ran 5 km on April 27th", "Happened      2024-04-27", "Strength S    2.00",
                   "Retention R   now", "+1d", "+7d", "+30d", "Curve", "◆", "create"):
        assert needle in text, needle


def test_sixty_days_later_decay_archives_unused_not_pinned_and_restore(env, home):
    unused = remember(env, "Bought a blue umbrella")
    pinned = remember(env, "My blood type is O negative")
    run(["memory", "pin", str(pinned)], env)

    later = show(env, unused, days=60)["retention"]
    assert later["r_now"] < later["threshold"] and later["below_threshold"]
    kept = show(env, pinned, days=60)["retention"]
    assert kept["r_now"] == 1.0 and kept["never_fades"]
    assert "below θ: the decay job will archive it" in run(
        ["memory", "show", str(unused)], {**env, "SECONDME_NOW": at(60)}).stdout

    # the decay job (scheduler's `decay`) is MemoryService.apply_decay at that time
    bank = unlock_bank(home, "pw")
    try:
        services = build_services(load_settings(home), bank, Clock(T0 + timedelta(days=60)))
        assert services.memory.apply_decay()["archived"] == 1
    finally:
        bank.close()

    assert show(env, unused, days=60)["memory"]["state"] == "archived"
    assert show(env, pinned, days=60)["memory"]["state"] == "active"
    later_env = {**env, "SECONDME_NOW": at(60)}
    default = json.loads(run(["search", "umbrella", "--json", "--mode", "bm25"], later_env).stdout)
    assert default["hits"] == []
    everything = json.loads(run(["search", "umbrella", "--json", "--mode", "bm25", "--all"],
                                later_env).stdout)
    assert [h["memory"]["id"] for h in everything["hits"]] == [unused]

    out = run(["memory", "restore", str(unused)], later_env).stdout
    assert "was archived" in out
    data = show(env, unused, days=60)
    assert data["memory"]["state"] == "active" and data["retention"]["r_now"] == 1.0
    assert [h["action"] for h in data["history"]] == ["create", "archive", "restore"]
    assert data["history"][1]["actor"] == "decay"


def test_pin_unpin_edit_history(env):
    memory_id = remember(env, "Dentist on Friday", "--at", "2024-04-01")
    assert "will not fade" in run(["memory", "pin", str(memory_id)], env).stdout
    assert show(env, memory_id, days=365)["retention"]["r_now"] == 1.0
    out = json.loads(run(["memory", "unpin", str(memory_id), "--json"], env).stdout)
    assert out["memory"]["pinned"] is False and out["retention"]["r_now"] < 1
    run(["memory", "edit", str(memory_id), "Dentist on Thursday"], env)
    assert show(env, memory_id)["memory"]["text"] == "Dentist on Thursday"
    history = json.loads(run(["memory", "history", str(memory_id), "--json"], env).stdout)
    assert [h["action"] for h in history["history"]] == ["create", "pin", "unpin", "edit"]
    assert history["history"][-1]["before"]["text"] == "Dentist on Friday"
    assert "edit" in run(["memory", "history", str(memory_id)], env).stdout


def test_forget_needs_confirmation_and_leaves_only_a_redacted_entry(env):
    memory_id = remember(env, "the secret-canary-5150 note")
    refused = run(["memory", "forget", str(memory_id)], env, check=False)
    assert refused.returncode != 0 and "--yes" in (refused.stderr + refused.stdout)
    assert show(env, memory_id)["memory"]["text"] == "the secret-canary-5150 note"

    out = json.loads(run(["memory", "forget", str(memory_id), "--yes", "--json"], env).stdout)
    assert out["forgotten"] and out["removed"]["memory"] == 1
    gone = run(["memory", "show", str(memory_id)], env, check=False)
    assert gone.returncode == 2 and f"no memory with id {memory_id}" in gone.stderr
    history = json.loads(run(["memory", "history", str(memory_id), "--json"], env).stdout)
    assert history["history"][-1]["action"] == "forget"
    assert "secret-canary" not in json.dumps(history)
    hits = json.loads(run(["search", "secret-canary-5150", "--json", "--mode", "bm25", "--all"],
                          env).stdout)["hits"]
    assert hits == []


def test_unknown_ids_are_clear_errors(env):
    for args in (["memory", "show", "999"], ["memory", "pin", "999"],
                 ["memory", "restore", "999"], ["memory", "forget", "999", "--yes"],
                 ["memory", "history", "999"]):
        proc = run(args, env, check=False)
        assert proc.returncode == 2 and "no memory with id 999" in proc.stderr, args
