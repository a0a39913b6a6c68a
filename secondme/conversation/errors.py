"""The chat's own exceptions (secondme.conversation.session re-exports them)."""

from __future__ import annotations

from typing import Any


class ChatBusy(RuntimeError):
    def __init__(self) -> None:
        super().__init__("a reply is still being generated; stop it first")


class ReplyInterrupted(KeyboardInterrupt):
    """Ctrl+C during a reply: the partial reply was stored; here it is."""

    def __init__(self, result: Any) -> None:
        super().__init__("reply interrupted")
        self.result = result
