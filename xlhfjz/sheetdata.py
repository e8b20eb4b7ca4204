"""Bulk rows for big sheets of a workbook written by XlsxWriter.

Why: the merged ledger sheets of a street hold millions of cells (200 communities × 15 ledgers
× ~175 rows × ~16 columns ≈ 8 M). XlsxWriter needs ~100 s and > 1 GB for that
(../shared/perf-notes.md); the Rust writers are fast but cannot put native charts on another
sheet. So XlsxWriter writes the whole workbook — styles, charts, the headers, filters and frozen
panes of the big sheets — and this module then streams each big sheet's data rows into its
``<sheetData>`` while copying the package into the final zip.

Only plain values are written: text as inline strings (never a formula: there is no ``<f>``
here), numbers, booleans and dates (a number with the workbook's date style). Text is escaped
exactly as XlsxWriter does (XML specials, and control characters as ``_xHHHH_``).
"""

from __future__ import annotations

import datetime as dt
import math
import re
import zipfile
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

EXCEL_MAX_CHARS = 32_767
_EPOCH = dt.date(1899, 12, 30).toordinal()
_NEEDS_ESCAPE = re.compile(r"[&<>\x00-\x08\x0b-\x1f]|_x[0-9a-fA-F]{4}_")
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f]")  # \r too: XML readers turn a raw \r into \n
_ESCAPED_LOOKALIKE = re.compile(r"(_x[0-9a-fA-F]{4}_)")
_DIMENSION = re.compile(rb'<dimension ref="[^"]*"/>')
BATCH_ROWS = 2_000
#: zlib level of the big sheets: 1 deflates ~3× faster than 6 for a file ~25 % larger.
BULK_COMPRESSLEVEL = 1


@dataclass
class BulkSheet:
    """Rows to stream into one worksheet part after its header row(s)."""

    rows: Iterable[Sequence[Any]]
    """Consumed once, while the part is written."""
    width: int
    count: int
    """How many rows ``rows()`` yields (for the sheet's dimension, written first)."""
    first_row: int = 2
    """The 1-based Excel row of the first streamed row."""


def column_letters(n: int) -> list[str]:
    out = []
    for c in range(n):
        letters = ""
        c += 1
        while c:
            c, rem = divmod(c - 1, 26)
            letters = chr(65 + rem) + letters
        out.append(letters)
    return out


def escape(text: str) -> str:
    """XML-escape a cell text the way XlsxWriter does (control characters → ``_xHHHH_``)."""
    if len(text) > EXCEL_MAX_CHARS:
        text = text[: EXCEL_MAX_CHARS - 7] + "……（已截断）"
    if not _NEEDS_ESCAPE.search(text):
        return text
    text = _ESCAPED_LOOKALIKE.sub(r"_x005F\1", text)
    text = _CONTROL.sub(lambda m: f"_x{ord(m.group()):04X}_", text)
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _text_tail(text: str) -> str:
    """What follows ``<c r="A1`` for a text cell."""
    space = ' xml:space="preserve"' if text[0].isspace() or text[-1].isspace() else ""
    return f'" t="inlineStr"><is><t{space}>{escape(text)}</t></is></c>'


def _rows_xml(sheet: BulkSheet, date_style: int) -> Iterable[str]:
    letters = column_letters(sheet.width)
    tails: dict[str, str] = {}  # texts repeat a lot (provenance, choices): escape each once
    for n, row in enumerate(sheet.rows, start=sheet.first_row):
        parts = [f'<row r="{n}">']
        for c, v in enumerate(row):
            t = v.__class__
            if t is str:
                if not v:
                    continue
                tail = tails.get(v)
                if tail is None:
                    if len(tails) > 100_000:
                        tails.clear()
                    tail = tails[v] = _text_tail(v)
                parts.append(f'<c r="{letters[c]}{n}{tail}')
            elif v is None:
                continue
            elif t is int or (t is float and math.isfinite(v)):
                parts.append(f'<c r="{letters[c]}{n}"><v>{v!r}</v></c>')
            elif t is bool:
                parts.append(f'<c r="{letters[c]}{n}" t="b"><v>{int(v)}</v></c>')
            elif isinstance(v, dt.date):
                day = v.date() if isinstance(v, dt.datetime) else v
                parts.append(
                    f'<c r="{letters[c]}{n}" s="{date_style}"><v>{day.toordinal() - _EPOCH}</v></c>'
                )
            else:
                parts.append(f'<c r="{letters[c]}{n}{_text_tail(str(v))}')
        parts.append("</row>")
        yield "".join(parts)


def _dimension(width: int, last_row: int) -> bytes:
    return f'<dimension ref="A1:{column_letters(width)[-1]}{max(last_row, 1)}"/>'.encode()


def splice(src: Path, dst: Path, bulk: Mapping[str, BulkSheet], date_style: int) -> dict[str, int]:
    """Copy the package ``src`` to ``dst``, streaming ``bulk[part]`` rows into those parts.

    ``part`` is a zip member name such as ``xl/worksheets/sheet4.xml``; the rows XlsxWriter
    wrote there (the header) stay. Returns the number of rows streamed per part.
    """
    counts: dict[str, int] = {}
    with (
        zipfile.ZipFile(src) as zin,
        zipfile.ZipFile(dst, "w", zipfile.ZIP_DEFLATED, compresslevel=BULK_COMPRESSLEVEL) as zout,
    ):
        for info in zin.infolist():
            data = zin.read(info)
            sheet = bulk.get(info.filename)
            if sheet is None:
                zout.writestr(info, data)
                continue
            cut = data.rindex(b"</sheetData>")
            head = _DIMENSION.sub(
                _dimension(sheet.width, sheet.first_row - 1 + sheet.count), data[:cut], count=1
            )
            n = 0
            with zout.open(info.filename, "w", force_zip64=True) as out:
                out.write(head)
                batch: list[str] = []
                for xml in _rows_xml(sheet, date_style):
                    n += 1
                    batch.append(xml)
                    if len(batch) >= BATCH_ROWS:
                        out.write("".join(batch).encode())
                        batch.clear()
                out.write("".join(batch).encode())
                out.write(data[cut:])
            if n != sheet.count:
                raise RuntimeError(f"{info.filename}: {n} rows streamed, {sheet.count} announced")
            counts[info.filename] = n
    return counts
