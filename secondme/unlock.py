"""Getting the passphrase (or the keyring's key) and opening the bank with it."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

from storage import (
    Bank,
    KeyFileError,
    KeyMismatch,
    create_bank,
    keyfile,
    open_with_key,
    unlock_bank,
)
from storage.bank import BankPaths

from .clock import Clock
from .config import Settings
from .errors import UserError
from .services import Services, build_services

KEYRING_SERVICE = "secondme"
# Backends that would keep the data key in plaintext, or nowhere.
_UNSAFE_KEYRINGS = ("keyring.backends.fail", "keyrings.alt", "keyring.backends.null")

PassphrasePrompt = Callable[[str, bool], str]


class PassphraseUnavailable(UserError):
    pass


def read_passphrase_file(path: Path) -> str:
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        raise PassphraseUnavailable(f"cannot read passphrase file {path}: {exc}") from exc
    return text.rstrip("\r\n")


def resolve_passphrase(passphrase_file: Path | None, prompt: PassphrasePrompt | None,
                       *, confirm: bool = False, label: str = "Passphrase") -> str:
    """--passphrase-file, then SECONDME_PASSPHRASE, then an interactive prompt showing `label`."""
    if passphrase_file is not None:
        return read_passphrase_file(passphrase_file)
    env = os.environ.get("SECONDME_PASSPHRASE")
    if env:
        return env
    if prompt is None:
        raise PassphraseUnavailable(
            "no passphrase: set SECONDME_PASSPHRASE, pass --passphrase-file, or run interactively")
    return prompt(label, confirm)


_kdf: keyfile.KdfParams = keyfile.DEFAULT_KDF


def kdf_params() -> keyfile.KdfParams:
    """The Argon2id parameters new keys are wrapped with: DEFAULT_KDF, unless a test set others."""
    return _kdf


def use_kdf_params(params: keyfile.KdfParams) -> keyfile.KdfParams:
    """Test seam: wrap new keys in this process with `params`; returns the previous ones.

    Only test suites call it (with `storage.FAST_KDF`, still within the floors), from a
    fixture or from `tests/fast_cli.py`; nothing in the environment can lower the KDF.
    """
    global _kdf
    params.check()
    previous, _kdf = _kdf, params
    return previous


# -- keyring slot ---------------------------------------------------------------
def _keyring_backend():
    try:
        import keyring
    except ImportError:
        return None
    backend = keyring.get_keyring()
    name = f"{type(backend).__module__}.{type(backend).__name__}"
    if any(name.startswith(bad) for bad in _UNSAFE_KEYRINGS) or getattr(backend, "priority", 0) <= 0:
        return None
    return backend


def keyring_available() -> bool:
    return _keyring_backend() is not None


def store_in_keyring(bank: Bank) -> str:
    backend = _keyring_backend()
    if backend is None:
        raise KeyFileError("no secure OS keyring is available; use the passphrase")
    key = bank.data_key_copy()
    try:
        backend.set_password(KEYRING_SERVICE, bank.db_id, key.hex())
    finally:
        for i in range(len(key)):
            key[i] = 0
    return f"{type(backend).__module__}.{type(backend).__name__}"


def unlock_from_keyring(home: Path, db_id: str) -> Bank | None:
    backend = _keyring_backend()
    if backend is None:
        return None
    try:
        secret = backend.get_password(KEYRING_SERVICE, db_id)
    except Exception:  # a locked or broken keyring is not fatal: fall back to the passphrase
        return None
    if not secret:
        return None
    from storage.errors import KeyRotationPending

    try:
        return open_with_key(home, bytearray.fromhex(secret), db_id)
    except (KeyMismatch, KeyRotationPending):   # a stale entry (before `passwd --rotate-key`):
        return None                              # the passphrase decides


def open_bank(home: Path, passphrase_file: Path | None, prompt: PassphrasePrompt | None,
              *, use_keyring: bool = False) -> Bank:
    if use_keyring and BankPaths(home).db.exists():
        from storage import read_db_id

        bank = unlock_from_keyring(home, read_db_id(home))
        if bank is not None:
            return bank
    return unlock_bank(home, resolve_passphrase(passphrase_file, prompt))


def init_bank(home: Path, passphrase_file: Path | None, prompt: PassphrasePrompt | None) -> Bank:
    passphrase = resolve_passphrase(passphrase_file, prompt, confirm=True)
    return create_bank(home, passphrase, kdf_params())


# -- the TUI's unlock screen ------------------------------------------------------
ServicesBuilder = Callable[[Bank], Services]


class BankOpener:
    """What the unlock screen may do with one home folder, and nothing more.

    Built by the CLI from its options (`--home`, `--passphrase-file`, `--now`, `--model`);
    the TUI gets it ready-made. `build` turns an unlocked bank into services (tests pass
    one with fakes); it defaults to `build_services(settings, bank, clock)`.
    """

    def __init__(self, home: Path, settings: Settings, passphrase_file: Path | None,
                 clock: Clock, *, build: ServicesBuilder | None = None) -> None:
        self.home = home
        self.settings = settings
        self.passphrase_file = passphrase_file
        self.clock = clock
        self._build = build or self._default_build
        self._services: Services | None = None

    def _default_build(self, bank: Bank) -> Services:
        return build_services(self.settings, bank, self.clock)

    @property
    def exists(self) -> bool:
        from storage.halfmade import is_half_made

        paths = BankPaths(self.home)   # a half-made restore is finished by unlocking it
        return paths.db.exists() or is_half_made(paths.db, paths.key)

    def _adopt(self, bank: Bank) -> Services:
        self.close()
        self._services = self._build(bank)
        return self._services

    def unlock(self, passphrase: str) -> Services:
        """Raises storage.WrongPassphrase (before the DB is touched) on a wrong passphrase."""
        return self._adopt(unlock_bank(self.home, passphrase))

    def create(self, passphrase: str) -> Services:
        try:
            bank = create_bank(self.home, passphrase, kdf_params())
        except OSError as exc:   # the folder cannot be made there: the person picks another
            raise UserError(f"cannot create a memory bank in {self.home}: "
                            f"{exc.strerror or exc}") from exc
        return self._adopt(bank)

    def preset(self) -> Services | None:
        """Services without asking, when a passphrase file, SECONDME_PASSPHRASE or the keyring
        already provides the key; else None (the unlock screen asks)."""
        if self.passphrase_file is not None or os.environ.get("SECONDME_PASSPHRASE"):
            passphrase = resolve_passphrase(self.passphrase_file, None)
            return self.unlock(passphrase) if self.exists else self.create(passphrase)
        if self.exists and self.settings.use_keyring:
            from storage import read_db_id

            bank = unlock_from_keyring(self.home, read_db_id(self.home))
            if bank is not None:
                return self._adopt(bank)
        return None

    def keyring_offered(self) -> bool:
        """Only when the user opted in (config `use_keyring = true`) and a safe backend exists."""
        return self.settings.use_keyring and keyring_available()

    def store_in_keyring(self, services: Services) -> str:
        return store_in_keyring(services.bank)

    def close(self) -> None:
        """Closes the services this opener made last (idempotent; the app may have already)."""
        services, self._services = self._services, None
        if services is not None:
            services.close()
