"""The in-memory vector index: built from the encrypted bank, kept current, never on disk."""

from __future__ import annotations

import numpy as np
import pytest

from secondme.clock import Clock
from secondme.memory.embeddings import to_blob
from secondme.memory.service import MemoryService
from secondme.memory.vector_index import VectorIndex
from storage import memories as rows


def unit(*values: float) -> np.ndarray:
    v = np.asarray(values, dtype=np.float32)
    return v / np.linalg.norm(v)


def add(services, text: str, vector: np.ndarray, **kwargs) -> int:
    return services.memory.remember(text, embedding=to_blob(vector), embedding_model="m",
                                    **kwargs)


@pytest.fixture
def plain(unembedded_services):
    return unembedded_services   # these tests place their own vectors


def test_build_search_and_filters(plain):
    a = add(plain, "a", unit(1, 0, 0))
    b = add(plain, "b", unit(0.9, 0.1, 0))
    c = add(plain, "c", unit(0, 1, 0), kind="summary")
    index = VectorIndex(plain.bank, "m").attach(plain.memory)
    hits = index.search(unit(1, 0, 0), 3)
    assert [i for i, _ in hits] == [a, b, c]
    assert hits[0][1] == pytest.approx(1.0)
    assert [i for i, _ in index.search(unit(1, 0, 0), 3, kinds=["summary"])] == [c]
    assert index.search(unit(1, 0, 0), 3, kinds=["nonsense"]) == []
    assert index.stats.dim == 3 and len(index) == 3
    assert index.cosines(unit(0, 1, 0), [a, c, 999]) == pytest.approx({a: 0.0, c: 1.0})


def test_other_models_and_unembedded_memories_are_not_indexed(plain):
    add(plain, "a", unit(1, 0))
    plain.memory.remember("no vector yet")
    plain.memory.remember("other model", embedding=to_blob(unit(1, 0)), embedding_model="x")
    assert len(VectorIndex(plain.bank, "m")) == 0  # lazy: nothing built yet
    index = VectorIndex(plain.bank, "m")
    index.sync()
    assert len(index) == 1


def test_kept_current_through_listeners(plain):
    a = add(plain, "a", unit(1, 0))
    index = VectorIndex(plain.bank, "m").attach(plain.memory)
    index.sync()
    b = add(plain, "b", unit(0, 1))
    assert [i for i, _ in index.search(unit(0, 1), 1)] == [b]

    plain.memory.archive(b)
    assert [i for i, _ in index.search(unit(0, 1), 2)] == [a]
    assert [i for i, _ in index.search(unit(0, 1), 2, include_archived=True)][0] == b
    plain.memory.restore(b)
    assert [i for i, _ in index.search(unit(0, 1), 1)] == [b]

    plain.memory.edit(b, "b edited")  # no embedder hook here: the old vector must go
    assert len(index) == 1 or b not in [i for i, _ in index.search(unit(0, 1), 5)]
    assert b not in [i for i, _ in index.search(unit(0, 1), 5)]

    plain.memory.store_embeddings([(b, to_blob(unit(0, 1)), "b edited")], "m")
    assert [i for i, _ in index.search(unit(0, 1), 1)] == [b]

    plain.memory.forget(a)
    assert [i for i, _ in index.search(unit(1, 0), 5)] == [b]
    assert index.stats.refreshed >= 5


def test_changes_from_another_process_arrive_through_the_audit_tail(plain):
    add(plain, "a", unit(1, 0))
    index = VectorIndex(plain.bank, "m")  # NOT attached: simulates another process's writes
    index.sync()
    other = MemoryService(plain.bank, Clock(plain.clock.now()), plain.memory.decay)
    b = other.remember("b", embedding=to_blob(unit(0, 1)), embedding_model="m")
    assert [i for i, _ in index.search(unit(0, 1), 1)] == [b]
    other.forget(b)
    assert b not in [i for i, _ in index.search(unit(0, 1), 5)]


def test_stale_text_never_gets_a_vector(plain):
    memory_id = plain.memory.remember("old text")
    plain.memory.edit(memory_id, "new text")
    assert plain.memory.store_embeddings([(memory_id, to_blob(unit(1, 0)), "old text")],
                                         "m") == []
    assert plain.memory.get(memory_id).embedding_model is None


def test_many_inserts_then_bulk_rebuild(plain):
    index = VectorIndex(plain.bank, "m").attach(plain.memory)
    index.sync()
    rng = np.random.default_rng(0)
    vectors = rng.normal(size=(1500, 8)).astype(np.float32)
    ids = [add(plain, f"t{i}", v) for i, v in enumerate(vectors)]
    target = 700
    found = index.search(vectors[target], 1)
    assert found[0][0] == ids[target]
    assert len(index) == 1500


def test_dimension_mismatch_is_skipped_not_fatal(plain):
    add(plain, "a", unit(1, 0, 0))
    with plain.bank.write() as db:
        memory_id = rows.insert(db, {"kind": "note", "text": "odd", "event_at": "2024-01-01T00:00:00",
                                     "recorded_at": "2024-01-01T00:00:00", "source": "t",
                                     "last_reinforced_at": "2024-01-01T00:00:00",
                                     "trust": "import", "embedding": to_blob(unit(1, 0)),
                                     "embedding_model": "m"})
    index = VectorIndex(plain.bank, "m")
    index.sync()
    assert len(index) == 1 and index.stats.skipped_dim_mismatch == 1
    assert memory_id not in [i for i, _ in index.search(unit(1, 0, 0), 5)]
    with pytest.raises(ValueError, match="dimension"):
        index.search(unit(1, 0), 1)


def test_no_side_files(plain, home, tmp_path):
    add(plain, "secret-canary-vec", unit(1, 0))
    before = {p for p in tmp_path.rglob("*") if p.is_file()}
    index = VectorIndex(plain.bank, "m").attach(plain.memory)
    index.search(unit(1, 0), 1)
    after = {p for p in tmp_path.rglob("*") if p.is_file()}
    assert after - before <= {p for p in after if p.name.startswith("memory.db")}
