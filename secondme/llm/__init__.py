"""Local language models. `llama_cpp` is imported lazily, only inside `llama.py`."""

from .base import GenerationCancelled, ModelInfo, TextModel

__all__ = ["GenerationCancelled", "ModelInfo", "TextModel"]
