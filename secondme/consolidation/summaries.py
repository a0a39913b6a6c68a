"""Hierarchical summaries: session → day → week, day → month, and months (+ profile) → life.

Rules (the same on every run, so a rerun with nothing new creates nothing):
- a period is summarised once it has *closed* (`now >= end`): a day at midnight, an
  ISO week on Monday, a month on the 1st; a session once idle for
  `settings.session_idle_minutes`. The life summary is always current.
- day and session summaries are made from memories (archived ones too: their gist is
  what survives); weeks and months from day summaries; life from the month summaries,
  then the weeks and days not yet inside a summarised month, plus the active facts.
- each summary lists its sources (`summary_sources`) and a hash over them (ids and
  content hashes). A different hash makes a new version; the old one stays with
  `is_current = 0` and its memory is archived.
- every summary is also a `summary` memory, so retrieval finds the gist after the details
  have faded. Its trust is the lowest of its sources' (`derived` when they are the
  person's own, `import` when any was imported): derived text is never laundered.

Text comes from the LLM when its output passes `check_summary`, else (after one
retry) from the most central sentences of the sources: `method` says which.
"""

from __future__ import annotations

import hashlib
import threading
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from storage import audit as audit_log
from storage import facts as fact_rows
from storage import forgetting as forgetting_rows
from storage import memories as memory_rows
from storage import summaries as store

from ..clock import from_iso, to_iso
from ..llm.base import TextModel
from ..memory.embeddings import Embedder
from ..memory.forgetting import Selection
from ..memory.turns import user_text
from ..periods import Period, day_period, label_for, month_period, week_period
from ..prompt_segments import without_forged_turns
from .extractive import (
    central_sentences,
    check_summary,
    clean_generation,
    copies_one,
    extractive_text,
)

JOB = "summarize"
SENTENCES = {"session": 2, "day": 3, "week": 3, "month": 4, "life": 5}
MAX_TOKENS = {"session": 60, "day": 70, "week": 80, "month": 90, "life": 100}
MAX_LINES = 24
WITHDRAWN = "[withdrawn: made from a memory that was forgotten]"
LINE_CHARS = 220

_EXAMPLE = (
    "Notes about Tom, Thursday 2 March 2023:\n"
    "- Tom: I fixed my bike this morning and rode to the lake.\n"
    "- Tom: The water was freezing but I swam anyway.\n"
    "Summary: Tom fixed his bike, rode to the lake and swam in the freezing water.\n\n"
)


@dataclass
class Source:
    type: str                 # 'memory' or 'summary'
    id: int
    digest: str               # content hash (memory) or id (summary: each version is a new row)
    text: str = ""
    label: str = ""
    trust: str = "derived"    # the source's own trust (a memory's, or a summary's)


def sources_hash(sources: list[Source]) -> str:
    lines = sorted(f"{s.type}:{s.id}:{s.digest}" for s in sources)
    return hashlib.sha256("\n".join(lines).encode()).hexdigest()


@dataclass
class SummarizeCounts:
    created: int = 0
    unchanged: int = 0
    superseded: int = 0
    llm: int = 0
    extractive: int = 0
    llm_rejected: int = 0
    withdrawn: int = 0
    by_level: dict[str, int] = field(default_factory=dict)
    reasons: dict[str, int] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {k: v for k, v in self.__dict__.items() if v or k in ("created", "unchanged")}


def _short_label(level: str, start: str, key: str) -> str:
    moment = from_iso(start)
    if level == "day":
        return f"{moment.day} {moment:%B}"
    if level == "week":
        return f"Week {key.split('-W')[-1].lstrip('0')}"
    if level == "month":
        return f"{moment:%B %Y}"
    return level


def _trim(text: str, limit: int = LINE_CHARS) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[:limit].rsplit(" ", 1)[0] + " …"


class Summarizer:
    """One pass over every level; each new summary is one short transaction."""

    def __init__(self, services, *, model: TextModel | None = None,
                 embedder: Callable[[], Embedder | None] | None = None, use_llm: bool = True,
                 actor: str = JOB, cancel: threading.Event | None = None,
                 progress: Callable[[str, int, int], None] | None = None) -> None:
        self.services = services
        self.model = model if use_llm else None
        self._embedder = embedder
        self.actor = actor
        self.cancel = cancel
        self.progress = progress
        self.counts = SummarizeCounts()
        self.name = services.settings.user_name

    @property
    def cancelled(self) -> bool:
        return bool(self.cancel and self.cancel.is_set())

    def embedder(self) -> Embedder | None:
        try:
            return self._embedder() if self._embedder else None
        except Exception:  # extractive selection falls back to position without vectors
            return None

    # -- the pass ------------------------------------------------------------------------
    def run(self) -> SummarizeCounts:
        now = self.services.clock.now()
        orphans = forgetting_rows.orphan_summaries(self.services.bank.db(), WITHDRAWN)
        if orphans:  # left by an older version's forget: deleted before anything is rebuilt
            self.counts.withdrawn += self.services.memory.forget_selection(
                Selection(summary_ids=sorted(orphans)), actor=self.actor).summaries
        for step in (self._sessions, self._days, self._weeks, self._months, self._life):
            if self.cancelled:
                break
            step(now)
        return self.counts

    def _each(self, level: str, items: list[tuple[Period, list[Source]]]) -> None:
        for done, (period, sources) in enumerate(items, 1):
            if self.cancelled:
                return
            self.ensure(period, sources)
            if self.progress:
                self.progress(level, done, len(items))

    def _sessions(self, now: datetime) -> None:
        idle_before = to_iso(now - timedelta(minutes=self.services.settings.session_idle_minutes))
        db = self.services.bank.db()
        items = []
        for session in store.idle_sessions(db, idle_before):
            sources = [Source("memory", i, h) for i, h in store.memories_of_session(db, session["id"])]
            if sources:
                period = Period("session", session["id"], from_iso(session["started_at"]),
                                from_iso(session["last_active_at"]))
                items.append((period, sources))
        self._each("session", items)

    def _days(self, now: datetime) -> None:
        db = self.services.bank.db()
        today = day_period(now.date())
        items = []
        for day in store.source_days(db, today.start_iso):
            period = day_period(date.fromisoformat(day))
            rows = store.memories_between(db, period.start_iso, period.end_iso)
            items.append((period, [Source("memory", i, h) for i, h in rows]))
        self._each("day", items)

    def _grouped(self, level: str, now: datetime) -> list[tuple[Period, list[Source]]]:
        make = week_period if level == "week" else month_period
        groups: dict[Period, list[Source]] = defaultdict(list)
        for summary in store.list_summaries(self.services.bank.db(), "day"):
            period = make(from_iso(summary["period_start"]).date())
            if period.closed(now):
                groups[period].append(Source("summary", summary["id"], str(summary["id"])))
        return sorted(groups.items(), key=lambda item: item[0].start)

    def _weeks(self, now: datetime) -> None:
        self._each("week", self._grouped("week", now))

    def _months(self, now: datetime) -> None:
        self._each("month", self._grouped("month", now))

    def _life(self, now: datetime) -> None:
        db = self.services.bank.db()
        chosen: list[dict[str, Any]] = []
        covered = ""
        for level in ("month", "week", "day"):
            rows = [s for s in store.list_summaries(db, level) if s["period_start"] >= covered]
            chosen.extend(rows)
            covered = max([covered, *(s["period_end"] for s in rows)])
        if not chosen:
            return
        sources = [Source("summary", s["id"], str(s["id"])) for s in chosen]
        sources += [Source("memory", memory_id, digest)
                    for memory_id, digest in fact_rows.active_fact_memories(db)]
        period = Period("life", "life", min(from_iso(s["period_start"]) for s in chosen),
                        max(from_iso(s["period_end"]) for s in chosen))
        self._each("life", [(period, sources)])

    # -- one summary -----------------------------------------------------------------------
    def ensure(self, period: Period, sources: list[Source]) -> int | None:
        """Makes sure the current summary of `period` is made from exactly `sources`."""
        bank = self.services.bank
        digest = sources_hash(sources)
        current = store.current(bank.db(), period.level, period.key)
        if current is not None and current["sources_hash"] == digest:
            self.counts.unchanged += 1
            return current["id"]
        if not sources:
            if current is not None:
                with bank.write() as db:
                    self._retire(db, current, self.services.clock.now_iso())
            return None
        self._load_texts(sources)
        text, method, model_name = self.compose(period, sources)
        trust = store.lowest_trust(s.trust for s in sources)
        if self.cancelled:
            return None  # a generation cut short is not a summary; the next run redoes it
        now = self.services.clock.now_iso()
        with bank.write() as db:
            current = store.current(db, period.level, period.key)
            if current is not None and current["sources_hash"] == digest:
                self.counts.unchanged += 1  # another run got there first
                return current["id"]
            if not forgetting_rows.sources_exist(db, [(s.type, s.id) for s in sources]):
                return None  # a source was forgotten while composing: the next run redoes it
            version = store.next_version(db, period.level, period.key)
            summary_id = store.insert(db, {
                "level": period.level, "period_key": period.key,
                "period_start": period.start_iso, "period_end": period.end_iso, "text": text,
                "version": version, "is_current": 1, "method": method, "model": model_name,
                "sources_hash": digest, "created_at": now, "trust": trust,
            }, [(s.type, s.id) for s in sources])
            memory_id = self.services.memory.remember(
                f"{period.label}: {text}", kind="summary", source="summarize", trust=trust,
                importance=0.6, at=period.start if period.level != "life" else from_iso(now),
                source_ref={"summary_id": summary_id, "level": period.level,
                            "period_key": period.key},
                meta={"method": method, "version": version, "sources": len(sources)},
                # A gist is fresh when written, whatever period it covers.
                actor=self.actor, reinforced_at=from_iso(now))
            store.set_memory(db, summary_id, memory_id)
            audit_log.record(db, at=now, actor=self.actor, action="create", entity="summary",
                             entity_id=summary_id, after={
                                 "level": period.level, "period_key": period.key,
                                 "version": version, "method": method, "trust": trust,
                                 "sources": len(sources), "memory_id": memory_id})
            if current is not None:
                self._retire(db, current, now, successor=summary_id)
        self.counts.created += 1
        self.counts.by_level[period.level] = self.counts.by_level.get(period.level, 0) + 1
        return summary_id

    def _retire(self, db, current: dict[str, Any], now: str, successor: int | None = None) -> None:
        store.supersede(db, current["id"], now)
        memory = memory_rows.get(db, current["memory_id"]) if current["memory_id"] else None
        if self._lost_a_source(db, current, memory):
            # The old text may repeat what the person asked to forget: withdraw it, and
            # delete its memory, instead of keeping it as history.
            store.withdraw(db, current["id"], WITHDRAWN)
            if memory is not None:
                self.services.memory.forget(memory.id, actor=self.actor)
            audit_log.record(db, at=now, actor=self.actor, action="withdraw", entity="summary",
                             entity_id=current["id"], note="a source memory was forgotten")
            self.counts.withdrawn += 1
        elif memory is not None and memory.state == "active":
            self.services.memory.archive(memory.id, actor=self.actor)
        audit_log.record(db, at=now, actor=self.actor, action="supersede", entity="summary",
                         entity_id=current["id"], before={"is_current": 1},
                         after={"is_current": 0, "superseded_by": successor})
        self.counts.superseded += 1

    @staticmethod
    def _lost_a_source(db, summary: dict[str, Any], memory) -> bool:
        """A source was hard-deleted (`forget`), directly or through a withdrawn summary."""
        linked = store.sources(db, summary["id"])
        expected = memory.meta.get("sources") if memory is not None else None
        if isinstance(expected, int) and len(linked) < expected:
            return True
        for source in linked:
            if source["source_type"] == "summary":
                row = store.get(db, source["source_id"])
                if row is None or row["text"] == WITHDRAWN:
                    return True
        return False

    def _load_texts(self, sources: list[Source]) -> None:
        db = self.services.bank.db()
        settings = self.services.settings
        memories = memory_rows.get_many(db, [s.id for s in sources if s.type == "memory"])
        for source in sources:
            if source.type == "memory":
                memory = memories.get(source.id)
                if memory is None:
                    continue
                row = {"kind": memory.kind, "text": memory.text, "meta": memory.meta,
                       "source_ref": memory.source_ref}
                said = user_text(db, row, settings.user_name, settings.assistant_name)
                source.text = without_forged_turns(said or "")   # a forged turn is no source
                source.label = {"note": "Note", "fact": "Fact"}.get(memory.kind, self.name)
                source.trust = memory.trust
            else:
                summary = store.get(db, source.id)
                if summary is not None:
                    source.text = summary["text"]
                    source.trust = summary.get("trust") or "derived"
                    source.label = _short_label(summary["level"], summary["period_start"],
                                                summary["period_key"])

    # -- writing the text ------------------------------------------------------------------
    def compose(self, period: Period, sources: list[Source]) -> tuple[str, str, str | None]:
        usable = [s for s in sources if s.text.strip()]
        source_text = "\n".join(s.text for s in usable)
        # What a summary may name without a source spelling it: the person, the period
        # and the periods it is made of.
        label = label_for(period.level, period.key, period.start, period.end)
        allowed = [self.name, label, *(s.label for s in usable if s.label not in ("Fact", "Note"))]
        if self.model is not None and usable:
            prompt = self._prompt(period, usable)
            # A week and a month of the same days get near-identical prompts: no level
            # may repeat another's text.
            taken = [s.text for s in usable] if period.level not in ("session", "day") else []
            taken += [row["text"] for row in store.list_summaries(self.services.bank.db())
                      if (row["level"], row["period_key"]) != (period.level, period.key)]
            for attempt in range(2):
                try:
                    raw = "".join(self.model.stream(
                        prompt, max_tokens=MAX_TOKENS[period.level], stop=["\n"],
                        temperature=0.2 if attempt == 0 else 0.6, cancel=self.cancel))
                except Exception as exc:  # a broken model must not stop consolidation
                    self._reject(f"model error: {type(exc).__name__}")
                    break
                text = clean_generation(self._join_name(raw))
                reason = check_summary(text, source_text, allowed_names=allowed)
                if reason is None and copies_one(text, taken):
                    reason = "copies one source"  # a higher level summarises, never repeats
                if reason is None:
                    self.counts.llm += 1
                    return text, "llm", self.model.info.name
                self._reject(reason)
        self.counts.extractive += 1
        return self.extractive(period, usable), "extractive", None

    def extractive(self, period: Period, usable: list[Source]) -> str:
        """Sentences taken from the sources: true by construction (see `extractive_text`)."""
        return extractive_text(period.level, f"{period.start:%B}",
                               [(s.type, s.label, s.text) for s in usable], self.embedder(),
                               SENTENCES[period.level])

    def _reject(self, reason: str) -> None:
        self.counts.llm_rejected += 1
        key = reason.split(" (")[0]
        self.counts.reasons[key] = self.counts.reasons.get(key, 0) + 1

    def _join_name(self, raw: str) -> str:
        raw = raw.rstrip()
        if raw.startswith(("'", "’", ",")):
            return self.name + raw
        return f"{self.name} {raw.lstrip()}"

    def _prompt(self, period: Period, sources: list[Source]) -> str:
        lines = [f"- {s.label}: {_trim(s.text)}" if s.label != "Fact" else f"- {_trim(s.text)}"
                 for s in sources]
        if len(lines) > MAX_LINES:
            keep = set(central_sentences(lines, self.embedder(), MAX_LINES, diversity=0.3))
            lines = [line for line in lines if line in keep][:MAX_LINES]
        label = label_for(period.level, period.key, period.start, period.end)
        return (_EXAMPLE + f"Notes about {self.name}, {label}:\n" + "\n".join(lines) +
                f"\nSummary: {self.name}")
