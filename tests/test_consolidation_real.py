"""Summaries and profile with the real default model (Gemma 3 270M) and the real embedder.

Whatever the small model writes, what gets stored must be true to the sources: LLM
summaries pass the grounding checks, extractive ones are the person's own sentences,
and every fact's quote is verbatim in the person's own words.
"""

from __future__ import annotations

from datetime import datetime

import pytest

from secondme.clock import Clock
from secondme.config import load_settings
from secondme.consolidation.extractive import check_summary, split_sentences
from secondme.consolidation.profile.builder import ProfileBuilder
from secondme.consolidation.summaries import Summarizer
from secondme.memory.embeddings import SentenceTransformerEmbedder
from secondme.services import build_services, load_model
from secondme.views.profile import profile_view
from secondme.views.summaries import summaries_view

pytestmark = pytest.mark.real_model

DAYS = {
    datetime(2024, 4, 29): [
        ("Hi, my name is Ana. I live in Lyon.", "Nice to meet you, Ana!"),
        ("Today I went to the Parc de la Tête d'Or and watched the swans on the lake.",
         "That sounds peaceful."),
        ("I really enjoy painting and playing piano.", "Lovely hobbies!"),
    ],
    datetime(2024, 4, 30): [
        ("Big news: I moved from Lyon to Porto last weekend.", "Congratulations!"),
        ("I work as a nurse at the city hospital, and the night shifts are tiring.",
         "Take care of yourself."),
        ("In the evening I walked along the river and ate grilled sardines.",
         "Porto is famous for those."),
    ],
}


@pytest.fixture(scope="module")
def embedder():
    return SentenceTransformerEmbedder()


@pytest.fixture(scope="module")
def model(tmp_path_factory):
    return load_model(load_settings(tmp_path_factory.mktemp("settings")))


@pytest.fixture
def real(bank, home, embedder, model):
    svc = build_services(load_settings(home, user_name="Ana"), bank,
                         Clock(datetime(2024, 5, 8, 9)), embedder=embedder, model=model)
    for day, pairs in DAYS.items():
        for minute, (query, reply) in enumerate(pairs):
            svc.memory.remember(f"Ana: {query}\nSecond Me: {reply}", kind="turn", source="chat",
                                at=day.replace(hour=12, minute=minute))
    return svc


def test_real_model_summaries_and_profile_are_true_to_their_sources(real, model):
    ProfileBuilder(real, model=model).run()
    summarizer = Summarizer(real, model=model, embedder=real.embedder)
    counts = summarizer.run()
    assert counts.by_level == {"day": 2, "week": 1, "month": 1, "life": 1}

    said = " ".join(q for pairs in DAYS.values() for q, _ in pairs)
    user_sentences = set(split_sentences(said))
    by_id = {s["id"]: s for s in summaries_view(real)}
    for summary in by_id.values():
        assert summary["text"].strip() and summary["sources"]
        assert summary["method"] in ("llm", "extractive")
        memory = real.memory.get(summary["memory_id"])
        assert memory.kind == "summary" and memory.trust == "derived"
        if summary["level"] == "day" and summary["method"] == "extractive":
            assert set(split_sentences(summary["text"])) <= user_sentences
        if summary["method"] == "llm":
            assert summary["model"]
            sources = " ".join(by_id[s["id"]]["text"] if s["type"] == "summary"
                               else real.memory.get(s["id"]).text for s in summary["sources"])
            labels = [by_id[s["id"]]["label"] for s in summary["sources"] if s["type"] == "summary"]
            allowed = ["Ana", summary["label"], *labels]   # what the prompt names
            assert check_summary(summary["text"], sources, allowed_names=allowed) is None

    facts = profile_view(real, history=True)
    assert facts and all(s["verified"] for f in facts for s in f["sources"])
    current = {(f["attribute"], f["value"]) for f in facts if f["status"] == "active"}
    assert ("lives_in", "Porto") in current and ("lives_in", "Lyon") not in current
    assert any(f["value"] == "Lyon" and f["status"] == "closed" for f in facts)
    assert not any("Second Me" in f["evidence"] or "Congratulations" in f["evidence"]
                   for f in facts)

    # A second pass finds nothing new.
    assert ProfileBuilder(real, model=model).run().created == 0
    assert Summarizer(real, model=model, embedder=real.embedder).run().created == 0
