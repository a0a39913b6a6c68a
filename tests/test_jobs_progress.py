"""Long work shows progress: one callback shape, the job's row, Rich bars, JSON lines.

Issue 16 item 4: `jobs run` was silent for minutes; `secondme jobs` could not tell how
far a running job was.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from secondme import jobs
from secondme.jobs.runner import JobContext, run_job
from storage import jobs as job_rows
from storage import unlock_bank

from .cli_runner import run


def test_a_running_job_keeps_its_progress_in_its_row_in_one_shape(services):
    seen: dict = {}

    def job(ctx: JobContext) -> None:
        ctx.report("count", 0, 10)
        seen["row"] = job_rows.get_run(services.bank.db(), ctx.run_id)
        ctx.report("count", 4)                     # total not known: None, never 0

    calls: list[tuple] = []
    result = run_job(services, "probe", job, progress=lambda *args: calls.append(args))
    assert seen["row"]["status"] == "running"
    assert seen["row"]["counts"]["progress"] == {"stage": "count", "done": 0, "total": 10}
    assert calls == [("count", 0, 10), ("count", 4, None)]
    final = job_rows.get_run(services.bank.db(), result.run_id)
    assert final["status"] == "ok" and "progress" not in final["counts"]


def test_embed_and_dedupe_report_counts_against_a_total(services):
    for i in range(3):
        services.memory.remember(f"note number {i}", kind="note")
    calls: list[tuple] = []
    jobs.run(services, "embed", progress=lambda *args: calls.append(args))
    assert calls[0] == ("embed", 0, 3) and calls[-1] == ("embed", 3, 3)
    calls.clear()
    jobs.run(services, "dedupe", progress=lambda *args: calls.append(args))
    assert calls[0] == ("dedupe", 0, 3) and calls[-1] == ("dedupe", 3, 3)


@pytest.fixture
def env(home: Path) -> dict[str, str]:
    base = {"SECONDME_HOME": str(home), "SECONDME_PASSPHRASE": "pw", "SECONDME_USER": "Ana"}
    run(["init"], base)
    run(["remember", "I live in Lyon."], base)
    run(["remember", "I work as a nurse."], base)
    return base


def test_jobs_run_json_progress_events_go_to_stderr_as_json_lines(env):
    proc = run(["jobs", "run", "dedupe", "--json", "--progress"], env)
    events = [json.loads(line) for line in proc.stderr.splitlines()]
    assert events[0] == {"event": "progress", "job": "dedupe", "stage": "dedupe", "done": 0,
                         "total": 2, "percent": 0}
    assert events[-1]["done"] == 2 and events[-1]["percent"] == 100
    assert json.loads(proc.stdout)["runs"][0]["status"] == "ok"   # stdout: the result only


def test_jobs_run_on_a_terminal_shows_bars_with_counts_and_eta(env):
    proc = run(["jobs", "run", "dedupe"], {**env, "TTY_COMPATIBLE": "1"})
    assert "2/2" in proc.stderr and "100%" in proc.stderr and "ETA" in proc.stderr
    quiet = run(["jobs", "run", "dedupe"], env)          # not a terminal: no bar garbage
    assert quiet.stderr == "" and "dedupe" in quiet.stdout


def test_secondme_jobs_shows_a_running_jobs_percentage(env, home):
    with unlock_bank(home, "pw") as bank, bank.write() as db:
        run_id = job_rows.start_run(db, "embed", "2024-05-01T12:00:00")
        job_rows.set_progress(db, run_id, "embed", 40, 100)
    data = json.loads(run(["jobs", "--json"], env).stdout)
    embed = next(j for j in data["jobs"] if j["name"] == "embed")
    assert embed["progress"] == {"stage": "embed", "done": 40, "total": 100, "percent": 40}
    assert "embed 40/100 (40%)" in run(["jobs"], {**env, "COLUMNS": "200"}).stdout
