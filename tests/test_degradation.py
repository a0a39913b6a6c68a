"""Degradation is visible: what fell back says so in its result and in an in-memory log."""

from __future__ import annotations

import json
import logging

from secondme import degradation
from secondme.conversation.session import ChatSession
from secondme.doctor import degraded_log

from .cli_runner import run
from .fakes import HashingEmbedder


class NeverLoads(HashingEmbedder):
    """An embedder whose model cannot be loaded (missing files, no memory...)."""

    loaded = False

    def load(self) -> None:
        raise OSError("model files missing")


class BrokenRetriever:
    def search(self, query, **kw):
        raise RuntimeError("index is corrupt")


def setup_function() -> None:
    degradation.clear()


def test_the_ring_buffer_keeps_the_last_entries_in_memory_only():
    for i in range(degradation.CAPACITY + 5):
        degradation.note("test", f"event {i}")
    entries = degradation.recent()
    assert len(entries) == degradation.CAPACITY
    assert entries[0].message == "event 5" and entries[-1].where == "test"
    logger = logging.getLogger(degradation.LOGGER_NAME)
    assert not logger.propagate   # never the root logger's (file or stderr) handlers
    assert all(isinstance(h, degradation.RingBufferHandler) for h in logger.handlers)


def test_a_reply_whose_recall_fell_back_says_so(make_services):
    services = make_services(retriever_factory=lambda svc: BrokenRetriever())
    services.memory.remember("My sister Ana lives in Porto.")
    result = ChatSession(services).reply("Where does Ana live?")
    assert result.degraded and "full-text" in result.degraded[0]
    assert "index is corrupt" in result.degraded[0]
    assert result.to_public()["degraded"] == result.degraded
    assert [r.hit.memory.text for r in result.recalled] == ["My sister Ana lives in Porto."]
    assert any("full-text" in e.message for e in degradation.recent())


def test_a_reply_without_an_embedder_says_recall_used_keywords_only(make_services):
    services = make_services(embedder=NeverLoads())
    services.memory.remember("My sister Ana lives in Porto.")
    result = ChatSession(services).reply("Where does Ana live?")
    assert any("dense recall unavailable" in line and "model files missing" in line
               for line in result.degraded)
    assert result.recalled                         # keywords still found it
    assert services.degraded() == [d for d in result.degraded if "dense" in d]


def test_a_healthy_reply_reports_nothing(services):
    services.memory.remember("My sister Ana lives in Porto.")
    result = ChatSession(services).reply("Where does Ana live?")
    assert result.degraded == [] and services.degraded() == []
    assert degradation.recent() == []


def test_doctor_reports_the_log():
    degradation.note("recall", "recall fell back to full-text search (test)")
    (entry,) = degraded_log()   # run_checks() puts this in the report as "degraded"
    assert entry["where"] == "recall" and entry["message"].endswith("(test)")


def test_search_json_says_what_fell_back(home, tmp_path):
    env = {"SECONDME_HOME": str(home), "SECONDME_PASSPHRASE": "pw",
           "SECONDME_EMBEDDING_MODEL": str(tmp_path / "no-such-model")}
    run(["init"], env)
    run(["remember", "My sister Ana lives in Porto."], env)
    out = json.loads(run(["search", "Ana Porto", "--json"], env).stdout)
    assert out["hits"] and out["degraded"]
    assert "dense recall unavailable" in out["degraded"][0]
    keywords = json.loads(run(["search", "Ana", "--json", "--mode", "bm25"], env).stdout)
    assert keywords["degraded"] == []
