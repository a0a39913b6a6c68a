"""The key envelope: a random data key wrapped under Argon2id(passphrase) + AES-256-GCM.

The database is keyed with a random 256-bit data key, never with the passphrase,
so changing the passphrase rewrites only this small file. The KDF parameters and
the database id are bound into the AES-GCM associated data: lowering a parameter
or pairing the file with another database makes unwrapping fail instead of
silently weakening or mixing banks.
"""

from __future__ import annotations

import base64
import json
import os
import secrets
import unicodedata
from dataclasses import dataclass
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.argon2 import Argon2id

from .errors import KeyFileError, WrongPassphrase

FORMAT_VERSION = 1
KDF_NAME = "argon2id"
DEK_BYTES = 32
MAX_PASSPHRASE_CHARS = 4096

# Floors follow OWASP's Argon2id minimum; ceilings stop a hostile key file from
# making unlock take seconds or gigabytes before it is refused. The checks run on
# the parsed file, before any derivation. Ceiling: 256 MiB (4x the default), and a
# total cost (memory x passes) of at most 4x the default 64 MiB x 3: about 1 s.
MIN_M_KIB, MAX_M_KIB = 19 * 1024, 256 * 1024
MIN_T, MAX_T = 2, 10
MIN_P, MAX_P = 1, 16
MAX_COST_KIB_PASSES = 4 * 64 * 1024 * 3


@dataclass(frozen=True)
class KdfParams:
    m_kib: int = 64 * 1024
    t: int = 3
    p: int = 4

    def check(self) -> None:
        if not (MIN_M_KIB <= self.m_kib <= MAX_M_KIB):
            raise KeyFileError(f"refusing key file: Argon2id memory {self.m_kib} KiB is outside "
                               f"{MIN_M_KIB}..{MAX_M_KIB} KiB")
        if not (MIN_T <= self.t <= MAX_T):
            raise KeyFileError(f"refusing key file: Argon2id passes {self.t} outside {MIN_T}..{MAX_T}")
        if not (MIN_P <= self.p <= MAX_P):
            raise KeyFileError(f"refusing key file: Argon2id lanes {self.p} outside {MIN_P}..{MAX_P}")
        if self.m_kib * self.t > MAX_COST_KIB_PASSES:
            raise KeyFileError(f"refusing key file: Argon2id cost {self.m_kib} KiB x {self.t} "
                               f"passes is above {MAX_COST_KIB_PASSES} KiB-passes (about 1 s)")


DEFAULT_KDF = KdfParams()
# The fastest parameters the floors allow; used by the test suite, never by default.
FAST_KDF = KdfParams(m_kib=MIN_M_KIB, t=MIN_T, p=1)


def normalize_passphrase(passphrase: str) -> bytes:
    """NFC-normalises so the same passphrase typed on two keyboards unlocks the same bank."""
    if not isinstance(passphrase, str) or passphrase == "":
        raise KeyFileError("the passphrase must not be empty")
    if len(passphrase) > MAX_PASSPHRASE_CHARS:
        raise KeyFileError(f"the passphrase is longer than {MAX_PASSPHRASE_CHARS} characters")
    try:
        return unicodedata.normalize("NFC", passphrase).encode("utf-8")
    except UnicodeEncodeError as exc:  # lone surrogates
        raise KeyFileError("the passphrase contains characters that cannot be encoded") from exc


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _unb64(text: object, field: str) -> bytes:
    if not isinstance(text, str):
        raise KeyFileError(f"key file field {field!r} is missing or not text")
    try:
        return base64.b64decode(text, validate=True)
    except ValueError as exc:
        raise KeyFileError(f"key file field {field!r} is not valid base64") from exc


def _derive(passphrase: str, salt: bytes, params: KdfParams) -> bytes:
    params.check()
    kdf = Argon2id(salt=salt, length=32, iterations=params.t, lanes=params.p,
                   memory_cost=params.m_kib)
    return kdf.derive(normalize_passphrase(passphrase))


@dataclass(frozen=True)
class KeyEnvelope:
    """The parsed content of a key file."""

    db_id: str
    params: KdfParams
    salt: bytes
    nonce: bytes
    wrapped: bytes
    extra: dict

    def aad(self) -> bytes:
        header = {"v": FORMAT_VERSION, "db_id": self.db_id, "kdf": KDF_NAME,
                  "m_kib": self.params.m_kib, "t": self.params.t, "p": self.params.p,
                  "salt": _b64(self.salt)}
        return json.dumps(header, sort_keys=True, separators=(",", ":")).encode()

    def to_json(self) -> str:
        body = {"v": FORMAT_VERSION, "db_id": self.db_id, "kdf": KDF_NAME,
                "m_kib": self.params.m_kib, "t": self.params.t, "p": self.params.p,
                "salt": _b64(self.salt), "nonce": _b64(self.nonce), "wrapped": _b64(self.wrapped)}
        body.update({k: v for k, v in self.extra.items() if k not in body})
        return json.dumps(body, indent=2, sort_keys=True) + "\n"

    @classmethod
    def from_json(cls, text: str) -> KeyEnvelope:
        try:
            data = json.loads(text)
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            raise KeyFileError("the key file is not valid JSON (truncated or damaged)") from exc
        if not isinstance(data, dict):
            raise KeyFileError("the key file is not a JSON object")
        if data.get("v") != FORMAT_VERSION or data.get("kdf") != KDF_NAME:
            raise KeyFileError("the key file has an unknown version or KDF")
        try:
            params = KdfParams(int(data["m_kib"]), int(data["t"]), int(data["p"]))
        except (KeyError, TypeError, ValueError) as exc:
            raise KeyFileError("the key file lacks valid KDF parameters") from exc
        params.check()
        db_id = data.get("db_id")
        if not isinstance(db_id, str) or not db_id:
            raise KeyFileError("the key file has no database id")
        known = {"v", "db_id", "kdf", "m_kib", "t", "p", "salt", "nonce", "wrapped"}
        return cls(db_id=db_id, params=params, salt=_unb64(data.get("salt"), "salt"),
                   nonce=_unb64(data.get("nonce"), "nonce"),
                   wrapped=_unb64(data.get("wrapped"), "wrapped"),
                   extra={k: v for k, v in data.items() if k not in known})


def wrap(dek: bytes | bytearray, passphrase: str, db_id: str,
         params: KdfParams = DEFAULT_KDF, extra: dict | None = None) -> KeyEnvelope:
    salt = secrets.token_bytes(16)
    nonce = secrets.token_bytes(12)
    draft = KeyEnvelope(db_id=db_id, params=params, salt=salt, nonce=nonce, wrapped=b"",
                        extra=dict(extra or {}))
    kek = _derive(passphrase, salt, params)
    wrapped = AESGCM(kek).encrypt(nonce, dek, draft.aad())  # bytes-like: no extra copy
    return KeyEnvelope(db_id, params, salt, nonce, wrapped, dict(extra or {}))


def unwrap(envelope: KeyEnvelope, passphrase: str) -> bytearray:
    kek = _derive(passphrase, envelope.salt, envelope.params)
    try:
        dek = AESGCM(kek).decrypt(envelope.nonce, envelope.wrapped, envelope.aad())
    except InvalidTag:
        raise WrongPassphrase() from None
    if len(dek) != DEK_BYTES:
        raise KeyFileError("the key file holds a key of the wrong size")
    key = bytearray(dek)
    del dek  # the immutable copy cannot be wiped; drop it at once
    return key


def new_data_key() -> bytearray:
    return bytearray(secrets.token_bytes(DEK_BYTES))


def atomic_write_text(path: Path, text: str, mode: int = 0o600) -> None:
    """tmp → fsync → rename → fsync dir: after a crash either the old or the new file exists."""
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    finally:
        if tmp.exists():
            tmp.unlink()
    dir_fd = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)


def read_envelope(path: Path) -> KeyEnvelope:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise KeyFileError(f"key file {path} is missing") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise KeyFileError(f"key file {path} cannot be read: {exc}") from exc
    return KeyEnvelope.from_json(text)


def write_envelope(path: Path, envelope: KeyEnvelope, keep_backup: bool = True) -> None:
    if keep_backup and path.exists():
        atomic_write_text(path.with_name(path.name + ".bak"), path.read_text(encoding="utf-8"))
    atomic_write_text(path, envelope.to_json())
