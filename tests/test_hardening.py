"""Process hardening: every entry point turns off core dumps and ptrace-style dumping."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap

import pytest

from .cli_runner import ROOT

PROBE = textwrap.dedent("""
    import resource, sys
    {setup}
    from secondme.hardening import is_dumpable
    print(resource.getrlimit(resource.RLIMIT_CORE)[0], is_dumpable())
""")

CLI_SETUP = """
sys.argv = ["secondme", "--help"]
from secondme.cli import main
try:
    main()
except SystemExit:
    pass
"""

TUI_SETUP = """
from tui.app import run_app
try:
    run_app(object())   # no real state: hardening must already have run when this fails
except Exception:
    pass
"""


def _probe(setup: str) -> tuple[str, str]:
    proc = subprocess.run([sys.executable, "-c", PROBE.format(setup=setup)], cwd=ROOT,
                          capture_output=True, text=True, timeout=120,
                          env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert proc.returncode == 0, proc.stderr
    limit, dumpable = proc.stdout.strip().splitlines()[-1].split()
    return limit, dumpable


@pytest.mark.skipif(sys.platform == "win32", reason="no RLIMIT_CORE on Windows")
@pytest.mark.parametrize("setup", [CLI_SETUP, TUI_SETUP], ids=["cli-main", "tui-run_app"])
def test_entry_points_disable_core_dumps_and_dumping(setup):
    limit, dumpable = _probe(setup)
    assert limit == "0"
    if sys.platform.startswith("linux"):
        assert dumpable == "False"


def test_without_the_entry_point_the_process_is_dumpable():
    """The control: a plain interpreter is dumpable, so the test above measures our call."""
    if not sys.platform.startswith("linux"):
        pytest.skip("prctl is Linux-only")
    _, dumpable = _probe("")
    assert dumpable == "True"


def test_harden_process_is_idempotent_and_reports():
    from secondme.hardening import harden_process

    proc = subprocess.run([sys.executable, "-c",
                           "from secondme.hardening import harden_process as h; h(); print(h())"],
                          cwd=ROOT, capture_output=True, text=True, timeout=60,
                          env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert proc.returncode == 0, proc.stderr
    assert "'core_dumps_off': True" in proc.stdout
    assert callable(harden_process)
