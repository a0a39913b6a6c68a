"""storage.facts and storage.summaries write through the sqlite-utils table API: inside the
bank's one write transaction, so a rollback takes their rows with it."""

from __future__ import annotations

import pytest

from storage import facts as fact_rows
from storage import summaries as summary_rows

NOW = "2024-05-01T10:00:00+00:00"
FACT = {"subject": "user", "attribute": "city", "value": "Porto", "category": "place",
        "confidence": 0.9, "evidence": "I live in Porto", "valid_from": NOW, "recorded_at": NOW,
        "status": "active", "trust": "derived", "method": "rules"}


def test_a_fact_written_in_a_rolled_back_transaction_is_gone(bank):
    with pytest.raises(RuntimeError), bank.write() as db:
        fact_id = fact_rows.insert(db, FACT)
        assert fact_rows.get(db, fact_id)["value"] == "Porto"
        raise RuntimeError("crash before commit")
    assert fact_rows.list_facts(bank.db(), include_closed=True) == []


def test_update_changes_one_fact_and_ignores_an_unknown_id(bank):
    with bank.write() as db:
        fact_id = fact_rows.insert(db, FACT)
        fact_rows.update(db, fact_id, value="Lisbon", status="closed")
        fact_rows.update(db, fact_id + 99, value="nowhere")
    fact = fact_rows.get(bank.db(), fact_id)
    assert (fact["value"], fact["status"]) == ("Lisbon", "closed")
    assert len(fact_rows.list_facts(bank.db(), include_closed=True)) == 1


def test_a_summary_written_in_a_rolled_back_transaction_is_gone(bank):
    row = {"level": "day", "period_key": "2024-05-01", "period_start": NOW, "period_end": NOW,
           "version": 1, "text": "A day in Porto.", "method": "extractive", "sources_hash": "x",
           "created_at": NOW}
    with pytest.raises(RuntimeError), bank.write() as db:
        summary_rows.insert(db, row, [("memory", 1)])
        raise RuntimeError("crash before commit")
    assert summary_rows.next_version(bank.db(), "day", "2024-05-01") == 1
