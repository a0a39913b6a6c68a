"""The Second Me Textual app: unlock, then chat; the views (timeline, profile, search,
memory inspector, MCP access, history) are pushed above the chat.

The app receives ready-made pieces from `secondme` (an opener for the bank, or
services already built); it never composes services itself, and never imports the CLI.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Callable, Iterable
from typing import Any

from textual import events
from textual.app import App, SystemCommand
from textual.binding import Binding
from textual.screen import Screen
from textual.worker import Worker

from secondme.jobs.scheduler import start_background
from secondme.llm.installed import InstalledModel
from secondme.services import Services
from secondme.unlock import BankOpener

from .model_switch import model_commands, switch_model
from .screens.chat import ChatScreen
from .screens.history import HistoryScreen
from .screens.inspector import MemoryInspectorScreen
from .screens.mcp_access import McpAccessScreen
from .screens.profile import ProfileScreen
from .screens.search import SearchScreen
from .screens.timeline import TimelineScreen
from .screens.unlock import UnlockScreen
from .widgets.status import StatusBar

VIEWS: dict[str, type[Screen]] = {
    "timeline": TimelineScreen,
    "profile": ProfileScreen,
    "search": SearchScreen,
    "inspector": MemoryInspectorScreen,
    "access": McpAccessScreen,
    "history": HistoryScreen,
}
VIEW_HELP = {
    "timeline": "Your memories by date, faded ones too",
    "profile": "What Second Me believes about you, with evidence",
    "search": "Search everything you told or imported",
    "access": "MCP access: what other AI tools read, and their proposals to review",
    "history": "Past conversations, to read again (read-only)",
}
IDLE_CHECK_SECONDS = 15.0
# What counts as the person being there: typing, clicking, scrolling, pasting.
ACTIVITY = (events.Key, events.MouseDown, events.MouseScrollUp, events.MouseScrollDown,
            events.Paste)
# Starts the background jobs for unlocked services; returns a handle with status(),
# preempt() and shutdown() (secondme.jobs.scheduler.start_background; tests pass a fake).
SchedulerStarter = Callable[[Services], Any]


class SecondMeApp(App[None]):
    TITLE = "Second Me"
    CSS_PATH = "app.tcss"
    BINDINGS = [
        Binding("ctrl+q", "quit", "Quit", priority=True),
        Binding("f2", "open_view('timeline')", "Timeline"),
        Binding("f3", "open_view('profile')", "Profile"),
        Binding("f4", "open_view('search')", "Search"),
        Binding("f5", "open_view('history')", "History"),
    ]

    def __init__(self, *, opener: BankOpener | None = None, services: Services | None = None,
                 start_scheduler: bool = True, preload: bool = True,
                 scheduler: SchedulerStarter = start_background) -> None:
        super().__init__()
        if opener is None and services is None:
            raise ValueError("the app needs an opener (to unlock) or unlocked services")
        self.opener = opener
        self.services = services
        self.start_scheduler = start_scheduler
        self.scheduler_starter = scheduler
        self.preload = preload
        self.scheduler: Any = None
        self.chat = None
        self.last_activity = time.monotonic()
        self._closing_bank: Worker | None = None   # the last lock's close, while it runs
        self._switching: Worker | None = None   # a model loading from the palette
        self.draft = ""    # an unsent message kept across an idle lock (memory only, never disk)

    def on_mount(self) -> None:
        self.set_interval(IDLE_CHECK_SECONDS, self.check_inactivity)
        if self.services is not None:
            self._enter_chat(push=True)
        else:
            self.push_screen(UnlockScreen(self.opener))

    def unlocked(self, services: Services) -> None:
        self.services = services
        self._enter_chat(push=False)

    def _enter_chat(self, *, push: bool) -> None:
        closing, self._closing_bank = self._closing_bank, None
        waiting = closing is not None and not closing.is_finished
        if not waiting:
            self._start_scheduler()
        self.chat = ChatScreen(self.services, preload=self.preload, scheduler=self.scheduler,
                               draft=self.draft)
        self.draft = ""
        (self.push_screen if push else self.switch_screen)(self.chat)
        if waiting:
            self.run_worker(self._start_scheduler_after(closing), group="scheduler",
                            exit_on_error=False)

    # -- scheduler ---------------------------------------------------------------------
    async def _start_scheduler_after(self, closing: Worker) -> None:
        """After an idle lock the old scheduler may still be finishing a job's unit and
        holds the bank's scheduler lock; the new one starts once it has let go."""
        with contextlib.suppress(Exception):
            await closing.wait()
        self._start_scheduler()
        if self.chat is not None:
            self.chat.scheduler = self.scheduler

    def _start_scheduler(self) -> None:
        if not self.start_scheduler or self.scheduler is not None or self.services is None:
            return
        try:
            self.scheduler = self.scheduler_starter(self.services)
        except Exception as exc:   # e.g. another process holds the jobs: chat without them
            self.scheduler = None
            self.notify(f"Background jobs not started: {exc}", severity="warning")

    def stop_background(self) -> None:
        """Stops the scheduler and any reply in flight; safe to call twice."""
        handle, self.scheduler = self.scheduler, None
        stop_reply_and_jobs(self.chat, handle)

    def on_unmount(self) -> None:
        self.stop_background()

    # -- idle lock -----------------------------------------------------------------------
    async def on_event(self, event: events.Event) -> None:
        if isinstance(event, ACTIVITY):
            self.last_activity = time.monotonic()
        await super().on_event(event)

    @property
    def can_lock(self) -> bool:
        """Only an app that can ask for the passphrase again may drop the key."""
        return self.services is not None and self.opener is not None

    def check_inactivity(self) -> None:
        minutes = self.services.settings.idle_lock_minutes if self.services is not None else 0
        if not minutes or not self.can_lock:
            return
        if self.chat is not None and self.chat.generating:
            self.last_activity = time.monotonic()   # waiting for a reply is not being away
            return
        if time.monotonic() - self.last_activity >= minutes * 60:
            unit = "minute" if minutes == 1 else "minutes"
            self.lock_bank(reason=f"Locked after {minutes} {unit} without input.")

    def lock_bank(self, reason: str = "") -> None:
        """Hide every screen that shows memories, then stop the jobs and drop the key.

        The screens go first and synchronously, so no view's timer reads a closing bank;
        stopping the scheduler may wait for a job's current unit, so it runs off the
        event loop.
        """
        if not self.can_lock:
            return
        services, self.services = self.services, None
        chat, self.chat = self.chat, None
        if chat is not None:
            with contextlib.suppress(Exception):
                self.draft = chat.draft_text
        handle, self.scheduler = self.scheduler, None
        while len(self.screen_stack) > 2:
            self.pop_screen()
        self.switch_screen(UnlockScreen(self.opener, reason=reason))
        self._closing_bank = self.run_worker(
            asyncio.to_thread(close_unlocked, services, chat, handle),
            group="lock", exit_on_error=False)

    def action_lock(self) -> None:
        self.lock_bank()

    # -- views ---------------------------------------------------------------------------
    def make_view(self, name: str, *args: Any) -> Screen | None:
        if self.services is None:
            return None
        return VIEWS[name](self.services, *args)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "open_view":
            return self.services is not None                    # not before unlocking
        return True

    def action_open_view(self, name: str) -> None:
        """Views replace each other above the chat, so one Esc always leads back to it."""
        screen = self.make_view(name)
        if screen is None:
            self.notify("Unlock first.", severity="warning")
            return
        if self.chat is not None and self.chat in self.screen_stack:
            while self.screen is not self.chat:
                self.pop_screen()
        self.push_screen(screen)

    def get_system_commands(self, screen: Screen) -> Iterable[SystemCommand]:
        for command in super().get_system_commands(screen):
            # An SVG screenshot would write the conversation to disk in plaintext.
            if command.title != "Screenshot":
                yield command
        chat = self.chat
        if chat is not None and screen is chat:
            yield SystemCommand("New conversation", "Start afresh (memories are kept)",
                                chat.action_new_conversation)
            yield SystemCommand("Recalled memories", "Show or hide the recalled-memories panel",
                                chat.action_toggle_recall)
            yield SystemCommand("Switch model", "Use another installed model "
                                "(secondme model pull NAME adds more)", self.action_switch_model)
            if chat.generating:
                yield SystemCommand("Stop reply", "Stop generating; keep the partial reply",
                                    chat.action_stop)
        if self.can_lock:
            yield SystemCommand("Lock", "Drop the key now; the passphrase opens it again",
                                self.action_lock)
        if self.services is not None:
            for name, help_text in VIEW_HELP.items():
                yield SystemCommand(name.capitalize(), help_text,
                                    lambda name=name: self.action_open_view(name))

    # -- model ---------------------------------------------------------------------------
    def action_switch_model(self) -> None:
        """A second palette lists the installed models; picking one loads it off the loop."""
        if self.chat is None or self.services is None:
            return
        try:
            commands = model_commands(self.services, self.pick_model)
        except Exception as exc:   # e.g. a malformed catalog file: one line, no crash
            self.notify(f"Cannot list the models: {exc}", severity="error")
            return
        self.search_commands(commands, placeholder="Switch to which model?")

    def pick_model(self, model: InstalledModel) -> None:
        chat, services = self.chat, self.services
        if chat is None or services is None:
            return
        busy = ("a reply is being written" if chat.generating else
                "the model is still loading" if not chat.loaded.is_set() or
                (self._switching is not None and not self._switching.is_finished) else "")
        if busy:
            self.notify(f"Not now: {busy}. Try again in a moment.", severity="warning")
            return
        status = chat.query_one(StatusBar)
        status.switching = model.name   # now, so no message is sent while the model changes
        self._switching = chat.run_worker(lambda: switch_model(services, model, status),
                                          thread=True, group="model", exit_on_error=False)


def stop_reply_and_jobs(chat, handle) -> None:
    """A reply in flight finishes its writes first; then the scheduler stops."""
    if chat is not None:
        chat.shutdown()
    if handle is not None:
        with contextlib.suppress(Exception):   # quitting or locking must not fail on a job
            handle.shutdown()


def close_unlocked(services, chat, handle) -> None:
    """Stop the reply and jobs, then close the bank (which wipes the data key)."""
    stop_reply_and_jobs(chat, handle)
    services.close()


def run_app(opener: BankOpener) -> None:
    """Entry point for `secondme` / `secondme chat`: `opener` comes from the CLI's options."""
    from secondme.hardening import harden_process

    harden_process()  # also when the TUI is started without the CLI's main

    services = opener.preset()   # passphrase file, SECONDME_PASSPHRASE or keyring: no screen
    app = SecondMeApp(opener=opener, services=services)
    try:
        app.run()
    finally:
        app.stop_background()
        opener.close()
