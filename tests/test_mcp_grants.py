"""Scopes, expiry and the rate limit: the pure rules behind every MCP call."""

from __future__ import annotations

from datetime import datetime

import pytest

from secondme.mcp import grants

NOW = datetime(2024, 5, 1, 12, 0, 0)


def client(**changes):
    return {"name": "c", "scopes": ["search"], "expires_at": None, "revoked_at": None,
            "rate_per_minute": None, **changes}


def test_default_grant_is_search_only_and_scopes_are_checked():
    assert grants.parse_scopes(None) == ["search"]
    assert grants.parse_scopes("remember, search,PROFILE") == ["search", "profile", "remember"]
    with pytest.raises(ValueError, match="unknown scope delete"):
        grants.parse_scopes("search,delete")
    with pytest.raises(ValueError):
        grants.parse_scopes(" , ")


def test_expiry_durations_and_dates():
    assert grants.parse_expiry("30d", NOW) == "2024-05-31T12:00:00"
    assert grants.parse_expiry("12h", NOW) == "2024-05-02T00:00:00"
    assert grants.parse_expiry("2024-06-01", NOW) == "2024-06-01T00:00:00"
    assert grants.parse_expiry(None, NOW) is None
    for bad in ("0d", "soon", "2024-04-01"):
        with pytest.raises(ValueError):
            grants.parse_expiry(bad, NOW)


def test_refusals_say_why_and_how_to_fix():
    assert grants.refusal("c", client(), "search", NOW) is None
    assert grants.refusal("c", client(), "fetch", NOW) is None   # fetch rides on search
    assert "no access" in grants.refusal("x", None, "search", NOW)
    assert "revoked" in grants.refusal("c", client(revoked_at="2024-04-30T00:00:00"),
                                       "search", NOW)
    assert "expired" in grants.refusal("c", client(expires_at="2024-05-01T11:59:59"),
                                       "search", NOW)
    scope = grants.refusal("c", client(), "remember", NOW)
    assert "'remember' scope" in scope and "--scopes search,remember" in scope


def test_rate_limit_default_and_override():
    assert grants.rate_refusal("c", client(), grants.DEFAULT_RATE_PER_MINUTE - 1) is None
    assert "rate limit" in grants.rate_refusal("c", client(), grants.DEFAULT_RATE_PER_MINUTE)
    assert grants.rate_refusal("c", client(rate_per_minute=2), 2) is not None
    with pytest.raises(ValueError):
        grants.check_rate(0)


def test_client_names_are_plain():
    assert grants.check_name("claude-desktop_2") == "claude-desktop_2"
    for bad in ("", "a b", "../x", "x" * 65):
        with pytest.raises(ValueError):
            grants.check_name(bad)
