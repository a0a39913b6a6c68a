"""Changing one top-level key of config.toml in the home, keeping the rest of the file."""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

from .config import CONFIG_NAME


def write_setting(home: Path, key: str, value: str | None) -> Path:
    """Sets `key = "value"` (or removes the key when value is None); returns the file."""
    path = home / CONFIG_NAME
    lines = path.read_text(encoding="utf-8").splitlines() if path.exists() else []
    pattern = re.compile(rf"^\s*{re.escape(key)}\s*=")
    first_table = next((i for i, line in enumerate(lines) if line.lstrip().startswith("[")),
                       len(lines))
    kept = [line for i, line in enumerate(lines) if not (i < first_table and pattern.match(line))]
    if value is not None:
        at = next((i for i, line in enumerate(kept) if line.lstrip().startswith("[")), len(kept))
        kept.insert(at, f"{key} = {json.dumps(value, ensure_ascii=False)}")
    home.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text("\n".join(kept) + "\n", encoding="utf-8")
    os.replace(tmp, path)
    return path
