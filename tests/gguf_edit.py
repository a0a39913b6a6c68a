"""Test helper: copy a GGUF file with one extra string metadata key (e.g. a chat template).

Lets the real-model tests exercise the chat-template path with the only GGUF we ship.
GGUF v2/v3 layout: header, key/values, tensor infos, padding to `general.alignment`,
tensor data. Tensor offsets are relative to the data section, so adding a key only
moves where that section starts.
"""

from __future__ import annotations

import shutil
import struct
from pathlib import Path

_FIXED = {0: 1, 1: 1, 2: 2, 3: 2, 4: 4, 5: 4, 6: 4, 7: 1, 10: 8, 11: 8, 12: 8}
STRING, ARRAY, UINT32 = 8, 9, 4


def _skip_value(buf: bytes, pos: int, kind: int) -> int:
    if kind in _FIXED:
        return pos + _FIXED[kind]
    if kind == STRING:
        (n,) = struct.unpack_from("<Q", buf, pos)
        return pos + 8 + n
    if kind == ARRAY:
        item, count = struct.unpack_from("<IQ", buf, pos)
        pos += 12
        for _ in range(count):
            pos = _skip_value(buf, pos, item)
        return pos
    raise ValueError(f"unknown GGUF value type {kind}")


def _string(text: str) -> bytes:
    raw = text.encode("utf-8")
    return struct.pack("<Q", len(raw)) + raw


def add_string_key(src: Path, dst: Path, key: str, value: str) -> Path:
    with open(src, "rb") as f:
        head = f.read(64 * 1024 * 1024)   # metadata + tensor infos live well within this
    magic, version, n_tensors, n_kv = struct.unpack_from("<4sIQQ", head, 0)
    if magic != b"GGUF" or version < 2:
        raise ValueError("not a GGUF v2+ file")
    pos = 24
    alignment = 32
    for _ in range(n_kv):
        (n,) = struct.unpack_from("<Q", head, pos)
        name = head[pos + 8:pos + 8 + n].decode()
        pos += 8 + n
        (kind,) = struct.unpack_from("<I", head, pos)
        pos += 4
        if name == "general.alignment" and kind == UINT32:
            (alignment,) = struct.unpack_from("<I", head, pos)
        if name == key:
            raise ValueError(f"{key} already present")
        pos = _skip_value(head, pos, kind)
    kv_end = pos
    for _ in range(n_tensors):
        (n,) = struct.unpack_from("<Q", head, pos)
        pos += 8 + n
        (dims,) = struct.unpack_from("<I", head, pos)
        pos += 4 + 8 * dims + 4 + 8
    infos_end = pos
    data_start = -(-infos_end // alignment) * alignment
    new_kv = _string(key) + struct.pack("<I", STRING) + _string(value)
    out = bytearray(struct.pack("<4sIQQ", magic, version, n_tensors, n_kv + 1))
    out += head[24:kv_end] + new_kv + head[kv_end:infos_end]
    out += b"\0" * (-len(out) % alignment)
    with open(src, "rb") as f_in, open(dst, "wb") as f_out:
        f_out.write(out)
        f_in.seek(data_start)
        shutil.copyfileobj(f_in, f_out, 16 * 1024 * 1024)
    return dst
