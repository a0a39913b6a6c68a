"""ChatGPT `conversations.json` → conversations with their visible messages and turns.

Each conversation in the export is a tree (`mapping`) because answers can be
regenerated and prompts edited. The branch the person last saw is the path from
`current_node` up to the root; that is what they actually said and read, so that
is what we keep. Tool calls, hidden system messages and model "thoughts" are not
part of the conversation and are dropped.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from storage.memories import clean_text

from .base import ParseError, epoch_to_datetime

MAX_TURN_USER_CHARS = 4000
MAX_TURN_REPLY_CHARS = 1500
_TEXT_TYPES = ("text", "multimodal_text", "code")
_ROLES = {"user": "user", "assistant": "assistant", "system": "system"}


@dataclass(frozen=True)
class ChatMessage:
    id: str
    role: str                 # user | assistant | system
    text: str
    created_at: datetime


@dataclass
class Conversation:
    id: str
    title: str
    created_at: datetime
    updated_at: datetime
    messages: list[ChatMessage]
    model: str | None = None


@dataclass(frozen=True)
class Turn:
    """A user message and the reply it got; the unit a chat memory is made of."""

    user: ChatMessage | None
    replies: tuple[ChatMessage, ...]

    @property
    def key(self) -> str:
        """Stable across re-imports: the id of the message that opened the turn."""
        first = self.user or self.replies[0]
        return first.id

    @property
    def at(self) -> datetime:
        return (self.user or self.replies[0]).created_at

    def text(self, assistant: str = "ChatGPT") -> str:
        parts = []
        if self.user is not None:
            parts.append("User: " + _clip(self.user.text, MAX_TURN_USER_CHARS))
        reply = "\n".join(m.text for m in self.replies)
        if reply:
            parts.append(f"{assistant}: " + _clip(reply, MAX_TURN_REPLY_CHARS))
        return "\n".join(parts)

    @property
    def message_ids(self) -> list[str]:
        return ([self.user.id] if self.user else []) + [m.id for m in self.replies]


@dataclass
class ChatExport:
    conversations: list[Conversation]
    warnings: list[str] = field(default_factory=list)


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[:limit].rstrip() + " …"


def _message_text(message: dict[str, Any]) -> str | None:
    content = message.get("content")
    if not isinstance(content, dict):
        return None
    if content.get("content_type") not in _TEXT_TYPES:
        return None
    if content.get("content_type") == "code" and isinstance(content.get("text"), str):
        return content["text"]
    parts = content.get("parts")
    if isinstance(parts, str):
        parts = [parts]
    if not isinstance(parts, list):
        text = content.get("text")
        return text if isinstance(text, str) else None
    # Image and file parts are dicts (asset pointers); only the words are kept.
    return "\n".join(p for p in parts if isinstance(p, str))


def _branch(mapping: dict[str, Any], current: Any) -> list[dict[str, Any]]:
    """Nodes from the root to `current`; falls back to the newest leaf when it is missing."""
    if not isinstance(current, str) or current not in mapping:
        leaves = [k for k, v in mapping.items()
                  if isinstance(v, dict) and not v.get("children")]
        if not leaves:
            return []

        def leaf_time(key: str) -> float:
            msg = mapping[key].get("message")
            t = msg.get("create_time") if isinstance(msg, dict) else None
            return float(t) if isinstance(t, (int, float)) and not isinstance(t, bool) else 0.0

        current = max(leaves, key=leaf_time)
    chain: list[dict[str, Any]] = []
    seen: set[str] = set()
    node_id: Any = current
    while isinstance(node_id, str) and node_id in mapping and node_id not in seen:
        seen.add(node_id)
        node = mapping[node_id]
        if not isinstance(node, dict):
            break
        chain.append(node)
        node_id = node.get("parent")
    chain.reverse()
    return chain


def _conversation(raw: dict[str, Any], index: int, fallback: datetime,
                  warnings: list[str]) -> Conversation | None:
    mapping = raw.get("mapping")
    if not isinstance(mapping, dict):
        warnings.append(f"conversation #{index + 1} has no messages; skipped")
        return None
    title = clean_text(raw["title"]) if isinstance(raw.get("title"), str) else ""
    created = epoch_to_datetime(raw.get("create_time"))
    conv_id = raw.get("conversation_id") or raw.get("id")
    if not isinstance(conv_id, str) or not conv_id.strip():
        seed = f"{title}|{raw.get('create_time')}|{index}"
        conv_id = "anon-" + hashlib.sha256(seed.encode("utf-8", "replace")).hexdigest()[:16]
    conv_id = clean_text(conv_id)
    messages: list[ChatMessage] = []
    last_time = created or fallback
    for node in _branch(mapping, raw.get("current_node")):
        message = node.get("message")
        if not isinstance(message, dict):
            continue
        author = message.get("author")
        raw_role = author.get("role") if isinstance(author, dict) else None
        role = _ROLES.get(raw_role) if isinstance(raw_role, str) else None
        if role is None:
            continue  # tool output and unknown roles are not part of the conversation
        metadata = message.get("metadata")
        if isinstance(metadata, dict) and metadata.get("is_visually_hidden_from_conversation"):
            continue
        text = _message_text(message)
        if text is None or not clean_text(text).strip():
            continue
        msg_id = message.get("id") if isinstance(message.get("id"), str) else node.get("id")
        if not isinstance(msg_id, str) or not clean_text(msg_id).strip():
            msg_id = f"{conv_id}:{len(messages)}"
        when = epoch_to_datetime(message.get("create_time")) or last_time
        last_time = when
        messages.append(ChatMessage(id=clean_text(msg_id)[:200], role=role,
                                    text=clean_text(text).strip(), created_at=when))
    if not messages:
        warnings.append(f"conversation {title or conv_id!r} has no visible messages; skipped")
        return None
    started = created or messages[0].created_at
    updated = epoch_to_datetime(raw.get("update_time")) or messages[-1].created_at
    slug = raw.get("default_model_slug")
    model = clean_text(slug)[:100] if isinstance(slug, str) else None
    return Conversation(id=conv_id.strip()[:200], title=(title or "").strip()[:300] or "Untitled",
                        created_at=started, updated_at=max(updated, started), messages=messages,
                        model=model)


def parse_chatgpt(data: bytes | str, *, fallback_time: datetime) -> ChatExport:
    """Parses a whole export; a conversation it cannot use is skipped with a warning."""
    try:
        raw = json.loads(data)
    except RecursionError:
        raise ParseError("the JSON is nested too deeply to be a ChatGPT export") from None
    except UnicodeDecodeError as exc:
        raise ParseError(f"not valid UTF-8 (offset {exc.start})") from None
    except ValueError as exc:
        raise ParseError(f"malformed JSON: {exc}") from None
    if isinstance(raw, dict) and isinstance(raw.get("conversations"), list):
        raw = raw["conversations"]
    if not isinstance(raw, list):
        raise ParseError("not a ChatGPT export: expected a list of conversations "
                         "(the conversations.json file from the export zip)")
    if raw and not any(isinstance(c, dict) and "mapping" in c for c in raw):
        raise ParseError("not a ChatGPT export: no conversation has a `mapping` of messages")
    export = ChatExport(conversations=[])
    seen: set[str] = set()
    for index, item in enumerate(raw):
        if not isinstance(item, dict):
            export.warnings.append(f"entry #{index + 1} is not a conversation; skipped")
            continue
        conversation = _conversation(item, index, fallback_time, export.warnings)
        if conversation is None:
            continue
        if conversation.id in seen:
            export.warnings.append(f"conversation {conversation.id} appears twice; kept the first")
            continue
        seen.add(conversation.id)
        export.conversations.append(conversation)
    return export


def turns(conversation: Conversation) -> list[Turn]:
    """Pairs each user message with the assistant messages that answer it."""
    out: list[Turn] = []
    user: ChatMessage | None = None
    replies: list[ChatMessage] = []
    for message in conversation.messages:
        if message.role == "system":
            continue
        if message.role == "user":
            if user is not None or replies:
                out.append(Turn(user, tuple(replies)))
            user, replies = message, []
        else:
            replies.append(message)
    if user is not None or replies:
        out.append(Turn(user, tuple(replies)))
    return out
