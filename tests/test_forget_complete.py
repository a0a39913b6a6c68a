"""Forgetting that forgets (issue 12 items 1, 2, 8, 12-FTS; issue 16 item 2).

After forgetting a memory, a chat turn or a whole import, nothing of its words is found
in any table (read through storage.forgetting.occurrences), in the summaries (history
too), in the next prompt, in a JSONL/Markdown export or in a backup made afterwards.
"""

from __future__ import annotations

import dataclasses
from datetime import datetime
from pathlib import Path

import pytest

from secondme.clock import Clock
from secondme.config import load_settings
from secondme.conversation.session import ChatSession
from secondme.exporters import backup, export_jsonl, export_markdown, restore
from secondme.importers import import_paths
from secondme.jobs import run as run_jobs
from secondme.jobs.runner import JobOptions
from secondme.services import build_services
from secondme.views.profile import profile_view
from secondme.views.summaries import summaries_view
from storage import FAST_KDF, unlock_bank
from storage.forgetting import occurrences

from .fakes import FakeModel, HashingEmbedder


@pytest.fixture
def at(bank, home):
    """Services on the shared bank whose clock says `when` (time moves between steps)."""
    model = FakeModel()

    def make(when: datetime):
        # fixed replies off: the next `ask` must build a prompt for these tests to read
        return build_services(load_settings(home, fixed_replies=False), bank, Clock(when),
                              embedder=HashingEmbedder(), model=model)
    make.model = model
    return make


def jobs(svc) -> None:
    run_jobs(svc, "all", options=JobOptions(use_llm=False))


def summary_texts(svc) -> str:
    return "\n".join(s["text"] for s in summaries_view(svc, history=True))


def fts_segments(svc) -> bytes:
    return b"".join(r[0] or b"" for r in svc.bank.db().execute(
        "SELECT block FROM memories_fts_data"))


def assert_gone(svc, word: str, tmp_path: Path) -> None:
    """Nowhere: tables, summaries, exports, a restored backup."""
    assert occurrences(svc.bank.db(), word) == {}
    assert word not in summary_texts(svc)
    out = tmp_path / "out"
    out.mkdir(exist_ok=True)
    export_jsonl(svc, out / "all.jsonl", plaintext=True)
    assert word.encode() not in (out / "all.jsonl").read_bytes().lower()
    export_markdown(svc, out / "md", plaintext=True)
    for path in (out / "md").rglob("*"):
        if path.is_file():
            assert word.encode() not in path.read_bytes().lower(), path
    backup(svc.bank, out / "bank.backup", "backup-pass", FAST_KDF,
           created_at=svc.clock.now_iso())
    restored = tmp_path / "restored"
    restore(out / "bank.backup", "backup-pass", restored, "home-pass", FAST_KDF)
    with unlock_bank(restored, "home-pass") as copy:
        assert occurrences(copy.db(), word) == {}


# -- 12.1: the only memory of a day -------------------------------------------------------------
def test_forgetting_the_only_memory_of_a_day_deletes_and_rebuilds_its_summaries(at, tmp_path):
    svc = at(datetime(2024, 5, 10, 9, 0))
    secret = svc.memory.remember("DAYONLY xylophage therapist notes about my worries.",
                                 at=datetime(2024, 5, 1, 10, 0))
    svc.memory.remember("I planted tomatoes in the garden with my neighbour.",
                        at=datetime(2024, 5, 3, 10, 0))
    jobs(svc)
    assert "xylophage" in summary_texts(svc)            # day, week and life used it
    levels_before = {s["level"] for s in summaries_view(svc)}
    assert {"day", "week", "life"} <= levels_before

    svc.memory.forget(secret)
    assert "xylophage" not in summary_texts(svc)        # withdrawn at once, history too
    jobs(svc)
    current = summaries_view(svc)
    assert {"day", "week", "life"} <= {s["level"] for s in current}   # rebuilt without it
    assert all("tomatoes" in s["text"] for s in current if s["level"] in ("week", "life"))
    assert "xylophage" not in summary_texts(svc)
    prompt_model = at.model
    ChatSession(svc).reply("What did I write in my therapist notes?")
    assert "xylophage" not in prompt_model.prompts[-1]
    assert_gone(svc, "xylophage", tmp_path)


def test_summaries_an_older_forget_left_behind_are_deleted_at_the_next_run(at):
    from storage import memories as memory_rows

    svc = at(datetime(2024, 5, 10, 9, 0))
    secret = svc.memory.remember("LEGACY zqxlegacy notes.", at=datetime(2024, 5, 1, 10, 0))
    svc.memory.remember("I planted tomatoes in the garden.", at=datetime(2024, 5, 3, 10, 0))
    jobs(svc)
    with svc.bank.write() as db:          # what forget did before: row and links only
        memory_rows.delete_everywhere(db, secret)
    assert "zqxlegacy" in summary_texts(svc)
    jobs(svc)
    assert "zqxlegacy" not in summary_texts(svc)
    assert occurrences(svc.bank.db(), "zqxlegacy") == {}
    assert {"day", "week", "life"} <= {s["level"] for s in summaries_view(svc)}


# -- 12.2: a chat turn ----------------------------------------------------------------------------
def test_forgetting_a_chat_turn_reaches_messages_title_summaries_facts_and_audit(at, tmp_path):
    svc = at(datetime(2024, 5, 1, 12, 0))
    at.model.script = [["Noted: no zqxwalnuts for you."], ["Tea is nice."]]
    chat = ChatSession(svc)
    turn = chat.reply("I am allergic to zqxwalnuts.").turn_memory_id
    chat.reply("I like green tea in the morning.")
    later = at(datetime(2024, 5, 10, 9, 0))
    jobs(later)
    db = later.bank.db()
    assert {"messages", "sessions", "summaries", "profile_facts"} <= \
        set(occurrences(db, "zqxwalnut"))
    assert any("zqxwalnuts" in f["value"] for f in profile_view(later))

    removed = later.memory.forget(turn)
    assert removed["messages"] == 2 and removed["facts"] == 1 and removed["summaries"] >= 3
    assert occurrences(db, "zqxwalnut") == {}
    assert b"qxwalnut" not in fts_segments(later)
    assert not any("zqxwalnuts" in f["value"] for f in profile_view(later, history=True))
    at.model.script = [["I don't know."]]
    ChatSession(later).reply("What am I allergic to?")
    assert "zqxwalnut" not in at.model.prompts[-1].lower()
    jobs(later)                                          # regenerated without it
    assert any(s["level"] == "session" for s in summaries_view(later))
    assert_gone(later, "zqxwalnut", tmp_path)


def test_a_fact_with_other_evidence_keeps_its_value_but_not_the_forgotten_quote(at):
    svc = at(datetime(2024, 5, 1, 12, 0))
    first = svc.memory.remember("Honestly I am allergic to penicillin, zqxrash said so.")
    svc.memory.remember("I am allergic to penicillin.")
    jobs(svc)
    (fact,) = [f for f in profile_view(svc) if "penicillin" in f["value"]]
    assert len(fact["sources"]) == 2
    svc.memory.forget(first)
    (fact,) = [f for f in profile_view(svc) if "penicillin" in f["value"]]
    assert fact["status"] == "active" and len(fact["sources"]) == 1
    assert occurrences(svc.bank.db(), "zqxrash") == {}


# -- 12.8: tombstones ------------------------------------------------------------------------------
def test_a_forgotten_chunk_stays_forgotten_when_its_note_is_reimported(services, tmp_path):
    notes = tmp_path / "vault"
    notes.mkdir()
    note = notes / "diary.md"
    note.write_text("# Monday\n\nI met zqxdoctor about the scan.\n\n# Tuesday\n\nRain all day.\n")
    import_paths(services, [notes])
    db = services.bank.db()
    (chunk,) = [m for m, in db.execute("SELECT id FROM memories WHERE text LIKE '%zqxdoctor%'")]
    services.memory.forget(chunk)
    note.write_text("# Monday\n\nI met zqxdoctor about the scan.\n\n# Tuesday\n\nSun at last.\n")
    report = import_paths(services, [notes])
    assert report.written().get("forgotten") == 1
    assert occurrences(db, "zqxdoctor") == {}
    assert occurrences(db, "sun at last") != {}
    # knowingly re-added: `remember` of the same text works
    services.memory.remember("I met zqxdoctor about the scan.")
    assert "memories" in occurrences(db, "zqxdoctor")


# -- 12.12: kill -9 between the delete and the FTS merge -----------------------------------------------
def test_a_crash_before_the_fts_merge_leaves_no_committed_delete_with_its_tokens(
        services, monkeypatch):
    from storage import forgetting
    from storage import memories as memory_rows

    memory_id = services.memory.remember("zqxkilltoken lives in the segment")
    services.memory.remember("another memory about tea")

    def die(db):
        raise SystemExit("killed")   # like kill -9: nothing after this point runs

    monkeypatch.setattr(forgetting, "merge_fts", die)
    monkeypatch.setattr(memory_rows, "scrub_deleted_text", die)   # where it used to be
    with pytest.raises(SystemExit):
        services.memory.forget(memory_id)
    monkeypatch.undo()
    db = services.bank.db()
    # Either the forget never happened (one transaction) or it is complete; never half.
    assert services.memory.get(memory_id).text.startswith("zqxkilltoken")
    services.memory.forget(memory_id)
    assert b"qxkilltoken" not in fts_segments(services)
    assert occurrences(db, "zqxkilltoken") == {}


# -- 16.2: forget --source ----------------------------------------------------------------------------
def test_forget_source_folder_forgets_the_whole_import_and_counts_it(services, tmp_path):
    vault = tmp_path / "wrong-vault"
    vault.mkdir()
    (vault / "a.md").write_text("# Trip\n\nThe zqxvault trip to the coast.\n")
    (vault / "b.md").write_text("# Plans\n\nMore zqxvault plans for June.\n")
    services.memory.remember("My own memory about tea.")
    import_paths(services, [vault])
    run_jobs(services, "all", options=JobOptions(use_llm=False))
    from secondme.memory.forget_sources import resolve

    selection, label = resolve(services.bank, str(vault))
    planned = services.memory.forget_selection(selection, dry_run=True).as_dict()
    assert planned["memories"] >= 2 and planned["documents"] == 2
    assert occurrences(services.bank.db(), "zqxvault")           # a dry run changes nothing
    done = services.memory.forget_selection(selection).as_dict()
    assert done == planned
    assert occurrences(services.bank.db(), "zqxvault") == {}
    assert occurrences(services.bank.db(), "wrong-vault") == {}  # paths in the audit too
    assert "memories" in occurrences(services.bank.db(), "tea")
    services.settings = dataclasses.replace(services.settings, fixed_replies=False)
    ChatSession(services).reply("What were my plans for June and the coast trip?")
    assert "zqxvault" not in services.model().prompts[-1]
    assert_gone(services, "zqxvault", tmp_path)


def test_forgetting_a_chat_session_removes_it_whole(at, tmp_path):
    from secondme.memory.forget_sources import resolve

    svc = at(datetime(2024, 5, 1, 12, 0))
    chat = ChatSession(svc)
    chat.reply("My zqxsession cat is called Miso.")
    chat.reply("I am allergic to zqxsession pollen.")
    ChatSession(svc).reply("Another conversation about tea.")
    later = at(datetime(2024, 5, 10, 9, 0))
    jobs(later)
    selection, _ = resolve(later.bank, f"session:{chat.session_id}")
    done = later.memory.forget_selection(selection).as_dict()
    assert done["sessions"] == 1 and done["messages"] == 4 and done["memories"] >= 2
    assert_gone(later, "zqxsession", tmp_path)
    jobs(later)
    assert occurrences(later.bank.db(), "zqxsession") == {}
    assert "memories" in occurrences(later.bank.db(), "tea")


KILL_CHILD = """
import os, signal, sys
from pathlib import Path
from datetime import datetime
from secondme.clock import Clock
from secondme.config import load_settings
from secondme.services import build_services
from storage import forgetting, memories, unlock_bank
from tests.fakes import FakeModel, HashingEmbedder

home = Path(sys.argv[1])
bank = unlock_bank(home, "pw")
svc = build_services(load_settings(home), bank, Clock(datetime(2024, 5, 1, 12)),
                     embedder=HashingEmbedder(), model=FakeModel())
victim = svc.memory.remember("zqxkillnine lives in a segment")
svc.memory.remember("another memory about tea")
print(victim, flush=True)
kill = lambda db: os.kill(os.getpid(), signal.SIGKILL)
forgetting.merge_fts = kill
memories.scrub_deleted_text = kill
svc.memory.forget(victim)
"""


def test_kill_9_inside_forget_leaves_it_whole_or_undone(tmp_path):
    import subprocess
    import sys

    from storage import create_bank

    home = tmp_path / "killhome"
    create_bank(home, "pw", FAST_KDF).close()
    root = Path(__file__).resolve().parents[1]
    child = subprocess.run([sys.executable, "-c", KILL_CHILD, str(home)], cwd=root,
                           capture_output=True, text=True, timeout=120)
    assert child.returncode == -9, child.stderr
    victim = int(child.stdout.split()[0])
    with unlock_bank(home, "pw") as bank:
        db = bank.db()
        segments = b"".join(r[0] or b"" for r in db.execute("SELECT block FROM memories_fts_data"))
        still_there = db.execute("SELECT count(*) FROM memories WHERE id = ?",
                                 [victim]).fetchone()[0]
        assert still_there == 1 or b"qxkillnine" not in segments
        assert still_there == 1           # one transaction: the forget simply did not happen


def test_a_forgotten_chatgpt_turn_and_its_messages_stay_forgotten_on_reimport(services,
                                                                              tmp_path):
    import json

    from secondme.importers import parse_chatgpt
    from secondme.memory.forget_sources import resolve

    sample = Path(__file__).resolve().parents[1] / "assets" / "sample-chatgpt.json"
    export = tmp_path / "conversations.json"
    export.write_bytes(sample.read_bytes())
    import_paths(services, [export])
    question = parse_chatgpt(sample.read_bytes(), fallback_time=datetime(2024, 7, 1)) \
        .conversations[0].messages[0].text
    needle = question[:40].lower()
    db = services.bank.db()
    (turn,) = [r[0] for r in db.execute("SELECT id FROM memories WHERE kind = 'turn' AND "
                                        "text LIKE ?", [f"%{question[:40]}%"])]
    services.memory.forget(turn)
    assert occurrences(db, needle) == {}
    data = json.loads(sample.read_text())
    data[1]["title"] = "Porto weekend ideas (renamed)"       # the file changed elsewhere
    export.write_text(json.dumps(data))
    import_paths(services, [export])
    assert occurrences(db, needle) == {}                     # tombstoned: not back
    selection, _ = resolve(services.bank, str(export))
    done = services.memory.forget_selection(selection).as_dict()
    assert done["sessions"] == 4 and done["documents"] == 1
    assert occurrences(db, "porto") == {}
