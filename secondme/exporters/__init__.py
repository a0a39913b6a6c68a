"""Taking data out: portable JSONL, readable Markdown (both plaintext, only on request) and
encrypted backups that restore into a new home."""

from .backup import BackupError, BackupResult, RestoreResult, backup, fingerprint, restore
from .common import ExportError, PlaintextConsentRequired
from .jsonl import ExportResult, export_jsonl
from .markdown import MarkdownExportResult, export_markdown

__all__ = ["BackupError", "BackupResult", "RestoreResult", "backup", "fingerprint", "restore",
           "ExportError", "PlaintextConsentRequired", "ExportResult", "export_jsonl",
           "MarkdownExportResult", "export_markdown"]
