"""`secondme chat` (the TUI, the default command) and `secondme ask`.

The TUI is imported lazily, inside the `chat` command only. Opening the bank for the
TUI stays here, in secondme: the unlock screen just hands over the typed passphrase.
"""

from __future__ import annotations

import os
import sys
from typing import Annotated

import typer

from .app import CliState, JsonOpt, NowOpt, app, emit_json, state


class BankOpener:
    """What the unlock screen may do with this invocation's home, and nothing more."""

    def __init__(self, st: CliState) -> None:
        self._st = st

    @property
    def exists(self) -> bool:
        from storage.bank import BankPaths
        from storage.halfmade import is_half_made

        paths = BankPaths(self._st.home)   # a half-made restore is finished by unlocking it
        return paths.db.exists() or is_half_made(paths.db, paths.key)

    def _adopt(self, bank):
        from ..services import build_services

        self._st.close()
        self._st._services = build_services(self._st.settings(), bank, self._st.clock())
        return self._st._services

    def unlock(self, passphrase: str):
        """Raises storage.WrongPassphrase (before the DB is touched) on a wrong passphrase."""
        from storage import unlock_bank

        return self._adopt(unlock_bank(self._st.home, passphrase))

    def create(self, passphrase: str):
        from storage import create_bank

        from ..unlock import kdf_params

        return self._adopt(create_bank(self._st.home, passphrase, kdf_params()))

    def preset(self):
        """Services without asking, when a passphrase file, SECONDME_PASSPHRASE or the keyring
        already provides the key; else None (the unlock screen asks)."""
        st = self._st
        if st.passphrase_file is not None or os.environ.get("SECONDME_PASSPHRASE"):
            return st.services() if self.exists else st.create()
        if self.exists and st.settings().use_keyring:
            from storage import read_db_id

            from ..unlock import unlock_from_keyring

            bank = unlock_from_keyring(st.home, read_db_id(st.home))
            if bank is not None:
                return self._adopt(bank)
        return None

    def keyring_offered(self) -> bool:
        """Only when the user opted in (config `use_keyring = true`) and a safe backend exists."""
        if not self._st.settings().use_keyring:
            return False
        from ..unlock import keyring_available

        return keyring_available()

    def store_in_keyring(self, services) -> str:
        from ..unlock import store_in_keyring

        return store_in_keyring(services.bank)


@app.command()
def chat(ctx: typer.Context) -> None:
    """Open the chat (the default command)."""
    from tui.app import run_app

    run_app(state(ctx))


@app.command()
def ask(
    ctx: typer.Context,
    question: Annotated[str, typer.Argument(help="What to ask; `-` reads it from stdin "
                                            "(not visible in `ps`).")],
    no_store: Annotated[bool, typer.Option(
        "--no-store", help="Don't keep this exchange (no message, no memory, no reinforcing).")]
    = False,
    now: NowOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Ask once, non-interactively; the answer streams to stdout."""
    from ..chat import ChatSession, ReplyInterrupted, prefer_single_thread_torch
    from .textarg import text_or_stdin

    question = text_or_stdin(question, "question")
    services = state(ctx).services(now)
    session = ChatSession(services, source="ask", store=not no_store)
    started = [False]

    def show(piece: str) -> None:
        if not as_json:
            sys.stdout.write(piece)
            sys.stdout.flush()
            started[0] = True

    try:
        # Once recall has loaded torch: the turn memory's embedding then runs single-threaded.
        result = session.reply(question, on_piece=show,
                               on_prepared=lambda _: prefer_single_thread_torch())
    except ReplyInterrupted:
        if started[0]:
            sys.stdout.write("\n")
        typer.echo("stopped; the partial reply was kept", err=True)
        raise typer.Exit(130) from None
    if as_json:
        info = services.model().info
        emit_json({"question": question, **result.to_public(),
                   "model": {"name": info.name, "device": info.device, "n_ctx": info.n_ctx,
                             "chat_template": bool(info.chat_template)}})
    else:
        if started[0]:
            sys.stdout.write("\n")
        if result.error:
            typer.secho(f"error: {result.error}", fg=typer.colors.RED, err=True)
    if result.error:
        raise typer.Exit(1)
