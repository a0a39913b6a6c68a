"""Row types shared by the storage queries and the layers above."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

MEMORY_KINDS = ("turn", "note", "summary", "fact", "remember")
TRUST_LEVELS = ("user", "assistant", "import", "derived", "external")


@dataclass
class Memory:
    id: int
    kind: str
    text: str
    event_at: str
    recorded_at: str
    source: str
    source_ref: dict[str, Any]
    session_id: str | None
    document_id: int | None
    importance: float
    strength: float
    last_reinforced_at: str
    recall_count: int
    state: str
    pinned: bool
    trust: str
    content_hash: str
    embedding_model: str | None
    meta: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> Memory:
        return cls(
            id=row["id"], kind=row["kind"], text=row["text"], event_at=row["event_at"],
            recorded_at=row["recorded_at"], source=row["source"],
            source_ref=json.loads(row["source_ref"] or "{}"), session_id=row["session_id"],
            document_id=row["document_id"], importance=row["importance"],
            strength=row["strength"], last_reinforced_at=row["last_reinforced_at"],
            recall_count=row["recall_count"], state=row["state"], pinned=bool(row["pinned"]),
            trust=row["trust"], content_hash=row["content_hash"],
            embedding_model=row["embedding_model"], meta=json.loads(row["meta"] or "{}"),
        )

    def to_public(self) -> dict[str, Any]:
        return {
            "id": self.id, "kind": self.kind, "text": self.text, "event_at": self.event_at,
            "recorded_at": self.recorded_at, "source": self.source, "source_ref": self.source_ref,
            "session_id": self.session_id, "document_id": self.document_id,
            "importance": self.importance, "strength": self.strength,
            "last_reinforced_at": self.last_reinforced_at, "recall_count": self.recall_count,
            "state": self.state, "pinned": self.pinned, "trust": self.trust,
            "embedded": self.embedding_model is not None, "meta": self.meta,
        }
