"""The database work of a backup and a restore: digests, integrity checks, page copy.

Takes raw connections, since a backup reads files no `Bank` has open.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path
from typing import Any

from .connection import connect
from .sqlcipher import DatabaseError


def plain_tables(conn: Any) -> list[str]:
    """Real tables only: FTS and other virtual tables (and their shadows) are derived."""
    rows = conn.execute("SELECT name, sql FROM sqlite_master WHERE type = 'table' "
                        "AND name NOT LIKE 'sqlite_%' ORDER BY name").fetchall()
    virtual = [name for name, sql in rows if (sql or "").upper().startswith("CREATE VIRTUAL")]
    return [name for name, _ in rows
            if name not in virtual and not any(name.startswith(v + "_") for v in virtual)]


def table_digests(conn: Any) -> dict[str, dict[str, Any]]:
    """Row count and a SHA-256 over every row of every table, in a stable order."""
    tables: dict[str, dict[str, Any]] = {}
    for table in plain_tables(conn):
        quoted = '"' + table.replace('"', '""') + '"'
        try:
            cursor = conn.execute(f"SELECT * FROM {quoted} ORDER BY rowid")
        except DatabaseError:  # WITHOUT ROWID tables: order by every column instead
            width = len(conn.execute(f"SELECT * FROM {quoted} LIMIT 0").description)
            order = ", ".join(str(i + 1) for i in range(width))
            cursor = conn.execute(f"SELECT * FROM {quoted} ORDER BY {order}")
        digest = hashlib.sha256()
        count = 0
        for row in cursor:
            count += 1
            digest.update(json.dumps(row, default=lambda b: bytes(b).hex()).encode())
            digest.update(b"\n")
        tables[table] = {"rows": count, "sha256": digest.hexdigest()}
    return tables


def integrity_check(conn: Any) -> list[str]:
    """SQLite's integrity check: ['ok'] when the file is sound."""
    return [r[0] for r in conn.execute("PRAGMA integrity_check").fetchall()]


def cipher_integrity_check(conn: Any) -> list[str]:
    """SQLCipher's page HMAC check: empty when every page authenticates."""
    return [r[0] for r in conn.execute("PRAGMA cipher_integrity_check").fetchall()]


def stored_db_id(conn: Any) -> str | None:
    row = conn.execute("SELECT value FROM meta WHERE key = 'db_id'").fetchone()
    return None if row is None else row[0]


def copy_pages(source_conn: Any, target: Path, dek: bytes | bytearray) -> None:
    """Page copy into a target keyed with `dek` before the first page lands."""
    target_conn = connect(target, dek)
    os.chmod(target, 0o600)
    try:
        source_conn.backup(target_conn)
        target_conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        # One self-contained file: no -wal/-shm to forget when copying the backup around.
        target_conn.execute("PRAGMA journal_mode = DELETE")
    finally:
        target_conn.close()
