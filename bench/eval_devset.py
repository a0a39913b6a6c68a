"""Retrieval quality on the dev set: our retriever vs BM25 alone vs embeddings alone.

Runs the `secondme eval` harness (fresh encrypted bank per user, real embedder) on
assets/devset/memorybank_en.json, with our retriever's single-signal modes as ablations.
Prints the report and writes bench/out/eval_devset.json, whose "markdown" is what
bench/run_all.py puts between the eval_devset markers of docs/BENCHMARKS.md.

Usage: python bench/eval_devset.py [FILE]
"""

from __future__ import annotations

import json
import os
import sys
from datetime import datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("HF_HUB_OFFLINE", "1")

DEVSET = ROOT / "assets" / "devset" / "memorybank_en.json"
OUT = ROOT / "bench" / "out" / "eval_devset.json"
METRICS = ("recall@1", "recall@5", "recall@10", "hit@5", "mrr")
LABELS = {"ours": "**ours** (hybrid)", "bm25": "BM25 alone", "dense": "embeddings alone",
          "ours_bm25": "ours, bm25 mode", "ours_dense": "ours, dense mode"}


def _ratio(a: float, b: float) -> str:
    return f"{a / b:.2f}×" if b else "—"


def render(report: dict) -> str:
    """The Markdown tables for docs/BENCHMARKS.md (pure: report in, text out)."""
    rows = {**report["retrievers"], **report.get("variants", {})}
    lines = [
        f"{report['questions']} questions with evidence over {report['conversations']} users "
        f"and {report['turns']} stored exchanges ({report['questions_without_evidence']} "
        f"question without an answer in the history, reported but not scored); top-k from "
        f"the same memories; embedder {report['embedder']}.",
        "",
        "| retriever | " + " | ".join(METRICS) + " |",
        "|---|" + "---:|" * len(METRICS),
    ]
    for name, values in rows.items():
        lines.append(f"| {LABELS.get(name, name)} | "
                     + " | ".join(f"{values[m]:.3f}" for m in METRICS) + " |")
    ours, bm25, dense = (report["retrievers"][n] for n in ("ours", "bm25", "dense"))
    lines += ["", "| ratio | " + " | ".join(METRICS) + " |", "|---|" + "---:|" * len(METRICS)]
    for label, base in (("ours / BM25", bm25), ("ours / embeddings", dense)):
        lines.append(f"| {label} | " + " | ".join(_ratio(ours[m], base[m]) for m in METRICS)
                     + " |")
    cats = report["by_category"]
    lines += ["", "By category (recall@5 / MRR):", "",
              "| category | questions | ours | BM25 | embeddings |", "|---|---:|---:|---:|---:|"]
    for category, entry in cats.items():
        cells = [f"{entry[n]['recall@5']:.2f} / {entry[n]['mrr']:.2f}"
                 for n in ("ours", "bm25", "dense")]
        lines.append(f"| {category} | {entry['questions']} | " + " | ".join(cells) + " |")
    timings = report["timings_s"]
    lines += ["", f"Run time {timings.get('total', 0):.0f} s (ingest {timings.get('ingest', 0):.0f} s, "
              f"embed {timings.get('embed', 0):.0f} s, searching {sum(v for k, v in timings.items() if k.startswith('search')):.1f} s)."]
    return "\n".join(lines)


def main() -> None:
    from secondme.evaluation.formats import load_dataset
    from secondme.evaluation.harness import evaluate
    from secondme.memory.embeddings import SentenceTransformerEmbedder

    path = Path(sys.argv[1]) if len(sys.argv) > 1 else DEVSET
    load = os.getloadavg()[0]
    report = evaluate(load_dataset(path), SentenceTransformerEmbedder(), ablations=True).report()
    markdown = render(report)
    out = {"section": "eval_devset", "date": datetime.now().strftime("%Y-%m-%d %H:%M"),
           "loadavg_at_start": round(load, 2), "markdown": markdown, "report": report}
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps(out, indent=1) + "\n", encoding="utf-8")
    print(markdown)


if __name__ == "__main__":
    main()
