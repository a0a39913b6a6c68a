"""Are derived memories true? Profile facts against gold, and invented claims in summaries.

    .venv/bin/python bench/derived.py [--limit N] [--memorybank N] [--no-llm]

For each persona of assets/derived/personas.json (chats by day and notes, with gold profile
facts) two fresh encrypted banks get the same memories; then `jobs.run(services, "all")`
runs as `secondme jobs run all` does: once with the default model (Gemma 3 270M GGUF,
all-MiniLM-L6-v2: LLM summaries and rules + model facts) and once without it (extractive
summaries, rule facts). Same run, same machine. Reported:

- profile precision / recall against gold (subject, attribute, value, current|past; a value
  matches when the words of one contain the other's: "Miso" matches "Miso (cat)"), attribute
  errors (a gold value stored under another attribute) and status errors (current vs past);
- summaries: the share of the names, numbers and dates they state that their sources do not
  contain (`secondme.faithfulness`; the person's name and the period labels are allowed), for
  the stored LLM and extractive summaries, and for the raw LLM generations before the gate;
  and how many summaries repeat another level's text word for word.
`--memorybank N` adds the first N users of the MemoryBank dev set (summaries only: it has no
gold profile). Prints a Markdown table and writes bench/out/derived.json.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.load_memorybank import DATA, turn_text  # noqa: E402
from bench.machine import machine_info  # noqa: E402
from secondme import jobs  # noqa: E402
from secondme.clock import Clock, from_iso  # noqa: E402
from secondme.config import load_settings  # noqa: E402
from secondme.consolidation.extractive import words  # noqa: E402
from secondme.faithfulness import Sources, unsupported, unsupported_rate  # noqa: E402
from secondme.services import build_services, load_embedder, load_model  # noqa: E402
from secondme.views.profile import profile_view  # noqa: E402
from secondme.views.summaries import summaries_view  # noqa: E402
from storage import FAST_KDF, create_bank  # noqa: E402

SET = ROOT / "assets" / "derived" / "personas.json"
OUT = ROOT / "bench" / "out" / "derived.json"
REPLY = "Noted."


class Recording:
    """The model, with every summary generation (prompt, output) kept for measuring."""

    def __init__(self, model) -> None:
        self.model = model
        self.generations: list[tuple[str, str]] = []

    @property
    def info(self):
        return self.model.info

    def count_tokens(self, text: str) -> int:
        return self.model.count_tokens(text)

    def complete(self, prompt: str, **kwargs: Any) -> str:
        return self.model.complete(prompt, **kwargs)

    def stream(self, prompt: str, **kwargs: Any):
        pieces = list(self.model.stream(prompt, **kwargs))
        if kwargs.get("grammar") is None and "\nSummary: " in prompt:
            self.generations.append((prompt, "".join(pieces)))
        yield from pieces


def _bank(name: str, now: datetime, embedder, model):
    home = Path(tempfile.mkdtemp(prefix="derived-"))
    bank = create_bank(home, "bench-passphrase", FAST_KDF)
    return build_services(load_settings(home, user_name=name), bank, Clock(now),
                          embedder=embedder, model=model)


def _seed(services, persona: dict[str, Any]) -> None:
    settings = services.settings
    for day, messages in persona.get("days", {}).items():
        start = datetime.fromisoformat(day) + timedelta(hours=9)
        for i, text in enumerate(messages):
            services.memory.remember(turn_text(text, REPLY, settings.user_name,
                                               settings.assistant_name),
                                     at=start + timedelta(minutes=7 * i), kind="turn",
                                     source="chat", trust="user")
    for note in persona.get("notes", []):
        services.memory.remember(note["text"], kind="note", source="import", trust="import",
                                 at=datetime.fromisoformat(note["date"]) + timedelta(hours=20))


def _words(value: str) -> set[str]:
    return set(words(value))


def _same_value(a: str, b: str) -> bool:
    x, y = _words(a), _words(b)
    return bool(x and y) and (x <= y or y <= x)


def score_profile(services, gold: list[list[str]]) -> dict[str, int]:
    facts = [f for f in profile_view(services, history=True) if f["status"] in ("active", "closed")]
    found = [(f["subject"].casefold(), f["attribute"], f["value"],
              "current" if f["status"] == "active" else "past") for f in facts]
    wanted = [(s.casefold(), a, v, st) for s, a, v, st in gold]
    matched: set[int] = set()
    tp = attribute_errors = status_errors = 0
    for subject, attribute, value, status in found:
        hit = next((i for i, g in enumerate(wanted) if i not in matched and g[0] == subject
                    and g[1] == attribute and g[3] == status and _same_value(g[2], value)), None)
        if hit is not None:
            matched.add(hit)
            tp += 1
        elif any(_same_value(g[2], value) and g[1] != attribute for g in wanted):
            attribute_errors += 1
        elif any(_same_value(g[2], value) and g[1] == attribute for g in wanted):
            status_errors += 1          # right value and attribute; wrong subject or status
    return {"stored": len(found), "gold": len(wanted), "correct": tp,
            "attribute_errors": attribute_errors, "status_errors": status_errors}


def score_summaries(services) -> dict[str, Any]:
    view = summaries_view(services)
    by_id = {s["id"]: s for s in view}
    out: dict[str, Any] = {"llm": [0, 0, 0], "extractive": [0, 0, 0], "identical": 0,
                           "examples": []}
    for summary in view:
        texts, allowed = [], [services.settings.user_name, summary["label"]]
        for source in summary["sources"]:
            if source["type"] == "summary" and source["id"] in by_id:
                texts.append(by_id[source["id"]]["text"])
                allowed.append(by_id[source["id"]]["label"])
            elif source["type"] == "memory":
                texts.append(services.memory.get(source["id"]).text)
        bad, total = unsupported_rate(summary["text"], texts, allowed)
        if bad:
            missing = [str(c) for c in unsupported(summary["text"], Sources(texts, allowed))
                       if c.kind in ("name", "number", "date")]
            out["examples"].append(f"{summary['method']} {summary['level']}: {missing} in "
                                   f"{summary['text'][:160]!r}")
        row = out[summary["method"]]
        row[0], row[1], row[2] = row[0] + bad, row[1] + total, row[2] + 1
    flat = [" ".join(words(s["text"])) for s in view]
    out["identical"] = len(flat) - len(set(flat))
    return out


def score_raw(generations: list[tuple[str, str]], name: str) -> list[int]:
    bad = total = 0
    for prompt, raw in generations:
        notes = prompt.rsplit("Notes about ", 1)[-1]
        b, t = unsupported_rate(f"{name} {raw}", notes, [name])
        bad, total = bad + b, total + t
    return [bad, total, len(generations)]


def _add(total: dict[str, Any], part: dict[str, Any]) -> None:
    for key, value in part.items():
        if isinstance(value, int):
            total[key] = total.get(key, 0) + value
        elif isinstance(value, list) and all(isinstance(v, int) for v in value):
            old = total.get(key, [0] * len(value))
            total[key] = [a + b for a, b in zip(old, value, strict=True)]


def memorybank_personas(n: int) -> list[dict[str, Any]]:
    data = json.loads(DATA.read_text(encoding="utf-8"))
    out = []
    for user in list(data.values())[:n]:
        days = dict(sorted(user["history"].items())[:3])
        out.append({"name": user.get("name", "User"), "facts": None,
                    "days": {d: [p["query"] for p in pairs] for d, pairs in days.items()}})
    return out


def run(limit: int | None, memorybank: int, use_llm: bool) -> dict[str, Any]:
    spec = json.loads(SET.read_text(encoding="utf-8"))
    personas = spec["personas"][:limit] + memorybank_personas(memorybank)
    settings = load_settings(Path(tempfile.mkdtemp()))
    embedder = load_embedder(settings)
    model = Recording(load_model(settings)) if use_llm else None
    paths = [("model", True), ("rules", False)] if use_llm else [("rules", False)]
    totals: dict[str, dict[str, Any]] = {p: {} for p, _ in paths}
    per_persona, started, machine = [], time.perf_counter(), machine_info()
    result: dict[str, Any] = {}
    for persona in personas:
        now = from_iso(spec["now"])
        if persona["days"]:
            last = max(datetime.fromisoformat(d) for d in persona["days"])
            now = max(now, datetime(last.year, last.month, 1) + timedelta(days=40))
        row: dict[str, Any] = {"name": persona["name"]}
        for path, llm in paths:
            services = _bank(persona["name"], now, embedder, model if llm else None)
            try:
                _seed(services, persona)
                if model is not None:
                    model.generations.clear()
                results = jobs.run(services, "all", options=jobs.JobOptions(use_llm=llm))
                timing = {r.job: round(r.seconds, 1) for r in results}
                print(f"    {persona['name']} {path}: {timing}", file=sys.stderr)
                part = score_summaries(services)
                if persona.get("facts") is not None:
                    part.update(score_profile(services, persona["facts"]))
                if llm and model is not None:
                    part["raw"] = score_raw(model.generations, persona["name"])
            finally:
                services.close()
            row[path] = part
            _add(totals[path], part)
        per_persona.append(row)
        print(f"  {persona['name']}: {time.perf_counter() - started:.0f}s", file=sys.stderr)
        result = {"machine": machine, "personas": len(per_persona),
                  "labelled": len([p for p in personas[:len(per_persona)]
                                   if p.get("facts") is not None]),
                  "seconds": round(time.perf_counter() - started, 1), "totals": totals,
                  "per_persona": per_persona}
        save(result)                 # after every persona: a long run cut short still counts
    return result


def _rate(pair: list[int] | None) -> str:
    if not pair or not pair[1]:
        return "–"
    return f"{pair[0] / pair[1]:.3f} ({pair[0]}/{pair[1]})"


def markdown(result: dict[str, Any]) -> str:
    m = result["machine"]
    lines = [f"Measured {m['date']} on {m['cpu']} ({m['cores']} cores, load {m['load_average_at_start']}),"
             f" {result['personas']} personas ({result['labelled']} labelled), {result['seconds']} s.", "",
             "| path | facts stored | precision | recall | attribute errors | subject/status errors |",
             "|---|---|---|---|---|---|"]
    for path, t in result["totals"].items():
        if not t.get("gold"):
            continue
        p = t["correct"] / t["stored"] if t["stored"] else 0.0
        r = t["correct"] / t["gold"]
        lines.append(f"| {'rules + model' if path == 'model' else 'rules'} | {t['stored']} | "
                     f"{p:.2f} | {r:.2f} ({t['correct']}/{t['gold']}) | {t['attribute_errors']} | "
                     f"{t['status_errors']} |")
    lines += ["", "| summaries | count | unsupported names/numbers/dates | identical across levels |",
              "|---|---|---|---|"]
    for path, t in result["totals"].items():
        for method in ("llm", "extractive"):
            row = t.get(method)
            if row and row[2]:
                lines.append(f"| {method} (run {'with' if path == 'model' else 'without'} model) |"
                             f" {row[2]} | {_rate(row)} | {t.get('identical', 0)} |")
        if t.get("raw"):
            lines.append(f"| raw LLM generations, before the gate | {t['raw'][2]} | "
                         f"{_rate(t['raw'])} | – |")
    return "\n".join(lines)


def save(result: dict[str, Any]) -> None:
    result["markdown"] = markdown(result)
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps(result, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--limit", type=int, default=None, help="only the first N personas")
    parser.add_argument("--memorybank", type=int, default=2,
                        help="also the first N MemoryBank dev users (summaries only)")
    parser.add_argument("--no-llm", action="store_true", help="rules and extractive only")
    args = parser.parse_args()
    result = run(args.limit, args.memorybank, not args.no_llm)
    print(result["markdown"])


if __name__ == "__main__":
    main()
