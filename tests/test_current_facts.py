"""Current facts first (issue 14.4): questions about the present put the newest value first
and label superseded profile values as past."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

from secondme.conversation.current_facts import about_present, newest_first
from secondme.conversation.prompting import MemoryItem
from secondme.conversation.session import ChatSession
from secondme.evaluation.formats import load_generic

ROOT = Path(__file__).resolve().parents[1]


def test_questions_about_the_present_are_recognised():
    for q in ("Where do I work now?", "What's my address?", "Where do I live?",
              "What car do I drive these days?"):
        assert about_present(q), q
    for q in ("Where did I work in 2020?", "I work at Acme now.", "What did Ana say?"):
        assert not about_present(q), q


def test_the_newest_of_the_relevant_memories_goes_first():
    old = MemoryItem(1, "I work at Acme.", "2022-01-01T00:00:00", "chat", 0.9)
    new = MemoryItem(2, "I now work at Beta Labs.", "2024-05-14T00:00:00", "chat", 0.7)
    noise = MemoryItem(3, "Lunch was pasta.", "2024-06-01T00:00:00", "chat", 0.2)
    ranked = sorted(newest_first([old, new, noise]), key=lambda m: -m.score)
    assert [m.id for m in ranked] == [2, 1, 3]
    assert newest_first([old]) == [old]


def test_a_present_question_places_the_newest_value_first_and_labels_the_old(services,
                                                                             fake_model):
    old = services.memory.remember("I work at Acme in Leeds.", at=datetime(2022, 1, 1))
    with services.bank.write() as db:
        db.execute(
            "INSERT INTO profile_facts (subject, attribute, value, category, confidence, "
            "evidence, recorded_at, valid_to, status) VALUES "
            "('user', 'employer', 'Beta Labs', 'work', 0.9, 'x', '2024-04-01T00:00:00', NULL, "
            "'active'), ('user', 'employer', 'Acme', 'work', 0.9, 'x', '2022-01-01T00:00:00', "
            "'2024-04-01T00:00:00', 'closed')")
    new = services.memory.remember("I work at Beta Labs now.")
    fake_model.script = [["Beta Labs."]]
    result = ChatSession(services).reply("Where do I work now?")
    prompt = fake_model.prompts[-1]
    assert "employer: Beta Labs" in prompt and "employer: Acme (past, until April 2024)" in prompt
    assert result.prompt.memory_ids[0] == new and old in result.prompt.memory_ids
    assert result.grounding.supported


def test_the_knowledge_update_dev_set_loads():
    data = json.loads((ROOT / "assets/devset/knowledge_update_en.json").read_text())
    dataset = load_generic(data)
    questions = [q for c in dataset.conversations for q in c.questions]
    assert len(questions) == 8 and all(q.answer and q.evidence for q in questions)
    assert {q.category for q in questions} == {"update", "past"}
