"""The idle lock: after `idle_lock_minutes` without input the TUI drops the data key,
hides everything it showed and asks for the passphrase again."""

from __future__ import annotations

import contextlib
from dataclasses import replace

import pytest
from textual.widgets import Input

from tui.app import SecondMeApp
from tui.screens.chat import ChatScreen
from tui.screens.unlock import UnlockScreen
from tui.widgets.message import MessageView

from .conftest import PASSPHRASE
from .test_tui_chat import Opener, send, settle, wait_until


def write_config(home, minutes: int) -> None:
    home.mkdir(parents=True, exist_ok=True)
    (home / "config.toml").write_text(f"idle_lock_minutes = {minutes}\n", encoding="utf-8")


async def unlock(app, pilot) -> None:
    app.screen.query_one("#passphrase", Input).value = PASSPHRASE
    await pilot.press("enter")
    await settle(app, pilot)


@contextlib.asynccontextmanager
async def unlocked_app(bank, home, fake_model, embedder, minutes: int | None = None,
                       scheduler=None):
    """The real opener and unlock screen over the test bank, already unlocked."""
    bank.close()
    if minutes is not None:
        write_config(home, minutes)
    opener = Opener(home, fake_model, embedder)
    app = SecondMeApp(opener=opener, start_scheduler=scheduler is not None,
                      **({"scheduler": scheduler} if scheduler is not None else {}))
    try:
        async with app.run_test(size=(80, 24)) as pilot:
            await unlock(app, pilot)
            assert isinstance(app.screen, ChatScreen)
            yield app, pilot
    finally:
        opener.close()


async def test_idle_app_locks_drops_the_key_and_unlocks_again(bank, home, fake_model, embedder):
    async with unlocked_app(bank, home, fake_model, embedder, 1) as (app, pilot):
        await send(pilot, "my canary is blue-heron-42")
        await settle(app, pilot)
        app.action_open_view("timeline")             # a view on top is hidden too
        await pilot.pause()
        services = app.services
        key = services.bank._dek

        app.check_inactivity()                       # recent input: nothing happens
        assert app.services is services

        app.last_activity -= 61
        app.check_inactivity()
        await pilot.pause()
        await wait_until(lambda: services.bank.closed)
        assert isinstance(app.screen, UnlockScreen)
        assert "without input" in str(app.screen.query_one(".lead").render())
        assert len(app.screen_stack) == 2            # nothing of the chat is left behind
        assert services.bank.closed and not any(key)
        assert app.services is None and app.chat is None
        assert not app.check_action("open_view", ("timeline",))

        await unlock(app, pilot)
        assert isinstance(app.screen, ChatScreen)
        assert app.services is not services and not app.services.bank.closed
        assert app.services.memory.count() == 1      # nothing lost
        assert not app.screen.query(MessageView)     # the old transcript is not shown


async def test_typing_keeps_it_open_and_zero_never_locks(bank, home, fake_model, embedder):
    async with unlocked_app(bank, home, fake_model, embedder, 0) as (app, pilot):
        app.last_activity -= 10 ** 6
        app.check_inactivity()
        await pilot.pause()
        assert isinstance(app.screen, ChatScreen)    # 0 = never

        app.services.settings = replace(app.services.settings, idle_lock_minutes=1)
        app.last_activity -= 10 ** 6
        await pilot.press("h")                       # the person is back
        app.check_inactivity()
        await pilot.pause()
        assert isinstance(app.screen, ChatScreen)

        app.last_activity -= 61                      # and then away again
        app.check_inactivity()
        await pilot.pause()
        assert isinstance(app.screen, UnlockScreen)


async def test_lock_from_the_palette_command(bank, home, fake_model, embedder):
    async with unlocked_app(bank, home, fake_model, embedder) as (app, pilot):
        titles = [c.title for c in app.get_system_commands(app.screen)]
        assert "Lock" in titles
        services = app.services
        await pilot.press("ctrl+p")
        await pilot.pause()
        await pilot.press(*"Lock")
        await pilot.pause(0.5)
        await pilot.press("enter")
        await pilot.pause()
        await wait_until(lambda: services.bank.closed)
        assert isinstance(app.screen, UnlockScreen) and services.bank.closed
        assert len(app.screen_stack) == 2


async def test_an_app_without_an_opener_cannot_lock_itself_out(services):
    app = SecondMeApp(services=services, start_scheduler=False, preload=False)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        app.last_activity -= 10 ** 6
        app.check_inactivity()
        await pilot.pause()
        assert isinstance(app.screen, ChatScreen) and not services.bank.closed


def test_idle_lock_minutes_comes_from_config_or_environment(home, monkeypatch):
    from secondme.config import ConfigError, load_settings

    assert load_settings(home).idle_lock_minutes == 15          # on by default
    write_config(home, 5)
    assert load_settings(home).idle_lock_minutes == 5
    monkeypatch.setenv("SECONDME_IDLE_LOCK_MINUTES", "0")
    assert load_settings(home).idle_lock_minutes == 0
    write_config(home, -1)
    monkeypatch.delenv("SECONDME_IDLE_LOCK_MINUTES")
    with pytest.raises(ConfigError, match="idle_lock_minutes"):
        load_settings(home)


async def test_the_new_scheduler_waits_for_the_old_one_to_let_go(bank, home, fake_model,
                                                                  embedder):
    import threading

    release = threading.Event()
    started: list = []

    class Handle:
        def __init__(self, services):
            self.services = services
            started.append(self)

        def status(self):
            return {"state": "running"}

        def preempt(self):
            return False

        def shutdown(self):               # the first one is busy finishing a job's unit
            if self is started[0]:
                release.wait(10)

    async with unlocked_app(bank, home, fake_model, embedder,
                            scheduler=Handle) as (app, pilot):
        assert len(started) == 1 and app.chat.scheduler is started[0]
        app.action_lock()
        await pilot.pause()
        app.screen.query_one("#passphrase", Input).value = PASSPHRASE
        await pilot.press("enter")
        await wait_until(lambda: isinstance(app.screen, ChatScreen))
        # unlocked, but the old scheduler still holds on
        assert isinstance(app.screen, ChatScreen) and len(started) == 1
        release.set()
        await settle(app, pilot)
        assert len(started) == 2 and app.chat.scheduler is started[1]
        assert started[1].services is app.services


async def test_a_half_typed_draft_survives_an_idle_lock(bank, home, fake_model, embedder):
    async with unlocked_app(bank, home, fake_model, embedder, 1) as (app, pilot):
        await pilot.press(*"half a thought", "ctrl+j", *"and a second line")
        app.last_activity -= 61
        app.check_inactivity()
        await pilot.pause()
        assert isinstance(app.screen, UnlockScreen)
        assert "half a thought" not in str(app.screen.query_one(".lead").render())
        await unlock(app, pilot)
        assert isinstance(app.screen, ChatScreen)
        prompt = app.screen.query_one("#prompt")
        assert prompt.text == "half a thought\nand a second line"
        assert app.screen.focused is prompt
        assert app.draft == ""                          # handed back, not kept twice
