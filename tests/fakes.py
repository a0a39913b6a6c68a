"""Deterministic stand-ins for the model and the embedder (unit tests only)."""

from __future__ import annotations

import hashlib
import re
import threading
from collections.abc import Callable, Iterator

import numpy as np

from secondme.llm.base import ModelInfo


class HashingEmbedder:
    """Bag-of-words hashed into a fixed space: similar words → similar vectors, no torch."""

    def __init__(self, dim: int = 64, synonyms: dict[str, str] | None = None) -> None:
        self._dim = dim
        self.synonyms = synonyms or {}
        self.calls = 0

    @property
    def name(self) -> str:
        return "fake-hashing"

    @property
    def dim(self) -> int:
        return self._dim

    def encode(self, texts: list[str]) -> np.ndarray:
        self.calls += 1
        out = np.zeros((len(texts), self._dim), dtype=np.float32)
        for row, text in enumerate(texts):
            for word in re.findall(r"\w+", text.lower()):
                word = self.synonyms.get(word, word)
                slot = int(hashlib.md5(word.encode()).hexdigest(), 16) % self._dim
                out[row, slot] += 1.0
            norm = np.linalg.norm(out[row])
            if norm:
                out[row] /= norm
        return out


class FakeModel:
    """Scripted completions; records every prompt it was given."""

    def __init__(self, script: list[list[str]] | None = None, n_ctx: int = 2048,
                 delay: float = 0.0, chat_template: str | None = None,
                 template_tokens: dict[str, str] | None = None) -> None:
        self.script = list(script or [])
        self.prompts: list[str] = []
        self.grammars: list[str | None] = []
        self.delay = delay
        self._info = ModelInfo(name="fake", path="fake.gguf", n_ctx=n_ctx,
                               gpu_offload_supported=False, gpu_layers=0,
                               chat_template=chat_template, architecture="gemma3",
                               **({"extra": template_tokens} if template_tokens else {}))

    @property
    def info(self) -> ModelInfo:
        return self._info

    def count_tokens(self, text: str) -> int:
        return max(1, len(text) // 4)

    def stream(self, prompt: str, *, max_tokens: int = 256, stop: list[str] | None = None,
               temperature: float = 0.7, grammar: str | None = None,
               cancel: threading.Event | None = None) -> Iterator[str]:
        import time

        self.prompts.append(prompt)
        self.grammars.append(grammar)
        pieces = self.script.pop(0) if self.script else ["I remember."]
        for piece in pieces:
            if cancel is not None and cancel.is_set():
                return
            if self.delay:
                time.sleep(self.delay)
            yield piece

    def complete(self, prompt: str, **kwargs) -> str:
        return "".join(self.stream(prompt, **kwargs))


def stop_after(session, pieces: int) -> Callable[[str], None]:
    """An `on_piece` callback that stops the reply (as Esc does) once `pieces` arrived."""
    seen: list[str] = []

    def on_piece(piece: str) -> None:
        seen.append(piece)
        if len(seen) == pieces:
            session.cancel()

    return on_piece
