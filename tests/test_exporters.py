"""JSONL and Markdown exports: consent, atomicity, and the export → import round trip."""

from __future__ import annotations

import json

import pytest

from secondme.exporters import ExportError, PlaintextConsentRequired, export_jsonl, export_markdown
from secondme.importers import import_paths

from .bankdata import fresh_services, populate, table

CORE = {
    "memories": "SELECT id, kind, text, event_at, recorded_at, source, source_ref, session_id, "
                "document_id, importance, strength, last_reinforced_at, recall_count, state, "
                "pinned, content_hash, embedding, embedding_model FROM memories ORDER BY id",
    "messages": "SELECT * FROM messages ORDER BY id",
    "sessions": "SELECT * FROM sessions ORDER BY id",
    "summaries": "SELECT * FROM summaries ORDER BY id",
    "summary_sources": "SELECT * FROM summary_sources ORDER BY 1, 2, 3",
    "facts": "SELECT id, subject, attribute, value, category, confidence, evidence, valid_from, "
             "valid_to, recorded_at, superseded_at, superseded_by, memory_id FROM profile_facts "
             "ORDER BY id",
    "fact_sources": "SELECT * FROM fact_sources ORDER BY 1, 2",
    "documents": "SELECT id, path, kind, content_hash FROM documents WHERE kind != 'jsonl' "
                 "ORDER BY id",
}
# What a JSONL import restores as it was. Trust, pins, strengths, embeddings, derived
# kinds and current summaries are not taken from a file (issue 12.4).
RESTORED = {
    **CORE,
    "memories": "SELECT id, text, event_at, recorded_at, source, source_ref, session_id, "
                "document_id, state, content_hash FROM memories WHERE kind != 'summary' "
                "ORDER BY id",
    "summaries": "SELECT id, level, period_key, period_start, period_end, text, version, "
                 "method, model, sources_hash, created_at FROM summaries ORDER BY id",
}


def test_plaintext_needs_consent_and_writes_nothing_without_it(services, tmp_path):
    with pytest.raises(PlaintextConsentRequired, match="--plaintext"):
        export_jsonl(services, tmp_path / "x.jsonl", plaintext=False)
    with pytest.raises(PlaintextConsentRequired):
        export_markdown(services, tmp_path / "md", plaintext=False)
    assert list(tmp_path.iterdir()) == [p for p in tmp_path.iterdir() if p.name != "x.jsonl"]
    assert not (tmp_path / "x.jsonl").exists() and not (tmp_path / "md").exists()


def test_refuses_the_bank_folder_and_existing_files(services, tmp_path, home):
    with pytest.raises(ExportError, match="inside the bank folder"):
        export_jsonl(services, home / "export.jsonl", plaintext=True)
    taken = tmp_path / "taken.jsonl"
    taken.write_text("mine")
    with pytest.raises(ExportError, match="already exists"):
        export_jsonl(services, taken, plaintext=True)
    assert taken.read_text() == "mine"


def test_round_trip_into_a_fresh_bank_keeps_counts_ids_and_links(services, tmp_path, clock,
                                                                 embedder, fake_model):
    made = populate(services, tmp_path)
    out = tmp_path / "export.jsonl"
    result = export_jsonl(services, out, plaintext=True)
    assert result.path == out and out.stat().st_mode & 0o777 == 0o600
    assert result.counts["memory"] == services.memory.count(None)
    assert not list(tmp_path.glob(".export.jsonl.partial-*"))

    other = fresh_services(tmp_path, clock, embedder, fake_model)
    try:
        report = import_paths(other, [out])
        assert report.totals()["imported"] == 1, report.to_public()
        for name, sql in RESTORED.items():
            assert table(other, sql) == table(services, sql), name
        # Imported text is data: the person's own words come back as 'import', noted in meta,
        # unpinned; summaries only as history, until the summarize job makes current ones.
        told = other.memory.get(made["told"])
        assert told.trust == "import" and told.meta["exported_trust"] == "user"
        assert not told.pinned
        assert table(other, "SELECT count(*) FROM summaries WHERE is_current = 1 "
                     "OR trust != 'import'") == [(0,)]
        status = dict(table(other, "SELECT id, status FROM profile_facts"))
        assert status[made["fact"]] == "quarantined"
        assert set(status.values()) == {"quarantined", "closed"}
        # The history came along, with its ids; the import's own entries come after it.
        audit_sql = "SELECT id, at, actor, action, entity, entity_id FROM audit_log ORDER BY id"
        original = table(services, audit_sql)
        assert table(other, audit_sql)[:len(original)] == original
        assert [h["action"] for h in other.memory.history(made["told"])][:2] == ["create", "pin"]
        again = import_paths(other, [out])
        assert again.totals()["unchanged"] == 1
    finally:
        other.close()


def test_import_into_the_bank_it_came_from_changes_nothing(services, tmp_path):
    populate(services, tmp_path)
    out = tmp_path / "export.jsonl"
    export_jsonl(services, out, plaintext=True)
    before = {name: table(services, sql) for name, sql in CORE.items()}
    report = import_paths(services, [out])
    written = report.outcomes[0].counts
    assert not {"memories", "messages", "summaries", "facts"} & set(written), written
    after = {name: table(services, sql) for name, sql in CORE.items()}
    assert {k: v for k, v in after.items() if k != "documents"} == \
        {k: v for k, v in before.items() if k != "documents"}


def test_import_into_a_busy_bank_renumbers_clashing_ids(services, tmp_path, clock, embedder,
                                                        fake_model):
    populate(services, tmp_path)
    out = tmp_path / "export.jsonl"
    export_jsonl(services, out, plaintext=True)
    other = fresh_services(tmp_path, clock, embedder, fake_model)
    try:
        other.memory.remember("Something only this bank knows.")
        report = import_paths(other, [out])
        assert report.totals()["imported"] == 1
        assert other.memory.count(None) == services.memory.count(None) + 1
        texts = {r[0] for r in table(other, "SELECT text FROM memories")}
        assert "Something only this bank knows." in texts
        links = table(other, "SELECT s.text, m.text FROM summary_sources l JOIN summaries s ON "
                      "s.id = l.summary_id JOIN memories m ON m.id = l.source_id")
        assert any(m == "My sister Mia lives in Porto." for _, m in links)
    finally:
        other.close()


def test_export_header_and_records(services, tmp_path):
    populate(services, tmp_path)
    out = tmp_path / "e.jsonl"
    export_jsonl(services, out, plaintext=True)
    lines = [json.loads(line) for line in out.read_text().splitlines()]
    assert lines[0]["type"] == "header" and lines[0]["encrypted"] is False
    kinds = [r["type"] for r in lines[1:]]
    assert kinds.index("session") < kinds.index("message") < kinds.index("memory") \
        < kinds.index("summary") < kinds.index("fact") < kinds.index("audit")
    summary = next(r for r in lines if r["type"] == "summary" and r["level"] == "month")
    assert len(summary["sources"]) == 2
    fact = next(r for r in lines if r["type"] == "fact" and r["value"] == "Porto")
    assert fact["sources"][0]["quote"] == "My sister Mia lives in Porto."
    assert fact["valid_from"] == "2024-02-01"
    assert any(isinstance(r.get("embedding"), dict) for r in lines if r["type"] == "memory")


def test_markdown_export_by_month_and_day(services, tmp_path):
    populate(services, tmp_path)
    out = tmp_path / "md"
    result = export_markdown(services, out, plaintext=True)
    assert result.months >= 6
    march = (out / "2024" / "2024-03.md").read_text()
    assert march.startswith("# March 2024\n\n> March: Porto trip with Mia")
    assert "## Friday 15 March 2024" in march
    assert "Serralves museum" in march and "_Porto March 2024.md › 2024-03-15_" in march
    january = (out / "2024" / "2024-01.md").read_text()
    assert "Bought a blue umbrella." in january and "(archived)" in january
    may = (out / "2024" / "2024-05.md").read_text()
    assert "## Sunday 19 May 2024\n\n> Race day." in may
    profile = (out / "profile.md").read_text()
    assert "**Porto**" in profile and "Lisbon" not in profile
    assert "NOT encrypted" in (out / "index.md").read_text()
    assert not [p for p in tmp_path.iterdir() if ".partial-" in p.name]


def test_a_failed_export_leaves_nothing(services, tmp_path, monkeypatch):
    populate(services, tmp_path)
    import secondme.exporters.jsonl as module

    def broken(*args, **kwargs):
        yield {"type": "header"}
        raise RuntimeError("disk full")

    monkeypatch.setattr(module, "iter_records", broken)
    with pytest.raises(RuntimeError):
        export_jsonl(services, tmp_path / "e.jsonl", plaintext=True)
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith((".e.", "e."))] == []


def test_export_is_readable_only_by_its_owner(services, tmp_path):
    out = tmp_path / "md"
    export_markdown(services, out, plaintext=True)
    assert all(p.stat().st_mode & 0o077 == 0 for p in [out, *out.rglob("*")])


