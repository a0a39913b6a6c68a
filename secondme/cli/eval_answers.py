"""`secondme eval FILE --answers`: answer quality (ours vs no memory vs oracle), same model."""

from __future__ import annotations

from typing import Any

from .app import emit_json
from .progress import one_bar


def run_answers(settings: Any, dataset: Any, embedder: Any, *, limit_questions: int | None,
                as_json: bool) -> None:
    from rich.console import Console

    from ..evaluation.answers import evaluate_answers, work_units
    from ..services import load_model

    with one_bar("loading the model", work_units(dataset, limit_questions)) as (progress, task):
        model = load_model(settings)

        def advance(what: str, done: int) -> None:
            progress.update(task, description=what, advance=done)

        result = evaluate_answers(dataset, embedder, model, settings=settings,
                                  limit_questions=limit_questions, progress=advance)
    report = result.report()
    if as_json:
        emit_json(report)
    else:
        print_answers(report, Console())


def _f(value: Any) -> str:
    return "—" if value is None else f"{value:.3f}" if isinstance(value, float) else str(value)


def print_answers(report: dict[str, Any], console: Any) -> None:
    from rich.table import Table

    from ..evaluation.answers import MODES

    table = Table(title=f"{report['dataset']}: answers by {report['model']} "
                        f"({report['questions']} questions)")
    table.add_column("category")
    table.add_column("questions", justify="right")
    for mode in MODES:
        table.add_column(f"{mode} F1", justify="right")
    for category, entry in report["by_category"].items():
        name = entry.get("name", "")
        label = f"{category} {name}".strip() if len(name) <= 16 else category
        cells = [_f(entry[m]["f1"]) if entry[m]["answerable"] else
                 f"abst. {_f(entry[m]['abstention'])}" for m in MODES]
        table.add_row(label, str(entry["questions"]), *cells)
    pooled = report["modes"]
    table.add_row("pooled", "", *(_f(pooled[m]["f1"]) for m in MODES), style="bold")
    console.print(table)
    for mode in MODES:
        p, a = pooled[mode], report["abstention"][mode]
        console.print(f"{mode}: F1 {_f(p['f1'])}, contains {_f(p['contains'])}, abstention on "
                      f"{a['unanswerable']} unanswerable {_f(a['accuracy'])} (false "
                      f"abstentions {_f(a['false_abstentions'])}), "
                      f"{_f(p['seconds_per_answer'])} s/answer")
    console.print(f"{report['seconds']} s in all")
