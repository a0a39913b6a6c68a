"""`secondme mcp` as a client runs it: spawned by the SDK's stdio client, over a real bank.

Few server spawns on purpose: each one starts Python, and the first search loads the
embedding model.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import threading
import time
from datetime import datetime

import pytest
from mcp.client.stdio import StdioServerParameters

from secondme.clock import Clock
from secondme.config import load_settings
from secondme.jobs import run as run_jobs
from secondme.jobs.runner import JobOptions
from secondme.mcp.access import McpAccess
from secondme.memory.embed import embed_pending
from secondme.memory.embeddings import DEFAULT_EMBEDDING_NAME
from secondme.services import build_services
from storage import FAST_KDF, create_bank, unlock_bank
from storage import mcp as mcp_rows

from .cli_runner import ROOT, run
from .conftest import PASSPHRASE
from .fakes import FakeModel, HashingEmbedder
from .mcp_client import NOW, call, connect, params, server_env, server_pids
from .test_leak import _occurrences

CANARY = "zqxmcpcanary9b"
PROPOSED = "zqxmcpproposal4d"
TOOLS = {"search", "fetch", "profile", "summaries", "remember"}


def seed(home):
    """A bank with memories, a profile fact and summaries, closed again (as after a day of use)."""
    bank = create_bank(home, PASSPHRASE, FAST_KDF)
    services = build_services(load_settings(home), bank, Clock(datetime(2024, 5, 1, 12)),
                              embedder=HashingEmbedder(), model=FakeModel())
    services.memory.remember(f"My lucky word is {CANARY}.", at=datetime(2024, 4, 20, 9))
    services.memory.remember("I live in Lyon.", at=datetime(2024, 4, 21, 9))
    run_jobs(services, "summarize", options=JobOptions(use_llm=False))
    run_jobs(services, "profile", options=JobOptions(use_llm=False))
    return services


async def test_a_granted_client_uses_every_tool_and_the_owner_sees_it_all(home, tmp_path):
    seed(home).close()
    env = {"SECONDME_PASSPHRASE": PASSPHRASE}
    run(["mcp", "grant", "test", "--scopes", "search,profile,summaries,remember"], env)
    snippet = json.loads(run(["mcp", "config", "test"], {}).stdout)
    server = snippet["mcpServers"]["secondme"]
    assert "SECONDME_PASSPHRASE" not in json.dumps(snippet) and PASSPHRASE not in json.dumps(
        snippet)
    # Exactly the command line the snippet gives, plus the test's passphrase and clock.
    launched = StdioServerParameters(command=server["command"], args=server["args"],
                                     env={**server["env"], **server_env(home)}, cwd=str(ROOT))
    assert server["env"]["SECONDME_HOME"] == str(home.resolve())
    async with connect(launched) as session:
        listed = {t.name: t for t in (await session.list_tools()).tools}
        assert set(listed) == TOOLS
        assert listed["search"].annotations.read_only_hint is True
        assert listed["remember"].annotations.read_only_hint is False
        assert "<memory_data>" in listed["search"].description
        assert set(listed["search"].input_schema["properties"]) == {"query", "k", "since",
                                                                    "until"}
        failed, found = await call(session, "search", query=f"lucky word {CANARY}", k=3)
        assert not failed and found["hits"]
        # the person's own memory (its day summary, which quotes it, may rank beside it)
        hit = next(h for h in found["hits"] if h["trust"] == "user")
        assert CANARY in hit["text"] and hit["text"].startswith("<memory_data>")
        assert {"id", "date", "source", "score", "trust"} <= set(hit)
        failed, none = await call(session, "search", query=CANARY, until="2024-03-31")
        assert not failed and none["hits"] == []
        failed, memory = await call(session, "fetch", id=hit["id"])
        assert not failed and CANARY in memory["text"] and memory["trust"] == "user"
        failed, portrait = await call(session, "profile")
        assert not failed and any("Lyon" in f["fact"] for f in portrait["facts"])
        failed, periods = await call(session, "summaries", level="week", n=2)
        assert not failed and periods["summaries"]
        failed, proposal = await call(session, "remember", text=f"Owner likes {PROPOSED}.")
        assert not failed and proposal["status"] == "pending review"
        failed, before = await call(session, "search", query=PROPOSED)
        assert not failed and before["hits"] == []          # an inbox item, not a memory
        failed, message = await call(session, "fetch", id="99999")
        assert failed and "no memory with id 99999" in message
    await asyncio.sleep(0)
    assert server_pids() == []                                 # stdin closed: it is gone

    items = json.loads(run(["inbox", "--json"], env).stdout)["items"]
    assert [i["text"] for i in items] == [f"Owner likes {PROPOSED}."]
    approved = json.loads(run(["inbox", "approve", str(items[0]["id"]), "--json"], env).stdout)
    hits = json.loads(run(["search", PROPOSED, "--mode", "bm25", "--json"], env).stdout)["hits"]
    assert [(h["memory"]["id"], h["memory"]["trust"]) for h in hits] == [
        (approved["memory_id"], "external")]
    assert hits[0]["memory"]["source_ref"]["client"] == "test"

    entries = json.loads(run(["mcp", "log", "--json"], env).stdout)["entries"]
    assert [(e["tool"], e["outcome"]) for e in reversed(entries)] == [
        ("search", "ok"), ("search", "ok"), ("fetch", "ok"), ("profile", "ok"),
        ("summaries", "ok"), ("remember", "ok"), ("search", "ok"), ("fetch", "error")]
    assert all(e["client"] == "test" for e in entries)
    assert entries[-1]["request"].startswith("lucky word") and entries[-1]["results"] >= 1

    needles = [CANARY[1:].encode(), PROPOSED[1:].encode()]
    assert _occurrences(home, needles) == {}
    assert _occurrences(tmp_path / "tmp", needles) == {}


async def test_revoked_unknown_and_out_of_scope_clients_are_refused_with_nothing_read(home):
    services = seed(home)
    access = McpAccess(services)
    access.grant("limited")                       # default: search only
    access.grant("gone", "search,profile")
    access.revoke("gone")
    services.close()
    cases = [("gone", "search", {"query": CANARY}, "revoked"),
             ("limited", "profile", {}, "'profile' scope"),
             ("limited", "remember", {"text": "x"}, "'remember' scope"),
             ("nobody", "fetch", {"id": "1"}, "has no access")]
    for client in ("gone", "limited", "nobody"):
        async with connect(params(client, home)) as session:
            for name, tool, args, why in cases:
                if name != client:
                    continue
                failed, text = await call(session, tool, **args)
                assert failed and "Refused:" in text and why in text
                assert CANARY not in text and "Lyon" not in text
    bank = unlock_bank(home, PASSPHRASE)
    services = build_services(load_settings(home), bank, Clock(datetime(2024, 5, 1, 12)))
    entries = McpAccess(services).log()
    services.close()
    assert sorted((e["client"], e["tool"], e["outcome"], e["results"]) for e in entries) == \
        sorted((c, t, "refused", 0) for c, t, _, _ in cases)


async def test_without_a_passphrase_every_tool_says_locked_and_how_to_fix(home):
    seed(home).close()
    async with connect(params("test", home, passphrase=None)) as session:
        assert {t.name for t in (await session.list_tools()).tools} == TOOLS
        failed, text = await call(session, "search", query="x")
        assert failed and "Second Me is locked:" in text
        assert "SECONDME_PASSPHRASE" in text and "keyring" in text


class PosingEmbedder(HashingEmbedder):
    """Stores vectors under the real model's name, so the server must load that model to
    search: seconds in which a call is open (and can be killed)."""

    @property
    def name(self) -> str:
        return DEFAULT_EMBEDDING_NAME


@pytest.mark.skipif(not os.path.isdir("/proc"), reason="finds the server through /proc")
async def test_kill_9_mid_call_leaves_the_bank_healthy(home):
    services = seed(home)
    services = build_services(services.settings, services.bank, services.clock,
                              embedder=PosingEmbedder(dim=384))
    embed_pending(services.memory, services.embedder())
    McpAccess(services).grant("test")
    services.close()
    watcher = unlock_bank(home, PASSPHRASE)
    try:
        async with connect(params("test", home)) as session:
            [pid] = server_pids()
            task = asyncio.ensure_future(call(session, "search", query="lucky word"))
            deadline = time.monotonic() + 60
            while not [e for e in mcp_rows.access_log(watcher.db()) if e["outcome"] == "started"]:
                assert time.monotonic() < deadline and not task.done()
                await asyncio.sleep(0.05)
            os.kill(pid, signal.SIGKILL)              # the call is logged and still running
            with pytest.raises(BaseException):  # noqa: B017  (the transport reports it its way)
                await asyncio.wait_for(task, 30)
    finally:
        watcher.close()
    bank = unlock_bank(home, PASSPHRASE)
    try:
        assert bank.integrity()["ok"]
        services = build_services(load_settings(home), bank, Clock(datetime(2024, 5, 1, 12)),
                                  embedder=HashingEmbedder())
        access = McpAccess(services)
        [entry] = access.log()
        assert entry["outcome"] == "started"          # shown as 'interrupted' by `mcp log`
        access.finish_call(access.begin_call("test", "search", "after"), results=0)
        assert services.memory.count() >= 2
    finally:
        bank.close()


async def test_works_while_the_app_and_its_scheduler_hold_the_bank(home):
    """The TUI keeps its own connection open and the scheduler runs jobs; a writer holding
    the lock for a while is waited out, and no 'database is locked' reaches the client."""
    from secondme.jobs.scheduler import start_background

    services = seed(home)
    access = McpAccess(services)
    access.grant("test", "search,profile,summaries,remember")
    handle = start_background(services, first_run_delay=0.0, stagger=0.1)
    held = threading.Event()

    def hold_the_write_lock() -> None:
        with services.bank.write():
            held.set()
            time.sleep(1.5)

    try:
        async with connect(params("test", home)) as session:
            writer = threading.Thread(target=hold_the_write_lock)
            writer.start()
            held.wait(5)
            results = [await call(session, "remember", text=f"proposal {i}") for i in range(3)]
            results.append(await call(session, "profile"))
            results.append(await call(session, "summaries", level="day"))
            writer.join()
        assert [failed for failed, _ in results] == [False] * 5, results
        assert not any("locked" in json.dumps(payload) for _, payload in results)
        assert len(access.inbox()) == 3
    finally:
        handle.shutdown()
        services.close()


def test_closing_stdin_ends_the_server_cleanly(home):
    seed(home).close()
    server = subprocess.Popen([sys.executable, "-m", "secondme", "mcp", "--client", "test"],
                              cwd=ROOT, env={**os.environ, **server_env(home)},
                              stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE)
    _, err = server.communicate(b"", timeout=60)            # EOF straight away
    assert server.returncode == 0, err.decode()
    assert b"Traceback" not in err


def test_owner_commands_and_one_line_errors(home):
    services = seed(home)
    access = McpAccess(services)
    access.grant("claude", "search,remember", "30d")
    access.begin_call("claude", "search", "where do I live")     # then killed: never finished
    services.close()
    env = {"SECONDME_PASSPHRASE": PASSPHRASE, "SECONDME_NOW": NOW}
    [client] = json.loads(run(["mcp", "clients", "--json"], env).stdout)["clients"]
    assert (client["name"], client["scopes"], client["status"], client["rate_per_minute"]) == \
        ("claude", ["search", "remember"], "active", 60)
    assert "claude  search(where do I live)  [interrupted]" in run(["mcp", "log"], env).stdout
    for args in (["mcp", "grant", "x", "--scopes", "delete"], ["mcp", "revoke", "nobody"],
                 ["inbox", "approve", "42"], ["mcp", "grant", "bad name"],
                 ["mcp", "grant", "x", "--expires", "soon"]):
        proc = run(args, env, check=False)
        assert proc.returncode == 2, (args, proc.stderr)
        assert proc.stderr.startswith("error:") and "Traceback" not in proc.stderr
