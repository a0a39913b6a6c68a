"""The summaries as the CLI and the MCP server show them: each with its label, its
provenance and the memories or summaries it was made from."""

from __future__ import annotations

from typing import Any

from storage import summaries as store

from ..clock import from_iso
from ..conversation.prompt_text import provenance
from ..periods import label_for


def summaries_view(services: Any, *, level: str | None = None,
                   history: bool = False) -> list[dict[str, Any]]:
    db = services.bank.db()
    out = []
    for summary in store.list_summaries(db, level, include_old=history):
        label = label_for(summary["level"], summary["period_key"],
                          from_iso(summary["period_start"]), from_iso(summary["period_end"]))
        out.append({**summary, "is_current": bool(summary["is_current"]), "label": label,
                    "provenance": provenance("summary", summary["trust"]),
                    "sources": [{"type": s["source_type"], "id": s["source_id"]}
                                for s in store.sources(db, summary["id"])]})
    return out
