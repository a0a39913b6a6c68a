"""The chat comes first: background jobs wait between units while the person is busy.

The TUI tells a `ChatActivity` when the person types and when a reply starts and
ends; a job calls `wait_turn` between its units of work (after each committed
batch, before each model call), and blocks there while a reply is generating or the
person typed within the last `quiet_seconds`. Waiting costs no CPU and no model; the
job resumes where it stood once the chat is quiet, or leaves when it is cancelled.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

QUIET_SECONDS = 4.0     # after the last keystroke or reply, how long until jobs resume
POLL_SECONDS = 0.25     # how often a waiting job looks at its cancel event


class ChatActivity:
    def __init__(self, quiet_seconds: float = QUIET_SECONDS,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.quiet_seconds = quiet_seconds
        self._clock = clock
        self._cond = threading.Condition()
        self._replies = 0
        self._last = float("-inf")
        self._holding: str | None = None

    # -- the TUI's side -------------------------------------------------------------
    def typed(self) -> None:
        with self._cond:
            self._last = self._clock()

    def reply_started(self) -> None:
        with self._cond:
            self._replies += 1
            self._last = self._clock()

    def reply_finished(self) -> None:
        with self._cond:
            self._replies = max(0, self._replies - 1)
            self._last = self._clock()
            self._cond.notify_all()

    @property
    def busy(self) -> bool:
        with self._cond:
            return self._busy()

    def _busy(self) -> bool:
        return self._replies > 0 or self._clock() - self._last < self.quiet_seconds

    @property
    def holding(self) -> str | None:
        """The job waiting for the chat right now, if any (for the status bar)."""
        return self._holding

    # -- the job's side --------------------------------------------------------------
    def wait_turn(self, job: str, cancel: threading.Event | None = None) -> bool:
        """Blocks while the chat is busy; returns whether the job had to wait."""
        waited = False
        with self._cond:
            while self._busy() and not (cancel is not None and cancel.is_set()):
                if not waited:
                    waited, self._holding = True, job
                quiet_in = self.quiet_seconds - (self._clock() - self._last)
                pause = POLL_SECONDS if self._replies else min(POLL_SECONDS, quiet_in)
                self._cond.wait(timeout=max(0.01, pause))
            if waited:
                self._holding = None
        return waited
