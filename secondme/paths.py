"""Where things live on disk. Nothing here creates files."""

from __future__ import annotations

import os
from pathlib import Path

import platformdirs

APP_NAME = "secondme"


def resolve_home(explicit: Path | str | None = None) -> Path:
    """--home, else SECONDME_HOME, else the platform's user data dir."""
    if explicit:
        return Path(explicit).expanduser().resolve()
    env = os.environ.get("SECONDME_HOME")
    if env:
        return Path(env).expanduser().resolve()
    return Path(platformdirs.user_data_dir(APP_NAME)).resolve()


def model_cache_dir() -> Path:
    """Assembled model files are not secret (public weights), so they may live outside the bank."""
    env = os.environ.get("SECONDME_MODEL_CACHE")
    if env:
        return Path(env).expanduser()
    return Path(platformdirs.user_cache_dir(APP_NAME)) / "models"
