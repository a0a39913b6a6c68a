"""Errors the storage layer raises, each with a message a person can act on."""

from __future__ import annotations


class StorageError(Exception):
    """Base class: anything wrong with the memory bank on disk."""


class WrongPassphrase(StorageError):
    def __init__(self) -> None:
        super().__init__("wrong passphrase: the key file could not be unlocked (nothing was changed)")


class KeyFileError(StorageError):
    """The key file is missing, unreadable, tampered with or carries unsafe parameters."""


class KeyMismatch(StorageError):
    def __init__(self) -> None:
        super().__init__(
            "the key file does not open this database: it belongs to another bank, or the "
            "database file is damaged; nothing was changed — restore the matching key file "
            "or a backup (`secondme restore`)"
        )


class BankMissing(StorageError):
    """No memory bank at the given home; `secondme init` creates one."""


class BankExists(StorageError):
    """A bank (or part of one) already exists where a new one was requested."""


class DatabaseDamaged(StorageError):
    """The encrypted database failed to open or verify even though the key is right."""


class PlaintextRefused(StorageError):
    """An operation would have written plaintext to disk."""


class BankLocked(StorageError):
    """Another process holds the bank's writer lock."""


class DiskProblem(StorageError):
    """The disk is full or the bank's folder is read-only: nothing is damaged."""


class KeyRotationPending(StorageError):
    """A `passwd --rotate-key` was interrupted after the bank was re-encrypted."""
