"""Encrypted storage for Second Me: SQLCipher through sqlite-utils, keys, schema.

Never imports from `secondme` or `tui`.
"""

from .bank import Bank, BankPaths, create_bank, open_with_key, read_db_id, unlock_bank
from .errors import (
    BankExists,
    BankLocked,
    BankMissing,
    DatabaseDamaged,
    KeyFileError,
    KeyMismatch,
    PlaintextRefused,
    StorageError,
    WrongPassphrase,
)
from .keyfile import DEFAULT_KDF, FAST_KDF, KdfParams

__all__ = [
    "Bank", "BankPaths", "create_bank", "open_with_key", "read_db_id", "unlock_bank",
    "BankExists", "BankLocked", "BankMissing", "DatabaseDamaged", "KeyFileError", "KeyMismatch",
    "PlaintextRefused", "StorageError", "WrongPassphrase", "DEFAULT_KDF", "FAST_KDF", "KdfParams",
]
