"""Retrieval speed at personal scale (10k and 100k memories), and a fusion/retention study.

Default run (a few minutes on 2 cores):
  * raw `encode()` throughput of the real embedder (all-MiniLM-L6-v2) vs insert throughput
    (remember → embed_pending: encode + store float32 in the encrypted bank + audit);
  * for 10k and 100k synthetic memories of realistic lengths in a temporary encrypted bank:
    index build time from the stored BLOBs, and p50/p95 search latency of HybridRetriever
    with and without query embedding, next to plain numpy brute-force cosine (M @ q + top-k)
    over the very same matrix, in the same run.
    The stored vectors of the synthetic memories are random unit vectors (embedding 110k
    texts would take ~20 minutes here); query vectors come from the real embedder. Latency
    does not depend on the vectors' content; it is reported honestly as such.

`--quality` instead measures ranking quality on the labeled synthetic set in
tests/retrieval_cases.py (+300 real chat turns from the MemoryBank data as distractors),
for each fusion method and retention floor, with the real embedder.

Writes bench/out/retrieval.json (or retrieval_quality.json) and prints a Markdown table.
"""

from __future__ import annotations

import argparse
import json
import platform
import random
import re
import secrets
import statistics
import sys
import tempfile
import time
from datetime import datetime, timedelta
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.machine import machine_info  # noqa: E402

OUT = ROOT / "bench" / "out"
MEMORYBANK = Path("/work/shared/data/memorybank/en/memory_bank_en.json")
NOW = datetime(2024, 5, 1, 12, 0)
GOAL_P95_MS = 25.0
GOAL_INSERT_RATIO = 0.8

_FALLBACK_WORDS = """
morning coffee walk park river sister brother mother father friend work meeting project
deadline doctor dentist appointment run gym climbing book novel movie cinema dinner lunch
pasta risotto garden plants balcony rain sun trip train flight hotel beach mountain hike
music concert guitar piano painting museum exhibition market groceries bills rent landlord
car bike repair phone laptop email birthday party gift holiday weekend week month year
""".split()  # noqa: SIM905


def vocabulary() -> list[str]:
    """Real English words, from the MemoryBank chats if present."""
    if MEMORYBANK.exists():
        data = json.loads(MEMORYBANK.read_text(encoding="utf-8"))
        words = [w.lower() for user in data.values() for day in user["history"].values()
                 for pair in day for w in re.findall(r"[A-Za-z']+", pair["query"] + " "
                                                     + pair["response"])]
        return words
    return _FALLBACK_WORDS * 50


def synthetic_texts(n: int, rng: random.Random, words: list[str]) -> list[tuple[str, str]]:
    """(kind, text): 70% chat turns (~40–400 chars), 30% note chunks (~200–1500 chars)."""
    out = []
    for _ in range(n):
        if rng.random() < 0.7:
            kind, length = "turn", int(min(400, max(40, rng.lognormvariate(4.8, 0.6))))
        else:
            kind, length = "note", int(min(1500, max(200, rng.lognormvariate(6.2, 0.5))))
        pieces, size = [], 0
        while size < length:
            word = rng.choice(words)
            pieces.append(word)
            size += len(word) + 1
        text = " ".join(pieces)
        out.append((kind, text[0].upper() + text[1:] + "."))
    return out


def queries(n: int, rng: random.Random, words: list[str]) -> list[str]:
    stems = ["what did I say about", "when did I", "tell me about", "do I remember",
             "how was the", "who recommended"]
    tails = ["", "", "", " last week", " yesterday", " in April", " on March 3rd"]
    return [f"{rng.choice(stems)} {' '.join(rng.choice(words) for _ in range(rng.randint(2, 5)))}"
            f"{rng.choice(tails)}" for _ in range(n)]


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def ms_stats(values: list[float]) -> dict[str, float]:
    return {"p50_ms": round(pct(values, 0.5) * 1000, 2), "p95_ms": round(pct(values, 0.95) * 1000, 2),
            "mean_ms": round(statistics.fmean(values) * 1000, 2), "n": len(values)}


def new_services(workdir: Path, embedder, now: datetime = NOW, *, embed_on_write: bool = True):
    from secondme.clock import Clock
    from secondme.config import load_settings
    from secondme.services import build_services
    from storage import FAST_KDF, create_bank

    home = Path(tempfile.mkdtemp(prefix="bench-retrieval-", dir=workdir)) / "bank"
    bank = create_bank(home, secrets.token_urlsafe(16), FAST_KDF)
    return build_services(load_settings(home), bank, Clock(now), embedder=embedder,
                          embed_on_write=embed_on_write)


# -- throughput ---------------------------------------------------------------------------

def throughput(embedder, workdir: Path, texts: list[str], log, rounds: int = 4) -> dict:
    """Raw encode() vs embed_pending over the same texts, interleaved round by round.

    Alternating the two (and their order) keeps a shared, noisy machine from favouring
    whichever happened to run in a quiet moment.
    """
    from secondme.memory.embed import embed_pending

    services = new_services(workdir, embedder, embed_on_write=False)
    embedder.encode(texts[:32])  # warm up (first call allocates)
    raw_s = insert_s = 0.0
    stored = 0
    size = -(-len(texts) // rounds)
    try:
        for i in range(rounds):
            chunk = texts[i * size:(i + 1) * size]
            for text in chunk:
                services.memory.remember(text, kind="note", source="bench", trust="import")
            for step in (("raw", "insert") if i % 2 == 0 else ("insert", "raw")):
                started = time.perf_counter()
                if step == "raw":
                    embedder.encode(chunk)
                    raw_s += time.perf_counter() - started
                else:
                    stored += embed_pending(services.memory, embedder, batch_size=256)
                    insert_s += time.perf_counter() - started
        raw, insert = len(texts) / raw_s, stored / insert_s
        log(f"raw encode {raw:.1f}/s, embed_pending (encode + store) {insert:.1f}/s")

        # on-write path: one chat turn at a time, embedder loaded (what a live chat does)
        services.close()
        services = new_services(workdir, embedder)
        sample = texts[:64]
        started = time.perf_counter()
        for text in sample:
            services.memory.remember(text, kind="turn", source="bench")
        on_write = len(sample) / (time.perf_counter() - started)
        log(f"remember + embed on write (one at a time): {on_write:.1f} memories/s")
    finally:
        services.close()
    return {"texts": len(texts), "raw_encode_per_s": round(raw, 1),
            "insert_per_s": round(insert, 1), "insert_vs_raw": round(insert / raw, 3),
            "remember_embed_on_write_per_s": round(on_write, 1)}


# -- latency ------------------------------------------------------------------------------

def bulk_load(services, n: int, dim: int, model: str, rng: random.Random, words: list[str],
              log) -> float:
    """Fills a bank quickly: big transactions, random unit vectors (see module doc)."""
    from secondme.memory.embeddings import to_blob
    from storage import memories as rows

    nrng = np.random.default_rng(rng.randrange(1 << 30))
    started = time.perf_counter()
    batch = 5000
    for start in range(0, n, batch):
        size = min(batch, n - start)
        texts = synthetic_texts(size, rng, words)
        vectors = nrng.standard_normal((size, dim)).astype(np.float32)
        vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
        with services.bank.write() as db:
            for j, ((kind, text), vector) in enumerate(zip(texts, vectors, strict=True)):
                session = f"bench/{(start + j) // 25}" if kind == "turn" else None  # chats
                at = (NOW - timedelta(days=rng.uniform(0, 40))).replace(microsecond=0).isoformat()
                rows.insert(db, {"kind": kind, "text": text, "event_at": at, "recorded_at": at,
                                 "source": "bench", "last_reinforced_at": at,
                                 "trust": "import" if kind == "note" else "user",
                                 "session_id": session, "strength": 2.0, "embedding": to_blob(vector),
                                 "embedding_model": model})
        log(f"  inserted {start + size}/{n}")
    return time.perf_counter() - started


def latency(size: int, embedder, workdir: Path, query_texts: list[str], query_vectors,
            rng: random.Random, words: list[str], log) -> dict:
    from secondme.memory.recall_levers import LeverParams
    from secondme.memory.retrieval import HybridRetriever
    from secondme.memory.vector_index import VectorIndex

    services = new_services(workdir, embedder)
    try:
        dim = int(query_vectors.shape[1])
        load_s = bulk_load(services, size, dim, embedder.name, rng, words, log)
        index = VectorIndex(services.bank, embedder.name)
        started = time.perf_counter()
        index.build()
        build_s = time.perf_counter() - started
        log(f"  {size}: loaded in {load_s:.1f}s, index built in {build_s:.2f}s")
        retriever = HybridRetriever(services.memory, embedder, index=index)
        index.attach(services.memory)

        def timed(fn) -> list[float]:
            fn(0)  # warm
            out = []
            for i in range(len(query_texts)):
                t = time.perf_counter()
                fn(i)
                out.append(time.perf_counter() - t)
            return out

        hybrid = timed(lambda i: retriever.search_with_vector(query_texts[i], query_vectors[i]))
        no_levers = HybridRetriever(services.memory, embedder, index=index, levers=LeverParams(
            session_weight=0.0, speaker_weight=0.0, list_speaker_weight=0.0))
        plain = timed(lambda i: no_levers.search_with_vector(query_texts[i], query_vectors[i]))
        bm25 = timed(lambda i: retriever.search(query_texts[i], mode="bm25"))
        dense_index = timed(lambda i: index.search(query_vectors[i], 100))
        matrix = index._matrix[:len(index)]  # the very same matrix, searched by plain numpy

        def brute(i: int) -> None:
            scores = matrix @ query_vectors[i]
            top = np.argpartition(-scores, 100)[:100]
            top[np.argsort(-scores[top])]

        numpy_brute = timed(brute)
        # the real thing end to end: search() embeds the query itself
        with_embedding = timed(lambda i: retriever.search(query_texts[i]))
        result = {
            "memories": size, "bulk_load_s": round(load_s, 1),
            "index_build_s": round(build_s, 3), "matrix_mb": round(matrix.nbytes / 2**20, 1),
            "hybrid_no_query_embedding": ms_stats(hybrid),
            "hybrid_levers_off_no_query_embedding": ms_stats(plain),
            "hybrid_with_query_embedding": ms_stats(with_embedding),
            "bm25_only": ms_stats(bm25),
            "vector_index_top100": ms_stats(dense_index),
            "numpy_bruteforce_top100": ms_stats(numpy_brute),
        }
        return result
    finally:
        services.close()
        import shutil

        shutil.rmtree(services.bank.paths.home.parent, ignore_errors=True)


def run_latency(args, log) -> dict:
    import os

    from secondme.memory.embeddings import SentenceTransformerEmbedder

    load_start = os.getloadavg()[0]
    rng = random.Random(args.seed)
    words = vocabulary()
    embedder = SentenceTransformerEmbedder()
    started = time.perf_counter()
    embedder.load()
    load_s = time.perf_counter() - started
    log(f"embedder loaded in {load_s:.1f}s")
    workdir = args.workdir

    sample = [t for _, t in synthetic_texts(args.encode_texts, rng, words)]
    tp = throughput(embedder, workdir, sample, log)

    query_texts = queries(args.queries, rng, words)
    single_encode = []
    for text in query_texts:
        t = time.perf_counter()
        embedder.encode([text])
        single_encode.append(time.perf_counter() - t)
    query_vectors = embedder.encode(query_texts)
    log(f"query embedding: p50 {pct(single_encode, 0.5) * 1000:.1f} ms")

    sizes = [int(s) for s in args.sizes.split(",") if s]
    results = [latency(size, embedder, workdir, query_texts, query_vectors, rng, words, log)
               for size in sizes]
    return {
        "bench": "retrieval", "date": datetime.now().isoformat(timespec="seconds"),
        "machine": machine(), "embedder": embedder.name, "embedder_load_s": round(load_s, 2),
        "stored_vectors": "random unit vectors (synthetic); query vectors from the real embedder",
        "query_embedding": ms_stats(single_encode), "throughput": tp, "sizes": results,
        "goals": {"p95_ms_at_100k_excluding_query_embedding": GOAL_P95_MS,
                  "insert_vs_raw_encode": GOAL_INSERT_RATIO},
        "load_average": {"start": round(load_start, 2), "end": round(os.getloadavg()[0], 2)},
    }


def machine() -> dict:
    return machine_info(numpy=np.__version__, platform=platform.platform(terse=True))


def latency_table(report: dict) -> str:
    m, load = report["machine"], report.get("load_average", {})
    lines = [f"Measured {report['date'][:16].replace('T', ' ')} on {m['cpu']}, {m['cores']} cores, "
             f"Python {m['python']}, numpy {m['numpy']}"
             + (f"; load average {load['start']} at start, {load['end']} at end"
                if load else "") + ". Top-k 8, 50 candidates per signal, 200 queries.", "",
             "| memories | index build | hybrid p50 / p95 (no query emb.) | hybrid p50 / p95 "
             "(with query emb.) | BM25 only p50 / p95 | vector index p50 / p95 | numpy brute "
             "force p50 / p95 |", "|---|---|---|---|---|---|---|"]
    for r in report["sizes"]:
        def pair(key: str, r: dict = r) -> str:
            return f"{r[key]['p50_ms']:.1f} / {r[key]['p95_ms']:.1f} ms"
        lines.append(f"| {r['memories']:,} | {r['index_build_s']:.2f} s | "
                     f"{pair('hybrid_no_query_embedding')} | {pair('hybrid_with_query_embedding')} | "
                     f"{pair('bm25_only')} | {pair('vector_index_top100')} | "
                     f"{pair('numpy_bruteforce_top100')} |")
    tp = report["throughput"]
    q = report["query_embedding"]
    lines += ["", "| throughput | texts/s |", "|---|---|",
              f"| raw `encode()` ({tp['texts']} synthetic texts, batch) | {tp['raw_encode_per_s']} |",
              f"| insert: `embed_pending` (encode + store in the encrypted bank) | "
              f"{tp['insert_per_s']} ({tp['insert_vs_raw']:.2f}× raw) |",
              f"| `remember` + embed-on-write, one at a time (64 of the same texts) | "
              f"{tp['remember_embed_on_write_per_s']} |",
              "", f"Query embedding alone: p50 {q['p50_ms']:.1f} ms, p95 {q['p95_ms']:.1f} ms. "
              f"Stored vectors: {report['stored_vectors']}."]
    big = [r for r in report["sizes"] if r["memories"] >= 100_000]
    if big:
        p95 = big[0]["hybrid_no_query_embedding"]["p95_ms"]
        verdict = "met" if p95 <= GOAL_P95_MS else f"missed by {p95 - GOAL_P95_MS:.1f} ms"
        lines.append(f"Goal p95 ≤ {GOAL_P95_MS:.0f} ms at 100k (excluding query embedding): "
                     f"{p95:.1f} ms, {verdict}.")
    ratio = tp["insert_vs_raw"]
    lines.append(f"Goal insert ≥ {GOAL_INSERT_RATIO}× raw encode: {ratio:.2f}×, "
                 f"{'met' if ratio >= GOAL_INSERT_RATIO else 'missed'}.")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="10000,100000")
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--encode-texts", type=int, default=512)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--quality", action="store_true",
                        help="fusion × retention-floor study on the labeled set instead")
    parser.add_argument("--fillers", type=int, default=300)
    parser.add_argument("--out", type=Path, default=None)
    args = parser.parse_args()

    def log(message: str) -> None:
        print(message, file=sys.stderr, flush=True)

    OUT.mkdir(parents=True, exist_ok=True)
    import shutil

    workdir = Path(tempfile.mkdtemp(prefix="secondme-bench-"))
    args.workdir = workdir
    try:
        report, table, out = _run(args, log)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)  # encrypted, but hundreds of MB
    report["markdown"] = table
    out.write_text(json.dumps(report, indent=1), encoding="utf-8")
    m = report["machine"]
    print(f"Machine: {m['cpu']}, {m['cores']} cores, Python {m['python']}, "
          f"numpy {m['numpy']}; {report['date']}\n")
    print(table)
    print(f"\n(JSON: {out.relative_to(ROOT) if out.is_relative_to(ROOT) else out})")


def _run(args, log) -> tuple[dict, str, Path]:
    if args.quality:
        from bench.retrieval_quality import quality_table, run_quality

        report = run_quality(args, log)
        table = quality_table(report)
        out = args.out or OUT / "retrieval_quality.json"
    else:
        report = run_latency(args, log)
        table = latency_table(report)
        out = args.out or OUT / "retrieval.json"
    return report, table, out


if __name__ == "__main__":
    main()
