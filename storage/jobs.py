"""Queries over `job_runs` (one row per run) and `job_state` (one watermark per job).

Callers own the transaction. Watermarks are JSON so each job can keep whatever
cursor it needs (a last id, a last pass time) without a schema change.
"""

from __future__ import annotations

import json
from typing import Any

from .sqlcipher import sqlite_utils

RUN_COLUMNS = "id, job, started_at, finished_at, status, counts, error"


def _run_row(row: dict[str, Any]) -> dict[str, Any]:
    out = dict(row)
    out["counts"] = json.loads(out.get("counts") or "{}")
    return out


def start_run(db: sqlite_utils.Database, job: str, at: str) -> int:
    cursor = db.execute("INSERT INTO job_runs (job, started_at, status) VALUES (?, ?, 'running')",
                        [job, at])
    return int(cursor.lastrowid)


def finish_run(db: sqlite_utils.Database, run_id: int, at: str, status: str,
               counts: dict[str, Any], error: str | None = None) -> None:
    db.execute("UPDATE job_runs SET finished_at = ?, status = ?, counts = ?, error = ? "
               "WHERE id = ?", [at, status, json.dumps(counts, sort_keys=True), error, run_id])


def set_progress(db: sqlite_utils.Database, run_id: int, stage: str, done: int,
                 total: int | None) -> None:
    """A running run's progress, kept in its counts until `finish_run` writes the result."""
    progress = {"stage": stage, "done": done, "total": total}
    db.execute("UPDATE job_runs SET counts = ? WHERE id = ? AND status = 'running'",
               [json.dumps({"progress": progress}, sort_keys=True), run_id])


def mark_interrupted(db: sqlite_utils.Database, job: str, at: str) -> int:
    """Rows left 'running' by a process that died; only call while holding the job's lock."""
    return db.execute("UPDATE job_runs SET status = 'interrupted', finished_at = ? "
                      "WHERE job = ? AND status = 'running'", [at, job]).rowcount


def get_run(db: sqlite_utils.Database, run_id: int) -> dict[str, Any] | None:
    rows = list(db.query(f"SELECT {RUN_COLUMNS} FROM job_runs WHERE id = ?", [run_id]))
    return _run_row(rows[0]) if rows else None


def recent_runs(db: sqlite_utils.Database, job: str | None = None,
                limit: int = 20) -> list[dict[str, Any]]:
    if job is None:
        rows = db.query(f"SELECT {RUN_COLUMNS} FROM job_runs ORDER BY id DESC LIMIT ?", [limit])
    else:
        rows = db.query(f"SELECT {RUN_COLUMNS} FROM job_runs WHERE job = ? "
                        "ORDER BY id DESC LIMIT ?", [job, limit])
    return [_run_row(r) for r in rows]


def last_run(db: sqlite_utils.Database, job: str | None = None) -> dict[str, Any] | None:
    runs = recent_runs(db, job, 1)
    return runs[0] if runs else None


def get_watermark(db: sqlite_utils.Database, job: str) -> dict[str, Any]:
    row = db.execute("SELECT watermark FROM job_state WHERE job = ?", [job]).fetchone()
    if row is None or not row[0]:
        return {}
    try:
        value = json.loads(row[0])
    except json.JSONDecodeError:
        return {}
    return value if isinstance(value, dict) else {}


def set_watermark(db: sqlite_utils.Database, job: str, value: dict[str, Any], at: str) -> None:
    db.execute("INSERT INTO job_state (job, watermark, updated_at) VALUES (?, ?, ?) "
               "ON CONFLICT(job) DO UPDATE SET watermark = excluded.watermark, "
               "updated_at = excluded.updated_at",
               [job, json.dumps(value, sort_keys=True), at])
