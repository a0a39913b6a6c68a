"""The user portrait: evidence-backed facts, merged over time, aware of change.

Pipeline for each batch of new user-authored memories (watermark = last memory id):
1. take the person's own words (never the assistant's reply, never imported text);
2. propose facts: the LLM under a JSON grammar (quotes constrained to the batch's
   sentences, attributes to a fixed vocabulary), plus a conservative rule extractor;
3. keep a fact only if its quote is verbatim in the source, its value is in the
   quote, and the quote carries the attribute's cue words;
4. merge in one short transaction together with the watermark: the same value
   raises confidence and adds the source; a new value of a single-valued attribute
   closes the old fact (valid_to, superseded_at, superseded_by) — never deletes it.
"""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from storage import facts as fact_rows
from storage import jobs as job_rows
from storage import memories as memory_rows

from ...llm.base import TextModel
from ...memory.turns import user_text
from ..extractive import split_sentences
from .facts import FORGOTTEN, FactDraft, ProfileFacts, fact_text  # noqa: F401
from .llm import MAX_SENTENCES, check_llm_fact, fact_grammar, fact_prompt, parse_facts
from .rules import ATTRIBUTES, extract
from .text import normalise_value, quote_in

RULE_CONFIDENCE = 0.6
#: Grammar-constrained decoding checks the whole 262k-token vocabulary at every step: with
#: the default model on 2 CPU cores one call takes 10–60 s. Past this many seconds of model
#: time in one run, the rest of the run uses the rules alone (and says so in its counts).
LLM_BUDGET_SECONDS = 90.0
LLM_CONFIDENCE_CAP = 0.7
MAX_CONFIDENCE = 0.99
JOB = "profile"

# -- candidates ---------------------------------------------------------------------------
@dataclass
class Candidate:
    subject: str
    attribute: str
    value: str
    category: str
    confidence: float
    evidence: str
    method: str                  # 'llm' or 'rules'
    memory_id: int
    valid_from: str
    past: bool = False           # stated as no longer true ("moved from Acme to Globex")


@dataclass
class SourceMemory:
    id: int
    event_at: str
    text: str                    # the person's own words only


CUE_SENTENCE = re.compile(r"\b(?:I|I'm|I've|I'd|my|My|me|mine)\b")
MAX_QUOTE_CHARS = 240


def cue_sentences(text: str) -> list[str]:
    """Sentences where the person may be saying something about themselves."""
    return [s for s in split_sentences(text)
            if CUE_SENTENCE.search(s) and not s.rstrip().endswith("?")
            and len(s) <= MAX_QUOTE_CHARS and len(s.split()) >= 3]


# -- merging -------------------------------------------------------------------------------
def raised_confidence(old: float, new: float) -> float:
    """Independent confirmations: 1 − (1−a)(1−b), capped below certainty."""
    return min(MAX_CONFIDENCE, 1 - (1 - old) * (1 - new))


@dataclass
class ProfileCounts:
    memories: int = 0
    proposed: int = 0
    rejected: int = 0
    created: int = 0
    confirmed: int = 0
    closed: int = 0
    llm_calls: int = 0
    llm_invalid: int = 0
    llm_seconds: float = 0.0
    llm_skipped: int = 0         # batches left to the rules because the budget was spent
    redacted: int = 0
    reasons: dict[str, int] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        out = {k: v for k, v in self.__dict__.items() if v or k in ("created", "memories")}
        if "llm_seconds" in out:
            out["llm_seconds"] = round(out["llm_seconds"], 1)
        return out


class ProfileBuilder:
    """Turns new memories into facts. One batch = one LLM call + one transaction."""

    def __init__(self, services, *, model: TextModel | None = None, use_llm: bool = True,
                 batch_sentences: int = 6, batch_memories: int = 8, actor: str = JOB,
                 llm_budget_seconds: float | None = LLM_BUDGET_SECONDS,
                 cancel: threading.Event | None = None,
                 progress: Callable[[int, int], None] | None = None) -> None:
        self.services = services
        self.model = model
        self.use_llm = use_llm and model is not None
        self.batch_sentences = batch_sentences
        self.batch_memories = batch_memories
        self.llm_budget_seconds = llm_budget_seconds
        self.actor = actor
        self.cancel = cancel
        self.progress = progress
        self.counts = ProfileCounts()
        self.facts = ProfileFacts(services)

    # -- the job ---------------------------------------------------------------------
    def run(self, limit: int | None = None) -> ProfileCounts:
        self.redact_orphans()
        bank = self.services.bank
        settings = self.services.settings
        pending = self._pending_total()
        done = 0
        while not (self.cancel and self.cancel.is_set()):
            watermark = int(job_rows.get_watermark(bank.db(), JOB).get("last_id", 0))
            rows = fact_rows.candidate_memories(bank.db(), watermark, self.batch_memories)
            if not rows:
                break
            batch: list[SourceMemory] = []
            sentences = 0
            for row in rows:
                text = user_text(bank.db(), row, settings.user_name, settings.assistant_name)
                batch.append(SourceMemory(row["id"], row["event_at"], text or ""))
                sentences += len(cue_sentences(text or ""))
                if sentences >= self.batch_sentences:
                    break
            candidates = self.propose(batch)
            if self.cancel and self.cancel.is_set():
                break  # the model was stopped mid-batch: leave the batch for the next run
            self._commit(batch, candidates)
            done += len(batch)
            self.counts.memories += len(batch)
            if self.progress:
                self.progress(done, pending)
            if limit is not None and done >= limit:
                break
        return self.counts

    def _pending_total(self) -> int:
        db = self.services.bank.db()
        watermark = int(job_rows.get_watermark(db, JOB).get("last_id", 0))
        return fact_rows.count_candidates(db, watermark)

    # -- proposing -------------------------------------------------------------------------
    def propose(self, batch: list[SourceMemory]) -> list[Candidate]:
        rules: list[Candidate] = []
        for memory in batch:
            for fact in extract(memory.text):
                if not quote_in(fact.evidence, memory.text):
                    continue
                attribute = ATTRIBUTES[fact.attribute]
                rules.append(Candidate(fact.subject, fact.attribute, fact.value,
                                       attribute.category, RULE_CONFIDENCE, fact.evidence,
                                       "rules", memory.id, memory.event_at, fact.past))
        covered = {c.evidence for c in rules}
        llm = self._llm_candidates(batch, covered) if self.use_llm else []
        # Rules read plain patterns; when they and the model disagree on a single-valued
        # attribute from the same quote, the rule wins ("moved from Lyon to Porto").
        ruled = {(c.memory_id, c.subject, c.attribute) for c in rules
                 if ATTRIBUTES[c.attribute].single}
        kept = list(rules)
        seen = {(c.memory_id, c.subject, c.attribute, normalise_value(c.value)) for c in rules}
        for c in llm:
            key = (c.memory_id, c.subject, c.attribute, normalise_value(c.value))
            if key in seen or (c.memory_id, c.subject, c.attribute) in ruled:
                continue
            seen.add(key)
            kept.append(c)
        self.counts.proposed += len(rules) + len(llm)
        return kept

    def _llm_candidates(self, batch: list[SourceMemory],
                        covered: set[str]) -> list[Candidate]:
        """Sentences the rules could not read but that carry an attribute's cue words."""
        owner: dict[str, SourceMemory] = {}
        for memory in batch:
            for sentence in cue_sentences(memory.text):
                if sentence not in covered and any(
                        re.search(a.cue, sentence, re.IGNORECASE) for a in ATTRIBUTES.values()):
                    owner.setdefault(sentence, memory)
        sentences = list(owner)[:MAX_SENTENCES]
        if not sentences:
            return []
        grammar = fact_grammar(len(sentences))
        prompt = fact_prompt(sentences)
        for attempt in range(2):
            if self._budget_spent():
                self.counts.llm_skipped += 1
                return []
            try:
                self.counts.llm_calls += 1
                output = self._generate(prompt, grammar, temperature=0.0 if attempt == 0 else 0.4)
            except Exception:
                self.counts.llm_invalid += 1
                return []
            items = parse_facts(output, sentences)
            if items is None:
                self.counts.llm_invalid += 1
                continue
            accepted: list[Candidate] = []
            for item in items:
                memory = owner[item["quote"]]
                reason = check_llm_fact(item, memory.text)
                if reason:
                    self.counts.rejected += 1
                    self.counts.reasons[reason] = self.counts.reasons.get(reason, 0) + 1
                    continue
                attribute = ATTRIBUTES[item["attribute"]]
                confidence = min(LLM_CONFIDENCE_CAP, max(0.5, float(item["confidence"])))
                accepted.append(Candidate(item["subject"], attribute.name, item["value"].strip(),
                                          attribute.category, confidence, item["quote"], "llm",
                                          memory.id, memory.event_at))
            if accepted or not items:
                return accepted
            # Everything proposed was wrong: one more try, then the rules stand alone.
        return []

    def _budget_spent(self) -> bool:
        return self.llm_budget_seconds is not None and \
            self.counts.llm_seconds >= self.llm_budget_seconds

    def _generate(self, prompt: str, grammar: str, temperature: float) -> str:
        assert self.model is not None
        started = time.perf_counter()
        try:
            pieces = self.model.stream(prompt, max_tokens=90, stop=["\n"],
                                       temperature=temperature, grammar=grammar,
                                       cancel=self.cancel)
            return "".join(pieces)
        finally:
            self.counts.llm_seconds += time.perf_counter() - started

    # -- merging -----------------------------------------------------------------------------
    def _commit(self, batch: list[SourceMemory], candidates: list[Candidate]) -> None:
        bank = self.services.bank
        now = self.services.clock.now_iso()
        with bank.write() as db:
            for candidate in (c for c in candidates if memory_rows.get(db, c.memory_id)):
                self._apply(db, candidate)   # (a memory forgotten meanwhile gives none)
            job_rows.set_watermark(db, JOB, {"last_id": batch[-1].id}, now)

    def _apply(self, db, c: Candidate) -> None:
        value_key = normalise_value(c.value)
        known = fact_rows.for_key(db, c.subject, c.attribute, ("active", "closed"))
        same = [f for f in known if normalise_value(f["value"]) == value_key]
        for fact in same:
            if any(s["memory_id"] == c.memory_id for s in fact_rows.sources(db, fact["id"])):
                return  # this memory already backs this value: a rerun changes nothing
        if self.facts.corrected_away(c.subject, c.attribute, c.value, c.valid_from):
            self._reject("corrected by the user")
            return  # words said before the person's correction do not undo it
        if c.past:
            if not same:   # a value known only as past: history, closed by the current one
                current = [f for f in known if f["status"] == "active"]
                self._insert(c, status="closed", valid_to=c.valid_from,
                             superseded_by=current[0]["id"] if current else None)
            return
        active_same = [f for f in same if f["status"] == "active"]
        if active_same:
            fact = active_same[0]
            confidence = raised_confidence(fact["confidence"], c.confidence)
            self.facts.confirm(fact["id"], c.memory_id, c.evidence, confidence,
                               actor=self.actor)
            self.counts.confirmed += 1
            return
        active = [f for f in known if f["status"] == "active"]
        if ATTRIBUTES[c.attribute].single and active:
            if any(f["trust"] == "user" and f["recorded_at"] >= c.valid_from for f in active):
                self._reject("older than the user's correction")
                return
            newer = [f for f in active if f["valid_from"] and f["valid_from"] > c.valid_from]
            if newer:
                # Older evidence arriving late: it was true before the current value.
                successor = min(newer, key=lambda f: f["valid_from"])
                self._insert(c, status="closed", valid_to=successor["valid_from"],
                             superseded_by=successor["id"])
                return
            new_id = self._insert(c)
            for old in active:
                self.facts.close(old["id"], superseded_by=new_id, valid_to=c.valid_from,
                                 actor=self.actor)
                self.counts.closed += 1
            return
        self._insert(c)

    def _reject(self, reason: str) -> None:
        self.counts.rejected += 1
        self.counts.reasons[reason] = self.counts.reasons.get(reason, 0) + 1

    def _insert(self, c: Candidate, *, status: str = "active", valid_to: str | None = None,
                superseded_by: int | None = None) -> int:
        draft = FactDraft(c.subject, c.attribute, c.value, c.category, c.confidence,
                          c.evidence, c.method, None if c.past else c.valid_from,
                          source_memory_id=c.memory_id)
        fact_id = self.facts.create(draft, actor=self.actor, status=status, valid_to=valid_to,
                                    superseded_by=superseded_by)
        self.counts.created += 1
        if status == "closed":
            self.counts.closed += 1
        return fact_id

    # -- forgetting -------------------------------------------------------------------------
    def redact_orphans(self) -> int:
        """A fact whose every source was forgotten must not keep quoting it."""
        redacted = self.facts.redact_orphans(actor=self.actor)
        self.counts.redacted += len(redacted)
        return len(redacted)
