"""A chat session: store the message, recall, build the prompt, stream the reply, remember.

UI-free and thread-friendly: the TUI and `secondme ask` both drive it. Each step opens
its own short write transaction; the bank hands every thread its own connection, so a
thread worker may run a whole reply.

Ground truth first: the user's message is stored verbatim before anything else can
fail, and a stopped or failed reply still leaves the user's words remembered.
"""

from __future__ import annotations

import contextlib
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from storage import messages as msgs
from storage.memories import clean_text

from ..clock import from_iso
from ..degradation import note
from ..errors import InvalidInput
from ..memory.retrieval import FullTextRetriever, Hit
from .context import (
    known_user_name,
    load_life_summary,
    load_period_summaries,
    load_profile_facts,
    memory_item,
)
from .errors import ChatBusy, ReplyInterrupted  # noqa: F401  (this module's API)
from .prompting import (
    BuiltPrompt,
    Persona,
    PromptInputs,
    Turn,
    build_prompt,
)
from .reply_checks import after_reply, before_reply, mark_unsupported, public, trusted

HISTORY_MESSAGES = 12        # recent messages offered to the packer (it may keep fewer)


@dataclass
class Recalled:
    """A retrieved memory, and whether it made it into the prompt."""

    hit: Hit
    placed: bool

    def to_public(self) -> dict[str, Any]:
        return {**self.hit.to_public(), "placed": self.placed}


@dataclass
class PreparedReply:
    session_id: str
    question: str
    user_message_id: int | None
    hits: list[Hit]
    prompt: BuiltPrompt
    history_message_ids: list[int]
    started: float                   # perf_counter at Enter
    prep_seconds: float              # retrieval + prompt building + storing the message
    cancel: threading.Event = field(default_factory=threading.Event)
    degraded: list[str] = field(default_factory=list)   # what fell back (recall, embedder)
    inputs: PromptInputs | None = None   # what the prompt was built from (grounding check)
    fixed: str | None = None             # "I don't remember" / "Noted": no model needed

    @property
    def recalled(self) -> list[Recalled]:
        placed = set(self.prompt.memory_ids)
        return [Recalled(h, h.memory.id in placed) for h in self.hits]


@dataclass
class ReplyResult:
    text: str
    cancelled: bool
    session_id: str
    user_message_id: int | None
    assistant_message_id: int | None
    turn_memory_id: int | None
    reinforced: list[int]
    recalled: list[Recalled]
    prompt: BuiltPrompt
    prep_seconds: float
    first_token_seconds: float | None   # Enter → first piece (includes prompt evaluation)
    generation_seconds: float
    tokens: int
    error: str | None = None
    degraded: list[str] = field(default_factory=list)   # e.g. "recall fell back to ..."
    grounding: Any = None   # secondme.conversation.grounding.Grounding: citations, unsupported sentences

    @property
    def tokens_per_second(self) -> float | None:
        """Decode speed: tokens after the first over the time after the first."""
        if self.tokens < 2 or self.generation_seconds <= 0:
            return None
        return (self.tokens - 1) / self.generation_seconds

    def to_public(self) -> dict[str, Any]:
        tps = self.tokens_per_second
        return {
            "answer": self.text, "cancelled": self.cancelled, "error": self.error,
            "degraded": self.degraded,
            "session_id": self.session_id, "user_message_id": self.user_message_id,
            "assistant_message_id": self.assistant_message_id,
            "turn_memory_id": self.turn_memory_id, "reinforced": self.reinforced,
            "recalled": [r.to_public() for r in self.recalled], **public(self.grounding),
            "prompt": self.prompt.to_public(),
            "stats": {"prep_ms": round(self.prep_seconds * 1000, 1),
                      "first_token_ms": None if self.first_token_seconds is None
                      else round(self.first_token_seconds * 1000, 1),
                      "tokens": self.tokens,
                      "tokens_per_second": None if tps is None else round(tps, 1)},
        }


_EMPTY_PROMPT = BuiltPrompt(text="", stop=[], style="none", tokens=0, budget=0, max_tokens=0,
                            memory_ids=[], dropped_memory_ids=[], history_turns=0, facts=0,
                            summaries=0)


class ChatSession:
    """One conversation with the assistant. One reply at a time."""

    def __init__(self, services, *, session_id: str | None = None, source: str = "chat",
                 store: bool = True, style: str | None = None,
                 history_messages: int = HISTORY_MESSAGES) -> None:
        self.services = services
        self.source = source
        self.store = store
        self.style = style or str(services.settings.extra.get("prompt_style", "auto"))
        self.history_messages = history_messages
        self._session_id = session_id
        self._last_active: str | None = None
        self._busy = threading.Lock()
        self._current: PreparedReply | None = None
        self._cancel_early = False   # Esc while recall or the model load was still running
        self._volatile: list[tuple[int, Turn]] = []   # history when store=False

    # -- session ----------------------------------------------------------
    @property
    def session_id(self) -> str | None:
        return self._session_id

    def new_conversation(self) -> None:
        """The next message starts a fresh session; the old one stays in the bank."""
        self._session_id = None
        self._last_active = None
        self._volatile.clear()

    def _ensure_session(self, first_text: str, now_iso: str) -> str:
        idle = timedelta(minutes=self.services.settings.session_idle_minutes)
        if self._session_id and self._last_active and idle.total_seconds() > 0 and \
                from_iso(now_iso) - from_iso(self._last_active) > idle:
            self.new_conversation()
        if self._session_id is None:
            self._session_id = uuid.uuid4().hex
            if self.store:
                with self.services.bank.write() as db:
                    msgs.create_session(db, self._session_id, at=now_iso, source=self.source,
                                        title=first_text.strip()[:80] or None)
        return self._session_id

    @property
    def busy(self) -> bool:
        return self._busy.locked()

    def cancel(self) -> None:
        """Stops the reply in flight (the partial text is kept), even one still preparing."""
        current = self._current
        if current is not None:
            current.cancel.set()
        elif self.busy:
            self._cancel_early = True

    def wait_idle(self, timeout: float = 10.0) -> bool:
        """For shutdown: let a stopping reply finish its writes before the bank closes."""
        self.cancel()
        if self._busy.acquire(timeout=timeout):
            self._busy.release()
            return True
        return False

    # -- the three steps -----------------------------------------------------
    def prepare(self, text: str) -> PreparedReply:
        """Stores the message, recalls, and builds the prompt. Raises ChatBusy if replying."""
        question = clean_text(text).strip()  # lone surrogates and NULs can't be stored as UTF-8
        if not question:
            raise InvalidInput("say something first")
        if not self._busy.acquire(blocking=False):
            raise ChatBusy()
        self._cancel_early = False
        try:
            return self._prepare(question)
        except BaseException:
            self._current = None
            self._busy.release()
            raise

    def _prepare(self, question: str) -> PreparedReply:
        started = time.perf_counter()
        svc = self.services
        settings = svc.settings
        now_iso = svc.clock.now_iso()
        session_id = self._ensure_session(question, now_iso)
        db = svc.bank.db()
        history = self._history(db, session_id)
        user_message_id = None
        if self.store:
            with svc.bank.write() as wdb:
                user_message_id = msgs.insert_message(wdb, session_id=session_id, role="user",
                                                      text=question, at=now_iso,
                                                      source=self.source)
                msgs.touch_session(wdb, session_id, now_iso)
        self._last_active = now_iso

        history_ids = [mid for mid, _ in history]
        degraded: list[str] = []
        try:
            hits = self._recall(question, set(history_ids), degraded)
            model = svc.model()
        except Exception:
            # No model (or no recall) means no reply, but the words are still remembered.
            if self.store:
                stub = PreparedReply(session_id, question, user_message_id, [],
                                     _EMPTY_PROMPT, history_ids, started, 0.0)
                self._remember_turn(stub, "", None, {"error": "no reply"})
            raise
        persona = Persona(known_user_name(settings, svc.bank.db()), settings.assistant_name,
                          svc.clock.now())
        inputs = PromptInputs(
            persona=persona, question=question, memories=[memory_item(h, settings.user_name, settings.assistant_name)
                      for h in hits],
            facts=load_profile_facts(db, settings.user_name),
            life_summary=load_life_summary(db),
            period_summaries=load_period_summaries(db, hits, now_iso),
            history=[turn for _, turn in history],
        )
        inputs, fixed = before_reply(svc, db, question, hits, inputs)
        prompt = build_prompt(inputs, model, reply_tokens=settings.max_reply_tokens,
                              n_ctx=min(settings.n_ctx, model.info.n_ctx), style=self.style)
        prepared = PreparedReply(
            session_id=session_id, question=question, user_message_id=user_message_id,
            hits=hits, prompt=prompt, history_message_ids=history_ids, started=started,
            prep_seconds=time.perf_counter() - started, degraded=degraded + svc.degraded(),
            inputs=inputs, fixed=fixed)
        self._current = prepared
        if self._cancel_early:
            prepared.cancel.set()
        return prepared

    def _history(self, db, session_id: str) -> list[tuple[int, Turn]]:
        if not self.store:
            return list(self._volatile[-self.history_messages:])
        rows = msgs.recent_messages(db, session_id, self.history_messages)
        return [(m.id, Turn(m.role, m.text)) for m in rows if m.role in ("user", "assistant")]

    def _recall(self, question: str, in_conversation: set[int],
                degraded: list[str]) -> list[Hit]:
        """Retrieved memories, minus turns already present verbatim in the conversation."""
        svc = self.services
        k = svc.settings.retrieval_k
        try:
            hits = list(svc.retriever().search(question, k=k))
        except Exception as exc:
            # Recall must not cost the reply: fall back to plain full-text search, and say so.
            degraded.append(note("recall", "recall fell back to full-text search "
                                           f"({type(exc).__name__}: {exc})"))
            hits = FullTextRetriever(svc.memory).search(question, k=k)

        def duplicate(hit: Hit) -> bool:
            ids = hit.memory.source_ref.get("message_ids") if hit.memory.source_ref else None
            return bool(ids) and bool(set(ids) & in_conversation)

        return [h for h in hits if not duplicate(h)]

    def stream(self, prepared: PreparedReply) -> Iterator[str]:
        """The reply's pieces as the model produces them; stops when `prepared.cancel` is set."""
        if prepared.fixed:
            yield prepared.fixed
            return
        model = self.services.model()
        chunks = model.stream(prepared.prompt.text, max_tokens=prepared.prompt.max_tokens,
                              stop=prepared.prompt.stop,
                              temperature=self.services.settings.temperature,
                              cancel=prepared.cancel)
        started = False
        with contextlib.closing(chunks):
            for piece in chunks:
                if prepared.cancel.is_set():
                    return
                if not started:   # transcripts continue after "Name:", so drop the space
                    piece = piece.lstrip()
                    if not piece:
                        continue
                    started = True
                yield piece

    def finish(self, prepared: PreparedReply, text: str, *, first_token_at: float | None = None,
               last_token_at: float | None = None, error: str | None = None) -> ReplyResult:
        """Stores the reply and the exchange as a memory; reinforces what was used."""
        try:
            return self._finish(prepared, text, first_token_at, last_token_at, error)
        finally:
            self._current = None
            if self._busy.locked():
                self._busy.release()

    def _finish(self, prepared: PreparedReply, raw: str, first_at: float | None,
                last_at: float | None, error: str | None) -> ReplyResult:
        svc = self.services
        cancelled = prepared.cancel.is_set()
        reply = raw.strip()
        now_iso = svc.clock.now_iso()
        assistant_id = turn_id = None
        reinforced: list[int] = []
        grounding = after_reply(prepared, reply)
        meta = {"cancelled": True} if cancelled else {}
        if error:
            meta["error"] = error
        if self.store:
            if reply:
                with svc.bank.write() as db:
                    assistant_id = msgs.insert_message(
                        db, session_id=prepared.session_id, role="assistant", text=reply,
                        at=now_iso, source=self.source,
                        meta={**meta, "model": svc.model().info.name} if svc.model_loaded
                        else meta)
                    msgs.touch_session(db, prepared.session_id, now_iso)
            turn_id = self._remember_turn(prepared, reply, assistant_id, meta)
            mark_unsupported(svc, grounding, turn_id)
            if reply and prepared.prompt.memory_ids and trusted(grounding):
                reinforced = svc.memory.reinforce(prepared.prompt.memory_ids, actor="chat")
        else:
            self._volatile.append((-len(self._volatile) - 1, Turn("user", prepared.question)))
            if reply:
                self._volatile.append((-len(self._volatile) - 1, Turn("assistant", reply)))
        tokens = svc.model().count_tokens(reply) if reply and svc.model_loaded else 0
        return ReplyResult(
            text=reply, cancelled=cancelled, session_id=prepared.session_id,
            user_message_id=prepared.user_message_id, assistant_message_id=assistant_id,
            turn_memory_id=turn_id, reinforced=reinforced, recalled=prepared.recalled,
            prompt=prepared.prompt, prep_seconds=prepared.prep_seconds,
            first_token_seconds=None if first_at is None else first_at - prepared.started,
            generation_seconds=0.0 if first_at is None or last_at is None
            else last_at - first_at,
            tokens=tokens, error=error, degraded=prepared.degraded, grounding=grounding)

    def _remember_turn(self, prepared: PreparedReply, reply: str, assistant_id: int | None,
                       meta: dict[str, Any]) -> int:
        settings = self.services.settings
        text = f"{settings.user_name}: {prepared.question}"
        said = text   # the person's side: what search sees (the reply is a record, not evidence)
        if reply:
            text += f"\n{settings.assistant_name}: {reply}"
        ids = [i for i in (prepared.user_message_id, assistant_id) if i is not None]
        # MemoryService embeds it on write when the embedder is warm (embedding_service).
        return self.services.memory.remember(
            text, kind="turn", trust="user", source="chat", session_id=prepared.session_id,
            source_ref={"message_ids": ids}, actor="chat", meta=meta, person_text=said)

    # -- all at once -----------------------------------------------------------
    def reply(self, text: str, *, on_piece: Callable[[str], None] | None = None,
              on_prepared: Callable[[PreparedReply], None] | None = None) -> ReplyResult:
        """prepare → stream → finish. A KeyboardInterrupt stops the reply, keeping the part."""
        prepared = self.prepare(text)
        if on_prepared is not None:
            on_prepared(prepared)
        pieces: list[str] = []
        first_at = last_at = None
        error = None
        interrupted = False
        try:
            for piece in self.stream(prepared):
                now = time.perf_counter()
                if first_at is None:
                    first_at = now
                last_at = now
                pieces.append(piece)
                if on_piece is not None:
                    on_piece(piece)
        except KeyboardInterrupt:
            prepared.cancel.set()
            interrupted = True
        except Exception as exc:
            error = f"{type(exc).__name__}: {exc}"
        result = self.finish(prepared, "".join(pieces), first_token_at=first_at,
                             last_token_at=last_at, error=error)
        if interrupted:
            raise ReplyInterrupted(result)
        return result
