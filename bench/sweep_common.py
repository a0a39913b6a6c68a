"""What the sweep_* studies share: their command line and their Markdown table."""

from __future__ import annotations

import argparse
from pathlib import Path


def sweep_args(doc: str, default: Path) -> argparse.Namespace:
    """`[FILE] [--json OUT]`, FILE defaulting to the study's own data."""
    parser = argparse.ArgumentParser(description=doc.splitlines()[0])
    parser.add_argument("file", nargs="?", default=str(default))
    parser.add_argument("--json", dest="json_out")
    return parser.parse_args()


def markdown_table(head: list[str], rows: list[list[str]]) -> str:
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return "\n".join(lines)
