"""Markdown tables from `secondme eval <locomo> --json` reports (docs/BENCHMARKS.md, issue 17).

  python bench/locomo_table.py before.json [after.json]

Per category evidence recall@1/5/10/20, hit@5, MRR, session recall@5 and tokens@20 for ours,
BM25 and dense; with two reports, ours before → after side by side.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

COLUMNS = ("recall@1", "recall@5", "recall@10", "recall@20", "hit@5", "mrr",
           "session_recall@5", "tokens@20")


def _row(label: str, values: dict[str, Any]) -> str:
    cells = [f"{values[c]:.0f}" if c.startswith("tokens") else f"{values.get(c, 0):.3f}"
             for c in COLUMNS]
    return f"| {label} | " + " | ".join(cells) + " |"


def table(report: dict[str, Any]) -> str:
    lines = ["| category (questions) · retriever | " + " | ".join(COLUMNS) + " |",
             "|---|" + "---|" * len(COLUMNS)]
    for name in ("ours", "bm25", "dense"):
        lines.append(_row(f"1–4 pooled ({report['questions']}) · {name}",
                          report["retrievers"][name]))
    for category, entry in report["by_category"].items():
        for name in ("ours", "bm25", "dense"):
            lines.append(_row(f"{category} {entry.get('name', '')} ({entry['questions']}) · {name}",
                              entry[name]))
    return "\n".join(lines)


def costs(report: dict[str, Any]) -> str:
    lines = ["| conversation | turns | questions | ingest s | embed s | search (ours) s |",
             "|---|---|---|---|---|---|"]
    for c in report.get("per_conversation", []):
        lines.append(f"| {c['id']} | {c['turns']} | {c.get('questions', '')} | "
                     f"{c.get('ingest_s', '')} | {c.get('embed_s', '')} | "
                     f"{c.get('search_ours_s', '')} |")
    lat = report.get("latency_ms", {})
    lines.append(f"\nOur query latency over {lat.get('queries')} questions: p50 {lat.get('p50')} ms,"
                 f" p95 {lat.get('p95')} ms; total run {report['timings_s'].get('total')} s.")
    return "\n".join(lines)


def compare(before: dict[str, Any], after: dict[str, Any]) -> str:
    keys = ("recall@1", "recall@5", "recall@10", "recall@20", "mrr", "session_recall@5")
    lines = ["| category · ours | " + " | ".join(f"{k} before → after" for k in keys) + " |",
             "|---|" + "---|" * len(keys)]
    pairs = [("1–4 pooled", before["retrievers"]["ours"], after["retrievers"]["ours"])]
    pairs += [(f"{c} {e.get('name', '')}", e["ours"], after["by_category"][c]["ours"])
              for c, e in before["by_category"].items()]
    for label, b, a in pairs:
        lines.append(f"| {label} | " + " | ".join(f"{b[k]:.3f} → {a[k]:.3f}" for k in keys) + " |")
    return "\n".join(lines)


def main() -> None:
    reports = [json.loads(Path(p).read_text()) for p in sys.argv[1:3]]
    print(table(reports[-1]))
    print()
    print(costs(reports[-1]))
    if len(reports) == 2:
        print()
        print(compare(*reports))


if __name__ == "__main__":
    main()
