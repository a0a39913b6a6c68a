"""`secondme doctor`: is everything here and working, offline?"""

from __future__ import annotations

import os
import platform
import sys
import time
from typing import Any

DOCTOR_PROMPT = "The capital of France is"


def _check_llm(settings) -> dict[str, Any]:
    out: dict[str, Any] = {"ok": False}
    try:
        import llama_cpp

        out["llama_cpp_version"] = getattr(llama_cpp, "__version__", "?")
        out["gpu_offload_supported"] = bool(llama_cpp.llama_supports_gpu_offload())
        from .services import load_model

        started = time.perf_counter()
        model = load_model(settings)
        out["load_seconds"] = round(time.perf_counter() - started, 3)
        info = model.info
        out.update(model=info.name, path=info.path, n_ctx=info.n_ctx, device=info.device,
                   gpu_layers=info.gpu_layers, chat_template=bool(info.chat_template))
        started = time.perf_counter()
        pieces = list(model.stream(DOCTOR_PROMPT, max_tokens=16, temperature=0.0))
        elapsed = time.perf_counter() - started
        text = "".join(pieces)
        tokens = model.count_tokens(text)
        out.update(sample=text, tokens=tokens,
                   tokens_per_second=round(tokens / elapsed, 1) if elapsed > 0 else None,
                   ok=tokens > 0)
    except Exception as exc:  # report, don't crash: this is a diagnostic
        out["error"] = f"{type(exc).__name__}: {exc}"
    return out


def _check_embedder(settings) -> dict[str, Any]:
    out: dict[str, Any] = {"ok": False, "offline": os.environ.get("HF_HUB_OFFLINE", "1") == "1"}
    try:
        from .services import load_embedder

        started = time.perf_counter()
        embedder = load_embedder(settings)
        vector = embedder.encode(["offline check"])
        out.update(model=embedder.name, dim=int(vector.shape[1]),
                   load_seconds=round(time.perf_counter() - started, 3),
                   offline=os.environ.get("HF_HUB_OFFLINE") == "1", ok=vector.shape[1] > 0)
    except Exception as exc:
        out["error"] = f"{type(exc).__name__}: {exc}"
    return out


def _check_bank(st) -> dict[str, Any]:
    from storage.bank import BankPaths

    paths = BankPaths(st.home)
    out: dict[str, Any] = {"home": str(st.home), "db_path": str(paths.db),
                           "exists": paths.db.exists()}
    if not paths.db.exists():
        out["ok"] = True
        out["note"] = "no memory bank yet; `secondme init` creates one"
        return out
    try:
        services = st.services()
        out.update(services.bank.integrity())
        out["memories"] = services.memory.count(None)
    except Exception as exc:
        out.update(ok=False, error=f"{type(exc).__name__}: {exc}")
    return out


def model_advice(settings) -> dict[str, Any]:
    """The catalog model that suits this machine's RAM (and GPU), and how to get it."""
    try:
        from .llm.catalog import recommend, total_ram_gb
        from .llm.llama import gpu_offload_supported

        ram = total_ram_gb()
        best = recommend(ram, gpu_offload_supported())
    except Exception as exc:
        return {"error": f"{type(exc).__name__}: {exc}"}
    if best is None:
        return {"ram_gb": ram, "recommended": None}
    return {"ram_gb": None if ram is None else round(ram, 1), "recommended": best.name,
            "title": best.title, "active": settings.model,
            "how": f"secondme model pull {best.name} && secondme model use {best.name}"}


def degraded_log() -> list[dict[str, Any]]:
    """What fell back in this process (kept in memory only, never written to disk)."""
    from .degradation import recent

    return [entry.to_public() for entry in recent()]


def run_checks(st) -> dict[str, Any]:
    settings = st.settings()
    from importlib.metadata import version

    report: dict[str, Any] = {
        "python": sys.version.split()[0],
        "platform": platform.platform(),
        "sqlcipher3": version("sqlcipher3"),
        "llm": _check_llm(settings),
        "embeddings": _check_embedder(settings),
        "bank": _check_bank(st),
        "model_advice": model_advice(settings),
    }
    report["degraded"] = degraded_log()
    report["ok"] = all(report[k].get("ok") for k in ("llm", "embeddings", "bank"))
    return report


def render(report: dict[str, Any]) -> None:
    from rich.console import Console
    from rich.table import Table

    table = Table(title="Second Me doctor", show_lines=False)
    table.add_column("check")
    table.add_column("status")
    table.add_column("details", overflow="fold")
    table.add_row("python", "ok", f"{report['python']} on {report['platform']}")
    llm = report["llm"]
    table.add_row("llm", "ok" if llm.get("ok") else "FAIL",
                  llm.get("error") or f"{llm.get('model')} on {llm.get('device')}, "
                  f"{llm.get('tokens')} tokens at {llm.get('tokens_per_second')} tok/s "
                  f"(GPU offload supported: {llm.get('gpu_offload_supported')})")
    emb = report["embeddings"]
    table.add_row("embeddings", "ok" if emb.get("ok") else "FAIL",
                  emb.get("error") or f"{emb.get('model')} dim {emb.get('dim')}, offline")
    bank = report["bank"]
    table.add_row("memory bank", "ok" if bank.get("ok") else "FAIL",
                  bank.get("error") or bank.get("note") or
                  f"{bank['db_path']}: integrity {bank.get('integrity_check')}, "
                  f"{bank.get('memories')} memories")
    advice = report.get("model_advice") or {}
    if advice.get("recommended"):
        table.add_row("better model", "tip", f"{advice['title']} suits this machine "
                      f"({advice['ram_gb']} GB RAM): {advice['how']}")
    for entry in report.get("degraded", []):
        table.add_row("degraded", "WARN", f"{entry['where']}: {entry['message']}")
    Console().print(table)
