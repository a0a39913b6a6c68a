"""`secondme jobs`, `jobs run`, `profile` and `summaries`, driven through the real entry point."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from .cli_runner import run

ROOT = Path(__file__).resolve().parents[1]




@pytest.fixture
def env(home: Path) -> dict[str, str]:
    return {"SECONDME_HOME": str(home), "SECONDME_PASSPHRASE": "pw", "SECONDME_USER": "Ana"}


def test_jobs_listing_before_anything_ran(env):
    run(["init"], env)
    data = json.loads(run(["jobs", "--json"], env).stdout)
    assert data["scheduler"] == "off"
    assert [j["name"] for j in data["jobs"]] == ["embed", "dedupe", "profile", "summarize",
                                                 "decay"]
    assert all(j["last_run"] is None for j in data["jobs"])
    assert "never run" in run(["jobs"], env).stdout
    bad = run(["jobs", "run", "tidy"], env, check=False)
    assert bad.returncode == 2 and "unknown job" in bad.stderr


@pytest.mark.real_model   # the embed job and the extractive summaries load the real embedder
def test_moving_city_then_profile_history_summaries_and_a_quiet_rerun(env):
    run(["init"], env)
    run(["remember", "I live in Lyon and I work as a nurse.", "--at", "2024-03-01T09:00"], env)
    run(["remember", "I moved from Lyon to Porto.", "--at", "2024-04-20T09:00"], env)
    out = json.loads(run(["jobs", "run", "all", "--no-llm", "--now", "2024-05-08", "--json"],
                         env).stdout)
    assert [r["status"] for r in out["runs"]] == ["ok"] * 5

    facts = json.loads(run(["profile", "--json"], env).stdout)["facts"]
    assert {(f["attribute"], f["value"]) for f in facts} == {("lives_in", "Porto"),
                                                            ("job", "nurse")}
    history = json.loads(run(["profile", "--json", "--history"], env).stdout)["facts"]
    lyon = next(f for f in history if f["value"] == "Lyon")
    assert lyon["status"] == "closed" and lyon["valid_to"] == "2024-04-20T09:00:00"
    assert all(s["verified"] for f in history for s in f["sources"])
    assert "Lyon" in run(["profile", "--history"], env).stdout

    summaries = json.loads(run(["summaries", "--json"], env).stdout)["summaries"]
    levels = sorted(s["level"] for s in summaries)
    assert levels == ["day", "day", "life", "month", "month", "week", "week"]
    assert all(s["sources"] and s["method"] == "extractive" for s in summaries)

    again = json.loads(run(["jobs", "run", "all", "--no-llm", "--now", "2024-05-08", "--json"],
                           env).stdout)
    counts = {r["job"]: r["counts"] for r in again["runs"]}
    assert counts["summarize"]["created"] == 0 and counts["profile"]["created"] == 0
    listing = json.loads(run(["jobs", "--json"], env).stdout)
    assert all(j["last_run"]["status"] == "ok" for j in listing["jobs"])
