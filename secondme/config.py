"""Settings: defaults, overridden by `config.toml` in the home, then by environment variables."""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass, field, fields, replace
from pathlib import Path

from .errors import InvalidInput

CONFIG_NAME = "config.toml"


class ConfigError(InvalidInput):
    pass


@dataclass(frozen=True)
class Settings:
    home: Path
    model: str | None = None           # path to a GGUF; None = the embedded Gemma 3 270M
    n_ctx: int = 4096
    n_gpu_layers: int = -1             # all layers when the build can offload
    max_reply_tokens: int = 256
    temperature: float = 0.7
    embedding_model: str | None = None  # path; None = the packaged all-MiniLM-L6-v2
    user_name: str = "User"
    assistant_name: str = "Second Me"
    tau_days: float = 7.0              # forgetting time constant τ
    archive_threshold: float = 0.05    # θ: below this retention a memory is archived
    retrieval_k: int = 8
    session_idle_minutes: int = 30
    idle_lock_minutes: int = 15        # the TUI drops the key after this long idle; 0 = never
    facts_after_seconds: int = 60      # after a chat reply the profile job runs this soon
    fixed_replies: bool = True         # "I don't remember…" / "Noted…" without the model
    use_keyring: bool = False
    extra: dict = field(default_factory=dict)

    @property
    def config_path(self) -> Path:
        return self.home / CONFIG_NAME


# Every environment variable Second Me reads, in one place, all with one prefix; the
# table in docs/CONFIGURATION.md is generated from here (tests/test_config_docs.py).
ENV_PREFIX = "SECONDME_"
SETTING_DOCS = {
    "model": "Path to a GGUF model (default: the embedded Gemma 3 270M).",
    "n_ctx": "Context window of the model, in tokens (at least 512).",
    "n_gpu_layers": "Model layers offloaded to the GPU (-1: all, when the build can).",
    "max_reply_tokens": "Longest reply, in tokens.",
    "temperature": "Sampling temperature of replies.",
    "embedding_model": "Path to a sentence-transformers model (default: all-MiniLM-L6-v2).",
    "user_name": "Your name, as the assistant addresses you.",
    "assistant_name": "The assistant's name.",
    "tau_days": "Forgetting time constant τ, in days.",
    "archive_threshold": "θ: below this retention a memory is archived (0 < θ < 1).",
    "retrieval_k": "Memories recalled for each reply.",
    "session_idle_minutes": "Minutes of silence after which a chat starts a new session.",
    "idle_lock_minutes": "The TUI drops the key after this many idle minutes (0: never).",
    "facts_after_seconds": "After a chat reply, profile facts are extracted within this many "
                           "seconds (0: only on the job's 15-minute schedule).",
    "fixed_replies": "Say \"I don't remember\" when nothing relevant was recalled and "
                     "acknowledge statements, without the model (false: always the model).",
    "use_keyring": "Offer to keep the data key in the OS keyring (true/false).",
}
# Settings that keep an older, shorter variable name as well (read when the first is unset).
ENV_ALIASES = {"user_name": "SECONDME_USER", "archive_threshold": "SECONDME_THETA"}
# Variables that are not settings: where things are, and secrets never put in config.toml.
PROCESS_ENV = {
    "SECONDME_HOME": "The memory bank folder (as `--home`).",
    "SECONDME_MODEL_CACHE": "Where downloaded GGUF models are kept.",
    "SECONDME_NOW": "Pretend it is this ISO time (as `--now`).",
    "SECONDME_PASSPHRASE": "The bank's passphrase (prefer `--passphrase-file`).",
    "SECONDME_NEW_PASSPHRASE": "The new passphrase for `secondme passwd`.",
    "SECONDME_BACKUP_PASSPHRASE": "The passphrase of a backup file (`backup`/`restore`).",
    "SECONDME_MODEL_CATALOG": "Another model catalog file for `secondme model` (TOML).",
}


def env_name(setting: str) -> str:
    return ENV_PREFIX + setting.upper()


def environment_variables() -> dict[str, str]:
    """Every variable read, name → what it sets (the documented table, in order)."""
    table = {env_name(name): f"`{name}`: {doc}" for name, doc in SETTING_DOCS.items()}
    for name, alias in ENV_ALIASES.items():
        table[alias] = f"Older name of `{env_name(name)}`."
    return {**table, **PROCESS_ENV}


def environment_markdown() -> str:
    rows = [f"| `{name}` | {doc} |" for name, doc in environment_variables().items()]
    return "\n".join(["| variable | what it sets |", "| --- | --- |", *rows]) + "\n"


def _coerce(name: str, value: object, kind: type) -> object:
    try:
        if kind is bool:
            return value if isinstance(value, bool) else str(value).lower() in ("1", "true", "yes")
        if kind is int:
            return int(value)  # type: ignore[arg-type]
        if kind is float:
            return float(value)  # type: ignore[arg-type]
        return str(value)
    except (TypeError, ValueError) as exc:
        raise ConfigError(f"config value {name} = {value!r} is not a valid {kind.__name__}") from exc


def load_settings(home: Path, **overrides: object) -> Settings:
    settings = Settings(home=home)
    kinds = {f.name: f.type for f in fields(Settings)}
    simple = {"int": int, "float": float, "bool": bool, "str | None": str, "str": str}
    values: dict[str, object] = {}
    path = home / CONFIG_NAME
    if path.exists():
        try:
            data = tomllib.loads(path.read_text(encoding="utf-8"))
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
            raise ConfigError(f"{path} is not valid TOML: {exc}") from exc
        for key, value in data.items():
            if key in kinds and key not in ("home", "extra"):
                values[key] = _coerce(key, value, simple.get(str(kinds[key]), str))
    for key in SETTING_DOCS:
        raw = os.environ.get(env_name(key)) or os.environ.get(ENV_ALIASES.get(key, ""))
        if raw:
            values[key] = _coerce(key, raw, simple.get(str(kinds[key]), str))
    for key, value in overrides.items():
        if value is not None:
            values[key] = value
    settings = replace(settings, **values)
    if settings.n_ctx < 512:
        raise ConfigError("n_ctx must be at least 512")
    if not 0 < settings.archive_threshold < 1:
        raise ConfigError("archive_threshold must be between 0 and 1")
    if settings.tau_days <= 0:
        raise ConfigError("tau_days must be positive")
    if settings.idle_lock_minutes < 0:
        raise ConfigError("idle_lock_minutes must be 0 (never) or a number of minutes")
    if settings.facts_after_seconds < 0:
        raise ConfigError("facts_after_seconds must be 0 (schedule only) or a number of seconds")
    return settings
