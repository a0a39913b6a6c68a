"""Plain text files → paragraph-packed chunks, dated by file name or mtime."""

from __future__ import annotations

from datetime import datetime

from .base import MAX_CHUNK_TOKENS, Chunk, NoteDocument, date_from_name
from .chunking import pack


def parse_text(text: str, *, name: str, mtime: datetime,
               max_tokens: int = MAX_CHUNK_TOKENS) -> NoteDocument:
    stem = name.rsplit("/", 1)[-1]
    stem = stem[: stem.rfind(".")] if "." in stem else stem
    event_at = date_from_name(stem)
    date_source = "file_name" if event_at else "mtime"
    if event_at is None:
        event_at = mtime.replace(microsecond=0)
    body = text.replace("\r\n", "\n").replace("\r", "\n")
    chunks = [Chunk(text=f"{stem}\n{piece}", heading="", index=i, line=1)
              for i, piece in enumerate(pack(body, max_tokens - 20))]
    return NoteDocument(title=stem, event_at=event_at, date_source=date_source, chunks=chunks)
