"""Queries for complete forgetting: what a memory reached, and removing it. Callers own the
transaction (forgetting is one transaction, FTS merge included).

A forgotten memory reaches: the verbatim messages of its chat turn, its session's title,
every summary built from it (and every summary built from those), the profile facts it is
evidence for, the full-text index, and the audit trail. Tombstones (`forgotten`) keep the
content hash of forgotten imported text so a re-import does not bring it back.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from .by_id import chunks, marks
from .sqlcipher import sqlite_utils

Db = sqlite_utils.Database


# -- summaries ------------------------------------------------------------------------------
def summaries_using(db: Db, memory_ids: Iterable[int]) -> set[int]:
    """Every summary (any version) built from these memories, or whose own memory is one of
    them, and every summary built from those, up to the life summary."""
    found: set[int] = set()
    for chunk in chunks(int(i) for i in memory_ids):
        m = marks(chunk)
        found.update(r[0] for r in db.execute(
            f"SELECT summary_id FROM summary_sources WHERE source_type = 'memory' "
            f"AND source_id IN ({m}) UNION SELECT id FROM summaries WHERE memory_id IN ({m})",
            [*chunk, *chunk]).fetchall())
    return summaries_above(db, found)


def orphan_summaries(db: Db, withdrawn_text: str) -> set[int]:
    """Summaries that lost a source to an older forget: marked withdrawn, fewer links than
    their memory says they were made from, or a link to a row that no longer exists."""
    return {r[0] for r in db.execute(
        "SELECT s.id FROM summaries s WHERE s.text = ? "
        "OR EXISTS (SELECT 1 FROM memories m WHERE m.id = s.memory_id AND "
        "json_extract(m.meta, '$.sources') > (SELECT count(*) FROM summary_sources l "
        "WHERE l.summary_id = s.id)) "
        "OR EXISTS (SELECT 1 FROM summary_sources l WHERE l.summary_id = s.id AND ("
        "(l.source_type = 'memory' AND NOT EXISTS (SELECT 1 FROM memories m "
        "WHERE m.id = l.source_id)) OR (l.source_type = 'summary' AND NOT EXISTS "
        "(SELECT 1 FROM summaries o WHERE o.id = l.source_id))))", [withdrawn_text])}


def summaries_above(db: Db, summary_ids: Iterable[int]) -> set[int]:
    """These summaries and every summary built from them."""
    found = set(summary_ids)
    frontier = set(found)
    while frontier:
        above: set[int] = set()
        for chunk in chunks(frontier):
            above.update(r[0] for r in db.execute(
                f"SELECT summary_id FROM summary_sources WHERE source_type = 'summary' "
                f"AND source_id IN ({marks(chunk)})", chunk).fetchall())
        frontier = above - found
        found |= frontier
    return found


def summary_memory_ids(db: Db, summary_ids: Iterable[int]) -> list[int]:
    out: list[int] = []
    for chunk in chunks(summary_ids):
        out.extend(r[0] for r in db.execute(
            f"SELECT memory_id FROM summaries WHERE id IN ({marks(chunk)}) "
            "AND memory_id IS NOT NULL", chunk).fetchall())
    return out


def delete_summaries(db: Db, summary_ids: Iterable[int]) -> int:
    """Deletes the rows themselves (not a 'withdrawn' marker), with their links both ways."""
    deleted = 0
    for chunk in chunks(summary_ids):
        m = marks(chunk)
        db.execute(f"DELETE FROM summary_sources WHERE summary_id IN ({m}) OR "
                   f"(source_type = 'summary' AND source_id IN ({m}))", [*chunk, *chunk])
        deleted += db.execute(f"DELETE FROM summaries WHERE id IN ({m})", chunk).rowcount
    return deleted


def sources_exist(db: Db, sources: Iterable[tuple[str, int]]) -> bool:
    """False when a memory or summary a new summary is about to cite was deleted meanwhile."""
    for kind, source_id in sources:
        table = "memories" if kind == "memory" else "summaries"
        if db.execute(f"SELECT 1 FROM {table} WHERE id = ?", [int(source_id)]).fetchone() is None:
            return False
    return True


# -- profile facts ----------------------------------------------------------------------------
def facts_reached(db: Db, memory_id: int) -> list[int]:
    """Facts this memory is evidence for, or whose own (fact) memory it is."""
    return [r[0] for r in db.execute(
        "SELECT fact_id FROM fact_sources WHERE memory_id = ? "
        "UNION SELECT id FROM profile_facts WHERE memory_id = ?", [memory_id, memory_id])]


def drop_evidence(db: Db, memory_id: int) -> list[str]:
    """Deletes the memory's evidence links; returns the quotes they held."""
    quotes = [r[0] for r in db.execute("SELECT quote FROM fact_sources WHERE memory_id = ?",
                                       [memory_id])]
    db.execute("DELETE FROM fact_sources WHERE memory_id = ?", [memory_id])
    return quotes


def drop_evidence_for(db: Db, fact_id: int, memory_id: int) -> tuple[int, list[str]]:
    """Deletes one fact's evidence link to this memory: (links removed, their quotes)."""
    quotes = [r[0] for r in db.execute("SELECT quote FROM fact_sources WHERE fact_id = ? AND "
                                       "memory_id = ?", [fact_id, memory_id])]
    db.execute("DELETE FROM fact_sources WHERE fact_id = ? AND memory_id = ?",
               [fact_id, memory_id])
    return len(quotes), quotes


def fact_state(db: Db, fact_id: int) -> dict[str, Any] | None:
    """The fact's evidence text, own memory and how many sources it still has."""
    row = db.execute("SELECT evidence, memory_id, (SELECT count(*) FROM fact_sources s "
                     "WHERE s.fact_id = f.id), (SELECT quote FROM fact_sources s WHERE "
                     "s.fact_id = f.id ORDER BY memory_id LIMIT 1) FROM profile_facts f "
                     "WHERE id = ?", [fact_id]).fetchone()
    if row is None:
        return None
    return {"evidence": row[0], "memory_id": row[1], "sources": row[2], "first_quote": row[3]}


def set_fact_evidence(db: Db, fact_id: int, evidence: str) -> None:
    db.execute("UPDATE profile_facts SET evidence = ? WHERE id = ?", [evidence, fact_id])


# -- chat record ------------------------------------------------------------------------------
def delete_messages(db: Db, message_ids: Iterable[int]) -> list[dict[str, Any]]:
    """Deletes messages; returns (id, session_id, role, text) of those that existed."""
    gone: list[dict[str, Any]] = []
    for chunk in chunks(int(i) for i in message_ids):
        m = marks(chunk)
        gone.extend(dict(r) for r in db.query(
            f"SELECT id, session_id, role, text, source FROM messages WHERE id IN ({m})", chunk))
        db.execute(f"DELETE FROM messages WHERE id IN ({m})", chunk)
    return gone


def folded_into(db: Db, memory_id: int) -> list[int]:
    """Duplicates the dedupe job folded into this memory (same text, archived)."""
    return [r[0] for r in db.execute(
        "SELECT id FROM memories WHERE json_extract(meta, '$.merged_into') = ?", [memory_id])]


def session_message_ids(db: Db, session_id: str) -> list[int]:
    return [r[0] for r in db.execute("SELECT id FROM messages WHERE session_id = ?",
                                     [session_id])]


def session_memory_ids(db: Db, session_id: str) -> list[int]:
    return [r[0] for r in db.execute("SELECT id FROM memories WHERE session_id = ?",
                                     [session_id])]


def session_title(db: Db, session_id: str) -> tuple[bool, str | None]:
    row = db.execute("SELECT title FROM sessions WHERE id = ?", [session_id]).fetchone()
    return (row is not None, row[0] if row else None)


def first_user_message(db: Db, session_id: str) -> str | None:
    row = db.execute("SELECT text FROM messages WHERE session_id = ? AND role = 'user' "
                     "ORDER BY id LIMIT 1", [session_id]).fetchone()
    return row[0] if row else None


def set_session_title(db: Db, session_id: str, title: str | None) -> None:
    db.execute("UPDATE sessions SET title = ? WHERE id = ?", [title, session_id])


def delete_session(db: Db, session_id: str) -> int:
    db.execute("DELETE FROM messages WHERE session_id = ?", [session_id])
    return db.execute("DELETE FROM sessions WHERE id = ?", [session_id]).rowcount


def session_exists(db: Db, session_id: str) -> bool:
    return db.execute("SELECT 1 FROM sessions WHERE id = ?", [session_id]).fetchone() is not None


# -- imported documents -----------------------------------------------------------------------
def documents_under(db: Db, path: str) -> list[int]:
    """Documents imported from this file, or from anywhere inside this folder."""
    prefix = path.rstrip("/") + "/"
    return [r[0] for r in db.execute(
        "SELECT id FROM documents WHERE path = ? OR substr(path, 1, ?) = ? ORDER BY id",
        [path, len(prefix), prefix])]


def document_memory_ids(db: Db, document_ids: Iterable[int]) -> list[int]:
    out: list[int] = []
    for chunk in chunks(document_ids):
        out.extend(r[0] for r in db.execute(
            f"SELECT id FROM memories WHERE document_id IN ({marks(chunk)})", chunk))
    return out


def document_sessions(db: Db, document_ids: Iterable[int]) -> list[str]:
    """Chat sessions an import created (their meta names the document)."""
    out: list[str] = []
    for chunk in chunks(document_ids):
        out.extend(r[0] for r in db.execute(
            "SELECT id FROM sessions WHERE json_valid(meta) AND "
            f"json_extract(meta, '$.document_id') IN ({marks(chunk)})", chunk))
    return out


def delete_documents(db: Db, document_ids: Iterable[int]) -> int:
    deleted = 0
    for chunk in chunks(document_ids):
        deleted += db.execute(f"DELETE FROM documents WHERE id IN ({marks(chunk)})",
                              chunk).rowcount
    return deleted


# -- import runs ------------------------------------------------------------------------------
def start_import_run(db: Db, at: str) -> int:
    top = db.execute("SELECT coalesce(max(id), 0) FROM audit_log").fetchone()[0]
    return int(db.execute("INSERT INTO import_runs (started_at, audit_from) VALUES (?, ?)",
                          [at, top]).lastrowid)


def finish_import_run(db: Db, run_id: int, at: str) -> None:
    top = db.execute("SELECT coalesce(max(id), 0) FROM audit_log").fetchone()[0]
    db.execute("UPDATE import_runs SET finished_at = ?, audit_to = ? WHERE id = ?",
               [at, top, run_id])


def import_run(db: Db, run_id: int | None = None) -> dict[str, Any] | None:
    """One import run by id, or the latest one."""
    if run_id is None:
        rows = list(db.query("SELECT * FROM import_runs ORDER BY id DESC LIMIT 1"))
    else:
        rows = list(db.query("SELECT * FROM import_runs WHERE id = ?", [run_id]))
    return rows[0] if rows else None


def created_in_run(db: Db, run: dict[str, Any]) -> tuple[list[int], list[int]]:
    """(memory ids, new document ids) the import run created, from its audit window."""
    end = run["audit_to"]
    if end is None:  # interrupted: everything since it started
        end = db.execute("SELECT coalesce(max(id), 0) FROM audit_log").fetchone()[0]
    window = "id > ? AND id <= ? AND actor = 'import'"
    memories = [r[0] for r in db.execute(
        f"SELECT entity_id FROM audit_log WHERE {window} AND entity = 'memory' "
        "AND action = 'create'", [run["audit_from"], end])]
    documents = [r[0] for r in db.execute(
        f"SELECT entity_id FROM audit_log WHERE {window} AND entity = 'document' "
        "AND action = 'import'", [run["audit_from"], end])]
    return memories, documents


# -- tombstones, audit, full-text index -------------------------------------------------------
def add_tombstones(db: Db, hashes: Iterable[str], at: str) -> None:
    db.conn.executemany("INSERT OR IGNORE INTO forgotten (content_hash, forgotten_at) "
                        "VALUES (?, ?)", [(h, at) for h in dict.fromkeys(hashes)])


def tombstoned(db: Db, hashes: Iterable[str]) -> set[str]:
    found: set[str] = set()
    for chunk in chunks(hashes):
        found.update(r[0] for r in db.execute(
            f"SELECT content_hash FROM forgotten WHERE content_hash IN ({marks(chunk)})", chunk))
    return found


def redact_audit(db: Db, entity: str, entity_ids: Iterable[int], note: str) -> int:
    """Keeps each entry's action, drops its before/after (the text and values)."""
    done = 0
    for chunk in chunks(entity_ids):
        done += db.execute(f"UPDATE audit_log SET before = NULL, after = NULL, note = ? "
                           f"WHERE entity = ? AND entity_id IN ({marks(chunk)})",
                           [note, entity, *chunk]).rowcount
    return done


def merge_fts(db: Db) -> None:
    """Merges the FTS index into one fresh segment, zeroing freed pages (caller's transaction).

    FTS5 deletes by writing tombstones; the old tokens stay in earlier segments until a
    merge. Done inside the forgetting transaction, a kill -9 can never leave a committed
    delete with its tokens still in a segment.
    """
    db.execute("PRAGMA secure_delete = ON")
    db.execute("INSERT INTO memories_fts(memories_fts) VALUES ('optimize')")


def secure_delete_on(db: Db) -> None:
    db.execute("PRAGMA secure_delete = ON")


# -- checking ---------------------------------------------------------------------------------
def occurrences(db: Db, needle: str) -> dict[str, int]:
    """Rows of every table (FTS shadow tables included) holding `needle`, by table.

    Text is matched case-insensitively; blobs (vectors, FTS segments) by their bytes.
    """
    low = needle.lower()
    raw = needle.lower().encode("utf-8")
    found: dict[str, int] = {}
    tables = [r[0] for r in db.execute(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND sql NOT LIKE 'CREATE VIRTUAL%'")]
    for table in tables:
        hits = 0
        for row in db.execute(f'SELECT * FROM "{table}"'):
            for value in row:
                if (isinstance(value, str) and low in value.lower()) or \
                        (isinstance(value, bytes) and raw in value.lower()):
                    hits += 1
                    break
        if hits:
            found[table] = hits
    return found
