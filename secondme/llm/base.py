"""What the rest of Second Me needs from a language model, and nothing more."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Protocol


@dataclass(frozen=True)
class ModelInfo:
    name: str
    path: str
    n_ctx: int
    gpu_offload_supported: bool
    gpu_layers: int
    chat_template: str | None
    architecture: str | None
    extra: dict = field(default_factory=dict)

    @property
    def device(self) -> str:
        return "GPU" if self.gpu_offload_supported and self.gpu_layers != 0 else "CPU"


class TextModel(Protocol):
    """A completion model. Prompts are plain strings; formatting lives in `secondme.conversation.prompting`."""

    @property
    def info(self) -> ModelInfo: ...

    def count_tokens(self, text: str) -> int: ...

    def stream(self, prompt: str, *, max_tokens: int = 256, stop: list[str] | None = None,
               temperature: float = 0.7, grammar: str | None = None,
               cancel: threading.Event | None = None) -> Iterator[str]: ...

    def complete(self, prompt: str, *, max_tokens: int = 256, stop: list[str] | None = None,
                 temperature: float = 0.7, grammar: str | None = None) -> str: ...
