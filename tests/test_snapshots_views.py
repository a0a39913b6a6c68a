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


class FixedRetriever:
    """The view is under test here, not the ranking (which has its own tests): fixed hits."""

    def __init__(self, services, ids: list[int]) -> None:
        self.services, self.ids = services, ids

    def search(self, query: str, *, k: int = 8, include_archived: bool = False):
        from secondme.memory.retrieval import Hit, Scores

        hits = []
        for rank, memory_id in enumerate(self.ids[:k], 1):
            memory = self.services.memory.get(memory_id)
            r = self.services.memory.retention_of(memory)
            score = round(1.0 / rank, 3)
            hits.append(Hit(memory, Scores(bm25=2.0 / rank, cosine=0.5 / rank, fused=score,
                                           retention=r, final=score), rank=rank))
        return hits


def test_search(snap_compare, make_services):
    shown: list[int] = []
    services = make_services(retriever_factory=lambda svc: FixedRetriever(svc, shown))
    ids = seed_views(services)
    shown += [ids["race"], ids["porto"], ids["today"]]
    assert snap_compare(ViewApp(lambda: SearchScreen(services, query="half marathon")),
                        run_before=settle, terminal_size=SIZE)
