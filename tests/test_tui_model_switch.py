"""Switching the model from the command palette: the list, the switch, a model that fails."""

from __future__ import annotations

import threading
from dataclasses import replace
from pathlib import Path

import pytest
from textual.command import CommandPalette

from secondme.config import load_settings
from tui.app import SecondMeApp
from tui.screens.chat import ChatScreen
from tui.widgets.message import MessageView
from tui.widgets.prompt import PromptInput
from tui.widgets.status import StatusBar

from .fakes import FakeModel
from .test_tui_chat import settle, wait_until

CATALOG = """
[tiny]
title = "Tiny test model"
repo = "test-org/tiny-GGUF"
file = "tiny.gguf"
size_mb = 1
licence = "MIT"
ram_gb = 0.5

[broken]
title = "Broken test model"
repo = "test-org/broken-GGUF"
file = "broken.gguf"
size_mb = 1
licence = "MIT"
ram_gb = 0.6

[absent]
title = "Never pulled"
repo = "test-org/absent-GGUF"
file = "absent.gguf"
size_mb = 1
licence = "MIT"
ram_gb = 0.7
"""


class NamedModel(FakeModel):
    def __init__(self, name: str, path: str) -> None:
        super().__init__(script=[[f"{name} says hi."]] * 5)
        self._info = replace(self._info, name=name, path=path)


LOADED_ON: list[str] = []


def loader(settings):
    """Loads 'tiny.gguf' as a model called tiny-it; 'broken.gguf' cannot be loaded."""
    LOADED_ON.append(threading.current_thread().name)
    path = Path(settings.model or "embedded.gguf")
    if path.name == "broken.gguf":
        raise RuntimeError("llama_model_load: tensor 'blk.0' has wrong shape")
    return NamedModel(f"{path.stem}-it", str(path))


@pytest.fixture
def models(tmp_path, monkeypatch) -> Path:
    folder = tmp_path / "models"
    folder.mkdir()
    for name in ("tiny.gguf", "broken.gguf"):
        (folder / name).write_bytes(b"GGUF" + b"\0" * 64)
    catalog = tmp_path / "catalog.toml"
    catalog.write_text(CATALOG)
    monkeypatch.setenv("SECONDME_MODEL_CACHE", str(folder))
    monkeypatch.setenv("SECONDME_MODEL_CATALOG", str(catalog))
    return folder


def app_for(make_services) -> SecondMeApp:
    services = make_services(model_loader=loader)
    return SecondMeApp(services=services, start_scheduler=False, preload=True)


async def open_models(pilot) -> CommandPalette:
    """Opens the palette and runs "Switch model": a second palette lists the models."""
    await pilot.press("ctrl+p")
    await pilot.pause()
    await pilot.press(*"Switch model")
    await pilot.pause(0.5)
    await pilot.press("enter")
    await wait_until(lambda: isinstance(pilot.app.screen, CommandPalette))
    await pilot.pause(0.5)
    return pilot.app.screen


async def pick(pilot, choice: str) -> None:
    await open_models(pilot)
    await pilot.press(*choice)
    await pilot.pause(0.5)
    await pilot.press("enter")
    await pilot.pause()


async def switched(app, pilot) -> StatusBar:
    await app.workers.wait_for_complete()
    await pilot.pause()
    await pilot.pause()
    return app.chat.query_one(StatusBar)


async def test_the_palette_lists_the_installed_models_and_says_which_is_active(
        models, make_services):
    app = app_for(make_services)
    async with app.run_test(size=(120, 30)) as pilot:
        await settle(app, pilot)
        assert "Switch model" in [c.title for c in app.get_system_commands(app.screen)]
        palette = await open_models(pilot)
        assert isinstance(palette, CommandPalette)
        await wait_until(lambda: palette.query_one("CommandList").option_count > 0)
        listed = [str(palette.query_one("CommandList").get_option_at_index(i).prompt)
                  for i in range(palette.query_one("CommandList").option_count)]
        text = "\n".join(listed)
        assert "default — the embedded Gemma 3 270M" in text and "active now" in text
        assert "tiny — Tiny test model" in text and "broken — Broken test model" in text
        assert "absent" not in text                    # in the catalog, but never pulled


async def test_picking_a_model_loads_it_off_the_loop_updates_the_status_and_config(
        models, make_services, home):
    app = app_for(make_services)
    async with app.run_test(size=(160, 30)) as pilot:
        await settle(app, pilot)
        status = app.chat.query_one(StatusBar)
        assert status.model_name == "fake"
        await pick(pilot, "tiny")
        status = await switched(app, pilot)
        assert LOADED_ON and threading.main_thread().name not in LOADED_ON
        assert isinstance(app.screen, ChatScreen)
        assert status.model_name == "Tiny test model" and not status.switch_error
        assert "Tiny test model" in str(status.render())
        assert app.services.settings.model == str((models / "tiny.gguf").resolve())
        # Written exactly as `secondme model use tiny` writes it.
        assert load_settings(home).model == str((models / "tiny.gguf").resolve())
        # The next reply comes from the new model.
        app.screen.query_one("#prompt", PromptInput).text = "hello there"
        await pilot.press("enter")
        await settle(app, pilot)
        reply = app.screen.query(MessageView).last()
        assert "tiny-it says hi." in reply.markdown.source
        # And back to the embedded default: the key is removed from config.toml.
        await pick(pilot, "default")
        status = await switched(app, pilot)
        assert status.model_name == "embedded-it"
        assert load_settings(home).model is None


async def test_a_model_that_fails_to_load_is_reported_and_the_old_one_keeps_working(
        models, make_services, home, fake_model):
    app = app_for(make_services)
    async with app.run_test(size=(160, 30)) as pilot:
        await settle(app, pilot)
        await pick(pilot, "broken")
        status = await switched(app, pilot)
        assert status.model_name == "fake" and status.load_state == "ready"
        assert "broken failed to load: llama_model_load: tensor" in status.switch_error
        assert "✕ broken failed to load" in str(status.render())
        assert app.services.model() is fake_model
        assert load_settings(home).model is None        # nothing written
        fake_model.script = [["Still here."]]
        app.screen.query_one("#prompt", PromptInput).text = "are you there?"
        await pilot.press("enter")
        await settle(app, pilot)
        assert "Still here." in app.screen.query(MessageView).last().markdown.source


async def test_no_switch_while_a_reply_is_being_written(models, make_services, home):
    app = app_for(make_services)
    async with app.run_test(size=(160, 30)) as pilot:
        await settle(app, pilot)
        app.chat.generating = True
        app.pick_model(next(m for m in _installed(app) if m.name == "tiny"))
        await pilot.pause()
        app.chat.generating = False
        assert app.services.model().info.name == "fake"
        assert load_settings(home).model is None


def _installed(app):
    from secondme.llm.installed import installed_models

    return installed_models(app.services.settings.model)


def same_name(settings):
    """Two variants of one model: the GGUFs share `general.name` (seen in tmux: the status
    bar said "Gemma 3 270m" before and after switching to the instruction-tuned copy)."""
    return NamedModel("Gemma 3 270m", str(Path(settings.model or "embedded.gguf")))


async def test_the_status_bar_tells_variants_that_share_a_gguf_name_apart(
        models, make_services, home):
    app = SecondMeApp(services=make_services(model=None, model_loader=same_name),
                      start_scheduler=False, preload=True)
    async with app.run_test(size=(160, 30)) as pilot:
        await settle(app, pilot)
        assert app.chat.query_one(StatusBar).model_name == "Gemma 3 270m"   # the embedded one
        await pick(pilot, "tiny")
        status = await switched(app, pilot)
        assert status.model_name == "Tiny test model"
    # Started again with the catalog model configured: the same title, not the GGUF's name.
    app = SecondMeApp(services=make_services(model=None, model_loader=same_name,
                                             settings=load_settings(home)),
                      start_scheduler=False, preload=True)
    async with app.run_test(size=(160, 30)) as pilot:
        await settle(app, pilot)
        assert app.chat.query_one(StatusBar).model_name == "Tiny test model"


async def test_nothing_is_sent_while_the_model_changes(models, make_services):
    """A prompt is built for one model and streamed by the model of that moment: a message
    sent while another loads would be read by a model whose template it was not built for."""
    gate = threading.Event()

    def slow(settings):
        gate.wait(10)
        return loader(settings)

    app = SecondMeApp(services=make_services(model_loader=slow), start_scheduler=False,
                      preload=True)
    async with app.run_test(size=(160, 30)) as pilot:
        await settle(app, pilot)
        await pick(pilot, "tiny")
        assert app.chat.query_one(StatusBar).switching == "tiny"
        app.screen.query_one("#prompt", PromptInput).text = "hello?"
        await pilot.press("enter")
        await pilot.pause()
        assert not list(app.screen.query(MessageView))              # not sent …
        assert app.screen.query_one("#prompt", PromptInput).text == "hello?"   # … nor lost
        gate.set()
        status = await switched(app, pilot)
        assert status.model_name == "Tiny test model" and not status.switching
        await pilot.press("enter")
        await settle(app, pilot)
        assert "tiny-it says hi." in app.screen.query(MessageView).last().markdown.source
