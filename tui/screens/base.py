"""The base of the memory views: a typed `services`, database work off the UI loop, and the
pin / forget / restore actions every view of memories shares.

A view loads in a thread worker from `reload` and shows the result when a message
comes back, so the UI never waits on the bank; a change asks for confirmation first, runs in a worker too, and then calls
`after_change(action, id)` on the UI thread.
"""

from __future__ import annotations

from collections.abc import Callable

from textual import work
from textual.screen import Screen

from secondme.memory.service import MemoryNotFound
from secondme.services import Services
from storage.records import Memory

from .modals import ConfirmModal


class MemoryScreen(Screen[None]):
    """A screen over the memory bank; subclasses load in a worker from `reload`."""

    CSS_PATH = "views.tcss"

    def __init__(self, services: Services) -> None:
        super().__init__()
        self.services = services

    def reload(self) -> None:  # pragma: no cover - overridden
        """Load the view again, in a thread worker (never on the UI loop)."""

    # -- memory actions ---------------------------------------------------------------------
    def selected_memory_id(self) -> int | None:
        return None

    def after_change(self, action: str, memory_id: int) -> None:
        self.reload()

    def _target(self) -> Memory | None:
        memory_id = self.selected_memory_id()
        if memory_id is None:
            self.notify("Select a memory first.", severity="warning")
            return None
        try:
            return self.services.memory.get(memory_id)
        except MemoryNotFound:
            self.notify(f"Memory #{memory_id} no longer exists.", severity="warning")
            return None

    def _confirm(self, question: str, label: str, change: Callable[[], None], action: str,
                 memory_id: int, done_message: str) -> None:
        def answered(ok: bool | None) -> None:
            if ok:
                self._change(change, action, memory_id, done_message)

        self.app.push_screen(ConfirmModal(question, label), answered)

    @work(thread=True, group="change")
    def _change(self, change: Callable[[], None], action: str, memory_id: int,
                done_message: str) -> None:
        # Forgetting rewrites summaries, facts and the search index: never on the UI loop.
        try:
            change()
        except Exception as exc:  # shown to the person, never a crash of the app
            self.app.call_from_thread(self.notify, f"Could not {action} #{memory_id}: {exc}",
                                      severity="error")
            return
        self.app.call_from_thread(self._changed, action, memory_id, done_message)

    def _changed(self, action: str, memory_id: int, message: str) -> None:
        self.notify(message)
        self.after_change(action, memory_id)

    def action_pin(self) -> None:
        memory = self._target()
        if memory is None:
            return
        memories = self.services.memory
        if memory.pinned:
            self._confirm(f"Unpin memory #{memory.id}? It will fade again like any other.",
                          "Unpin", lambda: memories.unpin(memory.id), "unpin", memory.id,
                          f"Memory #{memory.id} unpinned.")
        else:
            self._confirm(f"Pin memory #{memory.id}? Pinned memories never fade or get archived.",
                          "Pin", lambda: memories.pin(memory.id), "pin", memory.id,
                          f"Memory #{memory.id} pinned.")

    def action_forget(self) -> None:
        memory = self._target()
        if memory is None:
            return
        memories = self.services.memory
        self._confirm(f"Forget memory #{memory.id} for good? It is deleted everywhere: its text, "
                      "the search index, summaries' sources and facts' evidence. This cannot be "
                      "undone.", "Forget", lambda: memories.forget(memory.id), "forget",
                      memory.id, f"Memory #{memory.id} forgotten.")

    def action_restore(self) -> None:
        memory = self._target()
        if memory is None:
            return
        if memory.state != "archived":
            self.notify(f"Memory #{memory.id} is not archived.")
            return
        memories = self.services.memory
        self._confirm(f"Restore memory #{memory.id}? It comes back into recall, freshly "
                      "reinforced.", "Restore", lambda: memories.restore(memory.id), "restore",
                      memory.id, f"Memory #{memory.id} restored.")
