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

from .. import faithfulness
from ..memory.embeddings import Embedder

_SENTENCE_END = re.compile(r"(?<=[.!?…])[\"'”’)]*\s+(?=[\"'“‘(]*[A-Z0-9])")
_WORD = re.compile(r"[A-Za-zÀ-ÿ][A-Za-zÀ-ÿ'’-]*")


def _wordset(text: str) -> frozenset[str]:
    return frozenset(text.split())


STOPWORDS = BASE_STOPWORDS | _wordset("""
really much many went got get day today week month year like well still there's it's i'm i've
i'd don't didn't
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


MAX_CANDIDATES = 400


def central_sentences(sentences: Sequence[str], embedder: Embedder | None, k: int, *,
                      diversity: float = 0.5) -> list[str]:
    """The k sentences closest to the centre of all of them (MMR to avoid repeats),
    returned in their original order. Without an embedder: the longest early ones."""
    unique = list(dict.fromkeys(s.strip() for s in sentences if s.strip()))
    candidates = [s for s in unique if informative(s)] or unique
    if len(candidates) <= k:
        return candidates
    if len(candidates) > MAX_CANDIDATES:
        # A day holding a 5 MB imported log has ~100k sentences: an n×n similarity matrix
        # would not fit in memory. Keep an even spread of them, in order.
        step = -(-len(candidates) // MAX_CANDIDATES)
        candidates = candidates[::step]
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
    # Every name, number, date, relation and content word must be in the sources.
    return faithfulness.check(text, source_text, allowed=list(allowed_names))


def copies_one(text: str, texts: Sequence[str]) -> bool:
    """`text` says word for word what one of `texts` says."""
    flat = " ".join(words(text))
    return any(flat == " ".join(words(other)) for other in texts)


def as_sentence(line: str) -> str:
    line = line.strip()
    return line if line[-1:] in ".!?…" else line + "."


def extractive_text(level: str, month: str, sources: Sequence[tuple[str, str, str]],
                    embedder: Embedder | None, k: int) -> str:
    """The extractive summary of (type, label, text) sources. A day or session keeps its
    most central sentences; a week takes one sentence per child day, named by its label;
    a month gives its days' most central sentences, unlabelled; life is a
    portrait: the active facts, then the periods. So no level repeats another's text."""
    if level in ("session", "day"):
        sentences = [sentence for _, _, text in sources for sentence in split_sentences(text)]
        text = " ".join(central_sentences(sentences, embedder, k))
        # A one-conversation day would otherwise repeat its session word for word.
        return (f"In this conversation: {text}" if level == "session" and text else text) \
            or "(nothing recorded)"
    facts = [text.strip() for kind, _, text in sources if kind == "memory"]
    children = [(label, text) for kind, label, text in sources if kind == "summary"]
    picks = [(label, pick) for label, text in children
             for pick in central_sentences(split_sentences(text), embedder, 1)]
    if level == "month":
        chosen = central_sentences([pick for _, pick in picks], embedder, k, diversity=0.3)
        return f"In {month}: " + " ".join(map(as_sentence, chosen))
    lines = [f"{label}: {pick}" for label, pick in picks]
    if len(lines) > k:
        lines = central_sentences(lines, embedder, k, diversity=0.3)
    if len(lines) == 1 and level != "life":
        lines = [f"Only {lines[0]}"]
    if level == "life":
        lines = [*dict.fromkeys(facts)][:6] + lines[:4]
    return " ".join(as_sentence(line) for line in lines) or "(nothing recorded)"
