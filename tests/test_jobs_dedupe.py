"""Dedupe never hides information: only true duplicates are merged, near ones are linked,
every merge is visible and reversible, and a log-like note stays searchable (issue 15.3)."""

from __future__ import annotations

import pytest

from secondme import jobs
from secondme.importers.service import import_paths
from secondme.jobs.dedupe import adds_information, normalised
from secondme.jobs.runner import JobOptions

from .fakes import HashingEmbedder


@pytest.fixture
def embedder() -> HashingEmbedder:
    # Blind to digits, as a real sentence embedder nearly is: "5.2 km" ≈ "5.3 km".
    return HashingEmbedder(synonyms={str(n): "0" for n in range(10_000)})


def _run(services, name: str):
    (result,) = jobs.run(services, name, options=JobOptions(use_llm=False))
    assert result.status == "ok", result.error
    return result


def test_normalisation_and_information_are_pure_text_checks():
    assert normalised("  The Key, under the POT! ") == normalised("the key under the pot")
    assert not adds_information("The key is under the pot!", "the key is under the pot.")
    assert adds_information("run 5.3 km pace 5:31", "run 5.2 km pace 5:31")
    assert adds_information("lunch with Tom at noon", "lunch with Sam at noon")
    assert not adds_information("lunch with Sam", "lunch with Sam at noon")


def test_a_near_duplicate_with_its_own_number_is_linked_not_archived(services):
    a = services.memory.remember("2024-05-01 09:13 run 5.2 km pace 5:31 in the park")
    b = services.memory.remember("2024-05-02 09:13 run 5.4 km pace 5:29 in the park")
    result = _run(services, "dedupe")
    assert result.counts["near"] == 0 and result.counts["linked"] == 1
    kept = services.memory.get(b)
    assert kept.state == "active" and kept.meta["near_duplicate_of"] == a
    assert "merged_into" not in kept.meta
    (entry,) = [e for e in services.memory.history(b) if e["action"] == "link"]
    assert f"#{a}" in entry["note"]
    assert _run(services, "dedupe").counts["linked"] == 0          # once, not every run


def test_a_merge_names_the_kept_memory_and_restore_brings_it_back(services):
    a = services.memory.remember("The spare key is under the blue pot.")
    b = services.memory.remember("the spare key is under the blue pot")
    result = _run(services, "dedupe")
    assert result.counts["near"] == 1 and services.memory.get(b).state == "archived"
    (entry,) = [e for e in services.memory.history(b) if e["action"] == "merged_into"]
    assert entry["after"]["merged_into"] == a and f"#{a}" in entry["note"]
    assert f"memory restore {b}" in entry["note"]
    services.memory.restore(b)
    _run(services, "dedupe")
    assert services.memory.get(b).state == "active"               # not merged a second time


def _log(path, lines: int):
    with path.open("w") as out:
        for n in range(lines):
            day, minute = 1 + n % 28, n % 60
            out.write(f"2024-05-{day:02d} 09:{minute:02d} run {3 + n % 70 / 10:.1f} km pace "
                      f"5:{n % 60:02d} id {100000 + n}\n")


def _every_chunk_searchable(services, tmp_path, lines: int) -> None:
    note = tmp_path / "runs.txt"
    _log(note, lines)
    report = import_paths(services, [note])
    assert report is not None
    for name in jobs.names("all"):
        _run(services, name)
    retriever = services.retriever()
    chunks = _note_chunks(services)
    assert len(chunks) > 5
    for memory in chunks:
        assert memory.state == "active", memory.meta
        first_id = memory.text.split(" id ", 1)[1].split()[0]
        hits = retriever.search(first_id, k=3, mode="bm25")
        assert memory.id in [h.memory.id for h in hits]


def _note_chunks(services):
    everything = services.memory.get_many(range(1, services.memory.count(None) + 100))
    return [m for m in everything.values() if m.kind == "note"]


def test_a_log_like_note_stays_searchable_chunk_by_chunk_after_all_jobs(services, tmp_path):
    _every_chunk_searchable(services, tmp_path, 600)


@pytest.mark.slow
def test_a_5_mb_log_like_note_stays_searchable_after_all_jobs(services, tmp_path):
    _every_chunk_searchable(services, tmp_path, 90_000)          # ≈ 5 MB
