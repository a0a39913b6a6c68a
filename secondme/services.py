"""The composition root: builds every service from settings and an unlocked bank.

Nothing else constructs models, embedders or connections; tests pass fakes in.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from storage import Bank

from .clock import Clock
from .config import Settings
from .degradation import note
from .errors import MissingFile
from .llm.base import TextModel
from .memory.decay import DecayParams
from .memory.embed import embed_if_cheap
from .memory.embeddings import Embedder, SentenceTransformerEmbedder
from .memory.service import MemoryService
from .paths import model_cache_dir

if TYPE_CHECKING:
    from .memory.retrieval import Hit


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


class Retriever(Protocol):
    """What chat, ask, search, MCP and the evaluation call (HybridRetriever in the product)."""

    def search(self, query: str, *, k: int = 8, include_archived: bool = False,
               mode: str = "hybrid", kinds: list[str] | None = None) -> list[Hit]: ...


RetrieverFactory = Callable[["Services"], Retriever]
ModelLoader = Callable[[Settings], TextModel]   # load_model in the product; tests pass fakes


def default_retriever(services: Services) -> Retriever:
    from .memory.retrieval import HybridRetriever

    # The embedder is fetched (and loaded) only when a search needs the query vector.
    return HybridRetriever(services.memory, services.available_embedder)


class Services:
    """Everything a front end needs, built once per unlocked bank by `build_services`.

    The model, the embedder and the retriever are made on first use (loading a model costs
    seconds), unless the caller passed them in. Nothing is replaced after construction, except
    the model through `switch_model` (the person picks another one).
    """

    def __init__(self, settings: Settings, bank: Bank, clock: Clock, *,
                 model: TextModel | None = None, embedder: Embedder | None = None,
                 retriever_factory: RetrieverFactory | None = None,
                 embed_on_write: bool = True, model_loader: ModelLoader | None = None) -> None:
        self.settings = settings
        self.bank = bank
        self.clock = clock
        self._model = model
        self._model_loader = model_loader or load_model
        self._embedder = embedder
        self._embedder_error: str | None = None
        self._retriever: Retriever | None = None
        self._retriever_factory = retriever_factory or default_retriever
        self._lock = threading.Lock()
        decay = DecayParams(tau_days=settings.tau_days, threshold=settings.archive_threshold)
        # remember/edit embed on write, but only when the embedder is already in memory.
        hook = self._embed_if_cheap if embed_on_write else None
        self.memory = MemoryService(bank, clock, decay, embed_hook=hook)

    def embedder(self) -> Embedder:
        with self._lock:
            if self._embedder is None:
                self._embedder = load_embedder(self.settings)
            return self._embedder

    def available_embedder(self) -> Embedder | None:
        """The embedder, or None when it cannot be loaded (dense recall then falls back to
        keywords, and `degraded()` says why)."""
        if self._embedder_error is not None:
            return None
        try:
            embedder = self.embedder()
            load = getattr(embedder, "load", None)   # SentenceTransformerEmbedder is lazy
            if load is not None and not getattr(embedder, "loaded", True):
                load()
            return embedder
        except Exception as exc:   # a missing or broken embedding model is not fatal
            self._embedder_error = note(
                "embeddings", f"dense recall unavailable: the embedder failed to load "
                f"({type(exc).__name__}: {exc}); searching by keywords only")
            return None

    def model(self) -> TextModel:
        with self._lock:
            if self._model is None:
                self._model = self._model_loader(self.settings)
            return self._model

    def switch_model(self, model_path: str | None) -> TextModel:
        """Loads another model (None: the embedded default) and makes it the one every caller
        gets from now on; `settings.model` follows. Loading takes seconds, so it runs outside
        the lock; when it fails the exception propagates and the current model stays."""
        settings = replace(self.settings, model=model_path)
        model = self._model_loader(settings)
        with self._lock:
            self._model, self.settings = model, settings
        return model

    @property
    def model_loaded(self) -> bool:
        return self._model is not None

    @property
    def embedder_loaded(self) -> bool:
        return self._embedder is not None

    def retriever(self) -> Retriever:
        """The retriever every caller uses (chat, ask, search, MCP, eval)."""
        with self._lock:
            if self._retriever is None:
                self._retriever = self._retriever_factory(self)
            return self._retriever

    def degraded(self) -> list[str]:
        """What runs in a fallback mode right now (empty when everything is up)."""
        return [self._embedder_error] if self._embedder_error else []

    def _embed_if_cheap(self, text: str, kind: str) -> tuple[bytes, str] | None:
        return embed_if_cheap(self._embedder if self.embedder_loaded else None, text, kind)

    def close(self) -> None:
        self.bank.close()


def build_services(settings: Settings, bank: Bank, clock: Clock | None = None, *,
                   model: TextModel | None = None, embedder: Embedder | None = None,
                   retriever_factory: RetrieverFactory | None = None,
                   embed_on_write: bool = True,
                   model_loader: ModelLoader | None = None) -> Services:
    """The composition root. Tests and benchmarks pass their seams here, never afterwards."""
    return Services(settings, bank, clock or Clock.from_env(), model=model, embedder=embedder,
                    retriever_factory=retriever_factory, embed_on_write=embed_on_write,
                    model_loader=model_loader)
