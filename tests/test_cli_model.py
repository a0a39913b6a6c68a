"""`secondme model`: catalog, pull from a hub (a local server in its layout), use, remove."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from secondme.llm.catalog import load_catalog, recommend

from .cli_runner import run
from .hub_server import Hub

REPO = "test-org/tiny-GGUF"


def write_catalog(path: Path, file: str) -> Path:
    path.write_text(f'[tiny]\ntitle = "Tiny test model"\nrepo = "{REPO}"\nfile = "{file}"\n'
                    'size_mb = 1\nlicence = "MIT"\nram_gb = 0.5\nchat_template = true\n')
    return path


@pytest.fixture
def hub():
    server = Hub().start()
    yield server
    server.stop()


def model_env(tmp_path: Path, hub: Hub, file: str) -> dict[str, str]:
    return {"SECONDME_HOME": str(tmp_path / "home"), "SECONDME_PASSPHRASE": "pw",
            "SECONDME_MODEL_CACHE": str(tmp_path / "models"), "HF_ENDPOINT": hub.url,
            "HF_HUB_OFFLINE": "0", "HF_HOME": str(tmp_path / "hf"),
            "HF_HUB_DISABLE_TELEMETRY": "1",
            "SECONDME_MODEL_CATALOG": str(write_catalog(tmp_path / "catalog.toml", file))}


def fake_gguf(path: Path, size: int = 3 * 1024 * 1024 + 17) -> Path:
    path.write_bytes(b"GGUF" + (bytes(range(251)) * (size // 251 + 1))[:size - 4])
    return path


def test_the_shipped_catalog_is_complete_and_ordered_light_to_heavy():
    catalog = load_catalog()
    names = {e.name for e in catalog}
    assert {"qwen2_5-1_5b", "qwen2_5-3b", "qwen2_5-7b", "llama3_2-3b", "gemma3-1b",
            "gemma3-4b", "phi4-mini"} <= names
    assert all(e.repo and e.file.endswith(".gguf") and e.licence for e in catalog)
    assert [e.ram_gb for e in catalog] == sorted(e.ram_gb for e in catalog)
    assert recommend(8.0, gpu=False).ram_gb <= 4.8
    assert recommend(64.0, gpu=True).name == "qwen2_5-7b"
    assert recommend(1.0) is None


def test_pull_resumes_verifies_and_installs(tmp_path, hub):
    # The hub client writes in 10 MB chunks: cut inside the second so the first is kept.
    remote = fake_gguf(tmp_path / "remote.gguf", size=25 * 1024 * 1024 + 3)
    hub.files[f"{REPO}/tiny.gguf"] = remote
    hub.cut_after = 12 * 1024 * 1024
    env = model_env(tmp_path, hub, "tiny.gguf")
    proc = run(["model", "pull", "tiny"], env, check=False)
    if proc.returncode != 0:   # the interruption surfaced: the next pull resumes
        assert "resumes" in proc.stderr or "pull again" in proc.stderr, proc.stderr
        run(["model", "pull", "tiny"], env)
    installed = tmp_path / "models" / "tiny.gguf"
    assert installed.read_bytes() == remote.read_bytes()
    ranges = [r for method, _, r in hub.requests if method == "GET" and r]
    assert ranges and 0 < int(ranges[-1].split("=")[1].split("-")[0]) <= 12 * 1024 * 1024
    full = [r for method, _, r in hub.requests if method == "GET" and not r]
    assert len(full) == 1   # the first transfer; after the cut, only the rest was fetched
    assert not (tmp_path / "models" / ".partial").exists() or \
        not any((tmp_path / "models" / ".partial").rglob("*.gguf"))
    listed = json.loads(run(["model", "list", "--json"], env).stdout)
    assert listed["models"][0]["installed"] and not listed["models"][0]["active"]


def test_a_file_whose_sha256_differs_is_refused_and_nothing_is_left(tmp_path, hub):
    hub.files[f"{REPO}/tiny.gguf"] = fake_gguf(tmp_path / "remote.gguf")
    hub.wrong_sha = True
    proc = run(["model", "pull", "tiny"], model_env(tmp_path, hub, "tiny.gguf"), check=False)
    assert proc.returncode == 2 and "SHA-256 mismatch" in proc.stderr
    assert "Traceback" not in proc.stderr
    models = tmp_path / "models"
    assert not [p for p in models.rglob("*") if p.is_file()] if models.exists() else True


def test_offline_says_so_in_one_line(tmp_path, hub):
    env = {**model_env(tmp_path, hub, "tiny.gguf"), "HF_HUB_OFFLINE": "1"}
    proc = run(["model", "pull", "tiny"], env, check=False)
    assert proc.returncode == 2 and "cannot reach the Hugging Face hub" in proc.stderr
    assert "Traceback" not in proc.stderr
    env = {**env, "HF_HUB_OFFLINE": "0", "HF_ENDPOINT": "http://127.0.0.1:9"}
    proc = run(["model", "pull", "tiny"], env, check=False)
    assert proc.returncode == 2 and "cannot reach the Hugging Face hub" in proc.stderr


def test_use_needs_a_pulled_model_and_remove_goes_back_to_default(tmp_path, hub):
    env = model_env(tmp_path, hub, "tiny.gguf")
    proc = run(["model", "use", "tiny"], env, check=False)
    assert proc.returncode == 2 and "model pull tiny" in proc.stderr
    proc = run(["model", "use", "nope"], env, check=False)
    assert proc.returncode == 2 and "neither a catalog name" in proc.stderr
    hub.files[f"{REPO}/tiny.gguf"] = fake_gguf(tmp_path / "remote.gguf")
    run(["model", "pull", "tiny"], env)
    run(["model", "use", "tiny"], env)
    config = (tmp_path / "home" / "config.toml").read_text()
    assert str(tmp_path / "models" / "tiny.gguf") in config
    info = json.loads(run(["model", "info", "--json"], env).stdout)
    assert info["catalog"]["name"] == "tiny"
    run(["model", "remove", "tiny"], env)
    assert "model" not in (tmp_path / "home" / "config.toml").read_text()
    assert not (tmp_path / "models" / "tiny.gguf").exists()


@pytest.mark.real_model
def test_pull_use_then_ask_answers_with_the_new_file(tmp_path, hub):
    """The "remote" model is the embedded Gemma with a chat template written into it."""
    from secondme.llm.llama import default_model_path
    from secondme.llm.templates import GEMMA_TURNS_TEMPLATE
    from secondme.paths import model_cache_dir

    from .gguf_edit import add_string_key

    remote = add_string_key(default_model_path(model_cache_dir()), tmp_path / "remote.gguf",
                            "tokenizer.chat_template", GEMMA_TURNS_TEMPLATE)
    hub.files[f"{REPO}/tiny-it.gguf"] = remote
    env = model_env(tmp_path, hub, "tiny-it.gguf")
    run(["init"], env)
    run(["model", "pull", "tiny"], env)
    run(["model", "use", "tiny"], env)
    out = json.loads(run(["ask", "Say hello.", "--json", "--no-store"], env).stdout)
    assert out["error"] is None and out["answer"]
    assert out["prompt"]["style"] == "template"   # the pulled file has a template; 270M has not


def test_use_keeps_the_rest_of_config_toml(tmp_path):
    from secondme.config import load_settings
    from secondme.config_edit import write_setting

    home = tmp_path / "home"
    home.mkdir()
    (home / "config.toml").write_text('user_name = "Maria"\nmodel = "/old.gguf"\n\n[extra]\nx = 1\n')
    write_setting(home, "model", "/new model.gguf")
    settings = load_settings(home)
    assert (settings.model, settings.user_name) == ("/new model.gguf", "Maria")
    assert "[extra]\nx = 1" in (home / "config.toml").read_text()
    write_setting(home, "model", None)
    assert load_settings(home).model is None


def test_doctor_says_which_catalog_model_suits_this_machine(tmp_path):
    from secondme.config import load_settings
    from secondme.doctor import model_advice

    advice = model_advice(load_settings(tmp_path))
    assert advice.get("recommended") is None or \
        advice["how"] == f"secondme model pull {advice['recommended']} && " \
                         f"secondme model use {advice['recommended']}"
