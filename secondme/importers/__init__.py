"""Bringing notes and chats in: pure parsers plus one service that reads and writes.

`secondme import` uses `import_paths`; the parsers (`parse_markdown`,
`parse_text`, `parse_chatgpt`, `parse_jsonl`) take text or bytes and return plain
data, so they are easy to test and fuzz.
"""

from .base import Chunk, NoteDocument, ParseError
from .chatgpt import ChatExport, Conversation, parse_chatgpt, turns
from .jsonl import ExportBundle, parse_jsonl
from .markdown import parse_markdown
from .plaintext import parse_text
from .service import ImportReport, ImportService, Outcome, import_paths

__all__ = [
    "Chunk", "NoteDocument", "ParseError", "ChatExport", "Conversation", "parse_chatgpt",
    "turns", "ExportBundle", "parse_jsonl", "parse_markdown", "parse_text", "ImportReport",
    "ImportService", "Outcome", "import_paths",
]
