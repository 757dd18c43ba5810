"""Writes the corpus's images (PNG, JPEG, GIF, WebP of several sizes), drawn by Chromium.

Run once after changing the list; the files are committed (a few KB each), so tests do not
need this script: ``.venv/bin/python tests/corpus/make_images.py``.
"""

from __future__ import annotations

import base64
import struct
from pathlib import Path

from playwright.sync_api import sync_playwright

OUT = Path(__file__).resolve().parent / "ru" / "issues" / "images"
IMAGES = [  # name, width, height, mime type
    ("photo-wide.png", 1200, 800, "image/png"),
    ("chart.jpg", 300, 200, "image/jpeg"),
    ("banner.webp", 800, 240, "image/webp"),
    ("portrait.jpg", 640, 960, "image/jpeg"),
]
DRAW = """([w, h, kind]) => {
  const c = document.createElement('canvas'); c.width = w; c.height = h;
  const g = c.getContext('2d');
  const grad = g.createLinearGradient(0, 0, w, h);
  grad.addColorStop(0, '#1d4f91'); grad.addColorStop(1, '#f0dfa8');
  // PNG is lossless: a flat fill keeps the file small
  g.fillStyle = kind === 'image/png' ? '#1d4f91' : grad; g.fillRect(0, 0, w, h);
  g.fillStyle = '#ffffff'; g.font = Math.round(h / 6) + 'px sans-serif';
  g.fillText(w + ' x ' + h, w / 10, h / 2);
  return c.toDataURL(kind, 0.6);
}"""


def gif(width: int, height: int) -> bytes:
    """A one-colour GIF89a (Chromium's canvas cannot write GIF): uncompressed LZW, a clear
    code before every two pixels keeps the codes 3 bits wide."""
    codes: list[int] = []
    for index in range(width * height):
        if index % 2 == 0:
            codes.append(4)  # clear
        codes.append(0)
    codes.append(5)  # end of information
    bits = 0
    count = 0
    data = bytearray()
    for code in codes:
        bits |= code << count
        count += 3
        while count >= 8:
            data.append(bits & 0xFF)
            bits >>= 8
            count -= 8
    if count:
        data.append(bits & 0xFF)
    blocks = b"".join(bytes([len(data[i:i + 255])]) + bytes(data[i:i + 255])
                      for i in range(0, len(data), 255))
    return (b"GIF89a" + struct.pack("<HHBBB", width, height, 0x80, 0, 0)
            + b"\x1d\x4f\x91\xff\xff\xff"  # palette: two colours
            + b"\x2c" + struct.pack("<HHHHB", 0, 0, width, height, 0)
            + b"\x02" + blocks + b"\x00;")


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path="/usr/bin/chromium",
                                             args=["--headless", "--no-sandbox"])
        page = browser.new_page()
        for name, width, height, kind in IMAGES:
            data = page.evaluate(DRAW, [width, height, kind])
            (OUT / name).write_bytes(base64.b64decode(data.split(",", 1)[1]))
        browser.close()
    (OUT / "icon.gif").write_bytes(gif(40, 40))


if __name__ == "__main__":
    main()
