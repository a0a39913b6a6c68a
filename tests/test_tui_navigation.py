"""Finding your way: recall → inspector and back to the input, F-keys that switch views,
the README's recall-panel promise, readable scores, and jobs that wait for the chat."""

from __future__ import annotations

import threading

from tui.app import SecondMeApp
from tui.screens.chat import ChatScreen
from tui.widgets.status import StatusBar

from .test_tui_chat import GatedModel, chat_app, send, settle, wait_until


async def test_enter_on_a_recalled_memory_opens_it_and_focus_comes_back_to_the_input(services):
    from tui.screens.inspector import MemoryInspectorScreen

    planted = services.memory.remember("My sister Ana moved to Porto last spring.", source="cli")
    app = chat_app(services)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(app, pilot)
        await send(pilot, "Where does my sister live?")
        await settle(app, pilot)
        await pilot.press("tab")                           # from the input to the panel
        assert app.screen.focused is app.screen.query_one("#recall-list")
        await pilot.press("enter")                         # no arrow key needed first
        await pilot.pause()
        assert isinstance(app.screen, MemoryInspectorScreen)
        assert app.screen.memory_id == planted
        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(app.screen, ChatScreen)
        assert app.screen.focused is app.screen.query_one("#prompt")


async def test_f_keys_switch_views_and_one_escape_leads_back_to_the_chat(services):
    from tui.screens.history import HistoryScreen
    from tui.screens.profile import ProfileScreen
    from tui.screens.search import SearchScreen
    from tui.screens.timeline import TimelineScreen

    app = chat_app(services, preload=False)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(app, pilot)
        chat = app.screen
        for key, cls in (("f2", TimelineScreen), ("f3", ProfileScreen), ("f4", SearchScreen),
                         ("f5", HistoryScreen), ("f2", TimelineScreen)):
            await pilot.press(key)
            await settle(app, pilot)
            assert isinstance(app.screen, cls), key
            assert len(app.screen_stack) == 3, key          # base, chat, one view: no pile
        await pilot.press("escape")
        await pilot.pause()
        assert app.screen is chat
        assert chat.focused is chat.query_one("#prompt")


def test_the_readme_says_when_the_recall_panel_is_open():
    from pathlib import Path

    from tui.screens.chat import WIDE

    readme = " ".join((Path(__file__).parent.parent / "README.md").read_text(
        encoding="utf-8").split())
    assert f"open from the start on a terminal at least {WIDE} columns wide" in readme


def test_recall_scores_are_readable():
    from secondme.memory.retrieval import Scores
    from tui.widgets.recall import score_line

    line = score_line(Scores(bm25=1.61e-06, cosine=0.4231, fused=0.5, retention=0.9,
                             final=0.41))
    assert "e-0" not in line and "kw <0.01" in line and "sem 0.42" in line
    assert "score 0.41" in line and "above 1" not in line
    boosted = score_line(Scores(bm25=2.5, cosine=None, fused=1.0, retention=1.0,
                                time_match=1.0, final=2.0))
    assert "score 2.00" in boosted and "time you named" in boosted


async def test_the_status_bar_says_when_a_job_waits_for_the_chat(make_services):
    from secondme.jobs.gate import ChatActivity

    class Handle:
        activity = ChatActivity(quiet_seconds=0)

        def preempt(self):
            return False

        def status(self):
            return {"state": "running", "last_job": None, "last_status": None,
                    "running_job": "profile", "held": self.activity.holding}

        def shutdown(self):
            pass

    services = make_services(model=(model := GatedModel()))
    app = SecondMeApp(services=services, start_scheduler=True, scheduler=lambda svc: Handle())
    async with app.run_test(size=(140, 24)) as pilot:
        await settle(app, pilot)
        activity = app.screen.activity
        assert not activity.busy
        await send(pilot, "hello")
        await pilot.pause()
        assert activity.busy                               # jobs wait while the reply runs
        waiting = threading.Thread(target=activity.wait_turn, args=("profile",))
        waiting.start()
        await wait_until(lambda: activity.holding == "profile")
        app.screen.refresh_status()
        assert "profile paused for the chat" in str(app.screen.query_one(StatusBar).render())
        model.gate.set()
        await settle(app, pilot)
        waiting.join(10)
        assert not activity.busy and activity.holding is None
