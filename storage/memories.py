"""Queries over the `memories` table and its FTS5 index. Callers own the transaction."""

from __future__ import annotations

import hashlib
import json
import re
import unicodedata
from collections.abc import Iterable, Iterator
from typing import Any

from . import evidence
from .by_id import chunks, marks, select_memories
from .records import MEMORY_KINDS, TRUST_LEVELS, Memory
from .sqlcipher import sqlite_utils
from .text import QUERY_WORDS, STOPWORDS

COLUMNS = ("id, kind, text, event_at, recorded_at, source, source_ref, session_id, document_id, "
           "importance, strength, last_reinforced_at, recall_count, state, pinned, trust, "
           "content_hash, embedding_model, meta")

_STOPWORDS = STOPWORDS | QUERY_WORDS

_WORD = re.compile(r"\w+", re.UNICODE)


def content_hash(text: str) -> str:
    return hashlib.sha256(unicodedata.normalize("NFC", text).encode("utf-8", "surrogatepass"))\
        .hexdigest()


def clean_text(text: str) -> str:
    """Text as stored: lone surrogates replaced, NULs dropped, so FTS and UTF-8 never choke."""
    text = text.encode("utf-8", "replace").decode("utf-8") if _has_surrogates(text) else text
    return text.replace("\x00", "")


def _has_surrogates(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


def content_terms(text: str) -> list[str]:
    """The words of a query that carry meaning (lowercased, stopwords dropped)."""
    return [w for w in (w.lower() for w in _WORD.findall(clean_text(text)))
            if w not in _STOPWORDS]


def fts_query(text: str, *, keep_stopwords: bool = False) -> str | None:
    """Turns any user text into a safe FTS5 query: quoted terms joined by OR.

    Quoting every term neutralises FTS syntax (NEAR(, *, -, unbalanced quotes);
    OR lets BM25 rank partial matches instead of demanding every word.
    """
    words = [w.lower() for w in _WORD.findall(clean_text(text))]
    terms = [w for w in words if keep_stopwords or w not in _STOPWORDS]
    if not terms:
        terms = words
    seen: list[str] = []
    for term in terms:
        if term not in seen:
            seen.append(term)
    if not seen:
        return None
    return " OR ".join('"' + t.replace('"', '""') + '"' for t in seen[:64])


def insert(db: sqlite_utils.Database, record: dict[str, Any]) -> int:
    if record["kind"] not in MEMORY_KINDS:
        raise ValueError(f"unknown memory kind {record['kind']!r}")
    if record["trust"] not in TRUST_LEVELS:
        raise ValueError(f"unknown trust level {record['trust']!r}")
    row = dict(record)
    row["text"] = clean_text(row["text"])
    row.setdefault("content_hash", content_hash(row["text"]))
    if row["kind"] == "turn" and "person_text" not in row:   # importers: split by speaker
        row["person_text"] = evidence.person_words(row["text"])
    row.setdefault("evidence", evidence.weight(row["kind"], row["trust"], row.get("person_text")))
    for key in ("source_ref", "meta"):
        if not isinstance(row.get(key, "{}"), str):
            row[key] = json.dumps(row[key], ensure_ascii=False, sort_keys=True)
    if "pinned" in row:
        row["pinned"] = int(bool(row["pinned"]))
    # Plain SQL, not the table API: imports write thousands of rows (see
    # messages.insert_imported_message for the measured cost of each).
    columns = list(row)
    placeholders = ", ".join("?" for _ in columns)
    cursor = db.execute(
        f"INSERT INTO memories ({', '.join(columns)}) VALUES ({placeholders})",
        [row[c] for c in columns],
    )
    return int(cursor.lastrowid)


def get(db: sqlite_utils.Database, memory_id: int) -> Memory | None:
    rows = list(db.query(f"SELECT {COLUMNS} FROM memories WHERE id = ?", [memory_id]))
    return Memory.from_row(rows[0]) if rows else None


def get_many(db: sqlite_utils.Database, ids: Iterable[int]) -> dict[int, Memory]:
    found: dict[int, Memory] = {}
    for chunk in chunks(int(i) for i in ids):
        for row in db.query(f"SELECT {COLUMNS} FROM memories WHERE id IN ({marks(chunk)})",
                            chunk):
            found[row["id"]] = Memory.from_row(row)
    return found


def find_by_hash(db: sqlite_utils.Database, digest: str, kind: str | None = None) -> Memory | None:
    sql = f"SELECT {COLUMNS} FROM memories WHERE content_hash = ?"
    args: list[Any] = [digest]
    if kind:
        sql += " AND kind = ?"
        args.append(kind)
    rows = list(db.query(sql + " ORDER BY id LIMIT 1", args))
    return Memory.from_row(rows[0]) if rows else None


def update(db: sqlite_utils.Database, memory_id: int, **changes: Any) -> None:
    if not changes:
        return
    for key in ("source_ref", "meta"):
        if key in changes and not isinstance(changes[key], str):
            changes[key] = json.dumps(changes[key], ensure_ascii=False, sort_keys=True)
    if "pinned" in changes:
        changes["pinned"] = int(bool(changes["pinned"]))
    if "text" in changes:
        changes["text"] = clean_text(changes["text"])
        changes["content_hash"] = content_hash(changes["text"])
    sets = ", ".join(f"{k} = ?" for k in changes)
    db.execute(f"UPDATE memories SET {sets} WHERE id = ?", [*changes.values(), memory_id])


# The person's words (search_text) count fully; the rest of a turn (the assistant's reply)
# only a little, so it can tip a tie but never outrank the person's own statement.
BM25 = "bm25(memories_fts, 1.0, 0.2)"


def bm25_search(db: sqlite_utils.Database, query: str, *, limit: int = 50,
                include_archived: bool = False,
                kinds: Iterable[str] | None = None) -> list[tuple[int, float]]:
    """(id, score) pairs, best first; score = -bm25 so that higher is better.

    Ranks inside FTS5 alone, then filters the top of the list by state and kind: joining
    every match to `memories` first would read thousands of rows (each carrying its
    vector) for a common word.
    """
    match = fts_query(query)
    if match is None:
        return []
    match = prune_common_terms(db, match)
    kinds = set(kinds or [])
    page = max(limit * 3, 100)
    out: list[tuple[int, float]] = []
    offset = 0
    while len(out) < limit:
        ranked = db.execute(
            f"SELECT rowid, -{BM25} FROM memories_fts WHERE memories_fts MATCH ? "
            f"ORDER BY {BM25} LIMIT ? OFFSET ?", [match, page, offset]).fetchall()
        if not ranked:
            break
        meta = _state_kind(db, [r[0] for r in ranked])
        for memory_id, score in ranked:
            found = meta.get(memory_id)
            if found is None or (not include_archived and found[0] != "active") \
                    or (kinds and found[1] not in kinds):
                continue
            out.append((memory_id, float(score)))
        if len(ranked) < page:
            break
        offset += page
    return out[:limit]


RANK_COLUMNS = "id, state, kind, event_at, strength, last_reinforced_at, pinned"


def rank_fields(db: sqlite_utils.Database, ids: Iterable[int]) -> dict[int, tuple]:
    """The few columns ranking needs (no text, no JSON), for many candidates at once."""
    return {r[0]: tuple(r) for r in select_memories(db, RANK_COLUMNS, ids)}


PRUNE_FROM_MEMORIES = 5000   # below this every term is cheap enough
PRUNE_DOC_SHARE = 0.10       # a term in more than this share of memories is near-stopword


def prune_common_terms(db: sqlite_utils.Database, match: str) -> str:
    """Drops query terms that occur in >10% of a large bank (unless nothing else is left).

    Their IDF is small, but OR-ing them in makes FTS5 score and sort tens of thousands of
    rows: at 100k memories one such word costs ~30 ms of a search. Counting a term's
    matches is cheap (FTS5 answers count(*) from its doclists).
    """
    terms = match.split(" OR ")
    if len(terms) < 2:
        return match
    total = db.execute("SELECT coalesce(max(rowid), 0) FROM memories").fetchone()[0]
    if total < PRUNE_FROM_MEMORIES:
        return match
    limit = PRUNE_DOC_SHARE * total
    df = {t: db.execute("SELECT count(*) FROM memories_fts WHERE memories_fts MATCH ?",
                        [t]).fetchone()[0] for t in terms}
    kept = [t for t in terms if df[t] <= limit] or [min(terms, key=df.__getitem__)]
    return " OR ".join(kept)


def _state_kind(db: sqlite_utils.Database, ids: list[int]) -> dict[int, tuple[str, str]]:
    return {r[0]: (r[1], r[2]) for r in select_memories(db, "id, state, kind", ids)}


def iter_embeddings(db: sqlite_utils.Database, model: str,
                    batch: int = 5000) -> Iterator[list[tuple[int, bytes, str]]]:
    """(id, blob, state) in batches, for building the in-memory vector index."""
    last = 0
    while True:
        rows = db.execute(
            "SELECT id, embedding, state FROM memories WHERE embedding IS NOT NULL "
            "AND embedding_model = ? AND id > ? ORDER BY id LIMIT ?", [model, last, batch],
        ).fetchall()
        if not rows:
            return
        yield [(r[0], r[1], r[2]) for r in rows]
        last = rows[-1][0]


def missing_embeddings(db: sqlite_utils.Database, model: str, limit: int,
                       after_id: int = 0) -> list[tuple[int, str]]:
    """(id, search_text) of memories without a vector from `model`, in id order after `after_id`.

    The search text is what gets embedded: the person's side of a turn, else the text.

    Two index-friendly halves (no vector yet; a vector from another model) instead of one
    OR, so a bank of 100k embedded memories answers "nothing to do" without a table scan.
    """
    fresh = db.execute(
        "SELECT id, search_text FROM memories WHERE embedding_model IS NULL AND id > ? "
        "ORDER BY id LIMIT ?", [after_id, limit]).fetchall()
    stale = db.execute(
        "SELECT id, search_text FROM memories WHERE embedding_model > ? AND id > ? "
        "UNION ALL SELECT id, search_text FROM memories WHERE embedding_model < ? AND id > ? "
        "ORDER BY id LIMIT ?", [model, after_id, model, after_id, limit]).fetchall()
    merged = sorted({r[0]: r[1] for r in [*fresh, *stale]}.items())
    return merged[:limit]


def count_missing_embeddings(db: sqlite_utils.Database, model: str) -> int:
    return db.execute(
        "SELECT (SELECT count(*) FROM memories WHERE embedding_model IS NULL) + "
        "(SELECT count(*) FROM memories WHERE embedding_model > ?) + "
        "(SELECT count(*) FROM memories WHERE embedding_model < ?)", [model, model]).fetchone()[0]


def set_embedding(db: sqlite_utils.Database, memory_id: int, blob: bytes, model: str,
                  expected_text: str | None = None) -> bool:
    """Stores a vector; with `expected_text` (the search text embedded), only if unedited."""
    sql = "UPDATE memories SET embedding = ?, embedding_model = ? WHERE id = ?"
    args: list[Any] = [blob, model, memory_id]
    if expected_text is not None:
        sql += " AND search_text = ?"
        args.append(expected_text)
    return db.execute(sql, args).rowcount > 0


def iter_vectors(db: sqlite_utils.Database, model: str, *,
                 batch: int = 5000) -> Iterator[list[tuple[int, bytes, str, str]]]:
    """(id, blob, state, kind) in id order, for building the in-memory vector index."""
    last = 0
    while True:
        rows = db.execute(
            "SELECT id, embedding, state, kind FROM memories WHERE embedding_model = ? "
            "AND id > ? ORDER BY id LIMIT ?", [model, last, batch],
        ).fetchall()
        if not rows:
            return
        yield [(r[0], r[1], r[2], r[3]) for r in rows if r[1] is not None]
        last = rows[-1][0]


def vector_rows(db: sqlite_utils.Database,
                ids: Iterable[int]) -> dict[int, tuple[bytes | None, str | None, str, str]]:
    """id → (blob, model, state, kind) for the ids that still exist."""
    return {r[0]: (r[1], r[2], r[3], r[4])
            for r in select_memories(db, "id, embedding, embedding_model, state, kind", ids)}


def changed_since(db: sqlite_utils.Database, audit_id: int,
                  limit: int = 200_000) -> tuple[int, set[int]]:
    """Memory ids touched after audit entry `audit_id`, and the new watermark.

    Every change to a memory is audited in its own transaction, so the audit tail is a
    cheap, cross-process change feed (another process's scheduler, an importer).
    """
    rows = db.execute("SELECT id, entity_id FROM audit_log WHERE id > ? AND entity = 'memory' "
                      "ORDER BY id LIMIT ?", [audit_id, limit]).fetchall()
    top = db.execute("SELECT coalesce(max(id), 0) FROM audit_log").fetchone()[0]
    if len(rows) == limit:
        top = rows[-1][0]
    return int(top), {r[1] for r in rows if r[1] is not None}


def audit_watermark(db: sqlite_utils.Database) -> int:
    return int(db.execute("SELECT coalesce(max(id), 0) FROM audit_log").fetchone()[0])


def ids_in_window(db: sqlite_utils.Database, start: str, end: str, *,
                  include_archived: bool = False, kinds: Iterable[str] | None = None,
                  limit: int = 200) -> list[int]:
    """Memories whose event time falls in [start, end), most recent first."""
    sql = "SELECT id FROM memories WHERE event_at >= ? AND event_at < ?"
    args: list[Any] = [start, end]
    if not include_archived:
        sql += " AND +state = 'active'"  # '+': walk the event_at index, not the state one
    kinds = list(kinds or [])
    if kinds:
        sql += f" AND kind IN ({','.join('?' for _ in kinds)})"
        args.extend(kinds)
    sql += " ORDER BY event_at DESC LIMIT ?"
    args.append(int(limit))
    return [r[0] for r in db.execute(sql, args).fetchall()]


def count(db: sqlite_utils.Database, state: str | None = "active") -> int:
    if state is None:
        return db.execute("SELECT count(*) FROM memories").fetchone()[0]
    return db.execute("SELECT count(*) FROM memories WHERE state = ?", [state]).fetchone()[0]


def delete_everywhere(db: sqlite_utils.Database, memory_id: int) -> dict[str, int]:
    """Hard delete: the row (its FTS entry goes with it via trigger), summary links, fact evidence."""
    removed = {
        "summary_links": db.execute(
            "DELETE FROM summary_sources WHERE source_type = 'memory' AND source_id = ?",
            [memory_id]).rowcount,
        "fact_evidence": db.execute(
            "DELETE FROM fact_sources WHERE memory_id = ?", [memory_id]).rowcount,
    }
    db.execute("UPDATE summaries SET memory_id = NULL WHERE memory_id = ?", [memory_id])
    db.execute("UPDATE profile_facts SET memory_id = NULL WHERE memory_id = ?", [memory_id])
    removed["memory"] = db.execute("DELETE FROM memories WHERE id = ?", [memory_id]).rowcount
    return removed


def scrub_deleted_text(db: sqlite_utils.Database) -> None:
    """Rewrites the FTS index so a forgotten memory's words leave its segments too.

    FTS5 deletes by writing tombstones; the old tokens stay in earlier segments until a
    merge. 'optimize' merges everything into one fresh segment, and secure_delete zeroes
    the freed pages, so nothing of the text survives even inside the encrypted file.
    """
    previous = db.execute("PRAGMA secure_delete").fetchone()[0]
    db.execute("PRAGMA secure_delete = ON")
    try:
        db.execute("INSERT INTO memories_fts(memories_fts) VALUES ('optimize')")
    finally:
        db.execute(f"PRAGMA secure_delete = {int(previous)}")


def turn_refs(db: sqlite_utils.Database, session_id: str) -> list[str | None]:
    """The raw source_ref JSON of a session's turn memories."""
    return [r[0] for r in db.execute(
        "SELECT source_ref FROM memories WHERE session_id = ? AND kind = 'turn'",
        [session_id]).fetchall()]


def fading_candidates(db: sqlite_utils.Database, after_id: int, limit: int) -> list[int]:
    """Ids of active, unpinned memories after `after_id`, in id order (decay pages)."""
    return [r[0] for r in db.execute(
        "SELECT id FROM memories WHERE state = 'active' AND pinned = 0 AND id > ? "
        "ORDER BY id LIMIT ?", [after_id, limit]).fetchall()]
