"""Recall-lever study on LoCoMo-format data: one ingestion per conversation, many lever settings.

Not part of `make bench` (run_all skips sweep_* scripts). Each variant is our HybridRetriever
with other `LeverParams`; all of them search the very same stored memories of one
conversation, so the table can be read per conversation (choose on two, confirm on the third:
docs/BENCHMARKS.md, issue 17). Recall@5 per category, pooled over categories 1–4.

Usage: python bench/sweep_locomo.py [FILE] [--json OUT]
"""

from __future__ import annotations

import json
import sys
from dataclasses import replace
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.sweep_common import markdown_table, sweep_args  # noqa: E402

DEVSPLIT = next((base / "shared" / "data" / "locomo-dev" / "locomo_dev3.json"
                 for base in (ROOT.parent, ROOT.parent.parent)
                 if (base / "shared" / "data" / "locomo-dev").is_dir()),
                ROOT.parent / "shared" / "data" / "locomo-dev" / "locomo_dev3.json")
CATEGORIES = ("1", "2", "3", "4", "5")


def grid() -> dict:
    from secondme.memory.recall_levers import LeverParams

    base = LeverParams()
    return {
        "levers off": LeverParams(session_weight=0.0, speaker_weight=0.0,
                                  list_speaker_weight=0.0),
        "session 0.5 + speaker 0.2 (first round)": replace(base, list_speaker_weight=0.2),
        "+ list speaker 1.0": replace(base, list_speaker_weight=1.0),
        "+ list speaker 1.5 (default)": base,
        "+ list speaker 2.0": replace(base, list_speaker_weight=2.0),
        "default without session": replace(base, session_weight=0.0),
        "default without speaker": replace(base, speaker_weight=0.0),
        "default without list speaker": replace(base, list_speaker_weight=0.0),
    }


def factories(levers: dict) -> dict:
    from secondme.memory.retrieval import HybridRetriever

    def factory(params):
        return lambda services: HybridRetriever(services.memory, services.embedder,
                                                levers=params)

    return {name: factory(params) for name, params in levers.items()}


def recall5(report: dict, name: str) -> dict[str, float | None]:
    values = {**report["retrievers"], **report.get("variants", {})}
    out: dict[str, float | None] = {"pooled": values[name]["recall@5"]}
    for category in CATEGORIES:
        entry = report["by_category"].get(category)
        out[category] = entry[name]["recall@5"] if entry else None
    return out


def table(per_conversation: dict[str, dict], names: list[str]) -> str:
    ids = list(per_conversation)
    head = ["levers", *(f"{c[-2:]} pooled / 1 / 2 / 3 / 4 / 5" for c in ids)]
    body = []
    for name in names:
        cells = []
        for conversation in ids:
            r = recall5(per_conversation[conversation], name)
            cells.append(" / ".join("–" if r[k] is None else f"{r[k]:.2f}"
                                    for k in ("pooled", *CATEGORIES)))
        body.append([name, *cells])
    return markdown_table(head, body)


def main() -> None:
    args = sweep_args(__doc__, DEVSPLIT)
    if not Path(args.file).exists():
        sys.exit(f"no data at {args.file} (the LoCoMo dev split lives in ../shared/data/)")

    from secondme.evaluation.formats import load_dataset
    from secondme.evaluation.harness import evaluate
    from secondme.memory.embeddings import SentenceTransformerEmbedder

    dataset = load_dataset(Path(args.file))
    levers = grid()
    embedder = SentenceTransformerEmbedder()
    per_conversation = {}
    for conversation in dataset.conversations:
        one = replace(dataset, conversations=[conversation])
        per_conversation[conversation.id] = evaluate(
            one, embedder, variants=factories(levers)).report()
    print(table(per_conversation, ["ours", "bm25", "dense", *levers]))
    if args.json_out:
        Path(args.json_out).write_text(json.dumps(per_conversation, indent=1))


if __name__ == "__main__":
    main()
