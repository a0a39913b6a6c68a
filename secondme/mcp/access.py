"""Grants, the access log and the inbox, over the storage queries.

Every write is one short transaction of the bank's (BEGIN IMMEDIATE, busy timeout);
a writer in another process that holds the lock longer than that is waited out a few
more times, and if it still holds it the caller gets `Busy`, never SQLite's own words.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any, TypeVar

from storage import audit as audit_log
from storage import mcp as rows
from storage.sqlcipher import OperationalError

from . import grants
from .grants import Refused

T = TypeVar("T")
LOCK_RETRIES = 4
LOCK_BACKOFF_SECONDS = 0.25
MAX_PROPOSAL_CHARS = 4000
MAX_PENDING_PER_CLIENT = 200


class Busy(Exception):
    """The bank stayed locked by another process; nothing was changed."""


class ProposalNotFound(LookupError):
    def __init__(self, item_id: int) -> None:
        super().__init__(f"no inbox item with id {item_id} (see `secondme inbox`)")


class ClientNotFound(LookupError):
    def __init__(self, name: str) -> None:
        super().__init__(f"no client named {name!r} (see `secondme mcp clients`)")


def _locked(exc: Exception) -> bool:
    text = str(exc).lower()
    return "locked" in text or "busy" in text


def retry_locked(fn: Callable[[], T], *, retries: int = LOCK_RETRIES,
                 backoff: float = LOCK_BACKOFF_SECONDS) -> T:
    """Runs `fn` (a whole transaction) again while another process holds the write lock."""
    for attempt in range(retries + 1):
        try:
            return fn()
        except OperationalError as exc:
            if not _locked(exc):
                raise
            if attempt == retries:
                raise Busy("Second Me is busy writing (another process holds the memory "
                           "bank); nothing was changed, try again in a moment") from None
            time.sleep(backoff * (attempt + 1))
    raise AssertionError("unreachable")


class McpAccess:
    """What the owner decides (grants, inbox) and what clients did (the log)."""

    def __init__(self, services) -> None:
        self.services = services
        self.bank = services.bank
        self.clock = services.clock

    # -- grants --------------------------------------------------------------------
    def grant(self, name: str, scopes: str | None = None, expires: str | None = None,
              rate: int | None = None) -> dict[str, Any]:
        """Creates or renews a grant. Omitted scopes/rate keep the old ones (or defaults);
        the expiry is always what this call says (none unless `expires`)."""
        grants.check_name(name)
        grants.check_rate(rate)
        now = self.clock.now()
        expires_at = grants.parse_expiry(expires, now)
        at = self.clock.now_iso()

        def write() -> dict[str, Any]:
            with self.bank.write() as db:
                old = rows.get_client(db, name)
                chosen = grants.parse_scopes(scopes) if scopes is not None else (
                    old["scopes"] if old else list(grants.DEFAULT_SCOPES))
                chosen_rate = rate if rate is not None else (old or {}).get("rate_per_minute")
                rows.upsert_client(db, name, chosen, at=at, expires_at=expires_at,
                                   rate_per_minute=chosen_rate)
                audit_log.record(db, at=at, actor="user", action="grant", entity="mcp_client",
                                 entity_id=None, note=name,
                                 before={k: old[k] for k in ("scopes", "expires_at", "revoked_at")}
                                 if old else None,
                                 after={"scopes": chosen, "expires_at": expires_at,
                                        "rate_per_minute": chosen_rate})
                return self._public(rows.get_client(db, name))
        return retry_locked(write)

    def revoke(self, name: str) -> dict[str, Any]:
        at = self.clock.now_iso()

        def write() -> dict[str, Any]:
            with self.bank.write() as db:
                if rows.get_client(db, name) is None:
                    raise ClientNotFound(name)
                if rows.revoke_client(db, name, at):
                    audit_log.record(db, at=at, actor="user", action="revoke",
                                     entity="mcp_client", entity_id=None, note=name)
                return self._public(rows.get_client(db, name))
        return retry_locked(write)

    def clients(self) -> list[dict[str, Any]]:
        return [self._public(c) for c in rows.list_clients(self.bank.db())]

    def client(self, name: str) -> dict[str, Any] | None:
        found = rows.get_client(self.bank.db(), name)
        return self._public(found) if found else None

    def _public(self, client: dict[str, Any]) -> dict[str, Any]:
        return {**client, "status": grants.status(client, self.clock.now()).state,
                "rate_per_minute": grants.rate_of(client)}

    # -- a client's call -------------------------------------------------------------
    def begin_call(self, client: str, tool: str, request: str) -> int:
        """Checks the grant and the rate limit and logs the call, in one transaction.

        Raises `Refused` (the refusal is logged; nothing was read) or `Busy`."""
        now = self.clock.now()
        at = self.clock.now_iso()

        def write() -> tuple[int, str | None]:
            with self.bank.write() as db:
                grant = rows.get_client(db, client)
                reason = grants.refusal(client, grant, tool, now)
                if reason is None and grant is not None:
                    recent = rows.calls_since(db, client, grants.rate_window_start(now))
                    reason = grants.rate_refusal(client, grant, recent)
                outcome = "started" if reason is None else "refused"
                log_id = rows.log_call(db, at=at, client=client, tool=tool, request=request,
                                       outcome=outcome, results=None if reason is None else 0,
                                       reason=reason)
                return log_id, reason
        log_id, reason = retry_locked(write)
        if reason is not None:
            raise Refused(reason)
        return log_id

    def finish_call(self, log_id: int, *, results: int | None, outcome: str = "ok",
                    reason: str | None = None, request: str | None = None) -> None:
        def write() -> None:
            with self.bank.write() as db:
                rows.finish_call(db, log_id, outcome=outcome, results=results, reason=reason,
                                 request=request)
        retry_locked(write)

    def log(self, client: str | None = None, limit: int = 200) -> list[dict[str, Any]]:
        return rows.access_log(self.bank.db(), client=client, limit=limit)

    # -- the inbox -----------------------------------------------------------------
    def propose(self, client: str, text: str) -> int:
        text = (text or "").strip()
        if not text:
            raise ValueError("remember needs some text")
        if len(text) > MAX_PROPOSAL_CHARS:
            raise ValueError(f"remember takes at most {MAX_PROPOSAL_CHARS} characters")
        at = self.clock.now_iso()

        def write() -> int:
            with self.bank.write() as db:
                if rows.count_proposals(db, client) >= MAX_PENDING_PER_CLIENT:
                    raise ValueError(f"the owner has {MAX_PENDING_PER_CLIENT} proposals from "
                                     "this client to review already; try again later")
                return rows.add_proposal(db, client, text, at)
        return retry_locked(write)

    def inbox(self) -> list[dict[str, Any]]:
        return rows.proposals(self.bank.db())

    def approve(self, item_id: int) -> int:
        """Stores the proposal as a memory (trust 'external', provenance = the client) and
        removes it from the inbox, in one transaction. Returns the memory id."""
        memory = self.services.memory
        at = self.clock.now_iso()

        def write() -> int:
            with self.bank.write() as db:
                return approve_in(db)

        def approve_in(db) -> int:
            item = rows.get_proposal(db, item_id)
            if item is None:
                raise ProposalNotFound(item_id)
            memory_id = memory.remember(
                item["text"], kind="remember", source=f"mcp:{item['client']}", trust="external",
                source_ref={"client": item["client"], "inbox_id": item_id,
                            "proposed_at": item["proposed_at"], "approved_at": at},
                actor="user")
            rows.delete_proposal(db, item_id)
            audit_log.record(db, at=at, actor="user", action="approve", entity="mcp_inbox",
                             entity_id=item_id, after={"memory_id": memory_id,
                                                       "client": item["client"]})
            return memory_id
        return retry_locked(write)

    def reject(self, item_id: int) -> None:
        at = self.clock.now_iso()

        def write() -> None:
            with self.bank.write() as db:
                item = rows.get_proposal(db, item_id)
                if item is None:
                    raise ProposalNotFound(item_id)
                rows.delete_proposal(db, item_id)
                audit_log.record(db, at=at, actor="user", action="reject", entity="mcp_inbox",
                                 entity_id=item_id, after={"client": item["client"]})
        retry_locked(write)
