"""The composition root: builds every service from settings and an unlocked bank.

Nothing else constructs models, embedders or connections; tests pass fakes in.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from pathlib import Path

from storage import Bank

from .clock import Clock
from .config import Settings
from .decay import DecayParams
from .embeddings import Embedder, SentenceTransformerEmbedder
from .errors import MissingFile
from .llm.base import TextModel
from .memory import MemoryService
from .paths import model_cache_dir


def resolve_model_path(settings: Settings) -> Path:
    if settings.model:
        path = Path(settings.model).expanduser()
        if not path.is_file():
            raise MissingFile(f"model file not found: {path}")
        return path
    from .llm.llama import default_model_path

    return default_model_path(model_cache_dir())


def load_model(settings: Settings) -> TextModel:
    from .llm.llama import LlamaModel

    return LlamaModel(resolve_model_path(settings), n_ctx=settings.n_ctx,
                      n_gpu_layers=settings.n_gpu_layers)


def load_embedder(settings: Settings) -> Embedder:
    path = Path(settings.embedding_model).expanduser() if settings.embedding_model else None
    return SentenceTransformerEmbedder(path)


@dataclass
class Services:
    settings: Settings
    clock: Clock
    bank: Bank
    memory: MemoryService
    _embedder: Embedder | None = None
    _model: TextModel | None = None
    _retriever: object | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def embedder(self) -> Embedder:
        with self._lock:
            if self._embedder is None:
                self._embedder = load_embedder(self.settings)
            return self._embedder

    def model(self) -> TextModel:
        with self._lock:
            if self._model is None:
                self._model = load_model(self.settings)
            return self._model

    @property
    def model_loaded(self) -> bool:
        return self._model is not None

    @property
    def embedder_loaded(self) -> bool:
        return self._embedder is not None

    def retriever(self):
        """The retriever every caller uses (chat, ask, search, eval). Memory-engine owned."""
        with self._lock:
            if self._retriever is None:
                from .retrieval import HybridRetriever

                # The embedder is fetched (and loaded) only when a search needs the query vector.
                self._retriever = HybridRetriever(self.memory, self.embedder)
            return self._retriever

    def close(self) -> None:
        self.bank.close()


def build_services(settings: Settings, bank: Bank, clock: Clock | None = None, *,
                   embedder: Embedder | None = None, model: TextModel | None = None) -> Services:
    clock = clock or Clock.from_env()
    decay = DecayParams(tau_days=settings.tau_days, threshold=settings.archive_threshold)
    memory = MemoryService(bank, clock, decay)
    services = Services(settings=settings, clock=clock, bank=bank, memory=memory,
                        _embedder=embedder, _model=model)
    from .embedding_service import attach

    attach(services)  # remember/edit embed on write when the embedder is already loaded
    return services
