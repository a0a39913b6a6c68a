"""bench/run_all.py: which scripts run, and how docs/BENCHMARKS.md is rewritten."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
_spec = importlib.util.spec_from_file_location("run_all", ROOT / "bench" / "run_all.py")
run_all = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(run_all)

DOC = """# Benchmarks

Intro written by hand.

## Import (bench/import.py)

Hand-written prose.

| old | table |
|---|---|

## Retrieval quality on the dev set (bench/eval_devset.py)

Prose about the dev set.

<!-- bench:eval_devset:start -->
old numbers
<!-- bench:eval_devset:end -->

Closing remark.
"""


def test_discovery_skips_tools_and_scripts_without_output(tmp_path):
    (tmp_path / "retrieval.py").write_text('OUT = ROOT / "bench" / "out" / "retrieval.json"')
    (tmp_path / "notes.py").write_text("print('hello')")
    (tmp_path / "make_data.py").write_text("# writes bench/out/x.json")
    (tmp_path / "sweep_x.py").write_text("# writes bench/out/x.json")
    (tmp_path / "run_all.py").write_text("# bench/out")
    scripts = run_all.discover(tmp_path)
    assert [p.name for p in scripts] == ["retrieval.py"]
    assert run_all.is_result(Path("out/retrieval.json"), scripts)
    assert run_all.is_result(Path("out/retrieval_quality.json"), scripts)
    assert not run_all.is_result(Path("out/locomo_synth.json"), scripts)


def test_blocks_are_replaced_and_prose_is_kept():
    doc = run_all.update_doc(DOC, "Machine X.", {"eval_devset": "| new |", "import": "| imp |"})
    assert doc.count("<!-- bench:machine:start -->") == 1
    assert doc.index("Machine X.") < doc.index("## Import")          # in the intro
    assert "old numbers" not in doc and "| new |" in doc
    assert "Prose about the dev set." in doc and "Closing remark." in doc
    assert "Hand-written prose." in doc and "| old | table |" in doc
    # the import block lands at the end of its own section, before the next heading
    imp = doc.index("<!-- bench:import:start -->")
    assert doc.index("| old | table |") < imp < doc.index("## Retrieval quality")
    again = run_all.update_doc(doc, "Machine Y.", {"eval_devset": "| newer |",
                                                   "import": "| imp |"})
    assert again.count("<!-- bench:import:start -->") == 1
    assert "Machine Y." in again and "Machine X." not in again and "| newer |" in again


def test_a_second_result_of_a_script_goes_into_that_scripts_section():
    doc = run_all.update_doc(DOC, "M.", {"import_big": "| big |"}, scripts={"import_big": "import"})
    assert doc.index("## Import") < doc.index("| big |") < doc.index("## Retrieval quality")


def test_unknown_sections_are_appended_and_an_empty_doc_gets_an_intro():
    doc = run_all.update_doc("", "M.", {"chat": "| c |"}, {"chat": "Chat speed"})
    assert doc.startswith("# Benchmarks")
    assert "## Chat speed (bench/chat.py)" in doc
    assert doc.index("<!-- bench:machine:start -->") < doc.index("## Chat speed")


def test_generic_rendering_of_a_json_without_markdown(tmp_path):
    data = {"notes": 2000, "runs": [{"run": "first", "seconds": 5.6}, {"run": "again",
                                                                         "seconds": 0.24}],
            "with_jobs": {"p99_ms": 65.91}, "machine": {"cpu": "x"}}
    path = tmp_path / "import.json"
    path.write_text(json.dumps(data))
    name, body = run_all.section_for(path, "2026-01-01")
    assert name == "import"
    assert "| run | seconds |" in body and "| first | 5.6 |" in body
    assert "| with_jobs.p99_ms | 65.91 |" in body and "| notes | 2,000 |" in body
    assert "cpu" not in body
    path.write_text(json.dumps({"section": "eval_devset", "markdown": "| mine |"}))
    assert run_all.section_for(path, "x") == ("eval_devset", "| mine |")


def test_machine_block_names_the_hardware():
    info = run_all.machine()
    assert info["cores"] and info["python"]
    text = run_all.machine_block(info, "2026-01-01 10:00", 1.5,
                                 [{"script": "a.py", "seconds": 3.0, "ok": False}])
    assert "cores" in text and "2026-01-01 10:00" in text and "`a.py` 3 s (failed)" in text
