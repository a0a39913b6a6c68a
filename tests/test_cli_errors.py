"""The error policy of `secondme.cli.errors.run` and the `secondme.errors` family.

A person's mistake is one line and exit 2; a bug keeps its traceback (it is not the
person's mistake); only real damage is reported as a damaged bank.
"""

from __future__ import annotations

import importlib

import pytest
import typer
from typer.testing import CliRunner

from secondme.cli import app
from secondme.cli.errors import run
from secondme.config import ConfigError
from secondme.consolidation.profile.facts import FactNotFound
from secondme.errors import InvalidInput, MissingFile, NotFound, UserError, means_damage
from secondme.evaluation.formats import FormatError
from secondme.exporters import ExportError, PlaintextConsentRequired
from secondme.memory.service import MemoryNotFound
from secondme.unlock import PassphraseUnavailable
from storage import WrongPassphrase
from storage.sqlcipher import DatabaseError, OperationalError


def _app_raising(exc: BaseException) -> typer.Typer:
    tiny = typer.Typer()

    @tiny.command()
    def boom() -> None:
        raise exc

    @tiny.command()
    def other() -> None:  # a second command keeps `boom` a sub-command
        pass

    return tiny


def _run(exc: BaseException, monkeypatch: pytest.MonkeyPatch) -> int:
    monkeypatch.setattr("sys.argv", ["secondme", "boom"])
    with pytest.raises(SystemExit) as ended:
        run(_app_raising(exc))
    return int(ended.value.code)


@pytest.mark.parametrize("exc", [InvalidInput("bad\ndate"), MemoryNotFound(7),
                                 PlaintextConsentRequired(), WrongPassphrase(),
                                 PassphraseUnavailable("no passphrase")])
def test_user_and_storage_errors_are_one_line_exit_2(exc, monkeypatch, capsys):
    assert _run(exc, monkeypatch) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("error: ")


@pytest.mark.parametrize("exc", [ValueError("a bug"), KeyError("a bug"),
                                 FileNotFoundError("an internal file"),
                                 OperationalError("no such table: memroies"),
                                 DatabaseError("UNIQUE constraint failed")])
def test_a_bug_is_not_shown_as_a_users_mistake(exc, monkeypatch):
    monkeypatch.setattr("sys.argv", ["secondme", "boom"])
    with pytest.raises(type(exc)):
        run(_app_raising(exc))


@pytest.mark.parametrize("message", ["file is not a database",
                                     "database disk image is malformed"])
def test_only_real_damage_is_reported_as_a_damaged_bank(message, monkeypatch, capsys):
    assert _run(DatabaseError(message), monkeypatch) == 3
    err = capsys.readouterr().err
    assert "may be damaged" in err and err.count("\n") == 1


def test_means_damage_tells_damage_from_a_sql_bug():
    assert means_damage(DatabaseError("file is not a database"))
    assert not means_damage(OperationalError('near "SELEC": syntax error'))
    assert not means_damage(OperationalError("database is locked"))


def test_saying_no_and_usage_errors(monkeypatch, capsys):
    assert _run(typer.Abort(), monkeypatch) == 1
    assert _run(typer.BadParameter("nope"), monkeypatch) == 2
    assert capsys.readouterr().err.count("\n") == 2


def test_the_user_facing_errors_are_one_family():
    for cls in (ConfigError, FormatError, ExportError, PlaintextConsentRequired, MemoryNotFound,
                FactNotFound, PassphraseUnavailable, InvalidInput, NotFound, MissingFile):
        assert issubclass(cls, UserError), cls
    # still what library callers catch today
    assert issubclass(InvalidInput, ValueError) and issubclass(NotFound, LookupError)
    assert issubclass(MissingFile, FileNotFoundError)


def test_the_restore_prompt_says_what_it_asks_for(tmp_path, monkeypatch):
    """The second passphrase `restore` asks for is the NEW bank's, and the prompt says so."""
    asked: list[str] = []

    def prompt(label: str, confirm: bool) -> str:
        asked.append(label)
        raise typer.Abort()

    monkeypatch.setattr(importlib.import_module("secondme.cli.app"), "prompt_passphrase", prompt)
    monkeypatch.setenv("SECONDME_BACKUP_PASSPHRASE", "bpw")
    monkeypatch.delenv("SECONDME_PASSPHRASE", raising=False)
    (tmp_path / "b.db").write_bytes(b"")
    CliRunner().invoke(app, ["--home", str(tmp_path / "new"), "restore", str(tmp_path / "b.db")])
    assert asked and "restored bank" in asked[0] and str(tmp_path / "new") in asked[0]
