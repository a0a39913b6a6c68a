"""One settings model, one env prefix, every variable documented in docs/CONFIGURATION.md."""

from __future__ import annotations

import re
from pathlib import Path

from secondme.config import (
    ENV_PREFIX,
    SETTING_DOCS,
    Settings,
    env_name,
    environment_markdown,
    environment_variables,
    load_settings,
)

ROOT = Path(__file__).resolve().parents[1]
DOC = ROOT / "docs" / "CONFIGURATION.md"


def test_the_documented_table_is_the_generated_one():
    text = DOC.read_text(encoding="utf-8")
    table = text.split("<!-- env-table:start -->\n")[1].split("<!-- env-table:end -->")[0]
    assert table == environment_markdown()


def test_every_setting_has_a_documented_variable_with_the_one_prefix():
    settable = {f for f in Settings.__dataclass_fields__ if f not in ("home", "extra")}
    assert set(SETTING_DOCS) == settable
    assert all(name.startswith(ENV_PREFIX) for name in environment_variables())


def test_code_reads_no_undocumented_variable():
    documented = set(environment_variables())
    found = set()
    for folder in ("secondme", "storage", "tui"):
        for path in (ROOT / folder).rglob("*.py"):
            found |= set(re.findall(r"SECONDME_[A-Z][A-Z_]*", path.read_text(encoding="utf-8")))
    assert found <= documented, found - documented
    assert "SECONDME_KDF" not in found


def test_every_setting_is_read_from_its_variable(home, monkeypatch):
    values = {"model": "/m.gguf", "n_ctx": "1024", "n_gpu_layers": "0",
              "max_reply_tokens": "64", "temperature": "0.2", "embedding_model": "/e",
              "user_name": "Ana", "assistant_name": "Echo", "tau_days": "3",
              "archive_threshold": "0.1", "retrieval_k": "4", "session_idle_minutes": "5",
              "idle_lock_minutes": "0", "use_keyring": "true", "facts_after_seconds": "5",
              "fixed_replies": "false"}
    assert set(values) == set(SETTING_DOCS)
    for name, value in values.items():
        monkeypatch.setenv(env_name(name), value)
    settings = load_settings(home)
    for name, value in values.items():
        got = getattr(settings, name)
        want = value.lower() in ("1", "true", "yes") if isinstance(got, bool) else \
            type(got)(value)
        assert got == want, name


def test_older_names_still_work_but_the_canonical_one_wins(home, monkeypatch):
    monkeypatch.setenv("SECONDME_USER", "Old")
    assert load_settings(home).user_name == "Old"
    monkeypatch.setenv("SECONDME_USER_NAME", "New")
    assert load_settings(home).user_name == "New"
