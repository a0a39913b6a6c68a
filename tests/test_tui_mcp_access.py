"""The MCP access view: the access log, and the inbox with approve / reject."""

from __future__ import annotations

from textual.widgets import OptionList, Static

from secondme.mcp.access import McpAccess
from tui.app import SecondMeApp
from tui.screens.mcp_access import McpAccessScreen
from tui.screens.modals import ConfirmModal

from .test_tui_views import ViewApp, options, text_of


async def settle(app, pilot) -> None:
    await app.workers.wait_for_complete()
    await pilot.pause()
    await pilot.pause()


def seed(services) -> tuple[McpAccess, int, int]:
    access = McpAccess(services)
    access.grant("claude", "search,remember")
    access.finish_call(access.begin_call("claude", "search", "where do I live"), results=2)
    first = access.propose("claude", "The owner's dentist is Dr. Quill.")
    second = access.propose("claude", "The owner hates olives.")
    return access, first, second


async def test_access_view_shows_the_log_and_approves_and_rejects(services):
    access, first, second = seed(services)
    app = ViewApp(lambda: McpAccessScreen(services))
    async with app.run_test(size=(120, 30)) as pilot:
        await settle(app, pilot)
        screen = app.screen
        assert isinstance(screen, McpAccessScreen)
        items = options(screen, "#mcp-inbox")
        assert "Dr. Quill" in items[0] and "olives" in items[1]
        log = text_of(screen, "#mcp-log")
        assert "claude search “where do I live” → 2 [ok]" in log
        screen.query_one("#mcp-inbox", OptionList).highlighted = 0
        await pilot.press("a")
        await pilot.pause()
        assert isinstance(app.screen, ConfirmModal)
        await pilot.press("y")
        await settle(app, pilot)
        assert [m.trust for m in services.memory.get_many(range(1, 10)).values()] == ["external"]
        screen.query_one("#mcp-inbox", OptionList).highlighted = 0
        await pilot.press("r")
        await pilot.pause()
        await pilot.press("n")                                   # cancelling keeps it
        await settle(app, pilot)
        assert [i["id"] for i in access.inbox()] == [second]
        await pilot.press("r")
        await pilot.pause()
        await pilot.press("y")
        await settle(app, pilot)
        assert access.inbox() == []
        assert "Nothing to review" in options(screen, "#mcp-inbox")[0]
        assert services.memory.count() == 1
        assert isinstance(screen.query_one("#mcp-log"), Static)


async def test_access_view_is_in_the_command_palette(services):
    app = SecondMeApp(services=services, start_scheduler=False, preload=False)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        commands = {c.title: c for c in app.get_system_commands(app.screen)}
        assert "Access" in commands
        commands["Access"].callback()
        await settle(app, pilot)
        assert isinstance(app.screen, McpAccessScreen)
