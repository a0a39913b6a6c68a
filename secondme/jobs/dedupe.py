"""`dedupe`: fold duplicate memories into the oldest copy, keeping every provenance.

Dedupe never hides information. Exact duplicates share a content hash; near
duplicates have cosine ≥ 0.97 between vectors of the same embedder, but a near
duplicate is merged only when it says nothing the kept one does not (the same text
after case, whitespace and punctuation, or every name, number, date and word of it
already in the kept one). Otherwise it is *linked* (`meta.near_duplicate_of`, an
audit `link` row) and stays active: a log line "run 5.2 km" is not "run 5.3 km".
Every merge names the kept memory in the archived one's history, and `secondme
memory restore ID` brings it back (it is never a candidate again). The older memory survives and lists the newer one in
`meta.merged_from` (source, source_ref, trust, event time); the newer one is
archived, never deleted, with `meta.merged_into`. The survivor's trust drops to the
lower of the two: a sentence the user said *and* an imported note said is only as
trustworthy as the note. Two watermarks: `last_id` for exact matches, `near_id`
for vectors (held back behind the first memory still waiting for its vector).
"""

from __future__ import annotations

import re
import unicodedata

import numpy as np

from storage import dedupe as queries
from storage import memories as rows

from ..faithfulness import unsupported
from ..memory.batch import MemoryWrites
from .runner import JobContext

NEAR = 0.97
BATCH = 200
CHUNK = 4096
TRUST_ORDER = ("import", "assistant", "derived", "user")   # lowest first


def lower_trust(a: str, b: str) -> str:
    rank = {t: i for i, t in enumerate(TRUST_ORDER)}
    return a if rank.get(a, 0) <= rank.get(b, 0) else b


_PUNCT = re.compile(r"[^\w\s]+")


def normalised(text: str) -> str:
    """Text with case, whitespace and punctuation set aside: what 'the same content' means."""
    return " ".join(_PUNCT.sub(" ", unicodedata.normalize("NFKC", text).casefold()).split())


def adds_information(text: str, kept: str) -> bool:
    """`text` holds a name, number, date, relation or word that `kept` does not."""
    return normalised(text) != normalised(kept) and bool(unsupported(text, kept))


def link(ctx: JobContext, writes: MemoryWrites, survivor_id: int, duplicate_id: int,
         similarity: float) -> bool:
    """Marks a near duplicate that carries its own information; it stays active."""
    duplicate = rows.get(writes.db, duplicate_id)
    if duplicate is None or "near_duplicate_of" in duplicate.meta:
        return False
    similarity = round(float(similarity), 4)
    writes.update(duplicate.id, {"meta": {**duplicate.meta, "near_duplicate_of": survivor_id,
                                          "similarity": similarity}},
                  action="link", actor="dedupe", at=ctx.services.clock.now_iso(),
                  after={"near_duplicate_of": survivor_id, "similarity": similarity},
                  note=f"similar to #{survivor_id} but with its own details: kept active")
    return True


def merge(ctx: JobContext, writes: MemoryWrites, survivor_id: int, duplicate_id: int, how: str,
          similarity: float) -> bool:
    db = writes.db
    survivor, duplicate = rows.get(db, survivor_id), rows.get(db, duplicate_id)
    if survivor is None or duplicate is None or "merged_into" in duplicate.meta:
        return False
    now = ctx.services.clock.now_iso()
    merged_from = [*survivor.meta.get("merged_from", []), {
        "id": duplicate.id, "source": duplicate.source, "source_ref": duplicate.source_ref,
        "trust": duplicate.trust, "event_at": duplicate.event_at, "how": how,
        "similarity": round(float(similarity), 4)}]
    trust = lower_trust(survivor.trust, duplicate.trust)
    writes.update(survivor.id, {"meta": {**survivor.meta, "merged_from": merged_from},
                                "trust": trust,
                                "importance": max(survivor.importance, duplicate.importance),
                                "recall_count": survivor.recall_count + duplicate.recall_count},
                  action="merge", actor="dedupe", at=now, before={"trust": survivor.trust},
                  after={"trust": trust, "merged_from": duplicate.id, "how": how})
    writes.update(duplicate.id, {"meta": {**duplicate.meta, "merged_into": survivor.id}},
                  action="merged_into", actor="dedupe", at=now,
                  after={"merged_into": survivor.id, "how": how},
                  note=f"merged into #{survivor.id} ({how} duplicate); "
                       f"`secondme memory restore {duplicate.id}` brings it back")
    if duplicate.state == "active":
        ctx.services.memory.archive(duplicate.id, actor="dedupe")
    return True


def run(ctx: JobContext) -> None:
    ctx.counts.update({"checked": 0, "exact": 0, "near": 0, "linked": 0})
    _exact(ctx)
    if not ctx.cancelled:
        _near(ctx)


def _exact(ctx: JobContext) -> None:
    bank = ctx.services.bank
    total = queries.count_new(bank.db(), int(ctx.watermark().get("last_id", 0)))
    ctx.report("dedupe", 0, total)
    while not ctx.cancelled:
        mark = ctx.watermark()
        batch = queries.new_memories(bank.db(), int(mark.get("last_id", 0)), BATCH)
        if not batch:
            return
        with ctx.services.memory.batch() as writes:
            db = writes.db
            for row in batch:
                ctx.counts["checked"] += 1
                if row["state"] != "active":
                    continue
                twin = queries.older_twin(db, row["kind"], row["content_hash"], row["id"])
                if twin is not None and merge(ctx, writes, twin, row["id"], "exact", 1.0):
                    ctx.counts["exact"] += 1
            ctx.save_watermark(db, {**mark, "last_id": batch[-1]["id"]})
        ctx.report("dedupe", ctx.counts["checked"], max(total, ctx.counts["checked"]))


def _vectors(items: list[tuple[int, str, bytes]]) -> np.ndarray:
    return np.vstack([np.frombuffer(blob, dtype=np.float32) for _, _, blob in items])


def _near(ctx: JobContext) -> None:
    bank = ctx.services.bank
    model = queries.dominant_model(bank.db())
    if model is None:
        return
    while not ctx.cancelled:
        mark = ctx.watermark()
        after = int(mark.get("near_id", 0))
        batch = queries.embedded(bank.db(), model, after, BATCH)
        if not batch:
            return
        pairs = _best_older(bank.db(), model, batch)
        with ctx.services.memory.batch() as writes:
            db = writes.db
            texts = rows.get_many(db, [i for pair in pairs.items() for i in (pair[0], pair[1][0])])
            for duplicate_id, (survivor_id, similarity) in pairs.items():
                duplicate, survivor = texts.get(duplicate_id), texts.get(survivor_id)
                if duplicate is None or survivor is None:
                    continue
                if adds_information(duplicate.text, survivor.text):
                    if link(ctx, writes, survivor_id, duplicate_id, similarity):
                        ctx.counts["linked"] += 1
                elif merge(ctx, writes, survivor_id, duplicate_id, "near", similarity):
                    ctx.counts["near"] += 1
            # Don't step over memories still waiting for a vector: they must be compared too.
            waiting = queries.first_unembedded(db, model, after)
            last = batch[-1][0] if waiting is None else min(batch[-1][0], waiting - 1)
            ctx.save_watermark(db, {**mark, "near_id": max(last, after)})
        if waiting is not None and waiting <= batch[-1][0]:
            return


def _best_older(db, model: str, batch: list[tuple[int, str, bytes]]) -> dict[int, tuple[int, float]]:
    """For each new memory, its most similar *older* active memory of the same kind (≥ NEAR)."""
    new = _vectors(batch)
    ids = np.array([i for i, _, _ in batch])
    kinds = np.array([k for _, k, _ in batch])
    best: dict[int, tuple[int, float]] = {}
    cursor = 0
    top = int(ids.max())
    while True:
        chunk = queries.embedded(db, model, cursor, CHUNK, before_id=top)
        if not chunk:
            break
        cursor = chunk[-1][0]
        old = _vectors(chunk)
        if old.shape[1] != new.shape[1]:
            break
        sims = new @ old.T
        old_ids = np.array([i for i, _, _ in chunk])
        old_kinds = np.array([k for _, k, _ in chunk])
        valid = (old_ids[None, :] < ids[:, None]) & (old_kinds[None, :] == kinds[:, None])
        sims = np.where(valid, sims, -1.0)
        for row in np.nonzero(sims.max(axis=1) >= NEAR)[0]:
            col = int(sims[row].argmax())
            memory_id = int(ids[row])
            if sims[row, col] > best.get(memory_id, (0, -1.0))[1]:
                best[memory_id] = (int(old_ids[col]), float(sims[row, col]))
    # A chain (c ≈ b ≈ a, all new) resolves to the oldest survivor.
    for memory_id in sorted(best):
        survivor, similarity = best[memory_id]
        while survivor in best:
            survivor = best[survivor][0]
        best[memory_id] = (survivor, similarity)
    return best
