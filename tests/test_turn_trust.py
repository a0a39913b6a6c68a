"""The assistant's words never outrank the person's (issue 14.3): the evening, replayed."""

from __future__ import annotations

from secondme.conversation.session import ChatSession
from storage import evidence
from storage import migrations as schema
from storage.sqlcipher import sqlite_utils


def test_wrong_answers_do_not_outrank_what_the_person_said(services, fake_model):
    fake_model.script = [["Noted."], ["You're in the house."], ["English."]]
    session = ChatSession(services)
    told = session.reply("My sister Ana just moved to Porto").turn_memory_id
    session.new_conversation()
    asked = session.reply("Where does my sister live?").turn_memory_id
    session.new_conversation()
    session.reply("What language am I learning?")

    hits = services.retriever().search("where does my sister live", k=5)
    ids = [h.memory.id for h in hits]
    assert ids[0] == told, [h.memory.text for h in hits]
    assert asked in ids   # still a record of the evening, just not evidence
    question = next(h for h in hits if h.memory.id == asked)
    assert question.scores.evidence == evidence.QUESTION_ONLY
    assert "a question, not a statement" in question.reasons


def test_the_assistants_words_alone_are_not_found_above_the_persons(services, fake_model):
    fake_model.script = [["Your sister lives in the house."]]
    said = services.memory.remember("My sister lives in Porto now.")
    ChatSession(services).reply("Tell me a story about family")
    hits = services.retriever().search("where does my sister live", k=5)
    assert hits[0].memory.id == said


def test_only_the_persons_side_of_a_turn_is_searched_and_embedded(services):
    memory_id = services.memory.remember(
        "Emily: I like tea.\nSecond Me: Great! Porto has fine tea houses.", kind="turn")
    row = services.bank.db().execute(
        "SELECT person_text, search_text, evidence FROM memories WHERE id = ?",
        [memory_id]).fetchone()
    assert tuple(row) == ("Emily: I like tea.", "Emily: I like tea.", 1.0)
    # The reply's words still find the turn, but weakly; the person's words fully.
    by_reply = services.retriever().search("Porto tea houses", k=1, mode="bm25")[0]
    by_person = services.retriever().search("I like tea", k=1, mode="bm25")[0]
    assert by_reply.scores.bm25 < by_person.scores.bm25


def test_editing_a_turn_makes_all_of_it_the_persons_words(services):
    memory_id = services.memory.remember("User: where is it?\nSecond Me: in Porto", kind="turn")
    services.memory.edit(memory_id, "My keys are in the blue bowl.")
    row = services.bank.db().execute(
        "SELECT person_text, evidence FROM memories WHERE id = ?", [memory_id]).fetchone()
    assert tuple(row) == (None, 1.0)
    assert services.retriever().search("keys bowl", k=1)[0].memory.id == memory_id


def test_questions_and_statements_are_told_apart():
    assert evidence.only_asks("User: Where does my sister live?")
    assert evidence.only_asks("Hi there. Can you recommend a movie?")
    assert evidence.only_asks("where does my sister live")
    assert not evidence.only_asks("My sister Ana just moved to Porto")
    assert not evidence.only_asks("I love sci-fi films. Can you recommend one?")
    assert not evidence.only_asks("Okay, thanks.")
    assert evidence.person_words("Caroline: I went hiking.\nMelanie: Nice!") is None
    assert evidence.person_words("Me: hi\nAI: hello\nmore reply\nMe: bye") == "Me: hi\nMe: bye"


def test_existing_banks_are_migrated():
    db = sqlite_utils.Database(memory=True)
    schema.migrations.apply(db, stop_before="m007_turn_trust")
    db.execute("INSERT INTO sessions (id, started_at, last_active_at) VALUES ('s', 't', 't')")
    for role, text in (("user", "Where does my sister live?"), ("assistant", "In the house.")):
        db.execute("INSERT INTO messages (session_id, role, text, created_at) "
                   "VALUES ('s', ?, ?, 't')", [role, text])
    rows = [("turn", "User: Where does my sister live?\nSecond Me: In the house.", "user",
             '{"message_ids": [1, 2]}'),
            ("turn", "Emily: I moved to Porto.\nSecond Me: Lovely!", "user", "{}"),
            ("note", "My sister Ana lives in Porto.", "import", "{}")]
    for kind, text, trust, ref in rows:
        db.execute("INSERT INTO memories (kind, text, event_at, recorded_at, source, source_ref, "
                   "last_reinforced_at, trust, content_hash, embedding, embedding_model) "
                   "VALUES (?, ?, 't', 't', 'chat', ?, 't', ?, 'h', x'00', 'm')",
                   [kind, text, ref, trust])
    schema.apply(db)
    got = [tuple(r) for r in db.execute(
        "SELECT person_text, evidence, embedding_model FROM memories ORDER BY id")]
    assert got == [("Where does my sister live?", evidence.QUESTION_ONLY, None),
                   ("Emily: I moved to Porto.", 1.0, None),
                   (None, 1.0, "m")]
    found = [r[0] for r in db.execute(
        "SELECT rowid FROM memories_fts WHERE memories_fts MATCH 'house'")]
    assert found == [1]   # still findable by the reply's words (the whole-text column)
    found = [r[0] for r in db.execute(
        "SELECT rowid FROM memories_fts WHERE memories_fts MATCH 'search_text : house'")]
    assert found == []


def test_imported_chatgpt_turns_are_split_at_the_storage_layer(services):
    from storage import memories as rows

    with services.bank.write() as db:
        memory_id = rows.insert(db, {
            "kind": "turn", "text": "User: What should I cook?\nChatGPT: Try a Porto stew.",
            "event_at": "2024-04-01T00:00:00", "recorded_at": "2024-04-01T00:00:00",
            "source": "chatgpt", "source_ref": {}, "last_reinforced_at": "2024-04-01T00:00:00",
            "trust": "import", "meta": {}})
    row = services.bank.db().execute("SELECT person_text, evidence FROM memories WHERE id = ?",
                                     [memory_id]).fetchone()
    assert tuple(row) == ("User: What should I cook?", evidence.QUESTION_ONLY)
