"""How long does `secondme eval` take at LoCoMo's scale? (goal: ≤ 20 minutes on 2 cores)

Generates the synthetic LoCoMo-format file of bench/make_locomo_synth.py (10 conversations ×
25 sessions × ~22 turns, 200 questions each) in a temporary folder and runs the real command,
`secondme eval FILE --format locomo --json`, in a child process, the way a person would.
Writes bench/out/eval_speed.json (its "markdown" goes into docs/BENCHMARKS.md).

Usage: python bench/eval_speed.py [--conversations N]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "bench"))
OUT = ROOT / "bench" / "out" / "eval_speed.json"
GOAL_S = 20 * 60


def render(out: dict) -> str:
    r, t = out["report"], out["report"]["timings_s"]
    search = sum(v for k, v in t.items() if k.startswith("search"))
    verdict = "within" if out["wall_s"] <= GOAL_S else "**over**"
    lines = [
        f"`secondme eval` on a synthetic LoCoMo-format file of {r['conversations']} conversations, "
        f"{r['turns']:,} turns and {r['questions_scored'] + r['questions_without_evidence']:,} "
        f"questions (bench/make_locomo_synth.py, seed 7), run as a child process: "
        f"**{out['wall_s'] / 60:.1f} min** wall clock, {verdict} the 20-minute goal "
        f"(load average {out['loadavg_at_start']:.1f} at start on {os.cpu_count()} cores).",
        "",
        "| phase | seconds |", "|---|---:|",
        f"| create 10 encrypted banks + remember every turn | {t.get('ingest', 0):.0f} |",
        f"| load the embedder, embed every turn (batches of 256) | {t.get('embed', 0):.0f} |",
        f"| embed questions, load vectors | {t.get('prepare', 0):.0f} |",
        f"| search: ours + BM25 + dense, {r['questions_scored']:,} questions each | {search:.0f} |",
        f"| process start, reading the file, rest | {out['wall_s'] - t.get('total', 0):.0f} |",
        "",
        "Retrieval on this templated text (a speed check, not a quality benchmark: the "
        "text is generated from templates and all turns are months apart):",
        "",
        "| retriever | recall@5 | hit@5 | MRR |", "|---|---:|---:|---:|",
    ]
    for name, values in r["retrievers"].items():
        lines.append(f"| {name} | {values['recall@5']:.3f} | {values['hit@5']:.3f} | "
                     f"{values['mrr']:.3f} |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--conversations", type=int, default=10)
    args = parser.parse_args()
    from make_locomo_synth import build

    with tempfile.TemporaryDirectory(prefix="secondme-evalspeed-") as tmp:
        path = Path(tmp) / "locomo_synth.json"
        path.write_text(json.dumps(build(args.conversations, 25, 22, 200, 7)), encoding="utf-8")
        load = os.getloadavg()[0]
        started = time.perf_counter()
        proc = subprocess.run([sys.executable, "-m", "secondme", "eval", str(path), "--format",
                               "locomo", "--json"], cwd=ROOT, capture_output=True, text=True,
                              stdin=subprocess.DEVNULL,
                              env={**os.environ, "SECONDME_HOME": str(Path(tmp) / "home")})
        wall = time.perf_counter() - started
    if proc.returncode != 0:
        sys.exit(f"secondme eval failed ({proc.returncode}): {proc.stderr[-2000:]}")
    out = {"section": "eval_speed", "date": datetime.now().strftime("%Y-%m-%d %H:%M"),
           "loadavg_at_start": round(load, 2), "wall_s": round(wall, 1),
           "goal_s": GOAL_S, "within_goal": wall <= GOAL_S, "report": json.loads(proc.stdout)}
    out["markdown"] = render(out)
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps(out, indent=1) + "\n", encoding="utf-8")
    print(out["markdown"])


if __name__ == "__main__":
    main()
