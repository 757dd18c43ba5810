"""An image file's pixel size, read from its header (PNG, JPEG, GIF, WebP), without Pillow.

Outlook for Windows ignores CSS ``max-width`` and shows an image at the width of its
``width`` attribute, or at its own size when there is none: a 1200 px photo blows the 600 px
layout apart. The body therefore gives every local image ``width="N"``, its own width capped
at the content column. Reading the few header bytes is all that needs; a truncated or
unknown file gives ``None`` (no attribute, as before), never an error.
"""

from __future__ import annotations

import struct
from pathlib import Path

CONTENT_WIDTH = 552  # the 600 px container less the content cell's 24 px padding each side

_JPEG_SOF = {0xC0, 0xC1, 0xC2, 0xC3, 0xC5, 0xC6, 0xC7, 0xC9, 0xCA, 0xCB, 0xCD, 0xCE, 0xCF}


def image_size(path: Path) -> tuple[int, int] | None:
    """(width, height) in pixels, or None when the file is missing, short or not an image."""
    try:
        with path.open("rb") as handle:
            head = handle.read(64)
            if head.startswith(b"\xff\xd8"):
                handle.seek(2)
                return _jpeg(handle)
    except OSError:
        return None
    return _png(head) or _gif(head) or _webp(head)


def email_width(path: Path, limit: int = CONTENT_WIDTH) -> int | None:
    """The ``width`` attribute an image gets: its own width, at most ``limit``."""
    size = image_size(path)
    if size is None or size[0] <= 0:
        return None
    return min(size[0], limit)


def _png(head: bytes) -> tuple[int, int] | None:
    if head.startswith(b"\x89PNG\r\n\x1a\n") and head[12:16] == b"IHDR" and len(head) >= 24:
        width, height = struct.unpack(">II", head[16:24])
        return width, height
    return None


def _gif(head: bytes) -> tuple[int, int] | None:
    if head[:6] in (b"GIF87a", b"GIF89a") and len(head) >= 10:
        width, height = struct.unpack("<HH", head[6:10])
        return width, height
    return None


def _webp(head: bytes) -> tuple[int, int] | None:
    if len(head) < 30 or head[:4] != b"RIFF" or head[8:12] != b"WEBP":
        return None
    chunk = head[12:16]
    if chunk == b"VP8 " and head[23:26] == b"\x9d\x01\x2a":
        width, height = struct.unpack("<HH", head[26:30])
        return width & 0x3FFF, height & 0x3FFF
    if chunk == b"VP8L" and head[20] == 0x2F:
        bits = int.from_bytes(head[21:25], "little")
        return (bits & 0x3FFF) + 1, ((bits >> 14) & 0x3FFF) + 1
    if chunk == b"VP8X":
        width = int.from_bytes(head[24:27], "little") + 1
        height = int.from_bytes(head[27:30], "little") + 1
        return width, height
    return None


def _jpeg(handle) -> tuple[int, int] | None:  # type: ignore[no-untyped-def]
    """Walk the JPEG markers to the first start-of-frame segment, which holds the size."""
    for _ in range(10_000):  # bounded: a corrupt file cannot loop forever
        byte = handle.read(1)
        while byte == b"\xff":  # fill bytes before a marker
            byte = handle.read(1)
        if not byte:
            return None
        marker = byte[0]
        if marker in (0xD8, 0x01) or 0xD0 <= marker <= 0xD7:  # no length field
            continue
        length_bytes = handle.read(2)
        if len(length_bytes) < 2:
            return None
        length = struct.unpack(">H", length_bytes)[0]
        if marker in _JPEG_SOF:
            data = handle.read(5)
            if len(data) < 5:
                return None
            height, width = struct.unpack(">HH", data[1:5])
            return width, height
        if length < 2:
            return None
        handle.seek(length - 2, 1)
        nxt = handle.read(1)
        if nxt != b"\xff":
            return None
    return None
