"""Hierarchical summaries: periods, validation, fallback, versions, idempotency."""

from __future__ import annotations

from datetime import date, datetime

import pytest

from secondme.clock import Clock
from secondme.config import load_settings
from secondme.consolidation.extractive import central_sentences, check_summary, clean_generation
from secondme.consolidation.summaries import Summarizer
from secondme.memory.service import MemoryNotFound
from secondme.periods import day_period, month_period, week_period
from secondme.services import build_services
from secondme.views.summaries import summaries_view
from storage import summaries as store

from .fakes import FakeModel, HashingEmbedder

NOW = datetime(2024, 5, 8, 9, 0)     # a Wednesday: week 18 (29 Apr–5 May) and April are closed


@pytest.fixture
def ana(bank, home):
    def make(script=None, now=NOW):
        model = FakeModel(script)
        svc = build_services(load_settings(home, user_name="Ana"), bank, Clock(now),
                             embedder=HashingEmbedder(), model=model)
        return svc, model
    return make


def turn(svc, text, when, reply="That sounds lovely."):
    return svc.memory.remember(f"Ana: {text}\nSecond Me: {reply}", kind="turn", at=when,
                               source="chat")


def seed(svc):
    turn(svc, "I went hiking on Mount Rigi with my sister Lea. The view over the lake was "
              "stunning.", datetime(2024, 4, 29, 10))
    turn(svc, "In the evening I cooked risotto with mushrooms for everyone.",
         datetime(2024, 4, 29, 19))
    turn(svc, "Work was busy today, I finished the quarterly report for the bank.",
         datetime(2024, 5, 2, 18))
    turn(svc, "Today I am still writing, the day is not over.", datetime(2024, 5, 8, 8))


def summarize(svc, model=None, use_llm=True):
    s = Summarizer(svc, model=model, embedder=svc.embedder, use_llm=use_llm)
    return s.run()


# -- pure parts -------------------------------------------------------------------------------
def test_periods_are_half_open_and_iso_weeks():
    day = day_period(date(2024, 4, 29))
    assert (day.key, day.start_iso, day.end_iso) == ("2024-04-29", "2024-04-29T00:00:00",
                                                     "2024-04-30T00:00:00")
    week = week_period(date(2024, 5, 2))
    assert week.key == "2024-W18" and week.start == datetime(2024, 4, 29)
    assert week.end == datetime(2024, 5, 6)
    assert not week.closed(datetime(2024, 5, 5, 23, 59)) and week.closed(datetime(2024, 5, 6))
    dec = month_period(date(2023, 12, 31))
    assert dec.key == "2023-12" and dec.end == datetime(2024, 1, 1)
    assert day.label == "Monday 29 April 2024"
    assert week.label.startswith("Week 18 of 2024")


def test_check_summary_accepts_grounded_text_and_rejects_the_usual_failures():
    source = "I went hiking on Mount Rigi with Lea. We ate 3 sandwiches by the lake."
    assert check_summary("Ana went hiking on Mount Rigi with Lea by the lake.", source,
                         allowed_names=["Ana"]) is None
    assert "names something" in check_summary("Ana went hiking with Tom near the lake.",
                                               source, allowed_names=["Ana"])
    assert "number" in check_summary("Ana went hiking and ate 12 sandwiches by the lake.",
                                     source, allowed_names=["Ana"])
    assert "grounded" in check_summary("Ana wrote poetry about quantum chromodynamics today.",
                                       source, allowed_names=["Ana"])
    assert check_summary("Ana.", source) == "too short"
    assert "scaffolding" in check_summary("Summary: Ana went hiking on Mount Rigi.", source)
    looped = "Ana went hiking by the lake and " * 6
    assert check_summary(looped, source * 3, allowed_names=["Ana"]) == "repetitive"


def test_clean_generation_cuts_to_the_last_full_sentence():
    assert clean_generation(" Ana hiked. She then wen") == "Ana hiked."
    assert clean_generation("Ana hiked\n\nNotes about") == "Ana hiked."


def test_central_sentences_prefers_the_common_theme_and_keeps_order():
    sentences = ["We hiked up the mountain trail in the morning.",
                 "The mountain trail was steep and the hike was long.",
                 "My cat knocked a glass off the table.",
                 "At the top of the mountain the hike ended with a view."]
    chosen = central_sentences(sentences, HashingEmbedder(), 2)
    assert len(chosen) == 2 and "cat" not in " ".join(chosen)
    assert chosen == [s for s in sentences if s in chosen]
    assert central_sentences(sentences, None, 2) and len(central_sentences(sentences, None, 9)) == 4


# -- the summarizer ----------------------------------------------------------------------------
def test_every_closed_level_gets_a_summary_that_lists_its_sources(ana):
    svc, model = ana()
    seed(svc)
    counts = summarize(svc, model)
    assert counts.by_level == {"day": 2, "week": 1, "month": 1, "life": 1}
    view = {(s["level"], s["period_key"]): s for s in summaries_view(svc)}
    assert set(view) == {("day", "2024-04-29"), ("day", "2024-05-02"), ("week", "2024-W18"),
                         ("month", "2024-04"), ("life", "life")}
    assert [s["type"] for s in view[("day", "2024-04-29")]["sources"]] == ["memory", "memory"]
    week_sources = {s["id"] for s in view[("week", "2024-W18")]["sources"]}
    assert week_sources == {view[("day", "2024-04-29")]["id"], view[("day", "2024-05-02")]["id"]}
    assert [s["id"] for s in view[("month", "2024-04")]["sources"]] == \
        [view[("day", "2024-04-29")]["id"]]
    # today (8 May) is still open: not summarised
    assert ("day", "2024-05-08") not in view


def test_the_fake_models_filler_is_rejected_and_the_extractive_fallback_is_used(ana):
    svc, model = ana()              # FakeModel answers "I remember." to everything
    seed(svc)
    counts = summarize(svc, model)
    assert counts.extractive == 5 and counts.llm == 0
    assert len(model.prompts) == 10                     # one retry per summary, then fallback
    day = store.current(svc.bank.db(), "day", "2024-04-29")
    assert day["method"] == "extractive" and "Mount Rigi" in day["text"]
    assert "That sounds lovely" not in day["text"]      # the assistant's side is not a gist


def test_a_valid_llm_summary_is_kept_and_marked(ana):
    svc, model = ana([[" went hiking on Mount Rigi with her sister Lea and cooked risotto."]])
    turn(svc, "I went hiking on Mount Rigi with my sister Lea.", datetime(2024, 5, 7, 10))
    turn(svc, "Then I cooked risotto with mushrooms.", datetime(2024, 5, 7, 19))
    summarize(svc, model)
    day = store.current(svc.bank.db(), "day", "2024-05-07")
    assert day["method"] == "llm" and day["model"] == "fake"
    assert day["text"] == "Ana went hiking on Mount Rigi with her sister Lea and cooked risotto."
    prompt = model.prompts[0]
    assert prompt.endswith("Summary: Ana") and "- Ana: I went hiking" in prompt
    assert "Second Me" not in prompt.split("Notes about Ana")[1]


def test_a_hallucinating_model_gets_one_retry_then_extractive(ana):
    svc, model = ana([[" met Tom in Paris and bought 12 croissants."],
                      [" flew to the moon with Tom."]])
    turn(svc, "I went hiking on Mount Rigi with my sister Lea.", datetime(2024, 5, 7, 10))
    counts = summarize(svc, model, use_llm=True)
    day = store.current(svc.bank.db(), "day", "2024-05-07")
    assert day["method"] == "extractive" and "Tom" not in day["text"]
    assert counts.llm_rejected >= 2 and counts.reasons


def test_summaries_are_retrievable_derived_memories(ana):
    svc, model = ana()
    seed(svc)
    summarize(svc, model)
    day = store.current(svc.bank.db(), "day", "2024-04-29")
    memory = svc.memory.get(day["memory_id"])
    assert memory.kind == "summary" and memory.trust == "derived"
    assert memory.source == "summarize" and memory.source_ref["summary_id"] == day["id"]
    assert memory.text.startswith("Monday 29 April 2024: ")
    assert memory.event_at == "2024-04-29T00:00:00"
    assert memory.last_reinforced_at == NOW.isoformat()   # fresh gist, not faded from April


def test_rerun_creates_nothing(ana):
    svc, model = ana()
    seed(svc)
    summarize(svc, model)
    before = len(summaries_view(svc, history=True))
    memories = svc.memory.count(None)
    counts = summarize(svc, model)
    assert counts.created == 0 and counts.unchanged == 5
    assert len(summaries_view(svc, history=True)) == before and svc.memory.count(None) == memories


def test_a_late_memory_makes_new_versions_up_the_chain_and_keeps_the_old(ana):
    svc, model = ana()
    seed(svc)
    summarize(svc, model)
    old_day = store.current(svc.bank.db(), "day", "2024-04-29")
    turn(svc, "I forgot to say: Lea gave me a beautiful wooden bowl she carved.",
         datetime(2024, 4, 29, 21))
    counts = summarize(svc, model)
    assert counts.by_level == {"day": 1, "week": 1, "month": 1, "life": 1}
    new_day = store.current(svc.bank.db(), "day", "2024-04-29")
    assert new_day["version"] == 2 and new_day["id"] != old_day["id"]
    retired = store.get(svc.bank.db(), old_day["id"])
    assert retired["is_current"] == 0 and retired["superseded_at"] == NOW.isoformat()
    assert svc.memory.get(old_day["memory_id"]).state == "archived"
    assert len(store.sources(svc.bank.db(), new_day["id"])) == 3


def test_an_edited_source_also_makes_a_new_version(ana):
    svc, model = ana()
    seed(svc)
    summarize(svc, model)
    first = store.memories_between(svc.bank.db(), "2024-05-02T00:00:00", "2024-05-03T00:00:00")
    svc.memory.edit(first[0][0], "Ana: Work was calm today.\nSecond Me: Good.")
    summarize(svc, model)
    assert store.current(svc.bank.db(), "day", "2024-05-02")["version"] == 2


def test_idle_sessions_are_summarised_active_ones_wait(ana):
    svc, model = ana()
    with svc.bank.write() as db:
        db.execute("INSERT INTO sessions (id, started_at, last_active_at) VALUES "
                   "('done', '2024-05-08T07:00:00', '2024-05-08T07:30:00'), "
                   "('live', '2024-05-08T08:40:00', '2024-05-08T08:55:00')")
    for sid in ("done", "live"):
        svc.memory.remember(f"Ana: We talked about the garden plans for {sid}.\nSecond Me: ok",
                            kind="turn", session_id=sid, at=datetime(2024, 5, 8, 7, 10))
    summarize(svc, model)
    sessions = {s["period_key"] for s in summaries_view(svc, level="session")}
    assert sessions == {"done"}


def test_life_uses_months_then_later_weeks_and_days_plus_facts(ana):
    svc, model = ana(now=datetime(2024, 6, 12))
    turn(svc, "I started learning the cello in April.", datetime(2024, 4, 10, 10))
    turn(svc, "My cello teacher says I am improving fast.", datetime(2024, 6, 4, 10))
    turn(svc, "I played my first cello piece for friends.", datetime(2024, 6, 11, 10))
    from secondme.consolidation.profile.builder import ProfileBuilder

    svc.memory.remember("My name is Ana.", at=datetime(2024, 6, 11, 12))
    ProfileBuilder(svc, use_llm=False).run()
    summarize(svc, model)
    life = next(s for s in summaries_view(svc) if s["level"] == "life")
    kinds = {}
    for source in life["sources"]:
        if source["type"] == "summary":
            level = store.get(svc.bank.db(), source["id"])["level"]
            kinds[level] = kinds.get(level, 0) + 1
        else:
            kinds["fact"] = kinds.get("fact", 0) + 1
    # April's month, week 23 (3–9 June), then the days after it: 11 June; the facts are
    # the name and the cello being learned
    assert kinds == {"month": 1, "week": 1, "day": 1, "fact": 2}


def test_a_generation_cut_short_writes_nothing(ana):
    import threading

    cancel = threading.Event()

    class Interrupting(FakeModel):
        def stream(self, prompt, **kwargs):
            cancel.set()                      # e.g. the chat preempted the job
            yield from super().stream(prompt, **kwargs)

    svc, _ = ana()
    seed(svc)
    Summarizer(svc, model=Interrupting(), embedder=svc.embedder, cancel=cancel).run()
    assert summaries_view(svc, history=True) == []


def test_forgetting_a_source_deletes_the_versions_up_the_chain(ana):
    svc, model = ana()
    seed(svc)
    summarize(svc, model)
    old_day = store.current(svc.bank.db(), "day", "2024-04-29")
    old_week = store.current(svc.bank.db(), "week", "2024-W18")
    (secret, _), _ = store.memories_between(svc.bank.db(), "2024-04-29T00:00:00",
                                            "2024-04-30T00:00:00")
    svc.memory.forget(secret)
    for old in (old_day, old_week):               # deleted at once, with their memories
        assert store.get(svc.bank.db(), old["id"]) is None
        with pytest.raises(MemoryNotFound):
            svc.memory.get(old["memory_id"])
    assert store.current(svc.bank.db(), "life", "life") is None
    counts = summarize(svc, model)
    assert counts.created >= 3                    # the day, its week and the life, rebuilt
    new_day = store.current(svc.bank.db(), "day", "2024-04-29")
    assert "Mount Rigi" not in new_day["text"] and "risotto" in new_day["text"]
    assert len(store.sources(svc.bank.db(), new_day["id"])) == 1
    assert all("Mount Rigi" not in s["text"] for s in summaries_view(svc, history=True))


# -- faithfulness (issue 15.1) -------------------------------------------------------------------
def test_a_toothache_no_source_mentions_is_never_stored(ana):
    svc, model = ana([[" went hiking on Mount Rigi with her younger sister Lea despite a toothache."]] * 2)
    turn(svc, "I went hiking on Mount Rigi with my younger sister Lea.", datetime(2024, 5, 7, 10))
    counts = summarize(svc, model)
    day = store.current(svc.bank.db(), "day", "2024-05-07")
    assert day["method"] == "extractive" and "toothache" not in day["text"]
    assert counts.reasons.get("states something the sources don't") == 2


def test_a_younger_sister_never_becomes_an_older_sister(ana):
    svc, model = ana([[" went hiking on Mount Rigi with her older sister Lea."]])
    turn(svc, "I went hiking on Mount Rigi with my younger sister Lea.", datetime(2024, 5, 7, 10))
    turn(svc, "Then I cooked risotto with mushrooms.", datetime(2024, 5, 7, 19))
    counts = summarize(svc, model)
    day = store.current(svc.bank.db(), "day", "2024-05-07")
    assert "older" not in day["text"] and day["method"] == "extractive"
    assert counts.reasons.get("changes a relation") == 1


def test_no_two_levels_share_a_text_even_with_a_single_child(ana):
    svc, model = ana()
    seed(svc)                        # April has one day: its month must not copy that day
    summarize(svc, model)
    texts = [s["text"] for s in summaries_view(svc)]
    assert len(texts) == len(set(texts)) == 5
    month = store.current(svc.bank.db(), "month", "2024-04")
    assert month["text"].startswith("In April: ")


def test_a_week_and_a_month_made_of_the_same_days_still_differ(ana):
    svc, model = ana(now=datetime(2024, 5, 8))
    turn(svc, "I repaired the old bicycle in the garage.", datetime(2024, 4, 8, 10))
    turn(svc, "I baked bread with rosemary for the neighbours.", datetime(2024, 4, 9, 10))
    summarize(svc, model)
    texts = [s["text"] for s in summaries_view(svc)]
    assert len(texts) == len(set(texts)) == 5             # 2 days, week 15, April, life


def test_an_llm_parent_that_copies_its_only_child_is_rejected(ana):
    from secondme.consolidation.summaries import Source

    svc, model = ana([[" went hiking on Mount Rigi with her sister Lea."]] * 2)
    day = "Ana went hiking on Mount Rigi with her sister Lea."
    child = Source("summary", 1, "1", text=day, label="29 April")
    summarizer = Summarizer(svc, model=model, embedder=svc.embedder)
    text, method, _ = summarizer.compose(month_period(date(2024, 4, 1)), [child])
    assert method == "extractive" and text == "In April: " + day
    assert summarizer.counts.reasons == {"copies one source": 2}


def test_the_life_summary_is_a_portrait_of_facts_and_periods(ana):
    svc, model = ana(now=datetime(2024, 6, 12))
    svc.memory.remember("My name is Ana.", at=datetime(2024, 4, 2, 12))
    turn(svc, "I started learning the cello in April.", datetime(2024, 4, 10, 10))
    turn(svc, "I played my first cello piece for friends.", datetime(2024, 6, 11, 10))
    from secondme.consolidation.profile.builder import ProfileBuilder

    ProfileBuilder(svc, use_llm=False).run()
    summarize(svc, model)
    life = store.current(svc.bank.db(), "life", "life")["text"]
    assert "April 2024: " in life and "11 June: " in life
    assert "cello" in life and life.count(".") >= 3


def test_central_sentences_of_a_huge_day_stay_small():
    sizes = []

    class Counting(HashingEmbedder):
        def encode(self, texts):
            sizes.append(len(texts))
            return super().encode(texts)

    sentences = [f"Run number {i} was 5 km along the river path." for i in range(20_000)]
    chosen = central_sentences(sentences, Counting(), 3)
    assert len(chosen) == 3 and set(chosen) <= set(sentences)
    assert sizes == [400]            # an even spread, not a 20,000² similarity matrix


def test_an_llm_month_that_repeats_its_week_word_for_word_is_rejected(ana):
    same = [" repaired the old bicycle and baked bread with rosemary."]
    svc, model = ana([same] * 20, now=datetime(2024, 5, 8))
    turn(svc, "I repaired the old bicycle in the garage.", datetime(2024, 4, 8, 10))
    turn(svc, "I baked bread with rosemary for the neighbours.", datetime(2024, 4, 9, 10))
    summarize(svc, model)
    texts = [s["text"] for s in summaries_view(svc)]
    assert len(texts) == len(set(texts)) == 5
    assert store.current(svc.bank.db(), "week", "2024-W15")["method"] == "llm"
    assert store.current(svc.bank.db(), "month", "2024-04")["method"] == "extractive"
