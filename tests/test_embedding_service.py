"""Vectors on memories: on write when cheap, in resumable batches otherwise."""

from __future__ import annotations

import numpy as np
import pytest

from secondme.config import load_settings
from secondme.memory.embed import embed_if_cheap, embed_pending, pending_count
from secondme.memory.embeddings import from_blob
from secondme.services import build_services
from storage import memories as rows

from .fakes import HashingEmbedder
from .retrieval_cases import real_embedder


class UnloadedEmbedder(HashingEmbedder):
    """Looks like a SentenceTransformerEmbedder that has not loaded its model yet."""

    loaded = False


class BrokenEmbedder(HashingEmbedder):
    def encode(self, texts):
        raise RuntimeError("out of memory")


def vector_of(services, memory_id: int) -> np.ndarray | None:
    row = services.bank.db().execute("SELECT embedding FROM memories WHERE id = ?",
                                      [memory_id]).fetchone()
    return None if row[0] is None else from_blob(row[0])


def make(bank, clock, home, embedder, *, embed_on_write: bool = True):
    return build_services(load_settings(home), bank, clock, embedder=embedder,
                          embed_on_write=embed_on_write)


def test_remember_embeds_on_write_when_the_embedder_is_loaded(services):
    chat = services.memory.remember("we talked about Porto", kind="turn", source="chat")
    said = services.memory.remember("my sister lives in Porto")
    note = services.memory.remember("imported chunk", kind="note", source="import",
                                    trust="import")
    for memory_id in (chat, said):
        memory = services.memory.get(memory_id)
        assert memory.embedding_model == "fake-hashing"
        vector = vector_of(services, memory_id)
        assert vector.dtype == np.float32 and vector.shape == (64,)
        assert np.linalg.norm(vector) == pytest.approx(1.0, abs=1e-5)
    assert services.memory.get(note).embedding_model is None  # bulk kinds wait for the job


def test_no_embedding_on_write_when_loading_would_be_slow(bank, clock, home):
    services = make(bank, clock, home, UnloadedEmbedder())
    memory_id = services.memory.remember("quick note")
    assert services.memory.get(memory_id).embedding_model is None
    assert services.embedder().calls == 0
    assert embed_if_cheap(services.embedder(), "x", "remember") is None


def test_a_failing_embedder_never_loses_the_memory(bank, clock, home):
    services = make(bank, clock, home, BrokenEmbedder())
    memory_id = services.memory.remember("still saved")
    assert services.memory.get(memory_id).text == "still saved"
    assert services.memory.get(memory_id).embedding_model is None


def test_embed_pending_batches_limits_and_is_idempotent(bank, clock, home):
    services = make(bank, clock, home, UnloadedEmbedder())
    ids = [services.memory.remember(f"memory number {i}") for i in range(25)]
    assert pending_count(services.memory, services.embedder()) == 25
    batches: list[int] = []
    assert embed_pending(services.memory, services.embedder(), batch_size=10, limit=15, on_batch=batches.append) == 15
    assert batches == [10, 5]
    assert pending_count(services.memory, services.embedder()) == 10
    assert embed_pending(services.memory, services.embedder(), batch_size=4) == 10
    assert embed_pending(services.memory, services.embedder()) == 0
    assert pending_count(services.memory, services.embedder()) == 0
    memory = services.memory.get(ids[0])
    assert memory.embedding_model == "fake-hashing"
    assert services.memory.history(ids[0])[-1]["action"] == "embed"
    with pytest.raises(ValueError):
        embed_pending(services.memory, services.embedder(), batch_size=0)


def test_a_new_model_re_embeds(bank, clock, home):
    services = make(bank, clock, home, HashingEmbedder())
    memory_id = services.memory.remember("my sister lives in Porto")

    class Other(HashingEmbedder):
        @property
        def name(self) -> str:
            return "other-model"

    other = make(bank, clock, home, Other(dim=32))
    assert pending_count(other.memory, other.embedder()) == 1
    assert embed_pending(other.memory, other.embedder()) == 1
    assert other.memory.get(memory_id).embedding_model == "other-model"
    assert vector_of(other, memory_id).shape == (32,)


def test_edit_re_embeds_when_cheap(services):
    memory_id = services.memory.remember("old words")
    before = vector_of(services, memory_id)
    services.memory.edit(memory_id, "completely different words")
    after = vector_of(services, memory_id)
    assert after is not None and not np.allclose(before, after)


def test_missing_embeddings_query_skips_done_rows(unembedded_services):
    services = unembedded_services
    first = services.memory.remember("a")
    second = services.memory.remember("b")
    db = services.bank.db()
    assert [i for i, _ in rows.missing_embeddings(db, "fake-hashing", 10)] == [first, second]
    assert [i for i, _ in rows.missing_embeddings(db, "fake-hashing", 10, after_id=first)] \
        == [second]


@pytest.mark.real_model
def test_real_embedder_vectors_are_stored_encrypted_as_float32(bank, clock, home):
    embedder = real_embedder()
    services = make(bank, clock, home, embedder, embed_on_write=False)
    ids = [services.memory.remember(t) for t in
           ("I ran 5 km on April 27th", "My sister Ana lives in Porto", "secret-canary-3391")]
    assert embed_pending(services.memory, services.embedder(), batch_size=2) == 3
    vector = vector_of(services, ids[0])
    assert vector.shape == (384,) and vector.dtype == np.float32
    assert services.memory.get(ids[0]).embedding_model == "all-MiniLM-L6-v2"
    direct = embedder.encode(["I ran 5 km on April 27th"])[0]
    assert float(vector @ direct) == pytest.approx(1.0, abs=1e-4)
    hits = services.retriever().search("where does Ana live", mode="dense", k=1)
    assert hits[0].memory.id == ids[1]
    services.bank.close()
    for path in home.rglob("*"):
        if path.is_file():
            data = path.read_bytes()
            assert b"secret-canary-3391" not in data
            assert vector.tobytes()[:64] not in data  # the vector is not in the clear either
