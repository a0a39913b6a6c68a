"""`secondme demo`: the sample data in a throwaway bank, never in the real one (issue 16.7)."""

from __future__ import annotations

import json
from pathlib import Path

from .cli_runner import run


def test_demo_builds_its_own_bank_and_leaves_the_real_one_alone(home: Path, tmp_path: Path):
    env = {"SECONDME_HOME": str(home), "SECONDME_PASSPHRASE": "pw"}
    run(["init"], env)
    run(["remember", "my own note about the garden"], env)
    before = sorted(p.name for p in home.iterdir())

    out = json.loads(run(["demo", "--json"], env).stdout)
    demo_home = Path(out["home"])
    assert demo_home != home and home not in demo_home.parents and out["imported"]["imported"] > 0

    sample = run(["--home", str(demo_home), "search", "Porto", "--mode", "bm25", "--json"],
                 {**env, "SECONDME_PASSPHRASE": out["passphrase"]}).stdout
    assert json.loads(sample)["hits"], "the demo bank holds the sample vault"
    mine = json.loads(run(["search", "Porto", "--mode", "bm25", "--json", "--all"], env).stdout)
    assert mine["hits"] == [], "nothing of the samples reached the real bank"
    assert sorted(p.name for p in home.iterdir()) == before

    text = run(["demo", "--into", str(tmp_path / "named-demo")], env).stdout
    assert f"--home {tmp_path / 'named-demo'}" in text and "not touched" in text


def test_demo_refuses_the_real_home_and_a_folder_in_use(home: Path, tmp_path: Path):
    env = {"SECONDME_HOME": str(home), "SECONDME_PASSPHRASE": "pw"}
    run(["init"], env)
    used = tmp_path / "used"
    used.mkdir()
    (used / "something.txt").write_text("mine")
    for target, expected in ((home, "never goes into"), (used, "not an empty folder")):
        proc = run(["demo", "--into", str(target)], env, check=False)
        assert proc.returncode == 2 and expected in proc.stderr, proc.stderr
        assert len(proc.stderr.strip().splitlines()) == 1
