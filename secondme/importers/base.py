"""Types and small pure helpers shared by the parsers.

Parsers are pure: bytes or text in, plain data out, `ParseError` for input they
refuse. They never touch the disk or the database, so they can be fuzzed and so a
file is either parsed completely or not at all.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

# Kinds of input the importer understands, and the `source` their memories get.
KIND_MARKDOWN = "markdown"
KIND_TEXT = "text"
KIND_CHATGPT = "chatgpt"
KIND_JSONL = "jsonl"
KINDS = (KIND_MARKDOWN, KIND_TEXT, KIND_CHATGPT, KIND_JSONL)


def source_for(kind: str) -> str:
    return f"import:{kind}"


class ParseError(ValueError):
    """The input cannot be imported as a whole; the message says why in plain words."""


# A few hundred tokens: big enough to keep a thought together, small enough for one
# retrieval hit to fit in the prompt next to others.
MAX_CHUNK_TOKENS = 300

_CJK = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff]")


def estimate_tokens(text: str) -> int:
    """A tokenizer-free estimate: ~4 characters per token, one per CJK character.

    Importing must not load a model, and chunk sizes only need to be roughly right.
    """
    cjk = len(_CJK.findall(text))
    return max(0, cjk + (len(text) - cjk + 3) // 4)


def looks_binary(data: bytes) -> bool:
    """NUL bytes never occur in text files; checking the head is enough and cheap."""
    return b"\x00" in data[:8192]


def decode_utf8(data: bytes) -> str:
    """Strict UTF-8 (a BOM is dropped); the error names the first bad byte's offset."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        bad = data[exc.start:exc.start + 1].hex()
        raise ParseError(f"not valid UTF-8 (byte 0x{bad} at offset {exc.start}); "
                         "save the file as UTF-8 and import it again") from None
    return text[1:] if text.startswith("\ufeff") else text


_MIN_YEAR, _MAX_YEAR = 1900, 2100
_DATE_IN_NAME = re.compile(r"^(\d{4})-(\d{2})-(\d{2})(?!\d)")
_DATE_FORMATS = ("%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M", "%Y-%m-%d", "%Y/%m/%d", "%Y/%m/%d %H:%M",
                 "%d.%m.%Y", "%B %d, %Y", "%b %d, %Y", "%d %B %Y", "%Y%m%d")


def _plausible(moment: datetime) -> datetime | None:
    return moment if _MIN_YEAR <= moment.year <= _MAX_YEAR else None


def coerce_datetime(value: Any) -> datetime | None:
    """A date from front matter or JSON, in any of the shapes people write; None if unusable.

    Aware datetimes become naive local time, matching how the bank stores times.
    """
    if isinstance(value, bool):
        return None
    if isinstance(value, datetime):
        moment = value
        if moment.tzinfo is not None:
            try:
                moment = moment.astimezone().replace(tzinfo=None)
            except (OverflowError, ValueError, OSError):
                return None
        return _plausible(moment.replace(microsecond=0))
    if isinstance(value, date):
        return _plausible(datetime(value.year, value.month, value.day))
    if isinstance(value, int):
        value = str(value)
    if not isinstance(value, str):
        return None
    text = value.strip()
    if not text or len(text) > 64:
        return None
    from ..clock import parse_when

    try:
        return _plausible(parse_when(text))
    except (ValueError, OverflowError, OSError):
        pass
    for fmt in _DATE_FORMATS:
        try:
            return _plausible(datetime.strptime(text, fmt))
        except ValueError:
            continue
    return None


def epoch_to_datetime(value: Any) -> datetime | None:
    """A Unix timestamp (ChatGPT exports use float seconds) as naive local time."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    if value != value or not (0 < value < 4_102_444_800):  # NaN, or outside 1970..2100
        return None
    try:
        return datetime.fromtimestamp(float(value)).replace(microsecond=0)
    except (OverflowError, ValueError, OSError):
        return None


def date_from_name(stem: str) -> datetime | None:
    """Daily notes: `2024-05-01.md` or `2024-05-01 Wednesday.md` are about that day."""
    match = _DATE_IN_NAME.match(stem)
    if not match:
        return None
    try:
        return _plausible(datetime(int(match[1]), int(match[2]), int(match[3])))
    except ValueError:
        return None


@dataclass(frozen=True)
class Chunk:
    """One retrievable piece of a note: a heading's section, or part of a long one."""

    text: str
    heading: str            # "Trip > Day 2"; "" for text before the first heading
    index: int
    line: int               # 1-based line where the section starts, for provenance
    event_at: datetime | None = None  # a section headed by a date overrides the note's date


@dataclass
class NoteDocument:
    title: str
    event_at: datetime
    date_source: str        # "front_matter", "file_name" or "mtime"
    chunks: list[Chunk]
    tags: list[str] = field(default_factory=list)
    links: list[str] = field(default_factory=list)
    embeds: list[str] = field(default_factory=list)
    aliases: list[str] = field(default_factory=list)
    front_matter: dict[str, Any] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)

    def meta(self) -> dict[str, Any]:
        out: dict[str, Any] = {"title": self.title, "date_source": self.date_source}
        for key in ("tags", "links", "embeds", "aliases"):
            if getattr(self, key):
                out[key] = getattr(self, key)
        if self.front_matter:
            out["front_matter"] = self.front_matter
        return out
