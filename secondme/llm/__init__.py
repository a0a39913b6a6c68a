"""Local language models. `llama_cpp` is imported lazily, only inside `llama.py`."""

from .base import ModelInfo, TextModel

__all__ = ["ModelInfo", "TextModel"]
