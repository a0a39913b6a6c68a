"""import / export / backup / restore / timeline, driven through the real entry point."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from .bankdata import copy_vault
from .cli_runner import run

ROOT = Path(__file__).resolve().parents[1]
ASSETS = ROOT / "assets"




@pytest.fixture
def env(home: Path) -> dict[str, str]:
    return {"SECONDME_HOME": str(home), "SECONDME_PASSPHRASE": "pw", "SECONDME_NOW": "2024-07-01"}


@pytest.fixture
def vault(tmp_path: Path) -> Path:
    return copy_vault(tmp_path)


def import_json(paths, env) -> dict:
    return json.loads(run(["import", *map(str, paths), "--json"], env).stdout)


def counts(env) -> dict[str, int]:
    """Row counts as the timeline and an export see them (export to a throwaway file)."""
    out = Path(env["SECONDME_HOME"]).parent / f"count-{os.urandom(4).hex()}.jsonl"
    data = json.loads(run(["export", "--plaintext", "--out", str(out), "--json"], env).stdout)
    out.unlink()
    return {k: data["counts"][k] for k in ("memory", "message", "session", "summary", "fact")}


def test_import_is_honest_then_unchanged_then_updates_one_note(env, vault, home):
    run(["init"], env)
    first = import_json([vault, ASSETS / "sample-chatgpt.json"], env)
    assert first["totals"]["imported"] >= 31 and first["totals"]["failed"] == 2
    assert first["totals"]["skipped"] == 1
    assert set(first["failed_reasons"]) and all("UTF-8" in r or "YAML" in r
                                                for r in first["failed_reasons"])
    again = import_json([vault, ASSETS / "sample-chatgpt.json"], env)
    assert again["totals"]["unchanged"] == first["totals"]["imported"]
    assert again["totals"]["imported"] == again["totals"]["updated"] == 0
    note = vault / "Daily" / "2024-04-28.md"
    note.write_text(note.read_text() + "\nAlso sowed coriander.\n")
    third = import_json([vault, ASSETS / "sample-chatgpt.json"], env)
    assert third["totals"]["updated"] == 1
    assert [f["path"] for f in third["files"] if f["status"] == "updated"] == [str(note)]
    # Nothing readable landed in the home.
    for path in home.rglob("*"):
        if path.is_file():
            assert b"Tremo\xc3\xa7o" not in path.read_bytes(), path


def test_human_summary_lists_reasons(env, vault):
    run(["init"], env)
    proc = run(["import", str(vault)], env)
    assert "Import finished:" in proc.stdout and "2 failed" in proc.stdout
    assert "not valid UTF-8" in proc.stdout and "attachment (not a note)" in proc.stdout


def test_import_of_only_bad_input_exits_nonzero(env, tmp_path):
    run(["init"], env)
    bad = tmp_path / "bad.json"
    bad.write_text("{nope")
    proc = run(["import", str(bad)], env, check=False)
    assert proc.returncode == 1 and "malformed JSON" in proc.stdout


def test_export_needs_plaintext_and_round_trips_into_a_fresh_home(env, vault, tmp_path):
    run(["init"], env)
    run(["import", str(vault), str(ASSETS / "sample-chatgpt.json")], env)
    run(["remember", "My sister Mia lives in Porto."], env)
    refused = run(["export", "--format", "jsonl"], env, check=False, cwd=tmp_path)
    assert refused.returncode == 2 and "--plaintext" in refused.stderr
    assert list(tmp_path.glob("secondme-export-*")) == []
    done = run(["export", "--format", "jsonl", "--plaintext"], env, cwd=tmp_path)
    written = list(tmp_path.glob("secondme-export-*.jsonl"))
    assert len(written) == 1 and str(written[0]) in done.stdout and "NOT encrypted" in done.stdout

    fresh = {**env, "SECONDME_HOME": str(tmp_path / "fresh")}
    run(["init"], fresh)
    report = import_json([written[0]], fresh)
    assert report["totals"]["imported"] == 1
    assert counts(fresh) == counts(env)


def test_markdown_export(env, vault, tmp_path):
    run(["init"], env)
    run(["import", str(vault)], env)
    out = tmp_path / "md"
    data = json.loads(run(["export", "--format", "markdown", "--plaintext", "--out", str(out),
                           "--json"], env).stdout)
    assert data["path"] == str(out) and data["months"] >= 6
    assert "## Friday 15 March 2024" in (out / "2024" / "2024-03.md").read_text()


def test_backup_and_restore_via_cli(env, vault, tmp_path):
    run(["init"], env)
    run(["import", str(vault), str(ASSETS / "sample-chatgpt.json")], env)
    target = tmp_path / "bank.backup"
    no_pw = run(["backup", str(target)], env, check=False)
    assert no_pw.returncode == 2 and "SECONDME_BACKUP_PASSPHRASE" in no_pw.stderr
    benv = {**env, "SECONDME_BACKUP_PASSPHRASE": "backup-pw"}
    made = json.loads(run(["backup", str(target), "--json"], benv).stdout)
    assert made["verified"] and made["encrypted"] and Path(made["key_file"]).exists()
    assert target.stat().st_mode & 0o077 == 0

    refuse = run(["restore", str(target)], benv, check=False)  # the live home is not empty
    assert refuse.returncode == 2 and "already exists" in refuse.stderr
    new_home = {**benv, "SECONDME_HOME": str(tmp_path / "restored"), "SECONDME_PASSPHRASE": "pw2"}
    wrong = run(["restore", str(target)], {**new_home, "SECONDME_BACKUP_PASSPHRASE": "x"},
                check=False)
    assert wrong.returncode == 2 and "wrong backup passphrase" in wrong.stderr
    restored = json.loads(run(["restore", str(target), "--json"], new_home).stdout)
    assert restored["counts"] == made["counts"]
    assert restored["fingerprint"] == made["fingerprint"]
    assert counts(new_home) == counts(env)


def test_timeline_json_and_table(env, vault):
    run(["init"], env)
    run(["import", str(vault), str(ASSETS / "sample-chatgpt.json")], env)
    data = json.loads(run(["timeline", "--level", "month", "--json"], env).stdout)
    keys = [p["key"] for p in data["periods"]]
    assert keys == ["2024-01", "2024-02", "2024-03", "2024-04", "2024-05", "2024-06"]
    march = data["periods"][2]
    assert march["by_kind"]["turn"] == 2 and march["by_source"]["import:chatgpt"] == 2
    assert march["summary"] is None and 0 <= march["mean_retention"] <= 1
    table = run(["timeline", "--level", "week", "--from", "2024-05-01", "--to", "2024-05-31"],
                env).stdout
    assert "2024-W20" in table and "2024-03" not in table
    bad = run(["timeline", "--from", "soon"], env, check=False)
    assert bad.returncode == 2 and "ISO" in bad.stderr
