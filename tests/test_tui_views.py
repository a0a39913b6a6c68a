"""Pilot tests for the timeline, profile, memory inspector and search views."""

from __future__ import annotations

import pytest
from textual.app import App
from textual.widgets import DataTable, Input, Label, OptionList, Sparkline, Static

from secondme.memory.service import MemoryNotFound
from tui.screens.inspector import MemoryInspectorScreen
from tui.screens.modals import ConfirmModal, TextPromptModal
from tui.screens.profile import ProfileScreen
from tui.screens.search import SearchScreen
from tui.screens.timeline import TimelineScreen

from .bankdata import seed_views


async def settle(pilot, condition, seconds: float = 10.0) -> None:
    """Forgetting runs in a worker thread: wait until its result shows (caller asserts)."""
    for _ in range(int(seconds / 0.02)):
        if condition():
            return
        await pilot.pause(0.02)


class ViewApp(App[None]):
    """Just the view under test, on top of an empty base screen."""

    def __init__(self, make) -> None:
        super().__init__()
        self.make = make

    def on_mount(self) -> None:
        self.push_screen(self.make())


def options(screen, selector: str) -> list[str]:
    listing = screen.query_one(selector, OptionList)
    return [listing.get_option_at_index(i).prompt.plain for i in range(listing.option_count)]


def text_of(screen, selector: str) -> str:
    widget = screen.query_one(selector)
    content = widget.render() if isinstance(widget, (Static, Label)) else widget
    return str(getattr(content, "plain", content))


async def shown(pilot) -> None:
    """The view's thread worker read the bank and its result is on screen."""
    for _ in range(3):
        await pilot.app.workers.wait_for_complete()
        await pilot.pause()
    screen = pilot.app.screen
    assert getattr(screen, "loaded", True), "the view did not finish loading"


def highlight_memory(screen, selector: str, memory_id: int) -> None:
    listing = screen.query_one(selector, OptionList)
    highlight(listing, f"m{memory_id}")


# -- timeline -----------------------------------------------------------------------------

async def profile_at(pilot, app, fact_id: int) -> tuple:
    """The loaded profile screen with its cursor on fact `fact_id`: (screen, facts list)."""
    screen = app.screen
    await settle(pilot, lambda: screen.loaded)
    listing = screen.query_one("#pf-facts", OptionList)
    highlight(listing, f"f{fact_id}")
    return screen, listing


def highlight(listing: OptionList, option_id: str) -> None:
    """Moves the list's cursor to the option with this id."""
    listing.highlighted = next(i for i in range(listing.option_count)
                               if listing.get_option_at_index(i).id == option_id)

async def test_timeline_opens_on_the_latest_month_and_navigates(services):
    seed_views(services)
    app = ViewApp(lambda: TimelineScreen(services))
    async with app.run_test(size=(120, 40)) as pilot:
        await shown(pilot)
        screen = app.screen
        assert isinstance(screen, TimelineScreen)
        assert screen.period.key == "2024-05"
        await pilot.press("left")
        await shown(pilot)
        assert screen.period.key == "2024-04"
        assert "April: Mia settled in Porto" in text_of(screen, "#tl-summary")
        assert "3 memories" in text_of(screen, "#tl-summary")
        memories = options(screen, "#tl-memories")
        assert len(memories) == 3
        faded = next(m for m in memories if "umbrella" in m)
        assert "archived" in faded and "pinned" in next(m for m in memories if "marathon" in m)
        # Zoom in: month → week (the week of 8–14 April holds the Porto memory) → day.
        weeks = options(screen, "#tl-periods")
        week_index = next(i for i, w in enumerate(weeks) if "8 Apr" in w)
        screen.query_one("#tl-periods", OptionList).highlighted = week_index
        await pilot.press("enter")
        await shown(pilot)
        assert screen.period.level == "week" and screen.period.key == "2024-W15"
        days = options(screen, "#tl-periods")
        assert len(days) == 7
        screen.query_one("#tl-periods", OptionList).highlighted = 4  # Friday 12 April
        await pilot.press("enter")
        await shown(pilot)
        assert screen.period.key == "2024-04-12"
        assert "Mia moved to Porto" in options(screen, "#tl-memories")[0]
        await pilot.press("backspace")
        assert screen.period.level == "week"
        await pilot.press("backspace")
        await shown(pilot)
        assert screen.period.key == "2024-04"
        await pilot.press("escape")
        assert not isinstance(app.screen, TimelineScreen)


async def test_timeline_pin_forget_restore_ask_first(services):
    ids = seed_views(services)
    app = ViewApp(lambda: TimelineScreen(services))
    async with app.run_test(size=(120, 40)) as pilot:
        await shown(pilot)
        screen = app.screen
        await pilot.press("left")
        await shown(pilot)
        screen.query_one("#tl-memories", OptionList).focus()
        highlight_memory(screen, "#tl-memories", ids["porto"])
        await pilot.press("p")
        assert isinstance(app.screen, ConfirmModal)
        await pilot.press("n")                       # cancelled: nothing changes
        assert not services.memory.get(ids["porto"]).pinned
        await pilot.press("p")
        await pilot.press("y")
        await shown(pilot)
        assert services.memory.get(ids["porto"]).pinned

        highlight_memory(screen, "#tl-memories", ids["umbrella"])
        await pilot.press("r")
        await pilot.press("y")
        await shown(pilot)
        assert services.memory.get(ids["umbrella"]).state == "active"

        highlight_memory(screen, "#tl-memories", ids["umbrella"])
        await pilot.press("f")
        assert "cannot be undone" in app.screen.question
        await pilot.click("#yes")
        await settle(pilot, lambda: len(options(screen, "#tl-memories")) == 2)
        with pytest.raises(MemoryNotFound):
            services.memory.get(ids["umbrella"])
        assert len(options(screen, "#tl-memories")) == 2


async def test_timeline_enter_opens_the_inspector_and_comes_back_refreshed(services):
    ids = seed_views(services)
    app = ViewApp(lambda: TimelineScreen(services))
    async with app.run_test(size=(120, 40)) as pilot:
        await shown(pilot)
        screen = app.screen
        listing = screen.query_one("#tl-memories", OptionList)
        listing.focus()
        highlight_memory(screen, "#tl-memories", ids["today"])
        await pilot.press("enter")
        assert isinstance(app.screen, MemoryInspectorScreen)
        await pilot.press("f")
        await pilot.press("y")
        await settle(pilot, lambda: app.screen is screen)
        assert app.screen is screen                  # forgetting closes the inspector
        assert all("Long lunch" not in m for m in options(screen, "#tl-memories"))


async def test_timeline_zooms_to_a_year_and_a_day_and_goes_to_a_date(services):
    seed_views(services)
    app = ViewApp(lambda: TimelineScreen(services))
    async with app.run_test(size=(120, 40)) as pilot:
        await shown(pilot)
        screen = app.screen
        await pilot.press("backspace")                 # month → year
        await shown(pilot)
        assert screen.period.key == "2024" and screen.period.level == "year"
        months = options(screen, "#tl-periods")
        assert len(months) == 12 and months[3].startswith("April 2024")
        assert "3 ·" in months[3] and "1 ·" in months[4]   # April holds 3, May 1
        assert len(options(screen, "#tl-memories")) == 4
        await pilot.press("left")
        await shown(pilot)
        assert screen.period.key == "2023"
        await pilot.press("right")
        await shown(pilot)
        screen.query_one("#tl-periods", OptionList).highlighted = 3   # April
        await pilot.press("d")                         # straight into a day of April
        await shown(pilot)
        assert screen.period.key == "2024-04-01" and screen.period.level == "day"
        await pilot.press("y")
        await shown(pilot)
        assert screen.period.key == "2024"
        await pilot.press("g")
        assert isinstance(app.screen, TextPromptModal)
        await pilot.press(*"2024-04-12", "enter")
        await shown(pilot)
        assert app.screen is screen and screen.period.key == "2024-04-12"
        assert "Mia moved to Porto" in options(screen, "#tl-memories")[0]
        await pilot.press("g")
        await pilot.press(*"May", "enter")             # not a date: said, nothing moves
        await shown(pilot)
        assert app.screen is screen and screen.period.key == "2024-04-12"


async def test_single_letter_actions_never_fire_while_typing(services):
    ids = seed_views(services)
    app = ViewApp(lambda: TimelineScreen(services))
    async with app.run_test(size=(120, 40)) as pilot:
        await shown(pilot)
        screen = app.screen
        highlight_memory(screen, "#tl-memories", ids["today"])
        await pilot.press("g")
        await pilot.press(*"pfrdwmyg")                 # each is an action outside the field
        assert isinstance(app.screen, TextPromptModal)
        assert app.screen.query_one("#answer", Input).value == "pfrdwmyg"
        await pilot.press("escape")
        await shown(pilot)
        assert app.screen is screen and screen.period.key == "2024-05"
        assert not services.memory.get(ids["today"]).pinned


# -- profile ------------------------------------------------------------------------------
async def test_profile_lists_facts_by_category_with_evidence(services):
    ids = seed_views(services)
    app = ViewApp(lambda: ProfileScreen(services))
    async with app.run_test(size=(120, 40)) as pilot:
        screen = app.screen
        await settle(pilot, lambda: screen.loaded)
        listed = options(screen, "#pf-facts")
        assert listed[0] == "GOAL" and "RELATIONSHIP" in listed
        assert any("Mia · lives in: Porto" in f and "confidence 0.85" in f for f in listed)
        assert not any("Lisbon" in f for f in listed)          # closed facts hidden…
        await pilot.press("h")
        await settle(pilot, lambda: screen.loaded)
        assert any("Lisbon" in f and "closed" in f for f in options(screen, "#pf-facts"))
        await pilot.press("h")
        await settle(pilot, lambda: screen.loaded)
        listing = screen.query_one("#pf-facts", OptionList)
        highlight(listing, f"f{ids['fact']}")
        await pilot.pause()
        detail = text_of(screen, "#pf-detail")
        assert "Evidence" in detail and "My sister Mia moved to Porto" in detail
        assert "2024-04-01 → now" in detail
        await pilot.press("enter")
        assert isinstance(app.screen, MemoryInspectorScreen)
        assert app.screen.memory_id == ids["porto"]


async def test_profile_correct_and_delete(services):
    ids = seed_views(services)
    app = ViewApp(lambda: ProfileScreen(services))
    async with app.run_test(size=(120, 40)) as pilot:
        screen, listing = await profile_at(pilot, app, ids["fact"])
        await pilot.press("e")
        assert isinstance(app.screen, TextPromptModal)
        field = app.screen.query_one("#answer", Input)
        field.value = "Vila Nova de Gaia"
        await pilot.press("enter")
        await shown(pilot)
        db = services.bank.db()
        old = db.execute("SELECT status, superseded_by FROM profile_facts WHERE id = ?",
                         [ids["fact"]]).fetchone()
        assert old[0] == "closed"
        new = db.execute("SELECT value, trust, confidence FROM profile_facts WHERE id = ?",
                         [old[1]]).fetchone()
        assert tuple(new) == ("Vila Nova de Gaia", "user", 1.0)
        await settle(pilot, lambda: screen.loaded)
        assert any("Vila Nova de Gaia" in f for f in options(screen, "#pf-facts"))

        highlight(listing, f"f{ids['goal']}")
        await pilot.press("d")
        assert isinstance(app.screen, ConfirmModal)
        await pilot.press("y")
        await shown(pilot)
        assert db.execute("SELECT count(*) FROM profile_facts WHERE id = ?",
                          [ids["goal"]]).fetchone()[0] == 0
        assert db.execute("SELECT count(*) FROM fact_sources WHERE fact_id = ?",
                          [ids["goal"]]).fetchone()[0] == 0
        actions = [r[0] for r in db.execute(
            "SELECT action FROM audit_log WHERE entity = 'fact' AND entity_id = ?",
            [ids["goal"]])]
        assert actions[-1] == "delete"


async def test_profile_empty_says_where_facts_come_from(services):
    app = ViewApp(lambda: ProfileScreen(services))
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot, lambda: app.screen.loaded)
        assert "No facts yet" in options(app.screen, "#pf-facts")[0]


async def test_profile_shows_when_a_quote_is_no_longer_in_its_memory(services):
    # The TUI shows the same verified evidence as the CLI (it used to skip the re-check).
    ids = seed_views(services)
    services.memory.edit(ids["porto"], "Mia visited Porto once.")
    app = ViewApp(lambda: ProfileScreen(services))
    async with app.run_test(size=(120, 40)) as pilot:
        screen, listing = await profile_at(pilot, app, ids["fact"])
        await pilot.pause()
        assert "quote no longer found" in text_of(screen, "#pf-detail")
        highlight(listing, f"f{ids['goal']}")
        await pilot.pause()
        assert "quote no longer found" not in text_of(screen, "#pf-detail")


# -- inspector -----------------------------------------------------------------------------
async def test_inspector_shows_text_provenance_history_and_curve(services):
    ids = seed_views(services)
    app = ViewApp(lambda: MemoryInspectorScreen(services, ids["porto"]))
    async with app.run_test(size=(120, 45)) as pilot:
        screen = app.screen
        await settle(pilot, lambda: screen.loaded)
        assert "Memory #" in text_of(screen, "#mi-title")
        assert "her flat looks over the river" in text_of(screen, "#mi-text")
        chain = text_of(screen, "#mi-provenance")
        assert "source: command line (cli), trust user" in chain
        assert "summarised in: month summary 2024-04" in chain
        assert "evidence for: Mia · lives in: Porto" in chain
        curve = screen.query_one("#mi-curve", Sparkline).data
        assert len(curve) == 60 and curve[0] == pytest.approx(1.0)
        assert all(a >= b for a, b in zip(curve, curve[1:], strict=False))  # fades over time
        assert "R now" in text_of(screen, "#mi-retention")
        history = screen.query_one("#mi-history", DataTable)
        assert history.row_count >= 1
        await pilot.press("p")
        await pilot.press("y")
        await settle(pilot, lambda: "pinned" in text_of(screen, "#mi-title"))
        assert services.memory.get(ids["porto"]).pinned
        assert "pinned" in text_of(screen, "#mi-title")
        assert screen.query_one("#mi-history", DataTable).row_count == history.row_count


async def test_inspector_of_an_archived_memory_and_a_missing_one(services):
    ids = seed_views(services)
    app = ViewApp(lambda: MemoryInspectorScreen(services, ids["umbrella"]))
    async with app.run_test(size=(120, 45)) as pilot:
        await settle(pilot, lambda: app.screen.loaded)
        assert "archived" in text_of(app.screen, "#mi-title")
        await pilot.press("r")
        await pilot.press("y")
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert services.memory.get(ids["umbrella"]).state == "active"
    app = ViewApp(lambda: MemoryInspectorScreen(services, 99999))
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot, lambda: app.screen.loaded)
        assert "forgotten" in text_of(app.screen, "#mi-text")


# -- search --------------------------------------------------------------------------------
async def test_search_shows_scored_hits_and_opens_one(services):
    ids = seed_views(services)
    app = ViewApp(lambda: SearchScreen(services))
    async with app.run_test(size=(120, 40)) as pilot:
        screen = app.screen
        screen.query_one("#sr-query", Input).value = "where does Mia live, Porto"
        await pilot.press("enter")
        await app.workers.wait_for_complete()
        await pilot.pause()
        hits = options(screen, "#sr-results")
        porto = next(i for i, h in enumerate(hits) if "Mia moved to Porto" in h)
        assert "score" in hits[porto] and "kw" in hits[porto] and "R" in hits[porto]
        assert all("umbrella" not in h for h in hits)   # archived: left out by default
        screen.query_one("#sr-results", OptionList).focus()
        screen.query_one("#sr-results", OptionList).highlighted = porto
        await pilot.press("enter")
        assert isinstance(app.screen, MemoryInspectorScreen)
        assert app.screen.memory_id == ids["porto"]
        await pilot.press("escape")
        screen.query_one("#sr-query", Input).value = "blue umbrella"
        screen.query_one("#sr-query", Input).focus()
        await pilot.press("ctrl+t")                      # works while typing, and re-runs
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert any("umbrella" in h and "archived" in h for h in options(screen, "#sr-results"))


async def test_search_with_no_hits_says_so(services):
    app = ViewApp(lambda: SearchScreen(services, query="zzzz"))
    async with app.run_test(size=(100, 30)) as pilot:
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert "Nothing matches" in text_of(app.screen, "#sr-status")


# -- reachable from the app ----------------------------------------------------------------
async def test_f2_f3_f4_open_the_views_from_the_chat(services):
    from tui.app import SecondMeApp

    seed_views(services)
    app = SecondMeApp(services=services, start_scheduler=False, preload=False)
    async with app.run_test(size=(120, 40)) as pilot:
        for key, cls in (("f2", TimelineScreen), ("f3", ProfileScreen), ("f4", SearchScreen)):
            await pilot.press(key)
            await pilot.pause()
            assert isinstance(app.screen, cls), key
            await pilot.press("escape")
            await pilot.pause()
