"""Reading evaluation sets: the public LoCoMo format and our generic JSON format.

Both are turned into the same small model (Dataset → Conversation → Turn / Question), so the
harness never cares where a set came from. Parsing is pure: bytes in, dataclasses out, and bad
input fails with a message that names the sample and the field. The generic format is
documented in docs/EVAL_FORMAT.md.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from ..clock import parse_when
from ..errors import InvalidInput

GENERIC_FORMAT = "secondme-eval/1"

# LoCoMo's category codes, as the benchmark's evaluation code and most follow-up work read them.
LOCOMO_CATEGORIES = {"1": "multi-hop", "2": "temporal", "3": "open-domain",
                     "4": "single-hop", "5": "adversarial"}
LOCOMO_POOLED = frozenset({"1", "2", "3", "4"})


class FormatError(InvalidInput):
    """The file is not in the format it claims to be; the message says where."""


@dataclass(frozen=True)
class Turn:
    """One retrievable unit: what a chat would store as one `turn` memory."""

    id: str
    text: str          # exactly the text that is ingested, speakers included
    at: datetime       # event time: its session's date
    session: str


@dataclass(frozen=True)
class Question:
    id: str
    text: str
    evidence: tuple[str, ...]               # turn ids, normalised, all present in the conversation
    category: str
    answer: str | None = None
    adversarial: bool = False
    dropped_evidence: tuple[str, ...] = ()  # ids in the file that match no turn


@dataclass
class Conversation:
    id: str
    turns: list[Turn]
    questions: list[Question]
    now: datetime                           # when the questions are asked

    @property
    def turn_ids(self) -> set[str]:
        return {t.id for t in self.turns}


@dataclass
class Dataset:
    name: str
    format: str
    conversations: list[Conversation]
    # Categories whose questions are pooled into the headline numbers; None = every category.
    pooled_categories: frozenset[str] | None = None
    category_names: dict[str, str] = field(default_factory=dict)
    meta: dict[str, Any] = field(default_factory=dict)

    def pooled(self, category: str) -> bool:
        return self.pooled_categories is None or category in self.pooled_categories


# -- small pure helpers ------------------------------------------------------------------------

_MONTHS = {name: i for i, name in enumerate(
    ["january", "february", "march", "april", "may", "june", "july", "august", "september",
     "october", "november", "december"], 1)}
_LOCOMO_DATE = re.compile(
    r"^\s*(?:(?P<h>\d{1,2})(?::(?P<m>\d{2}))?\s*(?P<ampm>[ap])\.?\s*m\.?\s*(?:on\s+)?)?"
    r"(?P<day>\d{1,2})(?:st|nd|rd|th)?\s+(?P<month>[A-Za-z]+)\.?,?\s+(?P<year>\d{4})\s*$",
    re.IGNORECASE)
_DIA_ID = re.compile(r"D\s*:?\s*(\d+)\s*:\s*(\d+)", re.IGNORECASE)


def parse_session_date(text: str) -> datetime:
    """Reads LoCoMo's "1:56 pm on 8 May, 2023" (time optional) or any ISO date/datetime."""
    if not isinstance(text, str) or not text.strip():
        raise ValueError(f"not a date: {text!r}")
    match = _LOCOMO_DATE.match(text)
    if match is None:
        try:
            return parse_when(text)
        except ValueError:
            raise ValueError(f"not a date: {text!r} (expected e.g. '1:56 pm on 8 May, 2023' "
                             "or '2023-05-08T13:56')") from None
    month_name = match["month"].lower()
    month = _MONTHS.get(month_name) or next(
        (i for name, i in _MONTHS.items() if len(month_name) >= 3 and name.startswith(month_name)),
        None)
    if month is None:
        raise ValueError(f"not a date: {text!r} (unknown month {match['month']!r})")
    hour, minute = 0, 0
    if match["h"] is not None:
        hour, minute = int(match["h"]), int(match["m"] or 0)
        if not (1 <= hour <= 12 and minute < 60):
            raise ValueError(f"not a date: {text!r} (bad time)")
        hour = hour % 12 + (12 if match["ampm"].lower() == "p" else 0)
    try:
        return datetime(int(match["year"]), month, int(match["day"]), hour, minute)
    except ValueError as exc:
        raise ValueError(f"not a date: {text!r} ({exc})") from None


def normalise_dia_id(raw: str) -> list[str]:
    """`D:11:26` → `D11:26`; a string holding several ids ("D8:6; D9:17") yields each of them."""
    found = [f"D{a}:{b}" for a, b in _DIA_ID.findall(raw)]
    return found or ([raw.strip()] if raw.strip() else [])


def normalise_evidence(raw: Iterable[Any], known: set[str]) -> tuple[tuple[str, ...],
                                                                       tuple[str, ...]]:
    """(kept ids in file order without repeats, dropped ids that match no turn).

    An id that exists verbatim is kept as is; otherwise LoCoMo-style repairs are tried, so a
    generic set may use any id scheme and still benefit from the repair.
    """
    kept: list[str] = []
    dropped: list[str] = []
    for item in raw or ():
        if item is None:
            continue
        text = str(item).strip()
        candidates = [text] if text in known else normalise_dia_id(text)
        for candidate in candidates:
            if candidate in known:
                if candidate not in kept:
                    kept.append(candidate)
            elif candidate not in dropped:
                dropped.append(candidate)
    return tuple(kept), tuple(dropped)


def turn_text(speaker: str, text: str, caption: str | None = None) -> str:
    """The memory text for one utterance; an image is kept as its caption, like a chat would."""
    body = (text or "").strip()
    if caption and caption.strip():
        body = f"{body} [image: {caption.strip()}]".strip()
    speaker = (speaker or "").strip()
    return f"{speaker}: {body}" if speaker else body


# -- LoCoMo ------------------------------------------------------------------------------------

def _session_numbers(conversation: dict[str, Any]) -> list[int]:
    numbers = []
    for key, value in conversation.items():
        match = re.fullmatch(r"session_(\d+)", key)
        if match and isinstance(value, list):
            numbers.append(int(match.group(1)))
    return sorted(numbers)


def load_locomo(data: Any, name: str = "locomo") -> Dataset:
    """A JSON list of LoCoMo samples → Dataset (pooled over categories 1–4)."""
    if not isinstance(data, list):
        raise FormatError("a LoCoMo file is a JSON list of samples "
                          "(each with sample_id, conversation and qa)")
    conversations = []
    for index, sample in enumerate(data):
        where = f"sample {index}"
        if not isinstance(sample, dict) or not isinstance(sample.get("conversation"), dict):
            raise FormatError(f"{where}: expected an object with a 'conversation' object")
        sample_id = str(sample.get("sample_id", index))
        where = f"sample {sample_id!r}"
        conv = sample["conversation"]
        turns: list[Turn] = []
        numbers = _session_numbers(conv)
        if not numbers:
            raise FormatError(f"{where}: no session_<n> lists in 'conversation'")
        for number in numbers:
            date_text = conv.get(f"session_{number}_date_time")
            if not date_text:
                raise FormatError(f"{where}: session_{number} has no session_{number}_date_time")
            try:
                at = parse_session_date(date_text)
            except ValueError as exc:
                raise FormatError(f"{where}: session_{number}_date_time: {exc}") from None
            for position, turn in enumerate(conv[f"session_{number}"]):
                if not isinstance(turn, dict) or "dia_id" not in turn:
                    raise FormatError(f"{where}: session_{number} turn {position} has no dia_id")
                text = turn_text(str(turn.get("speaker", "")), str(turn.get("text") or ""),
                                 turn.get("blip_caption"))
                if not text or text.endswith(":"):
                    continue  # nothing to remember
                dia = normalise_dia_id(str(turn["dia_id"]))
                turns.append(Turn(id=dia[0] if dia else str(turn["dia_id"]), text=text, at=at,
                                  session=f"session_{number}"))
        known = {t.id for t in turns}
        questions = []
        for q_index, qa in enumerate(sample.get("qa") or []):
            if not isinstance(qa, dict) or not str(qa.get("question") or "").strip():
                raise FormatError(f"{where}: qa {q_index} has no question")
            evidence, dropped = normalise_evidence(qa.get("evidence") or [], known)
            category = str(qa.get("category", "")).strip() or "none"
            answer = qa.get("answer", qa.get("adversarial_answer"))
            questions.append(Question(
                id=f"{sample_id}/q{q_index}", text=str(qa["question"]).strip(),
                evidence=evidence, category=category,
                answer=None if answer is None else str(answer),
                adversarial=category == "5" or ("adversarial_answer" in qa and "answer" not in qa),
                dropped_evidence=dropped))
        conversations.append(Conversation(id=sample_id, turns=turns, questions=questions,
                                          now=max(t.at for t in turns) if turns else at))
    return Dataset(name=name, format="locomo", conversations=conversations,
                   pooled_categories=LOCOMO_POOLED, category_names=dict(LOCOMO_CATEGORIES))


# -- generic -----------------------------------------------------------------------------------

def _required(obj: dict[str, Any], key: str, where: str) -> Any:
    if key not in obj:
        raise FormatError(f"{where}: missing {key!r}")
    return obj[key]


def _generic_turn(raw: Any, where: str, session: str, at: datetime) -> Turn | None:
    if not isinstance(raw, dict):
        raise FormatError(f"{where}: a turn must be an object")
    turn_id = str(_required(raw, "id", where)).strip()
    if "messages" in raw:
        messages = raw["messages"]
        if not isinstance(messages, list) or not messages:
            raise FormatError(f"{where}: 'messages' must be a non-empty list")
        parts = [turn_text(str(m.get("speaker", "")), str(m.get("text") or ""), m.get("caption"))
                 for m in messages if isinstance(m, dict)]
        text = "\n".join(p for p in parts if p and not p.endswith(":"))
    else:
        text = turn_text(str(raw.get("speaker", "")), str(_required(raw, "text", where) or ""),
                         raw.get("caption"))
        if text.endswith(":"):
            text = ""
    when = at
    if raw.get("date"):
        try:
            when = parse_session_date(str(raw["date"]))
        except ValueError as exc:
            raise FormatError(f"{where}: {exc}") from None
    return Turn(id=turn_id, text=text, at=when, session=session) if text.strip() else None


def load_generic(data: Any, name: str | None = None) -> Dataset:
    """Our documented JSON format (docs/EVAL_FORMAT.md) → Dataset."""
    if not isinstance(data, dict) or not isinstance(data.get("conversations"), list):
        raise FormatError("a generic evaluation file is a JSON object with a 'conversations' "
                          "list (see docs/EVAL_FORMAT.md)")
    declared = data.get("format", GENERIC_FORMAT)
    if declared != GENERIC_FORMAT:
        raise FormatError(f"unsupported format {declared!r} (this version reads "
                          f"{GENERIC_FORMAT!r})")
    conversations = []
    for c_index, conv in enumerate(data["conversations"]):
        where = f"conversation {c_index}"
        if not isinstance(conv, dict):
            raise FormatError(f"{where}: must be an object")
        conv_id = str(conv.get("id", c_index))
        where = f"conversation {conv_id!r}"
        turns: list[Turn] = []
        seen: set[str] = set()
        for s_index, session in enumerate(_required(conv, "sessions", where)):
            s_where = f"{where} session {s_index}"
            if not isinstance(session, dict):
                raise FormatError(f"{s_where}: must be an object")
            try:
                at = parse_session_date(str(_required(session, "date", s_where)))
            except ValueError as exc:
                raise FormatError(f"{s_where}: {exc}") from None
            session_id = str(session.get("id", s_index))
            for t_index, raw in enumerate(_required(session, "turns", s_where)):
                turn = _generic_turn(raw, f"{s_where} turn {t_index}", session_id, at)
                if turn is None:
                    continue
                if turn.id in seen:
                    raise FormatError(f"{where}: turn id {turn.id!r} appears twice")
                seen.add(turn.id)
                turns.append(turn)
        if not turns:
            raise FormatError(f"{where}: no turns with text")
        now = max(t.at for t in turns)
        if conv.get("now"):
            try:
                now = parse_session_date(str(conv["now"]))
            except ValueError as exc:
                raise FormatError(f"{where} now: {exc}") from None
        questions = []
        for q_index, raw in enumerate(conv.get("questions") or []):
            q_where = f"{where} question {q_index}"
            if not isinstance(raw, dict) or not str(raw.get("question") or "").strip():
                raise FormatError(f"{q_where}: needs a non-empty 'question'")
            evidence, dropped = normalise_evidence(raw.get("evidence") or [], seen)
            answer = raw.get("answer")
            category = raw.get("category")
            questions.append(Question(
                id=str(raw.get("id", f"{conv_id}/q{q_index}")), text=str(raw["question"]).strip(),
                evidence=evidence, category="none" if category is None else str(category),
                answer=None if answer is None else str(answer),
                adversarial=bool(raw.get("adversarial", False)), dropped_evidence=dropped))
        conversations.append(Conversation(id=conv_id, turns=turns, questions=questions, now=now))
    pooled = data.get("pooled_categories")
    names = data.get("categories") or {}
    return Dataset(
        name=name or str(data.get("name") or "generic"), format="generic",
        conversations=conversations,
        pooled_categories=None if pooled is None else frozenset(str(c) for c in pooled),
        category_names={str(k): str(v) for k, v in names.items()},
        meta={k: data[k] for k in ("description", "source", "license", "annotation")
              if k in data})


# -- entry point -------------------------------------------------------------------------------

FORMATS: Sequence[str] = ("auto", "locomo", "generic")


def detect_format(data: Any) -> str:
    if isinstance(data, list):
        return "locomo"
    if isinstance(data, dict) and "conversations" in data:
        return "generic"
    raise FormatError("cannot tell the format: a LoCoMo file is a JSON list of samples, a "
                      "generic file an object with 'conversations' (docs/EVAL_FORMAT.md)")


def load_dataset(path: Path, fmt: str = "auto") -> Dataset:
    """Reads FILE in the given format ('auto' looks at the JSON's shape)."""
    if fmt not in FORMATS:
        raise ValueError(f"unknown format {fmt!r}; choose one of {', '.join(FORMATS)}")
    path = Path(path)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise FormatError(f"{path} is not valid JSON: {exc}") from None
    except UnicodeDecodeError as exc:
        raise FormatError(f"{path} is not UTF-8 text: {exc}") from None
    if fmt == "auto":
        fmt = detect_format(data)
    if fmt == "locomo":
        return load_locomo(data, name=path.stem)
    return load_generic(data, name=None)
