"""The job runner: job_runs rows, crashed runs marked interrupted, locks, watermarks."""

from __future__ import annotations

import pytest

from secondme import jobs
from secondme.jobs.runner import JobContext, run_job
from storage import jobs as job_rows


def _ok(ctx: JobContext) -> None:
    ctx.counts["done"] = 3
    with ctx.services.bank.write() as db:
        ctx.save_watermark(db, {"last_id": 7})


def _boom(ctx: JobContext) -> None:
    ctx.counts["before_error"] = 1
    raise RuntimeError("disk on fire")


def test_a_run_writes_its_row_counts_and_watermark(services):
    result = run_job(services, "unit", _ok)
    assert result.status == "ok" and result.counts["done"] == 3
    row = job_rows.get_run(services.bank.db(), result.run_id)
    assert row["status"] == "ok" and row["finished_at"] and row["counts"]["done"] == 3
    assert job_rows.get_watermark(services.bank.db(), "unit") == {"last_id": 7}


def test_an_error_is_recorded_not_raised(services):
    result = run_job(services, "unit", _boom)
    assert result.status == "error" and "disk on fire" in result.error
    row = job_rows.get_run(services.bank.db(), result.run_id)
    assert row["status"] == "error" and row["counts"]["before_error"] == 1


def test_a_run_left_running_by_a_dead_process_is_marked_interrupted(services):
    with services.bank.write() as db:
        crashed = job_rows.start_run(db, "unit", "2024-05-01T11:00:00")
    result = run_job(services, "unit", _ok)
    assert result.interrupted_before == 1
    assert job_rows.get_run(services.bank.db(), crashed)["status"] == "interrupted"


def test_a_job_held_by_another_runner_is_busy_and_writes_nothing(services):
    with services.bank.exclusive("job-unit"):
        result = run_job(services, "unit", _ok)
    assert result.status == "busy" and result.run_id is None
    assert job_rows.recent_runs(services.bank.db(), "unit") == []


def test_cancelling_marks_the_run_interrupted(services):
    import threading

    cancel = threading.Event()

    def stop_midway(ctx: JobContext) -> None:
        cancel.set()

    result = run_job(services, "unit", stop_midway, cancel=cancel)
    assert result.status == "interrupted"


def test_job_names_and_order():
    assert jobs.names("all") == ["embed", "dedupe", "profile", "summarize", "decay"]
    assert jobs.names("decay") == ["decay"]
    with pytest.raises(ValueError, match="unknown job"):
        jobs.names("tidy")


def test_run_all_with_nothing_stored_is_fine(services):
    results = jobs.run(services, "all")
    assert [r.status for r in results] == ["ok"] * 5
    assert len(job_rows.recent_runs(services.bank.db())) == 5


def test_watermark_survives_garbage(services):
    with services.bank.write() as db:
        db.execute("INSERT INTO job_state (job, watermark, updated_at) VALUES ('x', 'not json', "
                   "'2024-01-01T00:00:00')")
    assert job_rows.get_watermark(services.bank.db(), "x") == {}
