"""Switching the language model from the command palette.

The palette lists the installed models as `secondme model list` knows them (the embedded
default, the catalog models pulled here, the configured file). Picking one loads it in a
thread worker through `Services.switch_model`; only when it loaded is config.toml written,
as `secondme model use NAME` writes it. The worker never touches widgets: it posts
`ModelSwitch` messages to the status bar. A model that fails to load leaves the old one in use.
"""

from __future__ import annotations

from collections.abc import Callable

from textual.command import CommandListItem, SimpleCommand
from textual.widget import Widget

from secondme.llm.installed import (
    InstalledModel,
    installed_models,
    model_label,
    resolve,
    save_active,
)
from secondme.services import Services

from .messages import ModelSwitch


def model_commands(services: Services,
                   pick: Callable[[InstalledModel], None]) -> list[CommandListItem]:
    """One palette entry per installed model; the active one says so."""
    commands: list[CommandListItem] = []
    for model in installed_models(services.settings.model):
        help_text = ("active now" if model.active else "") + \
            (f" · {model.path}" if model.path else " · no download needed")
        commands.append(SimpleCommand(f"{model.name} — {model.title}",
                                      lambda model=model: pick(model),
                                      help_text.strip(" ·")))
    return commands


def switch_model(services: Services, model: InstalledModel, status: Widget) -> None:
    """Runs in a thread worker: load, then save the choice; progress goes to `status`."""
    status.post_message(ModelSwitch("loading", model.name))
    try:
        path = resolve(model.name if model.path is None else model.path)
        loaded = services.switch_model(None if path is None else str(path))
    except Exception as exc:   # shown in the status bar; the old model keeps answering
        status.post_message(ModelSwitch("failed", model.name, _one_line(exc)))
        return
    label = model_label(loaded.info.path, loaded.info.name)
    try:
        save_active(services.settings.home, path)
    except OSError as exc:     # in use now, but the next start would not know
        status.post_message(ModelSwitch("done", label, loaded.info.device,
                                        saved=f"not saved in config.toml: {exc}"))
        return
    status.post_message(ModelSwitch("done", label, loaded.info.device))


def _one_line(exc: BaseException) -> str:
    text = " ".join(str(exc).split()) or type(exc).__name__
    return text if len(text) <= 120 else text[:119] + "…"
