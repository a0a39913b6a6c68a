"""Text helpers for consolidation: sentence splitting, the extractive fallback summary,
and the checks an LLM-written summary must pass before it is stored.

The default model is a 270M base model: it often invents names, repeats the
one-shot example or rambles. So every generated text is checked against its
sources, and when it fails we store the most central sentences of the sources
instead (chosen by embedding), marked `extractive`: dull, but true.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

import numpy as np

from storage.text import STOPWORDS as BASE_STOPWORDS

from .embeddings import Embedder

_SENTENCE_END = re.compile(r"(?<=[.!?…])[\"'”’)]*\s+(?=[\"'“‘(]*[A-Z0-9])")
_WORD = re.compile(r"[A-Za-zÀ-ÿ][A-Za-zÀ-ÿ'’-]*")
_NUMBER = re.compile(r"\d+")


def _wordset(text: str) -> frozenset[str]:
    return frozenset(text.split())


STOPWORDS = BASE_STOPWORDS | _wordset("""
really much many went got get day today week month year like well still there's it's i'm i've
i'd don't didn't
""")

#: Capitalised words a summary may use without the sources spelling them out.
CALENDAR_WORDS = _wordset("""
monday tuesday wednesday thursday friday saturday sunday january february march april may june
july august september october november december week month day year life summary i
""")


def split_sentences(text: str) -> list[str]:
    pieces: list[str] = []
    for line in text.splitlines():
        line = line.strip()
        if line:
            pieces.extend(p.strip() for p in _SENTENCE_END.split(line) if p.strip())
    return pieces


def words(text: str) -> list[str]:
    return [w.lower().strip("'’-") for w in _WORD.findall(text)]


def content_words(text: str) -> list[str]:
    return [w for w in words(text) if len(w) >= 4 and w not in STOPWORDS]


def _stem(word: str) -> str:
    return word[:5]


#: Small talk: words that carry no content of their own in a chat.
FILLER = _wordset("""
okay ok thank thanks hello hi hey wow haha yeah yes sure great good nice sounds definitely
look take will would love glad meet chat talk tell share want please let know think sorry
""")


def informative(sentence: str) -> bool:
    """Greetings, thanks and bare questions make poor gists."""
    if sentence.rstrip().endswith("?") or len(words(sentence)) < 4:
        return False
    return len([w for w in content_words(sentence) if w not in FILLER]) >= 2


def central_sentences(sentences: Sequence[str], embedder: Embedder | None, k: int, *,
                      diversity: float = 0.5) -> list[str]:
    """The k sentences closest to the centre of all of them (MMR to avoid repeats),
    returned in their original order. Without an embedder: the longest early ones."""
    unique = list(dict.fromkeys(s.strip() for s in sentences if s.strip()))
    candidates = [s for s in unique if informative(s)] or unique
    if len(candidates) <= k:
        return candidates
    chosen: list[int] = []
    vectors = None
    if embedder is not None:
        try:
            vectors = np.asarray(embedder.encode(list(candidates)), dtype=np.float32)
        except Exception:  # the fallback must not fail because the embedder did
            vectors = None
    if vectors is None or vectors.shape[0] != len(candidates):
        order = sorted(range(len(candidates)), key=lambda i: (-min(len(candidates[i]), 160), i))
        return [candidates[i] for i in sorted(order[:k])]
    centre = vectors.mean(axis=0)
    norm = float(np.linalg.norm(centre)) or 1.0
    relevance = vectors @ (centre / norm)
    similarity = vectors @ vectors.T
    while len(chosen) < k:
        best, best_score = -1, -np.inf
        for i in range(len(candidates)):
            if i in chosen:
                continue
            redundancy = max((float(similarity[i, j]) for j in chosen), default=0.0)
            score = float(relevance[i]) - diversity * redundancy
            if score > best_score:
                best, best_score = i, score
        chosen.append(best)
    return [candidates[i] for i in sorted(chosen)]


def clean_generation(text: str) -> str:
    """First paragraph, whitespace collapsed, cut back to the last full sentence."""
    text = text.strip().split("\n\n", 1)[0]
    text = " ".join(text.split()).strip(" \"'“”")
    if text and text[-1] not in ".!?…":
        cut = max(text.rfind(". "), text.rfind("! "), text.rfind("? "))
        text = text[:cut + 1] if cut > 0 else text + "."
    return text


_LEAKS = ("summary:", "notes about", "second me:", "user:", "http", "<", "- ", "```", "{")


def check_summary(text: str, source_text: str, *, allowed_names: Sequence[str] = (),
                  min_words: int = 5, max_words: int = 140) -> str | None:
    """Why `text` is not an acceptable summary of `source_text` (None = acceptable)."""
    tokens = words(text)
    if len(tokens) < min_words:
        return "too short"
    if len(tokens) > max_words:
        return "too long"
    lowered = text.lower()
    if any(leak in lowered for leak in _LEAKS):
        return "prompt scaffolding in output"
    trigrams = [tuple(tokens[i:i + 3]) for i in range(len(tokens) - 2)]
    if trigrams and len(set(trigrams)) < 0.8 * len(trigrams):
        return "repetitive"
    flat = " ".join(tokens)
    if any(flat == " ".join(words(line)) for line in source_text.splitlines()) and \
            len(source_text.splitlines()) > 1:
        return "copies one source"
    source_stems = {_stem(w) for w in content_words(source_text)}
    own = content_words(text)
    if own:
        grounded = sum(_stem(w) in source_stems for w in own) / len(own)
        if grounded < 0.6:
            return f"not grounded in the sources ({grounded:.0%} of its words)"
    source_lower = source_text.lower()
    allowed = {n.lower() for n in allowed_names} | CALENDAR_WORDS
    for sentence in split_sentences(text):
        for word in _WORD.findall(sentence)[1:]:
            if word[0].isupper() and word.lower() not in allowed and \
                    word.lower() not in source_lower:
                return f"names something the sources don't ({word})"
    for number in _NUMBER.findall(text):
        if number not in source_text:
            return f"invents a number ({number})"
    return None
