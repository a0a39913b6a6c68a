"""What ran in a fallback mode, kept in memory only (design §8: no logs on disk).

A reply or a search that fell back (no embedder, recall failed, no model) says so in
its own result (`degraded: list[str]`) and also leaves a line here, in a small ring
buffer of the process's `secondme` logger. `secondme doctor` shows it. Nothing here is
ever written to a file, and the logger does not propagate to the root logger (whose
handlers an embedding library might have pointed at a file or stderr).
"""

from __future__ import annotations

import logging
import threading
from collections import deque
from dataclasses import dataclass

LOGGER_NAME = "secondme"
CAPACITY = 200


@dataclass(frozen=True)
class Entry:
    at: float          # time.time() of the record
    level: str
    where: str         # the logger's name below `secondme` (e.g. "retrieval")
    message: str

    def to_public(self) -> dict[str, object]:
        return {"at": self.at, "level": self.level, "where": self.where,
                "message": self.message}


class RingBufferHandler(logging.Handler):
    """Keeps the last `capacity` records in memory; never opens a file."""

    def __init__(self, capacity: int = CAPACITY) -> None:
        super().__init__(level=logging.INFO)
        self._entries: deque[Entry] = deque(maxlen=capacity)
        self._entries_lock = threading.Lock()

    def emit(self, record: logging.LogRecord) -> None:
        where = record.name[len(LOGGER_NAME) + 1:] if record.name != LOGGER_NAME else ""
        entry = Entry(record.created, record.levelname, where, record.getMessage())
        with self._entries_lock:
            self._entries.append(entry)

    def entries(self) -> list[Entry]:
        with self._entries_lock:
            return list(self._entries)

    def clear(self) -> None:
        with self._entries_lock:
            self._entries.clear()


_handler = RingBufferHandler()


def _install() -> logging.Logger:
    logger = logging.getLogger(LOGGER_NAME)
    if _handler not in logger.handlers:
        logger.addHandler(_handler)
    logger.setLevel(logging.INFO)
    logger.propagate = False   # memory only: never the root logger's handlers
    return logger


_install()


def note(where: str, message: str) -> str:
    """Records that `where` fell back, and returns the message for the caller's result."""
    logging.getLogger(f"{LOGGER_NAME}.{where}").warning(message)
    return message


def recent() -> list[Entry]:
    """The log so far in this process, oldest first (at most CAPACITY entries)."""
    return _handler.entries()


def clear() -> None:
    _handler.clear()
