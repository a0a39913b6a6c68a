"""Fetching a catalog model through `huggingface_hub`, verified before it is installed.

The file is downloaded into a staging folder next to the models (`.partial/`), where an
interrupted download stays so the next `pull` resumes it. Only a file whose SHA-256 equals the
one the hub publishes (its LFS ETag) is moved into place; a mismatch deletes the staging folder
so nothing half-written or unverified is left behind.
"""

from __future__ import annotations

import errno
import hashlib
import re
import shutil
import threading
from collections.abc import Callable
from pathlib import Path

from .catalog import CatalogEntry

SPACE_MARGIN = 256 * 1024 * 1024          # keep this much free besides the file itself
_SHA256 = re.compile(r"^[0-9a-f]{64}$")
Progress = Callable[[int, int], None]     # (bytes so far, total bytes)


class DownloadError(RuntimeError):
    """Why a model could not be fetched, in one line a person can act on."""


def staging_dir(models_dir: Path, entry: CatalogEntry) -> Path:
    return models_dir / ".partial" / re.sub(r"[^A-Za-z0-9._-]", "_", f"{entry.repo}--{entry.file}")


def installed_path(models_dir: Path, entry: CatalogEntry) -> Path:
    return models_dir / entry.file


def _explain(exc: BaseException, entry: CatalogEntry) -> DownloadError:
    from huggingface_hub import errors

    name = type(exc).__name__
    if isinstance(exc, errors.GatedRepoError):
        return DownloadError(
            f"{entry.repo} is gated: accept its licence at https://huggingface.co/{entry.repo} "
            "and log in with `huggingface-cli login`, then pull again")
    if isinstance(exc, OSError) and getattr(exc, "errno", None) == errno.ENOSPC:
        return DownloadError(f"the disk filled up while downloading {entry.file}: free some "
                             "space and pull again (the partial download resumes)")
    if isinstance(exc, errors.OfflineModeIsEnabled | errors.LocalEntryNotFoundError) \
            or "Offline" in name or "Connect" in name or "Timeout" in name \
            or isinstance(exc, ConnectionError):
        return DownloadError(
            "cannot reach the Hugging Face hub (offline, or HF_HUB_OFFLINE=1 is set): connect "
            "to the internet and pull again; a partial download is kept and resumes")
    if isinstance(exc, errors.RepositoryNotFoundError | errors.RemoteEntryNotFoundError):
        return DownloadError(f"{entry.repo}/{entry.file} was not found on the hub")
    return DownloadError(f"download failed: {name}: {exc}")


def remote_file(entry: CatalogEntry) -> tuple[int, str]:
    """(size in bytes, published SHA-256) of the file on the hub."""
    from huggingface_hub import get_hf_file_metadata, hf_hub_url

    try:
        meta = get_hf_file_metadata(hf_hub_url(entry.repo, entry.file, revision=entry.revision))
    except Exception as exc:
        raise _explain(exc, entry) from None
    etag = (meta.etag or "").strip('"').lower()
    if not _SHA256.match(etag):
        raise DownloadError(f"the hub published no SHA-256 for {entry.file}: refusing an "
                            "unverifiable download")
    return int(meta.size or 0), etag


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1024 * 1024), b""):
            digest.update(block)
    return digest.hexdigest()


def _staged_bytes(folder: Path) -> int:
    total = 0
    for path in folder.rglob("*"):
        try:
            if path.is_file():
                total += path.stat().st_size
        except OSError:
            pass
    return total


def pull(entry: CatalogEntry, models_dir: Path, *, progress: Progress | None = None) -> Path:
    """Downloads, verifies and installs `entry`; returns the installed file."""
    target = installed_path(models_dir, entry)
    if target.is_file():
        return target
    size, expected = remote_file(entry)
    models_dir.mkdir(parents=True, exist_ok=True)
    stage = staging_dir(models_dir, entry)
    already = _staged_bytes(stage) if stage.exists() else 0
    free = shutil.disk_usage(models_dir).free
    if free < size - already + SPACE_MARGIN:
        raise DownloadError(f"not enough free space in {models_dir}: {entry.file} needs "
                            f"{size / 1024 ** 3:.1f} GiB, {free / 1024 ** 3:.1f} GiB free")
    stage.mkdir(parents=True, exist_ok=True)
    outcome: dict[str, object] = {}

    def fetch() -> None:
        from huggingface_hub import hf_hub_download

        try:
            outcome["path"] = hf_hub_download(entry.repo, entry.file, revision=entry.revision,
                                              local_dir=stage)
        except BaseException as exc:  # reported on the caller's thread
            outcome["error"] = exc

    worker = threading.Thread(target=fetch, name="secondme-model-pull", daemon=True)
    worker.start()
    while worker.is_alive():
        worker.join(0.2)
        if progress is not None:
            progress(min(_staged_bytes(stage), size), size)
    if "error" in outcome:
        raise _explain(outcome["error"], entry)  # type: ignore[arg-type]
    downloaded = Path(str(outcome["path"]))
    if progress is not None:
        progress(size, size)
    actual = sha256_of(downloaded)
    if actual != expected:
        shutil.rmtree(stage, ignore_errors=True)
        raise DownloadError(f"SHA-256 mismatch for {entry.file} (hub {expected[:12]}…, got "
                            f"{actual[:12]}…): refused, nothing was installed")
    downloaded.replace(target)   # same file system: atomic
    shutil.rmtree(stage, ignore_errors=True)
    return target
