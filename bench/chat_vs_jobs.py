"""Chat vs background jobs: does the scheduler slow the person's replies down?

Reply decode speed (tokens/s) with the real default model, same question, greedy, a fixed
number of tokens, in three conditions on one bank that has plenty of consolidation work:

  alone      no scheduler;
  ungated    the real scheduler, jobs re-run back to back, told nothing about the chat
             except the preempt on Enter (the TUI before issue 16.5);
  gated      the same scheduler, and the chat's `ChatActivity` is told when a reply runs,
             so jobs wait between units and take no model turn (the TUI now).

Before each reply with jobs the "person" reads for a few seconds, so a job is mid-unit when
the reply starts, as in real use. Rounds are interleaved (alone, ungated, gated, order
rotating) after one warm-up reply, so a machine whose load drifts affects all three alike. Prints a table; writes bench/out/chat_vs_jobs.json.
Usage: python bench/chat_vs_jobs.py [--replies N] [--tokens N]   (about 2-3 minutes)
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import statistics
import sys
import tempfile
import time
from datetime import datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("HF_HUB_OFFLINE", "1")

from bench.machine import machine_info  # noqa: E402
from secondme import jobs  # noqa: E402
from secondme.clock import Clock  # noqa: E402
from secondme.config import load_settings  # noqa: E402
from secondme.conversation.session import ChatSession  # noqa: E402
from secondme.jobs.scheduler import start_background  # noqa: E402
from secondme.memory.embeddings import prefer_single_thread_torch  # noqa: E402
from secondme.services import build_services, load_model  # noqa: E402
from storage import FAST_KDF, create_bank  # noqa: E402

QUESTION = "Tell me what you remember about my week with Ana in Porto."
PASSPHRASE = "bench passphrase, not a secret"
READING_SECONDS = 4.0      # the person reads the reply before typing the next question
NOW = datetime(2024, 5, 1, 12, 0)
TOPICS = ["Ana", "Rui", "the garden", "work", "the bike", "Porto", "my mother", "the choir",
          "running", "the flat", "a film", "the market"]


def seed(services, days: int, per_day: int) -> int:
    """Conversation turns over past days: profile facts and day summaries to extract."""
    n = 0
    for day in range(days, 0, -1):
        for i in range(per_day):
            topic = TOPICS[(day + i) % len(TOPICS)]
            at = NOW - timedelta(days=day, hours=-9 - i)
            services.memory.remember(
                f"User: I spent the afternoon with {topic}; I love how calm it felt and I "
                f"want to do it again next week (day {day}, note {i}).\n"
                f"Second Me: That sounds lovely.", kind="turn", trust="user", source="chat",
                at=at)
            n += 1
    return n


def one_reply(session: ChatSession, max_tokens: int, activity=None, handle=None,
              n: int = 0) -> dict:
    stamps: list[float] = []

    def fixed_length(prepared) -> None:
        prepared.prompt.stop = []
        prepared.prompt.max_tokens = max_tokens

    started = time.perf_counter()
    if handle is not None:
        handle.preempt()                         # what the TUI does on Enter
    if activity is not None:
        activity.reply_started()
    try:
        session.reply(f"{QUESTION} ({n})", on_piece=lambda _: stamps.append(time.perf_counter()),
                      on_prepared=fixed_length)
    finally:
        if activity is not None:
            activity.reply_finished()
    session.new_conversation()
    decode = (len(stamps) - 1) / (stamps[-1] - stamps[0]) if len(stamps) > 1 else 0.0
    wall = time.perf_counter() - started
    return {"tokens_per_s": decode, "tokens": len(stamps),
            "first_token_s": (stamps[0] - started) if stamps else None,
            "wall_s": wall, "reply_tokens_per_s": len(stamps) / wall}


def one_condition(services, session: ChatSession, name: str, max_tokens: int,
                  n: int) -> dict:
    """One reply under one condition; a fresh scheduler has had time to get busy first."""
    handle = None
    if name != "alone":
        handle = start_background(services, first_run_delay=0, stagger=0.3,
                                  intervals=dict.fromkeys(jobs.JOBS, 0.02))   # back to back
        time.sleep(READING_SECONDS)              # the person reads; the jobs get going
    activity = handle.activity if (handle is not None and name == "gated") else None
    try:
        return one_reply(session, max_tokens, activity, handle, n)
    finally:
        if handle is not None:
            handle.shutdown()


def summary(runs: list[dict]) -> dict:
    firsts = [r["first_token_s"] for r in runs if r["first_token_s"] is not None]
    return {"runs": runs,
            "tokens_per_s_median": statistics.median(r["tokens_per_s"] for r in runs),
            "reply_tokens_per_s_median": statistics.median(r["reply_tokens_per_s"]
                                                           for r in runs),
            "first_token_s_median": statistics.median(firsts) if firsts else None}


def render(out: dict) -> str:
    m = out["machine"]
    lines = [f"Run {m['date']} on {m['cpu']}, {m['cores']} CPUs, Python {m['python']}; load "
             f"average {m['load_average_at_start']} at start, {out['load_average_at_end']} at "
             f"the end, {out['seconds']} s measured. Default model on CPU, greedy, "
             f"{out['tokens']} tokens per reply, {out['replies']} replies per condition, "
             f"{out['memories']} seeded memories.", "",
             "| condition | reply tokens/s, Enter → last token (median) | ratio to alone | "
             "decode tokens/s (median) | Enter → first token (median) |",
             "|---|---:|---:|---:|---:|"]
    base = out["alone"]["reply_tokens_per_s_median"]
    for name in ("alone", "ungated", "gated"):
        c = out[name]
        ratio = c["reply_tokens_per_s_median"] / base if base else float("nan")
        first = c["first_token_s_median"]
        lines.append(f"| {name} | {c['reply_tokens_per_s_median']:.2f} | {ratio:.2f} | "
                     f"{c['tokens_per_s_median']:.1f} | "
                     f"{'–' if first is None else f'{first:.1f} s'} |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--replies", type=int, default=3)
    parser.add_argument("--tokens", type=int, default=48)
    parser.add_argument("--days", type=int, default=40)
    args = parser.parse_args()
    logging.getLogger("apscheduler").setLevel(logging.ERROR)   # "skipped: already running"
    home = Path(tempfile.mkdtemp(prefix="secondme-bench-chatjobs-"))
    # fixed_replies off: an "I don't remember" needs no model and would time nothing.
    settings = load_settings(home, n_ctx=2048, temperature=0.0, max_reply_tokens=args.tokens,
                             fixed_replies=False)
    bank = create_bank(home, PASSPHRASE, FAST_KDF)
    out: dict = {"machine": machine_info(), "replies": args.replies, "tokens": args.tokens}
    services = build_services(settings, bank, Clock(NOW), model=load_model(settings))
    try:
        out["memories"] = seed(services, args.days, 6)   # before the embedder: embed has work
        print(f"seeded {out['memories']} memories", flush=True)
        services.embedder().encode(["load"])   # loads the default embedder now
        prefer_single_thread_torch()
        session = ChatSession(services, store=False)
        one_reply(session, args.tokens, n=-1)            # warm-up: pages in, caches filled
        # Interleaved rounds, the order rotating, so drifting load hits every condition alike.
        order = ["alone", "ungated", "gated"]
        runs: dict[str, list[dict]] = {name: [] for name in order}
        started = time.perf_counter()
        for round_ in range(args.replies):
            for name in order[round_ % 3:] + order[:round_ % 3]:
                n = len(runs["alone"]) + len(runs["ungated"]) + len(runs["gated"])
                runs[name].append(one_condition(services, session, name, args.tokens, n))
                last = runs[name][-1]
                print(f"{name}: {last['reply_tokens_per_s']:.2f} tok/s Enter→end, decode "
                      f"{last['tokens_per_s']:.1f}", flush=True)
        for name in order:
            out[name] = summary(runs[name])
        out["seconds"] = round(time.perf_counter() - started, 1)
    finally:
        services.close()
    out["load_average_at_end"] = round(os.getloadavg()[0], 1)
    out["markdown"] = render(out)
    print(out["markdown"])
    target = ROOT / "bench" / "out"
    target.mkdir(exist_ok=True)
    (target / "chat_vs_jobs.json").write_text(json.dumps(out, indent=2, default=str))


if __name__ == "__main__":
    main()
