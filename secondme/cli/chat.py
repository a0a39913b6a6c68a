"""`secondme chat` (the TUI, the default command) and `secondme ask`.

The TUI is imported lazily, inside the `chat` command only. Opening the bank for the
TUI stays in secondme (`unlock.BankOpener`): the unlock screen hands over the passphrase.
"""

from __future__ import annotations

import sys
from typing import Annotated, Any

import typer

from .app import JsonOpt, NowOpt, app, emit_json, state


@app.command()
def chat(ctx: typer.Context) -> None:
    """Open the chat (the default command)."""
    from tui.app import run_app

    from ..unlock import BankOpener

    st = state(ctx)
    st.warn_location()
    run_app(BankOpener(st.home, st.settings(), st.passphrase_file, st.clock()))


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
    from ..conversation.session import ChatSession, ReplyInterrupted
    from ..memory.embeddings import prefer_single_thread_torch
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
    except ReplyInterrupted as stopped:
        # The kept part was checked like any reply: its JSON, or its grounding line.
        if as_json:
            _emit(question, stopped.result, services)
        else:
            if started[0]:
                sys.stdout.write("\n")
            line = grounding_line(stopped.result.grounding)
            if line:
                typer.echo(line)
        typer.echo("stopped; the partial reply was kept", err=True)
        raise typer.Exit(130) from None
    if as_json:
        _emit(question, result, services)
    else:
        if started[0]:
            sys.stdout.write("\n")
        line = grounding_line(result.grounding)
        if line:
            typer.echo(line)
        if result.error:
            typer.secho(f"error: {result.error}", fg=typer.colors.RED, err=True)
    if result.error:
        raise typer.Exit(1)


def _emit(question: str, result: Any, services: Any) -> None:
    info = services.model().info
    emit_json({"question": question, **result.to_public(),
               "model": {"name": info.name, "device": info.device, "n_ctx": info.n_ctx,
                         "chat_template": bool(info.chat_template)}})


def grounding_line(grounding: Any) -> str | None:
    """The line after a reply: the memory that says otherwise (the reply is not supported),
    or the memory that answers what the reply says it does not know."""
    note = grounding.note() if grounding is not None else None
    if not note:
        return None
    return note if grounding.supported else f"(not found in your memory) {note}"
