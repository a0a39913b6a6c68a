"""The Typer app, the shared global options and the per-invocation state."""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any

import typer

from ..clock import Clock
from ..config import Settings, load_settings
from ..errors import UserError
from ..paths import resolve_home
from ..services import Services, build_services
from ..unlock import init_bank, open_bank

app = typer.Typer(
    name="secondme", add_completion=False, no_args_is_help=False,
    pretty_exceptions_enable=False,  # rich tracebacks show locals: never risk printing a key
    help="Second Me: a private, local-first memory assistant. With no command, opens the chat.",
    context_settings={"help_option_names": ["-h", "--help"]},
)

JsonOpt = Annotated[bool, typer.Option("--json", help="Machine-readable output.")]
NowOpt = Annotated[str | None, typer.Option("--now", help="Pretend it is this ISO time.")]


def prompt_passphrase(label: str, confirm: bool) -> str:
    if not sys.stdin.isatty():
        from ..unlock import PassphraseUnavailable

        raise PassphraseUnavailable(
            "no passphrase: set SECONDME_PASSPHRASE, pass --passphrase-file, or run in a terminal")
    return typer.prompt(label, hide_input=True, confirmation_prompt=confirm)


@dataclass
class CliState:
    home: Path
    passphrase_file: Path | None
    now: str | None
    model: str | None
    _services: Services | None = None
    _settings: Settings | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    def settings(self) -> Settings:
        if self._settings is None:
            self._settings = load_settings(self.home, model=self.model)
        return self._settings

    def clock(self, override: str | None = None) -> Clock:
        return Clock.from_env(override or self.now)

    def warn_location(self) -> None:
        from storage.location import location_warning

        warning = location_warning(self.home)
        if warning:
            typer.secho(f"warning: {warning}", fg=typer.colors.YELLOW, err=True)

    def services(self, now: str | None = None) -> Services:
        if self._services is None:
            self.warn_location()
            settings = self.settings()
            bank = open_bank(self.home, self.passphrase_file, prompt_passphrase,
                             use_keyring=settings.use_keyring)
            self._services = build_services(settings, bank, self.clock(now))
        return self._services

    def create(self) -> Services:
        self.warn_location()
        try:
            bank = init_bank(self.home, self.passphrase_file, prompt_passphrase)
        except OSError as exc:   # the folder cannot be made there: the person picks another
            raise UserError(f"cannot create a memory bank in {self.home}: "
                            f"{exc.strerror or exc}") from exc
        self._services = build_services(self.settings(), bank, self.clock())
        return self._services

    def close(self) -> None:
        if self._services is not None:
            self._services.close()
            self._services = None


def state(ctx: typer.Context) -> CliState:
    root = ctx.find_root()
    if not isinstance(root.obj, CliState):
        root.obj = CliState(home=resolve_home(None), passphrase_file=None, now=None, model=None)
    return root.obj


def emit_json(data: Any) -> None:
    typer.echo(json.dumps(data, ensure_ascii=False, indent=2, default=str))
