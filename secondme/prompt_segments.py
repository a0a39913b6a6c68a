"""Which parts of a prompt may hold control tokens, and which parts are data.

A prompt is rendered as one string with invisible marks (private-use characters) around
what the prompt builder knows the origin of:

- `data(text)`: text from memories, imports, summaries of them, chat turns. It is
  tokenised as plain text (never as the model's special tokens), its template markers
  are neutralised, and it is never part of the *trusted* text of the prompt;
- `plain(text)`: a chat message's content inside a chat template (our own instructions
  included): plain text too, but trusted;
- everything else: a chat template's own scaffolding, the only text whose
  `<start_of_turn>`, `<|im_start|>`… may become special tokens.

`to_prompt` strips the marks and returns a `PromptText`: a `str` (so every consumer
that wants text still gets it) that remembers its segments, which `LlamaModel` reads
to tokenise each part with or without special tokens. A plain `str` prompt has no
trusted scaffolding: the model adapter tokenises all of it as plain text.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

DATA_OPEN, DATA_CLOSE = "\ue000", "\ue001"
PLAIN_OPEN, PLAIN_CLOSE = "\ue002", "\ue003"
_MARKS = re.compile("[\ue000-\ue003]")
_SPLIT = re.compile("([\ue000-\ue003])")
_MARKER_STEPS = {DATA_OPEN: ("data", 1), DATA_CLOSE: ("data", -1),
                 PLAIN_OPEN: ("plain", 1), PLAIN_CLOSE: ("plain", -1)}

# Turn and sequence markers of the chat-template families we meet in GGUF models:
# Gemma <start_of_turn>/<end_of_turn>/<bos>/<eos>, ChatML <|im_start|>/<|im_end|>,
# Llama 3 <|begin_of_text|>/<|start_header_id|>/<|eot_id|>, Phi <|user|>/<|end|>,
# DeepSeek's full-width <｜…｜>, Llama 2/Mistral [INST] <<SYS>> <s> </s>.
_L, _R, _LB, _RB = "[<‹]", "[>›]", r"[\[⟦]", r"[\]⟧]"   # a marker, raw or already neutralised
_MARKERS = re.compile(
    _L + r"\s*[|｜][^<>‹›\n]{0,40}?[|｜]\s*" + _R                # <|im_start|>, <｜User｜>
    + "|" + _L + r"\s*/?\s*[A-Za-z]+(?:_[A-Za-z]+)+\s*" + _R      # <start_of_turn>
    + "|" + _L + r"\s*/?\s*(?:s|bos|eos|pad|unk|mask|cls|sep)\s*" + _R   # <s>, </s>, <bos>
    + "|" + _L + _L + r"\s*/?\s*SYS\s*" + _R + _R                # <<SYS>>, <</SYS>>
    + "|" + _LB + r"\s*/?\s*(?:INST|SYS|AVAILABLE_TOOLS|TOOL_CALLS|TOOL_RESULTS)\s*" + _RB,
    re.IGNORECASE)
_LOOKALIKE = str.maketrans({"<": "‹", ">": "›", "[": "⟦", "]": "⟧"})


FORGED = "[text after a chat-template marker left out]"


def neutralise(text: str) -> str:
    """Template markers written in data become look-alikes no tokenizer reads as control."""
    text = _MARKS.sub("", text)
    return _MARKERS.sub(lambda m: m.group(0).translate(_LOOKALIKE), text)


def without_forged_turns(text: str) -> str:
    """Text up to the first template marker: what follows one is a forged chat turn.

    Neutralised markers are not enough for a small model: measured with the embedded
    Gemma 3 270M (bench/hostile.py), it copies a forged turn's look-alike text into its
    reply. The memory itself keeps every word; only prompts and derived text leave it out.
    """
    found = _MARKERS.search(text)
    if found is None:
        return text
    head = text[:found.start()].rstrip()
    return f"{head} {FORGED}" if head else FORGED


def data(text: str, *, cut: bool = True) -> str:
    """Marks `text` as data: plain tokens, never trusted, no live marker, and (unless it is
    the person's own message, `cut=False`) no forged turn."""
    text = _MARKS.sub("", text)
    return DATA_OPEN + neutralise(without_forged_turns(text) if cut else text) + DATA_CLOSE


def plain(text: str) -> str:
    """Marks a chat message's content: plain tokens, trusted unless it holds `data()`."""
    return PLAIN_OPEN + text + PLAIN_CLOSE


@dataclass(frozen=True)
class Segment:
    text: str
    special: bool     # may contain the chat template's own control tokens
    data: bool        # from memories, imports, chats: never instructions


class PromptText(str):
    """A prompt string that remembers which of its parts are template, trusted and data."""

    segments: tuple[Segment, ...]

    def __new__(cls, segments: tuple[Segment, ...] | list[Segment]) -> PromptText:
        obj = super().__new__(cls, "".join(s.text for s in segments))
        obj.segments = tuple(segments)
        return obj

    def trusted_text(self) -> str:
        """Everything that is not data: the instructions and what we derived ourselves."""
        return "".join(s.text for s in self.segments if not s.data)

    def data_text(self) -> str:
        return "".join(s.text for s in self.segments if s.data)


def segments_of(prompt: str) -> tuple[Segment, ...]:
    """A `PromptText`'s segments; any other string is one untrusted plain segment."""
    found = getattr(prompt, "segments", None)
    if found is not None:
        return found
    return (Segment(neutralise(prompt), special=False, data=True),)


def to_prompt(marked: str, *, template: bool) -> PromptText:
    """Splits a marked rendering into segments. Without a chat template, nothing is special."""
    out: list[Segment] = []
    buf: list[str] = []
    depth = {"plain": 0, "data": 0}      # nesting of PLAIN_*/DATA_* markers

    def flush() -> None:
        if buf:
            text = "".join(buf)
            out.append(Segment(text, special=template and not depth["plain"] and
                               not depth["data"], data=bool(depth["data"])))
            buf.clear()

    for piece in _SPLIT.split(marked):
        if piece in _MARKER_STEPS:
            flush()
            kind, step = _MARKER_STEPS[piece]
            depth[kind] = max(0, depth[kind] + step)
        elif piece:
            buf.append(piece)
    flush()
    merged: list[Segment] = []
    for seg in out:
        if merged and (merged[-1].special, merged[-1].data) == (seg.special, seg.data):
            merged[-1] = Segment(merged[-1].text + seg.text, seg.special, seg.data)
        else:
            merged.append(seg)
    return PromptText(merged)


def strip_marks(text: str) -> str:
    return _MARKS.sub("", text)
