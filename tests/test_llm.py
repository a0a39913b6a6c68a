"""The llama.cpp adapter and chat-template rendering."""

from __future__ import annotations

import threading

import pytest

from secondme.llm.base import ModelInfo
from secondme.llm.templates import (
    GEMMA_TURNS_TEMPLATE,
    TemplateError,
    render_chat_template,
    template_stops,
)

CHATML = (
    "{{ bos_token }}{% for m in messages %}<|im_start|>{{ m['role'] }}\n{{ m['content'] }}"
    "<|im_end|>\n{% endfor %}{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}"
)


def info(template: str | None = None) -> ModelInfo:
    return ModelInfo(name="t", path="t.gguf", n_ctx=512, gpu_offload_supported=False,
                     gpu_layers=0, chat_template=template, architecture="x",
                     extra={"bos_token": "<s>", "eos_token": "</s>"})


def test_template_renders_like_llama_cpp_without_a_second_bos():
    text = render_chat_template(CHATML, [{"role": "user", "content": "hi"}], bos_token="<s>",
                                eos_token="</s>")
    assert text == "<|im_start|>user\nhi<|im_end|>\n<|im_start|>assistant\n"


def test_template_errors_are_template_errors():
    bad = "{{ raise_exception('no system role') }}"
    with pytest.raises(TemplateError, match="no system role"):
        render_chat_template(bad, [{"role": "system", "content": "x"}])


def test_gemma_turns_fold_the_system_text_into_the_first_user_turn():
    text = render_chat_template(GEMMA_TURNS_TEMPLATE, [
        {"role": "system", "content": "SYS"}, {"role": "user", "content": "hi"},
        {"role": "assistant", "content": "yo"}, {"role": "user", "content": "q"}],
        bos_token="<bos>")
    assert text == ("<start_of_turn>user\nSYS\n\nhi<end_of_turn>\n<start_of_turn>model\n"
                    "yo<end_of_turn>\n<start_of_turn>user\nq<end_of_turn>\n"
                    "<start_of_turn>model\n")


def test_template_stops_come_from_the_template_and_eos():
    assert template_stops(CHATML, info(CHATML)) == ["<|im_end|>", "</s>"]
    assert template_stops(GEMMA_TURNS_TEMPLATE, info()) == ["<end_of_turn>", "</s>"]


def test_device_reporting():
    assert info().device == "CPU"
    gpu = ModelInfo("g", "g", 512, True, -1, None, None)
    assert gpu.device == "GPU"


# -- the real default model ----------------------------------------------------------
@pytest.fixture(scope="module")
def real_model(tmp_path_factory):
    from secondme.config import load_settings
    from secondme.services import load_model

    return load_model(load_settings(tmp_path_factory.mktemp("home"), n_ctx=1024))


@pytest.mark.real_model
def test_default_model_loads_and_reports_itself(real_model):
    i = real_model.info
    assert i.n_ctx == 1024 and i.architecture == "gemma3" and i.chat_template is None
    assert i.device in ("CPU", "GPU") and i.extra["bos_token"] == "<bos>"
    assert real_model.count_tokens("Where does my sister live?") > 3


@pytest.mark.real_model
def test_streaming_stops_on_stop_sequences_and_on_cancel(real_model):
    prompt = "Maria: Say hello.\nBob: Hello!\nMaria: Say goodbye.\nBob:"
    text = real_model.complete(prompt, max_tokens=24, stop=["\nMaria:", "\n"], temperature=0.0)
    assert "\n" not in text and "Maria:" not in text

    cancel = threading.Event()
    pieces = []
    for piece in real_model.stream("Once upon a time", max_tokens=64, temperature=0.0,
                                   cancel=cancel):
        pieces.append(piece)
        if len(pieces) == 3:
            cancel.set()
    assert len(pieces) == 3
    # The lock was released: the model is usable again at once.
    assert real_model.complete("The sky is", max_tokens=2, temperature=0.0)


@pytest.mark.real_model
def test_prompt_budget_holds_with_the_real_tokenizer(real_model):
    from datetime import datetime

    from secondme.conversation.prompting import MemoryItem, Persona, PromptInputs, build_prompt

    memories = [MemoryItem(i, f"Note {i}: " + "the quick brown fox ünïcödé 日本語 " * 20,
                           "2024-04-01T00:00:00", "chat", 1.0 / (i + 1)) for i in range(40)]
    built = build_prompt(PromptInputs(Persona("Maria", "Second Me", datetime(2024, 5, 1)),
                                      "What happened?", memories), real_model, reply_tokens=200)
    assert built.dropped_memory_ids and built.memory_ids == list(range(len(built.memory_ids)))
    assert real_model.count_tokens(built.text) + 1 + built.max_tokens <= 1024


@pytest.mark.real_model
def test_a_gguf_with_a_chat_template_is_prompted_through_it(tmp_path, bank, clock, embedder):
    """`--model` with an instruction-style GGUF: the template path, end to end."""
    from secondme.config import load_settings
    from secondme.conversation.session import ChatSession
    from secondme.llm.llama import default_model_path
    from secondme.llm.templates import GEMMA_TURNS_TEMPLATE
    from secondme.paths import model_cache_dir
    from secondme.services import build_services, load_model

    from .gguf_edit import add_string_key

    templated = add_string_key(default_model_path(model_cache_dir()), tmp_path / "it.gguf",
                               "tokenizer.chat_template", GEMMA_TURNS_TEMPLATE)
    settings = load_settings(tmp_path, model=str(templated), n_ctx=1024, max_reply_tokens=16)
    model = load_model(settings)
    assert model.info.chat_template == GEMMA_TURNS_TEMPLATE
    services = build_services(settings, bank, clock, embedder=embedder, model=model)
    services.memory.remember("My sister Ana moved to Porto last spring.")
    result = ChatSession(services).reply("Where does my sister live?")
    assert result.prompt.style == "template" and result.error is None
    assert "<end_of_turn>" in result.prompt.stop and result.tokens > 0
    assert result.prompt.memory_ids
