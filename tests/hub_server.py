"""Test helper: a local HTTP server in the Hugging Face hub's layout, for `secondme model pull`.

Implements what `hf_hub_download` needs: HEAD and GET of `/{repo}/resolve/{rev}/{file}`
with `X-Repo-Commit`, `ETag`/`X-Linked-Etag` (the SHA-256), `X-Linked-Size` and byte ranges.
It can cut the first GET short (to test resuming) and publish a wrong SHA-256.
"""

from __future__ import annotations

import hashlib
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

COMMIT = "0123456789abcdef0123456789abcdef01234567"


@dataclass
class Hub:
    files: dict[str, Path] = field(default_factory=dict)     # "repo/file" → local file
    wrong_sha: bool = False
    cut_after: int | None = None                              # bytes of the first GET
    requests: list[tuple[str, str, str | None]] = field(default_factory=list)
    _server: ThreadingHTTPServer | None = None

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def sha256(self, path: Path) -> str:
        if self.wrong_sha:
            return "0" * 64
        return hashlib.sha256(path.read_bytes()).hexdigest()

    def start(self) -> Hub:
        hub = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args) -> None:
                return None

            def _resolve(self) -> Path | None:
                parts = self.path.split("?")[0].strip("/").split("/")
                if len(parts) < 5 or parts[2] != "resolve":
                    return None
                return hub.files.get(f"{parts[0]}/{parts[1]}/{'/'.join(parts[4:])}")

            def _head(self, path: Path, length: int, start: int, partial: bool) -> None:
                self.send_response(206 if partial else 200)
                size = path.stat().st_size
                digest = hub.sha256(path)
                self.send_header("X-Repo-Commit", COMMIT)
                self.send_header("ETag", f'"{digest}"')
                self.send_header("X-Linked-Etag", f'"{digest}"')
                self.send_header("X-Linked-Size", str(size))
                self.send_header("Accept-Ranges", "bytes")
                self.send_header("Content-Length", str(length))
                if partial:
                    self.send_header("Content-Range", f"bytes {start}-{size - 1}/{size}")
                self.end_headers()

            def do_HEAD(self) -> None:  # noqa: N802
                hub.requests.append(("HEAD", self.path, None))
                path = self._resolve()
                if path is None:
                    self.send_error(404)
                    return
                self._head(path, path.stat().st_size, 0, False)

            def do_GET(self) -> None:  # noqa: N802
                ranged = self.headers.get("Range")
                hub.requests.append(("GET", self.path, ranged))
                path = self._resolve()
                if path is None:
                    self.send_error(404)
                    return
                size = path.stat().st_size
                start = int(ranged.split("=")[1].split("-")[0]) if ranged else 0
                self._head(path, size - start, start, bool(ranged))
                cut = hub.cut_after
                with open(path, "rb") as f:
                    f.seek(start)
                    sent = 0
                    while block := f.read(1 << 20):
                        if cut is not None and sent + len(block) > cut:
                            hub.cut_after = None   # only the first transfer is cut
                            self.wfile.write(block[:max(0, cut - sent)])
                            self.wfile.flush()
                            self.close_connection = True
                            return
                        self.wfile.write(block)
                        sent += len(block)

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
