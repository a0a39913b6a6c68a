"""A keyring entry made stale by `passwd --rotate-key` falls back to the passphrase."""

from __future__ import annotations

import keyring
import pytest
from keyring.backend import KeyringBackend

from secondme import unlock
from storage import FAST_KDF, create_bank, unlock_bank

from .conftest import PASSPHRASE


class MemoryKeyring(KeyringBackend):
    priority = 1

    def __init__(self) -> None:
        self.items: dict[tuple[str, str], str] = {}

    def set_password(self, service: str, user: str, secret: str) -> None:
        self.items[(service, user)] = secret

    def get_password(self, service: str, user: str) -> str | None:
        return self.items.get((service, user))

    def delete_password(self, service: str, user: str) -> None:
        self.items.pop((service, user), None)


@pytest.fixture
def ring():
    """An in-memory keyring through keyring's own public switch (never the real one)."""
    previous = keyring.get_keyring()
    memory = MemoryKeyring()
    keyring.set_keyring(memory)
    yield memory
    keyring.set_keyring(previous)


def test_a_stale_keyring_key_after_rotation_is_ignored(home, ring):
    with create_bank(home, PASSPHRASE, FAST_KDF) as bank:
        unlock.store_in_keyring(bank)
        db_id = bank.db_id
    with unlock.unlock_from_keyring(home, db_id) as bank:   # the keyring opens it...
        bank.rotate_key("new passphrase", FAST_KDF)
    assert unlock.unlock_from_keyring(home, db_id) is None  # ...until the key is rotated
    with unlock_bank(home, "new passphrase") as bank:
        assert bank.integrity()["ok"]
