"""The chat's checks around generation (issue 14): current facts first and fixed replies
before it, the grounding check and its consequences after it. Kept out of chat.py."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from ..memory.abstention import judge
from .current_facts import about_present, newest_first, past_fact_lines
from .fixed_replies import fixed_reply
from .grounding import Grounding, check
from .prompting import PromptInputs


def before_reply(svc: Any, db: Any, question: str, hits: list[Any],
                 inputs: PromptInputs) -> tuple[PromptInputs, str | None]:
    """The prompt inputs (current facts first for a question about the present) and the
    fixed reply, if this message gets one instead of the model's."""
    settings = svc.settings
    if about_present(question):
        inputs = replace(inputs, memories=newest_first(inputs.memories),
                         facts=inputs.facts + past_fact_lines(db, settings.user_name))
    fixed = None
    if settings.fixed_replies:
        said = [t.text for t in inputs.history if t.role == "user"]
        fixed = fixed_reply(question, hits, inputs.facts, inputs.persona.user_name, said)
    return inputs, fixed


def after_reply(prepared: Any, reply: str) -> Grounding | None:
    """The reply checked against the memories placed in its prompt and the profile facts.

    A reply the person stopped is checked too (its kept part is stored like any reply)."""
    inputs: PromptInputs | None = getattr(prepared, "inputs", None)
    if not reply or inputs is None or prepared.fixed:
        return None
    order = [h.memory.id for h in prepared.hits]
    placed = set(prepared.prompt.memory_ids)
    numbered = [(order.index(m.id) + 1, m) for m in inputs.memories
                if m.id in placed and m.id in order]
    numbered.sort(key=lambda pair: pair[0])
    persona = inputs.persona
    said = [t.text for t in inputs.history if t.role == "user"]   # this conversation
    return check(reply, numbered, inputs.facts[:prepared.prompt.facts] + said, prepared.question,
                 allowed=[persona.user_name, persona.assistant_name],
                 relevant=relevant_numbers(prepared.hits, prepared.question),
                 cut=prepared.cancel.is_set())


def relevant_numbers(hits: list[Any], question: str) -> set[int]:
    """Recall-list numbers of the hits the calibrated signal calls relevant on their own,
    when the search as a whole holds something relevant (abstention.judge)."""
    if judge(hits, query=question).nothing_relevant:
        return set()
    return {n for n, hit in enumerate(hits, 1) if not judge([hit]).nothing_relevant}


def trusted(grounding: Grounding | None) -> bool:
    """A reply that may reinforce what it used (not marked unsupported)."""
    return grounding is None or grounding.supported


def mark_unsupported(svc: Any, grounding: Grounding | None, turn_id: int | None) -> None:
    """An unsupported reply's turn gets low evidence weight: never recalled as evidence."""
    if turn_id is not None and not trusted(grounding):
        svc.memory.mark_unsupported(turn_id, actor="chat")


def public(grounding: Grounding | None) -> dict[str, Any]:
    if grounding is None:
        return {"citations": [], "grounding": None}
    return {"citations": [c.to_public() for c in grounding.citations],
            "grounding": grounding.to_public()}
