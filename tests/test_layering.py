"""Imports flow one way: tui → secondme → storage."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _loaded_after(code: str) -> set[str]:
    probe = code + "\nimport sys, json; print(json.dumps(sorted(sys.modules)))"
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                         check=True, cwd=ROOT).stdout
    import json

    return set(json.loads(out.strip().splitlines()[-1]))


def _absolute_imports(node: ast.AST) -> list[str]:
    if isinstance(node, ast.Import):
        return [a.name for a in node.names]
    if isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
        return [node.module]
    return []


def test_storage_and_cli_load_no_ui_or_native_model():
    loaded = _loaded_after("import storage, secondme.cli")
    bad = {m for m in loaded if m == "tui" or m.startswith(("tui.", "textual", "llama_cpp"))}
    assert not bad


def test_storage_never_imports_secondme_or_tui():
    for path in (ROOT / "storage").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            for name in _absolute_imports(node):
                assert not name.startswith(("secondme", "tui", "textual")), (path, name)


def test_secondme_imports_tui_only_lazily_in_the_chat_command():
    for path in (ROOT / "secondme").rglob("*.py"):
        for node in ast.parse(path.read_text()).body:  # module level only
            for name in _absolute_imports(node):
                assert not name.startswith(("tui", "textual")), (path, name)


def test_no_code_opens_a_database_by_path():
    offenders = []
    for folder in ("secondme", "storage", "tui"):
        for path in (ROOT / folder).rglob("*.py"):
            text = path.read_text()
            if "sqlite3.connect(" in text.replace("sqlcipher3.connect(", "") or \
                    "Database(path" in text or "import sqlite3\n" in text:
                offenders.append(str(path))
    assert offenders == []


def _imported_names(node: ast.AST) -> list[str]:
    """Absolute imports, with `from secondme import cli` read as `secondme.cli`."""
    names = _absolute_imports(node)
    if isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
        names += [f"{node.module}.{a.name}" for a in node.names]
    return names


def test_tui_never_imports_the_cli_not_even_inside_a_function():
    for path in (ROOT / "tui").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):   # every level, not just the top
            for name in _imported_names(node):
                assert name != "secondme.cli" and not name.startswith("secondme.cli."), \
                    (path, name)


def test_tui_loads_its_screens_and_the_scheduler_with_plain_imports():
    # A broken screen or scheduler module must fail loudly, not hide a key binding.
    for path in (ROOT / "tui").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            for name in _imported_names(node):
                assert not name.startswith("importlib"), (path, name)
    loaded = _loaded_after("import tui.app")
    assert {"secondme.jobs.scheduler", "tui.screens.timeline", "tui.screens.profile",
            "tui.screens.search", "tui.screens.inspector", "tui.screens.history",
            "tui.screens.mcp_access"} <= loaded
    assert not {m for m in loaded if m == "secondme.cli" or m.startswith("secondme.cli.")}


# No exceptions: Textual's DOM lookups use `walk_children`/`query_one` in tui/, so a
# `.query(` anywhere in secondme/ or tui/ is SQL that belongs in storage/.
SQL_METHODS = {"execute", "executemany", "executescript", "query"}


def _sql_calls(path: Path) -> list[int]:
    """Lines calling .execute/.executemany/.executescript/.query on anything."""
    return [node.lineno for node in ast.walk(ast.parse(path.read_text()))
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
            and node.func.attr in SQL_METHODS]


def test_sql_lives_only_in_storage():
    offenders = []
    for folder in ("secondme", "tui"):
        for path in sorted((ROOT / folder).rglob("*.py")):
            rel = path.relative_to(ROOT).as_posix()
            offenders += [f"{rel}:{line}" for line in _sql_calls(path)]
    assert offenders == [], "move these queries into storage/: " + ", ".join(offenders)


def test_the_sql_check_sees_a_query(tmp_path):
    probe = tmp_path / "probe.py"
    probe.write_text("def f(db):\n    return db.conn.execute('SELECT 1'), db.query('x')\n")
    assert _sql_calls(probe) == [2, 2]


# `MemoryService` (secondme/memory/service.py, with its forget engine memory/forgetting.py and
# memory/batch.py, the writes it hands to callers inside a transaction) is the one writer of
# `memories`. Imports, restore, dedupe and summaries write through it.
MEMORY_WRITERS_ALLOWED = {
    "secondme/memory/service.py",
    "secondme/memory/forgetting.py",
    "secondme/memory/batch.py",
}
MEMORY_WRITES = {"insert", "update", "delete_everywhere", "set_embedding", "scrub_deleted_text"}


def _memory_writes(path: Path) -> list[int]:
    tree = ast.parse(path.read_text())
    aliases = {a.asname or a.name for node in ast.walk(tree)
               if isinstance(node, ast.ImportFrom) and node.module == "storage"
               for a in node.names if a.name == "memories"}
    return [node.lineno for node in ast.walk(tree)
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
            and node.func.attr in MEMORY_WRITES and isinstance(node.func.value, ast.Name)
            and node.func.value.id in aliases]


def test_only_memory_service_writes_memories():
    offenders = []
    for folder in ("secondme", "tui"):
        for path in sorted((ROOT / folder).rglob("*.py")):
            rel = path.relative_to(ROOT).as_posix()
            if rel not in MEMORY_WRITERS_ALLOWED:
                offenders += [f"{rel}:{line}" for line in _memory_writes(path)]
    assert offenders == [], "write memories through MemoryService: " + ", ".join(offenders)


def test_the_writer_check_sees_a_write(tmp_path):
    probe = tmp_path / "probe.py"
    probe.write_text("from storage import memories as rows\n\n\n"
                     "def f(db):\n    rows.update(db, 1, state='archived')\n")
    assert _memory_writes(probe) == [5]
