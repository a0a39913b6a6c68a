"""Import throughput: how fast does a large Obsidian vault come in, and how fast is a re-run?

Builds a vault of N notes (default 2,000) by cycling through the sample vault's
notes with fresh dates and names, then times, in one fresh encrypted bank:
  1. the first import (parse + chunk + one keyed transaction per file),
  2. a re-run with nothing changed (hash check only),
  3. a re-run after editing 1 % of the notes.
Prints a table and writes bench/out/import.json.

Usage: python bench/import.py [N]
"""

from __future__ import annotations

import json
import platform
import re
import sys
import tempfile
import time
from datetime import date, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from secondme.clock import Clock  # noqa: E402
from secondme.config import load_settings  # noqa: E402
from secondme.importers import import_paths  # noqa: E402
from secondme.services import build_services  # noqa: E402
from storage import FAST_KDF, create_bank  # noqa: E402

SAMPLE = ROOT / "assets" / "sample-vault"
OUT = ROOT / "bench" / "out" / "import.json"
_DATE_LINE = re.compile(r"^(date|created): .*$", re.MULTILINE)


def _templates() -> list[str]:
    notes = []
    for path in sorted(SAMPLE.rglob("*.md")):
        if ".obsidian" in path.parts:
            continue
        try:
            notes.append(path.read_text(encoding="utf-8"))
        except UnicodeDecodeError:
            continue  # the deliberately broken sample
    return [n for n in notes if "unclosed list" not in n]


def build_vault(root: Path, n: int) -> int:
    """N notes: half daily notes (dated by name), half topic notes in nested folders."""
    templates = _templates()
    start = date(2021, 1, 1)
    size = 0
    for i in range(n):
        text = templates[i % len(templates)]
        day = start + timedelta(days=i // 2)
        if i % 2 == 0:
            folder = root / "Daily" / str(day.year)
            name = f"{day.isoformat()}.md"
            text = _DATE_LINE.sub("", text)
        else:
            folder = root / "Notes" / f"topic-{i % 17:02d}" / f"sub-{i % 5}"
            name = f"note-{i:05d}.md"
            text = _DATE_LINE.sub(f"date: {day.isoformat()}", text, count=1)
        text += f"\n\nNote {i}: seen on {day:%A %d %B %Y}.\n"
        folder.mkdir(parents=True, exist_ok=True)
        (folder / name).write_text(text, encoding="utf-8")
        size += len(text.encode("utf-8"))
    (root / ".obsidian").mkdir(exist_ok=True)
    (root / ".obsidian" / "app.json").write_text("{}")
    return size


def build_long_notes(root: Path, count: int = 40, kib: int = 256) -> int:
    """A few long notes (journals kept in one file): measures parsing and chunking, not commits."""
    templates = _templates()
    size = 0
    root.mkdir(parents=True)
    for i in range(count):
        parts = []
        while sum(len(p) for p in parts) < kib * 1024:
            k = len(parts)
            parts.append(f"## Entry {k}\n" + _DATE_LINE.sub("", templates[(i + k) % len(templates)])
                         .replace("---", ""))
        text = f"# Journal {i}\n\n" + "\n\n".join(parts)
        (root / f"journal-{i:02d}.md").write_text(text, encoding="utf-8")
        size += len(text.encode("utf-8"))
    return size


def timed(services, vault: Path) -> tuple[float, dict]:
    started = time.perf_counter()
    report = import_paths(services, [vault])
    return time.perf_counter() - started, report


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 2000
    with tempfile.TemporaryDirectory() as tmp:
        vault = Path(tmp) / "vault"
        nbytes = build_vault(vault, n)
        home = Path(tmp) / "home"
        bank = create_bank(home, "bench passphrase", FAST_KDF)
        services = build_services(load_settings(home), bank, Clock(datetime(2026, 1, 1)))
        try:
            first_s, first = timed(services, vault)
            chunks = first.written().get("chunks", 0)
            again_s, again = timed(services, vault)
            edited = sorted(vault.rglob("*.md"))[:: 100]
            for path in edited:
                path.write_text(path.read_text(encoding="utf-8") + "\nEdited for the bench.\n",
                                encoding="utf-8")
            edit_s, edit = timed(services, vault)
            db_bytes = (home / "memory.db").stat().st_size + sum(
                p.stat().st_size for p in home.glob("memory.db-*"))
        finally:
            services.close()
        journals = Path(tmp) / "journals"
        long_bytes = build_long_notes(journals)
        home2 = Path(tmp) / "home2"
        bank2 = create_bank(home2, "bench passphrase", FAST_KDF)
        services2 = build_services(load_settings(home2), bank2, Clock(datetime(2026, 1, 1)))
        try:
            long_s, long_report = timed(services2, journals)
        finally:
            services2.close()
    mb = nbytes / 1024 / 1024
    long_mb = long_bytes / 1024 / 1024
    long_files = long_report.totals()["imported"]
    rows = [
        ("first import", n, first_s, first.totals()["imported"], mb),
        ("re-run, nothing changed", n, again_s, again.totals()["unchanged"], mb),
        (f"re-run, {len(edited)} notes edited", n, edit_s, edit.totals()["updated"], mb),
        (f"{long_files} long notes ({long_mb:.0f} MB, "
         f"{long_report.written().get('chunks', 0)} chunks)", long_files, long_s, long_files,
         long_mb),
    ]
    result = {
        "notes": n, "megabytes": round(mb, 2), "chunks": chunks,
        "db_megabytes": round(db_bytes / 1024 / 1024, 2),
        "runs": [{"run": name, "seconds": round(s, 3), "notes_per_s": round(count / s, 1),
                  "mb_per_s": round(size / s, 2), "files": files}
                 for name, count, s, files, size in rows],
        "machine": {"python": platform.python_version(), "cpu": platform.processor() or
                    platform.machine(), "system": platform.platform()},
        "date": date.today().isoformat(),
        "settings": "SQLCipher 4 (WAL), one transaction per file, synchronous=NORMAL during the "
                    "run and a checkpoint at the end, no embedding (the embed job does that)",
    }
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps(result, indent=2) + "\n")
    print(f"Import of {n} notes ({mb:.1f} MB, {chunks} chunks; bank {result['db_megabytes']} MB)\n")
    print("| run | seconds | notes/s | MB/s | files |")
    print("|---|---:|---:|---:|---:|")
    for run in result["runs"]:
        print(f"| {run['run']} | {run['seconds']:.2f} | {run['notes_per_s']:.0f} | "
              f"{run['mb_per_s']:.2f} | {run['files']} |")
    print(f"\nwrote {OUT.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
