"""The foundation commands, driven as a person would: through the real entry point."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest

from .cli_runner import run

ROOT = Path(__file__).resolve().parents[1]




@pytest.fixture
def env(home: Path) -> dict[str, str]:
    return {"SECONDME_HOME": str(home), "SECONDME_PASSPHRASE": "pw"}


def test_init_remember_search_and_no_plaintext(env, home):
    run(["init"], env)
    run(["remember", "canary-7f3a"], env)
    for path in home.rglob("*"):
        if path.is_file():
            assert b"canary-7f3a" not in path.read_bytes(), path
    out = json.loads(run(["search", "canary", "--json"], env).stdout)
    assert [h["memory"]["text"] for h in out["hits"]] == ["canary-7f3a"]


def test_wrong_passphrase_exits_nonzero_and_changes_nothing(env, home):
    run(["init"], env)
    run(["remember", "something"], env)
    before = {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in home.iterdir()}
    proc = run(["search", "x"], {**env, "SECONDME_PASSPHRASE": "wrong"}, check=False)
    assert proc.returncode != 0
    assert "wrong passphrase" in proc.stderr
    after = {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in home.iterdir()}
    assert after == before


def test_init_twice_refuses(env):
    run(["init"], env)
    proc = run(["init"], env, check=False)
    assert proc.returncode != 0 and "already exists" in proc.stderr


def test_no_bank_yet_says_how_to_make_one(env):
    proc = run(["search", "x"], env, check=False)
    assert proc.returncode != 0 and "secondme init" in proc.stderr


def test_no_passphrase_without_terminal_is_explained(home):
    proc = run(["init"], {"SECONDME_HOME": str(home), "SECONDME_PASSPHRASE": ""}, check=False)
    assert proc.returncode != 0 and "SECONDME_PASSPHRASE" in proc.stderr


def test_passphrase_file_and_passwd(env, home, tmp_path):
    pw = tmp_path / "pw.txt"
    pw.write_text("from-a-file\n")
    base = {"SECONDME_HOME": str(home), "SECONDME_PASSPHRASE": ""}
    run(["--passphrase-file", str(pw), "init"], base)
    db_before = (home / "memory.db").read_bytes()
    run(["--passphrase-file", str(pw), "passwd"], {**base, "SECONDME_NEW_PASSPHRASE": "second"})
    assert (home / "memory.db").read_bytes() == db_before
    assert run(["--passphrase-file", str(pw), "search", "x"], base, check=False).returncode != 0
    run(["search", "x"], {**base, "SECONDME_PASSPHRASE": "second"})


def test_remember_with_bad_date_is_a_clear_error(env):
    run(["init"], env)
    proc = run(["remember", "x", "--at", "yesterday-ish"], env, check=False)
    assert proc.returncode != 0 and "ISO" in proc.stderr


def test_hostile_queries_are_safe(env):
    """Through the real command line (each search loads the embedder, so a few only;
    test_hostile_content.py fuzzes many more queries in-process)."""
    run(["init"], env)
    run(["remember", "plain memory"], env)
    for query in ['"unbalanced NEAR(a b * - 🙂', "a AND OR '"]:
        proc = run(["search", query, "--json"], env)
        assert "hits" in json.loads(proc.stdout)
