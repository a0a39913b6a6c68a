"""UI write latency while the scheduler writes: does a person ever wait on a job?

A 'scheduler' thread runs consolidation-sized write transactions (a batch of
memory updates each) back to back, as the background jobs do; a 'UI' thread
stores one chat message at a time and reads recent messages, as the chat
screen does. Baseline: the same UI workload with the scheduler idle.
Writes JSON to bench/out/concurrency.json and prints a Markdown table.
"""

from __future__ import annotations

import json
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from storage import FAST_KDF, create_bank  # noqa: E402

UI_WRITES = 300
JOB_BATCH = 50


def _seed(bank) -> None:
    with bank.write() as db:
        db.execute("INSERT INTO sessions (id, started_at, last_active_at) VALUES ('s', 'x', 'x')")
        for i in range(5000):
            db.execute(
                "INSERT INTO memories (kind, text, event_at, recorded_at, source, "
                "last_reinforced_at, trust, content_hash) VALUES ('note', ?, '2024-01-01T00:00:00',"
                " '2024-01-01T00:00:00', 'bench', '2024-01-01T00:00:00', 'import', ?)",
                [f"memory {i} " + "lorem ipsum " * 30, str(i)])


def _scheduler(bank, stop: threading.Event, counts: dict) -> None:
    offset = 0
    while not stop.is_set():
        with bank.write() as db:
            db.execute("UPDATE memories SET strength = strength + 0.01 WHERE id IN "
                       "(SELECT id FROM memories ORDER BY id LIMIT ? OFFSET ?)",
                       [JOB_BATCH, offset])
            db.execute("INSERT INTO audit_log (at, actor, action, entity) "
                       "VALUES ('x', 'decay', 'bench', 'memory')")
        offset = (offset + JOB_BATCH) % 5000
        counts["jobs"] += 1


def _ui(bank, latencies: list[float], errors: list[str]) -> None:
    for i in range(UI_WRITES):
        started = time.perf_counter()
        try:
            with bank.write() as db:
                db.execute("INSERT INTO messages (session_id, role, text, created_at) "
                           "VALUES ('s', 'user', ?, '2024-01-01T00:00:00')", [f"hello {i}"])
            bank.db().execute("SELECT text FROM messages ORDER BY id DESC LIMIT 20").fetchall()
        except Exception as exc:  # what we are looking for: 'database is locked'
            errors.append(str(exc))
        latencies.append((time.perf_counter() - started) * 1000)
        time.sleep(0.005)


def run(with_jobs: bool) -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        bank = create_bank(Path(tmp) / "home", "bench", FAST_KDF)
        _seed(bank)
        stop = threading.Event()
        counts = {"jobs": 0}
        latencies: list[float] = []
        errors: list[str] = []
        job = threading.Thread(target=_scheduler, args=(bank, stop, counts))
        if with_jobs:
            job.start()
        ui = threading.Thread(target=_ui, args=(bank, latencies, errors))
        ui.start()
        ui.join()
        stop.set()
        if with_jobs:
            job.join()
        bank.close()
    ordered = sorted(latencies)
    return {"ui_writes": len(latencies), "errors": len(errors),
            "p50_ms": round(statistics.median(ordered), 2),
            "p99_ms": round(ordered[int(len(ordered) * 0.99) - 1], 2),
            "max_ms": round(ordered[-1], 2), "job_transactions": counts["jobs"]}


def main() -> None:
    baseline = run(with_jobs=False)
    loaded = run(with_jobs=True)
    result = {"baseline": baseline, "with_jobs": loaded,
              "p99_ratio": round(loaded["p99_ms"] / max(baseline["p99_ms"], 1e-6), 2),
              "goal": "UI write p99 < 250 ms with jobs running, 0 'database is locked'"}
    out = ROOT / "bench" / "out"
    out.mkdir(parents=True, exist_ok=True)
    (out / "concurrency.json").write_text(json.dumps(result, indent=2))
    print("| run | UI writes | errors | p50 ms | p99 ms | max ms | job txns |")
    print("|---|---|---|---|---|---|---|")
    for name, r in (("scheduler idle", baseline), ("scheduler writing", loaded)):
        print(f"| {name} | {r['ui_writes']} | {r['errors']} | {r['p50_ms']} | {r['p99_ms']} | "
              f"{r['max_ms']} | {r['job_transactions']} |")


if __name__ == "__main__":
    main()
