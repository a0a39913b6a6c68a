"""A symbolic link inside an imported folder is never followed (issue 12 item 9)."""

from __future__ import annotations

from pathlib import Path

import pytest

from secondme.importers import import_paths

SECRET = "root:x:0:0:PLANTEDSECRETPASSWD"


@pytest.fixture
def vault_with_links(tmp_path: Path) -> Path:
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "passwd.txt").write_text(SECRET + "\n")
    (outside / "folder").mkdir()
    (outside / "folder" / "deep.md").write_text("# Deep\nOUTSIDEFOLDERTEXT\n")
    vault = tmp_path / "vault"
    vault.mkdir()
    (vault / "real.md").write_text("# Real\nA real note about the garden.\n")
    (vault / "leak.md").symlink_to(outside / "passwd.txt")
    (vault / "linked-folder").symlink_to(outside / "folder", target_is_directory=True)
    (vault / "alias.md").symlink_to(vault / "real.md")
    (vault / "dangling.md").symlink_to(tmp_path / "nowhere.md")
    return vault


def _texts(services) -> str:
    return " ".join(r["text"] for r in services.bank.db().query("SELECT text FROM memories"))


def test_a_link_to_a_file_outside_the_vault_is_skipped_with_a_reason(services, vault_with_links):
    report = import_paths(services, [vault_with_links])
    assert SECRET not in _texts(services) and "PLANTEDSECRET" not in _texts(services)
    assert "OUTSIDEFOLDERTEXT" not in _texts(services)
    by_name = {Path(o.path).name: o for o in report.outcomes}
    assert by_name["leak.md"].status == "skipped"
    assert "outside the imported folder" in by_name["leak.md"].reason
    assert by_name["linked-folder"].status == "skipped"
    assert "outside the imported folder" in by_name["linked-folder"].reason
    # A link pointing inside is skipped too (its target is imported once, on its own).
    assert by_name["alias.md"].status == "skipped" and "inside" in by_name["alias.md"].reason
    assert by_name["dangling.md"].status == "skipped"
    assert by_name["real.md"].status == "imported"
    assert _texts(services).count("real note about the garden") == 1


def test_a_link_named_explicitly_is_the_persons_choice(services, tmp_path, vault_with_links):
    report = import_paths(services, [vault_with_links / "alias.md"])
    assert report.totals()["imported"] == 1
