"""A probe of the bank's writer lock, shared by the tests of what runs after a commit."""

from __future__ import annotations

import threading


def another_thread_can_write(bank) -> bool:
    """True when the writer lock is free: a second thread gets its own write transaction."""
    done = threading.Event()

    def write() -> None:
        with bank.write():
            done.set()

    worker = threading.Thread(target=write, daemon=True)
    worker.start()
    worker.join(timeout=5)
    return done.is_set()
