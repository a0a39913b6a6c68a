"""How a memory is shown in a list: a retention bar, date, kind and source on the first line,
the text on the second, faded when archived."""

from __future__ import annotations

from rich.text import Text
from textual.widgets.option_list import Option

from storage.records import Memory


def retention_bar(r: float, width: int = 8) -> str:
    filled = round(max(0.0, min(1.0, r)) * width)
    return "█" * filled + "░" * (width - filled)


def one_line(text: str, limit: int) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


def memory_option(memory: Memory, r: float, *, prefix: str = "", snippet: int = 140) -> Option:
    """A memory as a two-line list entry; archived memories are faded."""
    archived = memory.state == "archived"
    text = Text()
    base = "dim" if archived else ""
    text.append(prefix, style=base)
    text.append(retention_bar(r), style="dim" if archived else "green")
    text.append(f" {r:.2f}  ", style=base)
    text.append(memory.event_at[:10], style="dim" if archived else "bold")
    text.append(f" · {memory.kind} · {memory.source}", style="dim")
    if memory.pinned:
        text.append(" · pinned", style="bold yellow")
    if archived:
        text.append(" · archived", style="italic dim")
    text.append("\n")
    text.append(one_line(memory.text, snippet), style="dim italic" if archived else "")
    return Option(text, id=f"m{memory.id}")


def memory_id_of(option: Option | None) -> int | None:
    if option is None or not option.id or not option.id.startswith("m"):
        return None
    try:
        return int(option.id[1:])
    except ValueError:
        return None
