"""summary.html as an instructor sees it: rendered by headless Chromium, screenshot inspected.

Skipped when Chromium is not installed (``apt-get install chromium``).
"""

from __future__ import annotations

import shutil
import struct
import subprocess
import zlib
from pathlib import Path

import pytest

from grader.summary import render_html, summarize

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
pytestmark = pytest.mark.skipif(CHROMIUM is None, reason="Chromium is not installed "
                                                         "(apt-get install chromium)")
RED, GREEN = (0xC0, 0x39, 0x2B), (0x2E, 0x8B, 0x57)


def _report(score: float, passed: list[bool], status: str = "graded") -> dict:
    tests = [{"name": f"check {i}", "number": f"{1 + i // 2}.{1 + i % 2}",
              "score": 2.5 if ok else 0.0, "max_score": 2.5,
              "status": "passed" if ok else "failed", "output": "", "visibility": "visible",
              "tags": ["public"], "part": str(1 + i // 2)} for i, ok in enumerate(passed)]
    parts = [{"id": str(k), "title": f"Part {k}",
              "score": sum(t["score"] for t in tests if t["part"] == str(k)), "max_score": 5.0,
              "passed": sum(t["status"] == "passed" for t in tests if t["part"] == str(k)),
              "tests": 2} for k in (1, 2)]
    return {"assignment": "demo", "score": score, "max_score": 10.0, "status": status,
            "output": "Score", "tests": tests, "parts": parts}


def _class() -> dict[str, dict]:
    """Sixteen students who pass part 1 and nearly all fail part 2, four whose code broke."""
    reports = {f"s{i:02d}": _report(5.0 + 2.5 * (i == 0), [True, True, i == 0, False])
               for i in range(16)}
    reports.update({f"z{i}": _report(0.0, [False] * 4, "import-error") for i in range(4)})
    return reports


def _png_pixels(data: bytes) -> tuple[int, int, list[bytes]]:
    """Width, height and RGB(A) rows of an 8-bit non-interlaced PNG (what Chromium writes)."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    pos, idat, header = 8, b"", None
    while pos < len(data):
        length, kind = struct.unpack(">I4s", data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + length]
        if kind == b"IHDR":
            header = struct.unpack(">IIBBBBB", body)
        elif kind == b"IDAT":
            idat += body
        pos += 12 + length
    assert header is not None
    width, height, depth, color, _, _, interlace = header
    assert depth == 8 and interlace == 0 and color in (2, 6)
    bpp = 3 if color == 2 else 4
    raw = zlib.decompress(idat)
    stride = width * bpp
    rows: list[bytes] = []
    prev = bytearray(stride)
    for y in range(height):
        f = raw[y * (stride + 1)]
        line = bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
        for x in range(stride):
            a = line[x - bpp] if x >= bpp else 0
            b = prev[x]
            c = prev[x - bpp] if x >= bpp else 0
            if f == 1:
                line[x] = (line[x] + a) & 0xFF
            elif f == 2:
                line[x] = (line[x] + b) & 0xFF
            elif f == 3:
                line[x] = (line[x] + (a + b) // 2) & 0xFF
            elif f == 4:
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                pred = a if pa <= pb and pa <= pc else (b if pb <= pc else c)
                line[x] = (line[x] + pred) & 0xFF
        rows.append(bytes(line))
        prev = line
    return width, height, [bytes(r[i:i + 3]) for r in rows for i in range(0, stride, bpp)]


@pytest.mark.slow
def test_summary_page_renders_its_charts_in_chromium(tmp_path: Path):
    """Chromium renders the page without scripts or fetches: the DOM holds the three charts and
    the screenshot shows red bars (the broken submissions, the failed part) and green ones (the
    part everyone passed)."""
    page = tmp_path / "summary.html"
    page.write_text(render_html(summarize(_class())))
    url = page.as_uri()
    base = [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
            "--window-size=1000,1600"]
    dom = subprocess.run([*base, "--dump-dom", url], capture_output=True, text=True,
                         timeout=60, check=True).stdout
    assert dom.count("<svg") == 3
    assert "Most of the class failed" in dom and "2.1 check 2: 1 of 20 passed" in dom
    shot = tmp_path / "shot.png"
    subprocess.run([*base, f"--screenshot={shot}", url], capture_output=True, timeout=60,
                   check=True)
    width, height, pixels = _png_pixels(shot.read_bytes())
    assert (width, height) == (1000, 1600)
    colors = {bytes(c) for c in (RED, GREEN)}
    counts = {c: 0 for c in colors}
    for px in pixels:
        if px in counts:
            counts[px] += 1
    # Bars are solid fills: thousands of pixels of each colour, not a stray anti-aliased edge.
    assert all(n > 2000 for n in counts.values()), counts
    assert len(set(pixels)) > 20  # text and charts, not a blank page
