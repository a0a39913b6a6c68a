"""One snapshot per view: timeline, profile, memory inspector, search (110×34).

Deterministic: the `services` fixture's fixed clock (2024-05-01 12:00), fakes for
the model and embedder, a path-free seed, no blinking cursors. Regenerate on
purpose with `pytest tests/test_snapshots_views.py --snapshot-update`.
"""

from __future__ import annotations

from textual.widgets import Input, OptionList

from tui.screens.inspector import MemoryInspectorScreen
from tui.screens.profile import ProfileScreen
from tui.screens.search import SearchScreen
from tui.screens.timeline import TimelineScreen

from .bankdata import seed_views
from .test_tui_views import ViewApp

SIZE = (110, 34)


async def settle(pilot) -> None:
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()
    for field in pilot.app.screen.query(Input):
        field.cursor_blink = False
    await pilot.pause()


def test_timeline_april(snap_compare, services):
    seed_views(services)

    async def run_before(pilot):
        await pilot.press("left")
        pilot.app.screen.query_one("#tl-memories", OptionList).focus()
        await settle(pilot)

    assert snap_compare(ViewApp(lambda: TimelineScreen(services)), run_before=run_before,
                        terminal_size=SIZE)


def test_profile(snap_compare, services):
    seed_views(services)
    assert snap_compare(ViewApp(lambda: ProfileScreen(services)), run_before=settle,
                        terminal_size=SIZE)


def test_inspector(snap_compare, services):
    ids = seed_views(services)
    assert snap_compare(ViewApp(lambda: MemoryInspectorScreen(services, ids["porto"])),
                        run_before=settle, terminal_size=SIZE)


def test_search(snap_compare, services):
    seed_views(services)
    assert snap_compare(ViewApp(lambda: SearchScreen(services, query="half marathon")),
                        run_before=settle, terminal_size=SIZE)
