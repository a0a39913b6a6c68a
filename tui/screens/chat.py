"""The chat screen: transcript, input, recalled-memories panel, status bar.

A reply runs in one thread worker (recall, prompt, generation, saving: all in
`secondme.conversation.session.ChatSession`). The worker never touches widgets: it posts messages,
and pieces travel through a small buffer drained by a coalescing `ReplyTick`, so a
fast model never waits for the screen and the screen never floods.
"""

from __future__ import annotations

import contextlib
import threading
import time

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import Screen
from textual.widgets import Footer, Label, Markdown, TextArea

from secondme.conversation.context import known_user_name
from secondme.conversation.session import ChatBusy, ChatSession, PreparedReply
from secondme.degradation import note
from secondme.llm.installed import model_label
from secondme.memory.embeddings import prefer_single_thread_torch

from ..grounded import finished_note, linked_memory, reply_markdown
from ..messages import InputTrimmed, LoadState, RecallReady, ReplyFailed, ReplyFinished, ReplyTick
from ..widgets.message import MessageView
from ..widgets.prompt import PromptInput
from ..widgets.recall import RecallPanel
from ..widgets.status import StatusBar

WIDE = 100          # from this width the recall panel starts open
STATUS_EVERY = 3.0  # seconds between status refreshes (memory count, scheduler)
LONG_MESSAGE = 2000  # characters: the model needs noticeable time to read it


class ChatScreen(Screen[None]):
    AUTO_FOCUS = "#prompt"
    BINDINGS = [
        Binding("escape", "stop", "Stop", tooltip="Stop the reply; the partial text is kept"),
        Binding("ctrl+n", "new_conversation", "New", tooltip="Start a new conversation"),
        Binding("ctrl+r", "toggle_recall", "Recall",
                tooltip="Show or hide the memories recalled for the last reply"),
    ]

    def __init__(self, services, *, preload: bool = True, scheduler=None,
                 draft: str = "") -> None:
        super().__init__()
        self.services = services
        self.draft = draft                # what was typed before an idle lock, unsent
        self.session = ChatSession(services)
        self.preload = preload
        self.scheduler = scheduler
        self.generating = False
        self._pending: list[str] = []
        self._pending_lock = threading.Lock()
        self._reply: MessageView | None = None
        self._question = ""
        self._shutting_down = False
        self.loaded = threading.Event()   # set when background loading is over (tests, bench)
        self._stream = None

    # -- layout ---------------------------------------------------------------
    def compose(self) -> ComposeResult:
        name = known_user_name(self.services.settings, self.services.bank.db())   # the name they told us, once known
        with Horizontal(id="body"):
            with Vertical(id="conversation"):
                with VerticalScroll(id="transcript"):
                    yield Label(
                        f"Hello {name}. Tell me about your day, or ask me "
                        "anything: I answer from what I remember.", id="welcome")
                yield PromptInput(placeholder="Message Second Me…  (Enter sends, "
                                  "Shift+Enter or Ctrl+J: new line)", id="prompt")
            yield RecallPanel(id="recall")
        yield StatusBar(id="status")
        yield Footer(compact=True)

    def on_mount(self) -> None:
        self.query_one("#recall").display = self.app.size.width >= WIDE
        if self.draft:
            prompt = self.query_one("#prompt", PromptInput)
            prompt.text = self.draft
            prompt.move_cursor(prompt.document.end)
        self.refresh_status()
        self.set_interval(STATUS_EVERY, self.refresh_status)
        transcript = self.query_one("#transcript", VerticalScroll)
        transcript.anchor()   # the newest message sits just above the input
        if self.preload:
            # After the first paint, so the input is usable before imports compete for the
            # GIL. A daemon thread, not a worker: loading can't be interrupted, and quitting
            # must not wait seconds for torch to finish importing.
            self.call_after_refresh(
                lambda: threading.Thread(target=self.load_models, name="secondme-load",
                                         daemon=True).start())
        else:
            self.post_message(LoadState("ready"))
            self.loaded.set()

    def on_screen_resume(self) -> None:
        # Back from any view or dialog: the person continues typing where they were.
        self.query_one("#prompt", PromptInput).focus()

    # -- background loading -----------------------------------------------------
    def load_models(self) -> None:
        """Model first (replies need it), then warm recall (embedder, vector index)."""
        self.post_message(LoadState("model"))
        try:
            info = self.services.model().info
        except Exception as exc:
            self.post_message(LoadState("error", f"{type(exc).__name__}: {exc}"))
            self.loaded.set()
            return
        shown = f"{model_label(info.path, info.name)}|{info.device}"
        self.post_message(LoadState("recall", shown))
        try:
            embedder = self.services.embedder()
            if hasattr(embedder, "load"):
                embedder.load()
            prefer_single_thread_torch()
            if not self._shutting_down:
                self.services.retriever().search("warm up", k=1)
        except Exception as exc:  # recall falls back to full text; the reply still works
            note("recall", f"recall warm-up failed ({type(exc).__name__}: {exc})")
        self.post_message(LoadState("ready", shown))
        self.loaded.set()

    @on(LoadState)
    def _load_state(self, event: LoadState) -> None:
        status = self.query_one(StatusBar)
        status.load_state = event.state
        if event.state == "error":
            status.error = event.detail
            self.notify(f"The model could not be loaded: {event.detail}", severity="error",
                        timeout=10)
        elif event.detail:
            name, _, device = event.detail.partition("|")
            status.model_name, status.device = name, device
        elif self.services.model_loaded:
            info = self.services.model().info
            status.model_name, status.device = info.name, info.device

    def refresh_status(self) -> None:
        status = self.query_one(StatusBar)
        try:
            status.memories = self.services.memory.count()
        except Exception:
            status.memories = None
        status.scheduler = self._scheduler_state()

    def _scheduler_state(self) -> str:
        handle = self.scheduler
        if handle is None:
            return "off"
        try:
            info = handle.status() or {}
        except Exception:
            return "?"
        state = str(info.get("state") or "on")
        held, running = info.get("held"), info.get("running_job")
        if held:
            return f"{state}, {held} paused for the chat"
        if running and self.generating:
            return f"{state}, {running} finishing a step (slows this reply)"
        last = info.get("last_job")
        if last:
            state += f", last {last} {info.get('last_status') or ''}".rstrip()
        return state

    # -- sending ----------------------------------------------------------------
    @on(TextArea.Changed, "#prompt")
    def _typing(self, _: TextArea.Changed) -> None:
        activity = self.activity
        if activity is not None:
            activity.typed()   # background jobs wait while the person types

    @property
    def activity(self):
        """The scheduler's `ChatActivity` (None without a scheduler)."""
        return getattr(self.scheduler, "activity", None)

    @property
    def draft_text(self) -> str:
        return self.query_one("#prompt", PromptInput).text

    @on(PromptInput.Submitted, "#prompt")
    async def send(self, event: PromptInput.Submitted) -> None:
        text = event.text.strip()
        if not text:
            return
        if self.generating:
            self.notify("Still replying — press Esc to stop it first.", severity="warning")
            return
        if self.query_one(StatusBar).switching:   # the prompt is built for one model
            self.notify("Switching the model — send again in a moment.", severity="warning")
            return
        event.prompt.clear()
        settings = self.services.settings
        transcript = self.query_one("#transcript", VerticalScroll)
        note = "recalling…" if self.services.model_loaded else "waiting for the model to load…"
        reply = MessageView("assistant", who=settings.assistant_name, note=note)
        await transcript.mount_all([MessageView("user", text, who="You"), reply])
        transcript.anchor()
        self._reply = reply
        self._question = text
        self._stream = Markdown.get_stream(reply.markdown)
        with self._pending_lock:
            self._pending.clear()
        self._set_generating(True)
        self._preempt_jobs()
        self.generate(text)

    @work(thread=True, exclusive=True, group="reply", exit_on_error=False)
    def generate(self, text: str) -> None:
        session = self.session
        try:
            prepared: PreparedReply = session.prepare(text)
        except ChatBusy as exc:
            self.post_message(ReplyFailed(str(exc)))
            return
        except Exception as exc:
            self.post_message(ReplyFailed(f"{type(exc).__name__}: {exc}"))
            return
        self.post_message(RecallReady(prepared.recalled, text))
        if not question_in_prompt(prepared.question, prepared.prompt.text):
            self.post_message(InputTrimmed(len(prepared.question), prepared.prompt.budget))
        pieces: list[str] = []
        first_at = last_at = None
        error = None
        try:
            for piece in session.stream(prepared):
                last_at = time.perf_counter()
                first_at = first_at or last_at
                pieces.append(piece)
                with self._pending_lock:
                    self._pending.append(piece)
                self.post_message(ReplyTick())
        except Exception as exc:
            error = f"{type(exc).__name__}: {exc}"
        result = session.finish(prepared, "".join(pieces), first_token_at=first_at,
                                last_token_at=last_at, error=error)
        self.post_message(ReplyFinished(result))

    def _preempt_jobs(self) -> None:
        """A background job holding the model yields to the person (it resumes later)."""
        preempt = getattr(self.scheduler, "preempt", None)
        if preempt is not None:
            with contextlib.suppress(Exception):
                preempt()

    async def _drain(self) -> None:
        with self._pending_lock:
            text = "".join(self._pending)
            self._pending.clear()
        if text and self._stream is not None:
            if self._reply is not None:
                self._reply.set_note("")
            await self._stream.write(text)

    @on(ReplyTick)
    async def _tick(self, _: ReplyTick) -> None:
        await self._drain()

    @on(InputTrimmed)
    def _input_trimmed(self, event: InputTrimmed) -> None:
        note = (f"stored whole ({event.chars:,} characters); the model sees a shortened "
                f"version (beginning and end) to fit its {event.budget:,}-token context")
        users = [v for v in self.walk_children(MessageView) if v.role == "user"]
        if users:
            users[-1].set_note(note)
        self.notify("Your message is stored whole, but it is too long for the model: it "
                    "reads the beginning and the end.", severity="warning", timeout=8)

    @on(RecallReady)
    def _recall_ready(self, event: RecallReady) -> None:
        self.query_one(RecallPanel).show(event.recalled, event.question)
        if self._reply is not None and not self._pending:
            long = len(event.question) >= LONG_MESSAGE
            # A long message is read by the model before the first word: say so.
            self._reply.set_note("reading your long message first (this can take a while)…"
                                 if long else "thinking…")

    @on(ReplyFinished)
    async def _finished(self, event: ReplyFinished) -> None:
        await self._drain()
        await self._stop_stream()
        result, reply = event.result, self._reply
        if reply is not None:
            shown = reply_markdown(result)   # citations [n], unsupported part in italics
            if reply.markdown.source.strip() != shown:
                await reply.markdown.update(shown)
        if reply is None or self._reply is not reply:   # the conversation was cleared
            self._set_generating(False)                 # while this reply stopped
            self.refresh_status()
            return
        shown_note, error = finished_note(result)   # "stopped", grounding, error
        reply.set_note(shown_note, error=error)
        self.query_one(RecallPanel).show(result.recalled, self._question)
        self._facts_soon()
        status = self.query_one(StatusBar)
        if result.tokens_per_second is not None:
            status.tokens_per_second = result.tokens_per_second
        self._set_generating(False)
        self.refresh_status()

    def _facts_soon(self) -> None:
        """What was just said becomes profile facts within `facts_after_seconds`."""
        seconds = self.services.settings.facts_after_seconds
        run_soon = getattr(self.scheduler, "run_soon", None)
        if seconds and run_soon is not None:
            run_soon("profile", seconds)

    @on(ReplyFailed)
    async def _failed(self, event: ReplyFailed) -> None:
        await self._stop_stream()
        if self._reply is not None:
            self._reply.set_note(f"error: {event.error}", error=True)
        self.notify(event.error, severity="error", timeout=8)
        self._set_generating(False)
        self.refresh_status()

    async def _stop_stream(self) -> None:
        if self._stream is not None:
            stream, self._stream = self._stream, None
            await stream.stop()

    def _set_generating(self, value: bool) -> None:
        activity = self.activity
        if activity is not None and value != self.generating:
            # Jobs wait between units while a reply generates.
            (activity.reply_started if value else activity.reply_finished)()
        self.generating = value
        self.query_one(StatusBar).generating = value
        self.refresh_bindings()

    # -- actions ------------------------------------------------------------------
    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "stop":
            return self.generating   # only in the footer while a reply is coming
        return True

    def action_stop(self) -> None:
        if self.generating:
            self.session.cancel()

    async def action_new_conversation(self) -> None:
        if self.generating:
            self.session.cancel()
            await self.workers.wait_for_complete()
            await self._drain()
            await self._stop_stream()
            self._reply = None   # its ReplyFinished may still be queued: nothing to update
        self.session.new_conversation()
        transcript = self.query_one("#transcript", VerticalScroll)
        await transcript.remove_children(MessageView)
        self.query_one(RecallPanel).show([])
        self.query_one("#prompt", PromptInput).focus()
        self.notify("New conversation. I still remember the earlier ones.", timeout=3)

    def action_toggle_recall(self) -> None:
        panel = self.query_one(RecallPanel)
        panel.display = not panel.display

    @on(RecallPanel.Open)
    def _open_memory(self, event: RecallPanel.Open) -> None:
        screen = self.app.make_view("inspector", event.memory_id)
        if screen is not None:
            self.app.push_screen(screen)

    @on(Markdown.LinkClicked)
    def _citation(self, event: Markdown.LinkClicked) -> None:
        memory_id = linked_memory(event.href)
        if memory_id is None:
            self.app.open_url(event.href)
        else:
            self._open_memory(RecallPanel.Open(memory_id))

    def shutdown(self, timeout: float = 10.0) -> None:
        """Stop a reply in flight and let it finish its writes (before the bank closes)."""
        self._shutting_down = True
        self.session.wait_idle(timeout)


def question_in_prompt(question: str, prompt: str) -> bool:
    """Whether the model sees the whole message (the packer shortens it when it is too long).
    Compared without whitespace: the prompt may put the message on one line."""
    return "".join(question.split()) in "".join(prompt.split())
