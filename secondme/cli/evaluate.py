"""`secondme eval`: retrieval quality on a labelled conversation set.

Needs no passphrase and never touches the user's bank: every conversation is ingested into
its own temporary encrypted bank that is deleted afterwards.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from .app import JsonOpt, app, emit_json, state
from .progress import one_bar

METRICS_SHOWN = ("recall@1", "recall@5", "recall@10", "hit@5", "mrr")


def parse_ks(text: str) -> tuple[int, ...]:
    try:
        ks = tuple(sorted({int(part) for part in text.split(",") if part.strip()}))
    except ValueError:
        raise typer.BadParameter(f"--k wants comma-separated whole numbers, got {text!r}") from None
    if not ks or ks[0] < 1 or ks[-1] > 200:
        raise typer.BadParameter("--k values must be between 1 and 200")
    return ks


def make_embedder(settings: Any):
    """The same embedder the product uses (configurable via settings.embedding_model)."""
    from ..services import load_embedder

    return load_embedder(settings)


@app.command("eval")
def eval_command(
    ctx: typer.Context,
    file: Annotated[Path, typer.Argument(help="A LoCoMo JSON file or a generic eval file.",
                                         exists=True, dir_okay=False, readable=True)],
    fmt: Annotated[str, typer.Option("--format", help="locomo, generic, or auto (by shape).")]
    = "auto",
    k: Annotated[str, typer.Option("--k", help="Cut-offs, comma-separated.")] = "1,5,10,20",
    limit_samples: Annotated[int | None, typer.Option(
        "--limit-samples", min=1, help="Only the first N conversations.")] = None,
    ablations: Annotated[bool, typer.Option(
        "--ablations", help="Also run our retriever on one signal only (bm25 / dense mode).")]
    = False,
    answers: Annotated[bool, typer.Option(
        "--answers", help="Measure the replies: ours vs no memory vs oracle (LoCoMo F1).")]
    = False,
    limit_questions: Annotated[int | None, typer.Option(
        "--limit-questions", min=1, help="With --answers: N questions spread over the file.")]
    = None,
    as_json: JsonOpt = False,
) -> None:
    """Measure retrieval (our retriever vs BM25 vs embeddings), or with --answers the replies."""
    from rich.console import Console

    from ..evaluation.formats import load_dataset
    from ..evaluation.harness import evaluate, work_units

    ks = parse_ks(k)
    dataset = load_dataset(file, fmt)
    if limit_samples is not None:
        dataset.conversations = dataset.conversations[:limit_samples]
    embedder = make_embedder(state(ctx).settings())
    if answers:
        from .eval_answers import run_answers

        run_answers(state(ctx).settings(), dataset, embedder, limit_questions=limit_questions,
                    as_json=as_json)
        return
    with one_bar("loading the embedder", work_units(dataset)) as (progress, task):

        def advance(stage: str, done: int, total: int | None) -> None:
            progress.update(task, description=stage, completed=done, total=total)

        result = evaluate(dataset, embedder, ks=ks, progress=advance, ablations=ablations)
    report = result.report()
    if as_json:
        emit_json(report)
    else:
        print_report(report, Console())


def _fmt(value: Any) -> str:
    return f"{value:.3f}" if isinstance(value, float) else str(value)


def print_report(report: dict[str, Any], console: Any) -> None:
    from rich.table import Table

    shown = [m for m in METRICS_SHOWN if m in report["retrievers"]["ours"]] or \
        [m for m in report["retrievers"]["ours"] if not m.startswith("tokens")]
    pooled = report["pooled_categories"]
    title = (f"{report['dataset']}: {report['questions']} questions"
             + (f" (categories {', '.join(pooled)} pooled)" if pooled else ""))
    table = Table(title=title)
    table.add_column("retriever")
    for metric in shown:
        table.add_column(metric, justify="right")
    for name, values in {**report["retrievers"], **report.get("variants", {})}.items():
        table.add_row(name, *(_fmt(values.get(m, "")) for m in shown))
    console.print(table)
    by_cat = Table(title="by category (recall@5 / MRR)")
    by_cat.add_column("category")
    by_cat.add_column("questions", justify="right")
    for name in report["retrievers"]:
        by_cat.add_column(name, justify="right")
    for category, entry in report["by_category"].items():
        name = entry.get("name", "")
        label = f"{category} {name}".strip() if len(name) <= 16 else category
        by_cat.add_row(label, str(entry["questions"]), *(
            f"{_fmt(entry[n].get('recall@5', 0.0))} / {_fmt(entry[n]['mrr'])}"
            for n in report["retrievers"]))
    console.print(by_cat)
    console.print(f"{report['conversations']} conversations, {report['turns']} turns, "
                  f"{report['questions_without_evidence']} questions without evidence skipped, "
                  f"{report['evidence_ids_dropped']} unknown evidence ids dropped; "
                  f"embedder {report['embedder']}; {report['timings_s'].get('total', 0)} s")
