"""`secondme eval` driven as a person would (fake embedder in-process; errors via the entry point)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from secondme.cli import app
from secondme.cli import evaluate as eval_cli

from .fakes import HashingEmbedder

ROOT = Path(__file__).resolve().parents[1]
FIXTURE = Path(__file__).parent / "fixtures" / "locomo_tiny.json"


@pytest.fixture
def fake_embedder(monkeypatch):
    monkeypatch.setattr(eval_cli, "make_embedder", lambda settings: HashingEmbedder())


def invoke(*args: str):
    return CliRunner().invoke(app, ["eval", *args], catch_exceptions=False)


def test_json_report_has_the_promised_shape(fake_embedder, home):
    result = invoke(str(FIXTURE), "--format", "locomo", "--json")
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["questions"] == 7
    assert set(report["retrievers"]) == {"ours", "bm25", "dense"}
    for values in report["retrievers"].values():
        assert {"recall@1", "recall@5", "recall@10", "hit@5", "mrr"} <= set(values)
    assert set(report["by_category"]) == {"1", "2", "3", "4", "5"}
    assert not home.exists()          # no passphrase, no bank: nothing in the user's home


def test_limit_samples_and_custom_k(fake_embedder):
    result = invoke(str(FIXTURE), "--k", "3,1", "--limit-samples", "1", "--json")
    report = json.loads(result.stdout)
    assert report["conversations"] == 1 and report["k"] == [1, 3]
    assert set(report["retrievers"]["ours"]) >= {"recall@1", "recall@3", "hit@3", "mrr"}


def test_human_output_is_a_table(fake_embedder):
    result = invoke(str(FIXTURE), "--ablations")
    assert result.exit_code == 0
    assert "recall@5" in result.stdout and "bm25" in result.stdout
    assert "adversarial" in result.stdout
    assert "ours_dense" in result.stdout


def test_bad_k_is_a_usage_error(fake_embedder):
    result = CliRunner().invoke(app, ["eval", str(FIXTURE), "--k", "five"])
    assert result.exit_code != 0
    assert "--k" in result.output


def _run(args: list[str]) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "secondme", *args], capture_output=True,
                          text=True, cwd=ROOT, env={**os.environ}, stdin=subprocess.DEVNULL)


def test_wrong_format_and_broken_files_fail_clearly(tmp_path):
    proc = _run(["eval", str(FIXTURE), "--format", "generic"])
    assert proc.returncode == 2 and "'conversations' list" in proc.stderr
    broken = tmp_path / "broken.json"
    broken.write_text("[{", encoding="utf-8")
    proc = _run(["eval", str(broken)])
    assert proc.returncode == 2 and "not valid JSON" in proc.stderr
    proc = _run(["eval", str(tmp_path / "missing.json")])
    assert proc.returncode != 0 and "does not exist" in proc.stderr
