"""The TUI driven through Textual's pilot, with the fake model (no pixels: state and messages)."""

from __future__ import annotations

import asyncio
import threading
import time

import pytest
from textual.widgets import Input, Markdown, OptionList

from secondme.clock import Clock
from secondme.config import load_settings
from secondme.services import build_services
from secondme.unlock import BankOpener
from storage import messages as msgs
from tui.app import SecondMeApp
from tui.messages import ReplyFinished
from tui.screens.chat import ChatScreen
from tui.screens.inspector import MemoryInspectorScreen
from tui.screens.timeline import TimelineScreen
from tui.screens.unlock import UnlockScreen
from tui.widgets.message import MessageView
from tui.widgets.prompt import PromptInput
from tui.widgets.recall import RecallPanel
from tui.widgets.status import StatusBar

from .fakes import FakeModel


def chat_app(services, **kw) -> SecondMeApp:
    return SecondMeApp(services=services, start_scheduler=False, preload=kw.pop("preload", True),
                       **kw)


async def settle(app, pilot) -> None:
    if isinstance(app.screen, ChatScreen):
        await asyncio.to_thread(app.screen.loaded.wait, 10)
    await app.workers.wait_for_complete()
    await pilot.pause()
    await pilot.pause()


async def wait_until(condition, seconds: float = 10.0) -> None:
    """Polls for something a thread or a stream makes true; the caller asserts it after."""
    deadline = time.monotonic() + seconds
    while not condition() and time.monotonic() < deadline:
        await asyncio.sleep(0.02)


def streamed(app, word: str):
    return lambda: word in app.screen.query(MessageView).last().markdown.source


async def send(pilot, text: str) -> None:
    pilot.app.screen.query_one("#prompt", PromptInput).text = text
    await pilot.press("enter")


async def reply_to(app, pilot, question: str) -> MessageView:
    """Sends a question once the app is ready; returns the finished reply's view."""
    await settle(app, pilot)
    await send(pilot, question)
    await settle(app, pilot)
    return app.screen.query(MessageView).last()


async def stop_reply_to(app, pilot, question: str, after_word: str) -> MessageView:
    """Sends a question and presses Esc once `after_word` streamed; returns the reply's view."""
    await settle(app, pilot)
    await send(pilot, question)
    await wait_until(streamed(app, after_word))
    await pilot.press("escape")
    await settle(app, pilot)
    return app.screen.query(MessageView).last()


async def test_send_streams_the_reply_into_the_transcript(services, fake_model):
    fake_model.script = [["Hel", "lo ", "**there**"]]
    app = chat_app(services)
    seen = []
    async with app.run_test(size=(80, 24), message_hook=seen.append) as pilot:
        await settle(app, pilot)
        assert isinstance(app.screen, ChatScreen)
        assert app.screen.focused is app.screen.query_one("#prompt")   # typing possible at once
        await send(pilot, "hi")
        await settle(app, pilot)
        views = list(app.screen.query(MessageView))
        assert [v.role for v in views] == ["user", "assistant"]
        assert views[0].text == "hi"
        assert views[1].query_one(Markdown).source == "Hello **there**"
        finished = [m for m in seen if isinstance(m, ReplyFinished)]
        assert [m.result.text for m in finished] == ["Hello **there**"]
        assert fake_model.prompts[-1].rstrip().endswith("User: hi\nSecond Me:")
        assert app.screen.query_one("#prompt", PromptInput).text == ""
        status = app.screen.query_one(StatusBar)
        assert status.load_state == "ready" and status.model_name == "fake"
        assert status.memories == 1                    # the exchange became a memory
        assert "scheduler: off" in str(status.render())


async def test_escape_mid_stream_keeps_the_partial_reply(make_services):
    model = FakeModel(script=[[f"w{i} " for i in range(200)]], delay=0.02)
    services = make_services(model=model)
    app = chat_app(services)
    async with app.run_test(size=(80, 24)) as pilot:
        reply = await stop_reply_to(app, pilot, "talk to me", "w2")
        text = reply.markdown.source.strip("*")   # checked too: its made-up numbers in italics
        assert text.startswith("w0 w1 w2") and "w199" not in text
        assert "stopped" in str(reply.query_one(".note").render())
        stored = msgs.recent_messages(services.bank.db(), app.screen.session.session_id)[-1]
        assert stored.role == "assistant" and stored.text == text.strip()
        assert stored.meta["cancelled"] is True
        assert not app.screen.generating


async def test_recall_panel_lists_a_planted_memory_and_opens_it(services, fake_model):
    planted = services.memory.remember("My sister Ana moved to Porto last spring.",
                                       source="cli")
    app = chat_app(services)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(app, pilot)
        panel = app.screen.query_one(RecallPanel)
        assert panel.display                              # open by default when wide
        await send(pilot, "Where does my sister live?")
        await settle(app, pilot)
        options = panel.query_one(OptionList)
        assert options.option_count == 1
        prompt = str(options.get_option_at_index(0).prompt)
        assert "2024-05-01" in prompt and "cli" in prompt and "My sister Ana" in prompt
        assert "score" in prompt and " R " in prompt
        options.focus()
        options.highlighted = 0
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, MemoryInspectorScreen)
        assert app.screen.memory_id == planted
        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(app.screen, ChatScreen)


class GatedModel(FakeModel):
    """Yields one piece, then waits for the test to open the gate."""

    def __init__(self) -> None:
        super().__init__()
        self.gate = threading.Event()

    def stream(self, prompt, **kw):
        yield "wait "
        self.gate.wait(10)
        yield from super().stream(prompt, **kw)


async def test_panel_toggle_new_conversation_and_busy_guard(make_services):
    services = make_services(model=(model := GatedModel()))
    app = chat_app(services)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        panel = app.screen.query_one(RecallPanel)
        assert not panel.display                          # closed by default at 80 columns
        await pilot.press("ctrl+r")
        assert panel.display
        await send(pilot, "first")
        await pilot.pause()
        assert app.screen.generating
        await send(pilot, "second")                       # ignored while replying
        await pilot.pause()
        assert app.screen.query_one("#prompt", PromptInput).text == "second"
        await pilot.press("escape")
        model.gate.set()
        await settle(app, pilot)
        assert "stopped" in str(app.screen.query(MessageView).last().query_one(".note").render())
        first_session = app.screen.session.session_id
        await pilot.press("ctrl+n")
        await settle(app, pilot)
        assert not app.screen.query(MessageView)
        await send(pilot, "again")
        await settle(app, pilot)
        assert app.screen.session.session_id != first_session


async def test_model_loads_in_the_background_and_failure_is_shown(make_services, home):
    services = make_services(model=None,
                             settings=load_settings(home, model="/nonexistent/m.gguf"))
    app = chat_app(services)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        status = app.screen.query_one(StatusBar)
        assert status.load_state == "error" and "not found" in status.error
        await send(pilot, "My sister Ana moved to Porto.")
        await settle(app, pilot)
        reply = app.screen.query(MessageView).last()
        assert "error" in str(reply.query_one(".note").render())
        assert services.memory.count() == 1             # the words are still remembered


async def test_command_palette_has_chat_commands_and_no_screenshot(services):
    app = chat_app(services)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        titles = [c.title for c in app.get_system_commands(app.screen)]
        assert "New conversation" in titles and "Recalled memories" in titles
        assert "Screenshot" not in titles


async def test_views_wait_for_the_unlock(services):
    app = chat_app(services)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        assert app.check_action("open_view", ("timeline",)) is True
        await pilot.press("f2")
        await pilot.pause()
        assert isinstance(app.screen, TimelineScreen) and app.screen.services is services
    assert SecondMeApp(opener=object()).check_action("open_view", ("timeline",)) is False


async def test_scheduler_state_shows_in_the_status_bar(services):
    class Handle:
        stopped = False
        preempted = 0
        soon: list = []

        def preempt(self):
            Handle.preempted += 1
            return False

        def status(self):
            return {"state": "running", "last_job": "decay", "last_status": "ok"}

        def run_soon(self, name, seconds):
            Handle.soon.append((name, seconds))

        def shutdown(self):
            Handle.stopped = True

    app = SecondMeApp(services=services, start_scheduler=True, scheduler=lambda svc: Handle())
    async with app.run_test(size=(120, 24)) as pilot:
        await settle(app, pilot)
        assert "scheduler: running, last decay ok" in str(app.screen.query_one(StatusBar).render())
        await send(pilot, "hello")
        await settle(app, pilot)
        assert Handle.preempted == 1            # a job using the model yields to the chat
        assert Handle.soon == [("profile", 60)]  # what was said becomes facts within a minute
    assert Handle.stopped


# -- unlock -------------------------------------------------------------------------------
def Opener(home, fake_model, embedder) -> BankOpener:
    """The real BankOpener, as `secondme` builds it, with fakes for the model and embedder."""
    settings, clock = load_settings(home), Clock.from_env("2024-05-01T12:00:00")
    return BankOpener(home, settings, None, clock, build=lambda bank: build_services(
        settings, bank, clock, embedder=embedder, model=fake_model))


async def test_first_run_creates_a_bank_with_a_confirmed_passphrase(home, fake_model, embedder):
    opener = Opener(home, fake_model, embedder)
    app = SecondMeApp(opener=opener, start_scheduler=False)
    try:
        async with app.run_test(size=(80, 24)) as pilot:
            assert isinstance(app.screen, UnlockScreen) and app.screen.creating
            await pilot.press(*"secret-1", "enter")
            assert app.screen.focused.id == "confirm"
            await pilot.press(*"secret-2", "enter")
            await pilot.pause()
            assert "differ" in str(app.screen.query_one("#unlock-error").render())
            await pilot.press(*"secret-1", "enter")
            await settle(app, pilot)
            assert isinstance(app.screen, ChatScreen)
            assert (home / "memory.db").exists()
            assert app.screen.focused is app.screen.query_one("#prompt")
    finally:
        opener.close()


async def test_unlock_with_a_wrong_then_right_passphrase(bank, home, fake_model, embedder):
    from .conftest import PASSPHRASE

    bank.close()
    opener = Opener(home, fake_model, embedder)
    app = SecondMeApp(opener=opener, start_scheduler=False)
    try:
        async with app.run_test(size=(80, 24)) as pilot:
            assert isinstance(app.screen, UnlockScreen) and not app.screen.creating
            assert not app.screen.query("#confirm")
            await pilot.press(*"nope", "enter")
            await settle(app, pilot)
            assert isinstance(app.screen, UnlockScreen)
            assert "Wrong passphrase" in str(app.screen.query_one("#unlock-error").render())
            assert app.screen.query_one("#passphrase", Input).value == ""
            app.screen.query_one("#passphrase", Input).value = PASSPHRASE
            await pilot.press("enter")
            await settle(app, pilot)
            assert isinstance(app.screen, ChatScreen)
    finally:
        opener.close()


@pytest.mark.parametrize("env_var", ["SECONDME_PASSPHRASE"])
def test_preset_passphrase_skips_the_unlock_screen(home, monkeypatch, env_var):
    def opener() -> BankOpener:
        return BankOpener(home, load_settings(home), None, Clock.from_env(None))

    monkeypatch.setenv(env_var, "from-the-environment")
    first = opener()
    try:
        services = first.preset()                 # first run: creates
        assert services is not None and (home / "memory.db").exists()
    finally:
        first.close()
    second = opener()
    try:
        assert second.preset() is not None        # then: unlocks
    finally:
        second.close()
    monkeypatch.delenv(env_var)
    assert opener().preset() is None


async def test_keyring_checkbox_when_offered_stores_the_key(services):
    from textual.widgets import Checkbox

    stored = []

    class KeyringOpener:
        exists = True

        def keyring_offered(self):
            return True

        def unlock(self, passphrase):
            return services

        def store_in_keyring(self, svc):
            stored.append(svc)
            return "test.Backend"

    app = SecondMeApp(opener=KeyringOpener(), start_scheduler=False, preload=False)
    async with app.run_test(size=(80, 24)) as pilot:
        box = app.screen.query_one("#keyring", Checkbox)
        box.value = True
        app.screen.query_one("#passphrase", Input).value = "anything"
        await pilot.press("enter")
        await settle(app, pilot)
        assert isinstance(app.screen, ChatScreen)
    assert stored == [services]


async def test_new_conversation_while_replying_stops_and_clears(make_services):
    services = make_services(model=FakeModel(script=[[f"w{i} " for i in range(300)]],
                                             delay=0.02))
    app = chat_app(services)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        await send(pilot, "talk")
        await wait_until(streamed(app, "w2"))
        await pilot.press("ctrl+n")
        await settle(app, pilot)
        assert not app.screen.query(MessageView) and not app.screen.generating
        stored = msgs.recent_messages(services.bank.db(), app.screen.session.session_id or "")
        assert stored == []                                     # a fresh session
        assert services.memory.count() == 1                     # the stopped exchange is kept

