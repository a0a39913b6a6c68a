"""Small pure text helpers for prompts: one-line, shortened, fenced, labelled, dated."""

from __future__ import annotations

import re
from datetime import datetime
from pathlib import PurePath
from typing import Any

from ..prompt_segments import neutralise

MAX_MEMORY_CHARS = 600       # one long imported chunk must not crowd out everything else
UNTRUSTED = ("import", "assistant")   # trust levels whose text is shown only as data

_SPACES = re.compile(r"\s+")
_FENCE = re.compile(r"</?\s*memories\s*>", re.IGNORECASE)


def one_line(text: str) -> str:
    return _SPACES.sub(" ", text).strip()


def shorten(text: str, max_chars: int) -> str:
    """Keeps the head and the tail: both usually carry the point of a long text."""
    if len(text) <= max_chars:
        return text
    if max_chars < 16:
        return text[:max_chars]
    head = (max_chars * 2) // 3
    tail = max_chars - head - 5
    return text[:head].rstrip() + " […] " + text[-tail:].lstrip()


def as_data(text: str) -> str:
    """Memory text as fenced data: one line, no way to close the fence from inside."""
    return _FENCE.sub("‹memories›", shorten(one_line(text), MAX_MEMORY_CHARS))


def source_label(source: str, source_ref: dict[str, Any] | None = None) -> str:
    """'chat', or 'import: diary.md › Holidays' — enough to find it again, no full path."""
    ref = source_ref or {}
    where = ref.get("path") or ref.get("file")
    label = source
    if where:
        label += f": {PurePath(str(where)).name}"
    if ref.get("heading"):
        label += f" › {ref['heading']}"
    return label


def human_date(now: datetime) -> str:
    return f"{now:%A}, {now.day} {now:%B %Y}"


def _day(iso: str) -> str:
    return iso[:10]


def neutral(text: str) -> str:
    """Derived text (summaries, facts) can quote notes: no fence tag or template marker survives."""
    return neutralise(_FENCE.sub("‹memories›", one_line(text)))


def provenance(kind: str, trust: str) -> str | None:
    """'imported note', 'assistant reply'…: shown before text that is not the person's own."""
    if trust == "import":
        what = {"turn": "chat", "summary": "summary", "fact": "fact"}.get(kind, "note")
        return f"imported {what}"
    if trust == "assistant":
        return "assistant reply" if kind == "turn" else "assistant's summary"
    if trust == "external":
        return "from another AI tool"
    return None
