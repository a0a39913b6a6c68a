"""`python -m tests.fast_cli ARGS`: the real `secondme` entry point, with the fast test KDF.

Product code reads no switch that weakens the KDF; the suite's subprocesses start here
instead of `python -m secondme` so that `init`, `backup` and `restore` stay quick.
"""

from __future__ import annotations

from secondme.unlock import use_kdf_params
from storage import FAST_KDF

if __name__ == "__main__":
    use_kdf_params(FAST_KDF)
    from secondme.cli import main

    main()
