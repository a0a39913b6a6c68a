"""The chat input: every pasted line kept, new lines with Shift+Enter / Ctrl+J, and a
20,000-character message shown at once, stored whole, the person told when it is shortened."""

from __future__ import annotations

import threading
import time

from storage import messages as msgs
from tui.widgets.message import MessageView

from .fakes import FakeModel
from .test_tui_chat import chat_app, settle, wait_until


async def test_a_multi_line_paste_is_sent_and_stored_with_every_line(services):
    from textual import events

    lines = ["Dear diary,", "today I met Rui at the market.", "", "He sold me pears.", "Bye!"]
    app = chat_app(services)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        app.post_message(events.Paste("\n".join(lines)))   # as the terminal driver does
        await pilot.pause()
        assert app.screen.query_one("#prompt").text == "\n".join(lines)
        await pilot.press("enter")
        await settle(app, pilot)
        user = app.screen.query(MessageView).first()
        assert user.text == "\n".join(lines)
        stored = msgs.recent_messages(services.bank.db(), app.screen.session.session_id)
        assert stored[0].role == "user" and stored[0].text.split("\n") == lines


async def test_shift_enter_and_ctrl_j_break_the_line_and_enter_sends(services):
    app = chat_app(services)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        await pilot.press(*"one", "ctrl+j", *"two", "shift+enter", *"three")
        assert app.screen.query_one("#prompt").text == "one\ntwo\nthree"
        assert not app.screen.query(MessageView)         # nothing sent yet
        await pilot.press("enter")
        await settle(app, pilot)
        assert app.screen.query(MessageView).first().text == "one\ntwo\nthree"
        assert app.screen.query_one("#prompt").text == ""


class SlowReader(FakeModel):
    """Takes its time before the first piece, like a CPU model reading a long prompt."""

    def __init__(self) -> None:
        super().__init__()
        self.gate = threading.Event()

    def stream(self, prompt, **kw):
        self.gate.wait(10)
        yield from super().stream(prompt, **kw)


async def test_a_20000_character_message_shows_at_once_and_is_stored_whole(make_services):
    long = " ".join(f"word{i % 997} and more about day {i}." for i in range(900))[:20000]
    assert len(long) == 20000
    services = make_services(model=(model := SlowReader()))
    app = chat_app(services)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(app, pilot)
        app.screen.query_one("#prompt").text = long
        started = time.perf_counter()
        await pilot.press("enter")
        await wait_until(lambda: bool(app.screen.query(MessageView)), 10)
        shown_after = time.perf_counter() - started
        assert shown_after < 2.0, f"the message took {shown_after:.1f}s to appear"
        reply = app.screen.query(MessageView).last()
        await wait_until(lambda: "reading" in str(reply.query_one(".note").render()))
        assert "reading your long message" in str(reply.query_one(".note").render())
        model.gate.set()
        await settle(app, pilot)
        user = app.screen.query(MessageView).first()
        assert user.text == long
        note = str(user.query_one(".note").render())
        assert "stored whole" in note and "shortened" in note     # the person is told
        stored = msgs.recent_messages(services.bank.db(), app.screen.session.session_id)
        assert stored[0].text == long


