"""The read models in `secondme/views` serve the CLI and the TUI alike, so they import neither
(and nothing that draws: no rich, no textual), and the old duplicates are gone."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _imports(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            names.add("." * node.level + (node.module or ""))
    return names


def test_views_import_no_front_end():
    for path in (ROOT / "secondme" / "views").glob("*.py"):
        for name in _imports(path):
            assert not name.startswith(("tui", "textual", "rich", "typer", "secondme.cli",
                                        "..cli", ".cli")), (path, name)


def test_one_home_per_concept():
    assert not (ROOT / "secondme" / "controls.py").exists()
    assert not (ROOT / "tui" / "screens" / "viewkit.py").exists()
    for path in (ROOT / "secondme").rglob("*.py"):
        text = path.read_text(encoding="utf-8")
        if path.name != "periods.py":
            assert "class Period:" not in text and "def add_months" not in text, path
        if path.parent.name != "views":
            assert "def profile_view" not in text and "def summaries_view" not in text, path
        assert "_STOPWORDS = frozenset" not in text and 'STOPWORDS = _wordset("""\na ' \
            not in text, path
