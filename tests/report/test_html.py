"""The HTML report as a browser renders it: headless Chromium (Debian's ``chromium``
package, installed by .ci/run) loads the page of the multi-module example; the
test reads the DOM Chromium built (``--dump-dom``) and the pixels it painted
(``--screenshot``).

Without chromium the test skips locally, and fails under CI (``CI=true``), where
.ci/run installs it.
"""
import json
import os
import shutil
import struct
import subprocess
import sys
import zlib
from html.parser import HTMLParser

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
EXAMPLE = os.path.join(ROOT, "examples", "simulate")


def _chromium() -> str:
    path = shutil.which("chromium") or shutil.which("chromium-browser") or \
        (os.path.exists("/usr/bin/chromium") and "/usr/bin/chromium") or None
    if path is None:
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail("chromium is missing under CI: .ci/run installs Debian's chromium package")
        pytest.skip("chromium is not installed (apt-get install chromium); CI runs this test")
    return path


def _browser(chromium: str, *args) -> subprocess.CompletedProcess:
    flags = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
             "--no-first-run", "--hide-scrollbars"]
    return subprocess.run([chromium, *flags, *args], capture_output=True, text=True, timeout=120)


@pytest.fixture(scope="module")
def page(tmp_path_factory):
    chromium = _chromium()
    out = tmp_path_factory.mktemp("html")
    env = dict(os.environ)
    env.pop("PYJIT_KEEP_SMALL", None)
    r = subprocess.run([sys.executable, "-m", "pyjit", "explain", "examples/simulate/main.py", "20",
                        "--html", str(out / "r.html"), "--json", str(out / "r.json")],
                       capture_output=True, text=True, cwd=ROOT, env=env, timeout=300)
    assert r.returncode == 0, r.stderr
    dom = _browser(chromium, "--dump-dom", (out / "r.html").as_uri())
    assert dom.returncode == 0 and "<table" in dom.stdout, dom.stderr[-2000:]
    with open(out / "r.json", encoding="utf-8") as f:
        report = json.load(f)
    return chromium, out, dom.stdout, report


class _Rows(HTMLParser):
    """Rows ``tr.line`` of each ``table.source``: (classes, source cell, note cell)."""

    def __init__(self):
        super().__init__()
        self.files, self.ready = {}, None
        self._file = self._row = self._cell = None
        self._depth = 0   # tables nested in the current source table (region details)

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "body":
            self.ready = a.get("data-ready")
        elif tag == "table" and "source" in a.get("class", "").split():
            self._file = self.files.setdefault(a["data-file"], [])
        elif tag == "table" and self._file is not None:
            self._depth += 1
        elif tag == "tr" and self._file is not None and "line" in a.get("class", "").split():
            self._row = {"classes": set(a["class"].split()), "src": "", "note": ""}
            self._file.append(self._row)
        elif tag == "td" and self._row is not None:
            cls = a.get("class", "")
            self._cell = cls if cls in ("src", "note") else None

    def handle_endtag(self, tag):
        if tag == "td":
            self._cell = None
        elif tag == "tr":
            self._row = None
        elif tag == "table" and self._depth:
            self._depth -= 1
        elif tag == "table":
            self._file = None

    def handle_data(self, data):
        if self._row is not None and self._cell:
            self._row[self._cell] += data


def test_every_source_line_is_rendered(page):
    _, _, dom, _ = page
    rows = _Rows()
    rows.feed(dom)
    assert set(rows.files) == {"main.py", "physics.py", "stats.py"}
    total = 0
    for name, rendered in rows.files.items():
        with open(os.path.join(EXAMPLE, name), encoding="utf-8") as f:
            source = f.read().splitlines()
        assert [r["src"] for r in rendered] == source, name
        total += len(source)
    assert rows.ready == str(total)     # the page's script ran and counted the same rows


def test_break_and_compiled_lines_are_marked(page):
    _, _, dom, report = page
    rows = _Rows()
    rows.feed(dom)
    marked_breaks = 0
    for f in report["functions"]:
        name = os.path.basename(f["filename"])
        rendered = rows.files[name]
        for b in f["graph_breaks"]:
            # a break in an inlined callee marks the caller's statement
            line = b["statement"][0] if b["chain"] else b["lineno"]
            row = rendered[line - 1]
            assert "break" in row["classes"], (name, line)
            assert f"{b['code']} {b['reason']}" in row["note"], (name, line, row["note"])
            marked_breaks += 1
        for r in f["regions"]:
            if r["compiled"] and not r["dropped"]:
                lines = range(r["lines"][0], r["lines"][1] + 1)
                code = [rendered[n - 1] for n in lines if rendered[n - 1]["classes"] & {"compiled", "eager",
                                                                                           "break"}]
                assert code and all("compiled" in row["classes"] for row in code), (name, r["lines"])
                assert f"region {r['number']}: compiled" in rendered[r["lines"][0] - 1]["note"]
    assert marked_breaks >= 6
    for name in ("main.py", "physics.py", "stats.py"):
        kinds = set().union(*(row["classes"] for row in rows.files[name]))
        assert {"compiled", "eager", "break"} <= kinds, name


def test_region_graphs_are_on_the_page(page):
    _, _, dom, report = page
    graphs = [r["graph"] for f in report["functions"] for r in f["regions"]]
    assert dom.count("<details>") == len(graphs)
    first_line = graphs[0].splitlines()[0].replace("<", "&lt;").replace(">", "&gt;")
    assert first_line in dom


def test_screenshot_shows_the_marks(page):
    chromium, out, _, _ = page
    png = out / "report.png"
    r = _browser(chromium, f"--screenshot={png}", "--window-size=1000,3000", "--force-device-scale-factor=0.5",
                 (out / "r.html").as_uri())
    assert png.exists(), r.stderr[-2000:]
    pixels = _png_pixels(png.read_bytes())
    # the background colours of compiled, eager and break lines (html.py's CSS)
    for colour in ((0xdf, 0xf3, 0xe3), (0xfd, 0xf0, 0xdc), (0xfb, 0xda, 0xda)):
        assert pixels.get(colour, 0) > 500, colour


def _png_pixels(data: bytes) -> dict:
    """Colour -> pixel count of an 8-bit RGB or RGBA PNG (what Chromium writes)."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    pos, idat, width = 8, b"", 0
    while pos < len(data):
        length, kind = struct.unpack(">I4s", data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + length]
        if kind == b"IHDR":
            width, height, depth, colour = struct.unpack(">IIBB", body[:10])
            assert depth == 8 and colour in (2, 6)
            bpp = 3 if colour == 2 else 4
        elif kind == b"IDAT":
            idat += body
        pos += 12 + length
    raw = zlib.decompress(idat)
    stride = width * bpp
    prev = bytearray(stride)
    counts: dict = {}
    for y in range(height):
        f, line = raw[y * (stride + 1)], bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
        for i in range(stride):
            a = line[i - bpp] if i >= bpp else 0
            b, c = prev[i], prev[i - bpp] if i >= bpp else 0
            if f == 1:
                line[i] = (line[i] + a) & 255
            elif f == 2:
                line[i] = (line[i] + b) & 255
            elif f == 3:
                line[i] = (line[i] + (a + b) // 2) & 255
            elif f == 4:
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                line[i] = (line[i] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
        for x in range(0, stride, bpp):
            key = (line[x], line[x + 1], line[x + 2])
            counts[key] = counts.get(key, 0) + 1
        prev = line
    return counts


def test_missing_chromium_skips_locally_and_fails_under_ci(monkeypatch):
    monkeypatch.setattr(shutil, "which", lambda name: None)
    monkeypatch.setattr(os.path, "exists", lambda path: False)
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception):
        _chromium()
    monkeypatch.delenv("CI")
    with pytest.raises(pytest.skip.Exception):
        _chromium()
