"""The LLM side of profile extraction: a grammar, a short prompt, and strict checks.

The small default model is weak, so everything it proposes is parsed defensively and
checked against its source; the rule extractor in `fact_rules` is the safety net.
"""

from __future__ import annotations

import json
import re
from typing import Any

from ...faithfulness import unsupported
from .rules import ATTRIBUTES
from .text import normalise, normalise_value, quote_in

# The model cites evidence by sentence number instead of copying it: grammar-constrained
# decoding checks the whole 262k vocabulary at every token, so every token saved counts,
# and a number cannot be misquoted. The stored quote is that sentence, verified again.
MAX_SENTENCES = 9
FACT_SCHEMA: dict[str, Any] = {
    "type": "array", "maxItems": 2,
    "items": {
        "type": "object",
        "required": ["sentence", "subject", "attribute", "category", "value", "confidence"],
        "properties": {
            "sentence": {"type": "integer", "minimum": 1, "maximum": MAX_SENTENCES,
                         "description": "number of the sentence that states the fact"},
            "subject": {"type": "string", "description": "'user' or a person's first name"},
            "attribute": {"enum": sorted(ATTRIBUTES)},
            "category": {"enum": sorted({a.category for a in ATTRIBUTES.values()})},
            "value": {"type": "string", "maxLength": 40},
            "confidence": {"type": "number", "minimum": 0.5, "maximum": 0.9},
        },
    },
}

_EXAMPLE = (
    "Facts a person states about themselves, as JSON. \"sentence\" is the number of the "
    "sentence that says it.\n\n"
    "Text:\n1. I work as a nurse.\n2. The weather is nice.\n3. My brother Tom lives in Leeds.\n"
    'Facts: [{"sentence": 1, "subject": "user", "attribute": "job", "category": "work", '
    '"value": "nurse", "confidence": 0.9}, {"sentence": 3, "subject": "Tom", "attribute": '
    '"lives_in", "category": "identity", "value": "Leeds", "confidence": 0.8}]\n\n'
)


def _gbnf_literal(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


def fact_grammar(n_sentences: int, max_facts: int = 2) -> str:
    """GBNF for FACT_SCHEMA: sentence numbers limited to the batch, and each attribute
    paired with its own category so the two cannot disagree."""
    if not 1 <= n_sentences <= MAX_SENTENCES:
        raise ValueError(f"between 1 and {MAX_SENTENCES} sentences per call")
    pairs = " | ".join(
        _gbnf_literal(f'"attribute": "{a.name}", "category": "{a.category}"')
        for a in ATTRIBUTES.values())
    more = ' ( ", " fact )?' * (max_facts - 1)
    return "\n".join([
        f'root ::= " "? "[" ( fact{more} )? "]"',
        'fact ::= "{\\"sentence\\": " [1-' + str(n_sentences) + '] ", \\"subject\\": " subject '
        '", " pair ", \\"value\\": " value ", \\"confidence\\": 0." [5-9] "}"',
        'subject ::= "\\"user\\"" | "\\"" [A-Z] [a-z]{1,15} "\\""',
        f"pair ::= {pairs}",
        'value ::= "\\"" [^"\\\\\\n]{1,40} "\\""',
    ]) + "\n"


def fact_prompt(sentences: list[str]) -> str:
    lines = "\n".join(f"{i}. {s}" for i, s in enumerate(sentences, 1))
    return _EXAMPLE + "Text:\n" + lines + "\nFacts:"


def parse_facts(output: str, sentences: list[str]) -> list[dict[str, Any]] | None:
    """The proposed facts with their quotes filled in, or None when the output does not
    follow FACT_SCHEMA."""
    try:
        data = json.loads(output.strip())
    except json.JSONDecodeError:
        return None
    if not isinstance(data, list):
        return None
    out = []
    for item in data:
        if not isinstance(item, dict):
            return None
        if not all(isinstance(item.get(k), str) for k in
                   ("subject", "attribute", "category", "value")):
            return None
        number = item.get("sentence")
        if not isinstance(number, int) or not 1 <= number <= len(sentences):
            return None
        if not isinstance(item.get("confidence", 0.5), int | float):
            return None
        out.append({**item, "quote": sentences[number - 1]})
    return out


def check_llm_fact(item: dict[str, Any], source: str) -> str | None:
    """Why a proposed fact must be dropped (None = keep)."""
    attribute = ATTRIBUTES.get(item["attribute"])
    if attribute is None:
        return "unknown attribute"
    if item["category"] != attribute.category:
        return "category does not match attribute"
    quote, value = item["quote"], item["value"]
    if not quote_in(quote, source):
        return "quote not found in the source"
    if not normalise_value(value) or normalise_value(value) not in normalise(quote):
        return "value not in the quote"
    if len(value.split()) > 6:
        return "value too long"
    if not re.search(attribute.cue, quote, re.IGNORECASE):
        return "quote does not state this attribute"
    subject = item["subject"]
    if subject != "user" and normalise(subject) not in normalise(quote):
        return "subject not in the quote"
    # Word by word, not as a substring: "Tom" is not in "Tomorrow".
    if unsupported(f"{subject} {value}", quote, allowed=["user"]):
        return "not supported by the quote"
    return None
