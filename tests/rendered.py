"""What LibreOffice shows: a workbook rendered to PDF, its words with their boxes (pdftotext) and
its pixels (pdftoppm), so tests can ask which cells are filled red or yellow, and what each
printed page's header and footer say."""

from __future__ import annotations

import re
import shutil
import subprocess
from dataclasses import dataclass
from html import unescape
from pathlib import Path

import numpy as np
import pytest

RED = (0xFF, 0xC7, 0xCE)
YELLOW = (0xFF, 0xEB, 0x9C)
DPI = 100

_WORD = re.compile(
    r'<word xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="([\d.]+)">([^<]*)</word>'
)


@dataclass(frozen=True)
class Word:
    x0: float
    y0: float
    x1: float
    y1: float
    text: str

    @property
    def cx(self) -> float:
        return (self.x0 + self.x1) / 2

    @property
    def cy(self) -> float:
        return (self.y0 + self.y1) / 2


def to_pdf(soffice: str, path: Path, out: Path) -> Path:
    if shutil.which("pdftotext") is None or shutil.which("pdftoppm") is None:
        pytest.skip("poppler-utils is not installed")
    profile = out / "profile"
    subprocess.run(
        [soffice, f"-env:UserInstallation={profile.as_uri()}", "--headless", "--convert-to", "pdf",
         "--outdir", str(out), str(path)],
        check=True, capture_output=True, timeout=300,
    )  # fmt: skip
    pdf = out / (path.stem + ".pdf")
    assert pdf.read_bytes().startswith(b"%PDF")
    return pdf


def page_count(pdf: Path) -> int:
    info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True, check=True)
    return int(re.search(r"Pages:\s+(\d+)", info.stdout).group(1))  # type: ignore[union-attr]


def page_size(pdf: Path, page: int) -> tuple[float, float]:
    """(width, height) of a page in points."""
    info = subprocess.run(
        ["pdfinfo", "-f", str(page), "-l", str(page), str(pdf)],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    m = re.search(rf"Page\s+{page} size:\s+([\d.]+) x ([\d.]+)", info.stdout)
    assert m, info.stdout
    return float(m.group(1)), float(m.group(2))


def words(pdf: Path, page: int) -> list[Word]:
    html = subprocess.run(
        ["pdftotext", "-bbox", "-f", str(page), "-l", str(page), str(pdf), "-"],
        capture_output=True, text=True, check=True,
    ).stdout  # fmt: skip
    return [
        Word(float(a), float(b), float(c), float(d), unescape(t))
        for a, b, c, d, t in _WORD.findall(html)
    ]


def pixels(pdf: Path, page: int, out: Path) -> np.ndarray:
    """The page as an RGB array at :data:`DPI`."""
    stem = out / f"page{page}"
    subprocess.run(
        ["pdftoppm", "-r", str(DPI), "-f", str(page), "-l", str(page), "-singlefile",
         str(pdf), str(stem)],
        check=True, capture_output=True,
    )  # fmt: skip
    data = (out / f"page{page}.ppm").read_bytes()
    # P6 header: magic, width, height, maxval, each followed by white space.
    m = re.match(rb"P6\s+(\d+)\s+(\d+)\s+(\d+)\s", data)
    assert m
    w, h = int(m.group(1)), int(m.group(2))
    return np.frombuffer(data[m.end() :], dtype=np.uint8, count=w * h * 3).reshape(h, w, 3)


def colour_pixels(img: np.ndarray, colour: tuple[int, int, int], tol: int = 6) -> int:
    diff = np.abs(img.astype(int) - np.array(colour)).max(axis=2)
    return int((diff <= tol).sum())


def fill_at(img: np.ndarray, x_pt: float, y_pt: float) -> str | None:
    """ "red", "yellow" or None: the fill around a point (in PDF points), by majority of a small
    box of pixels (glyph strokes are thin)."""
    s = DPI / 72
    x, y = round(x_pt * s), round(y_pt * s)
    box = img[max(y - 3, 0) : y + 4, max(x - 6, 0) : x + 7]
    for name, colour in (("red", RED), ("yellow", YELLOW)):
        if colour_pixels(box, colour) * 2 > box.shape[0] * box.shape[1]:
            return name
    return None
