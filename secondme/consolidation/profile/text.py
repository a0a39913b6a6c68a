"""Normalised text for checking that a fact's evidence quote is really in its source."""

from __future__ import annotations

import re
import unicodedata

_SPACE = re.compile(r"\s+")
_QUOTES = str.maketrans({"’": "'", "‘": "'", "“": '"', "”": '"', "–": "-", "—": "-"})


def normalise(text: str) -> str:
    """Case-, whitespace- and quote-style-insensitive form used to check quotes verbatim."""
    text = unicodedata.normalize("NFKC", text).translate(_QUOTES)
    return _SPACE.sub(" ", text).strip().casefold()


def normalise_value(value: str) -> str:
    value = normalise(value).strip(" .,;:!?\"'")
    return re.sub(r"^(?:a|an|the|my)\s+", "", value)


def quote_in(quote: str, source: str) -> bool:
    q = normalise(quote)
    return bool(q) and q in normalise(source)
