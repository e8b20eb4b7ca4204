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
  Each sheet is scanned just before calamine parses it. Anything else — no dimension, a claim over the limits,
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

import contextlib
import errno
import io
import os
import stat
import zipfile
from collections import deque
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import IO, Any, TypeVar
from xml.etree import ElementTree

import python_calamine

from xlhfjz.model.rawbook import RawSheet, RawWorkbook, UnreadableWorkbook
from xlhfjz.xlsx.guard import (
    SHARED_STRINGS,
    STYLES,
    XML_HEAD,
    check_prolog,
    check_shared_strings,
    check_styles,
    read_head,
    read_member,
)
from xlhfjz.xlsx.reasons import (
    R_CORRUPT,
    R_DUPLICATE_PART,
    R_ENCRYPTED,
    R_NO_WORKBOOK,
    R_NOT_REGULAR,
    R_SHEET_PART,
)
from xlhfjz.xlsx.scan import Budget, SheetScan, scan_sheet
from xlhfjz.xlsx.sniff import MISLEADING_SUFFIXES, ZIP_KIND_REASONS, sniff

T = TypeVar("T")

__all__ = ["open_regular", "open_workbook", "read_workbook"]


"""Limits checked before anything is parsed; zip sizes are the ones the zip directory declares.

- ``max_file_bytes``: size of the file on disk.
- ``max_uncompressed_bytes``: sum of the uncompressed sizes of all zip entries.
- ``max_ratio``: an entry larger than 1 MiB uncompressed whose uncompressed/compressed ratio
  exceeds this is refused as a zip bomb.
- ``max_entry_bytes``: uncompressed size of any one entry.
"""

"""Limits on what the XML parts hold, checked before calamine parses them (see the module doc).

- ``max_rows``: the last used row of any sheet that is read (a community ledger has hundreds
  or a few thousand rows; 100,000 is 20 times the largest we benchmark).
- ``max_cells``: rows × columns of the used areas of all sheets read, summed — what calamine
  allocates and what becomes Python objects (about 100 bytes each: 5 M cells ≈ 0.5 GB).
- ``max_cell_chars``: characters in one cell; 32,767 is Excel's own limit, so a longer text
  was never typed in Excel (and Excel could not show it).
"""


# --- reasons shown to the user -----------------------------------------------------------------


# --- sniffing ----------------------------------------------------------------------------------


def read_workbook(
    path: str | os.PathLike[str],
    sheets: Iterable[str] | Callable[[str], bool] | None = None,
    *,
    unless: Collection[str] = (),
) -> RawWorkbook:
    """Read every sheet (or only the named ones that exist, or those ``sheets(name)`` accepts)
    with python-calamine.

    ``unless``: sheet names that mark a workbook the caller does not read (the office's own
    outputs): if the workbook has one, no part is checked or parsed and the book lists only
    its sheet names — recognised before the limits apply (a large summary would break them).

    Raises :class:`UnreadableWorkbook` with a Chinese reason for a missing, empty, oversized,
    encrypted, corrupt, hostile or non-.xlsx file, and for any error calamine reports.
    """
    with open_workbook(path, sheets, unless=unless) as book:
        book.sheets = dict(book.sheets)  # every sheet, read now
    return book


@contextlib.contextmanager
def open_workbook(
    path: str | os.PathLike[str],
    sheets: Iterable[str] | Callable[[str], bool] | None = None,
    *,
    unless: Collection[str] = (),
    ahead: int | None = None,
) -> Iterator[RawWorkbook]:
    """:func:`read_workbook`, with each sheet read when it is first asked for.

    ``book.sheets[name]`` reads the sheets of the file in order up to ``name`` (so a file is
    refused for the same reason whatever is asked first), and starts calamine on the next one
    in a helper thread: calamine parses with the GIL released, so the next sheets are parsed
    while the caller validates this one (all Python work stays on the caller's thread). An
    unreadable sheet raises :class:`UnreadableWorkbook` where it is asked for; ask for
    ``dict(book.sheets)`` to read the rest. The file is closed when the block ends.

    ``ahead``: how many sheets calamine parses ahead (default :data:`AHEAD`; 0: none, every
    sheet is parsed on the caller's thread — for a process whose cores are already busy).
    """
    fspath = os.fsdecode(path)
    wanted = _wanted(sheets)
    try:
        fh = open_regular(fspath)
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
        zf = sniff(fh)
        with zf:
            layout = _layout(zf)
            book = RawWorkbook(path=fspath, date1904=layout.date1904, names=layout.names)
            if unless and not set(unless).isdisjoint(layout.names):
                yield book
                return
            # The other XML parts are checked before calamine opens the file, and each sheet
            # scanned (limits, formula and error cells) just before calamine parses it: a file
            # refused early costs little.
            _checked(_check_parts, zf, layout)
            wb = _calamine(lambda: _open_calamine(fspath, fh))
            lazy = _Sheets(wb, layout, zf, wanted, AHEAD if ahead is None else ahead)
            book.sheets = lazy
            try:
                yield book
            finally:
                lazy.close()


def _checked(check: Callable[..., T], *args: Any) -> T:
    """``check(*args)``; an unexpected error there still becomes a reason."""
    try:
        return check(*args)
    except UnreadableWorkbook:
        raise
    except Exception as exc:
        detail = f"{type(exc).__name__}: {exc}"[:300]
        raise UnreadableWorkbook(f"{R_CORRUPT}（详情：{detail}）") from None


def _wanted(sheets: Iterable[str] | Callable[[str], bool] | None) -> Callable[[str], bool] | None:
    if sheets is None or callable(sheets):
        return sheets
    if isinstance(sheets, str):  # one name, not an iterable of characters
        return frozenset((sheets,)).__contains__
    return frozenset(sheets).__contains__


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
    return members.get(name.replace("\\", "/").lower())


def _read_xml(zf: zipfile.ZipFile, info: zipfile.ZipInfo) -> ElementTree.Element:
    data = read_member(zf, info)
    check_prolog(data[:XML_HEAD], info.filename)
    try:
        return ElementTree.fromstring(data)
    except ElementTree.ParseError:
        raise UnreadableWorkbook(
            f"文件已损坏（{info.filename} 不是有效的 XML），请在 Excel 中打开并重新保存后再提交"
        ) from None


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
    # calamine finds a part whatever its case and with "\\" for "/" (as Windows zip tools write
    # names): so do the checks, and two entries that are then one name are refused
    members = {}
    for info in zf.infolist():
        key = info.filename.replace("\\", "/").lower()
        if key in members:
            raise UnreadableWorkbook(R_DUPLICATE_PART.format(part=info.filename))
        members[key] = info
    book = _member(members, "xl/workbook.xml")
    if book is None:
        for part, reason in ZIP_KIND_REASONS:
            if _member(members, part) is not None:
                raise UnreadableWorkbook(reason)
        raise UnreadableWorkbook(R_NO_WORKBOOK)
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


def _check_parts(zf: zipfile.ZipFile, layout: _Layout) -> None:
    """The parts calamine parses when it opens the file, other than workbook.xml and its rels
    (checked when they were parsed here): no DTD in the styles, no over-long shared string."""
    styles = _member(layout.members, STYLES)
    if styles is not None:
        check_prolog(read_head(zf, styles, XML_HEAD), styles.filename)
        check_styles(zf, styles)
    shared = _member(layout.members, SHARED_STRINGS)
    if shared is not None:
        check_shared_strings(zf, shared)


# --- opening ----------------------------------------------------------------------------------


def open_regular(path: str | os.PathLike[str]) -> IO[bytes]:
    """Open ``path`` for reading, refusing anything but a regular file (a FIFO, a device such as
    ``/dev/zero`` behind a symlink, a socket) before a single byte is read: opened without
    blocking, then its type checked on the handle, so nothing can hang or stream for ever."""
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0))
    try:
        mode = os.fstat(fd).st_mode
        if stat.S_ISDIR(mode):
            raise IsADirectoryError(errno.EISDIR, os.strerror(errno.EISDIR), path)
        if not stat.S_ISREG(mode):
            raise UnreadableWorkbook(R_NOT_REGULAR)
        if hasattr(os, "set_blocking"):
            os.set_blocking(fd, True)
        return os.fdopen(fd, "rb")
    except BaseException:
        os.close(fd)
        raise


def _utf8(path: str) -> bool:
    try:
        path.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


# --- sheets ------------------------------------------------------------------------------------


def _open_calamine(path: str, fh: IO[bytes]) -> python_calamine.CalamineWorkbook:
    if os.path.splitext(path)[1].lower() in MISLEADING_SUFFIXES or not _utf8(path):
        # calamine dispatches on the extension, and takes a name only as UTF-8 (a name
        # unzipped from a Windows zip is not): read the bytes of the handle already open
        # (pread: the zip reader's position is untouched)
        size = os.fstat(fh.fileno()).st_size
        stream = io.BytesIO(os.pread(fh.fileno(), size, 0))
        return python_calamine.CalamineWorkbook.from_filelike(stream)
    return python_calamine.CalamineWorkbook.from_path(path)


def _calamine(call: Callable[[], T]) -> T:
    """``call()``; whatever calamine raises becomes a reason."""
    try:
        return call()
    except UnreadableWorkbook:
        raise
    except python_calamine.PasswordError:
        raise UnreadableWorkbook(R_ENCRYPTED) from None
    except Exception as exc:
        raise UnreadableWorkbook(_calamine_reason(exc)) from None
    except BaseException as exc:  # a Rust panic arrives as pyo3's PanicException(BaseException)
        if type(exc).__name__ != "PanicException":
            raise
        raise UnreadableWorkbook(_calamine_reason(exc)) from None


#: Sheets parsed ahead of the one asked for (each waits in calamine's memory until asked for).
AHEAD = 2


class _Sheets(Mapping[str, RawSheet]):
    """The wanted sheets by name, in file order, each read when first asked for (see
    :func:`open_workbook`): scanned on this thread, then parsed by calamine in a helper thread
    — the next ones while the caller works on this one — and turned into rows here."""

    def __init__(
        self,
        wb: python_calamine.CalamineWorkbook,
        layout: _Layout,
        zf: zipfile.ZipFile,
        wanted: Callable[[str], bool] | None,
        ahead: int,
    ) -> None:
        self._wb = wb
        self._depth = ahead
        self._zf = zf
        self._layout = layout
        metas = _calamine(lambda: wb.sheets_metadata)  # read before any parse borrows wb
        self._order = [
            (index, meta) for index, meta in enumerate(metas) if wanted is None or wanted(meta.name)
        ]
        self._last = {meta.name: pos for pos, (_, meta) in enumerate(self._order)}
        self._budget = Budget()
        self._done: dict[str, RawSheet] = {}
        self._next = 0  # position in _order of the next sheet to read
        self._ahead: deque[tuple[int, Any, Any]] = deque()
        """(position, its scan or the reason it was refused, the parse under way)"""
        self._pool: ThreadPoolExecutor | None = None

    def __getitem__(self, name: str) -> RawSheet:
        last = self._last.get(name)
        if last is None:
            raise KeyError(name)
        while self._next <= last:  # a repeated name: its last sheet wins, as in a dict
            self._read_next()
        return self._done[name]

    def __contains__(self, name: object) -> bool:
        return name in self._last

    def __iter__(self) -> Iterator[str]:
        return iter(self._last)

    def __len__(self) -> int:
        return len(self._last)

    def _read_next(self) -> None:
        """Read the sheet at ``_next``, and keep the helper thread ``ahead`` sheets ahead
        (each scanned here before it is handed over), all before this one's rows are made.

        The outcome is the whole read's, in its order (scan, parse, scan, parse …): a scan
        ahead that refuses its sheet is kept, and raised only once the sheets before it have
        been parsed."""
        pos = self._next
        index, meta = self._order[pos]
        if self._ahead:
            _, scan, future = self._ahead.popleft()
            if isinstance(scan, BaseException):
                raise scan
            parsed = _calamine(future.result)
        else:
            scan = self._scan(pos)
            parsed = _calamine(lambda: self._wb.get_sheet_by_index(index))
        queued = pos + len(self._ahead)  # the last position scanned so far
        while len(self._ahead) < self._depth and queued + 1 < len(self._order):
            queued += 1
            if self._ahead and isinstance(self._ahead[-1][1], BaseException):
                break  # nothing is parsed past a refused sheet
            try:
                ahead: SheetScan | BaseException = self._scan(queued)
            except UnreadableWorkbook as exc:
                self._ahead.append((queued, exc, None))
                break
            if self._pool is None:
                self._pool = ThreadPoolExecutor(1, thread_name_prefix="xlhfjz-calamine")
            following = self._order[queued][0]
            job = self._pool.submit(self._wb.get_sheet_by_index, following)
            self._ahead.append((queued, ahead, job))
        rows = _calamine(lambda: parsed.to_python(skip_empty_area=False))
        for (row, col), text in scan.errors.items():
            if row <= len(rows) and col < len(rows[row - 1]) and rows[row - 1][col] == "":
                rows[row - 1][col] = text
        hidden = meta.visible != python_calamine.SheetVisibleEnum.Visible
        self._done[meta.name] = RawSheet(
            name=meta.name, rows=rows, first_row=1, first_col=0, formulas=scan.formulas,
            hidden=hidden,
        )  # fmt: skip
        self._next = pos + 1

    def _scan(self, pos: int) -> SheetScan:
        """The sheet's check, before calamine may parse it (the part of the same index in
        workbook.xml, else the only one of that name)."""
        index, meta = self._order[pos]
        names = self._layout.names
        if not (index < len(names) and names[index] == meta.name):
            matches = [i for i, n in enumerate(names) if n == meta.name]
            index = matches[0] if len(matches) == 1 else -1
        scan = None
        if index >= 0:
            name, info = self._layout.sheets[index]
            scan = _checked(scan_sheet, self._zf, name, info, self._budget)
        if scan is None:
            raise UnreadableWorkbook(R_SHEET_PART.format(sheet=meta.name))
        return scan

    def close(self) -> None:
        """Wait for the parses still running, then close calamine's file."""
        for _, _, future in self._ahead:
            if future is not None:
                future.exception()
        self._ahead.clear()
        if self._pool is not None:
            self._pool.shutdown()
        with contextlib.suppress(Exception):
            self._wb.close()


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
