"""Profile facts that used to be true: closed values, for labelling them as past."""

from __future__ import annotations

from typing import Any

Db = Any


def past_fact_rows(db: Db, limit: int) -> list[tuple[str, str, str, str | None]]:
    """(subject, attribute, value, valid_to) of closed or ended facts, most recently ended first."""
    return [tuple(r) for r in db.execute(
        "SELECT subject, attribute, value, COALESCE(valid_to, superseded_at) FROM profile_facts "
        "WHERE status != 'quarantined' AND (status = 'closed' OR valid_to IS NOT NULL) "
        "ORDER BY COALESCE(valid_to, superseded_at) DESC, id DESC LIMIT ?", [limit]).fetchall()]
