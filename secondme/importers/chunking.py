"""Packing text into chunks of at most a few hundred tokens.

Splits at the most natural boundary that fits: paragraphs, then sentences, then
whitespace, and only as a last resort in the middle of a word, so every chunk
is readable on its own in a search result or a prompt.
"""

from __future__ import annotations

import re

from .base import MAX_CHUNK_TOKENS, estimate_tokens

_PARAGRAPH = re.compile(r"\n\s*\n")
_SENTENCE = re.compile(r"(?<=[.!?。！？])\s+")


def _hard_split(text: str, max_tokens: int) -> list[str]:
    """Cuts at whitespace near the limit; a single enormous 'word' is cut anyway."""
    pieces: list[str] = []
    rest = text.strip()
    while rest:
        if estimate_tokens(rest) <= max_tokens:
            pieces.append(rest)
            break
        # Shrink a character budget until it fits (CJK text needs fewer characters).
        cut = max(1, min(len(rest), max_tokens * 4))
        while cut > 1 and estimate_tokens(rest[:cut]) > max_tokens:
            cut = max(1, cut * 3 // 4)
        space = rest.rfind(" ", cut // 2, cut)
        if space > 0:
            cut = space
        piece, rest = rest[:cut].strip(), rest[cut:].strip()
        if piece:
            pieces.append(piece)
    return pieces


def _units(text: str, max_tokens: int) -> list[str]:
    """Paragraphs, with any paragraph that is too long broken into sentences or pieces."""
    units: list[str] = []
    for paragraph in _PARAGRAPH.split(text):
        paragraph = paragraph.strip()
        if not paragraph:
            continue
        if estimate_tokens(paragraph) <= max_tokens:
            units.append(paragraph)
            continue
        for sentence in _SENTENCE.split(paragraph):
            if estimate_tokens(sentence) <= max_tokens:
                units.append(sentence.strip())
            else:
                units.extend(_hard_split(sentence, max_tokens))
    return [u for u in units if u]


def pack(text: str, max_tokens: int = MAX_CHUNK_TOKENS) -> list[str]:
    """Greedy packing of paragraphs into chunks of at most `max_tokens` (estimated)."""
    if max_tokens < 8:
        raise ValueError("max_tokens is too small to hold a sentence")
    chunks: list[str] = []
    current: list[str] = []
    size = 0
    for unit in _units(text, max_tokens):
        cost = estimate_tokens(unit) + 1
        if current and size + cost > max_tokens:
            chunks.append("\n\n".join(current))
            current, size = [], 0
        current.append(unit)
        size += cost
    if current:
        chunks.append("\n\n".join(current))
    return chunks
