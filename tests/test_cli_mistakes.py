"""A table of a new user's mistakes, through the real entry point: each is ONE line, exit 2.

Issue 16 item 3: a mistyped command, an unknown option, a missing `--yes` without a
terminal… each printed ~30 lines of traceback before (Typer raises its own bundled
click exceptions, which the old `main()` did not recognise).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from .cli_runner import run

# (what the person did, the arguments, extra environment, words the one line must hold)
MISTAKES: list[tuple[str, list[str], dict[str, str], str]] = [
    ("mistyped command", ["serach", "lyon"], {}, "No such command 'serach'"),
    ("unknown option", ["search", "lyon", "--bogus"], {}, "No such option: --bogus"),
    ("missing argument", ["search"], {}, "Missing argument"),
    ("bad value type", ["search", "lyon", "--k", "five"], {}, "--k"),
    ("bad choice", ["timeline", "--level", "year"], {}, "--level"),
    ("unknown sub-command", ["memory", "shwo", "1"], {}, "No such command 'shwo'"),
    ("no --yes without a terminal", ["memory", "forget", "1"], {}, "--yes"),
    ("bad --at date", ["remember", "ran 5 km", "--at", "last tuesdayish"], {}, "ISO"),
    ("bad --now date", ["--now", "soon", "search", "lyon"], {}, "ISO"),
    ("unknown memory id", ["memory", "show", "999"], {}, "no memory with id 999"),
    ("unknown job", ["jobs", "run", "tidy"], {}, "unknown job"),
    ("unknown summary level", ["summaries", "--level", "year"], {}, "unknown level"),
    ("home is a file", ["--home", "{file}", "search", "lyon"], {}, "not a folder"),
    ("home cannot be made", ["--home", "{file}/inside", "init"], {}, "cannot create"),
    ("wrong passphrase", ["search", "lyon"], {"SECONDME_PASSPHRASE": "not it"},
     "wrong passphrase"),
    ("passwd without a terminal", ["passwd"], {}, "SECONDME_NEW_PASSPHRASE"),
    ("export without consent", ["export", "--format", "markdown"], {}, "--plaintext"),
    ("missing model file", ["--model", "/nowhere/model.gguf", "ask", "hi"], {},
     "model file not found"),
    ("empty memory", ["remember", "   "], {}, "needs some text"),
]


@pytest.fixture(scope="module")
def bank_env(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """One bank with memory #1, shared by the table (each mistake changes nothing)."""
    root = tmp_path_factory.mktemp("mistakes")
    env = {"SECONDME_HOME": str(root / "home"), "SECONDME_PASSPHRASE": "pw",
           "HF_HUB_OFFLINE": "1", "TMPDIR": str(root)}
    run(["init"], env)
    run(["remember", "I live in Lyon."], env)
    (root / "a-file").write_text("not a folder\n")
    env["_FILE"] = str(root / "a-file")
    return env


@pytest.mark.parametrize(("what", "args", "extra", "expected"), MISTAKES,
                         ids=[m[0] for m in MISTAKES])
def test_a_mistake_is_one_line_and_exit_2(bank_env, what, args, extra, expected):
    args = [a.replace("{file}", bank_env["_FILE"]) for a in args]
    proc = run(args, {**bank_env, **extra}, check=False)
    lines = proc.stderr.strip().splitlines()
    assert "Traceback" not in proc.stderr + proc.stdout, f"{what}: {proc.stderr}"
    assert proc.returncode == 2, f"{what}: exit {proc.returncode}: {proc.stderr}"
    assert len(lines) == 1, f"{what}: {proc.stderr}"
    assert lines[0].startswith("error: ") and expected in lines[0], f"{what}: {lines[0]}"


def test_the_table_is_big_enough():
    assert len(MISTAKES) >= 12


def test_the_memory_forgotten_by_mistake_is_still_there(bank_env):
    """The refused `forget` (no --yes) changed nothing."""
    assert "Lyon" in run(["memory", "show", "1"], bank_env).stdout


def test_a_wrong_backup_passphrase_and_a_taken_home_are_one_line(bank_env, tmp_path: Path):
    backup = tmp_path / "b.db"
    run(["backup", str(backup)], {**bank_env, "SECONDME_BACKUP_PASSPHRASE": "bpw"})
    for env, expected in (({"SECONDME_BACKUP_PASSPHRASE": "nope",
                            "SECONDME_HOME": str(tmp_path / "new")}, "wrong backup passphrase"),
                          ({"SECONDME_BACKUP_PASSPHRASE": "bpw"}, "already exists")):
        proc = run(["restore", str(backup)], {**bank_env, **env}, check=False)
        assert proc.returncode == 2 and "Traceback" not in proc.stderr
        assert len(proc.stderr.strip().splitlines()) == 1 and expected in proc.stderr


def test_an_export_place_that_refuses_it_is_one_line(bank_env):
    """/proc takes no new files, even from root: the export is refused in one line."""
    if not Path("/proc/self").exists():
        pytest.skip("needs Linux /proc")
    for fmt in ("jsonl", "markdown"):
        out = Path("/proc") / f"secondme-export-{fmt}"
        proc = run(["export", "--plaintext", "--format", fmt, "--out", str(out)], bank_env,
                   check=False)
        assert proc.returncode == 2 and "Traceback" not in proc.stderr, proc.stderr
        assert "cannot write in /proc" in proc.stderr
