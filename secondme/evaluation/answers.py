"""Answer quality: the reply, not just the recall (`secondme eval FILE --answers`).

Per conversation a fresh encrypted bank is filled exactly as the retrieval evaluation fills it
(`harness.ingest`, then the embed job). Every selected question is then answered three times
with the same model and the same prompt builder:

- **ours**: a `ChatSession` (store=False) prepares the reply: the chat's own recall, profile,
  summaries and `build_prompt`, with no conversation history;
- **none**: the question alone (no memories);
- **oracle**: the gold evidence turns as the only memories.

Replies are generated greedily (temperature 0) and cut at the first line break, so runs are
repeatable and short answers are not padded with rambling; they are scored with LoCoMo's
token F1 (metrics.answer_f1), exact containment, and abstention on unanswerable questions.
"""

from __future__ import annotations

import secrets
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from storage import FAST_KDF, create_bank

from ..clock import Clock
from ..config import Settings, load_settings
from ..conversation.context import (
    load_life_summary,
    load_period_summaries,
    load_profile_facts,
    memory_item,
)
from ..conversation.prompting import Persona, PromptInputs, build_prompt
from ..conversation.session import ChatSession
from ..llm.base import TextModel
from ..memory.embed import embed_pending
from ..memory.embeddings import Embedder
from ..memory.retrieval import Hit, Scores
from ..services import Services, build_services
from . import metrics
from .formats import Conversation, Dataset, Question
from .harness import ingest

MODES = ("ours", "none", "oracle")
ANSWER_TOKENS = 40
Progress = Callable[[str, int], None]


@dataclass(frozen=True)
class Answer:
    question_id: str
    category: str
    mode: str
    prediction: str
    gold: str
    unanswerable: bool
    f1: float
    contains: bool
    seconds: float


@dataclass
class AnswerResult:
    dataset: Dataset
    model: str
    answers: list[Answer] = field(default_factory=list)
    seconds: float = 0.0

    def report(self) -> dict[str, Any]:
        """The `--json` document of `secondme eval --answers`."""
        categories = sorted({a.category for a in self.answers},
                            key=lambda c: (0, int(c), "") if c.isdigit() else (1, 0, c))
        by_category: dict[str, Any] = {}
        for category in categories:
            entry: dict[str, Any] = {"questions": len({a.question_id for a in self.answers
                                                       if a.category == category})}
            if category in self.dataset.category_names:
                entry["name"] = self.dataset.category_names[category]
            for mode in MODES:
                entry[mode] = _summary([a for a in self.answers
                                        if a.category == category and a.mode == mode])
            by_category[category] = entry
        pooled = [a for a in self.answers if self.dataset.pooled(a.category)]
        return {
            "dataset": self.dataset.name, "format": self.dataset.format, "model": self.model,
            "questions": len({a.question_id for a in self.answers}),
            "pooled_categories": (None if self.dataset.pooled_categories is None
                                  else sorted(self.dataset.pooled_categories)),
            "modes": {mode: _summary([a for a in pooled if a.mode == mode]) for mode in MODES},
            "abstention": {mode: _abstention([a for a in self.answers if a.mode == mode])
                           for mode in MODES},
            "by_category": by_category,
            "seconds": round(self.seconds, 1),
            "answers": [a.__dict__ for a in self.answers],
        }


def _summary(answers: list[Answer]) -> dict[str, Any]:
    scored = [a for a in answers if not a.unanswerable]
    return {"answers": len(answers), "answerable": len(scored),
            "f1": _mean(a.f1 for a in scored),
            "contains": _mean(float(a.contains) for a in scored),
            "abstention": _mean(a.f1 for a in answers if a.unanswerable)
            if any(a.unanswerable for a in answers) else None,
            "seconds_per_answer": _mean(a.seconds for a in answers)}


def _abstention(answers: list[Answer]) -> dict[str, Any]:
    """Unanswerable questions where it said so, and answerable ones where it wrongly did."""
    unanswerable = [a for a in answers if a.unanswerable]
    answerable = [a for a in answers if not a.unanswerable]
    return {"unanswerable": len(unanswerable),
            "accuracy": _mean(a.f1 for a in unanswerable) if unanswerable else None,
            "false_abstentions": _mean(float(metrics.abstains(a.prediction)) for a in answerable)
            if answerable else None}


def _mean(values) -> float:
    items = list(values)
    return round(sum(items) / len(items), 4) if items else 0.0


def unanswerable(question: Question) -> bool:
    """LoCoMo category 5, a generic question marked adversarial, or one with no evidence."""
    return question.adversarial or not question.evidence


def select_questions(dataset: Dataset, limit: int | None) -> set[str]:
    """Question ids to answer: all, or `limit` spread evenly over the file (every category,
    every conversation), so a quick run is a fair sample rather than the first sample."""
    ids = [q.id for c in dataset.conversations for q in c.questions
           if q.answer is not None or unanswerable(q)]
    if limit is None or limit >= len(ids):
        return set(ids)
    step = len(ids) / limit
    return {ids[int(i * step)] for i in range(limit)}


def evaluate_answers(dataset: Dataset, embedder: Embedder, model: TextModel, *,
                     settings: Settings | None = None, limit_questions: int | None = None,
                     progress: Progress | None = None,
                     workdir: Path | None = None) -> AnswerResult:
    chosen = select_questions(dataset, limit_questions)
    result = AnswerResult(dataset=dataset, model=model.info.name)
    started = time.perf_counter()
    for conversation in dataset.conversations:
        questions = [q for q in conversation.questions if q.id in chosen]
        if questions:
            _conversation(conversation, questions, embedder, model, settings, result,
                          progress or (lambda _w, _n: None), workdir)
    result.seconds = time.perf_counter() - started
    return result


def work_units(dataset: Dataset, limit_questions: int | None) -> int:
    chosen = select_questions(dataset, limit_questions)
    convs = [c for c in dataset.conversations if any(q.id in chosen for q in c.questions)]
    return sum(len(c.turns) for c in convs) + len(MODES) * len(chosen)


def _conversation(conversation: Conversation, questions: list[Question], embedder: Embedder,
                  model: TextModel, settings: Settings | None, result: AnswerResult,
                  progress: Progress, workdir: Path | None) -> None:
    with tempfile.TemporaryDirectory(prefix="secondme-eval-", dir=workdir) as tmp:
        home = Path(tmp) / "bank"
        bank = create_bank(home, secrets.token_urlsafe(24), FAST_KDF)
        base = settings or load_settings(home)
        services = build_services(base, bank, Clock(conversation.now), embedder=embedder,
                                  model=model, embed_on_write=False)
        try:
            turn_of = ingest(services, conversation)   # batches below, as harness does
            embed_pending(services.memory, embedder)
            progress(f"{conversation.id}: remembered", len(conversation.turns))
            memory_of = {turn: memory_id for memory_id, turn in turn_of.items()}
            for question in questions:
                for mode in MODES:
                    result.answers.append(_answer(services, question, mode, memory_of))
                    progress(f"{conversation.id}: answering ({mode})", 1)
        finally:
            services.close()


def _answer(services: Services, question: Question, mode: str,
            memory_of: dict[str, int]) -> Answer:
    started = time.perf_counter()
    model = services.model()
    if mode == "ours":
        session = ChatSession(services, store=False)
        prepared = session.prepare(question.text)
        prompt = prepared.prompt
        session.finish(prepared, "")
    else:
        ids = [memory_of[t] for t in question.evidence if t in memory_of] \
            if mode == "oracle" else []
        found = services.memory.get_many(ids)
        hits = [Hit(found[i], Scores(fused=1.0, final=1.0), rank=n)
                for n, i in enumerate(ids, 1) if i in found]
        prompt = prompt_for(services, question.text, hits)
    text = model.complete(prompt.text, max_tokens=min(ANSWER_TOKENS, prompt.max_tokens),
                          stop=[*prompt.stop, "\n"], temperature=0.0).strip()
    gold = question.answer or ""
    none = unanswerable(question)
    return Answer(question_id=question.id, category=question.category, mode=mode,
                  prediction=text, gold=gold, unanswerable=none,
                  f1=round(metrics.answer_f1(text, gold, question.category, unanswerable=none), 4),
                  contains=False if none else metrics.contains_answer(text, gold),
                  seconds=round(time.perf_counter() - started, 3))


def prompt_for(services: Services, question: str, hits: list[Hit]):
    """The chat's prompt (ChatSession._prepare) for a question and the given memories."""
    settings = services.settings
    model = services.model()
    db = services.bank.db()
    inputs = PromptInputs(
        persona=Persona(settings.user_name, settings.assistant_name, services.clock.now()),
        question=question,
        memories=[memory_item(h, settings.user_name, settings.assistant_name) for h in hits],
        facts=load_profile_facts(db, settings.user_name), life_summary=load_life_summary(db),
        period_summaries=load_period_summaries(db, hits, services.clock.now_iso()), history=[])
    return build_prompt(inputs, model, reply_tokens=settings.max_reply_tokens,
                        n_ctx=min(settings.n_ctx, model.info.n_ctx),
                        style=str(settings.extra.get("prompt_style", "auto")))


__all__ = ["ANSWER_TOKENS", "MODES", "Answer", "AnswerResult", "evaluate_answers", "prompt_for",
           "select_questions", "unanswerable", "work_units"]
