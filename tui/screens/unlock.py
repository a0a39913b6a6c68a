"""Unlock (or, on first run, create) the encrypted memory bank.

The key derivation takes a moment on purpose (Argon2id), so it runs in a thread
worker while the screen says so. Opening the bank is `secondme`'s job: this screen
only hands the typed passphrase to the opener and shows what went wrong, inline.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from textual import on, work
from textual.app import ComposeResult
from textual.containers import Center, Vertical
from textual.message import Message
from textual.screen import Screen
from textual.widgets import Checkbox, Footer, Input, Label

from storage import StorageError, WrongPassphrase


class UnlockScreen(Screen[None]):
    AUTO_FOCUS = "#passphrase"

    @dataclass
    class Unlocked(Message):
        services: Any

    @dataclass
    class Failed(Message):
        error: str
        wrong: bool

    def __init__(self, opener, *, reason: str = "") -> None:
        super().__init__()
        self.opener = opener
        self.reason = reason
        self.creating = not opener.exists
        self.busy = False

    def compose(self) -> ComposeResult:
        with Center(), Vertical(id="unlock-box"):
            yield Label("Second Me", id="unlock-title")
            if self.creating:
                yield Label("Welcome. Choose a passphrase to encrypt your new memory bank. "
                            "It cannot be recovered if you forget it.", classes="lead")
            else:
                yield Label(f"{self.reason} The key is no longer in memory: type your "
                            "passphrase to go on." if self.reason
                            else "Your memory bank is locked.", classes="lead")
            yield Input(placeholder="Passphrase", password=True, id="passphrase")
            if self.creating:
                yield Input(placeholder="Repeat the passphrase", password=True, id="confirm")
            if self._keyring_offered():
                yield Checkbox("Keep the key in the OS keyring", id="keyring")
            yield Label("", id="unlock-error")
            yield Label("Enter to " + ("create" if self.creating else "unlock") +
                        " · Ctrl+Q to quit", classes="hint", id="unlock-hint")
        yield Footer(compact=True)

    def _keyring_offered(self) -> bool:
        try:
            return bool(self.opener.keyring_offered())
        except Exception:
            return False

    def on_mount(self) -> None:
        self.query_one("#unlock-error", Label).display = False

    def _error(self, text: str) -> None:
        label = self.query_one("#unlock-error", Label)
        label.update(text)
        label.display = bool(text)

    @on(Input.Submitted)
    def submit(self, event: Input.Submitted) -> None:
        if self.busy:
            return
        passphrase = self.query_one("#passphrase", Input).value
        if not passphrase:
            self._error("Type your passphrase first.")
            self.query_one("#passphrase", Input).focus()
            return
        if self.creating:
            confirm = self.query_one("#confirm", Input)
            if event.input.id == "passphrase" and not confirm.value:
                confirm.focus()
                return
            if confirm.value != passphrase:
                self._error("The two passphrases differ. Type them again.")
                confirm.value = ""
                confirm.focus()
                return
        want_keyring = any(box.value for box in self.walk_children(Checkbox)
                           if box.id == "keyring")
        self.busy = True
        self._error("")
        self.query_one("#unlock-hint", Label).update(
            "Creating your memory bank…" if self.creating else "Unlocking…")
        for field in self.walk_children(Input):
            field.disabled = True
        self.open_bank(passphrase, want_keyring)

    @work(thread=True, exclusive=True, group="unlock", exit_on_error=False)
    def open_bank(self, passphrase: str, want_keyring: bool) -> None:
        try:
            services = (self.opener.create(passphrase) if self.creating
                        else self.opener.unlock(passphrase))
        except WrongPassphrase:
            self.post_message(self.Failed("Wrong passphrase. Try again.", True))
            return
        except (StorageError, ValueError, OSError) as exc:
            self.post_message(self.Failed(str(exc), False))
            return
        if want_keyring:
            try:
                self.opener.store_in_keyring(services)
            except Exception as exc:  # the bank is open; the keyring is a convenience
                self.app.call_from_thread(self.app.notify, f"Keyring not used: {exc}",
                                          severity="warning")
        self.post_message(self.Unlocked(services))

    @on(Failed)
    def _failed(self, event: Failed) -> None:
        self.busy = False
        for field in self.walk_children(Input):
            field.disabled = False
            if event.wrong:
                field.value = ""
        self._error(event.error)
        self.query_one("#unlock-hint", Label).update(
            "Enter to " + ("create" if self.creating else "unlock") + " · Ctrl+Q to quit")
        self.query_one("#passphrase", Input).focus()

    @on(Unlocked)
    def _unlocked(self, event: Unlocked) -> None:
        for field in self.walk_children(Input):
            field.value = ""   # don't keep the passphrase around in widgets
        self.app.unlocked(event.services)
