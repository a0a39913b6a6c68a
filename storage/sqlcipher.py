"""Binds sqlite-utils to SQLCipher.

sqlite-utils prefers a module called ``pysqlite3`` when it exists; aliasing
``sqlcipher3`` under that name before sqlite-utils is first imported makes every
sqlite-utils code path (exception classes, fallbacks) speak SQLCipher. Import
``sqlite_utils`` only through this module.
"""

from __future__ import annotations

import sys

import sqlcipher3
import sqlcipher3.dbapi2

if "sqlite_utils" in sys.modules and sys.modules.get("pysqlite3") is not sqlcipher3:
    raise ImportError("sqlite_utils was imported before storage.sqlcipher could alias SQLCipher")

sys.modules["pysqlite3"] = sqlcipher3
sys.modules["pysqlite3.dbapi2"] = sqlcipher3.dbapi2

import sqlite_utils  # noqa: E402
import sqlite_utils.utils  # noqa: E402

dbapi = sqlcipher3.dbapi2
DatabaseError = dbapi.DatabaseError
OperationalError = dbapi.OperationalError
IntegrityError = dbapi.IntegrityError


def assert_bound() -> None:
    """Fails loudly if sqlite-utils is not running on SQLCipher."""
    if sqlite_utils.utils.sqlite3 is not sqlcipher3:
        raise RuntimeError("sqlite-utils is not bound to sqlcipher3; plaintext databases possible")


assert_bound()

__all__ = ["sqlite_utils", "sqlcipher3", "dbapi", "DatabaseError", "OperationalError",
           "IntegrityError", "assert_bound"]
