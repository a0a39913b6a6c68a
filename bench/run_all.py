"""`make bench`: run every benchmark script, then refresh the tables in docs/BENCHMARKS.md.

A benchmark script is any bench/*.py that writes bench/out/<name>.json (helpers named
make_*, sweep_* or _* are tools, not benchmarks, and are skipped). Each script runs in
its own process, one after the other (the machine is small; parallel runs would measure
each other). A failing script is reported and the others still run.

Then docs/BENCHMARKS.md is updated section by section; everything outside the markers is
left exactly as written:
  * the machine block (CPU model, cores, RAM, OS, Python, date) between
    <!-- bench:machine:start --> and <!-- bench:machine:end -->;
  * for each bench/out/NAME.json from this run, the text between <!-- bench:NAME:start -->
    and <!-- bench:NAME:end -->. A JSON may carry its own "markdown" (used verbatim);
    otherwise a table is generated from its numbers. Without markers yet, the block is
    added at the end of the section whose heading names bench/NAME.py, or as a new section.

Usage: python bench/run_all.py [--no-run] [--only NAME ...] [--timeout SECONDS]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import subprocess
import sys
import time
from datetime import datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
BENCH = ROOT / "bench"
OUT = BENCH / "out"
DOC = ROOT / "docs" / "BENCHMARKS.md"
SKIP_PREFIXES = ("make_", "sweep_", "_")
_WRITES_OUT = re.compile(r"""bench/out|["']out["']""")

INTRO = """# Benchmarks

Every number here comes from a script in `bench/` that anyone can rerun: `make bench` runs
them all and rewrites the generated blocks (between `<!-- bench:… -->` markers); the prose
around them is written by hand. Numbers are from a small shared VM, so read them as orders
of magnitude and compare rows measured in the same run.
"""


# -- discovery and running ---------------------------------------------------------------------

def discover(bench: Path = BENCH) -> list[Path]:
    scripts = []
    for path in sorted(bench.glob("*.py")):
        if path.name == "run_all.py" or path.name.startswith(SKIP_PREFIXES):
            continue
        if _WRITES_OUT.search(path.read_text(encoding="utf-8", errors="replace")):
            scripts.append(path)
    return scripts


def is_result(path: Path, scripts: list[Path]) -> bool:
    """NAME.json or NAME_variant.json of a benchmark script — not a data file it generated."""
    return any(path.stem == s.stem or path.stem.startswith(s.stem + "_") for s in scripts)


def run_script(path: Path, timeout: float) -> dict[str, Any]:
    started = time.perf_counter()
    try:
        proc = subprocess.run([sys.executable, str(path)], cwd=ROOT, capture_output=True,
                              text=True, timeout=timeout, stdin=subprocess.DEVNULL)
        ok, code, tail = proc.returncode == 0, proc.returncode, proc.stderr[-600:]
    except subprocess.TimeoutExpired:
        ok, code, tail = False, None, f"timed out after {timeout:.0f} s"
    return {"script": path.name, "ok": ok, "exit": code,
            "seconds": round(time.perf_counter() - started, 1), "error": None if ok else tail}


# -- machine -----------------------------------------------------------------------------------

def _read(path: str) -> str:
    try:
        return Path(path).read_text(encoding="utf-8", errors="replace")
    except OSError:
        return ""


def machine() -> dict[str, Any]:
    cpu = re.search(r"^model name\s*:\s*(.+)$", _read("/proc/cpuinfo"), re.MULTILINE)
    mem = re.search(r"^MemTotal:\s*(\d+)\s*kB", _read("/proc/meminfo"), re.MULTILINE)
    return {
        "cpu": cpu.group(1).strip() if cpu else (platform.processor() or platform.machine()),
        "cores": os.cpu_count(),
        "ram_gb": round(int(mem.group(1)) / 1024 / 1024, 1) if mem else None,
        "os": f"{platform.system()} {platform.release()}",
        "python": platform.python_version(),
    }


def machine_block(info: dict[str, Any], when: str, load: float | None,
                  runs: list[dict[str, Any]]) -> str:
    text = (f"Last `make bench`: {when} on {info['cpu']}, {info['cores']} cores, "
            f"{info['ram_gb']} GB RAM, {info['os']}, Python {info['python']}")
    if load is not None:
        text += f"; load average at start {load:.1f}"
    text += "."
    if runs:
        done = ", ".join(f"`{r['script']}` {r['seconds']:.0f} s" + ("" if r["ok"] else " (failed)")
                         for r in runs)
        text += f" Scripts: {done}."
    return text


# -- rendering a JSON without its own markdown ----------------------------------------------------

def _cell(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:,.3f}".rstrip("0").rstrip(".") if abs(value) < 1000 else f"{value:,.0f}"
    if isinstance(value, int) and not isinstance(value, bool):
        return f"{value:,}"
    return str(value).replace("|", "\\|").replace("\n", " ")


def _flatten(data: dict[str, Any], prefix: str = "") -> list[tuple[str, Any]]:
    items: list[tuple[str, Any]] = []
    for key, value in data.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict):
            items += _flatten(value, name + ".")
        elif isinstance(value, list) and value and all(isinstance(v, dict) for v in value):
            continue  # rendered as its own table
        else:
            items.append((name, value))
    return items


def render_generic(data: dict[str, Any]) -> str:
    """Tables from a benchmark's JSON: each list of records as a table, the rest as key/value."""
    parts = []
    for key, value in data.items():
        if isinstance(value, list) and value and all(isinstance(v, dict) for v in value):
            columns = list(dict.fromkeys(c for row in value for c in row))
            lines = ["| " + " | ".join(columns) + " |", "|" + "---|" * len(columns)]
            lines += ["| " + " | ".join(_cell(row.get(c, "")) for c in columns) + " |"
                      for row in value]
            parts.append(f"{key}:\n\n" + "\n".join(lines))
    skip = {"machine", "markdown", "section"}
    scalars = [(k, v) for k, v in _flatten({k: v for k, v in data.items() if k not in skip})
               if not isinstance(v, list) or len(v) <= 8]
    if scalars:
        lines = ["| measure | value |", "|---|---:|"]
        lines += [f"| {k} | {_cell(v)} |" for k, v in scalars]
        parts.insert(0, "\n".join(lines))
    return "\n\n".join(parts) if parts else "_(no numbers)_"


# -- the document ----------------------------------------------------------------------------------

def _markers(name: str) -> tuple[str, str]:
    return f"<!-- bench:{name}:start -->", f"<!-- bench:{name}:end -->"


def replace_block(doc: str, name: str, body: str, *, title: str | None = None,
                  script: str | None = None, after_intro: bool = False) -> str:
    """Puts `body` between NAME's markers; creates the block where it belongs if missing."""
    start, end = _markers(name)
    block = f"{start}\n{body.strip()}\n{end}"
    pattern = re.compile(re.escape(start) + r".*?" + re.escape(end), re.DOTALL)
    if pattern.search(doc):
        return pattern.sub(lambda _m: block, doc, count=1)
    lines = doc.splitlines()
    if after_intro:
        first = next((i for i, line in enumerate(lines) if line.startswith("## ")), len(lines))
        return "\n".join(lines[:first] + [block, ""] + lines[first:]).rstrip() + "\n"
    script = script or name
    heading = re.compile(rf"^##+ .*bench/{re.escape(script)}\.py")
    at = next((i for i, line in enumerate(lines) if heading.match(line)), None)
    if at is not None:
        stop = next((i for i in range(at + 1, len(lines)) if lines[i].startswith("## ")),
                    len(lines))
        while stop > at + 1 and not lines[stop - 1].strip():
            stop -= 1
        return "\n".join(lines[:stop] + ["", block] + lines[stop:]).rstrip() + "\n"
    section = f"## {title or name} (bench/{script}.py)"
    return doc.rstrip() + f"\n\n{section}\n\n{block}\n"


def update_doc(doc: str, machine_text: str, sections: dict[str, str],
               titles: dict[str, str] | None = None,
               scripts: dict[str, str] | None = None) -> str:
    """`sections`: block name → Markdown; `scripts`: block name → the script that made it."""
    doc = doc if doc.strip() else INTRO
    doc = replace_block(doc, "machine", machine_text, after_intro=True)
    for name, body in sections.items():
        doc = replace_block(doc, name, body, title=(titles or {}).get(name),
                            script=(scripts or {}).get(name))
    return doc


TITLES = {"eval_devset": "Retrieval quality on the dev set"}


def section_for(path: Path, when: str) -> tuple[str, str]:
    data = json.loads(path.read_text(encoding="utf-8"))
    name = str(data.get("section") or path.stem) if isinstance(data, dict) else path.stem
    if isinstance(data, dict) and isinstance(data.get("markdown"), str):
        return name, data["markdown"]
    body = render_generic(data if isinstance(data, dict) else {"values": data})
    return name, f"_Generated from bench/out/{path.name} ({when})._\n\n{body}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--no-run", action="store_true",
                        help="only re-render the document from bench/out/*.json")
    parser.add_argument("--only", nargs="*", default=None, help="script names (without .py)")
    parser.add_argument("--timeout", type=float, default=3600.0)
    args = parser.parse_args()

    when = datetime.now().strftime("%Y-%m-%d %H:%M")
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else None
    scripts = [s for s in discover() if args.only is None or s.stem in args.only]
    runs: list[dict[str, Any]] = []
    started = time.time()
    if not args.no_run:
        for script in scripts:
            print(f"running {script.name} …", flush=True)
            result = run_script(script, args.timeout)
            runs.append(result)
            status = "ok" if result["ok"] else f"FAILED: {result['error']}"
            print(f"  {script.name}: {result['seconds']} s, {status}", flush=True)
    fresh = [p for p in sorted(OUT.glob("*.json")) if is_result(p, scripts)
             and (args.no_run or p.stat().st_mtime >= started)]
    sections: dict[str, str] = {}
    owners: dict[str, str] = {}
    for path in fresh:
        name, body = section_for(path, when)
        sections[name] = body
        owners[name] = next(s.stem for s in scripts if path.stem == s.stem
                            or path.stem.startswith(s.stem + "_"))
    doc = DOC.read_text(encoding="utf-8") if DOC.exists() else INTRO
    DOC.parent.mkdir(parents=True, exist_ok=True)
    DOC.write_text(update_doc(doc, machine_block(machine(), when, load, runs), sections,
                              TITLES, owners), encoding="utf-8")
    print(f"updated {DOC.relative_to(ROOT)}: {', '.join(sections) or 'machine block only'}")
    if any(not r["ok"] for r in runs):
        sys.exit(1)


if __name__ == "__main__":
    main()
