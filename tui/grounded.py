"""How a checked reply reads in the transcript: [n] citation links, unsupported sentences
marked, and the memory that does say something ("From your memory, 14 May 2024: …").

A marker [n] is the n-th entry of the recall panel and a link `memory:ID` that the chat
screen opens in the memory inspector.
"""

from __future__ import annotations

from typing import Any

LINK_PREFIX = "memory:"
UNSUPPORTED_NOTE = "not found in your memory (marked in italics)"


def reply_markdown(result: Any) -> str:
    """The reply with citation links after the sentences that used a memory; the sentences
    memory does not support in italics. Everything else (line breaks, Markdown) is kept."""
    g = getattr(result, "grounding", None)
    text = result.text
    if g is None or not (g.citations or g.unsupported):
        return text
    ids = {c.number: c.memory_id for c in g.citations}
    out, pos = [], 0
    for i, (sentence, numbers) in enumerate(zip(g.sentences, g.cited, strict=True)):
        start = text.find(sentence, pos)
        if start < 0:
            continue
        out.append(text[pos:start])
        out.append(f"*{sentence}*" if i in g.unsupported else sentence)
        out.append("".join(f" [\\[{n}\\]]({LINK_PREFIX}{ids[n]})" for n in numbers if n in ids))
        pos = start + len(sentence)
    out.append(text[pos:])
    return "".join(out)


def reply_note(result: Any) -> str:
    """The line under a reply: the best memory verbatim when the reply is not supported,
    or when it says it does not know what a recalled memory answers."""
    g = getattr(result, "grounding", None)
    if g is None:
        return ""
    shown = g.note()
    if g.supported:
        return shown or ""
    return f"{UNSUPPORTED_NOTE}\n{shown}" if shown else UNSUPPORTED_NOTE


def finished_note(result: Any) -> tuple[str, bool]:
    """The note under a finished reply and whether it is an error. A stopped reply was
    checked like any other: its grounding note follows "stopped"."""
    if result.error:
        return f"error: {result.error}", True
    if not result.text:
        return ("stopped" if result.cancelled else "(no reply)"), False
    grounded = reply_note(result)
    if result.cancelled:
        return ("stopped\n" + grounded if grounded else "stopped"), False
    return grounded, False


def linked_memory(href: str) -> int | None:
    """The memory id a citation link points at (None for any other link)."""
    if not href.startswith(LINK_PREFIX):
        return None
    rest = href[len(LINK_PREFIX):]
    return int(rest) if rest.isdigit() else None
