"""Chat speed: is Second Me's plumbing free, compared to the model itself?

1. Tokens/s through `ChatSession` vs raw llama-cpp-python, same model, same prompt,
   same sampling (greedy), same length (stops off, fixed max tokens). Goal ratio ≥ 0.95.
2. Enter → first token overhead at 10k memories: `ChatSession.prepare` (store the
   message, hybrid recall with the real embedder, profile/summaries, prompt packing with
   the model's tokenizer). Goal ≤ 100 ms. The 10k memories get random unit embeddings,
   written directly through storage, for speed.
3. Unlock → input ready in the real TUI (headless pilot, default Argon2id parameters):
   from pressing Enter on the unlock screen to the chat input having focus. Goal ≤ 1.5 s.

Prints a table; writes bench/out/chat.json.  Usage: python bench/chat.py [--quick]
"""

from __future__ import annotations

import asyncio
import json
import os
import platform
import statistics
import sys
import tempfile
import time
from datetime import datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("HF_HUB_OFFLINE", "1")

import numpy as np  # noqa: E402

from secondme.clock import Clock  # noqa: E402
from secondme.config import load_settings  # noqa: E402
from secondme.conversation.session import ChatSession  # noqa: E402
from secondme.memory.embeddings import prefer_single_thread_torch, to_blob  # noqa: E402
from secondme.services import build_services, load_embedder, load_model  # noqa: E402
from storage import DEFAULT_KDF, FAST_KDF, create_bank  # noqa: E402
from storage import memories as rows  # noqa: E402

QUESTION = "Tell me everything you remember about my sister Ana and her life in Porto."
PASSPHRASE = "bench passphrase, not a secret"
WORDS = ["sister", "brother", "Ana", "Tom", "Porto", "Lisbon", "river", "bike", "garden", "coffee", "train", "work", "meeting", "birthday", "doctor", "holiday", "book", "film", "recipe", "lunch", "dinner", "friend", "walk", "rain", "sun", "beach", "concert", "guitar", "school", "project", "deadline", "market", "flat", "move", "call", "letter", "photo", "dog", "cat"]


def median(xs: list[float]) -> float:
    return statistics.median(xs) if xs else float("nan")


def p95(xs: list[float]) -> float:
    return sorted(xs)[max(0, int(round(0.95 * len(xs))) - 1)] if xs else float("nan")


# -- 1. tokens/s ----------------------------------------------------------------------
def decode_rate(stamps: list[float]) -> float:
    return (len(stamps) - 1) / (stamps[-1] - stamps[0]) if len(stamps) > 1 else float("nan")


def bench_tokens(services, reps: int, max_tokens: int) -> dict:
    model = services.model()
    llm = model._llm   # the raw llama_cpp.Llama inside the adapter
    session = ChatSession(services, store=False)
    seen: dict[str, str] = {}

    def through_session() -> tuple[float, int, str]:
        stamps: list[float] = []

        def same_length(prepared) -> None:   # no early stop: both sides make max_tokens
            prepared.prompt.stop = []
            prepared.prompt.max_tokens = max_tokens
            seen["prompt"] = prepared.prompt.text

        result = session.reply(QUESTION, on_piece=lambda _: stamps.append(time.perf_counter()),
                               on_prepared=same_length)
        session.new_conversation()
        return decode_rate(stamps), len(stamps), result.text

    def raw(prompt: str) -> tuple[float, int, str]:
        stamps: list[float] = []
        pieces = []
        for chunk in llm.create_completion(prompt=prompt, max_tokens=max_tokens, stop=[],
                                           temperature=0.0, top_p=0.95, top_k=64,
                                           repeat_penalty=1.1, stream=True):
            piece = chunk["choices"][0].get("text") or ""
            if piece:
                stamps.append(time.perf_counter())
                pieces.append(piece)
        return decode_rate(stamps), len(stamps), "".join(pieces)

    through_session()   # warm-up: loads everything, fills the prompt cache
    prompt = seen["prompt"]
    raw(prompt)
    s_rates, r_rates, s_tokens, r_tokens = [], [], [], []
    for _ in range(reps):   # interleaved, so drifting machine load hits both alike
        rate, n, s_text = through_session()
        s_rates.append(rate)
        s_tokens.append(n)
        rate, n, r_text = raw(prompt)
        r_rates.append(rate)
        r_tokens.append(n)
    return {
        "prompt_tokens": model.count_tokens(prompt), "max_tokens": max_tokens,
        "session_tokens_per_s": round(median(s_rates), 2),
        "raw_tokens_per_s": round(median(r_rates), 2),
        "ratio": round(median(s_rates) / median(r_rates), 3),
        "session_runs": [round(r, 2) for r in s_rates], "raw_runs": [round(r, 2) for r in r_rates],
        "tokens_session": s_tokens, "tokens_raw": r_tokens,
        "same_text": s_text.strip() == r_text.strip(),
        "device": model.info.device,
    }


# -- 2. Enter → first token overhead at 10k memories --------------------------------------
def fill(services, n: int, dim: int, model_name: str) -> None:
    rng = np.random.default_rng(7)
    start = datetime(2023, 1, 1, 8, 0)
    batch = 1000
    for first in range(0, n, batch):
        vectors = rng.standard_normal((min(batch, n - first), dim)).astype(np.float32)
        vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
        with services.bank.write() as db:
            for j, vector in enumerate(vectors):
                i = first + j
                words = rng.choice(WORDS, size=12)
                at = (start + timedelta(hours=3 * i)).isoformat()
                rows.insert(db, {
                    "kind": "note" if i % 3 else "turn", "text": f"Note {i}: " + " ".join(words),
                    "event_at": at, "recorded_at": at, "source": "bench", "source_ref": {},
                    "session_id": None, "document_id": None, "importance": 0.5,
                    "strength": 2.0, "last_reinforced_at": at, "trust": "user", "meta": {},
                    "embedding": to_blob(vector), "embedding_model": model_name,
                })


def bench_overhead(services, n_memories: int, questions: int) -> dict:
    embedder = services.embedder()
    started = time.perf_counter()
    fill(services, n_memories, embedder.dim, embedder.name)
    fill_s = time.perf_counter() - started
    session = ChatSession(services)
    t = time.perf_counter()
    services.retriever().search("warm up the index", k=1)   # the TUI does this after unlock
    index_s = time.perf_counter() - t
    asks = [f"What did I do with {a} and {b} near the {c}?" for a, b, c in
            zip(WORDS, WORDS[5:], WORDS[11:], strict=False)][:questions]
    prep, first_token, recalled, placed = [], [], [], []
    for question in asks:
        prepared = session.prepare(question)
        prep.append(prepared.prep_seconds)
        recalled.append(len(prepared.hits))
        placed.append(len(prepared.prompt.memory_ids))
        # The model's own part, for context: prompt evaluation + first token.
        first = None
        for _ in session.stream(prepared):
            first = time.perf_counter()
            prepared.cancel.set()
        first_token.append((first or time.perf_counter()) - prepared.started)
        session.finish(prepared, "ok")
    return {
        "memories": services.memory.count(), "fill_seconds": round(fill_s, 1),
        "index_warmup_ms": round(index_s * 1000, 1),
        "prepare_ms_median": round(median(prep) * 1000, 1),
        "prepare_ms_p95": round(p95(prep) * 1000, 1),
        "first_token_ms_median": round(median(first_token) * 1000, 1),
        "recalled_median": median(recalled), "placed_median": median(placed),
        "questions": len(asks),
    }


# -- 3. unlock → input ready ------------------------------------------------------------------
async def one_unlock(home: Path, model_override: str | None) -> dict:
    from secondme.clock import Clock
    from secondme.config import load_settings
    from secondme.unlock import BankOpener
    from tui.app import SecondMeApp
    from tui.screens.chat import ChatScreen

    settings = load_settings(home, **({"model": model_override} if model_override else {}))
    opener = BankOpener(home, settings, None, Clock())
    app = SecondMeApp(opener=opener, start_scheduler=False)
    try:
        async with app.run_test(size=(80, 24)) as pilot:
            app.screen.query_one("#passphrase").value = PASSPHRASE
            await pilot.pause()
            t0 = time.perf_counter()
            # What Enter does (Input's binding). Not pilot.press: it also waits for the app
            # to go idle, which the background loading keeps from happening for ~2 s.
            await app.screen.query_one("#passphrase").action_submit()
            while True:
                screen = app.screen
                if isinstance(screen, ChatScreen) and screen.focused is not None and \
                        screen.focused.id == "prompt":
                    break
                await asyncio.sleep(0.002)
            ready = time.perf_counter() - t0
            await asyncio.to_thread(screen.loaded.wait, 120)
            model_ready = time.perf_counter() - t0
            app.exit()
    finally:
        app.stop_background()
        opener.close()
    return {"input_ready_s": ready, "models_warm_s": model_ready}


def bench_unlock(reps: int) -> dict:
    from storage import unlock_bank

    home = Path(tempfile.mkdtemp(prefix="secondme-bench-unlock-"))
    create_bank(home, PASSPHRASE, DEFAULT_KDF).close()
    kdf = []
    for _ in range(reps):
        t = time.perf_counter()
        unlock_bank(home, PASSPHRASE).close()
        kdf.append(time.perf_counter() - t)
    runs = [asyncio.run(one_unlock(home, None)) for _ in range(reps)]
    return {
        "kdf": f"Argon2id m={DEFAULT_KDF.m_kib // 1024} MiB t={DEFAULT_KDF.t} p={DEFAULT_KDF.p}",
        "unlock_bank_s_median": round(median(kdf), 3),
        "input_ready_s_median": round(median([r["input_ready_s"] for r in runs]), 3),
        "input_ready_runs": [round(r["input_ready_s"], 3) for r in runs],
        "models_warm_s_median": round(median([r["models_warm_s"] for r in runs]), 2),
    }


def main() -> None:
    quick = "--quick" in sys.argv
    out: dict = {"date": datetime.now().strftime("%Y-%m-%d %H:%M"),
                 "machine": f"{platform.processor() or platform.machine()}, "
                            f"{os.cpu_count()} CPUs, Python {platform.python_version()}"}
    load = os.getloadavg()[0]
    out["loadavg_at_start"] = round(load, 2)
    home = Path(tempfile.mkdtemp(prefix="secondme-bench-chat-"))
    settings = load_settings(home, n_ctx=2048, temperature=0.0, max_reply_tokens=128)
    bank = create_bank(home, PASSPHRASE, FAST_KDF)
    t = time.perf_counter()
    model = load_model(settings)
    out["model_load_s"] = round(time.perf_counter() - t, 2)
    t = time.perf_counter()
    embedder = load_embedder(settings)
    embedder.encode(["load"])
    prefer_single_thread_torch()   # what the TUI and `ask` do after loading the embedder
    out["embedder_load_s"] = round(time.perf_counter() - t, 2)
    services = build_services(settings, bank, Clock(datetime(2024, 5, 1, 12, 0)),
                              embedder=embedder, model=model)
    services.memory.remember("My sister Ana moved to Porto last spring.")
    services.memory.remember("Ana's flat in Porto looks over the river Douro.")
    try:
        out["tokens"] = bench_tokens(services, reps=2 if quick else 4, max_tokens=64 if quick
                                     else 128)
        out["overhead"] = bench_overhead(services, 2000 if quick else 10_000,
                                         8 if quick else 20)
    finally:
        services.close()
    out["unlock"] = bench_unlock(2 if quick else 3)
    out["loadavg_at_end"] = round(os.getloadavg()[0], 2)
    out["goals"] = {
        "tokens_ratio>=0.95": out["tokens"]["ratio"] >= 0.95,
        "prepare_ms<=100": out["overhead"]["prepare_ms_median"] <= 100,
        "input_ready_s<=1.5": out["unlock"]["input_ready_s_median"] <= 1.5,
    }
    out["markdown"] = render(out)
    path = ROOT / "bench" / "out" / "chat.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(out, indent=2, ensure_ascii=False) + "\n")
    print(out["markdown"])
    print(f"wrote {path.relative_to(ROOT)}")


def render(out: dict) -> str:
    """The Markdown block for docs/BENCHMARKS.md (run_all.py pastes it between markers)."""
    tok, ovh, unl = out["tokens"], out["overhead"], out["unlock"]

    def ok(goal: str) -> str:
        return "✓" if out["goals"][goal] else "✗"

    return "\n".join([
        f"Run {out['date']} on {out['machine']}; load average {out['loadavg_at_start']} → "
        f"{out['loadavg_at_end']} (other jobs shared the 2 cores). Model on "
        f"{tok['device']}, n_ctx 2048, greedy; prompt {tok['prompt_tokens']} tokens, "
        f"{tok['max_tokens']} generated per run.",
        "",
        "| measure | result | goal |",
        "|---|---:|---|",
        f"| decode tokens/s through `ChatSession` (median of {len(tok['session_runs'])}) | "
        f"{tok['session_tokens_per_s']} | |",
        f"| decode tokens/s, raw llama-cpp-python, same prompt | {tok['raw_tokens_per_s']} | |",
        f"| ratio | {tok['ratio']} | ≥ 0.95 {ok('tokens_ratio>=0.95')} |",
        f"| Enter → prompt ready (store message, recall, pack) at {ovh['memories']:,} memories, "
        f"median / p95 of {ovh['questions']} | {ovh['prepare_ms_median']} / "
        f"{ovh['prepare_ms_p95']} ms | ≤ 100 ms {ok('prepare_ms<=100')} |",
        f"| Enter → first token (adds prompt evaluation by the model) | "
        f"{ovh['first_token_ms_median']} ms | |",
        f"| unlock: key derivation ({unl['kdf']}) | {unl['unlock_bank_s_median']} s | |",
        f"| Enter on the unlock screen → chat input focused | {unl['input_ready_s_median']} s | "
        f"≤ 1.5 s {ok('input_ready_s<=1.5')} |",
        f"| … → model and recall warm (background) | {unl['models_warm_s_median']} s | |",
    ])


if __name__ == "__main__":
    main()
