"""Our screens and widgets must not overwrite Textual's own attributes or methods.

A `ChatScreen._closing` flag once replaced `MessagePump._closing`: the screen then could
never be removed and the idle lock hung. This guards the whole `tui` package against that.
"""

from __future__ import annotations

import ast
import importlib
import inspect
import textwrap
from pathlib import Path

import pytest
from textual.message_pump import MessagePump

import tui

# Hooks Textual expects subclasses to define.
HOOK_PREFIXES = ("on_", "_on_", "action_", "watch_", "compose", "render", "check_action",
                 "get_system_commands", "__")


def assigned_on_self(source: str) -> set[str]:
    tree = ast.parse(textwrap.dedent(source))
    return {node.attr for node in ast.walk(tree)
            if isinstance(node, ast.Attribute) and isinstance(node.ctx, ast.Store)
            and isinstance(node.value, ast.Name) and node.value.id == "self"}


def textual_names(cls: type) -> set[str]:
    names: set[str] = set()
    for klass in cls.__mro__:
        if klass.__module__.startswith("textual."):
            names |= set(vars(klass))
            if "__init__" in vars(klass):
                names |= assigned_on_self(inspect.getsource(klass.__init__))
    return names


def our_textual_classes() -> list[type]:
    root = Path(tui.__file__).parent
    found = []
    for path in sorted(root.rglob("*.py")):
        name = ".".join(path.relative_to(root.parent).with_suffix("").parts)
        module = importlib.import_module(name)
        found += [cls for cls in vars(module).values()
                  if inspect.isclass(cls) and issubclass(cls, MessagePump)
                  and cls.__module__ == name]
    return found


def defined_methods(source: str) -> set[str]:
    body = ast.parse(textwrap.dedent(source)).body[0].body
    return {node.name for node in body
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef))
            and not node.name.startswith(HOOK_PREFIXES)}


@pytest.mark.parametrize("cls", our_textual_classes(), ids=lambda cls: cls.__name__)
def test_no_textual_attribute_is_overwritten(cls):
    source = inspect.getsource(cls)
    ours = assigned_on_self(source) | defined_methods(source)
    clash = ours & textual_names(cls)
    assert not clash, f"{cls.__name__} overwrites Textual's {sorted(clash)}"
