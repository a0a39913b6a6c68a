"""Runs the real `secondme` entry point in a subprocess, as a person would."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
# `secondme` as a subprocess, with the test suite's fast KDF (see tests/fast_cli.py).
SECONDME = [sys.executable, "-m", "tests.fast_cli"]


def _env(extra: dict[str, str]) -> dict[str, str]:
    """The test's environment, with the checkout on the path: `tests.fast_cli` must be
    found whatever folder the command runs in."""
    env = {**os.environ, **extra}
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(ROOT), env.get("PYTHONPATH")) if p)
    return env


def run(args: list[str], env: dict[str, str], check: bool = True,
        cwd: Path = ROOT) -> subprocess.CompletedProcess:
    proc = subprocess.run([*SECONDME, *args], capture_output=True,
                          text=True, env=_env(env), cwd=cwd, stdin=subprocess.DEVNULL)
    if check and proc.returncode != 0:
        raise AssertionError(f"{args} failed ({proc.returncode}): {proc.stderr}")
    return proc


def run_stdin(args: list[str], env: dict[str, str], stdin_text: str, check: bool = True,
              cwd: Path = ROOT) -> subprocess.CompletedProcess:
    """Like `run`, with `stdin_text` piped to the command's standard input."""
    proc = subprocess.run([*SECONDME, *args], capture_output=True,
                          text=True, env=_env(env), cwd=cwd, input=stdin_text)
    if check and proc.returncode != 0:
        raise AssertionError(f"{args} failed ({proc.returncode}): {proc.stderr}")
    return proc
