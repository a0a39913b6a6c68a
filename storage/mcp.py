"""Queries for other AI tools (MCP clients): grants, the access log, the inbox.

Everything lives inside the encrypted bank. Callers own the transaction.
"""

from __future__ import annotations

import json
from typing import Any

from .sqlcipher import sqlite_utils

CLIENT_COLUMNS = "name, scopes, created_at, updated_at, expires_at, revoked_at, rate_per_minute"
LOG_COLUMNS = "id, at, client, tool, request, results, outcome, reason"


def _client(row: dict[str, Any]) -> dict[str, Any]:
    return {**row, "scopes": json.loads(row["scopes"] or "[]")}


# -- clients ------------------------------------------------------------------------------
def get_client(db: sqlite_utils.Database, name: str) -> dict[str, Any] | None:
    rows = list(db.query(f"SELECT {CLIENT_COLUMNS} FROM mcp_clients WHERE name = ?", [name]))
    return _client(rows[0]) if rows else None


def list_clients(db: sqlite_utils.Database) -> list[dict[str, Any]]:
    return [_client(r) for r in db.query(f"SELECT {CLIENT_COLUMNS} FROM mcp_clients "
                                         "ORDER BY name")]


def upsert_client(db: sqlite_utils.Database, name: str, scopes: list[str], *, at: str,
                  expires_at: str | None, rate_per_minute: int | None) -> None:
    """A new grant, or a re-grant that replaces the scopes and lifts a revocation."""
    db.execute(
        "INSERT INTO mcp_clients (name, scopes, created_at, updated_at, expires_at, revoked_at, "
        "rate_per_minute) VALUES (?, ?, ?, ?, ?, NULL, ?) "
        "ON CONFLICT(name) DO UPDATE SET scopes = excluded.scopes, "
        "updated_at = excluded.updated_at, expires_at = excluded.expires_at, revoked_at = NULL, "
        "rate_per_minute = excluded.rate_per_minute",
        [name, json.dumps(scopes), at, at, expires_at, rate_per_minute])


def revoke_client(db: sqlite_utils.Database, name: str, at: str) -> bool:
    return db.execute("UPDATE mcp_clients SET revoked_at = ?, updated_at = ? "
                      "WHERE name = ? AND revoked_at IS NULL", [at, at, name]).rowcount > 0


# -- access log ---------------------------------------------------------------------------
def log_call(db: sqlite_utils.Database, *, at: str, client: str, tool: str, request: str,
             outcome: str, results: int | None = None, reason: str | None = None) -> int:
    cursor = db.execute(
        "INSERT INTO mcp_access_log (at, client, tool, request, results, outcome, reason) "
        "VALUES (?, ?, ?, ?, ?, ?, ?)", [at, client, tool, request, results, outcome, reason])
    return int(cursor.lastrowid)


def finish_call(db: sqlite_utils.Database, log_id: int, *, outcome: str, results: int | None,
                reason: str | None = None, request: str | None = None) -> None:
    db.execute("UPDATE mcp_access_log SET outcome = ?, results = ?, reason = ?, "
               "request = coalesce(?, request) WHERE id = ?",
               [outcome, results, reason, request, log_id])


def calls_since(db: sqlite_utils.Database, client: str, since: str) -> int:
    return db.execute("SELECT count(*) FROM mcp_access_log WHERE client = ? AND at >= ?",
                      [client, since]).fetchone()[0]


def access_log(db: sqlite_utils.Database, *, client: str | None = None,
               limit: int = 200) -> list[dict[str, Any]]:
    """Newest first."""
    where, args = ("WHERE client = ?", [client]) if client else ("", [])
    return list(db.query(f"SELECT {LOG_COLUMNS} FROM mcp_access_log {where} "
                         "ORDER BY id DESC LIMIT ?", [*args, limit]))


# -- inbox --------------------------------------------------------------------------------
def add_proposal(db: sqlite_utils.Database, client: str, text: str, at: str) -> int:
    cursor = db.execute("INSERT INTO mcp_inbox (client, text, proposed_at) VALUES (?, ?, ?)",
                        [client, text, at])
    return int(cursor.lastrowid)


def get_proposal(db: sqlite_utils.Database, item_id: int) -> dict[str, Any] | None:
    rows = list(db.query("SELECT id, client, text, proposed_at FROM mcp_inbox WHERE id = ?",
                         [item_id]))
    return rows[0] if rows else None


def proposals(db: sqlite_utils.Database) -> list[dict[str, Any]]:
    return list(db.query("SELECT id, client, text, proposed_at FROM mcp_inbox ORDER BY id"))


def count_proposals(db: sqlite_utils.Database, client: str) -> int:
    return db.execute("SELECT count(*) FROM mcp_inbox WHERE client = ?", [client]).fetchone()[0]


def delete_proposal(db: sqlite_utils.Database, item_id: int) -> bool:
    """Zeroes the freed bytes too: a rejected proposal leaves no text behind."""
    db.execute("PRAGMA secure_delete = ON")
    return db.execute("DELETE FROM mcp_inbox WHERE id = ?", [item_id]).rowcount > 0
