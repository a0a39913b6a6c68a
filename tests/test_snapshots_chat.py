"""Snapshot tests for the unlock and chat screens at 80×24 and 120×40.

Deterministic by construction: fake model and embedder, the fixed clock of the
`services` fixture, a fixed tokens/s figure, no blinking cursor, no paths on screen.
Regenerate on purpose with `pytest tests/test_snapshots_chat.py --snapshot-update`
after looking at the report.
"""

from __future__ import annotations

import asyncio

import pytest
from textual.widgets import Input, TextArea

from secondme.conversation.session import ReplyResult
from secondme.memory.retrieval import Hit, Scores
from tui.app import SecondMeApp
from tui.screens.chat import ChatScreen


@pytest.fixture(autouse=True)
def steady_speed(monkeypatch):
    monkeypatch.setattr(ReplyResult, "tokens_per_second", property(lambda self: 42.0))


def no_blink(app) -> None:
    for field in app.screen.query(Input):
        field.cursor_blink = False
    for area in app.screen.query(TextArea):
        area.cursor_blink = False


async def settle(pilot) -> None:
    app = pilot.app
    if isinstance(app.screen, ChatScreen):
        await asyncio.to_thread(app.screen.loaded.wait, 10)
    await app.workers.wait_for_complete()
    await pilot.pause()
    no_blink(app)
    await pilot.pause()


async def say(pilot, text: str) -> None:
    pilot.app.screen.query_one("#prompt", TextArea).text = text
    await pilot.press("enter")
    await settle(pilot)


def chat_app(services) -> SecondMeApp:
    return SecondMeApp(services=services, start_scheduler=False)


class FixedRetriever:
    """Recall with fixed scores: the snapshots are about layout, not about ranking."""

    def __init__(self, services, scored: list[tuple[int, Scores]]) -> None:
        self.services, self.scored = services, scored

    def search(self, query, *, k=8, **_):
        memories = self.services.memory.get_many([i for i, _ in self.scored])
        return [Hit(memories[i], scores, rank=n, reasons=["keywords", "meaning"])
                for n, (i, scores) in enumerate(self.scored[:k], 1)]


def planted(make_services):
    """Services with two memories about Ana, recalled with fixed scores."""
    from datetime import datetime

    scored: list[tuple[int, Scores]] = []
    services = make_services(retriever_factory=lambda svc: FixedRetriever(svc, scored))
    first = services.memory.remember("My sister Ana moved to Porto last spring.", source="cli",
                                     at=datetime(2024, 4, 12, 18, 30))
    second = services.memory.remember("Ana's new flat in Porto has a view of the river.",
                                      source="cli", at=datetime(2024, 4, 20, 9, 0))
    scored += [
        (first, Scores(bm25=3.21, cosine=0.71, fused=0.9, retention=0.84, final=0.76)),
        (second, Scores(bm25=None, cosine=0.44, fused=0.5, retention=0.9, final=0.45)),
    ]
    return services


class TestChat:
    def test_empty_chat_80x24(self, snap_compare, services):
        assert snap_compare(chat_app(services), run_before=settle, terminal_size=(80, 24))

    def test_after_a_reply_80x24(self, snap_compare, make_services, fake_model):
        services = planted(make_services)
        fake_model.script = [["She lives in **Porto**, ", "by the river."]]

        async def run_before(pilot):
            await settle(pilot)
            await say(pilot, "Where does my sister live?")

        assert snap_compare(chat_app(services), run_before=run_before, terminal_size=(80, 24))

    def test_recall_panel_open_80x24(self, snap_compare, make_services, fake_model):
        services = planted(make_services)
        fake_model.script = [["She lives in Porto."]]

        async def run_before(pilot):
            await settle(pilot)
            await say(pilot, "Where does my sister live?")
            await pilot.press("ctrl+r")
            await settle(pilot)

        assert snap_compare(chat_app(services), run_before=run_before, terminal_size=(80, 24))

    def test_after_a_reply_120x40(self, snap_compare, make_services, fake_model):
        services = planted(make_services)
        fake_model.script = [["Hello! Tell me more about your day."],
                             ["She lives in Porto. You told me on 12 April."]]

        async def run_before(pilot):
            await settle(pilot)
            await say(pilot, "Hi there")
            await say(pilot, "Where does my sister live?")

        assert snap_compare(chat_app(services), run_before=run_before, terminal_size=(120, 40))


class Opener:
    """Unlock screen only: it never gets as far as opening a bank in these tests."""

    def __init__(self, exists: bool) -> None:
        self.exists = exists

    def keyring_offered(self) -> bool:
        return False

    def unlock(self, passphrase: str):
        from storage import WrongPassphrase

        raise WrongPassphrase()


class TestUnlock:
    def test_first_run_80x24(self, snap_compare):
        app = SecondMeApp(opener=Opener(exists=False), start_scheduler=False)
        assert snap_compare(app, run_before=settle, terminal_size=(80, 24))

    def test_wrong_passphrase_80x24(self, snap_compare):
        app = SecondMeApp(opener=Opener(exists=True), start_scheduler=False)

        async def run_before(pilot):
            await pilot.press(*"not it", "enter")
            await settle(pilot)

        assert snap_compare(app, run_before=run_before, terminal_size=(80, 24))
