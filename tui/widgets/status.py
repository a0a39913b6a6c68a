"""The status bar: model, device, speed, memory count, scheduler — one line, always visible."""

from __future__ import annotations

from rich.text import Text
from textual.reactive import reactive
from textual.widgets import Static


class StatusBar(Static):
    load_state = reactive("model")    # 'model' | 'recall' | 'ready' | 'error'
    model_name = reactive("")
    device = reactive("")
    tokens_per_second: reactive[float | None] = reactive(None)
    memories: reactive[int | None] = reactive(None)
    scheduler = reactive("off")
    generating = reactive(False)
    error = reactive("")

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
        if self.tokens_per_second is not None:
            text.append(f" · {self.tokens_per_second:.1f} tok/s")
        if self.memories is not None:
            text.append(f" · {self.memories} memor{'y' if self.memories == 1 else 'ies'}")
        text.append(f" · scheduler: {self.scheduler}", style="dim")
        return text
