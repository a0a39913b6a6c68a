"""`secondme mcp`: serve your memory to other AI tools, and decide who may read what.

`secondme mcp --client NAME` is the stdio server a client starts; `grant`, `revoke`,
`clients`, `config` and `log` are for the owner.
"""

from __future__ import annotations

import contextlib
import json
import sys
from collections.abc import Iterator
from typing import Annotated

import typer

from .app import JsonOpt, NowOpt, app, emit_json, state

mcp_app = typer.Typer(
    help="Let other AI tools (Claude Desktop, Cursor, IDE agents…) read your memory over MCP, "
         "with your consent: grants, scopes, an access log.", no_args_is_help=False)
app.add_typer(mcp_app, name="mcp")
ClientArg = Annotated[str, typer.Argument(help="The client's name, e.g. claude or cursor.")]


def fail(message: str) -> None:
    typer.secho(f"error: {message}", fg=typer.colors.RED, err=True)
    raise typer.Exit(2)


@contextlib.contextmanager
def owner_errors() -> Iterator[None]:
    """A bad name, scope or id, or a bank kept busy by another process: one line, exit 2."""
    from ..mcp.access import Busy, ClientNotFound, ProposalNotFound

    try:
        yield
    except (Busy, ClientNotFound, ProposalNotFound, ValueError) as exc:
        fail(str(exc))


def _access(ctx: typer.Context, now: str | None = None):
    from ..mcp.access import McpAccess

    return McpAccess(state(ctx).services(now))


@mcp_app.callback(invoke_without_command=True)
def mcp_serve(
    ctx: typer.Context,
    client: Annotated[str | None, typer.Option(
        "--client", help="Serve over stdio for this granted client (started by the client).")]
    = None,
) -> None:
    """Serve over stdio for one client: `secondme mcp --client NAME` (see `mcp config`)."""
    if ctx.invoked_subcommand is not None:
        return
    if client is None:
        typer.echo(ctx.get_help())
        fail("--client NAME is required to serve (`secondme mcp config NAME` prints the "
             "command a client needs)")
    from ..mcp.grants import check_name
    from ..mcp.server import serve

    try:
        check_name(client)
    except ValueError as exc:
        fail(str(exc))
    st = state(ctx)

    def opener():
        from ..services import build_services
        from ..unlock import open_bank

        settings = st.settings()
        # No prompt: stdin carries the protocol. Keyring, --passphrase-file or the env only.
        bank = open_bank(st.home, st.passphrase_file, None, use_keyring=settings.use_keyring)
        return build_services(settings, bank, st.clock())

    serve(client, opener)


@mcp_app.command()
def grant(
    ctx: typer.Context,
    name: ClientArg,
    scopes: Annotated[str | None, typer.Option(
        "--scopes", help="Comma-separated: search, profile, summaries, remember "
                         "(new clients: search only; again: keeps the old scopes).")] = None,
    expires: Annotated[str | None, typer.Option(
        "--expires", help="Duration (12h, 30d, 2w, 6m, 1y) or ISO date; default never.")]
    = None,
    rate: Annotated[int | None, typer.Option(
        "--rate", help="Most calls a minute for this client (default 60).")] = None,
    now: NowOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Allow a client to use your memory (or change, renew or re-allow its grant)."""
    with owner_errors():
        client = _access(ctx, now).grant(name, scopes, expires, rate)
    if as_json:
        emit_json(client)
        return
    until = f" until {client['expires_at']}" if client["expires_at"] else ""
    typer.echo(f"Granted {name}: {', '.join(client['scopes'])}{until}, at most "
               f"{client['rate_per_minute']} calls a minute.")
    typer.echo(f"Next: `secondme mcp config {name}` prints what to paste into the client.")


@mcp_app.command()
def revoke(ctx: typer.Context, name: ClientArg, now: NowOpt = None) -> None:
    """Stop a client: its next call is refused (and logged)."""
    with owner_errors():
        _access(ctx, now).revoke(name)
    typer.echo(f"Revoked {name}. Its calls are refused from now on; `secondme mcp grant "
               f"{name}` allows it again.")


@mcp_app.command()
def clients(ctx: typer.Context, now: NowOpt = None, as_json: JsonOpt = False) -> None:
    """Every client you granted, its scopes, expiry and state."""
    found = _access(ctx, now).clients()
    if as_json:
        emit_json({"clients": found})
        return
    if not found:
        typer.echo("No clients yet. `secondme mcp grant NAME` allows one.")
        return
    for c in found:
        until = f" · expires {c['expires_at']}" if c["expires_at"] else ""
        typer.echo(f"{c['name']}  [{c['status']}]  {', '.join(c['scopes'])}  · "
                   f"{c['rate_per_minute']}/min{until}")


def client_config(name: str, home: str) -> dict:
    """What a client's config needs; never the passphrase."""
    return {"mcpServers": {"secondme": {
        "command": sys.executable,
        "args": ["-m", "secondme", "mcp", "--client", name],
        "env": {"SECONDME_HOME": home},
    }}}


@mcp_app.command()
def config(ctx: typer.Context, name: ClientArg) -> None:
    """Print the JSON a client needs to start the server (no passphrase in it)."""
    from ..mcp.grants import check_name

    try:
        check_name(name)
    except ValueError as exc:
        fail(str(exc))
    st = state(ctx)
    typer.echo(json.dumps(client_config(name, str(st.home)), indent=2))
    typer.echo(
        f"Paste this into the client's MCP config. It holds no passphrase: the server unlocks "
        "with the OS keyring (`use_keyring = true`), or a SECONDME_PASSPHRASE / "
        "--passphrase-file you add yourself; otherwise every tool answers that Second Me is "
        f"locked. Access needs a grant: `secondme mcp grant {name}`.", err=True)


@mcp_app.command("log")
def access_log(
    ctx: typer.Context,
    client: Annotated[str | None, typer.Option("--client", help="Only this client.")] = None,
    limit: Annotated[int, typer.Option("--limit", min=1, max=100000,
                                       help="Most recent entries.")] = 200,
    now: NowOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Every call a client made: when, which tool, what it asked, how many results."""
    entries = _access(ctx, now).log(client, limit)
    if as_json:
        emit_json({"entries": entries})
        return
    if not entries:
        typer.echo("No calls logged yet.")
        return
    for e in reversed(entries):
        outcome = "interrupted" if e["outcome"] == "started" else e["outcome"]
        results = "" if e["results"] is None else f" → {e['results']}"
        why = f"  ({e['reason']})" if e["reason"] and e["outcome"] != "ok" else ""
        typer.echo(f"{e['at']}  {e['client']}  {e['tool']}({e['request']}){results}  "
                   f"[{outcome}]{why}")
