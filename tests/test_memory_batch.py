"""`MemoryService.batch()`: memory writes inside a caller's transaction commit with it, and
listeners (the vector index) and embedding on write hear of them only after that commit,
outside the writer lock, and never when it rolls back (issue 13.2)."""

from __future__ import annotations

import threading
from datetime import datetime

import pytest

from secondme import jobs
from secondme.config import load_settings
from secondme.consolidation.summaries import Summarizer
from secondme.importers import import_paths
from secondme.importers import service as import_service
from secondme.jobs.runner import JobOptions
from secondme.services import build_services
from storage import memories as rows

from .fakes import HashingEmbedder
from .writer_lock import another_thread_can_write

NOW = "2024-05-01T12:00:00"


def record(text: str) -> dict:
    return {"kind": "note", "text": text, "event_at": NOW, "recorded_at": NOW,
            "source": "test", "importance": 0.5, "strength": 1.0,
            "last_reinforced_at": NOW, "trust": "import"}


class Ear:
    """A listener that notes what it heard and whether the writer was free at that moment."""

    def __init__(self, services) -> None:
        self.bank = services.bank
        self.heard: list[tuple[str, int]] = []
        self.inside: list[bool] = []
        self.committed: list[bool] = []
        services.memory.on_change(self)

    def __call__(self, action: str, memory_id: int) -> None:
        self.heard.append((action, memory_id))
        self.inside.append(self.bank.writing)
        self.committed.append(another_thread_can_write(self.bank) and self._visible(memory_id))

    def _visible(self, memory_id: int) -> bool:
        """Seen from another connection, i.e. committed (or gone, for a delete)."""
        seen: list[bool] = []
        worker = threading.Thread(
            target=lambda: seen.append(rows.get(self.bank.db(), memory_id) is not None))
        worker.start()
        worker.join(timeout=5)
        return bool(seen) and (seen[0] or self.heard[-1][0] == "forget")


def count_memories(services) -> int:
    return services.memory.count(state=None)


def test_writes_in_a_batch_commit_together_and_listeners_hear_after_the_commit(services):
    ear = Ear(services)
    memory = services.memory
    with memory.batch() as writes:
        a = writes.create(record("The spare key is under the blue pot."), actor="test", at=NOW,
                          after={"kind": "note"})
        b = memory.remember("Lea's birthday is on 3 March.")
        writes.archive(a, actor="test", at=NOW, note="kept for the test")
        assert ear.heard == []                      # nothing before the commit
    # b is a 'remember': its vector is computed after the commit too, then announced.
    assert ear.heard == [("create", a), ("create", b), ("embed", b), ("archive", a)]
    assert not any(ear.inside) and all(ear.committed)
    assert memory.get(a).state == "archived"
    assert [e["action"] for e in memory.history(a)] == ["create", "archive"]


def test_a_rollback_keeps_no_rows_and_sends_no_notification(services):
    ear = Ear(services)
    memory = services.memory
    kept = memory.remember("Already here before the failed batch.")
    ear.heard.clear()
    with pytest.raises(RuntimeError, match="boom"), services.bank.write():
        with memory.batch() as writes:
            writes.create(record("A note that never lands."), actor="test", at=NOW,
                          after={"kind": "note"})
            writes.update(kept, {"importance": 0.9}, action="update", actor="test", at=NOW)
        memory.remember("A memory that never lands either.")
        memory.archive(kept)
        raise RuntimeError("boom")
    assert ear.heard == []
    assert count_memories(services) == 1
    survivor = memory.get(kept)
    assert survivor.state == "active" and survivor.importance == 0.5
    assert [e["action"] for e in memory.history(kept)] == ["create"]


def test_nested_batches_share_one_transaction_and_notify_once_at_the_outer_commit(services):
    ear = Ear(services)
    with services.memory.batch() as outer:
        with services.memory.batch() as inner:
            assert inner.db is outer.db
            first = inner.create(record("Inner write."), actor="test", at=NOW, after={})
        assert ear.heard == []                      # the inner exit is no commit
        second = outer.create(record("Outer write."), actor="test", at=NOW, after={})
    assert ear.heard == [("create", first), ("create", second)]
    assert all(ear.committed)


def test_a_listener_failing_after_the_commit_keeps_the_rows(services):
    def broken(action: str, memory_id: int) -> None:
        raise ValueError("listener bug")

    services.memory.on_change(broken)
    with pytest.raises(ValueError, match="listener bug"), services.memory.batch() as writes:
        writes.create(record("Committed before the listener ran."), actor="test", at=NOW,
                      after={})
    assert count_memories(services) == 1


class WatchedEmbedder(HashingEmbedder):
    """Notes, for every encode, whether the bank's writer transaction was open."""

    def __init__(self) -> None:
        super().__init__()
        self.bank = None
        self.while_writing: list[bool] = []

    def encode(self, texts):
        self.while_writing.append(self.bank.writing)
        return super().encode(texts)


@pytest.fixture
def watched(bank, clock, home, fake_model):
    embedder = WatchedEmbedder()
    embedder.bank = bank
    svc = build_services(load_settings(home), bank, clock, embedder=embedder, model=fake_model)
    yield svc, embedder


def test_remember_inside_a_transaction_embeds_after_the_commit(watched):
    services, embedder = watched
    alone = services.memory.remember("Written on its own: embedded at once.")
    assert embedder.while_writing == [False]
    assert [e["action"] for e in services.memory.history(alone)] == ["create"]
    with services.bank.write():
        nested = services.memory.remember("Written inside a caller's transaction.")
        assert services.memory.get(nested).embedding_model is None
        edited = services.memory.edit(alone, "Edited inside a caller's transaction.")
        assert edited.embedding_model is None
    assert embedder.while_writing == [False, False, False]   # never under the writer lock
    assert services.memory.get(nested).embedding_model == "fake-hashing"
    assert services.memory.get(alone).embedding_model == "fake-hashing"
    assert [e["action"] for e in services.memory.history(nested)] == ["create", "embed"]


def test_a_rolled_back_remember_is_never_embedded(watched):
    services, embedder = watched
    with pytest.raises(RuntimeError), services.bank.write():
        services.memory.remember("Never committed.")
        raise RuntimeError("boom")
    assert embedder.while_writing == [] and count_memories(services) == 0


def test_a_new_gist_is_fresh_and_embedded_after_its_transaction(watched):
    services, embedder = watched
    services.memory.remember("I went hiking on Mount Rigi with Lea.", kind="turn",
                             at=datetime(2024, 4, 22, 10), source="chat")
    ear = Ear(services)
    Summarizer(services, model=None, embedder=services.embedder, use_llm=False).run()
    gists = [m for m in services.memory.get_many(i for _, i in ear.heard).values()
             if m.kind == "summary"]
    assert gists and all(g.last_reinforced_at == NOW for g in gists)
    assert all(g.embedding_model == "fake-hashing" for g in gists)
    assert not any(embedder.while_writing) and not any(ear.inside) and all(ear.committed)


def test_an_import_notifies_after_its_commit_and_a_failed_one_not_at_all(services, tmp_path,
                                                                         monkeypatch):
    notes = tmp_path / "notes"
    notes.mkdir()
    (notes / "a.md").write_text("# Keys\n\nThe spare key is under the blue pot.\n")
    ear = Ear(services)
    import_paths(services, [notes])
    assert [a for a, _ in ear.heard] == ["create"]
    assert not any(ear.inside) and all(ear.committed)

    real = import_service.write_note

    def fails_after_writing(*args, **kwargs):
        real(*args, **kwargs)
        raise ValueError("disk gremlin")

    ear.heard.clear()
    (notes / "b.md").write_text("# Plants\n\nWater the fern on Sundays.\n")
    monkeypatch.setattr(import_service, "write_note", fails_after_writing)
    report = import_paths(services, [notes])
    assert report.totals()["failed"] == 1
    assert ear.heard == [] and count_memories(services) == 1


def test_dedupe_merges_notify_after_the_commit(services):
    a = services.memory.remember("The spare key is under the blue pot.")
    b = services.memory.remember("the spare key is under the blue pot")
    ear = Ear(services)
    (result,) = jobs.run(services, "dedupe", options=JobOptions(use_llm=False))
    assert result.status == "ok" and services.memory.get(b).state == "archived"
    assert ("merge", a) in ear.heard and ("archive", b) in ear.heard
    assert not any(ear.inside) and all(ear.committed)
