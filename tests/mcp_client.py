"""Talking to a real `secondme mcp` subprocess with the MCP SDK's own stdio client."""

from __future__ import annotations

import contextlib
import json
import os
import sys
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

from mcp import ClientSession
from mcp.client.stdio import StdioServerParameters, stdio_client

from .cli_runner import ROOT
from .conftest import PASSPHRASE

NOW = "2024-05-01T12:00:00"


def server_env(home: Path, *, passphrase: str | None = PASSPHRASE) -> dict[str, str]:
    """What the test adds to a client's config: the passphrase (a user would use the
    keyring), a fixed clock, offline models and the test's temp dir."""
    env = {"SECONDME_HOME": str(home), "SECONDME_NOW": NOW, "HF_HUB_OFFLINE": "1",
           "TMPDIR": os.environ["TMPDIR"], "SECONDME_MODEL_CACHE": os.environ.get(
               "SECONDME_MODEL_CACHE", "")}
    if passphrase is not None:
        env["SECONDME_PASSPHRASE"] = passphrase
    return env


def params(client: str, home: Path, **kw: Any) -> StdioServerParameters:
    return StdioServerParameters(command=sys.executable,
                                 args=["-m", "secondme", "mcp", "--client", client],
                                 env=server_env(home, **kw), cwd=str(ROOT))


@contextlib.asynccontextmanager
async def connect(server: StdioServerParameters) -> AsyncIterator[ClientSession]:
    with open(os.devnull, "w") as errlog:
        async with stdio_client(server, errlog=errlog) as (read, write), \
                ClientSession(read, write) as session:
            await session.initialize()
            yield session


async def call(session: ClientSession, tool: str, **arguments: Any) -> tuple[bool, Any]:
    """(is_error, payload): the structured result, or the error text."""
    result = await session.call_tool(tool, arguments)
    text = "".join(getattr(c, "text", "") for c in result.content)
    if result.is_error:
        return True, text
    return False, result.structured_content if result.structured_content is not None \
        else json.loads(text)


def server_pids() -> list[int]:
    """This test process's `secondme mcp` children (Linux /proc)."""
    me = os.getpid()
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            cmdline = (entry / "cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        if ppid == me and b"mcp" in cmdline and b"secondme" in cmdline:
            found.append(int(entry.name))
    return found
