"""Read an .xlsx/.xlsm file into a :class:`RawWorkbook` with python-calamine.

Before calamine sees the file it is sniffed (size, magic bytes, zip directory), so that a
wrong or dangerous file is refused with a Chinese reason the user can act on
(:class:`UnreadableWorkbook`) instead of a traceback. The file is only ever opened read-only.

Limits (:data:`LIMITS`, :data:`CONTENT_LIMITS`) are all enforced *before* calamine parses what
they protect, so a hostile file costs bounded time and memory and can never crash the process:

- the zip directory's declared sizes (file, total, per part, compression ratio), checked before
  anything is inflated. A part cannot inflate to more than it declares: our reads ask zlib for
  at most the declared size, and calamine's zip reader stops with an error there;
- the XML parts that are parsed (workbook.xml and its rels, styles.xml, sharedStrings.xml, the
  sheets read): no DTD (``<!DOCTYPE``/``<!ENTITY``, the "billion laughs" bomb) in their first
  64 KiB — workbook.xml and its rels are checked before ElementTree parses them;
- ``xl/sharedStrings.xml`` (the part calamine reads strings from): no string longer than
  ``max_cell_chars``, streamed in 1 MiB chunks, so an over-long string is refused without
  inflating the rest;
- each sheet that is read, before calamine parses it: the used area — up to the last row and
  column holding a value, with cells placed exactly as calamine places them (``r`` attributes,
  the last one if repeated, in any quoting or case; the running position of cells and rows
  without one; namespace prefixes ignored) — is at most ``max_rows`` rows, and all sheets read
  together hold at most ``max_cells`` cells (calamine allocates rows × columns of the used
  area: a 2 KB sheet with one value in XFD1048576 would otherwise ask for 550 GB and abort the
  process); and no inline or formula string is longer than ``max_cell_chars``.

  Fast path: the sheet's ``<dimension ref>`` is taken as a claim and verified by regex scans of
  a copy of the part without whitespace, with ``'`` read as ``"`` and ``:`` as ``<`` (so quoting,
  spacing and prefixes all fall into the usual form or out of it): every cell starts
  ``<c r="…"`` with a reference inside the claim, and no element has a second ``r`` attribute.
  The scans run one sheet ahead of calamine in a helper thread (calamine releases the GIL while
  it parses, so the two mostly overlap). Anything else — no dimension, a claim over the limits,
  unusual XML — takes the exact path: a walk over the sheet's tags with calamine's own rules,
  which stops as soon as a limit is exceeded.

Error values: calamine returns ``""`` for a cell holding an Excel error, so the scan takes the
text of every ``t="e"`` cell (``#N/A``, ``#REF!``, ``#DIV/0!`` …) and puts it back as a string:
a validator then says "现为“#N/A”" instead of "empty".

Dates in 1904 workbooks: calamine itself reads ``<workbookPr date1904="1"/>`` (also
``"true"``) and converts date-formatted serials with the 1904 epoch, so date cells come back as
the right ``date``/``datetime`` in both systems (checked with python-calamine 0.9.1: serial
45366 is 2024-03-15 in a 1900 file and 2028-03-16 in a 1904 file, exactly as Excel shows).
Nothing is shifted here; :attr:`RawWorkbook.date1904` only reports the flag, for whoever turns
plain numbers into dates. Serials 0 and below come back as ``time(0, 0)`` in both systems.

Formulas: calamine returns only cached values, so each sheet's XML part is byte-scanned for
``<f>``/``<f .../>`` (with any namespace prefix) inside ``<sheetData>``; shared-formula
followers (``<f t="shared" si="0"/>``) count, the cells of an array formula other than its
anchor do not (they hold no ``<f>``). A formula whose cached value is empty may lie outside
the rectangle calamine returns.
"""

from __future__ import annotations

import functools
import os
import re
import zipfile
import zlib
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import IO, Any, Generic, Protocol, TypeVar
from xml.etree import ElementTree

import python_calamine

from .rawbook import RawSheet, RawWorkbook, UnreadableWorkbook

T = TypeVar("T")

__all__ = ["CONTENT_LIMITS", "LIMITS", "read_workbook"]

_MIB = 1 << 20
_GIB = 1 << 30

LIMITS: dict[str, int] = {
    "max_file_bytes": 100 * _MIB,
    "max_uncompressed_bytes": 1 * _GIB,
    "max_ratio": 200,
    "max_entry_bytes": 512 * _MIB,
}
"""Limits checked before anything is parsed; zip sizes are the ones the zip directory declares.

- ``max_file_bytes``: size of the file on disk.
- ``max_uncompressed_bytes``: sum of the uncompressed sizes of all zip entries.
- ``max_ratio``: an entry larger than 1 MiB uncompressed whose uncompressed/compressed ratio
  exceeds this is refused as a zip bomb.
- ``max_entry_bytes``: uncompressed size of any one entry.
"""

CONTENT_LIMITS: dict[str, int] = {
    "max_rows": 100_000,
    "max_cells": 5_000_000,
    "max_cell_chars": 32_767,
}
"""Limits on what the XML parts hold, checked before calamine parses them (see the module doc).

- ``max_rows``: the last used row of any sheet that is read (a community ledger has hundreds
  or a few thousand rows; 100,000 is 20 times the largest we benchmark).
- ``max_cells``: rows × columns of the used areas of all sheets read, summed — what calamine
  allocates and what becomes Python objects (about 100 bytes each: 5 M cells ≈ 0.5 GB).
- ``max_cell_chars``: characters in one cell; 32,767 is Excel's own limit, so a longer text
  was never typed in Excel (and Excel could not show it).
"""

_Cells = frozenset[tuple[int, int]]  # (Excel row, 0-based column) of formula cells

_RATIO_MIN_BYTES = 1 * _MIB  # entries up to this size are never judged by their ratio

# --- reasons shown to the user -----------------------------------------------------------------

_SAVE_AS = "请在 Excel 中打开后“另存为” Excel 工作簿 (.xlsx) 再提交"
_NOT_EXCEL = "不是 Excel 工作簿，请提交 .xlsx 格式的台账"
_R_EMPTY = "文件是空的（0 字节），可能保存或传输失败，请重新保存后再提交"
_R_ENCRYPTED = "文件设置了打开密码（已加密），请在 Excel 中取消密码后另存为 .xlsx 再提交"
_R_XLS = "这是旧版 Excel 97-2003 (.xls) 文件，请在 Excel 中“另存为” .xlsx 后再提交"
_R_OLE_OTHER = f"这是旧版 Word/PowerPoint 等 Office 文件，{_NOT_EXCEL}"
_R_HTML = (
    "这是网页（HTML）文件，只是扩展名改成了 .xlsx（常见于从网页或业务系统“导出”的表格），"
    + _SAVE_AS
)
_R_XML2003 = f"这是 XML 表格（Excel 2003 XML）文件，只是扩展名改成了 .xlsx，{_SAVE_AS}"
_R_TEXT = f"这是文本文件（如 CSV），只是扩展名改成了 .xlsx，{_SAVE_AS}"
_R_UNKNOWN = f"无法识别的文件格式（不是 Excel 工作簿），{_SAVE_AS}"
_R_CORRUPT = "文件已损坏或不完整（可能传输中断），请重新保存后再提交"
_R_NO_WORKBOOK = (
    "压缩包里没有 Excel 工作簿（可能是 Word 等其他文件改了扩展名），请提交 .xlsx 格式的台账"
)
_R_BOMB = "文件解压后异常巨大（疑似压缩炸弹），已拒绝读取"
_R_COMPRESSION = "文件使用了不支持的压缩方式，请在 Excel 中打开后重新保存为 .xlsx 再提交"

# Other files that get renamed to .xlsx, recognised by their first bytes.
_MAGIC_REASONS: tuple[tuple[bytes, str], ...] = (
    (b"%PDF", f"这是 PDF 文件，{_NOT_EXCEL}"),
    (b"\x89PNG", f"这是图片文件，{_NOT_EXCEL}"),
    (b"\xff\xd8\xff", f"这是图片文件，{_NOT_EXCEL}"),
    (b"Rar!\x1a\x07", "这是 RAR 压缩包，不是 Excel 工作簿，请解压后提交其中的 .xlsx 文件"),
    (b"7z\xbc\xaf\x27\x1c", "这是 7z 压缩包，不是 Excel 工作簿，请解压后提交其中的 .xlsx 文件"),
)
# Zip files without xl/workbook.xml: which one it is, by a part it holds.
_ZIP_KIND_REASONS: tuple[tuple[str, str], ...] = (
    ("xl/workbook.bin", f"这是 Excel 二进制工作簿 (.xlsb)，{_SAVE_AS}"),
    ("word/document.xml", f"这是 Word 文档，只是扩展名改成了 .xlsx；{_R_NO_WORKBOOK}"),
    ("ppt/presentation.xml", f"这是 PowerPoint 演示文稿，只是扩展名改成了 .xlsx；{_R_NO_WORKBOOK}"),
    ("content.xml", f"这是 OpenDocument 表格 (.ods，WPS/LibreOffice 格式)，{_SAVE_AS}"),
)

_R_DTD = (
    "文件中含有 XML 实体声明（DOCTYPE，常见于“XML 炸弹”这类恶意文件），Excel 保存的工作簿"
    "不会有这种内容，已拒绝读取（{part}）；请在 Excel 中打开并另存为 .xlsx 后再提交"
)
_R_SHEET_PART = (
    "文件已损坏（找不到工作表“{sheet}”的内容），请在 Excel 中打开并重新保存为 .xlsx 后再提交"
)
_R_SHEET_XML = (
    "工作表“{sheet}”的内容不是规范的 XML（{detail}），已拒绝读取；"
    "请在 Excel 中打开并重新保存为 .xlsx 后再提交"
)

# --- sniffing ----------------------------------------------------------------------------------

_HEAD_BYTES = 8192
_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_ZIP_MAGICS = (b"PK\x03\x04", b"PK\x05\x06", b"PK\x07\x08")
_UTF16_ENCRYPTED = "EncryptedPackage".encode("utf-16-le")
_UTF16_WORKBOOK = "Workbook".encode("utf-16-le")
_UTF16_OTHER_OFFICE = ("WordDocument".encode("utf-16-le"), "PowerPoint".encode("utf-16-le"))
# Bytes that may appear in text: everything but the C0 controls other than \t \n \f \r ESC.
_TEXT_BYTES = bytes(range(32, 256)) + b"\t\n\x0c\r\x1b"

# Suffixes for which calamine's from_path picks a non-zip reader (it dispatches on the exact
# extension); a real .xlsx saved under such a name is opened as a stream instead.
_MISLEADING_SUFFIXES = frozenset({".xls", ".xla", ".xlsb", ".ods"})


def read_workbook(
    path: str | os.PathLike[str], sheets: Iterable[str] | None = None, *, overlap: bool = True
) -> RawWorkbook:
    """Read every sheet (or only the named ones that exist) with python-calamine.

    ``overlap``: check the parts in a helper thread while calamine parses (faster for one file);
    False checks each part just before it is parsed, in this thread — less CPU in all, for a
    caller that keeps every core busy already (the merge's workers).

    Raises :class:`UnreadableWorkbook` with a Chinese reason for a missing, empty, oversized,
    encrypted, corrupt, hostile or non-.xlsx file, and for any error calamine reports.
    """
    fspath = os.fsdecode(path)
    wanted = _wanted(sheets)
    try:
        fh = open(fspath, "rb")  # noqa: SIM115 — closed by the with below
    except FileNotFoundError:
        raise UnreadableWorkbook(f"文件不存在：{fspath}，请检查路径或重新选择文件") from None
    except IsADirectoryError:
        raise UnreadableWorkbook("这是一个文件夹，不是 Excel 文件，请选择 .xlsx 文件") from None
    except PermissionError:
        raise UnreadableWorkbook(
            "无法打开文件（没有读取权限，或文件正被其他程序独占），请关闭正在使用它的程序后重试"
        ) from None
    except OSError as exc:
        raise UnreadableWorkbook(
            f"无法打开文件（{exc.strerror or exc}），请检查文件后重试"
        ) from None
    with fh:
        zf = _sniff(fh)
        with zf:
            layout = _layout(zf)
            # One helper thread checks the other XML parts, then scans the sheets in file order
            # (limits, formula and error cells); calamine waits for a sheet's scan before it
            # parses that sheet, and parses with the GIL released, so the two overlap.
            with (
                ThreadPoolExecutor(1, thread_name_prefix="xlhfjz-scan") if overlap else _OnDemand()
            ) as pool:
                budget = _Budget()
                checked = pool.submit(_check_parts, zf, layout)
                scans: dict[int, _Pending[_SheetScan | None]] = {
                    index: pool.submit(_scan_sheet, zf, name, info, budget)
                    for index, (name, info) in enumerate(layout.sheets)
                    if wanted is None or name in wanted
                }
                gate = _Gate(layout, checked, scans)
                try:
                    values = _read_values(fspath, wanted, gate)
                finally:
                    for future in (checked, *scans.values()):
                        future.cancel()
    book = RawWorkbook(path=fspath, date1904=layout.date1904, names=layout.names)
    for name, rows, hidden, formulas in values:
        book.sheets[name] = RawSheet(
            name=name,
            rows=rows,
            first_row=1,
            first_col=0,
            formulas=formulas,
            hidden=hidden,
        )
    return book


class _Pending(Protocol[T]):
    """A check's outcome as :class:`_Gate` asks for it: a Future or an :class:`_OnDemand` task."""

    def result(self) -> T: ...

    def cancel(self) -> bool: ...


class _Task(Generic[T]):
    """A call made the first time its result is asked for (never, if cancelled before)."""

    def __init__(self, fn: Callable[..., T], args: tuple[Any, ...]) -> None:
        self._call: Callable[[], T] | None = functools.partial(fn, *args)
        self._outcome: tuple[bool, Any] = (False, None)

    def result(self) -> T:
        if self._call is not None:
            call, self._call = self._call, None
            try:
                self._outcome = (True, call())
            except BaseException as exc:  # kept and raised again, as Future.result() does
                self._outcome = (False, exc)
        ok, value = self._outcome
        if not ok:
            raise value if value is not None else RuntimeError("cancelled")
        return value  # type: ignore[no-any-return]

    def cancel(self) -> bool:
        self._call = None
        return True


class _OnDemand:
    """The executor of ``overlap=False``: each check runs in the caller's thread when needed."""

    def __enter__(self) -> _OnDemand:
        return self

    def __exit__(self, *exc: object) -> None:
        return None

    def submit(self, fn: Callable[..., T], *args: Any) -> _Task[T]:
        return _Task(fn, args)


def _result(future: _Pending[Any]) -> Any:
    """A helper-thread result; an unexpected error there still becomes a reason."""
    try:
        return future.result()
    except UnreadableWorkbook:
        raise
    except Exception as exc:
        detail = f"{type(exc).__name__}: {exc}"[:300]
        raise UnreadableWorkbook(f"{_R_CORRUPT}（详情：{detail}）") from None


def _wanted(sheets: Iterable[str] | None) -> frozenset[str] | None:
    if sheets is None:
        return None
    if isinstance(sheets, str):  # one name, not an iterable of characters
        return frozenset((sheets,))
    return frozenset(sheets)


def _human(n: int) -> str:
    """``n`` bytes for a reader: 100 MB, 1 GB, 2.5 KB."""
    for unit, size in (("GB", _GIB), ("MB", _MIB), ("KB", 1024)):
        if n >= size:
            return f"{n / size:.1f}".removesuffix(".0") + f" {unit}"
    return f"{n} 字节"


def _sniff(fh: IO[bytes]) -> zipfile.ZipFile:
    """Check size and kind of the open file; return its zip directory, checked against LIMITS."""
    size = os.fstat(fh.fileno()).st_size
    if size == 0:
        raise UnreadableWorkbook(_R_EMPTY)
    if size > LIMITS["max_file_bytes"]:
        raise UnreadableWorkbook(
            f"文件过大（{_human(size)}），超过允许的上限 {_human(LIMITS['max_file_bytes'])}"
            "（max_file_bytes），请删除无用的工作表、图片或数据后再提交"
        )
    head = fh.read(_HEAD_BYTES)
    if head.startswith(_OLE_MAGIC):
        raise UnreadableWorkbook(_ole_reason(fh))
    if not head.startswith(_ZIP_MAGICS):
        for magic, reason in _MAGIC_REASONS:
            if head.startswith(magic):
                raise UnreadableWorkbook(reason)
        text = _text_reason(head)
        if text:
            raise UnreadableWorkbook(text)
        if not zipfile.is_zipfile(fh):  # a zip behind a prefix is still a zip
            raise UnreadableWorkbook(_R_UNKNOWN)
    fh.seek(0)
    try:
        zf = zipfile.ZipFile(fh)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError, OSError, ValueError):
        raise UnreadableWorkbook(_R_CORRUPT) from None
    try:
        _check_limits(zf.infolist())
    except BaseException:
        zf.close()
        raise
    return zf


def _ole_reason(fh: IO[bytes]) -> str:
    """Tell an encrypted OOXML file from an old .xls by the stream names in the OLE directory."""
    fh.seek(0)
    names = (_UTF16_ENCRYPTED, _UTF16_WORKBOOK, *_UTF16_OTHER_OFFICE)
    keep = max(map(len, names)) - 1
    seen: set[bytes] = set()
    tail = b""
    while chunk := fh.read(4 * _MIB):
        window = tail + chunk
        seen.update(name for name in names if name in window)
        if _UTF16_ENCRYPTED in seen:
            return _R_ENCRYPTED
        tail = window[-keep:]
    if _UTF16_WORKBOOK not in seen and any(name in seen for name in _UTF16_OTHER_OFFICE):
        return _R_OLE_OTHER
    return _R_XLS


def _text_reason(head: bytes) -> str | None:
    """The reason for an HTML/XML/CSV file renamed to .xlsx, or None if ``head`` isn't text."""
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        data = head.decode("utf-16", errors="ignore").encode("utf-8")
    else:
        data = head.removeprefix(b"\xef\xbb\xbf")
        controls = data.translate(None, _TEXT_BYTES)
        if b"\x00" in controls or len(controls) * 100 > len(data):
            return None
    data = data.lstrip()
    if not data.startswith(b"<"):
        return _R_TEXT
    lowered = data.lower()
    if b"urn:schemas-microsoft-com:office:spreadsheet" in lowered and b"<html" not in lowered:
        return _R_XML2003
    return _R_HTML


def _check_limits(infos: list[zipfile.ZipInfo]) -> None:
    """Refuse a zip whose declared sizes break LIMITS (nothing is inflated here)."""
    total = 0
    for info in infos:
        usize, csize = info.file_size, info.compress_size
        if usize > _RATIO_MIN_BYTES and usize > LIMITS["max_ratio"] * max(csize, 1):
            raise UnreadableWorkbook(
                f"{_R_BOMB}：{info.filename} 压缩后 {_human(csize)}，解压后 {_human(usize)}，"
                f"压缩比超过上限 {LIMITS['max_ratio']} 倍（max_ratio）"
            )
        if usize > LIMITS["max_entry_bytes"]:
            raise UnreadableWorkbook(
                f"文件中的部件 {info.filename} 解压后 {_human(usize)}，超过单个部件上限 "
                f"{_human(LIMITS['max_entry_bytes'])}（max_entry_bytes），已拒绝读取；"
                "请删除无用的数据后再提交"
            )
        total += usize
    if total > LIMITS["max_uncompressed_bytes"]:
        raise UnreadableWorkbook(
            f"文件解压后总大小 {_human(total)}，超过上限 "
            f"{_human(LIMITS['max_uncompressed_bytes'])}（max_uncompressed_bytes），已拒绝读取；"
            "请删除无用的工作表或数据后再提交"
        )


# --- workbook structure ------------------------------------------------------------------------


@dataclass
class _Layout:
    date1904: bool
    sheets: list[tuple[str, zipfile.ZipInfo | None]]
    """Every ``<sheet>`` of workbook.xml in order: its name and its part (None if missing)."""
    members: dict[str, zipfile.ZipInfo]
    """Zip entries by lowercased name."""

    @property
    def names(self) -> list[str]:
        return [name for name, _ in self.sheets]


def _local(tag: str) -> str:
    return tag.rpartition("}")[2]


def _member(members: dict[str, zipfile.ZipInfo], name: str) -> zipfile.ZipInfo | None:
    """The zip entry called ``name`` (the case-insensitive map holds lowercased names)."""
    return members.get(name.lower())


def _read_xml(zf: zipfile.ZipFile, info: zipfile.ZipInfo) -> ElementTree.Element:
    data = _read_member(zf, info)
    _check_prolog(data[:_XML_HEAD], info.filename)
    try:
        return ElementTree.fromstring(data)
    except ElementTree.ParseError:
        raise UnreadableWorkbook(
            f"文件已损坏（{info.filename} 不是有效的 XML），请在 Excel 中打开并重新保存后再提交"
        ) from None


def _read_member(zf: zipfile.ZipFile, info: zipfile.ZipInfo) -> bytes:
    """A whole part, inflating no more than its declared size.

    (``ZipFile.read`` asks zlib for up to 1 GiB at once and only then cuts to the declared size,
    so a part that lies about its size would cost that much memory before its CRC fails.)
    """
    try:
        with zf.open(info) as part:
            return part.read(info.file_size)
    except NotImplementedError:
        raise UnreadableWorkbook(_R_COMPRESSION) from None
    except (zipfile.BadZipFile, zlib.error, EOFError, OSError, RuntimeError, ValueError):
        raise UnreadableWorkbook(_R_CORRUPT) from None


def _read_head(zf: zipfile.ZipFile, info: zipfile.ZipInfo, size: int) -> bytes:
    """The first ``size`` bytes of a part (only that much is inflated)."""
    try:
        with zf.open(info) as part:
            return part.read(size)
    except NotImplementedError:
        raise UnreadableWorkbook(_R_COMPRESSION) from None
    except (zipfile.BadZipFile, zlib.error, EOFError, OSError, RuntimeError, ValueError):
        raise UnreadableWorkbook(_R_CORRUPT) from None


def _sheet_part(members: dict[str, zipfile.ZipInfo], target: str) -> zipfile.ZipInfo | None:
    """The part of a sheet's relationship target, resolved exactly as calamine resolves it
    (``/xl/…`` and ``xl/…`` as they are, anything else under ``xl/``, case-insensitively)."""
    if target.startswith("/xl/"):
        path = target[1:]
    elif target.startswith("xl/"):
        path = target
    else:
        path = "xl/" + target
    return _member(members, path)


def _layout(zf: zipfile.ZipFile) -> _Layout:
    """``date1904`` and the XML part of each sheet, from workbook.xml + rels."""
    members = {info.filename.lower(): info for info in zf.infolist()}
    book = _member(members, "xl/workbook.xml")
    if book is None:
        for part, reason in _ZIP_KIND_REASONS:
            if _member(members, part) is not None:
                raise UnreadableWorkbook(reason)
        raise UnreadableWorkbook(_R_NO_WORKBOOK)
    root = _read_xml(zf, book)
    date1904 = False
    sheet_ids: list[tuple[str, str]] = []
    for el in root.iter():
        name = _local(el.tag)
        if name == "workbookPr":
            date1904 = el.get("date1904", "").strip().lower() in ("1", "true")
        elif name == "sheet":
            rid = next(
                (v for k, v in el.attrib.items() if k.startswith("{") and _local(k) == "id"), ""
            )
            sheet_ids.append((el.get("name", ""), rid))
    rels_info = _member(members, "xl/_rels/workbook.xml.rels")
    targets: dict[str, str] = {}
    if rels_info is not None:
        for el in _read_xml(zf, rels_info).iter():
            if _local(el.tag) == "Relationship" and el.get("TargetMode") != "External":
                targets[el.get("Id", "")] = el.get("Target", "")
    sheets = [
        (name, _sheet_part(members, targets[rid]) if targets.get(rid) else None)
        for name, rid in sheet_ids
    ]
    return _Layout(date1904, sheets, members)


# --- parts other than the sheets ---------------------------------------------------------------

_XML_HEAD = 64 * 1024
_DTD = re.compile(rb"<!(?:DOCTYPE|ENTITY)")
_CHUNK = 1 * _MIB
_SHARED_STRINGS = "xl/sharedStrings.xml"  # the one part calamine reads strings from
_STYLES = "xl/styles.xml"


def _check_prolog(head: bytes, part: str) -> None:
    """Refuse a part whose first bytes declare a DTD (entity bombs need one)."""
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        head = head.decode("utf-16", errors="ignore").encode()
    if _DTD.search(head):
        raise UnreadableWorkbook(_R_DTD.format(part=part))


def _check_parts(zf: zipfile.ZipFile, layout: _Layout) -> None:
    """The parts calamine parses when it opens the file, other than workbook.xml and its rels
    (checked when they were parsed here): no DTD in the styles, no over-long shared string."""
    styles = _member(layout.members, _STYLES)
    if styles is not None:
        _check_prolog(_read_head(zf, styles, _XML_HEAD), styles.filename)
    shared = _member(layout.members, _SHARED_STRINGS)
    if shared is not None:
        _check_shared_strings(zf, shared)


_SST_ROOT = re.compile(rb"<([A-Za-z_][\w.-]*:)?sst[\s>/]")
_SI_END = re.compile(rb"</(?:[^\s/>=<:]+:)?si\s*>")


def _check_shared_strings(zf: zipfile.ZipFile, info: zipfile.ZipInfo) -> None:
    """Stream the shared strings and refuse the first one over ``max_cell_chars`` characters.

    Each chunk is split at ``</si>``: a piece up to the limit in bytes cannot hold more
    characters than that, so only longer pieces are counted exactly; a string that is still
    open at the end of a chunk is counted as it grows, so reading stops as soon as it is too
    long.
    """
    limit = CONTENT_LIMITS["max_cell_chars"]
    try:
        part = zf.open(info)
    except NotImplementedError:
        raise UnreadableWorkbook(_R_COMPRESSION) from None
    except (zipfile.BadZipFile, zlib.error, EOFError, OSError, RuntimeError, ValueError):
        raise UnreadableWorkbook(_R_CORRUPT) from None
    with part:
        chunk = _read_chunk(part, _XML_HEAD)
        _check_prolog(chunk, info.filename)
        root = _SST_ROOT.search(chunk)
        close = b"</" + (root.group(1) or b"" if root else b"") + b"si>"
        carry, counted = b"", 0  # the open string's unread bytes, and its characters so far
        while chunk:
            pieces = (carry + chunk).split(close)
            carry = pieces.pop()
            for k, piece in enumerate(pieces):
                before = counted if k == 0 else 0
                if before or len(piece) > limit:
                    _shared_string_ok(piece, before, limit)
            if pieces:
                counted = 0
            if len(carry) > limit:  # a long string still open: count what has arrived
                *done, carry = _SI_END.split(carry)
                for k, piece in enumerate(done):
                    _shared_string_ok(piece, counted if k == 0 else 0, limit)
                    counted = 0
                cut = _safe_cut(carry)
                counted += _text_chars(carry[:cut])
                carry = carry[cut:]
                if counted > limit:
                    raise UnreadableWorkbook(_long_shared_string(counted, limit, partial=True))
            chunk = _read_chunk(part, _CHUNK)


def _safe_cut(data: bytes) -> int:
    """A position in ``data`` that is not inside a tag, an entity, an ``_xHHHH_`` escape or a
    UTF-8 character, as late as possible."""
    cut = len(data)
    if data.rfind(b"<") > data.rfind(b">"):
        cut = data.rfind(b"<")
    for mark, longest in ((b"&", 12), (b"_x", 7)):
        at = data.rfind(mark, max(0, cut - longest), cut)
        if at >= 0:
            cut = at
    if cut == len(data):  # the chunk may end inside a character: keep that one for later
        lead = cut - 1
        while lead > 0 and 0x80 <= data[lead] < 0xC0:
            lead -= 1
        if lead >= 0 and data[lead] >= 0xC0:
            size = 2 if data[lead] < 0xE0 else 3 if data[lead] < 0xF0 else 4
            if cut - lead < size:
                cut = lead
    return cut


def _read_chunk(part: IO[bytes], size: int) -> bytes:
    try:
        return part.read(size)
    except (zipfile.BadZipFile, zlib.error, EOFError, OSError, RuntimeError, ValueError):
        raise UnreadableWorkbook(_R_CORRUPT) from None


def _shared_string_ok(piece: bytes, before: int, limit: int) -> None:
    """Refuse if a piece (one ``<si>``, or several when end tags were written oddly) holds a
    string over the limit; ``before``: characters of the first string in earlier chunks."""
    for k, element in enumerate(_SI_END.split(piece)):
        carried = before if k == 0 else 0
        if carried or len(element) > limit:  # shorter ones cannot hold more characters
            n = carried + _text_chars(element)
            if n > limit:
                raise UnreadableWorkbook(_long_shared_string(n, limit))


def _long_shared_string(n: int, limit: int, *, partial: bool = False) -> str:
    count = f"读到第 {n:,} 个字符时停止" if partial else f"共 {n:,} 个字符"
    return (
        f"文件中有单元格的文字超过 Excel 单元格最多 {limit:,} 个字符的上限（max_cell_chars；"
        f"{count}），已拒绝读取；请找到并删减这个单元格的内容后再提交"
    )


_F_ELEMENT = re.compile(
    rb"<([^\s/>=<]*?:?f)(?=[\s/>])[^>]*/>|<([^\s/>=<]*?:?f)(?=[\s/>])[^>]*>.*?</\2\s*>", re.S
)
_RPH_ELEMENT = re.compile(rb"<([^\s/>=<]*?:?rPh)(?=[\s/>])[^>]*>.*?</\1\s*>", re.S)
_ANY_TAG = re.compile(rb"<[^>]*>?")
_ENTITY_OR_ESCAPE = re.compile(rb"&(?:#[0-9]+|#x[0-9A-Fa-f]+|[A-Za-z][\w.-]*);|_x[0-9A-Fa-f]{4}_")


def _text_chars(fragment: bytes) -> int:
    """Characters of the text in an XML fragment, as calamine would read it: no formula text,
    no phonetic guide, no markup; an entity or an ``_xHHHH_`` escape is one character."""
    text = _ANY_TAG.sub(b"", _RPH_ELEMENT.sub(b"", _F_ELEMENT.sub(b"", fragment)))
    text = _ENTITY_OR_ESCAPE.sub(b"&", text)
    return len(text.decode("utf-8", errors="replace"))


# --- sheets ------------------------------------------------------------------------------------


@dataclass
class _SheetScan:
    """What a sheet's XML holds, found before calamine parses it."""

    rows: int = 0
    cols: int = 0
    """The used area calamine will return (an upper bound on the fast path)."""
    formulas: _Cells = frozenset()
    errors: dict[tuple[int, int], str] = field(default_factory=dict)
    """(Excel row, 0-based column) → the error value's text, e.g. ``#N/A``."""


@dataclass
class _Budget:
    """Cells of the sheets scanned so far (they are scanned one after another, in order)."""

    cells: int = 0


class _Gate:
    """What calamine waits for: the parts' check before it opens the file, and each sheet's
    scan before it parses that sheet."""

    def __init__(
        self,
        layout: _Layout,
        checked: _Pending[None],
        scans: dict[int, _Pending[_SheetScan | None]],
    ) -> None:
        self.names = layout.names
        self.checked = checked
        self.scans = scans

    def open(self) -> None:
        _result(self.checked)

    def sheet(self, index: int, name: str) -> _SheetScan:
        if not (index < len(self.names) and self.names[index] == name):
            matches = [i for i, n in enumerate(self.names) if n == name]
            index = matches[0] if len(matches) == 1 else -1
        future = self.scans.get(index)
        scan = _result(future) if future is not None else None
        if scan is None:
            raise UnreadableWorkbook(_R_SHEET_PART.format(sheet=name))
        return scan


def _scan_sheet(
    zf: zipfile.ZipFile, name: str, info: zipfile.ZipInfo | None, budget: _Budget
) -> _SheetScan | None:
    """Check one sheet part against the limits; find its formula and error cells."""
    if info is None:
        return None
    xml = _read_member(zf, info)
    _check_prolog(xml[:_XML_HEAD], info.filename)
    region = _region(xml)
    if region is None:
        return _SheetScan()
    start, end = region
    scan: _SheetScan | None = None
    claim = _dimension(xml, start)
    if claim is not None and _within(name, *claim, budget, exact=False):
        scan = _fast_scan(xml, start, end, name, claim)
    if scan is None:
        far = _first_row_past(xml, start, end, CONTENT_LIMITS["max_rows"])
        if far is not None:
            raise UnreadableWorkbook(_too_many_rows(name, far, CONTENT_LIMITS["max_rows"]))
        scan = _walk(xml, start, end, name, budget)
    _within(name, scan.rows, scan.cols, budget, exact=True)
    budget.cells += scan.rows * scan.cols
    return scan


def _region(xml: bytes) -> tuple[int, int] | None:
    """Byte range of ``<sheetData>``'s content: from the first mention of ``sheetData`` to the
    last, so it holds at least everything calamine reads as cells (None: no sheetData)."""
    first = xml.find(b"sheetData")
    if first < 0:
        return None
    gt = xml.find(b">", first)
    if gt < 0:
        return first, len(xml)
    last = xml.rfind(b"sheetData")
    if last == first:
        if xml[gt - 1 : gt] == b"/":
            return gt + 1, gt + 1  # <sheetData/>
        return gt + 1, len(xml)  # never closed
    return gt + 1, xml.rfind(b"<", gt, last)


_DIMENSION = re.compile(
    rb"""<(?:[^\s/>=<:]+:)?dimension\s+ref\s*=\s*["']"""
    rb"""(?:[A-Za-z]{1,3}[0-9]{1,7}:)?([A-Za-z]{1,3})([0-9]{1,7})["']"""
)


def _dimension(xml: bytes, start: int) -> tuple[int, int] | None:
    """(last row, last column) that ``<dimension ref>`` claims, if it is there."""
    m = _DIMENSION.search(xml, 0, start)
    if m is None or int(m.group(2)) == 0:
        return None
    return int(m.group(2)), _col_index(m.group(1)) + 1


def _within(name: str, rows: int, cols: int, budget: _Budget, *, exact: bool) -> bool:
    """Whether a used area fits the limits; when ``exact``, refuse one that does not."""
    max_rows, max_cells = CONTENT_LIMITS["max_rows"], CONTENT_LIMITS["max_cells"]
    if rows <= max_rows and budget.cells + rows * cols <= max_cells:
        return True
    if not exact:
        return False
    if rows > max_rows:
        raise UnreadableWorkbook(_too_many_rows(name, rows, max_rows))
    raise UnreadableWorkbook(_too_many_cells(name, rows, cols, max_cells))


def _too_many_rows(name: str, rows: int, limit: int) -> str:
    return (
        f"工作表“{name}”的数据用到了第 {rows:,} 行，超过每张表最多 {limit:,} 行的上限"
        "（max_rows），已拒绝读取；请删除多余的行（包括远处零星的内容），"
        "或把数据分到多个文件后再提交"
    )


def _too_many_cells(name: str, rows: int, cols: int, limit: int) -> str:
    return (
        f"工作表“{name}”的数据区域有 {rows:,} 行 × {cols:,} 列（到 {_col_letters(cols)} 列），"
        f"读取的工作表合计超过 {limit:,} 个单元格的上限（max_cells），已拒绝读取；"
        "请删除表格右侧或下方多余的内容（包括远处单元格里零星的数据）后再提交"
    )


def _too_long(name: str, row: int, col: int, chars: int, limit: int) -> str:
    return (
        f"工作表“{name}”的 {_col_letters(col + 1)}{row} 单元格有 {chars:,} 个字符，"
        f"超过 Excel 单元格最多 {limit:,} 个字符的上限（max_cell_chars），已拒绝读取；"
        "请删减该单元格的内容后再提交"
    )


def _col_letters(n: int) -> str:
    """1 → A, 28 → AB."""
    letters = ""
    while n > 0:
        n, rem = divmod(n - 1, 26)
        letters = chr(65 + rem) + letters
    return letters


# Fast path: the claim of <dimension> holds if every cell is written the usual way. The checks
# run on a copy of the part without whitespace, with ' as " and : as < — so that r = 'X1',
# <x:c …> (calamine ignores prefixes) and the like all look like the usual form or fail it.
_CANON = bytes.maketrans(b":'", b'<"')
_DUPLICATE_R = re.compile(rb'"r=')  # a second r attribute: quick-xml lets the last one win
_SPECIAL_TYPE = re.compile(rb't="(?:e|str|inlineStr)"')
# on the part itself (quotes and spaces as they come)
_ERROR_TYPE = re.compile(rb"""\st\s*=\s*(["'])e\1""")
_VALUE_TEXT = re.compile(rb"<(?:[^\s/>=<:]+:)?v>([^<]*)<")
_CELL_END = re.compile(rb"</(?:[^\s/>=<:]+:)?c\s*>")


@functools.lru_cache(maxsize=256)
def _outside_claim(rows: int, cols: int) -> re.Pattern[bytes]:
    """In the canonical copy: a cell whose first attribute is not ``r="…"`` within the claim
    (any case; calamine's parser reads a–z as A–Z)."""
    ref = _letters_up_to(_col_letters(cols)) + _number_up_to(rows)
    return re.compile(rb'<c(?!r="' + ref + rb'")')


def _number_up_to(n: int) -> bytes:
    """A decimal number 1…n without leading zeros; the longest (commonest) forms first."""
    digits = str(n)
    alts = []
    for i, ch in enumerate(digits):
        low = 1 if i == 0 else 0
        if int(ch) > low:
            rest = len(digits) - i - 1
            alts.append(f"{digits[:i]}[{low}-{int(ch) - 1}]" + _repeat("[0-9]", rest))
    alts.append(digits)
    if len(digits) > 1:
        alts.append(f"[1-9][0-9]{{0,{len(digits) - 2}}}")
    return ("(?:" + "|".join(alts) + ")").encode()


def _number_above(n: int) -> bytes:
    """A decimal number greater than n, possibly with leading zeros (calamine reads those)."""
    digits = str(n)
    alts = [f"[1-9][0-9]{{{len(digits)},}}"]
    for i, ch in enumerate(digits):
        if ch != "9":
            rest = len(digits) - i - 1
            alts.append(f"{digits[:i]}[{int(ch) + 1}-9]" + _repeat("[0-9]", rest))
    return ("0*(?:" + "|".join(alts) + ")").encode()


def _letters_up_to(letters: str) -> bytes:
    """Column letters A…``letters`` in either case."""

    def both(lo: str, hi: str) -> str:
        return f"{lo}-{hi}{lo.lower()}-{hi.lower()}"

    if len(letters) == 1:
        return f"[{both('A', letters)}]".encode()
    alts = []
    for i, ch in enumerate(letters):
        prefix = "".join(f"[{c}{c.lower()}]" for c in letters[:i])
        rest = len(letters) - i - 1
        if ch > "A":
            alts.append(f"{prefix}[{both('A', chr(ord(ch) - 1))}]" + _repeat("[A-Za-z]", rest))
    alts.append("".join(f"[{c}{c.lower()}]" for c in letters))
    alts.append(f"[A-Za-z]{{1,{len(letters) - 1}}}")
    return ("(?:" + "|".join(alts) + ")").encode()


def _repeat(cls: str, n: int) -> str:
    return "" if n == 0 else cls if n == 1 else f"{cls}{{{n}}}"


def _first_row_past(xml: bytes, start: int, end: int, rows: int) -> int | None:
    """The row of the first usually written cell (``<c r="…">``) past ``rows`` that holds a
    value or a formula, found by one search: refuses a huge sheet without walking it."""
    m = _past_rows(rows).search(xml, start, end)
    return int(m.group(1)) if m else None


@functools.lru_cache(maxsize=8)
def _past_rows(rows: int) -> re.Pattern[bytes]:
    return re.compile(
        rb'<c r="[A-Za-z]{1,3}(' + _number_above(rows) + rb')"[^>]*>\s*<(?:v|is|f)[\s>]'
    )


def _fast_scan(
    xml: bytes, start: int, end: int, name: str, claim: tuple[int, int]
) -> _SheetScan | None:
    """The scan of a sheet whose cells are all written the usual way, or None if the sheet
    needs the exact walk."""
    rows, cols = claim
    if start == end:
        return _SheetScan(0, 0)
    canon = xml.translate(_CANON, b" \t\n\r")
    region = _region(canon)
    if region is None:
        return None
    for pattern in (_outside_claim(rows, cols), _DUPLICATE_R):
        if pattern.search(canon, *region):
            return None
    special = _SPECIAL_TYPE.search(canon, *region) is not None  # however they are quoted
    del canon
    scan = _SheetScan(rows, cols, _formula_cells(xml))
    if not special:
        return scan
    for m in _ERROR_TYPE.finditer(xml, start, end):
        cell = _enclosing_cell(xml, m.start())
        if cell is None:
            return None
        close = _CELL_END.search(xml, m.end(), end)
        value = _VALUE_TEXT.search(xml, m.end(), close.start() if close else end)
        if value is not None and value.group(1).strip():
            scan.errors[cell] = value.group(1).strip().decode("utf-8", errors="replace")
    for pattern in (_long_inline(), _long_formula_text()):
        for m in pattern.finditer(xml, start, end):
            cell = _enclosing_cell(xml, m.start())
            if cell is None:
                return None
            close = _CELL_END.search(xml, m.end(), end)
            stop = close.start() if close else end
            limit = CONTENT_LIMITS["max_cell_chars"]
            chars = _text_chars(xml[xml.find(b">", m.start()) + 1 : stop])
            if chars > limit:
                raise UnreadableWorkbook(_too_long(name, *cell, chars, limit))
    return scan


def _long_inline() -> re.Pattern[bytes]:
    """An inline string longer than ``max_cell_chars`` bytes (only those can be too long)."""
    return _long_cell(b"inlineStr", CONTENT_LIMITS["max_cell_chars"])


def _long_formula_text() -> re.Pattern[bytes]:
    return _long_cell(b"str", CONTENT_LIMITS["max_cell_chars"])


@functools.lru_cache(maxsize=8)
def _long_cell(kind: bytes, n: int) -> re.Pattern[bytes]:
    opening = rb"""<c\s[^>]*?\bt\s*=\s*(["'])""" + kind + rb"\1[^>]*>"
    return re.compile(opening + rb"(?:[^<]|<(?!/c>))" + f"{{{n + 1}}}".encode())


# Exact path: every tag, read the way calamine's XML reader reads it.
_NAME = rb"[^\s/>=<]+"
_XML_TAG = re.compile(
    rb"<(?:/(" + _NAME + rb")\s*>"  # 1: end tag
    rb"|(" + _NAME + rb")"  # 2: start tag name
    rb"((?:\s+" + _NAME + rb"""\s*=\s*(?:"[^"]*"|'[^']*'))*)"""  # 3: attributes
    rb"\s*(/?)>"  # 4: empty element
    rb"|!--.*?-->|!\[CDATA\[.*?\]\]>|\?.*?\?>)"
    rb"|<",  # anything else: not XML calamine would read
    re.S,
)
_ATTR = re.compile(rb"""(""" + _NAME + rb""")\s*=\s*(?:"([^"]*)"|'([^']*)')""")


def _attr(attrs: bytes, key: bytes) -> bytes | None:
    """The last value of attribute ``key`` (quick-xml lets a repeated attribute override)."""
    value = None
    for m in _ATTR.finditer(attrs):
        if m.group(1) == key:
            value = m.group(2) if m.group(2) is not None else m.group(3)
    return value


def _parse_ref(ref: bytes) -> tuple[int, int | None] | None:
    """(1-based row, 0-based column or None) as calamine parses a reference; None if it
    cannot (then calamine refuses the file itself)."""
    i = len(ref)
    while i and 48 <= ref[i - 1] <= 57:
        i -= 1
    if i == len(ref):
        return None
    row = int(ref[i:])
    if row == 0:
        return None
    letters = ref[:i]
    if not letters:
        return row, None
    if not (letters.isalpha() and letters.isascii()):
        return None
    return row, _col_index(letters)


def _local_name(name: bytes) -> bytes:
    return name.partition(b":")[2] or name


def _walk(xml: bytes, start: int, end: int, name: str, budget: _Budget) -> _SheetScan:
    """The exact used area, formula and error cells: calamine's rules, tag by tag.

    Refuses as soon as the used area breaks a limit, so a huge sheet costs little.
    """
    max_rows, max_cells = CONTENT_LIMITS["max_rows"], CONTENT_LIMITS["max_cells"]
    limit = CONTENT_LIMITS["max_cell_chars"]
    row_index = col_index = 0  # 0-based, like calamine's
    used_rows = used_cols = 0
    formulas: set[tuple[int, int]] = set()
    errors: dict[tuple[int, int], str] = {}
    cell: tuple[int, int] | None = None  # (row, col) 0-based of the open cell
    cell_start = 0
    cell_type: bytes | None = None
    valued = False
    for m in _XML_TAG.finditer(xml, start, end):
        closing, opening = m.group(1), m.group(2)
        if closing is not None:
            local = _local_name(closing)
            if local == b"row":
                row_index, col_index = row_index + 1, 0
            elif local == b"c" and cell is not None:
                if valued:
                    used_rows = max(used_rows, cell[0] + 1)
                    used_cols = max(used_cols, cell[1] + 1)
                    if used_rows > max_rows or budget.cells + used_rows * used_cols > max_cells:
                        _within(name, used_rows, used_cols, budget, exact=True)
                    if cell_type in (b"str", b"inlineStr") and m.start() - cell_start > limit:
                        chars = _text_chars(xml[cell_start : m.start()])
                        if chars > limit:
                            raise UnreadableWorkbook(
                                _too_long(name, cell[0] + 1, cell[1], chars, limit)
                            )
                cell = None
            continue
        if opening is None:
            if m.group().startswith(b"<!--") or m.group().startswith((b"<![CDATA[", b"<?")):
                continue
            raise UnreadableWorkbook(
                _R_SHEET_XML.format(sheet=name, detail=f"第 {m.start()} 字节处的标签无法识别")
            )
        local = _local_name(opening)
        attrs, empty = m.group(3), bool(m.group(4))
        if local == b"row":
            ref = _attr(attrs, b"r")
            if ref is not None:
                parsed = _parse_ref(ref)
                if parsed is not None:
                    row_index = parsed[0] - 1
            if empty:
                row_index, col_index = row_index + 1, 0
        elif local == b"c":
            ref = _attr(attrs, b"r")
            parsed = _parse_ref(ref) if ref is not None else None
            if parsed is not None and parsed[1] is not None:
                cell = (parsed[0] - 1, parsed[1])
            else:
                cell = (row_index, col_index)
            col_index = cell[1] + 1
            cell_type, valued, cell_start = _attr(attrs, b"t"), False, m.end()
            if empty:
                cell = None
        elif cell is not None:
            if local in (b"v", b"is"):
                valued = True
                if local == b"v" and cell_type == b"e" and not empty:
                    text = xml[m.end() : xml.find(b"<", m.end(), end)].strip()
                    if text:
                        errors[(cell[0] + 1, cell[1])] = text.decode("utf-8", errors="replace")
            elif local == b"f":
                formulas.add((cell[0] + 1, cell[1]))
    return _SheetScan(used_rows, used_cols, frozenset(formulas), errors)


# --- values ------------------------------------------------------------------------------------


def _read_values(
    path: str, wanted: frozenset[str] | None, gate: _Gate
) -> list[tuple[str, list[Any], bool, _Cells]]:
    """(name, rows, hidden, formulas) of each wanted sheet, in file order; calamine errors
    become reasons."""
    try:
        gate.open()
        if os.path.splitext(path)[1].lower() in _MISLEADING_SUFFIXES:
            with open(path, "rb") as stream:
                return _calamine_sheets(
                    python_calamine.CalamineWorkbook.from_filelike(stream), wanted, gate
                )
        return _calamine_sheets(python_calamine.CalamineWorkbook.from_path(path), wanted, gate)
    except UnreadableWorkbook:
        raise
    except python_calamine.PasswordError:
        raise UnreadableWorkbook(_R_ENCRYPTED) from None
    except Exception as exc:
        raise UnreadableWorkbook(_calamine_reason(exc)) from None
    except BaseException as exc:  # a Rust panic arrives as pyo3's PanicException(BaseException)
        if type(exc).__name__ != "PanicException":
            raise
        raise UnreadableWorkbook(_calamine_reason(exc)) from None


def _calamine_sheets(
    wb: python_calamine.CalamineWorkbook, wanted: frozenset[str] | None, gate: _Gate
) -> list[tuple[str, list[Any], bool, _Cells]]:
    with wb:
        out = []
        for index, meta in enumerate(wb.sheets_metadata):
            if wanted is not None and meta.name not in wanted:
                continue
            scan = gate.sheet(index, meta.name)  # never parse a sheet before its check
            rows = wb.get_sheet_by_index(index).to_python(skip_empty_area=False)
            for (row, col), text in scan.errors.items():
                if row <= len(rows) and col < len(rows[row - 1]) and rows[row - 1][col] == "":
                    rows[row - 1][col] = text
            hidden = meta.visible != python_calamine.SheetVisibleEnum.Visible
            out.append((meta.name, rows, hidden, scan.formulas))
        return out


def _calamine_reason(exc: BaseException) -> str:
    detail = f"{type(exc).__name__}: {exc}"[:300]
    if isinstance(exc, python_calamine.XmlError):
        what = "文件内容已损坏（工作簿 XML 格式错误）"
    elif isinstance(exc, python_calamine.ZipError):
        what = "文件已损坏或不完整（压缩包无法解开）"
    else:
        what = "无法读取该 Excel 文件"
    return f"{what}，请在 Excel 中打开并重新保存为 .xlsx 后再提交（详情：{detail}）"


# --- formulas ----------------------------------------------------------------------------------

_PREFIX = re.compile(rb"(?:[A-Za-z_][\w.-]*:)?")
_CELL_OPEN = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?c(\s[^>]*)?>")
_CELL_REF = re.compile(rb"""\sr\s*=\s*["']\$?([A-Za-z]{1,3})\$?([0-9]+)["']""")
_ROW_REF = re.compile(rb"""\sr\s*=\s*["']([0-9]+)["']""")
_TAG = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?(row|c|f)(?=[\s/>])([^>]*)>")
_AFTER_F = frozenset(b" \t\r\n/>")
_PLAIN_F = re.compile(rb"<f")


def _col_index(letters: bytes) -> int:
    col = 0
    for ch in letters.upper():
        col = col * 26 + ch - 64
    return col - 1


def _formula_cells(xml: bytes) -> _Cells:
    """(Excel row, 0-based column) of every cell in ``<sheetData>`` that holds an ``<f>``."""
    start = xml.find(b"sheetData")
    if start < 0:
        return frozenset()
    end = xml.rfind(b"sheetData")
    lt = xml.rfind(b"<", 0, start)
    prefix = xml[lt + 1 : start] if lt >= 0 else b""
    if not _PREFIX.fullmatch(prefix):
        prefix = b""
    needle = b"<" + prefix + b"f"
    if not prefix:  # the usual case; re's literal search beats bytes.find here
        first = _PLAIN_F.search(xml, start, end)
        pos = first.start() if first else -1
    else:
        pos = xml.find(needle, start, end)
    if pos < 0:  # fast path: no formula at all
        return frozenset()
    cells: set[tuple[int, int]] = set()
    while pos >= 0:
        after = pos + len(needle)
        if after < len(xml) and xml[after] in _AFTER_F:
            cell = _enclosing_cell(xml, pos)
            if cell is None:  # no r="..." right before: walk the sheet in order
                return _formula_cells_in_order(xml, start, end)
            cells.add(cell)
        pos = xml.find(needle, after, end)
    return frozenset(cells)


def _enclosing_cell(xml: bytes, pos: int) -> tuple[int, int] | None:
    """The cell whose ``<c ... r="B5">`` opens right before the ``<f`` at ``pos``."""
    lt = xml.rfind(b"<", 0, pos)
    match = _CELL_OPEN.match(xml, lt) if lt >= 0 else None
    if match is None or match.group(1) is None:
        return None
    ref = _CELL_REF.search(match.group(1))
    if ref is None:
        return None
    return int(ref.group(2)), _col_index(ref.group(1))


def _formula_cells_in_order(xml: bytes, start: int, end: int) -> _Cells:
    """Slow path: walk rows and cells in order, so cells without ``r`` get their position."""
    cells: set[tuple[int, int]] = set()
    row, col = 0, -1
    for match in _TAG.finditer(xml, start, end):
        tag, attrs = match.group(1), match.group(2)
        if tag == b"row":
            ref = _ROW_REF.search(attrs)
            row, col = (int(ref.group(1)) if ref else row + 1), -1
        elif tag == b"c":
            ref = _CELL_REF.search(attrs)
            if ref:
                row, col = int(ref.group(2)), _col_index(ref.group(1))
            else:
                col += 1
        elif col >= 0:
            cells.add((row, col))
    return frozenset(cells)
