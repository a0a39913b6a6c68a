"""What the chat prompt reads from derived tables: current facts and period summaries."""

from __future__ import annotations

from .sqlcipher import sqlite_utils

Db = sqlite_utils.Database
_SUMMARY = "SELECT id, level, period_start, period_end, text, memory_id, trust FROM summaries "


def current_fact_triples(db: Db, limit: int) -> list[tuple[str, str, str]]:
    """(subject, attribute, value) of active, open facts: pinned first, then most confident."""
    return [tuple(r) for r in db.execute(
        "SELECT subject, attribute, value FROM profile_facts WHERE status = 'active' "
        "AND valid_to IS NULL ORDER BY pinned DESC, confidence DESC, id LIMIT ?",
        [limit]).fetchall()]


def summaries_covering(db: Db, event_at: str) -> list[tuple]:
    """Up to 3 current day/week/month summaries whose period holds `event_at`, latest first."""
    return db.execute(
        _SUMMARY + "WHERE is_current = 1 AND level IN ('month', 'week', 'day') "
        "AND period_start <= ? AND period_end >= ? ORDER BY period_start DESC LIMIT 3",
        [event_at, event_at[:10]]).fetchall()


def latest_week_summary(db: Db, now_iso: str) -> list[tuple]:
    """The current week summary that started last before `now_iso` (zero or one row)."""
    return db.execute(
        _SUMMARY + "WHERE is_current = 1 AND level = 'week' AND period_start <= ? "
        "ORDER BY period_start DESC LIMIT 1", [now_iso]).fetchall()
