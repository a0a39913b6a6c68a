"""Queries over `profile_facts` and `fact_sources`. Callers own the transaction.

Facts are never deleted by consolidation: a contradiction closes the old row
(`status = 'closed'`, `valid_to`, `superseded_at`, `superseded_by`), so the
portrait keeps its history.
"""

from __future__ import annotations

import contextlib
from typing import Any

from . import audit as audit_log
from . import memories as memory_rows
from .sqlcipher import sqlite_utils

NotFoundError = sqlite_utils.db.NotFoundError

REDACTED = "[forgotten]"   # value and quote of a fact whose every source was forgotten

COLUMNS = ("id, subject, attribute, value, category, confidence, evidence, valid_from, valid_to, "
           "recorded_at, superseded_at, superseded_by, status, trust, pinned, memory_id, method")


def get(db: sqlite_utils.Database, fact_id: int) -> dict[str, Any] | None:
    rows = list(db.query(f"SELECT {COLUMNS} FROM profile_facts WHERE id = ?", [fact_id]))
    return rows[0] if rows else None


def for_key(db: sqlite_utils.Database, subject: str, attribute: str,
            statuses: tuple[str, ...] = ("active",)) -> list[dict[str, Any]]:
    marks = ",".join("?" for _ in statuses)
    return list(db.query(
        f"SELECT {COLUMNS} FROM profile_facts WHERE subject = ? AND attribute = ? "
        f"AND status IN ({marks}) ORDER BY valid_from, id", [subject, attribute, *statuses]))


def list_facts(db: sqlite_utils.Database, *, include_closed: bool = False) -> list[dict[str, Any]]:
    where = "" if include_closed else "WHERE status = 'active'"
    return list(db.query(f"SELECT {COLUMNS} FROM profile_facts {where} "
                         "ORDER BY category, subject, attribute, valid_from, id"))


def insert(db: sqlite_utils.Database, row: dict[str, Any]) -> int:
    # The table API: a profile writes a handful of facts a run, so its per-row cost (see
    # messages.insert_imported_message) does not matter here.
    return int(db.table("profile_facts").insert(row).last_pk)


def update(db: sqlite_utils.Database, fact_id: int, **changes: Any) -> None:
    """Changes columns of one fact; an unknown id changes nothing."""
    if changes:
        with contextlib.suppress(NotFoundError):   # the table API looks the row up itself
            db.table("profile_facts").update(fact_id, changes)


def delete(db: sqlite_utils.Database, fact_id: int) -> int:
    """Removes the fact and its evidence links; a successor pointing at it lets go.

    Returns how many evidence links went with it."""
    evidence = db.execute("DELETE FROM fact_sources WHERE fact_id = ?", [fact_id]).rowcount
    db.execute("UPDATE profile_facts SET superseded_by = NULL WHERE superseded_by = ?", [fact_id])
    db.execute("DELETE FROM profile_facts WHERE id = ?", [fact_id])
    return evidence


def redact(db: sqlite_utils.Database, fact_id: int, *, actor: str, now: str,
           note: str = "every source memory was forgotten") -> int | None:
    """The one redaction of a fact (the profile's `ProfileFacts.redact` and forgetting both
    use it, inside their own write): blanks and closes the row, clears the text of its audit
    history, records the redaction, and returns the id of the fact's own memory if it still
    exists, for the caller to forget (None when there is none or the fact is unknown)."""
    fact = get(db, fact_id)
    if fact is None:
        return None
    update(db, fact_id, value=REDACTED, evidence=REDACTED, status="closed",
           superseded_at=fact["superseded_at"] or now)
    audit_log.redact(db, "fact", fact_id)
    audit_log.record(db, at=now, actor=actor, action="redact", entity="fact",
                     entity_id=fact_id, note=note)
    mid = fact["memory_id"]
    return int(mid) if mid and memory_rows.get(db, mid) is not None else None


def orphans(db: sqlite_utils.Database, redacted: str) -> list[int]:
    """Derived facts not yet redacted whose every source memory is gone.

    A fact in the person's own words (trust 'user', e.g. a correction) needs no source."""
    return [r[0] for r in db.execute(
        "SELECT id FROM profile_facts f WHERE evidence != ? AND trust != 'user' AND NOT EXISTS "
        "(SELECT 1 FROM fact_sources s WHERE s.fact_id = f.id) ORDER BY id",
        [redacted]).fetchall()]


def add_source(db: sqlite_utils.Database, fact_id: int, memory_id: int, quote: str) -> bool:
    """True when this memory was not yet evidence for the fact (so confidence may grow)."""
    return db.execute("INSERT OR IGNORE INTO fact_sources (fact_id, memory_id, quote) "
                      "VALUES (?, ?, ?)", [fact_id, memory_id, quote]).rowcount > 0


def sources(db: sqlite_utils.Database, fact_id: int) -> list[dict[str, Any]]:
    return list(db.query("SELECT memory_id, quote FROM fact_sources WHERE fact_id = ? "
                         "ORDER BY memory_id", [fact_id]))


def facts_citing(db: sqlite_utils.Database, memory_id: int) -> list[dict[str, Any]]:
    return list(db.query(
        f"SELECT {', '.join('f.' + c.strip() for c in COLUMNS.split(','))} FROM profile_facts f "
        "JOIN fact_sources s ON s.fact_id = f.id WHERE s.memory_id = ?", [memory_id]))


def active_fact_memories(db: sqlite_utils.Database) -> list[tuple[int, str]]:
    """(memory id, content hash) of the active facts' own memories, for the life summary."""
    return [(r[0], r[1]) for r in db.execute(
        "SELECT f.memory_id, m.content_hash FROM profile_facts f JOIN memories m "
        "ON m.id = f.memory_id WHERE f.status = 'active' ORDER BY f.id").fetchall()]


_CANDIDATES = ("FROM memories WHERE id > ? AND trust = 'user' AND kind IN ('turn', 'remember') "
               "AND json_extract(meta, '$.merged_into') IS NULL")


def candidate_memories(db: sqlite_utils.Database, after_id: int,
                       limit: int) -> list[dict[str, Any]]:
    """User-authored memories (their own words) newer than the watermark, oldest first."""
    return list(db.query(f"SELECT id, kind, text, event_at, source_ref, meta {_CANDIDATES} "
                         "ORDER BY id LIMIT ?", [after_id, limit]))


def count_candidates(db: sqlite_utils.Database, after_id: int) -> int:
    return db.execute(f"SELECT count(*) {_CANDIDATES}", [after_id]).fetchone()[0]


def user_messages(db: sqlite_utils.Database, message_ids: list[int]) -> list[str]:
    if not message_ids:
        return []
    marks = ",".join("?" for _ in message_ids)
    return [r[0] for r in db.execute(
        f"SELECT text FROM messages WHERE id IN ({marks}) AND role = 'user' ORDER BY id",
        message_ids).fetchall()]
