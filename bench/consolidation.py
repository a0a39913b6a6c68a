"""How long does consolidating 10 days × 40 chat exchanges take with the default model?

    .venv/bin/python bench/consolidation.py [--days 10] [--per-day 40] [--skip-rules-only]

Builds a fresh encrypted bank, stores 10 days × 40 exchanges from the MemoryBank
(SiliconFriend) English data set as `turn` memories (each day's exchanges pooled over
its 15 simulated users, in file order), then runs `jobs.run(services, "all")` exactly as
`secondme jobs run all` does: embed → dedupe → profile → summarize → decay, with the
default Gemma 3 270M GGUF and all-MiniLM-L6-v2. Then a rerun (nothing should change),
and the same consolidation on a second bank without the LLM (extractive summaries,
rule-based facts) for comparison. Prints a Markdown table and writes
bench/out/consolidation.json.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from datetime import datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.load_memorybank import DATA, turn_text  # noqa: E402
from bench.machine import machine_info  # noqa: E402
from secondme import jobs  # noqa: E402
from secondme.clock import Clock  # noqa: E402
from secondme.config import load_settings  # noqa: E402
from secondme.services import build_services, load_model  # noqa: E402
from storage import FAST_KDF, create_bank  # noqa: E402

OUT = ROOT / "bench" / "out" / "consolidation.json"
NOW = datetime(2023, 5, 8, 9, 0)     # Monday after the last day: days, both weeks, April closed


def pooled_days(days: int, per_day: int) -> dict[str, list[dict[str, str]]]:
    data = json.loads(DATA.read_text(encoding="utf-8"))
    by_day: dict[str, list[dict[str, str]]] = {}
    for user in data.values():
        for day, pairs in user["history"].items():
            by_day.setdefault(day, []).extend(pairs)
    chosen = sorted(by_day)[:days]
    short = [d for d in chosen if len(by_day[d]) < per_day]
    if short:
        raise SystemExit(f"days with fewer than {per_day} exchanges: {short}")
    return {d: by_day[d][:per_day] for d in chosen}


def seed(services, history: dict[str, list[dict[str, str]]]) -> int:
    settings = services.settings
    count = 0
    for day, pairs in history.items():
        start = datetime.fromisoformat(day) + timedelta(hours=9)
        for i, pair in enumerate(pairs):
            services.memory.remember(
                turn_text(pair["query"], pair["response"], settings.user_name,
                          settings.assistant_name),
                at=start + timedelta(minutes=5 * i), kind="turn", source="memorybank",
                trust="user", actor="import")
            count += 1
    return count


def consolidate(services, use_llm: bool) -> dict:
    started = time.perf_counter()
    results = jobs.run(services, "all", options=jobs.JobOptions(use_llm=use_llm))
    total = time.perf_counter() - started
    return {"total_seconds": round(total, 1),
            "jobs": [{"job": r.job, "status": r.status, "seconds": round(r.seconds, 1),
                      "counts": r.counts} for r in results]}


def machine() -> dict:
    return machine_info()


def run_bank(history, *, use_llm: bool, model, embedder, rerun: bool) -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        home = Path(tmp) / "bank"
        bank = create_bank(home, "bench passphrase", FAST_KDF)
        settings = load_settings(home, user_name="User")
        services = build_services(settings, bank, Clock(NOW), embedder=embedder, model=model,
                                  embed_on_write=False)   # vectors are the embed job's work
        try:
            stored = seed(services, history)
            first = consolidate(services, use_llm)
            result = {"memories": stored, "first": first}
            if rerun:
                result["rerun"] = consolidate(services, use_llm)
            db = bank.db()
            result["summaries"] = {r[0]: r[1] for r in db.execute(
                "SELECT level || ':' || method, count(*) FROM summaries GROUP BY 1")}
            result["facts"] = {r[0]: r[1] for r in db.execute(
                "SELECT status || ':' || method, count(*) FROM profile_facts GROUP BY 1")}
            return result
        finally:
            services.close()


def table(report: dict) -> str:
    lines = ["| run | embed | dedupe | profile | summarize | decay | total (s) |",
             "|---|---:|---:|---:|---:|---:|---:|"]
    for label, key in (("with LLM (default)", "llm"), ("rerun, nothing new", "llm_rerun"),
                       ("without LLM (--no-llm)", "rules")):
        run = report.get(key)
        if not run:
            continue
        seconds = {j["job"]: j["seconds"] for j in run["jobs"]}
        lines.append(f"| {label} | " + " | ".join(
            f"{seconds.get(n, 0):.1f}" for n in jobs.ORDER) + f" | {run['total_seconds']:.1f} |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--days", type=int, default=10)
    parser.add_argument("--per-day", type=int, default=40)
    parser.add_argument("--skip-rules-only", action="store_true")
    args = parser.parse_args()

    from secondme.memory.embeddings import SentenceTransformerEmbedder

    report = {"machine": machine(), "days": args.days, "per_day": args.per_day}
    history = pooled_days(args.days, args.per_day)
    settings = load_settings(Path(tempfile.gettempdir()))
    t = time.perf_counter()
    model = load_model(settings)
    embedder = SentenceTransformerEmbedder()
    embedder.load()
    report["load_seconds"] = round(time.perf_counter() - t, 1)
    report["model"] = model.info.name
    with_llm = run_bank(history, use_llm=True, model=model, embedder=embedder, rerun=True)
    report["llm"], report["llm_rerun"] = with_llm["first"], with_llm["rerun"]
    report["llm_outcome"] = {"summaries": with_llm["summaries"], "facts": with_llm["facts"],
                             "memories": with_llm["memories"]}
    if not args.skip_rules_only:
        rules = run_bank(history, use_llm=False, model=model, embedder=embedder, rerun=False)
        report["rules"] = rules["first"]
        report["rules_outcome"] = {"summaries": rules["summaries"], "facts": rules["facts"]}
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps(report, indent=2))
    m = report["machine"]
    print(f"{args.days} days × {args.per_day} exchanges; {m['cpu']}, {m['cores']} cores, "
          f"load {m['load_average_at_start']} at start; model {report['model']} "
          f"(models loaded in {report['load_seconds']} s, not counted)\n")
    print(table(report))
    print(f"\nLLM run outcome: {json.dumps(report['llm_outcome'])}")
    for job in report["llm"]["jobs"]:
        print(f"  {job['job']}: {json.dumps(job['counts'])}")
    print(f"\nwrote {OUT.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
