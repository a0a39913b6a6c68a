"""What a client may do: scopes, expiry, the rate limit. Pure functions, no storage."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from ..clock import from_iso, to_iso

SCOPES = ("search", "profile", "summaries", "remember")
DEFAULT_SCOPES = ("search",)
#: Which scope each tool needs (`fetch` reads single search hits, so `search` covers it).
TOOL_SCOPE = {"search": "search", "fetch": "search", "profile": "profile",
              "summaries": "summaries", "remember": "remember"}
DEFAULT_RATE_PER_MINUTE = 60
MAX_RATE_PER_MINUTE = 10_000
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")
_DURATION = re.compile(r"^(\d+)\s*([hdwmy])$")
_UNIT_DAYS = {"h": 1 / 24, "d": 1, "w": 7, "m": 30, "y": 365}


class Refused(Exception):
    """A call this client may not make; the message says why and how to fix it."""


def check_name(name: str) -> str:
    if not _NAME.match(name or ""):
        raise ValueError(f"client name {name!r} must be 1-64 letters, digits, '.', '_' or '-'")
    return name


def parse_scopes(text: str | None) -> list[str]:
    """`search,profile` → ['search', 'profile']; None → the default (search only)."""
    if text is None:
        return list(DEFAULT_SCOPES)
    scopes = [s.strip().lower() for s in text.split(",") if s.strip()]
    unknown = [s for s in scopes if s not in SCOPES]
    if unknown or not scopes:
        raise ValueError(f"unknown scope {', '.join(unknown) or '(none)'}: choose from "
                         f"{', '.join(SCOPES)}")
    return [s for s in SCOPES if s in scopes]


def parse_expiry(text: str | None, now: datetime) -> str | None:
    """`30d`, `12h`, `2w`, `6m`, `1y`, or an ISO date; None → never expires."""
    if text is None:
        return None
    value = text.strip().lower()
    match = _DURATION.match(value)
    if match:
        amount = int(match.group(1))
        if amount <= 0:
            raise ValueError("--expires must be a positive duration such as 30d")
        return to_iso(now + timedelta(days=amount * _UNIT_DAYS[match.group(2)]))
    try:
        moment = from_iso(text)
    except ValueError:
        raise ValueError(f"--expires {text!r}: use a duration (12h, 30d, 2w, 6m, 1y) or an "
                         "ISO date") from None
    if moment <= now:
        raise ValueError(f"--expires {text!r} is already in the past")
    return to_iso(moment)


def check_rate(rate: int | None) -> int | None:
    if rate is not None and not 1 <= rate <= MAX_RATE_PER_MINUTE:
        raise ValueError(f"--rate must be between 1 and {MAX_RATE_PER_MINUTE} calls a minute")
    return rate


@dataclass(frozen=True)
class GrantStatus:
    state: str            # active | revoked | expired
    scopes: list[str]


def status(client: dict[str, Any], now: datetime) -> GrantStatus:
    if client.get("revoked_at"):
        return GrantStatus("revoked", client["scopes"])
    if client.get("expires_at") and from_iso(client["expires_at"]) <= now:
        return GrantStatus("expired", client["scopes"])
    return GrantStatus("active", client["scopes"])


def refusal(client_name: str, client: dict[str, Any] | None, tool: str,
            now: datetime) -> str | None:
    """Why this call is refused, or None when the grant allows it."""
    fix_grant = f"the owner can run `secondme mcp grant {client_name}`"
    if client is None:
        return f"client {client_name!r} has no access to Second Me: {fix_grant}"
    grant = status(client, now)
    if grant.state == "revoked":
        return (f"access for client {client_name!r} was revoked on "
                f"{client['revoked_at'][:10]}: {fix_grant} to allow it again")
    if grant.state == "expired":
        return (f"access for client {client_name!r} expired on {client['expires_at'][:10]}: "
                f"{fix_grant} to renew it")
    scope = TOOL_SCOPE.get(tool)
    if scope is None:
        return f"unknown tool {tool!r}"
    if scope not in grant.scopes:
        return (f"client {client_name!r} may not use {tool!r} (it needs the {scope!r} scope; "
                f"granted: {', '.join(grant.scopes)}): the owner can run `secondme mcp grant "
                f"{client_name} --scopes {','.join(sorted({*grant.scopes, scope}, key=SCOPES.index))}`")
    return None


def rate_of(client: dict[str, Any]) -> int:
    return client.get("rate_per_minute") or DEFAULT_RATE_PER_MINUTE


def rate_window_start(now: datetime) -> str:
    return to_iso(now - timedelta(minutes=1))


def rate_refusal(client_name: str, client: dict[str, Any], calls_last_minute: int) -> str | None:
    limit = rate_of(client)
    if calls_last_minute >= limit:
        return (f"rate limit: client {client_name!r} may make {limit} calls a minute; wait a "
                f"minute (the owner can raise it: `secondme mcp grant {client_name} --rate N`)")
    return None
