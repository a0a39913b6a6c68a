"""The curated model catalog (catalog.toml, data not code) and which entry suits this machine."""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from ..errors import InvalidInput

CATALOG_ENV = "SECONDME_MODEL_CATALOG"   # another catalog file (tests, mirrors)


@dataclass(frozen=True)
class CatalogEntry:
    name: str
    title: str
    repo: str
    file: str
    size_mb: int
    licence: str
    ram_gb: float
    chat_template: bool
    revision: str = "main"


class CatalogError(InvalidInput):
    """A catalog file is malformed or a name is not in it (a user mistake: exit 2)."""


def load_catalog(path: Path | None = None) -> list[CatalogEntry]:
    """Entries in file order (smallest and lightest first)."""
    source = path or (Path(os.environ[CATALOG_ENV]) if os.environ.get(CATALOG_ENV) else None)
    text = source.read_text(encoding="utf-8") if source else \
        resources.files("secondme.llm").joinpath("catalog.toml").read_text(encoding="utf-8")
    try:
        data = tomllib.loads(text)
        return [CatalogEntry(name=name, title=str(e["title"]), repo=str(e["repo"]),
                             file=str(e["file"]), size_mb=int(e["size_mb"]),
                             licence=str(e["licence"]), ram_gb=float(e["ram_gb"]),
                             chat_template=bool(e.get("chat_template", False)),
                             revision=str(e.get("revision", "main")))
                for name, e in data.items()]
    except (tomllib.TOMLDecodeError, KeyError, TypeError, ValueError, AttributeError) as exc:
        raise CatalogError(f"model catalog {source or 'catalog.toml'} is malformed: {exc}") \
            from None


def find(name: str, catalog: list[CatalogEntry] | None = None) -> CatalogEntry:
    entries = catalog if catalog is not None else load_catalog()
    for entry in entries:
        if entry.name == name:
            return entry
    names = ", ".join(e.name for e in entries)
    raise CatalogError(f"no model {name!r} in the catalog (try one of: {names})")


def total_ram_gb() -> float | None:
    try:
        return os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE") / 1024 ** 3
    except (AttributeError, OSError, ValueError):
        return None


def recommend(ram_gb: float | None, gpu: bool = False,
              catalog: list[CatalogEntry] | None = None) -> CatalogEntry | None:
    """The most capable entry whose needs fit in the machine's memory with room to spare.

    The catalog lists lighter models first; with a GPU the weights leave system RAM, so a
    model may take up to 80% of it, otherwise 60% (the bank, embedder and TUI need the rest).
    """
    if ram_gb is None:
        return None
    share = 0.8 if gpu else 0.6
    fitting = [e for e in (catalog if catalog is not None else load_catalog())
               if e.ram_gb <= ram_gb * share]
    return fitting[-1] if fitting else None
