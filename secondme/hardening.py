"""Process hardening at start: no core dumps, no ptrace-style dumping of our memory.

A core dump of a running Second Me holds the data key, the passphrase and
decrypted memories. Every entry point (the CLI's `main`, the TUI's `run_app`)
calls `harden_process()` before any key is read. Each step is best effort: on
a platform without it (macOS has no prctl, Windows has no `resource`) it is
skipped, never fatal.
"""

from __future__ import annotations

import contextlib
import sys

PR_SET_DUMPABLE = 4
PR_GET_DUMPABLE = 3


def _no_core_dumps() -> bool:
    try:
        import resource
    except ImportError:  # Windows
        return False
    try:
        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    except (ValueError, OSError):
        return False
    return True


def _not_dumpable() -> bool:
    """PR_SET_DUMPABLE=0: no core file, and /proc/PID/mem is closed to same-user ptrace."""
    if not sys.platform.startswith("linux"):
        return False
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        return libc.prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) == 0
    except (OSError, AttributeError):
        return False


def is_dumpable() -> bool | None:
    """The kernel's answer (Linux), or None where it cannot be asked."""
    if not sys.platform.startswith("linux"):
        return None
    with contextlib.suppress(OSError, AttributeError):
        import ctypes

        return bool(ctypes.CDLL(None, use_errno=True).prctl(PR_GET_DUMPABLE, 0, 0, 0, 0))
    return None


def harden_process() -> dict[str, bool]:
    """Idempotent; returns which protections took effect (for `doctor` and tests)."""
    return {"core_dumps_off": _no_core_dumps(), "not_dumpable": _not_dumpable()}
