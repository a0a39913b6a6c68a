"""Rendering chat messages with a model's own chat template (GGUF `tokenizer.chat_template`).

Instruction-tuned GGUFs ship a Jinja template; rendering it exactly as llama.cpp would keeps
replies in the format the model was trained on. We render to a plain string so the
`TextModel` protocol stays "prompt in, text out" and the prompt can be counted and packed.
"""

from __future__ import annotations

from collections.abc import Sequence

from ..errors import UserError
from .base import ModelInfo

# Gemma's turn format, for Gemma-family GGUFs that were instruction-tuned but lost their
# template. Gemma has no system role: the system text is folded into the first user turn.
GEMMA_TURNS_TEMPLATE = (
    "{{ bos_token }}"
    "{% set ns = namespace(system='') %}"
    "{% for m in messages %}{% if m['role'] == 'system' %}"
    "{% set ns.system = ns.system + m['content'] + '\n\n' %}{% endif %}{% endfor %}"
    "{% set first = namespace(done=false) %}"
    "{% for m in messages %}{% if m['role'] != 'system' %}"
    "{% set role = 'model' if m['role'] == 'assistant' else 'user' %}"
    "<start_of_turn>{{ role }}\n"
    "{% if not first.done and role == 'user' %}{{ ns.system }}{% endif %}"
    "{% set first.done = true %}"
    "{{ m['content'] | trim }}<end_of_turn>\n"
    "{% endif %}{% endfor %}"
    "{% if add_generation_prompt %}<start_of_turn>model\n{% endif %}"
)

# End-of-turn markers of common template families: harmless as text stops elsewhere.
TEMPLATE_STOPS = ("<end_of_turn>", "<|im_end|>", "<|eot_id|>", "<|end|>", "</s>")


class TemplateError(UserError, ValueError):
    """The model's chat template could not render these messages."""


def render_chat_template(template: str, messages: Sequence[dict[str, str]], *,
                         bos_token: str = "", eos_token: str = "") -> str:
    """The prompt text the model would see, without the leading BOS.

    llama.cpp's completion call adds BOS itself; keeping the template's copy would
    give the model two (llama-cpp-python warns that this hurts quality).
    """
    from llama_cpp.llama_chat_format import Jinja2ChatFormatter

    formatter = Jinja2ChatFormatter(template=template, eos_token=eos_token,
                                    bos_token=bos_token, add_generation_prompt=True)
    try:
        prompt = formatter(messages=list(messages)).prompt
    except Exception as exc:  # jinja errors and the template's own raise_exception
        raise TemplateError(f"chat template failed: {exc}") from exc
    if bos_token and prompt.startswith(bos_token):
        prompt = prompt[len(bos_token):]
    return prompt


def template_stops(template: str, info: ModelInfo) -> list[str]:
    """Text stops for a templated prompt: the template's end-of-turn marker and EOS."""
    stops = [s for s in TEMPLATE_STOPS if s in template]
    eos = info.extra.get("eos_token") if info.extra else None
    if eos and eos not in stops:
        stops.append(eos)
    return stops
