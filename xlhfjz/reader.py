"""Read an .xlsx/.xlsm file into a :class:`RawWorkbook` with python-calamine.

Before calamine sees the file it is sniffed (size, magic bytes, zip directory), so that a
wrong or dangerous file is refused with a Chinese reason the user can act on
(:class:`UnreadableWorkbook`) instead of a traceback. The file is only ever opened read-only.

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

import os
import posixpath
import re
import zipfile
import zlib
from collections.abc import Iterable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import IO, Any
from xml.etree import ElementTree

import python_calamine

from .rawbook import RawSheet, RawWorkbook, UnreadableWorkbook

__all__ = ["LIMITS", "read_workbook"]

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


def read_workbook(path: str | os.PathLike[str], sheets: Iterable[str] | None = None) -> RawWorkbook:
    """Read every sheet (or only the named ones that exist) with python-calamine.

    Raises :class:`UnreadableWorkbook` with a Chinese reason for a missing, empty, oversized,
    encrypted, corrupt or non-.xlsx file, and for any error calamine reports.
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
            date1904, parts = _layout(zf)
            scan = {name: info for name, info in parts.items() if wanted is None or name in wanted}
            # The formula scan (zlib inflate + byte search) runs beside calamine: both spend most
            # of their time without the GIL, so it costs next to no wall time.
            with ThreadPoolExecutor(1, thread_name_prefix="xlhfjz-formulas") as pool:
                formulas = pool.submit(_scan_formulas, zf, scan)
                try:
                    values = _read_values(fspath, wanted)
                except UnreadableWorkbook:
                    _result(formulas)  # a damaged zip entry found by the scan says it better
                    raise
                found = _result(formulas)
    book = RawWorkbook(path=fspath, date1904=date1904)
    for name, rows, hidden in values:
        book.sheets[name] = RawSheet(
            name=name,
            rows=rows,
            first_row=1,
            first_col=0,
            formulas=found.get(name, frozenset()),
            hidden=hidden,
        )
    return book


def _result(
    future: Future[dict[str, _Cells]],
) -> dict[str, _Cells]:
    """The formula scan's result; an unexpected error there still becomes a reason."""
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


def _local(tag: str) -> str:
    return tag.rpartition("}")[2]


def _member(members: dict[str, zipfile.ZipInfo], name: str) -> zipfile.ZipInfo | None:
    """The zip entry called ``name`` (the case-insensitive map holds lowercased names)."""
    return members.get(name.lower())


def _read_xml(zf: zipfile.ZipFile, info: zipfile.ZipInfo) -> ElementTree.Element:
    try:
        return ElementTree.fromstring(_read_member(zf, info))
    except ElementTree.ParseError:
        raise UnreadableWorkbook(
            f"文件已损坏（{info.filename} 不是有效的 XML），请在 Excel 中打开并重新保存后再提交"
        ) from None


def _read_member(zf: zipfile.ZipFile, info: zipfile.ZipInfo) -> bytes:
    try:
        return zf.read(info)
    except NotImplementedError:
        raise UnreadableWorkbook(_R_COMPRESSION) from None
    except (zipfile.BadZipFile, zlib.error, EOFError, OSError, RuntimeError, ValueError):
        raise UnreadableWorkbook(_R_CORRUPT) from None


def _layout(zf: zipfile.ZipFile) -> tuple[bool, dict[str, zipfile.ZipInfo]]:
    """``date1904`` and the XML part of each sheet, by sheet name, from workbook.xml + rels."""
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
    parts: dict[str, zipfile.ZipInfo] = {}
    for name, rid in sheet_ids:
        target = targets.get(rid)
        if not target:
            continue
        if target.startswith("/"):
            part = target.lstrip("/")
        else:
            part = posixpath.normpath(posixpath.join("xl", target))
        info = _member(members, part)
        if info is not None:
            parts[name] = info
    return date1904, parts


# --- values ------------------------------------------------------------------------------------


def _read_values(path: str, wanted: frozenset[str] | None) -> list[tuple[str, list[Any], bool]]:
    """(name, rows, hidden) of each wanted sheet, in file order; calamine errors become reasons."""
    try:
        if os.path.splitext(path)[1].lower() in _MISLEADING_SUFFIXES:
            with open(path, "rb") as stream:
                return _calamine_sheets(
                    python_calamine.CalamineWorkbook.from_filelike(stream), wanted
                )
        return _calamine_sheets(python_calamine.CalamineWorkbook.from_path(path), wanted)
    except python_calamine.PasswordError:
        raise UnreadableWorkbook(_R_ENCRYPTED) from None
    except Exception as exc:
        raise UnreadableWorkbook(_calamine_reason(exc)) from None
    except BaseException as exc:  # a Rust panic arrives as pyo3's PanicException(BaseException)
        if type(exc).__name__ != "PanicException":
            raise
        raise UnreadableWorkbook(_calamine_reason(exc)) from None


def _calamine_sheets(
    wb: python_calamine.CalamineWorkbook, wanted: frozenset[str] | None
) -> list[tuple[str, list[Any], bool]]:
    with wb:
        out = []
        for index, meta in enumerate(wb.sheets_metadata):
            if wanted is not None and meta.name not in wanted:
                continue
            rows = wb.get_sheet_by_index(index).to_python(skip_empty_area=False)
            out.append((meta.name, rows, meta.visible != python_calamine.SheetVisibleEnum.Visible))
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


def _scan_formulas(zf: zipfile.ZipFile, parts: dict[str, zipfile.ZipInfo]) -> dict[str, _Cells]:
    """Formula cells of each sheet part, by sheet name."""
    return {name: _formula_cells(_read_member(zf, info)) for name, info in parts.items()}


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
