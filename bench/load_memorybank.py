"""Load one MemoryBank (SiliconFriend) user into a memory bank as dated chat turns.

    SECONDME_HOME=/tmp/sm SECONDME_PASSPHRASE=pw SECONDME_USER=Emily \\
        .venv/bin/python bench/load_memorybank.py Emily [--days N] [--init]

Each query/response pair becomes one `turn` memory ("NAME: query\\nSecond Me: response",
the chat's own format) through MemoryService.remember, with its event time on that
day (12:00, one minute apart, in order). Loading the same user twice adds nothing:
a pair already stored for that day is skipped. Use the user's name as
SECONDME_USER so summaries and facts speak of them by name.
"""

from __future__ import annotations

import argparse
import json
import sys
from datetime import datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

DATA = Path("/work/shared/data/memorybank/en/memory_bank_en.json")


def read_user(path: Path, user: str) -> dict[str, list[dict[str, str]]]:
    data = json.loads(path.read_text(encoding="utf-8"))
    for key, value in data.items():
        if key.strip().lower() == user.strip().lower():
            return value["history"]
    raise SystemExit(f"no user {user!r} in {path}; users: "
                     f"{', '.join(k.strip() for k in data)}")


def turn_text(query: str, response: str, user_name: str, assistant_name: str) -> str:
    return f"{user_name}: {query.strip()}\n{assistant_name}: {response.strip()}"


def load_history(services, history: dict[str, list[dict[str, str]]], *, days: int | None = None,
                 per_day: int | None = None) -> int:
    """Stores the pairs as turns; returns how many were new."""
    from storage import memories as rows

    settings = services.settings
    added = 0
    for day in sorted(history)[:days]:
        start = datetime.fromisoformat(day) + timedelta(hours=12)
        for index, pair in enumerate(history[day][:per_day]):
            text = turn_text(pair["query"], pair["response"], settings.user_name,
                             settings.assistant_name)
            existing = rows.find_by_hash(services.bank.db(), rows.content_hash(text), "turn")
            if existing is not None and existing.event_at[:10] == day:
                continue
            services.memory.remember(text, at=start + timedelta(minutes=index), kind="turn",
                                     source="memorybank", trust="user", actor="import",
                                     source_ref={"dataset": "memorybank-en", "day": day,
                                                 "index": index})
            added += 1
    return added


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("user")
    parser.add_argument("--data", type=Path, default=DATA)
    parser.add_argument("--days", type=int, default=None)
    parser.add_argument("--init", action="store_true", help="create the bank first")
    args = parser.parse_args()

    from secondme.cli.app import CliState, prompt_passphrase
    from secondme.paths import resolve_home
    from secondme.unlock import init_bank

    state = CliState(home=resolve_home(None), passphrase_file=None, now=None, model=None)
    if args.init and not (state.home / "memory.db").exists():
        init_bank(state.home, None, prompt_passphrase).close()
    services = state.services()
    try:
        history = read_user(args.data, args.user)
        added = load_history(services, history, days=args.days)
        total = sum(len(v) for v in history.values())
        print(f"{args.user}: {added} new turns stored ({total} pairs over {len(history)} days) "
              f"in {state.home}")
    finally:
        state.close()


if __name__ == "__main__":
    main()
