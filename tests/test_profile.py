"""The profile: rules, LLM under a grammar, evidence checks, merge rules, history, watermark."""

from __future__ import annotations

import json
from datetime import datetime

import pytest

from secondme.clock import Clock
from secondme.config import load_settings
from secondme.consolidation.profile.builder import (
    ProfileBuilder,
    check_llm_fact,
    fact_grammar,
    parse_facts,
    quote_in,
)
from secondme.consolidation.profile.rules import extract
from secondme.memory.service import MemoryNotFound
from secondme.memory.turns import user_side
from secondme.services import build_services
from secondme.views.profile import profile_view
from storage import facts as fact_rows
from storage import jobs as job_rows

from .fakes import FakeModel, HashingEmbedder

NOW = datetime(2024, 5, 8, 9, 0)


@pytest.fixture
def ana(bank, home):
    def make(script=None):
        model = FakeModel(script)
        svc = build_services(load_settings(home, user_name="Ana"), bank, Clock(NOW),
                             embedder=HashingEmbedder(), model=model)
        return svc, model
    return make


def said(svc, text, when, reply="Noted!", **kw):
    return svc.memory.remember(f"Ana: {text}\nSecond Me: {reply}", kind="turn", at=when,
                               source="chat", **kw)


def facts(svc, history=False):
    return {(f["subject"], f["attribute"], f["value"], f["status"]): f
            for f in profile_view(svc, history=history)}


def build(svc, model=None, use_llm=False, **kw):
    return ProfileBuilder(svc, model=model, use_llm=use_llm, **kw).run()


# -- pure parts -----------------------------------------------------------------------------
@pytest.mark.parametrize("text, expected", [
    ("I live in Lyon.", [("user", "lives_in", "Lyon")]),
    ("I moved from Lyon to Porto last month.", [("user", "lives_in", "Porto")]),
    ("Hello, my name is Emily. Nice to meet you.", [("user", "name", "Emily")]),
    ("I work as a nurse at the clinic.", [("user", "job", "nurse")]),
    ("I'm a teacher.", [("user", "job", "teacher")]),
    ("I'm 34 years old.", [("user", "age", "34")]),
    ("My sister Ana lives in Lyon.", [("user", "family", "Ana (sister)"),
                                      ("Ana", "lives_in", "Lyon")]),
    ("I really enjoy painting, playing piano and tea tasting.",
     [("user", "likes", "painting"), ("user", "likes", "playing piano"),
      ("user", "likes", "tea tasting")]),
    ("I don't like horror movies.", [("user", "dislikes", "horror movies")]),
    ("Do I live in Paris?", []),
    ("I used to live in Paris.", []),
    ("I would love to live in Rome.", []),
    ("I love it!", []),
    ("I'm a big fan of jazz.", []),
])
def test_rules(text, expected):
    assert [(f.subject, f.attribute, f.value) for f in extract(text)] == expected
    assert all(quote_in(f.evidence, text) for f in extract(text))


def test_user_side_keeps_only_the_persons_lines():
    turn = "Ana: I live in Lyon.\nSecond Me: You live in Paris, right?\nAna: No, Lyon!"
    assert user_side(turn, "Ana") == "I live in Lyon.\nNo, Lyon!"
    assert user_side("User: hi there\nAssistant: hello", "Ana") == "hi there"
    assert user_side("just some text without speakers", "Ana") is None


def test_quotes_are_checked_case_and_whitespace_insensitively():
    assert quote_in("i  LIVE in lyon", "Well, I live in Lyon.")
    assert quote_in("I’m here", "I'm here")
    assert not quote_in("I live in Paris", "I live in Lyon.")
    assert not quote_in("", "anything")


def test_grammar_limits_sentence_numbers_and_pairs_attributes_with_categories():
    grammar = fact_grammar(3)
    assert "[1-3]" in grammar and '\\"attribute\\": \\"lives_in\\", \\"category\\": \\"identity\\"' \
        in grammar
    with pytest.raises(ValueError):
        fact_grammar(0)


def test_parse_and_check_llm_facts():
    sentences = ["I live in Lyon.", "My brother Tom is a chef."]
    out = json.dumps([{"sentence": 1, "subject": "user", "attribute": "lives_in",
                       "category": "identity", "value": "Lyon", "confidence": 0.8}])
    (item,) = parse_facts(out, sentences)
    assert item["quote"] == "I live in Lyon." and check_llm_fact(item, sentences[0]) is None
    assert parse_facts("[{not json", sentences) is None
    assert parse_facts(json.dumps([{"sentence": 7, "subject": "user", "attribute": "job",
                                    "category": "work", "value": "x"}]), sentences) is None
    wrong_value = {**item, "value": "Paris"}
    assert check_llm_fact(wrong_value, sentences[0]) == "value not in the quote"
    wrong_attr = {**item, "attribute": "job", "category": "work"}
    assert check_llm_fact(wrong_attr, sentences[0]) == "quote does not state this attribute"
    assert check_llm_fact({**item, "category": "work"}, sentences[0]) == \
        "category does not match attribute"
    assert check_llm_fact({**item, "subject": "Tom"}, sentences[0]) == "subject not in the quote"


# -- merge rules ----------------------------------------------------------------------------
def test_moving_closes_the_old_city_and_keeps_history(ana):
    svc, _ = ana()
    said(svc, "I live in Lyon.", datetime(2024, 3, 1, 10))
    said(svc, "Big news: I moved from Lyon to Porto!", datetime(2024, 4, 20, 10))
    build(svc)
    current = facts(svc)
    assert ("user", "lives_in", "Porto", "active") in current
    assert not any(k[2] == "Lyon" for k in current)
    history = facts(svc, history=True)
    lyon = history[("user", "lives_in", "Lyon", "closed")]
    porto = history[("user", "lives_in", "Porto", "active")]
    assert lyon["valid_from"] == "2024-03-01T10:00:00"
    assert lyon["valid_to"] == "2024-04-20T10:00:00" and lyon["superseded_at"] == NOW.isoformat()
    assert lyon["superseded_by"] == porto["id"]
    assert svc.memory.get(lyon["memory_id"]).state == "archived"
    assert svc.memory.get(porto["memory_id"]).text == "Ana lives in Porto."
    assert all(s["verified"] for f in history.values() for s in f["sources"])


def test_saying_it_again_raises_confidence_and_adds_the_source(ana):
    svc, _ = ana()
    first = said(svc, "I work as a nurse.", datetime(2024, 3, 1, 10))
    second = said(svc, "Long shift today, I work as a nurse after all.",
                  datetime(2024, 3, 5, 10))
    build(svc)
    (nurse,) = [f for f in profile_view(svc) if f["attribute"] == "job"]
    assert nurse["confidence"] > 0.6
    assert [s["memory_id"] for s in nurse["sources"]] == [first, second]


def test_multi_valued_attributes_accumulate(ana):
    svc, _ = ana()
    said(svc, "I like tea.", datetime(2024, 3, 1, 10))
    said(svc, "I like hiking.", datetime(2024, 3, 2, 10))
    build(svc)
    assert {f["value"] for f in profile_view(svc) if f["attribute"] == "likes"} == \
        {"tea", "hiking"}


def test_older_evidence_arriving_late_is_stored_as_history(ana):
    svc, _ = ana()
    said(svc, "I live in Porto.", datetime(2024, 4, 1, 10))
    build(svc)
    said(svc, "Back then I live in Lyon.", datetime(2023, 1, 1, 10))   # an old diary line
    build(svc)
    history = facts(svc, history=True)
    assert ("user", "lives_in", "Porto", "active") in history
    assert history[("user", "lives_in", "Lyon", "closed")]["valid_to"] == "2024-04-01T10:00:00"


def test_rerun_creates_nothing_and_the_watermark_moves(ana):
    svc, _ = ana()
    said(svc, "I live in Lyon.", datetime(2024, 3, 1, 10))
    last = said(svc, "I like tea.", datetime(2024, 3, 2, 10))
    build(svc)
    before = fact_rows.list_facts(svc.bank.db(), include_closed=True)
    counts = build(svc)
    assert counts.memories == 0 and counts.created == 0
    assert fact_rows.list_facts(svc.bank.db(), include_closed=True) == before
    assert job_rows.get_watermark(svc.bank.db(), "profile") == {"last_id": last}


def test_watermark_resume_matches_a_single_run(ana, tmp_path):
    svc, _ = ana()
    lines = ["I live in Lyon.", "I like tea.", "I work as a nurse.", "I like hiking.",
             "I moved to Porto.", "My sister Lea lives in Bern."]
    for i, line in enumerate(lines):
        said(svc, line, datetime(2024, 3, 1 + i, 10))
    ProfileBuilder(svc, use_llm=False, batch_memories=2).run(limit=2)
    assert job_rows.get_watermark(svc.bank.db(), "profile")["last_id"] == 2
    build(svc)
    resumed = {(f["subject"], f["attribute"], f["value"], f["status"])
               for f in fact_rows.list_facts(svc.bank.db(), include_closed=True)}
    assert resumed == {("user", "lives_in", "Lyon", "closed"), ("user", "likes", "tea", "active"),
                       ("user", "job", "nurse", "active"), ("user", "likes", "hiking", "active"),
                       ("user", "lives_in", "Porto", "active"),
                       ("user", "family", "Lea (sister)", "active"),
                       ("Lea", "lives_in", "Bern", "active")}


# -- whose words count ----------------------------------------------------------------------
def test_imported_and_assistant_text_never_become_facts(ana):
    svc, _ = ana()
    svc.memory.remember("I live in Berlin and I work as a pilot.", kind="note", trust="import",
                        source="import")
    said(svc, "What do you know about me?", datetime(2024, 3, 1, 10),
         reply="I live in Madrid. You work as a chef.")
    svc.memory.remember("Second Me: I live in Oslo.", kind="turn", trust="assistant",
                        source="chat")
    build(svc)
    assert profile_view(svc, history=True) == []


def test_turns_linked_to_messages_use_the_verbatim_user_message(ana):
    svc, _ = ana()
    with svc.bank.write() as db:
        db.execute("INSERT INTO sessions (id, started_at, last_active_at) VALUES "
                   "('s', '2024-03-01T10:00:00', '2024-03-01T10:00:00')")
        user = db.execute("INSERT INTO messages (session_id, role, text, created_at) VALUES "
                          "('s', 'user', 'I live in Ghent.', '2024-03-01T10:00:00')").lastrowid
        bot = db.execute("INSERT INTO messages (session_id, role, text, created_at) VALUES "
                         "('s', 'assistant', 'I live in Rome.', '2024-03-01T10:00:01')").lastrowid
    svc.memory.remember("Someone: I live in Ghent.\nBot: I live in Rome.", kind="turn",
                        source="chat", source_ref={"message_ids": [user, bot]},
                        at=datetime(2024, 3, 1, 10))
    build(svc)
    assert {f["value"] for f in profile_view(svc)} == {"Ghent"}


# -- the LLM path ---------------------------------------------------------------------------
def llm_json(*items):
    return [[" " + json.dumps(list(items))]]


def test_valid_llm_facts_are_kept_and_marked(ana):
    svc, model = ana(llm_json({"sentence": 1, "subject": "user", "attribute": "pet",
                               "category": "relationship", "value": "a cat",
                               "confidence": 0.9}))
    said(svc, "Honestly my cat is the boss of this flat.", datetime(2024, 3, 1, 10))
    counts = build(svc, model, use_llm=True)
    (cat,) = profile_view(svc)
    assert cat["method"] == "llm" and cat["value"] == "a cat" and cat["confidence"] == 0.7
    assert cat["evidence"] == "Honestly my cat is the boss of this flat."
    assert counts.llm_calls == 1 and model.grammars[0] and "[1-1]" in model.grammars[0]


def test_hallucinated_llm_facts_are_dropped_after_one_retry(ana):
    made_up = {"sentence": 1, "subject": "user", "attribute": "job", "category": "work",
               "value": "nurse", "confidence": 0.9}
    svc, model = ana(llm_json(made_up) + llm_json(made_up))
    said(svc, "My work days are long and tiring lately.", datetime(2024, 3, 1, 10))
    counts = build(svc, model, use_llm=True)
    assert profile_view(svc, history=True) == []
    assert counts.llm_calls == 2 and counts.rejected == 2
    assert counts.reasons == {"value not in the quote": 2}


def test_broken_llm_output_falls_back_to_rules(ana):
    svc, model = ana([["[{garbage"], ["also garbage"]])
    said(svc, "I live in Lyon. My work keeps me busy with the hospital rota.",
         datetime(2024, 3, 1, 10))
    counts = build(svc, model, use_llm=True)
    assert counts.llm_invalid == 2
    assert [(f["value"], f["method"]) for f in profile_view(svc)] == [("Lyon", "rules")]


def test_spent_llm_budget_leaves_the_rest_to_the_rules(ana):
    svc, model = ana()
    said(svc, "I live in Lyon. My work keeps me busy with the hospital rota.",
         datetime(2024, 3, 1, 10))
    counts = build(svc, model, use_llm=True, llm_budget_seconds=0)
    assert counts.llm_calls == 0 and counts.llm_skipped == 1 and model.prompts == []
    assert [f["value"] for f in profile_view(svc)] == ["Lyon"]


def test_rules_win_over_the_model_on_the_same_quote(ana):
    svc, model = ana(llm_json({"sentence": 1, "subject": "user", "attribute": "lives_in",
                               "category": "identity", "value": "Lyon", "confidence": 0.9}))
    said(svc, "I moved from Lyon to Porto. It feels like home already.",
         datetime(2024, 3, 1, 10))
    build(svc, model, use_llm=True)
    assert [f["value"] for f in profile_view(svc, history=True)] == ["Porto"]


# -- forgetting ------------------------------------------------------------------------------
def test_forgetting_the_only_source_redacts_the_fact(ana):
    svc, _ = ana()
    memory = said(svc, "I live in Lyon.", datetime(2024, 3, 1, 10))
    build(svc)
    (fact,) = profile_view(svc)
    svc.memory.forget(memory)
    build(svc)
    (gone,) = profile_view(svc, history=True)
    assert gone["value"] == "[forgotten]" and gone["evidence"] == "[forgotten]"
    assert gone["status"] == "closed"
    with pytest.raises(MemoryNotFound):
        svc.memory.get(fact["memory_id"])


def test_a_cancelled_batch_is_left_for_the_next_run(ana):
    import threading

    cancel = threading.Event()

    class Interrupting(FakeModel):
        def stream(self, prompt, **kwargs):
            cancel.set()
            yield from super().stream(prompt, **kwargs)

    svc, _ = ana()
    said(svc, "I live in Lyon. My work keeps me busy with the hospital rota.",
         datetime(2024, 3, 1, 10))
    ProfileBuilder(svc, model=Interrupting(), cancel=cancel).run()
    assert profile_view(svc, history=True) == []
    assert job_rows.get_watermark(svc.bank.db(), "profile") == {}
    build(svc)
    assert [f["value"] for f in profile_view(svc)] == ["Lyon"]


def test_user_words_of_a_turn_is_the_user_side_else_the_text():
    # One reading of "the user's words of a turn" for chat context, profile and summaries.
    from secondme.memory.turns import user_words

    assert user_words("Ana: I moved.\nstill unpacking\nSecond Me: Nice!", "Ana") == \
        "I moved.\nstill unpacking"
    assert user_words("just a note", "Ana") == "just a note"


def test_an_llm_fact_must_be_supported_word_by_word_not_as_a_substring():
    quote = "Tomorrow I live in Lyon."
    item = {"subject": "user", "attribute": "lives_in", "category": "identity",
            "value": "Lyon", "quote": quote}
    assert check_llm_fact(item, quote) is None
    assert check_llm_fact({**item, "subject": "Tom"}, quote) == "not supported by the quote"
    assert check_llm_fact({**item, "value": "Lyo"}, quote) == "not supported by the quote"
