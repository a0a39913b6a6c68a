"""Messages the chat screen's workers post to the UI thread (`post_message` is thread-safe)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from textual.message import Message


@dataclass
class ReplyTick(Message, bubble=False):
    """New pieces are waiting in the screen's buffer. Coalesces: one tick drains them all."""

    def can_replace(self, message: Message) -> bool:
        return isinstance(message, ReplyTick)


@dataclass
class RecallReady(Message, bubble=False):
    recalled: list[Any]
    question: str


@dataclass
class ReplyFinished(Message, bubble=False):
    result: Any          # secondme.conversation.session.ReplyResult


@dataclass
class ReplyFailed(Message, bubble=False):
    error: str


@dataclass
class LoadState(Message, bubble=False):
    """Background loading progress: 'model', 'recall', 'ready' or 'error'."""

    state: str
    detail: str = ""


@dataclass
class InputTrimmed(Message, bubble=False):
    """The message was stored whole but shortened to fit the model's context."""

    chars: int
    budget: int


@dataclass
class ModelSwitch(Message, bubble=False):
    """Switching the model from the palette: 'loading', then 'done' or 'failed'.

    `name` is the model's own name once loaded; `detail` its device, or the error."""

    state: str
    name: str
    detail: str = ""
    saved: str = ""      # why the choice was not written to config.toml ("" when it was)
