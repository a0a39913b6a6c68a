"""The status bar: model, device, speed, memory count, scheduler — one line, always visible."""

from __future__ import annotations

from rich.text import Text
from textual.reactive import reactive
from textual.widgets import Static

from ..messages import ModelSwitch


class StatusBar(Static):
    load_state = reactive("model")    # 'model' | 'recall' | 'ready' | 'error'
    model_name = reactive("")
    device = reactive("")
    tokens_per_second: reactive[float | None] = reactive(None)
    memories: reactive[int | None] = reactive(None)
    scheduler = reactive("off")
    generating = reactive(False)
    error = reactive("")
    switching = reactive("")       # the model being loaded from the palette
    switch_error = reactive("")    # why the last switch failed (the old model stays)

    def render(self) -> Text:
        text = Text(no_wrap=True, overflow="ellipsis")
        if self.load_state == "error":
            text.append("✕ ", style="bold red")
            text.append(f"model failed: {self.error}"[:60], style="red")
        elif self.load_state == "model":
            text.append("◌ loading model…", style="italic")
        else:
            text.append("● " if not self.generating else "◆ ",
                        style="bold green" if self.load_state == "ready" else "bold yellow")
            text.append(self.model_name[:28] or "model")
            if self.device:
                text.append(f" · {self.device}")
            if self.load_state == "recall":
                text.append(" · warming up recall…", style="italic")
        if self.switching:
            text.append(f" · ◌ switching to {self.switching}…", style="italic")
        elif self.switch_error:
            text.append(f" · ✕ {self.switch_error}", style="red")
        if self.tokens_per_second is not None:
            text.append(f" · {self.tokens_per_second:.1f} tok/s")
        if self.memories is not None:
            text.append(f" · {self.memories} memor{'y' if self.memories == 1 else 'ies'}")
        text.append(f" · scheduler: {self.scheduler}", style="dim")
        return text

    def on_model_switch(self, event: ModelSwitch) -> None:
        if event.state == "loading":
            self.switching, self.switch_error = event.name, ""
            return
        self.switching = ""
        if event.state == "failed":
            self.switch_error = f"{event.name} failed to load: {event.detail}"
            self.notify(f"Could not switch to {event.name}: {event.detail}. Still using "
                        f"{self.model_name or 'the previous model'}.", severity="error",
                        timeout=10)
            return
        self.model_name, self.device, self.switch_error = event.name, event.detail, ""
        self.tokens_per_second = None      # measured on the old model
        if self.load_state == "error":     # the first model failed; this one works
            self.load_state, self.error = "ready", ""
        self.notify(f"Now using {event.name}." + (f" ({event.saved})" if event.saved else ""),
                    severity="warning" if event.saved else "information", timeout=5)
