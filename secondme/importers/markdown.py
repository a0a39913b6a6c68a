"""Markdown notes and Obsidian vault pages → titled, dated, tagged chunks.

A note is split at its headings (each section remembers its heading path and
line), long sections are packed into chunks of a few hundred tokens, and
wikilinks, embeds and tags are lifted into metadata. The date comes from front
matter (`date`, then `created`), else from a daily-note file name, else from the
file's mtime, so a note about May lands in May on the timeline.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

import yaml

from .base import (
    MAX_CHUNK_TOKENS,
    Chunk,
    NoteDocument,
    ParseError,
    coerce_datetime,
    date_from_name,
)
from .chunking import pack

MAX_FRONT_MATTER_CHARS = 64 * 1024
_FM_DATE_KEYS = ("date", "created", "created_at", "day")
_FM_KEEP_ITEMS = 40      # front matter keys kept as metadata
_FM_MAX_VALUE = 500      # characters per kept value

_FENCE = re.compile(r"^\s{0,3}(`{3,}|~{3,})")
_HEADING = re.compile(r"^\s{0,3}(#{1,6})[ \t]+(.*?)[ \t]*#*[ \t]*$")
_WIKILINK = re.compile(r"(!?)\[\[([^\[\]\n]{1,500}?)\]\]")
_TAG = re.compile(r"(?<![\w#/&=\]\)`])#([^\W\d][\w/-]{0,99}|\d+[^\W\d][\w/-]{0,99})", re.UNICODE)
_INLINE_CODE = re.compile(r"`[^`\n]*`")
_DATE_HEADING = re.compile(r"^\d{4}-\d{2}-\d{2}\b")


# -- front matter ---------------------------------------------------------------
def split_front_matter(text: str) -> tuple[str | None, str, int]:
    """(front matter source or None, body, number of lines the front matter used).

    Front matter only counts when the very first line is `---` and a closing
    `---` or `...` line exists; otherwise the `---` is an ordinary rule.
    """
    if not (text.startswith("---\n") or text.startswith("---\r\n")):
        return None, text, 0
    lines = text.splitlines(keepends=True)
    for i in range(1, len(lines)):
        if lines[i].rstrip("\r\n").rstrip() in ("---", "..."):
            return "".join(lines[1:i]), "".join(lines[i + 1:]), i + 1
    return None, text, 0


def _plain(value: Any, budget: list[int], depth: int = 0) -> Any:
    """A JSON-safe copy with bounded size: YAML aliases can make a tiny file huge."""
    budget[0] -= 1
    if budget[0] < 0 or depth > 4:
        return None
    if value is None or isinstance(value, (bool, int, float)):
        return value if not isinstance(value, float) or value == value else None
    if isinstance(value, str):
        return value[:_FM_MAX_VALUE]
    if isinstance(value, datetime) or hasattr(value, "isoformat"):
        return value.isoformat()
    if isinstance(value, (list, tuple)):
        return [_plain(v, budget, depth + 1) for v in value[:50]]
    if isinstance(value, dict):
        return {str(k)[:100]: _plain(v, budget, depth + 1) for k, v in list(value.items())[:50]}
    return str(value)[:_FM_MAX_VALUE]


def parse_front_matter(source: str) -> dict[str, Any]:
    if len(source) > MAX_FRONT_MATTER_CHARS:
        raise ParseError(f"front matter is larger than {MAX_FRONT_MATTER_CHARS // 1024} KB")
    try:
        data = yaml.safe_load(source)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" (line {mark.line + 2})" if mark is not None else ""
        problem = getattr(exc, "problem", None) or "syntax error"
        raise ParseError(f"front matter is not valid YAML{where}: {problem}; fix the block "
                         "between the --- lines and import again") from None
    except RecursionError:
        raise ParseError("front matter is nested too deeply") from None
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise ParseError("front matter is not a list of `key: value` lines")
    return data


def _string_list(value: Any) -> list[str]:
    """Tags and aliases come as a list, a comma string or a space string; normalise."""
    if value is None:
        return []
    if isinstance(value, str):
        items = re.split(r"[,\s]+", value) if "," in value or " " in value else [value]
    elif isinstance(value, (list, tuple)):
        items = [v for v in value[:200] if isinstance(v, (str, int, float))]
    else:
        return []
    out: list[str] = []
    for item in items:
        text = str(item).strip().lstrip("#").strip()[:100]
        if text and text not in out:
            out.append(text)
    return out


# -- body -----------------------------------------------------------------------
def _strip_code(line: str) -> str:
    return _INLINE_CODE.sub(" ", line)


def _render_links(text: str) -> str:
    """`[[Note|alias]]` reads as "alias", `[[Note#Part]]` as "Note"; embeds disappear."""

    def repl(match: re.Match[str]) -> str:
        if match[1]:
            return ""
        target, _, alias = match[2].partition("|")
        return (alias or target.split("#", 1)[0] or target).strip()

    return _WIKILINK.sub(repl, text)


def _links(text: str) -> tuple[list[str], list[str]]:
    links: list[str] = []
    embeds: list[str] = []
    for match in _WIKILINK.finditer(text):
        target = match[2].partition("|")[0].split("#", 1)[0].strip()
        if not target:
            continue
        bucket = embeds if match[1] else links
        if target not in bucket:
            bucket.append(target)
    return links[:200], embeds[:200]


def _tags(lines: list[str]) -> list[str]:
    found: list[str] = []
    for line in lines:
        for match in _TAG.finditer(_strip_code(line)):
            tag = match[1].rstrip("/-")
            if tag and tag not in found:
                found.append(tag)
    return found[:200]


Section = tuple[list[str], int, list[str], list[str]]


def _sections(body: str, first_line: int) -> list[Section]:
    """(heading path, start line, lines, prose lines) per section.

    Fenced code keeps its '#' characters: they are neither headings nor tags.
    """
    sections: list[Section] = []
    path: list[tuple[int, str]] = []
    current: list[str] = []
    prose: list[str] = []
    start = first_line
    fence: str | None = None
    for offset, line in enumerate(body.splitlines()):
        number = first_line + offset
        fence_match = _FENCE.match(line)
        if fence_match:
            marker = fence_match[1][0] * 3
            if fence is None:
                fence = marker
            elif fence_match[1].startswith(fence):
                fence = None
            current.append(line)
            continue
        heading = None if fence else _HEADING.match(line)
        if heading:
            sections.append(([h for _, h in path], start, current, prose))
            level = len(heading[1])
            title = _render_links(heading[2]).strip() or "(untitled)"
            path = [(lv, h) for lv, h in path if lv < level] + [(level, title[:200])]
            current, prose, start = [], [], number
            continue
        current.append(line)
        if fence is None:
            prose.append(line)
    sections.append(([h for _, h in path], start, current, prose))
    return sections


def parse_markdown(text: str, *, name: str, mtime: datetime,
                   max_tokens: int = MAX_CHUNK_TOKENS) -> NoteDocument:
    """Parses one note. `name` is the file name (its stem may carry the date)."""
    stem = name.rsplit("/", 1)[-1]
    stem = stem[: stem.rfind(".")] if "." in stem else stem
    fm_source, body, fm_lines = split_front_matter(text)
    front = parse_front_matter(fm_source) if fm_source is not None else {}
    warnings: list[str] = []

    event_at, date_source = None, "mtime"
    for key in _FM_DATE_KEYS:
        if key in front and front[key] not in (None, ""):
            event_at = coerce_datetime(front[key])
            if event_at is not None:
                date_source = "front_matter"
                break
            warnings.append(f"front matter {key}: {str(front[key])[:40]!r} is not a date; ignored")
    if event_at is None:
        event_at = date_from_name(stem)
        date_source = "file_name" if event_at else "mtime"
    if event_at is None:
        event_at = mtime.replace(microsecond=0)

    title_value = front.get("title")
    title = str(title_value).strip()[:200] if isinstance(title_value, (str, int, float)) \
        and str(title_value).strip() else stem

    tags = _string_list(front.get("tags", front.get("tag")))
    aliases = _string_list(front.get("aliases", front.get("alias")))
    budget = [400]
    kept = {str(k)[:100]: _plain(v, budget) for k, v in list(front.items())[:_FM_KEEP_ITEMS]
            if k not in ("tags", "tag", "aliases", "alias", "title")}
    kept = {k: v for k, v in kept.items() if v is not None}

    links, embeds = _links(body)
    chunks: list[Chunk] = []
    for heading_path, start, lines, prose in _sections(body, fm_lines + 1):
        for tag in _tags(prose):
            if tag not in tags:
                tags.append(tag)
        section_text = _render_links("\n".join(lines)).strip()
        if not section_text:
            continue
        heading = " > ".join(heading_path)
        section_date = None
        for part in reversed(heading_path):
            if _DATE_HEADING.match(part):
                section_date = coerce_datetime(part[:10])
                break
        label = f"{title} — {heading}" if heading and heading != title else title
        for piece in pack(section_text, max_tokens - 20):
            chunks.append(Chunk(text=f"{label}\n{piece}", heading=heading, index=len(chunks),
                                line=start, event_at=section_date))
    return NoteDocument(title=title, event_at=event_at, date_source=date_source, chunks=chunks,
                        tags=tags[:200], links=links, embeds=embeds, aliases=aliases,
                        front_matter=kept, warnings=warnings)
