"""Which models are here, and making one the active model (written to config.toml).

The core of `secondme model list` / `model use`, shared by the CLI and the TUI's command
palette (the TUI never imports the CLI). Nothing here loads a model.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..config_edit import write_setting
from ..paths import model_cache_dir
from .catalog import CatalogError, find, load_catalog
from .download import installed_path

DEFAULT = "default"                       # `model use default`: the embedded model
DEFAULT_TITLE = "the embedded Gemma 3 270M"


@dataclass(frozen=True)
class InstalledModel:
    """A model that can be used right now, without a download."""

    name: str              # what `model use` takes: a catalog name, 'default' or a path
    title: str
    path: str | None       # None for the embedded default (assembled on first load)
    active: bool


def _is_active(active: str | None, path: Path) -> bool:
    return bool(active) and Path(active).expanduser() == path


def catalog_rows(active: str | None) -> list[dict[str, Any]]:
    """Every catalog entry, installed or not (the rows of `secondme model list`)."""
    out = []
    for entry in load_catalog():
        path = installed_path(model_cache_dir(), entry)
        out.append({"name": entry.name, "title": entry.title, "repo": entry.repo,
                    "file": entry.file, "size_mb": entry.size_mb, "licence": entry.licence,
                    "ram_gb": entry.ram_gb, "chat_template": entry.chat_template,
                    "installed": path.is_file(), "active": _is_active(active, path),
                    "path": str(path)})
    return out


def installed_models(active: str | None) -> list[InstalledModel]:
    """The embedded default, the catalog models pulled here, and the configured file when it
    is none of those; `active` is the configured model path (None: the embedded one)."""
    out = [InstalledModel(DEFAULT, DEFAULT_TITLE, None, not active)]
    for row in catalog_rows(active):
        if row["installed"]:
            out.append(InstalledModel(row["name"], row["title"], row["path"], row["active"]))
    if active and not any(m.active for m in out):
        path = Path(active).expanduser()
        out.append(InstalledModel(str(path), path.name, str(path), True))
    return out


def resolve(target: str) -> Path | None:
    """A catalog name, a .gguf path, or 'default' (None) → the model file `use` would set.

    Raises CatalogError (a user mistake, one line) when it is none of those, not pulled yet,
    or not a GGUF file."""
    if target == DEFAULT:
        return None
    path = Path(target).expanduser()
    if not path.is_file():
        try:
            entry = find(target)
        except CatalogError:
            raise CatalogError(f"{target!r} is neither a catalog name nor a model file") \
                from None
        path = installed_path(model_cache_dir(), entry)
        if not path.is_file():
            raise CatalogError(f"{target} is not downloaded yet: run `secondme model pull "
                               f"{target}` first")
    with open(path, "rb") as f:
        if f.read(4) != b"GGUF":
            raise CatalogError(f"{path} is not a GGUF model file")
    return path.resolve()


def save_active(home: Path, path: Path | None) -> Path:
    """Writes `model = "PATH"` to config.toml in the home (removed for the default)."""
    return write_setting(home, "model", None if path is None else str(path))


def model_label(path: str, name: str) -> str:
    """What the status bar calls a loaded model: its catalog title when the file is a catalog
    model pulled here (variants of one model often share the GGUF's `general.name`, so the
    person could not tell which one is active), else the model's own name."""
    try:
        target = Path(path).expanduser().resolve()
        for entry in load_catalog():
            if installed_path(model_cache_dir(), entry).resolve() == target:
                return entry.title
    except (CatalogError, OSError):
        pass
    return name
