"""A readable export: one Markdown file per month, a section per day.

Meant for reading, printing or keeping next to a diary, not for re-importing
(the JSONL export is the one that round-trips). Each day lists its memories in
time order with kind, source and provenance; archived ones are marked, and the
period summaries (when the scheduler has made them) head their month and day.
"""

from __future__ import annotations

import calendar
import json
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from storage import dump

from .common import atomic_dir, check_target, counted, write_private


@dataclass(frozen=True)
class MarkdownExportResult:
    path: Path
    months: int
    memories: int
    facts: int

    def to_public(self) -> dict[str, Any]:
        return {"path": str(self.path), "months": self.months, "memories": self.memories,
                "facts": self.facts, "encrypted": False}


def _indent(text: str) -> str:
    return "\n".join(("  " + line) if line.strip() else "" for line in text.strip().splitlines())


def _provenance(memory: dict[str, Any]) -> str:
    try:
        ref = json.loads(memory.get("source_ref") or "{}")
    except ValueError:
        ref = {}
    if not isinstance(ref, dict):
        return ""
    if ref.get("path"):
        name = str(ref["path"]).rsplit("/", 1)[-1]
        heading = f" › {ref['heading']}" if ref.get("heading") else ""
        return f" · _{name}{heading}_"
    if ref.get("title"):
        return f" · _{ref['title']}_"
    return ""


def render_entry(memory: dict[str, Any]) -> str:
    time = memory["event_at"][11:16]
    flags = []
    if memory.get("state") == "archived":
        flags.append("archived")
    if memory.get("pinned"):
        flags.append("pinned")
    flag = f" ({', '.join(flags)})" if flags else ""
    head = (f"- **{time}** · {memory['kind']} · {memory['source']}{_provenance(memory)}{flag}"
            f" · #{memory['id']}")
    return head + "\n" + _indent(memory["text"])


def _day_title(day: str) -> str:
    year, month, number = (int(p) for p in day.split("-"))
    weekday = calendar.day_name[calendar.weekday(year, month, number)]
    return f"{weekday} {number} {calendar.month_name[month]} {year}"


def render_month(month: str, memories: list[dict[str, Any]],
                 summaries: dict[tuple[str, str], str]) -> str:
    """`month` is 'YYYY-MM'; `summaries` maps (level, 'YYYY-MM' or 'YYYY-MM-DD') → text."""
    year, number = (int(p) for p in month.split("-"))
    lines = [f"# {calendar.month_name[number]} {year}", ""]
    if (text := summaries.get(("month", month))):
        lines += ["> " + line for line in text.strip().splitlines()] + [""]
    by_day: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for memory in memories:
        by_day[memory["event_at"][:10]].append(memory)
    for day in sorted(by_day):
        lines += [f"## {_day_title(day)}", ""]
        if (text := summaries.get(("day", day))):
            lines += ["> " + line for line in text.strip().splitlines()] + [""]
        for memory in sorted(by_day[day], key=lambda m: (m["event_at"], m["id"])):
            lines += [render_entry(memory), ""]
    return "\n".join(lines).rstrip() + "\n"


def render_profile(facts: list[dict[str, Any]]) -> str:
    lines = ["# Profile", ""]
    by_category: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for fact in facts:
        by_category[fact["category"]].append(fact)
    for category in sorted(by_category):
        lines += [f"## {category.capitalize()}", ""]
        for fact in by_category[category]:
            valid = ""
            if fact.get("valid_from") or fact.get("valid_to"):
                valid = f" (valid {fact.get('valid_from') or '…'} – {fact.get('valid_to') or 'now'})"
            status = "" if fact["status"] == "active" else f" [{fact['status']}]"
            lines.append(f"- {fact['subject']} · {fact['attribute']}: **{fact['value']}** "
                         f"— confidence {fact['confidence']:.2f}{valid}{status}")
            if fact.get("evidence"):
                lines.append(f"  > {fact['evidence'].strip()[:300]}")
        lines.append("")
    if not facts:
        lines.append("_No profile facts yet._")
    return "\n".join(lines).rstrip() + "\n"


def export_markdown(services, out: Path, *, plaintext: bool) -> MarkdownExportResult:
    target = check_target(out, services.settings.home, plaintext=plaintext)
    db = services.bank.db()
    with dump.snapshot(db.conn):
        memories = dump.memories_for_reading(db)
        # Keyed by the period's start date, whatever key format the summarizer uses.
        width = {"day": 10, "month": 7}
        summaries = {(r["level"], r["period_start"][:width[r["level"]]]): r["text"]
                     for r in dump.current_day_month_summaries(db)}
        facts = dump.open_facts(db)
    by_month: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for memory in memories:
        by_month[memory["event_at"][:7]].append(memory)
    with atomic_dir(target) as folder:
        index = ["# Second Me export", "",
                 f"Exported {services.clock.now_iso()} — "
                 f"{counted(len(memories), 'memory', 'memories')} in "
                 f"{counted(len(by_month), 'month')}. This copy is NOT encrypted.", ""]
        for month in sorted(by_month):
            (folder / month[:4]).mkdir(exist_ok=True, mode=0o700)
            write_private(folder / month[:4] / f"{month}.md",
                          render_month(month, by_month[month], summaries))
            index.append(f"- [{month}]({month[:4]}/{month}.md) — "
                         f"{counted(len(by_month[month]), 'memory', 'memories')}")
        index += ["", "- [Profile](profile.md)", "",
                  "Chat transcripts and the audit trail are in the JSONL export "
                  "(`secondme export --format jsonl`)."]
        write_private(folder / "index.md", "\n".join(index) + "\n")
        write_private(folder / "profile.md", render_profile(facts))
    return MarkdownExportResult(path=target, months=len(by_month), memories=len(memories),
                                facts=len(facts))
