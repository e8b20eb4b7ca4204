"""Bulk rows for big sheets of a workbook written by XlsxWriter.

Why: the merged ledger sheets of a street hold millions of cells (200 communities × 15 ledgers
× ~175 rows × ~16 columns ≈ 8 M). XlsxWriter needs ~100 s and > 1 GB for that
(../shared/perf-notes.md); the Rust writers are fast but cannot put native charts on another
sheet. So XlsxWriter writes the whole workbook — styles, charts, the headers, filters and frozen
panes of the big sheets — and this module adds each big sheet's data rows to its ``<sheetData>``
while copying the package into the final zip.

The rows are rendered and deflated where they are produced (in the merge's worker processes,
one :class:`Chunk` per community and sheet), so the writer only concatenates bytes:

* every row and cell carries its reference (``<row r="17">``, ``<c r="B17">``), as Excel and
  XlsxWriter write them: ECMA-376 makes both optional, but readers built on the Open XML SDK,
  ClosedXML, EPPlus, MS Access and SAP imports refuse rows without them. A row's number depends
  on the rows of every community before it, known only once the merge has resolved who is who,
  so the workers render a :class:`Template` (each row with its number left open as ``\x00``,
  deflated to travel), and a second pass (in parallel, :func:`xlhfjz.batch.merge_folder`) fills
  in the numbers with :func:`number_rows`: one ``bytes.replace`` per row, then the final deflate.
  :func:`place` decides where each community's rows land — continuing in a second sheet before
  Excel's 1,048,576 rows would be passed;
* a chunk is a raw deflate stream ended by a sync flush (byte-aligned, not final), so chunks
  concatenate into one valid stream; the CRC-32 of the part is combined from the chunks' CRCs.
  ISA-L (``isal``) deflates ~4× faster than zlib at level 1 and provides ``crc32_combine``.

Python's ``zipfile`` cannot store an already-deflated stream, so :func:`splice` writes the few
records of the package itself (:class:`_ZipWriter`: local headers, central directory; no zip64 —
a part over 4 GB is refused).

Only plain values are written: text as inline strings (never a formula: there is no ``<f>``
here), numbers, booleans and dates (a number with the workbook's date style, :data:`DATE_STYLE`).
Text is escaped as Excel and XlsxWriter do (XML specials; control characters and the
non-characters U+FFFE/U+FFFF, which XML 1.0 forbids, as ``_xHHHH_``; a lone surrogate, which
UTF-8 cannot carry, as U+FFFD).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import math
import operator
import pickle
import re
import struct
import sys
import tempfile
import threading
import zipfile
from array import array
from collections.abc import Iterable, Iterator, Mapping, MutableMapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any, TypeVar

from isal import isal_zlib

from xlhfjz.model.values import EXCEL_EPOCH, column_letter

EXCEL_MAX_CHARS = 32_767
EXCEL_MAX_ROWS = 1_048_576
_EPOCH = EXCEL_EPOCH.toordinal()
_NEEDS_ESCAPE = re.compile(r"[&<>\x00-\x08\x0b-\x1f\ufffe\uffff\ud800-\udfff]|_x[0-9a-fA-F]{4}_")
# \r too: XML readers turn a raw \r into \n; U+FFFE/U+FFFF: not XML 1.0 characters
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\ufffe\uffff]")
_SURROGATE = re.compile(r"[\ud800-\udfff]")
_ESCAPED_LOOKALIKE = re.compile(r"(_x[0-9a-fA-F]{4}_)")
_DIMENSION = re.compile(rb'<dimension ref="[^"]*"/>')
#: ISA-L's fastest level: ~0.6 s for the ~365 MB of XML of a 200-community street.
DEFLATE_LEVEL = 1
#: The workbook's xf index of the date format (the first format given an index after the
#: default one; the summary writer checks this when it creates the format).
DATE_STYLE = 1


class Spool:
    """Bytes kept in an anonymous temporary file instead of memory: the merge's main process
    keeps every community's rendered rows until it writes the summary, so they wait on disk
    (its memory then does not grow with the number of communities). The file is gone once the
    last :class:`Stored` of it is."""

    def __init__(self, folder: str | None = None) -> None:
        self.path: str | None = None
        """The file's path when it is made in ``folder`` (for another process to read; the
        folder's owner removes it)."""
        if folder is None:
            self._fh: IO[bytes] = tempfile.TemporaryFile(prefix="xlhfjz-rows-")  # noqa: SIM115 (lives as long as the spool)
        else:
            self.path = str(Path(folder) / "spool.bin")
            self._fh = open(self.path, "w+b")  # noqa: SIM115 (lives as long as the spool)
        self._lock = threading.Lock()
        self._end = 0

    def flush(self) -> None:
        """Hand what was put to the file (before another process reads it)."""
        with self._lock:
            self._fh.flush()

    def close(self) -> None:
        with self._lock:
            self._fh.close()

    def put(self, data: bytes) -> Stored:
        with self._lock:
            offset = self._end
            self._fh.seek(offset)
            self._fh.write(data)
            self._end += len(data)
        return Stored(self, offset, len(data))

    def read(self, offset: int, length: int) -> bytes:
        with self._lock:
            self._fh.seek(offset)
            return self._fh.read(length)


@dataclass(frozen=True, slots=True)
class Stored:
    """``length`` bytes at ``offset`` of a :class:`Spool`; ``bytes(stored)`` reads them."""

    spool: Spool
    offset: int
    length: int

    def __len__(self) -> int:
        return self.length

    def __bytes__(self) -> bytes:
        return self.spool.read(self.offset, self.length)


Data = bytes | Stored
"""Bytes in memory or waiting in a :class:`Spool`."""


class StoredList(Sequence[Any]):
    """A list kept pickled in a :class:`Spool`, in blocks: its length in memory, its items read
    back (and unpickled) a block at a time each time it is iterated — for what the main process
    reads once or twice."""

    def __init__(self, items: Sequence[Any], spool: Spool, block: int = 0) -> None:
        """``block``: items a block (all in one when 0)."""
        items = list(items)
        size = block or max(len(items), 1)
        blocks = (items[k : k + size] for k in range(0, len(items), size))
        self._blocks = [spool.put(pickle.dumps(b, pickle.HIGHEST_PROTOCOL)) for b in blocks]
        self._len = len(items)

    @classmethod
    def of_pickled(cls, blocks: Iterable[bytes], length: int, spool: Spool) -> StoredList:
        """The list of ``length`` items that another process pickled, block by block."""
        out = cls.__new__(cls)
        out._blocks, out._len = [spool.put(b) for b in blocks], length
        return out

    def __len__(self) -> int:
        return self._len

    def __iter__(self) -> Iterator[Any]:
        for stored in self._blocks:
            yield from pickle.loads(bytes(stored))

    def __getitem__(self, index: Any) -> Any:
        return list(self)[index]


_Item = TypeVar("_Item", "Chunk", "Template")


def spooled(item: _Item, spool: Spool) -> _Item:
    """``item`` with its bytes moved to ``spool`` (as it is if it has none)."""
    if not item.data or isinstance(item.data, Stored):
        return item
    return dataclasses.replace(item, data=spool.put(item.data))


class SpooledRows(MutableMapping[str, "Chunk | Template"]):
    """A file's rendered rows by merged sheet id as the merge's main process keeps them: their
    bytes in a :class:`Spool`, their numbers packed in one array. A :class:`Chunk` with its
    :class:`Stored` is about 300 bytes of objects, and a community has 15 (README 性能); an item
    is made again each time it is read."""

    __slots__ = ("_ids", "_numbers", "_spool")

    def __init__(self, items: Mapping[str, Chunk | Template], spool: Spool) -> None:
        self._spool = spool
        self._ids: tuple[str, ...] = ()
        self._numbers = array("q")
        for sid, item in items.items():
            self[sid] = item

    def _pack(self, item: Chunk | Template) -> array[int]:
        data = item.data
        if isinstance(data, Stored):
            if data.spool is not self._spool:
                raise ValueError("rows kept in another spool")
            offset, length = data.offset, data.length
        elif data:
            stored = self._spool.put(data)
            offset, length = stored.offset, stored.length
        else:
            offset, length = -1, 0
        if isinstance(item, Template):
            return array("q", (offset, length, 0, 0, item.rows, -1))
        return array("q", (offset, length, item.crc, item.size, item.rows, item.first_row))

    def _index(self, sid: str) -> int:
        try:
            return self._ids.index(sid)
        except ValueError:
            raise KeyError(sid) from None

    def __getitem__(self, sid: str) -> Chunk | Template:
        k = self._index(sid) * _PACKED
        offset, length, crc, size, rows, first_row = self._numbers[k : k + _PACKED]
        data: Data = Stored(self._spool, offset, length) if offset >= 0 else b""
        return Template(data, rows) if first_row < 0 else Chunk(data, crc, size, rows, first_row)

    def __setitem__(self, sid: str, item: Chunk | Template) -> None:
        packed = self._pack(item)
        try:
            k = self._ids.index(sid) * _PACKED
        except ValueError:  # a new id: the same few tuples of ids for every file
            ids = (*self._ids, sys.intern(sid))
            self._ids = _IDS.setdefault(ids, ids)
            self._numbers.extend(packed)
        else:
            self._numbers[k : k + _PACKED] = packed

    def __delitem__(self, sid: str) -> None:
        k = self._index(sid)
        ids = self._ids[:k] + self._ids[k + 1 :]
        self._ids = _IDS.setdefault(ids, ids)
        del self._numbers[k * _PACKED : (k + 1) * _PACKED]

    def __contains__(self, sid: object) -> bool:
        return sid in self._ids

    def __iter__(self) -> Iterator[str]:
        return iter(self._ids)

    def __len__(self) -> int:
        return len(self._ids)


_PACKED = 6
"""Numbers a :class:`SpooledRows` item: offset (−1: no bytes), length, CRC, size, rows, first
row (−1: a :class:`Template`)."""
_IDS: dict[tuple[str, ...], tuple[str, ...]] = {}


@dataclass(frozen=True, slots=True)
class Chunk:
    """Rows rendered as ``<row>`` elements and deflated (see the module docstring)."""

    data: Data
    """A raw deflate stream ended by a sync flush (empty for no rows)."""
    crc: int
    """CRC-32 of the XML."""
    size: int
    """Length of the XML in bytes."""
    rows: int
    first_row: int = 0
    """The Excel row number of the first row (rows and cells carry their references)."""


@dataclass(frozen=True, slots=True)
class Template:
    """Rows rendered with their row number left open (see the module docstring)."""

    data: Data
    """The rows' XML, ``\x01`` between rows, ``\x00`` for the row number; raw deflate, final."""
    rows: int


@dataclass
class BulkSheet:
    """Rows to add to one worksheet part after its header row(s), in order."""

    chunks: Iterable[Chunk]
    """Iterated more than once (a list, or a view that makes each chunk as it is taken)."""
    width: int
    header_rows: int = 1
    """Rows XlsxWriter wrote (with explicit row numbers); the chunks' rows follow them."""

    @property
    def count(self) -> int:
        return sum(c.rows for c in self.chunks)


def column_letters(n: int) -> list[str]:
    """The letters of the first ``n`` columns (A, B, …)."""
    return [column_letter(c) for c in range(n)]


def escape(text: str) -> str:
    """XML-escape a cell text the way XlsxWriter does (control characters → ``_xHHHH_``)."""
    if len(text) > EXCEL_MAX_CHARS:
        text = text[: EXCEL_MAX_CHARS - 7] + "……（已截断）"
    if not _NEEDS_ESCAPE.search(text):
        return text
    text = _ESCAPED_LOOKALIKE.sub(r"_x005F\1", text)
    text = _SURROGATE.sub("\ufffd", text)
    text = _CONTROL.sub(lambda m: f"_x{ord(m.group()):04X}_", text)
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _text_cell(text: str) -> str:
    space = ' xml:space="preserve"' if text[0].isspace() or text[-1].isspace() else ""
    return f' t="inlineStr"><is><t{space}>{escape(text)}</t></is></c>'


def _cell(v: Any) -> str:
    """The rest of a cell element after ``<c r="…"``, for a value that is not a non-empty text
    ("" for an empty value: that cell is not written)."""
    t = v.__class__
    if v is None or v == "":
        return ""
    if t is int or (t is float and math.isfinite(v)):
        return f"><v>{v!r}</v></c>"
    if t is bool:
        return f' t="b"><v>{int(v)}</v></c>'
    if isinstance(v, dt.date):
        day = v.date() if isinstance(v, dt.datetime) else v
        return f' s="{DATE_STYLE}"><v>{day.toordinal() - _EPOCH}</v></c>'
    return _text_cell(str(v))


class _Cells(dict[Any, str]):
    """One column's cell elements (``<c r="B\x00"…</c>``, "" for an empty value) by value, each
    rendered once: values repeat a lot (provenance, choices, blanks). Equal numbers share an
    element (1 and 1.0 are the same cell value), but 0 and 1 are never kept: a boolean equals
    one of them (True == 1) and is rendered differently."""

    def __init__(self, letters: str) -> None:
        super().__init__()
        self.ref = f'<c r="{letters}\x00"'

    def __missing__(self, v: Any) -> str:
        tail = _text_cell(v) if v.__class__ is str and v else _cell(v)
        xml = self.ref + tail if tail else ""
        if v.__class__ is str or not (v == 0 or v == 1):
            if len(self) >= 100_000:
                self.clear()
            self[v] = xml
        return xml


def render_template(rows: Iterable[Sequence[Any]]) -> Template:
    """``rows`` as a :class:`Template`: ``<row>`` elements whose number is still open."""
    rows = rows if isinstance(rows, list) else list(rows)
    if not rows:
        return Template(b"", 0)
    cells = [_Cells(letters).__getitem__ for letters in column_letters(max(map(len, rows)))]
    call = operator.call
    parts = ['<row r="\x00">' + "".join(map(call, cells, row)) + "</row>" for row in rows]
    xml = "\x01".join(parts).encode()
    return Template(_deflate(xml, final=True), len(parts))


def number_rows(template: Template, first_row: int) -> Chunk:
    """The :class:`Chunk` of ``template``'s rows numbered from ``first_row``."""
    if not template.rows:
        return Chunk(b"", 0, 0, 0, first_row)
    if first_row < 1 or first_row + template.rows - 1 > EXCEL_MAX_ROWS:
        raise OverflowError(f"rows {first_row}…{first_row + template.rows - 1} are not in Excel")
    rows = isal_zlib.decompress(bytes(template.data), -15).split(b"\x01")
    xml = b"".join([row.replace(b"\x00", b"%d" % n) for n, row in enumerate(rows, first_row)])
    return Chunk(_deflate(xml, final=False), isal_zlib.crc32(xml), len(xml), len(rows), first_row)


def render_rows(rows: Iterable[Sequence[Any]], first_row: int = 2) -> Chunk:
    """``rows`` as a :class:`Chunk` whose first row is Excel row ``first_row``."""
    return number_rows(render_template(rows), first_row)


def place(
    counts: Sequence[int], header_rows: int = 1, max_rows: int = EXCEL_MAX_ROWS
) -> list[tuple[int, int]]:
    """(sheet, first row) of each chunk of ``counts`` rows, in order: the chunks follow one
    another under the header; one that would pass ``max_rows`` starts the next sheet."""
    out = []
    sheet, row = 0, header_rows + 1
    for n in counts:
        if n > max_rows - header_rows:
            raise OverflowError(f"{n} rows do not fit in one sheet")
        if row + n - 1 > max_rows:
            sheet, row = sheet + 1, header_rows + 1
        out.append((sheet, row))
        row += n
    return out


def _deflate(data: bytes, *, final: bool) -> bytes:
    z = isal_zlib.compressobj(DEFLATE_LEVEL, isal_zlib.DEFLATED, -15)
    return z.compress(data) + z.flush(isal_zlib.Z_FINISH if final else isal_zlib.Z_SYNC_FLUSH)


def _dimension(width: int, last_row: int) -> bytes:
    return f'<dimension ref="A1:{column_letters(width)[-1]}{max(last_row, 1)}"/>'.encode()


def splice(src: Path, dst: Path, bulk: Mapping[str, BulkSheet]) -> dict[str, int]:
    """Copy the package ``src`` to ``dst``, adding ``bulk[part]``'s chunks to those parts.

    ``part`` is a zip member name such as ``xl/worksheets/sheet4.xml``; the rows XlsxWriter
    wrote there stay: the header above the chunks' rows, any others (a note below the table)
    after them. Returns the number of rows added per part.
    """
    counts: dict[str, int] = {}
    with zipfile.ZipFile(src) as zin, open(dst, "wb") as fh:
        out = _ZipWriter(fh)
        for info in zin.infolist():
            data = zin.read(info)
            sheet = bulk.get(info.filename)
            if sheet is None:
                out.add(info, [_deflate(data, final=True)], isal_zlib.crc32(data), len(data))
                continue
            end = data.rindex(b"</sheetData>")
            cut = _after_header(data, end, sheet)
            last_row = max(sheet.header_rows + sheet.count, _last_row(data, cut, end))
            head = _DIMENSION.sub(_dimension(sheet.width, last_row), data[:cut], count=1)
            tail = data[cut:]
            pieces: list[Data] = [_deflate(head, final=False)]
            crc, size = isal_zlib.crc32(head), len(head)
            expected = sheet.header_rows + 1
            for chunk in sheet.chunks:
                if chunk.rows and chunk.first_row != expected:
                    raise ValueError(f"{info.filename}: a chunk numbered from row "
                                     f"{chunk.first_row} where row {expected} comes")  # fmt: skip
                expected += chunk.rows
                if chunk.rows:
                    pieces.append(chunk.data)
                    crc = isal_zlib.crc32_combine(crc, chunk.crc, chunk.size)
                    size += chunk.size
            pieces.append(_deflate(tail, final=True))
            crc = isal_zlib.crc32_combine(crc, isal_zlib.crc32(tail), len(tail))
            out.add(info, pieces, crc, size + len(tail))
            counts[info.filename] = sheet.count
        out.close()
    return counts


_ROW = re.compile(rb'<row r="([0-9]+)"')


def _after_header(xml: bytes, end: int, sheet: BulkSheet) -> int:
    """Where the bulk rows go in a part XlsxWriter wrote (its ``<sheetData>`` ends at ``end``):
    after its header rows, before the rows it wrote below the table (合并日志's 合并时间 …),
    which must come after them."""
    for m in _ROW.finditer(xml, 0, end):
        row = int(m.group(1))
        if row > sheet.header_rows:
            if row <= sheet.header_rows + sheet.count:
                raise ValueError(f"row {row} was written where the table's rows go")
            return m.start()
    return end


def _last_row(xml: bytes, start: int, end: int) -> int:
    """The last row XlsxWriter wrote between ``start`` and ``end`` (0 for none)."""
    return max((int(m.group(1)) for m in _ROW.finditer(xml, start, end)), default=0)


class _ZipWriter:
    """The zip records for members whose deflated bytes are already known (APPNOTE 4.3)."""

    _LOCAL = struct.Struct("<IHHHHHIIIHH")
    _CENTRAL = struct.Struct("<IHHHHHHIIIHHHHHII")
    _END = struct.Struct("<IHHHHIIH")

    def __init__(self, fh: IO[bytes]) -> None:
        self.fh = fh
        self.central: list[bytes] = []

    def add(self, info: zipfile.ZipInfo, pieces: Sequence[Data], crc: int, size: int) -> None:
        name = info.filename.encode()
        utf8 = 0 if info.filename.isascii() else 0x800  # general purpose flag bit 11
        offset = self.fh.tell()
        compressed = sum(map(len, pieces))
        if max(offset, compressed, size) >= 0xFFFFFFFF:
            raise OverflowError(f"{info.filename}: over 4 GB")
        y, mo, d, h, mi, sec = info.date_time
        when = (h << 11 | mi << 5 | sec // 2, (y - 1980) << 9 | mo << 5 | d)
        common = (20, utf8, zipfile.ZIP_DEFLATED, *when, crc, compressed, size, len(name))
        self.fh.write(self._LOCAL.pack(0x04034B50, *common, 0))
        self.fh.write(name)
        for piece in pieces:
            self.fh.write(piece if isinstance(piece, bytes) else bytes(piece))
        self.central.append(
            self._CENTRAL.pack(0x02014B50, 20, *common, 0, 0, 0, 0, 0, offset) + name
        )

    def close(self) -> None:
        start = self.fh.tell()
        for record in self.central:
            self.fh.write(record)
        n = len(self.central)
        size = self.fh.tell() - start
        if start + size >= 0xFFFFFFFF or n >= 0xFFFF:
            raise OverflowError("the package is over 4 GB")
        self.fh.write(self._END.pack(0x06054B50, 0, 0, n, n, size, start, 0))
