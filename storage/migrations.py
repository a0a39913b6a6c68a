"""The schema, as an append-only list of sqlite-utils migrations.

Never edit a migration that has shipped; add a new one. Each runs in its own
transaction together with its record row, so a crash mid-migration leaves it
pending and it simply runs again.
"""

from __future__ import annotations

from .sqlcipher import sqlite_utils

migrations = sqlite_utils.migrations.Migrations("secondme")


@migrations()
def m001_core(db: sqlite_utils.Database) -> None:
    db.execute("""
        CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)
    """)
    db.execute("""
        CREATE TABLE sessions (
            id TEXT PRIMARY KEY,
            title TEXT,
            source TEXT NOT NULL DEFAULT 'chat',
            started_at TEXT NOT NULL,
            last_active_at TEXT NOT NULL,
            meta TEXT NOT NULL DEFAULT '{}'
        )
    """)
    db.execute("""
        CREATE TABLE messages (
            id INTEGER PRIMARY KEY,
            session_id TEXT NOT NULL REFERENCES sessions(id),
            role TEXT NOT NULL CHECK (role IN ('user', 'assistant', 'system')),
            text TEXT NOT NULL,
            created_at TEXT NOT NULL,
            source TEXT NOT NULL DEFAULT 'chat',
            source_ref TEXT,
            meta TEXT NOT NULL DEFAULT '{}'
        )
    """)
    db.execute("CREATE INDEX idx_messages_session ON messages(session_id, created_at)")
    db.execute("""
        CREATE TABLE documents (
            id INTEGER PRIMARY KEY,
            path TEXT NOT NULL UNIQUE,
            kind TEXT NOT NULL,
            content_hash TEXT NOT NULL,
            mtime REAL,
            size INTEGER,
            imported_at TEXT NOT NULL,
            state TEXT NOT NULL DEFAULT 'present' CHECK (state IN ('present', 'vanished')),
            meta TEXT NOT NULL DEFAULT '{}'
        )
    """)
    db.execute("""
        CREATE TABLE memories (
            id INTEGER PRIMARY KEY,
            kind TEXT NOT NULL CHECK (kind IN ('turn', 'note', 'summary', 'fact', 'remember')),
            text TEXT NOT NULL,
            event_at TEXT NOT NULL,
            recorded_at TEXT NOT NULL,
            source TEXT NOT NULL,
            source_ref TEXT NOT NULL DEFAULT '{}',
            session_id TEXT,
            document_id INTEGER REFERENCES documents(id) ON DELETE SET NULL,
            importance REAL NOT NULL DEFAULT 0.5,
            strength REAL NOT NULL DEFAULT 1.0,
            last_reinforced_at TEXT NOT NULL,
            recall_count INTEGER NOT NULL DEFAULT 0,
            state TEXT NOT NULL DEFAULT 'active' CHECK (state IN ('active', 'archived')),
            pinned INTEGER NOT NULL DEFAULT 0,
            trust TEXT NOT NULL CHECK (trust IN ('user', 'assistant', 'import', 'derived')),
            content_hash TEXT NOT NULL,
            embedding BLOB,
            embedding_model TEXT,
            meta TEXT NOT NULL DEFAULT '{}'
        )
    """)
    db.execute("CREATE INDEX idx_memories_event ON memories(event_at)")
    db.execute("CREATE INDEX idx_memories_state ON memories(state, kind)")
    db.execute("CREATE INDEX idx_memories_hash ON memories(content_hash)")
    db.execute("CREATE INDEX idx_memories_document ON memories(document_id)")
    db.execute("CREATE INDEX idx_memories_session ON memories(session_id)")
    db["memories"].enable_fts(["text"], fts_version="FTS5", create_triggers=True,
                              tokenize="porter unicode61 remove_diacritics 2")
    db.execute("""
        CREATE TABLE summaries (
            id INTEGER PRIMARY KEY,
            level TEXT NOT NULL CHECK (level IN ('session', 'day', 'week', 'month', 'life')),
            period_key TEXT NOT NULL,
            period_start TEXT NOT NULL,
            period_end TEXT NOT NULL,
            text TEXT NOT NULL,
            version INTEGER NOT NULL DEFAULT 1,
            is_current INTEGER NOT NULL DEFAULT 1,
            method TEXT NOT NULL,
            model TEXT,
            sources_hash TEXT NOT NULL,
            memory_id INTEGER REFERENCES memories(id) ON DELETE SET NULL,
            created_at TEXT NOT NULL,
            superseded_at TEXT,
            UNIQUE (level, period_key, version)
        )
    """)
    db.execute("CREATE INDEX idx_summaries_current ON summaries(level, is_current, period_start)")
    db.execute("""
        CREATE TABLE summary_sources (
            summary_id INTEGER NOT NULL REFERENCES summaries(id) ON DELETE CASCADE,
            source_type TEXT NOT NULL CHECK (source_type IN ('memory', 'summary')),
            source_id INTEGER NOT NULL,
            PRIMARY KEY (summary_id, source_type, source_id)
        )
    """)
    db.execute("CREATE INDEX idx_summary_sources_src ON summary_sources(source_type, source_id)")
    db.execute("""
        CREATE TABLE profile_facts (
            id INTEGER PRIMARY KEY,
            subject TEXT NOT NULL,
            attribute TEXT NOT NULL,
            value TEXT NOT NULL,
            category TEXT NOT NULL,
            confidence REAL NOT NULL,
            evidence TEXT NOT NULL,
            valid_from TEXT,
            valid_to TEXT,
            recorded_at TEXT NOT NULL,
            superseded_at TEXT,
            superseded_by INTEGER REFERENCES profile_facts(id),
            status TEXT NOT NULL DEFAULT 'active'
                CHECK (status IN ('active', 'closed', 'quarantined')),
            trust TEXT NOT NULL DEFAULT 'derived',
            pinned INTEGER NOT NULL DEFAULT 0,
            memory_id INTEGER REFERENCES memories(id) ON DELETE SET NULL
        )
    """)
    db.execute("CREATE INDEX idx_facts_key ON profile_facts(subject, attribute, status)")
    db.execute("""
        CREATE TABLE fact_sources (
            fact_id INTEGER NOT NULL REFERENCES profile_facts(id) ON DELETE CASCADE,
            memory_id INTEGER NOT NULL,
            quote TEXT NOT NULL,
            PRIMARY KEY (fact_id, memory_id)
        )
    """)
    db.execute("CREATE INDEX idx_fact_sources_memory ON fact_sources(memory_id)")
    db.execute("""
        CREATE TABLE audit_log (
            id INTEGER PRIMARY KEY,
            at TEXT NOT NULL,
            actor TEXT NOT NULL,
            action TEXT NOT NULL,
            entity TEXT NOT NULL,
            entity_id INTEGER,
            before TEXT,
            after TEXT,
            note TEXT
        )
    """)
    db.execute("CREATE INDEX idx_audit_entity ON audit_log(entity, entity_id)")
    db.execute("""
        CREATE TABLE job_runs (
            id INTEGER PRIMARY KEY,
            job TEXT NOT NULL,
            started_at TEXT NOT NULL,
            finished_at TEXT,
            status TEXT NOT NULL CHECK (status IN ('running', 'ok', 'error', 'interrupted')),
            counts TEXT NOT NULL DEFAULT '{}',
            error TEXT
        )
    """)
    db.execute("CREATE INDEX idx_job_runs_job ON job_runs(job, started_at)")
    db.execute("""
        CREATE TABLE job_state (
            job TEXT PRIMARY KEY,
            watermark TEXT,
            updated_at TEXT NOT NULL
        )
    """)


@migrations()
def m002_memories_embedding_model_index(db: sqlite_utils.Database) -> None:
    """Finding memories still to embed must not scan 100k rows of vectors."""
    db.execute("CREATE INDEX IF NOT EXISTS idx_memories_embedding_model "
               "ON memories(embedding_model)")


@migrations()
def m003_profile_fact_method(db: sqlite_utils.Database) -> None:
    """Derived facts say how they were derived ('llm' or 'rules'), like summaries do."""
    db.execute("ALTER TABLE profile_facts ADD COLUMN method TEXT NOT NULL DEFAULT 'llm'")


@migrations()
def m004_forget_tombstones(db: sqlite_utils.Database) -> None:
    """Forgotten content stays forgotten: tombstones by content hash, and import runs.

    Also merges the full-text index once, so a token left in an old segment by a
    forget interrupted before its FTS optimize (older versions) is gone too.
    """
    db.execute("""
        CREATE TABLE forgotten (
            content_hash TEXT PRIMARY KEY,
            forgotten_at TEXT NOT NULL
        )
    """)
    db.execute("""
        CREATE TABLE import_runs (
            id INTEGER PRIMARY KEY,
            started_at TEXT NOT NULL,
            finished_at TEXT,
            audit_from INTEGER NOT NULL,
            audit_to INTEGER
        )
    """)
    db.execute("INSERT INTO memories_fts(memories_fts) VALUES ('optimize')")


@migrations()
def m005_derived_trust(db: sqlite_utils.Database) -> None:
    """A summary has the lowest trust of its sources (issue 12.10): 'import' when made from
    imported text, 'assistant' from the assistant's words, else 'derived'; its memory too."""
    db.execute("ALTER TABLE summaries ADD COLUMN trust TEXT NOT NULL DEFAULT 'derived'")
    for low in ("import", "assistant"):
        for _ in range(8):   # session/day <- memories, week/month <- days, life <- all
            changed = db.execute(
                "UPDATE summaries SET trust = ? WHERE trust NOT IN ('import', ?) AND id IN ("
                "SELECT l.summary_id FROM summary_sources l JOIN memories m ON "
                "l.source_type = 'memory' AND m.id = l.source_id WHERE m.trust = ? UNION "
                "SELECT l.summary_id FROM summary_sources l JOIN summaries s ON "
                "l.source_type = 'summary' AND s.id = l.source_id WHERE s.trust = ?)",
                [low, low, low, low]).rowcount
            if not changed:
                break
    db.execute("UPDATE memories SET trust = (SELECT s.trust FROM summaries s WHERE "
               "s.memory_id = memories.id) WHERE kind = 'summary' AND id IN "
               "(SELECT memory_id FROM summaries WHERE trust != 'derived')")


_TRUST_CHECK = "CHECK (trust IN ('user', 'assistant', 'import', 'derived'))"
_TRUST_CHECK_EXTERNAL = "CHECK (trust IN ('user', 'assistant', 'import', 'derived', 'external'))"


@migrations()
def m006_mcp(db: sqlite_utils.Database) -> None:
    """Other AI tools (MCP clients): grants, the access log, the inbox of proposed memories;
    and trust 'external' for a proposal the owner approved.

    Widening a CHECK needs no table rebuild: every existing row already satisfies the wider
    constraint, so the stored CREATE statement is rewritten in place (SQLite's documented
    procedure for relaxing constraints) and the schema version bumped so every connection,
    in every process, reloads it.
    """
    sql = db.execute("SELECT sql FROM sqlite_master WHERE type = 'table' "
                     "AND name = 'memories'").fetchone()[0]
    if _TRUST_CHECK in sql:
        version = db.execute("PRAGMA schema_version").fetchone()[0]
        db.execute("PRAGMA writable_schema = ON")
        db.execute("UPDATE sqlite_master SET sql = ? WHERE type = 'table' AND name = 'memories'",
                   [sql.replace(_TRUST_CHECK, _TRUST_CHECK_EXTERNAL)])
        db.execute(f"PRAGMA schema_version = {int(version) + 1}")
        db.execute("PRAGMA writable_schema = OFF")
    db.execute("""
        CREATE TABLE mcp_clients (
            name TEXT PRIMARY KEY,
            scopes TEXT NOT NULL,
            created_at TEXT NOT NULL,
            updated_at TEXT NOT NULL,
            expires_at TEXT,
            revoked_at TEXT,
            rate_per_minute INTEGER
        )
    """)
    db.execute("""
        CREATE TABLE mcp_access_log (
            id INTEGER PRIMARY KEY,
            at TEXT NOT NULL,
            client TEXT NOT NULL,
            tool TEXT NOT NULL,
            request TEXT NOT NULL DEFAULT '',
            results INTEGER,
            outcome TEXT NOT NULL CHECK (outcome IN ('started', 'ok', 'refused', 'error')),
            reason TEXT
        )
    """)
    db.execute("CREATE INDEX idx_mcp_access_client ON mcp_access_log(client, at)")
    db.execute("""
        CREATE TABLE mcp_inbox (
            id INTEGER PRIMARY KEY,
            client TEXT NOT NULL,
            text TEXT NOT NULL,
            proposed_at TEXT NOT NULL
        )
    """)


def apply(db: sqlite_utils.Database) -> list[str]:
    """Applies pending migrations; returns the names applied (empty when up to date)."""
    pending = [m.name for m in migrations.pending(db)]
    if pending:
        migrations.apply(db)
    return pending


@migrations()
def m007_turn_trust(db: sqlite_utils.Database) -> None:
    """Turns are searched by the person's words; questions and assistant text weigh less."""
    from . import evidence

    db.execute("ALTER TABLE memories ADD COLUMN person_text TEXT")
    db.execute("ALTER TABLE memories ADD COLUMN evidence REAL NOT NULL DEFAULT 1.0")
    db.execute("ALTER TABLE memories ADD COLUMN search_text TEXT "
               "GENERATED ALWAYS AS (coalesce(person_text, text)) VIRTUAL")
    evidence.rebuild_fts(db, "porter unicode61 remove_diacritics 2")
    evidence.backfill(db)
