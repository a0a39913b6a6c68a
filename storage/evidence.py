"""What in a memory is evidence: the person's own words, and how much they weigh.

A `turn` memory keeps a whole exchange ("NAME: question\\nSecond Me: reply"), but only the
person's side is evidence about them: the assistant's reply is a record of what a model
said, not a source. `person_text` holds the person's side of a turn (NULL when the whole
text is theirs); the FTS index and the vectors are built over `search_text`
(= person_text, or text). `evidence` is a weight in (0, 1] the retriever multiplies in:
a turn in which the person only asked something states no fact, and text the assistant
wrote gets less trust than the person's own statement of the same thing.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from .by_id import select_memories
from .sqlcipher import sqlite_utils

ASSISTANT_LABELS = ("second me", "assistant", "ai", "bot", "ai companion", "chatgpt", "claude",
                    "gemini", "model")
FULL = 1.0
QUESTION_ONLY = 0.1       # the person asked, stated nothing (measured: BENCHMARKS.md)
ASSISTANT_ONLY = 0.4      # text only the assistant wrote
UNSUPPORTED = 0.02        # a turn whose reply failed the grounding check: never evidence
_LABEL = re.compile(r"^\s*([^:\n]{1,40}):\s?(.*)$")
_SENTENCE = re.compile(r"[^.!?\n]+[.!?]*")
_ASKING = re.compile(r"(?i)^(who|whom|whose|what|when|where|which|why|how|is|are|am|was|were|"
                     r"do|does|did|can|could|will|would|should|shall|may|might|have|has|had)\b")
FILLER_WORDS = 3          # "Hi, AI companion." or "Okay, thanks." is not a statement


def person_words(text: str, assistant_names: Iterable[str] = ()) -> str | None:
    """The text without the assistant's labelled lines; None when no line is the assistant's.

    A line labelled with an assistant name (or a generic one: "AI:", "Assistant:") starts
    the assistant's part, and unlabelled lines after it continue it; any other label
    starts someone else's part, kept verbatim with its label.
    """
    assistants = {n.strip().lower() for n in assistant_names if n.strip()} | set(ASSISTANT_LABELS)
    kept: list[str] = []
    dropped = False
    speaker_is_assistant = False
    for line in text.splitlines():
        match = _LABEL.match(line)
        if match:
            speaker_is_assistant = match.group(1).strip().lower() in assistants
        if speaker_is_assistant:
            dropped = True
            continue
        if line.strip():
            kept.append(line.rstrip())
    return "\n".join(kept) if dropped else None


def _unlabelled(line: str) -> str:
    match = _LABEL.match(line)
    return match.group(2) if match else line


def only_asks(text: str) -> bool:
    """True when every sentence is a question or a filler and at least one is a question."""
    asked = False
    for line in text.splitlines():
        for sentence in _SENTENCE.findall(_unlabelled(line)):
            sentence = sentence.strip()
            if not sentence or not any(c.isalnum() for c in sentence):
                continue
            if sentence.endswith("?") or (_ASKING.match(sentence)
                                          and not sentence.endswith((".", "!"))):
                asked = True
            elif len(sentence.split()) > FILLER_WORDS:
                return False
    return asked


def weight(kind: str, trust: str, person_text: str | None) -> float:
    """The evidence weight of a memory (see the module docstring)."""
    if trust == "assistant":
        return ASSISTANT_ONLY
    if kind != "turn":
        return FULL
    if person_text is not None and not person_text.strip():
        return ASSISTANT_ONLY
    return QUESTION_ONLY if person_text is not None and only_asks(person_text) else FULL


def weights(db: sqlite_utils.Database, ids: Iterable[int]) -> dict[int, float]:
    """id → evidence weight, for many candidates at once."""
    return {r[0]: float(r[1]) for r in select_memories(db, "id, evidence", ids)}


FTS_COLUMNS = "search_text, text"   # bm25() weights follow this order
_TRIGGERS = ("memories_ai", "memories_ad", "memories_au")


def rebuild_fts(db: sqlite_utils.Database, tokenize: str) -> None:
    """(Re)creates the FTS index over the person's words first, the whole text second."""
    for name in _TRIGGERS:
        db.execute(f"DROP TRIGGER IF EXISTS [{name}]")
    db.execute("DROP TABLE IF EXISTS memories_fts")
    db.execute(f"CREATE VIRTUAL TABLE memories_fts USING fts5({FTS_COLUMNS}, "
               f"tokenize='{tokenize}', content='memories', content_rowid='id')")
    old = ", ".join(f"old.{c.strip()}" for c in FTS_COLUMNS.split(","))
    new = ", ".join(f"new.{c.strip()}" for c in FTS_COLUMNS.split(","))
    db.execute(f"""CREATE TRIGGER memories_ai AFTER INSERT ON memories BEGIN
        INSERT INTO memories_fts(rowid, {FTS_COLUMNS}) VALUES (new.id, {new}); END""")
    db.execute(f"""CREATE TRIGGER memories_ad AFTER DELETE ON memories BEGIN
        INSERT INTO memories_fts(memories_fts, rowid, {FTS_COLUMNS})
        VALUES ('delete', old.id, {old}); END""")
    db.execute(f"""CREATE TRIGGER memories_au AFTER UPDATE OF text, person_text ON memories
        BEGIN
        INSERT INTO memories_fts(memories_fts, rowid, {FTS_COLUMNS})
        VALUES ('delete', old.id, {old});
        INSERT INTO memories_fts(rowid, {FTS_COLUMNS}) VALUES (new.id, {new}); END""")
    db.execute("INSERT INTO memories_fts(memories_fts) VALUES ('rebuild')")


def backfill(db: sqlite_utils.Database, batch: int = 1000) -> int:
    """Sets person_text and evidence on existing turns; their vectors are redone from it.

    A chat turn's linked user messages are the ground truth for the person's side; other
    turns are split on their speaker labels.
    """
    import json

    changed = 0
    last = 0
    while True:
        page = db.execute("SELECT id, kind, text, trust, source_ref FROM memories WHERE id > ? "
                          "AND (kind = 'turn' OR trust = 'assistant') ORDER BY id LIMIT ?",
                          [last, batch]).fetchall()
        if not page:
            return changed
        last = page[-1][0]
        for memory_id, kind, text, trust, source_ref in page:
            person = person_words(text) if kind == "turn" else None
            if kind == "turn":
                said = _user_messages(db, json.loads(source_ref or "{}"))
                if said is not None:
                    person = said
            if person is not None and person == text:
                person = None
            db.execute("UPDATE memories SET person_text = ?, evidence = ?, "
                       "embedding = CASE WHEN ? IS NULL THEN embedding END, "
                       "embedding_model = CASE WHEN ? IS NULL THEN embedding_model END "
                       "WHERE id = ?",
                       [person, weight(kind, trust, person), person, person, memory_id])
            changed += 1


def _user_messages(db: sqlite_utils.Database, ref: dict) -> str | None:
    ids = [int(i) for i in ref.get("message_ids", []) if str(i).isdigit()] \
        if isinstance(ref, dict) else []
    if not ids:
        return None
    marks = ",".join("?" for _ in ids)
    said = [r[0] for r in db.execute(f"SELECT text FROM messages WHERE id IN ({marks}) AND "
                                     "role = 'user' ORDER BY id", ids).fetchall()]
    return "\n".join(said) if said else None
