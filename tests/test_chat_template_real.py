"""The instruction-tuned path end to end (issue 14.6): a real GGUF with a chat template in its
metadata; persona, fenced memories, profile and history in the model's own turn format, its
stop tokens honoured, and the prompt packed inside the context budget."""

from __future__ import annotations

import pytest

from secondme.conversation.session import ChatSession

pytestmark = pytest.mark.real_model


@pytest.fixture(scope="module")
def templated_model(tmp_path_factory):
    from secondme.config import load_settings
    from secondme.llm.llama import default_model_path
    from secondme.llm.templates import GEMMA_TURNS_TEMPLATE
    from secondme.paths import model_cache_dir
    from secondme.services import load_model

    from .gguf_edit import add_string_key

    folder = tmp_path_factory.mktemp("it")
    path = add_string_key(default_model_path(model_cache_dir()), folder / "it.gguf",
                          "tokenizer.chat_template", GEMMA_TURNS_TEMPLATE)
    return load_model(load_settings(folder, model=str(path), n_ctx=1024))


def test_template_prompt_has_every_part_in_the_models_turns(tmp_path, bank, clock, embedder,
                                                            templated_model):
    from secondme.config import load_settings
    from secondme.services import build_services

    settings = load_settings(tmp_path, n_ctx=1024, max_reply_tokens=24, user_name="Maria")
    services = build_services(settings, bank, clock, embedder=embedder, model=templated_model)
    with services.bank.write() as db:
        db.execute("INSERT INTO profile_facts (subject, attribute, value, category, confidence, "
                   "evidence, recorded_at, status) VALUES ('user', 'home_city', 'Lisbon', "
                   "'identity', 0.9, 'I live in Lisbon', '2024-04-01T00:00:00', 'active')")
    planted = services.memory.remember("My sister Ana moved to Porto last spring.")
    for i in range(12):   # far more than fits: the packer must drop, never overflow
        services.memory.remember(f"Sister note {i}: " + "a long day of errands in town " * 40)
    session = ChatSession(services)
    first = session.reply("Hello, I am Maria.")
    result = session.reply("Where does my sister live?")
    built = result.prompt
    assert built.style == "template" and result.error is None and result.tokens > 0
    assert built.dropped_memory_ids and planted in built.memory_ids
    # Within the context with the real tokenizer: prompt + BOS + the reply budget.
    assert services.model().count_tokens(built.text) + 1 + built.max_tokens <= 1024
    assert "<end_of_turn>" in built.stop
    # The history is a real model turn, the system text folded into the first user turn.
    assert f"<start_of_turn>model\n{first.text.strip()}" in built.text
    assert built.text.count("<start_of_turn>user") == 2
    assert built.text.endswith("<start_of_turn>model\n")
    assert "You are Second Me, the private memory assistant of Maria" in built.text
    assert "home city: Lisbon" in built.text
    assert "<memories>" in built.text and "My sister Ana moved to Porto" in built.text
    # Generation stopped at the model's own end of turn.
    assert "<end_of_turn>" not in result.text and "<start_of_turn>" not in result.text
