"""A busy scheduler never makes a UI write fail (latency is measured in bench/concurrency.py)."""

from __future__ import annotations

import threading


def test_ui_writes_never_see_database_locked(bank):
    with bank.write() as db:
        db.execute("INSERT INTO sessions (id, started_at, last_active_at) VALUES ('s', 'x', 'x')")
    stop = threading.Event()
    errors: list[str] = []

    def scheduler() -> None:
        i = 0
        while not stop.is_set():
            try:
                with bank.write() as db:
                    for _ in range(20):
                        i += 1
                        db.execute("INSERT INTO audit_log (at, actor, action, entity) "
                                   "VALUES ('x', 'job', 'bench', 'memory')")
            except Exception as exc:
                errors.append(f"job: {exc}")

    def reader() -> None:
        while not stop.is_set():
            try:
                bank.db().execute("SELECT count(*) FROM audit_log").fetchone()
            except Exception as exc:
                errors.append(f"read: {exc}")

    threads = [threading.Thread(target=scheduler), threading.Thread(target=reader)]
    for t in threads:
        t.start()
    try:
        for i in range(100):
            with bank.write() as db:
                db.execute("INSERT INTO messages (session_id, role, text, created_at) "
                           "VALUES ('s', 'user', ?, 'x')", [f"m{i}"])
    finally:
        stop.set()
        for t in threads:
            t.join()
    assert errors == []
    assert bank.db().execute("SELECT count(*) FROM messages").fetchone()[0] == 100
