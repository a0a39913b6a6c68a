"""The fusion × retention-floor study behind `bench/retrieval.py --quality`.

Ranks the labeled synthetic cases of tests/retrieval_cases.py among real MemoryBank chat
turns (distractors) with the real embedder, for each fusion method, retention floor and
mode (hybrid, BM25 only, dense only). Kept apart from the latency bench it shares helpers with.
"""

from __future__ import annotations

import json
import random
from dataclasses import replace
from datetime import datetime, timedelta

from bench.retrieval import MEMORYBANK, machine, new_services


def run_quality(args, log) -> dict:
    from secondme.clock import parse_when
    from secondme.memory.embed import embed_pending
    from secondme.memory.embeddings import SentenceTransformerEmbedder
    from secondme.memory.retrieval import HybridRetriever, RetrievalParams
    from tests.retrieval_cases import CASES, MEMORIES
    from tests.retrieval_cases import NOW as CASES_NOW

    embedder = SentenceTransformerEmbedder()
    workdir = args.workdir
    services = new_services(workdir, embedder, CASES_NOW, embed_on_write=False)
    ids = {key: services.memory.remember(text, at=parse_when(at))
           for key, (text, at) in MEMORIES.items()}
    rng = random.Random(args.seed)
    fillers = []
    if MEMORYBANK.exists():
        data = json.loads(MEMORYBANK.read_text(encoding="utf-8"))
        fillers = [p["query"] for u in data.values() for d in u["history"].values() for p in d]
        rng.shuffle(fillers)
    for text in fillers[:args.fillers]:
        services.memory.remember(text, kind="turn", source="chat",
                                 at=CASES_NOW - timedelta(days=rng.uniform(2, 40)))
    log(f"embedding {len(MEMORIES) + min(len(fillers), args.fillers)} memories…")
    embed_pending(services.memory, embedder)
    vectors = embedder.encode([c.query for c in CASES])

    base = RetrievalParams()
    grid = {"rrf k=60": replace(base, fusion="rrf", rrf_k=60),
            "minmax": replace(base, fusion="minmax"),
            "relative": replace(base, fusion="relative")}
    floors = [0.0, 0.3, 0.5, 0.7, 0.8, 0.9, 1.0]
    rows_out = []
    for name, params in grid.items():
        for floor in floors:
            retriever = HybridRetriever(services.memory, embedder,
                                        params=replace(params, retention_floor=floor))
            for mode in ("hybrid", "bm25", "dense"):
                ranks = []
                for case, vector in zip(CASES, vectors, strict=True):
                    hits = retriever.search_with_vector(case.query, vector, k=10, mode=mode)
                    ranked = [h.memory.id for h in hits]
                    target = ids[case.answer]
                    ranks.append((case.kind, ranked.index(target) + 1 if target in ranked
                                  else None))
                n = len(ranks)
                by_kind = {}
                for kind in dict.fromkeys(k for k, _ in ranks):
                    mine = [r for k, r in ranks if k == kind]
                    by_kind[kind] = round(sum(r == 1 for r in mine) / len(mine), 3)
                rows_out.append({
                    "fusion": name, "floor": floor, "mode": mode,
                    "hit@1": round(sum(r == 1 for _, r in ranks) / n, 3),
                    "hit@3": round(sum(bool(r and r <= 3) for _, r in ranks) / n, 3),
                    "mrr": round(sum(1 / r for _, r in ranks if r) / n, 3),
                    "hit@1_by_kind": by_kind})
        log(f"{name} done")
    services.close()
    return {"bench": "retrieval_quality", "date": datetime.now().isoformat(timespec="seconds"),
            "machine": machine(), "cases": len(CASES), "memories": len(MEMORIES),
            "fillers": min(len(fillers), args.fillers), "rows": rows_out}


def quality_table(report: dict) -> str:
    kinds = list(report["rows"][0]["hit@1_by_kind"])
    lines = ["| fusion | floor | mode | hit@1 | hit@3 | MRR | " + " | ".join(
        f"{k} hit@1" for k in kinds) + " |", "|---|---|---|---|---|---|" + "---|" * len(kinds)]
    for r in report["rows"]:
        lines.append(f"| {r['fusion']} | {r['floor']} | {r['mode']} | {r['hit@1']:.3f} | "
                     f"{r['hit@3']:.3f} | {r['mrr']:.3f} | " + " | ".join(
                         f"{r['hit@1_by_kind'][k]:.2f}" for k in kinds) + " |")
    return "\n".join(lines)
