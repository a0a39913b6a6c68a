"""The LLM and embedder for a job, loaded only when a job actually needs them.

A run with nothing to do must not pay seconds for loading a model, and a model that
fails to load must not stop consolidation: callers catch the error and fall back to
extractive summaries and rule-based facts.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator

from ..llm.base import ModelInfo, TextModel
from .runner import JobContext


class LazyModel:
    """A TextModel that loads on first use; a failed load is remembered, not retried."""

    def __init__(self, load: Callable[[], TextModel], on_error: Callable[[Exception], None],
                 before_use: Callable[[], None] | None = None):
        self._load = load
        self._on_error = on_error
        self._before_use = before_use   # e.g. wait while the chat is replying
        self._model: TextModel | None = None
        self._error: Exception | None = None

    def _get(self) -> TextModel:
        if self._model is None:
            if self._error is not None:
                raise self._error
            try:
                self._model = self._load()
            except Exception as exc:
                self._error = exc
                self._on_error(exc)
                raise
        return self._model

    @property
    def info(self) -> ModelInfo:
        return self._get().info

    def count_tokens(self, text: str) -> int:
        return self._get().count_tokens(text)

    def stream(self, prompt: str, *, max_tokens: int = 256, stop: list[str] | None = None,
               temperature: float = 0.7, grammar: str | None = None,
               cancel: threading.Event | None = None) -> Iterator[str]:
        if self._before_use is not None:
            self._before_use()
        return self._get().stream(prompt, max_tokens=max_tokens, stop=stop,
                                  temperature=temperature, grammar=grammar, cancel=cancel)

    def complete(self, prompt: str, **kwargs) -> str:
        return "".join(self.stream(prompt, **kwargs))


def model_for(ctx: JobContext) -> TextModel | None:
    if not ctx.options.use_llm:
        return None

    def note(exc: Exception) -> None:
        ctx.counts["model_unavailable"] = f"{type(exc).__name__}: {exc}"[:200]

    return LazyModel(ctx.services.model, note, before_use=ctx.yield_to_chat)


def embedder_for(ctx: JobContext):
    def get():
        return ctx.services.embedder()
    return get
