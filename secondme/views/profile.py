"""The profile as the CLI, the TUI and the MCP server show it: facts with verified evidence.

Each source of a fact carries its quote, the memory it came from (date, kind, source)
and `verified`: whether the quote is still found, now, in the person's own words of
that memory. Every front end shows the same evidence, checked the same way.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from storage import facts as fact_rows

from ..consolidation.profile.facts import fact_text
from ..consolidation.profile.text import quote_in
from ..memory.turns import user_text


def profile_view(services: Any, *, history: bool = False) -> list[dict[str, Any]]:
    """Facts (closed ones too with `history`) with their sources, each quote re-checked."""
    db = services.bank.db()
    settings = services.settings
    facts = fact_rows.list_facts(db, include_closed=history)
    links = {fact["id"]: fact_rows.sources(db, fact["id"]) for fact in facts}
    memories = services.memory.get_many(
        source["memory_id"] for sources in links.values() for source in sources)
    out = []
    for fact in facts:
        sources = []
        for source in links[fact["id"]]:
            memory = memories.get(source["memory_id"])
            said = None
            if memory is not None:
                row = {"id": memory.id, "kind": memory.kind, "text": memory.text,
                       "source_ref": memory.source_ref, "meta": memory.meta}
                said = user_text(db, row, settings.user_name, settings.assistant_name)
            sources.append({"memory_id": source["memory_id"], "quote": source["quote"],
                            "event_at": memory.event_at if memory else None,
                            "kind": memory.kind if memory else None,
                            "source": memory.source if memory else None,
                            "verified": bool(said) and quote_in(source["quote"], said)})
        out.append({**fact, "text": fact_text(fact, settings.user_name), "sources": sources})
    return out


def by_category(facts: list[dict[str, Any]]) -> dict[str, list[dict[str, Any]]]:
    """The facts grouped by category, categories in alphabetical order."""
    grouped: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for fact in facts:
        grouped[fact["category"]].append(fact)
    return dict(sorted(grouped.items()))
