"""A child process that writes ledger batches until killed (crash tests)."""

from __future__ import annotations

import sys
from pathlib import Path

from storage import unlock_bank

BATCH = 20


def main(home: str, passphrase: str) -> None:
    bank = unlock_bank(Path(home), passphrase)
    batch = bank.db().execute(
        "SELECT coalesce(max(CAST(value AS INTEGER)), 0) FROM meta WHERE key = 'ledger'"
    ).fetchone()[0]
    print("ready", flush=True)
    while True:
        batch += 1
        with bank.write() as db:
            for i in range(BATCH):
                db.execute(
                    "INSERT INTO memories (kind, text, event_at, recorded_at, source, "
                    "last_reinforced_at, trust, content_hash, meta) VALUES "
                    "('note', ?, '2024-01-01T00:00:00', '2024-01-01T00:00:00', 'crash-test', "
                    "'2024-01-01T00:00:00', 'import', ?, ?)",
                    [f"batch {batch} row {i} " + "x" * 400, f"{batch}-{i}",
                     f'{{"batch": {batch}}}'])
            db.execute("INSERT OR REPLACE INTO meta(key, value) VALUES ('ledger', ?)", [str(batch)])


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
