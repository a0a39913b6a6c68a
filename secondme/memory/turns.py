"""The person's own words inside a stored memory.

A `turn` memory holds a whole exchange ("NAME: question\\nSecond Me: reply", see
`ChatSession._remember_turn`). Only the person's side may become a profile fact
or a summary's gist: the assistant's reply is a small model's guess. The verbatim
`messages` rows (role = 'user') are the ground truth when the turn links them;
otherwise the text is parsed, and a turn whose speakers can't be told apart
yields nothing rather than risk quoting the assistant.
"""

from __future__ import annotations

import json
import re
from typing import Any

from storage import facts as fact_rows
from storage.sqlcipher import sqlite_utils

ASSISTANT_LABELS = ("second me", "assistant", "ai", "bot", "ai companion")
USER_LABELS = ("user", "me", "you", "human")
_LABEL = re.compile(r"^\s*([^:\n]{1,40}):\s?(.*)$")


def user_side(text: str, user_name: str = "User", assistant_name: str = "Second Me") -> str | None:
    """The user's lines of a labelled transcript; None if no line is clearly theirs."""
    users = {user_name.strip().lower(), *USER_LABELS}
    assistants = {assistant_name.strip().lower(), *ASSISTANT_LABELS}
    speaker: str | None = None
    kept: list[str] = []
    for line in text.splitlines():
        match = _LABEL.match(line)
        label = match.group(1).strip().lower() if match else None
        if label in users:
            speaker = "user"
            line = match.group(2)
        elif label in assistants:
            speaker = "assistant"
            continue
        if speaker == "user" and line.strip():
            kept.append(line.strip())
    return "\n".join(kept) if kept else None


def user_words(turn_text: str, user_name: str = "User", assistant_name: str = "Second Me") -> str:
    """What to show of a stored exchange: the user's side, or the text when no side is clear.

    The assistant's past replies are not evidence about the person's life (a small model
    invents things), and feeding them back makes a wrong answer repeat itself.
    """
    return user_side(turn_text, user_name, assistant_name) or turn_text


def _json(value: Any) -> dict[str, Any]:
    if isinstance(value, dict):
        return value
    try:
        parsed = json.loads(value or "{}")
    except (TypeError, json.JSONDecodeError):
        return {}
    return parsed if isinstance(parsed, dict) else {}


def user_text(db: sqlite_utils.Database, memory: dict[str, Any], user_name: str,
              assistant_name: str) -> str | None:
    """The user's own words in a memory row (id, kind, text, source_ref, meta)."""
    if memory["kind"] != "turn":
        return memory["text"]
    meta = _json(memory.get("meta"))
    if isinstance(meta.get("user_text"), str) and meta["user_text"].strip():
        return meta["user_text"].strip()
    ref = _json(memory.get("source_ref"))
    ids = [int(i) for i in ref.get("message_ids", []) if isinstance(i, int | str)
           and str(i).isdigit()]
    said = fact_rows.user_messages(db, ids)
    if said:
        return "\n".join(said)
    return user_side(memory["text"], user_name, assistant_name)
