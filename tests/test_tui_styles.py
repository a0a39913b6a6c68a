"""The views follow the chat screen's standard: styles in .tcss files, typed screens."""

from __future__ import annotations

from pathlib import Path

from tui.screens.base import MemoryScreen
from tui.screens.inspector import MemoryInspectorScreen
from tui.screens.profile import ProfileScreen
from tui.screens.search import SearchScreen
from tui.screens.timeline import TimelineScreen

TUI = Path(__file__).resolve().parent.parent / "tui"


def test_no_screen_styles_in_python_and_no_type_ignores():
    for path in (TUI / "screens").glob("*.py"):
        text = path.read_text(encoding="utf-8")
        assert "DEFAULT_CSS" not in text, path      # every style lives in a .tcss file
        assert "type: ignore" not in text, path


def test_memory_views_share_the_typed_base_and_its_stylesheet():
    for screen in (TimelineScreen, ProfileScreen, MemoryInspectorScreen, SearchScreen):
        assert issubclass(screen, MemoryScreen)
    assert (TUI / "screens" / MemoryScreen.CSS_PATH).is_file()
