"""`remember`, `ask` and `search` take their text on stdin with `-` (out of sight of `ps`)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from .cli_runner import run, run_stdin


@pytest.fixture
def env(home: Path) -> dict[str, str]:
    return {"SECONDME_HOME": str(home), "SECONDME_PASSPHRASE": "pw",
            "SECONDME_NOW": "2024-05-01T12:00:00"}


def test_remember_and_search_read_their_text_from_stdin(env):
    run(["init"], env)
    run_stdin(["remember", "-"], env, "my therapist said STDINSECRET42 on tuesday\n")
    out = json.loads(run_stdin(["search", "--json", "--mode", "bm25", "-"], env,
                               "STDINSECRET42\n").stdout)
    assert out["query"] == "STDINSECRET42"
    assert [h["memory"]["text"] for h in out["hits"]] == ["my therapist said STDINSECRET42 on tuesday"]


def test_a_multiline_memory_keeps_its_lines(env):
    run(["init"], env)
    out = json.loads(run_stdin(["remember", "--json", "-"], env, "line one\nline two\n").stdout)
    assert out["text"] == "line one\nline two"


@pytest.mark.parametrize("command", [["remember", "-"], ["search", "-"], ["ask", "-"]])
def test_empty_stdin_is_a_one_line_error(env, command):
    run(["init"], env)
    proc = run_stdin(command, env, "  \n", check=False)
    assert proc.returncode == 2
    assert "no " in proc.stderr and "standard input" in proc.stderr
    assert "Traceback" not in proc.stderr and len(proc.stderr.strip().splitlines()) == 1


def test_a_plain_dash_inside_text_is_still_text(env):
    run(["init"], env)
    out = json.loads(run(["remember", "--json", "--", "- a list item"], env).stdout)
    assert out["text"] == "- a list item"


@pytest.mark.real_model
def test_ask_reads_the_question_from_stdin(env, home):
    run(["init"], env)
    (home / "config.toml").write_text("max_reply_tokens = 8\n")
    out = json.loads(run_stdin(["ask", "--json", "--no-store", "-"],
                               {**env, "SECONDME_N_CTX": "1024"},
                               "What is STDINQUESTION?\n").stdout)
    assert out["question"] == "What is STDINQUESTION?"
