"""The core's packages and the one-way rules between them (docs/ARCHITECTURE.md).

Every import counts: module level, inside a function and under `TYPE_CHECKING`, since a
function-level import is a cycle waiting for a refactor to trip over it.
"""

from __future__ import annotations

import ast
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TOPS = ("secondme", "storage", "tui")

# The platform everyone imports; it imports no domain package.
PLATFORM = {"clock", "config", "config_edit", "degradation", "errors", "faithfulness",
            "hardening", "paths", "periods", "progress", "prompt_segments"}
DOMAINS = {"memory", "conversation", "consolidation", "views", "importers", "exporters",
           "jobs", "mcp", "evaluation", "llm"}
ENTRY = {"cli", "services", "unlock", "doctor", "__main__"}

# package → packages it must never import (at any level).
FORBIDDEN: dict[str, set[str]] = {
    "memory": DOMAINS - {"memory"} | ENTRY,
    "conversation": {"consolidation", "views", "importers", "exporters", "jobs", "mcp",
                     "evaluation"} | ENTRY,
    "consolidation": {"conversation", "views", "importers", "exporters", "jobs", "mcp",
                      "evaluation"} | ENTRY,
    "views": {"importers", "exporters", "jobs", "mcp", "evaluation"} | ENTRY,
    "importers": {"conversation", "consolidation", "views", "exporters", "jobs", "mcp",
                  "evaluation"} | ENTRY,
    "llm": DOMAINS - {"llm"} | ENTRY,
    "jobs": {"conversation", "views", "importers", "exporters", "mcp", "evaluation"} | ENTRY,
    "mcp": {"cli", "unlock", "__main__", "evaluation", "jobs"},
    **{name: DOMAINS | ENTRY for name in PLATFORM},
}


def _modules() -> dict[str, tuple[Path, bool]]:
    found = {}
    for top in TOPS:
        for path in (ROOT / top).rglob("*.py"):
            parts = list(path.relative_to(ROOT).with_suffix("").parts)
            is_package = parts[-1] == "__init__"
            found[".".join(parts[:-1] if is_package else parts)] = (path, is_package)
    return found


MODULES = _modules()


def _targets(module: str, is_package: bool, node: ast.AST) -> list[str]:
    """The project modules an import statement names (submodule when it is one)."""
    names: list[str] = []
    if isinstance(node, ast.ImportFrom):
        base = node.module or ""
        if node.level:
            package = module.split(".") if is_package else module.split(".")[:-1]
            base = ".".join(package[:len(package) - node.level + 1] + ([base] if base else []))
        names = [f"{base}.{a.name}" if f"{base}.{a.name}" in MODULES else base
                 for a in node.names]
    elif isinstance(node, ast.Import):
        names = [a.name for a in node.names]
    out = []
    for name in names:
        while name and name not in MODULES:
            name = name.rpartition(".")[0]
        if name and name != module:
            out.append(name)
    return out


def _graph() -> dict[str, set[str]]:
    graph: dict[str, set[str]] = defaultdict(set)
    for module, (path, is_package) in MODULES.items():
        for node in ast.walk(ast.parse(path.read_text())):
            graph[module].update(_targets(module, is_package, node))
    return graph


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    for root in sorted(graph):
        if root in index:
            continue
        work = [(root, iter(sorted(graph[root])))]
        index[root] = low[root] = len(index)
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = len(index)
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph.get(child, ())))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                if len(component) > 1:
                    found.append(sorted(component))
    return found


def _package(module: str) -> str | None:
    parts = module.split(".")
    return parts[1] if parts[0] == "secondme" and len(parts) > 1 else None


def test_no_import_cycle_not_even_inside_a_function():
    assert _cycles(_graph()) == []


def test_the_cycle_check_sees_a_cycle():
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


def test_packages_import_only_downwards():
    offenders = []
    for module, targets in _graph().items():
        package = _package(module)
        for target in targets:
            if package is not None and _package(target) in FORBIDDEN.get(package, set()):
                offenders.append(f"{module} → {target}")
    assert offenders == []


def test_every_core_module_belongs_to_a_known_layer():
    # A new top-level module must be placed deliberately (and named in ARCHITECTURE.md).
    known = PLATFORM | DOMAINS | ENTRY | {"__init__"}
    for path in (ROOT / "secondme").iterdir():
        name = path.stem if path.suffix == ".py" else path.name
        if path.name != "__pycache__" and (path.suffix == ".py" or path.is_dir()):
            assert name in known, f"{path.name}: add it to a package or to PLATFORM"
