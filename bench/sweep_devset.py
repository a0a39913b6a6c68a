"""Retrieval parameter study on the dev set: one ingestion, many retriever settings.

Not part of `make bench` (run_all skips sweep_* scripts): it exists so that any change to
RetrievalParams can be argued with numbers anyone can rerun. Each variant is our
HybridRetriever with one knob moved; all of them search the very same stored memories.

Usage: python bench/sweep_devset.py [FILE] [--json OUT]
"""

from __future__ import annotations

import json
import sys
from dataclasses import replace
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.sweep_common import markdown_table, sweep_args  # noqa: E402

DEVSET = ROOT / "assets" / "devset" / "memorybank_en.json"
METRICS = ("recall@1", "recall@5", "recall@10", "hit@5", "mrr")


def variants() -> dict:
    from secondme.memory.retrieval import HybridRetriever, RetrievalParams

    base = RetrievalParams()
    rel, rrf = replace(base, fusion="relative"), replace(base, fusion="rrf")
    grid = {   # every variant names its fusion, so a change of default can't blur the grid
        "default": base,
        "relative, floor 0.3": replace(rel, retention_floor=0.3),
        "relative, floor 0.7": replace(rel, retention_floor=0.7),
        "relative, floor 0.9": replace(rel, retention_floor=0.9),
        "relative, no retention": replace(rel, retention_floor=1.0),
        "relative, floor 0.9, no time boost": replace(rel, retention_floor=0.9, time_weight=0.0),
        "relative, floor 0.9, dense ×1.5": replace(rel, retention_floor=0.9, dense_weight=1.5),
        "minmax, floor 0.3": replace(base, fusion="minmax", retention_floor=0.3),
        "minmax, floor 0.9": replace(base, fusion="minmax", retention_floor=0.9),
        "rrf k60, floor 0.3": replace(rrf, rrf_k=60, retention_floor=0.3),
        "rrf k60, floor 0.9": replace(rrf, rrf_k=60, retention_floor=0.9),
        "rrf k10, floor 0.9": replace(rrf, rrf_k=10, retention_floor=0.9),
    }

    def factory(params):
        return lambda services: HybridRetriever(services.memory, services.embedder,
                                                params=params)

    return {name: factory(params) for name, params in grid.items()}, grid


def table(report: dict, names: list[str]) -> str:
    rows = {**report["retrievers"], **report.get("variants", {})}
    cats = report["by_category"]
    head = ["retriever", *METRICS, *(f"{c} R@5" for c in cats)]
    body = []
    for name in [*report["retrievers"], *names]:
        values = rows[name]
        cells = [f"{values[m]:.3f}" for m in METRICS]
        cells += [f"{cats[c][name]['recall@5']:.3f}" for c in cats]
        body.append([name, *cells])
    return markdown_table(head, body)


def main() -> None:
    args = sweep_args(__doc__, DEVSET)

    from secondme.evaluation.formats import load_dataset
    from secondme.evaluation.harness import evaluate
    from secondme.memory.embeddings import SentenceTransformerEmbedder

    factories, grid = variants()
    result = evaluate(load_dataset(Path(args.file)), SentenceTransformerEmbedder(),
                      variants=factories)
    report = result.report()
    print(table(report, list(factories)))
    print(f"\n{report['questions']} questions; {report['timings_s']}")
    if args.json_out:
        Path(args.json_out).write_text(json.dumps(
            {"report": report, "params": {k: vars(v) for k, v in grid.items()}}, indent=1))


if __name__ == "__main__":
    main()
