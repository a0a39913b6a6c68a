"""The background scheduler: one per bank, job defaults, status for the TUI, runs jobs."""

from __future__ import annotations

import time
from datetime import datetime

from secondme.jobs.scheduler import JOB_DEFAULTS, overview, start_background
from storage import jobs as job_rows


def _wait(predicate, timeout: float = 30.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.05)
    return False


def test_one_scheduler_per_bank(services):
    first = start_background(services)
    try:
        assert first.status()["state"] == "running"
        assert first.preempt() is False                      # nothing running yet
        second = start_background(services)
        assert second.status() == {"state": "locked", "last_job": None, "last_status": None,
                                   "next_run": None, "next_job": None, "last_counts": None,
                                   "running_job": None, "held": None}
        second.shutdown()                      # a locked handle's shutdown is harmless
        assert overview(services)["scheduler"] == "running in another process"
    finally:
        first.shutdown()
    assert first.status()["state"] == "off"
    third = start_background(services)
    try:
        assert third.status()["state"] == "running"
    finally:
        third.shutdown()
    assert overview(services)["scheduler"] == "off"


def test_jobs_are_registered_with_safe_defaults(services):
    handle = start_background(services)
    try:
        registered = {job.id: job for job in handle._scheduler.get_jobs()}
        assert set(registered) == {"embed", "dedupe", "profile", "summarize", "decay"}
        for job in registered.values():
            assert job.coalesce is True and job.max_instances == 1
            assert job.misfire_grace_time == JOB_DEFAULTS["misfire_grace_time"]
        status = handle.status()
        assert status["next_job"] == "embed"             # staggered: embed first
        assert datetime.fromisoformat(status["next_run"]) > datetime.now()
    finally:
        handle.shutdown()


def test_the_scheduler_runs_jobs_in_its_own_thread_and_reports_them(services):
    services.memory.remember("I live in Lyon.", at=datetime(2024, 4, 1, 9))
    handle = start_background(services, first_run_delay=0, stagger=0.2)
    try:
        assert _wait(lambda: len(job_rows.recent_runs(services.bank.db())) >= 3
                     and handle.status()["last_status"] == "ok")
        status = handle.status()
        assert status["state"] == "running" and status["last_job"] in ("embed", "dedupe",
                                                                       "profile", "summarize",
                                                                       "decay")
    finally:
        handle.shutdown()
    runs = job_rows.recent_runs(services.bank.db())
    assert all(r["status"] in ("ok", "interrupted") for r in runs)


def test_status_falls_back_to_the_last_recorded_run(services):
    with services.bank.write() as db:
        run_id = job_rows.start_run(db, "decay", "2024-05-01T10:00:00")
        job_rows.finish_run(db, run_id, "2024-05-01T10:00:01", "ok", {"archived": 2})
    handle = start_background(services)
    try:
        status = handle.status()
        assert (status["last_job"], status["last_status"]) == ("decay", "ok")
    finally:
        handle.shutdown()


def test_preempt_stops_a_running_job_which_resumes_later(bank, clock, home):
    from secondme.config import load_settings
    from secondme.services import build_services

    from .fakes import FakeModel, HashingEmbedder

    slow = FakeModel([["x"] * 2000] * 50, delay=0.01)        # a long generation
    services = build_services(load_settings(home), bank, clock, embedder=HashingEmbedder(),
                              model=slow)
    services.memory.remember("User: I went hiking in the hills with Lea.\nSecond Me: Nice!",
                             kind="turn", at=datetime(2024, 4, 20, 10))
    handle = start_background(services, first_run_delay=0, stagger=0.2)
    try:
        assert _wait(lambda: slow.prompts and handle._running is not None)
        assert handle.preempt() is True
        assert _wait(lambda: handle.status()["last_status"] == "interrupted")
    finally:
        handle.shutdown()
    db = services.bank.db()
    assert job_rows.recent_runs(db, "summarize")[0]["status"] == "interrupted"
    assert db.execute("SELECT count(*) FROM summaries").fetchone()[0] == 0


def test_a_fact_said_in_chat_is_extracted_soon_not_at_the_next_tick(services):
    services.memory.remember("User: I live in Lyon.\nSecond Me: Noted.", kind="turn",
                             source="chat", at=datetime(2024, 5, 1, 9))
    handle = start_background(services, first_run_delay=3600)   # nothing due for an hour
    try:
        handle.run_soon("profile", 0.2)
        assert _wait(lambda: any(r["job"] == "profile" for r in
                                 job_rows.recent_runs(services.bank.db())))
        handle.run_soon("profile", 3600)        # never pushes a planned run further away
        profile = handle._scheduler.get_job("profile").next_run_time.replace(tzinfo=None)
        assert (profile - datetime.now()).total_seconds() < 16 * 60
    finally:
        handle.shutdown()
