"""ChatSession: ground truth stored, recall placed in the prompt, the exchange remembered."""

from __future__ import annotations

import json
import os
import subprocess
import threading
from pathlib import Path

import pytest

from secondme.config import load_settings
from secondme.conversation.context import user_words
from secondme.conversation.session import ChatBusy, ChatSession
from storage import messages as msgs

from .cli_runner import SECONDME
from .fakes import FakeModel, stop_after

ROOT = Path(__file__).resolve().parents[1]


def rows(services, sql, args=()):
    return list(services.bank.db().query(sql, list(args)))


def test_reply_stores_messages_turn_memory_and_reinforces_what_was_used(services, fake_model):
    planted = services.memory.remember("My sister Ana moved to Porto last spring.", source="cli")
    fake_model.script = [["She lives ", "in Porto."]]
    session = ChatSession(services)
    result = session.reply("Where does my sister live?")

    assert result.text == "She lives in Porto." and not result.cancelled and result.error is None
    stored = msgs.recent_messages(services.bank.db(), session.session_id)
    assert [(m.role, m.text) for m in stored] == [("user", "Where does my sister live?"),
                                                  ("assistant", "She lives in Porto.")]
    assert rows(services, "SELECT source FROM sessions")[0]["source"] == "chat"

    turn = services.memory.get(result.turn_memory_id)
    assert (turn.kind, turn.trust, turn.source, turn.session_id) == \
        ("turn", "user", "chat", session.session_id)
    assert turn.source_ref == {"message_ids": [m.id for m in stored]}
    assert turn.text == "User: Where does my sister live?\nSecond Me: She lives in Porto."

    assert [r.hit.memory.id for r in result.recalled] == [planted]
    assert result.recalled[0].placed and result.prompt.memory_ids == [planted]
    assert result.reinforced == [planted]
    assert services.memory.get(planted).recall_count == 1
    assert "My sister Ana moved to Porto last spring." in fake_model.prompts[-1]
    assert "2024-05-01" in fake_model.prompts[-1]


def test_memories_left_out_of_the_prompt_are_not_reinforced(services, fake_model):
    long_tail = " and then " + "something else happened " * 30
    ids = [services.memory.remember(f"sister story {i}{long_tail}", importance=0.5) for i in range(8)]
    services.settings = services.settings.__class__(**{**services.settings.__dict__, "n_ctx": 512,
                                                       "max_reply_tokens": 128})
    result = ChatSession(services).reply("sister story")
    assert result.prompt.dropped_memory_ids
    assert set(result.reinforced) == set(result.prompt.memory_ids)
    for memory_id in result.prompt.dropped_memory_ids:
        assert services.memory.get(memory_id).recall_count == 0
    assert {r.hit.memory.id for r in result.recalled if not r.placed} == \
        set(result.prompt.dropped_memory_ids)
    assert set(result.prompt.memory_ids) | set(result.prompt.dropped_memory_ids) <= set(ids)


def test_cancelling_keeps_the_partial_reply_everywhere(make_services):
    model = FakeModel(script=[["one ", "two ", "three ", "four"]])
    services = make_services(model=model)
    session = ChatSession(services)
    result = session.reply("count for me", on_piece=stop_after(session, pieces=2))
    assert result.cancelled and result.text == "one two"
    last = msgs.recent_messages(services.bank.db(), session.session_id)[-1]
    assert (last.role, last.text, last.meta.get("cancelled")) == ("assistant", "one two", True)
    turn = services.memory.get(result.turn_memory_id)
    assert turn.meta == {"cancelled": True} and turn.text.endswith("Second Me: one two")
    assert not session.busy


def test_one_reply_at_a_time(services):
    session = ChatSession(services)
    prepared = session.prepare("first")
    with pytest.raises(ChatBusy):
        session.prepare("second")
    session.finish(prepared, "done")
    assert not session.busy
    session.reply("second")


def test_conversation_history_is_in_the_prompt_and_not_repeated_as_a_memory(services, fake_model):
    fake_model.script = [["Porto."], ["Porto."]]
    session = ChatSession(services)
    first = session.reply("My sister Ana moved to Porto last spring.")   # acknowledged, no model
    assert first.text == "Noted, I'll remember that: your sister Ana moved to Porto last spring."
    second = session.reply("Where does my sister Ana live?")
    prompt = fake_model.prompts[-1]
    assert f"User: My sister Ana moved to Porto last spring.\nSecond Me: {first.text}" in prompt
    assert first.turn_memory_id not in [r.hit.memory.id for r in second.recalled]
    # A new conversation forgets the history but recalls the turn as a memory.
    session.new_conversation()
    third = session.reply("Where does my sister Ana live?")
    assert first.turn_memory_id in [r.hit.memory.id for r in third.recalled]
    assert "User said: My sister Ana moved to Porto last spring." in fake_model.prompts[-1]
    assert "Noted" not in fake_model.prompts[-1].split("Hi, are you there?")[0]
    assert third.session_id != first.session_id


def test_profile_facts_and_summaries_are_read_when_present(services, fake_model):
    planted = services.memory.remember("Ana visited us in April.", at=None)
    with services.bank.write() as db:
        db.execute(
            "INSERT INTO profile_facts (subject, attribute, value, category, confidence, "
            "evidence, recorded_at, status) VALUES "
            "('user', 'home_city', 'Lisbon', 'identity', 0.9, 'I live in Lisbon', "
            "'2024-04-01T00:00:00', 'active'), "
            "('user', 'home_city', 'Faro', 'identity', 0.9, 'x', '2023-01-01T00:00:00', 'closed')")
        for level, key, start, end, text in [
                ("life", "life", "2000-01-01", "2024-05-01", "A life in Lisbon."),
                ("month", "2024-05", "2024-05-01", "2024-05-31", "May was busy.")]:
            db.execute(
                "INSERT INTO summaries (level, period_key, period_start, period_end, text, "
                "method, sources_hash, created_at) VALUES (?, ?, ?, ?, ?, 'test', 'h', ?)",
                [level, key, start, end, text, "2024-05-01T00:00:00"])
    result = ChatSession(services).reply("When did Ana visit?")
    prompt = fake_model.prompts[-1]
    assert "User — home city: Lisbon" in prompt and "Faro" not in prompt
    assert "User's life so far: A life in Lisbon." in prompt
    assert "May was busy." in prompt
    assert result.prompt.memory_ids == [planted]


def test_no_store_leaves_no_trace(services, fake_model):
    session = ChatSession(services, store=False)
    session.reply("Remember nothing of this")
    session.reply("Still nothing")
    assert "Remember nothing of this" in fake_model.prompts[-1]
    assert rows(services, "SELECT count(*) AS n FROM messages")[0]["n"] == 0
    assert services.memory.count(None) == 0


def test_without_a_model_the_words_are_still_remembered(make_services, home):
    services = make_services(model=None,
                             settings=load_settings(home, model="/nonexistent/model.gguf"))
    session = ChatSession(services)
    with pytest.raises(FileNotFoundError):
        session.reply("My sister Ana moved to Porto.")
    assert not session.busy
    memories = rows(services, "SELECT text, kind FROM memories")
    assert memories == [{"text": "User: My sister Ana moved to Porto.", "kind": "turn"}]


def test_a_failing_generation_is_reported_and_the_exchange_kept(make_services):
    class Broken(FakeModel):
        def stream(self, prompt, **kw):
            yield "par"
            raise RuntimeError("boom")

    services = make_services(model=Broken())
    result = ChatSession(services).reply("hello")
    assert result.error == "RuntimeError: boom" and result.text == "par"


def test_cancel_from_another_thread_while_streaming(make_services):
    services = make_services(model=FakeModel(script=[["x"] * 200], delay=0.01))
    session = ChatSession(services)
    timer = threading.Timer(0.2, session.cancel)
    timer.start()
    result = session.reply("go")
    timer.join()
    assert result.cancelled and 0 < len(result.text) < 200


def test_user_words():
    assert user_words("User: hi there\nSecond Me: hello", "User", "Second Me") == "hi there"
    assert user_words("unrelated text", "User", "Second Me") == "unrelated text"


# -- real model ---------------------------------------------------------------------------
@pytest.mark.real_model
def test_chat_session_with_the_real_default_model_produces_tokens(bank, clock, home, embedder):
    from secondme.config import load_settings
    from secondme.services import build_services, load_model

    settings = load_settings(home, n_ctx=1024, max_reply_tokens=24)
    services = build_services(settings, bank, clock, embedder=embedder,
                              model=load_model(settings))
    planted = services.memory.remember("My sister Ana moved to Porto last spring.")
    pieces: list[str] = []
    result = ChatSession(services).reply("Where does my sister live?", on_piece=pieces.append)
    assert pieces and result.text and result.tokens > 0 and result.error is None
    assert result.prompt.style == "transcript" and result.prompt.memory_ids == [planted]
    assert result.prompt.tokens + result.prompt.max_tokens <= 1024
    assert services.model().count_tokens(result.prompt.text) == result.prompt.tokens


@pytest.mark.real_model
def test_ask_json_recalls_an_earlier_message(home):
    env = {**os.environ, "SECONDME_HOME": str(home), "SECONDME_PASSPHRASE": "pw",
           "SECONDME_NOW": "2024-05-01T12:00:00", "SECONDME_N_CTX": "1024"}

    def run(*args: str) -> subprocess.CompletedProcess:
        proc = subprocess.run([*SECONDME, *args], capture_output=True,
                              text=True, env=env, cwd=ROOT, stdin=subprocess.DEVNULL)
        assert proc.returncode == 0, proc.stderr
        return proc

    run("init")
    (home / "config.toml").write_text("max_reply_tokens = 16\n")
    first = run("ask", "My sister Ana moved to Porto last spring.")
    assert first.stdout.strip() == ("Noted, I'll remember that: your sister Ana moved to "
                                     "Porto last spring.")   # a statement: acknowledged
    never = run("ask", "What is my dog's name?")
    assert never.stdout.strip() == "I don't remember you telling me about that."
    out = json.loads(run("ask", "--json", "Where does my sister live?").stdout)
    recalled = [r["memory"] for r in out["recalled"]]
    assert any("My sister Ana moved to Porto" in m["text"] and m["event_at"] == "2024-05-01T12:00:00"
               for m in recalled)
    assert {"bm25", "cosine", "retention", "final"} <= set(out["recalled"][0]["scores"])
    assert out["answer"] and out["model"]["device"] in ("CPU", "GPU")
    assert isinstance(out["citations"], list) and "unsupported" in out["grounding"]
    for cited in out["citations"]:
        assert {"number", "memory_id", "date", "source", "text"} <= set(cited)


def test_cancel_while_still_preparing_stops_before_any_text(make_services):
    from secondme.services import default_retriever

    started = threading.Event()
    release = threading.Event()

    class SlowRetriever:   # recall still running when Esc comes
        def __init__(self, svc):
            self.real = default_retriever(svc)

        def search(self, query, **kw):
            started.set()
            release.wait(5)
            return self.real.search(query, **kw)

    services = make_services(retriever_factory=SlowRetriever)
    session = ChatSession(services)
    box = {}
    worker = threading.Thread(target=lambda: box.setdefault("r", session.reply("hello")))
    worker.start()
    started.wait(5)
    session.cancel()
    release.set()
    worker.join(5)
    result = box["r"]
    assert result.cancelled and result.text == ""
    assert services.memory.get(result.turn_memory_id).text == "User: hello"
