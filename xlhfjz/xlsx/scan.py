"""Byte scans of one worksheet part before calamine parses it: the used area against the limits,
the cells that hold formulas or error values, and over-long inline texts."""

from __future__ import annotations

import functools
import re
import zipfile
from dataclasses import dataclass, field

from xlhfjz.model.rawbook import UnreadableWorkbook
from xlhfjz.model.values import column_index, column_letter
from xlhfjz.xlsx.guard import CONTENT_LIMITS, XML_HEAD, check_prolog, read_member, text_chars
from xlhfjz.xlsx.reasons import R_SHEET_XML

Cells = frozenset[tuple[int, int]]  # (Excel row, 0-based column) of formula cells


@dataclass
class SheetScan:
    """What a sheet's XML holds, found before calamine parses it."""

    rows: int = 0
    cols: int = 0
    """The used area calamine will return (an upper bound on the fast path)."""
    formulas: Cells = frozenset()
    errors: dict[tuple[int, int], str] = field(default_factory=dict)
    """(Excel row, 0-based column) → the error value's text, e.g. ``#N/A``."""


@dataclass
class Budget:
    """Cells of the sheets scanned so far (they are scanned one after another, in order)."""

    cells: int = 0


def scan_sheet(
    zf: zipfile.ZipFile, name: str, info: zipfile.ZipInfo | None, budget: Budget
) -> SheetScan | None:
    """Check one sheet part against the limits; find its formula and error cells."""
    if info is None:
        return None
    xml = read_member(zf, info)
    check_prolog(xml[:XML_HEAD], info.filename)
    region = _region(xml)
    if region is None:
        return SheetScan()
    start, end = region
    scan: SheetScan | None = None
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
    return int(m.group(2)), column_index(m.group(1)) + 1


def _within(name: str, rows: int, cols: int, budget: Budget, *, exact: bool) -> bool:
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
        f"工作表“{name}”的数据区域有 {rows:,} 行 × {cols:,} 列（到 {column_letter(cols - 1)} 列），"
        f"读取的工作表合计超过 {limit:,} 个单元格的上限（max_cells），已拒绝读取；"
        "请删除表格右侧或下方多余的内容（包括远处单元格里零星的数据）后再提交"
    )


def _too_long(name: str, row: int, col: int, chars: int, limit: int) -> str:
    return (
        f"工作表“{name}”的 {column_letter(col)}{row} 单元格有 {chars:,} 个字符，"
        f"超过 Excel 单元格最多 {limit:,} 个字符的上限（max_cell_chars），已拒绝读取；"
        "请删减该单元格的内容后再提交"
    )


# Fast path: the claim of <dimension> holds if every cell is written the usual way. The checks
# run on a copy of the part without whitespace, with ' as " and : as < — so that r = 'X1',
# <x:c …> (calamine ignores prefixes) and the like all look like the usual form or fail it.
_CANON = bytes.maketrans(b":'", b'<"')


_DUPLICATE_R = re.compile(rb'"r=')  # a second r attribute: quick-xml lets the last one win


_SPECIAL_TYPE = re.compile(rb't="(e|str|inlineStr)"')


# on the part itself (quotes and spaces as they come)
_ERROR_TYPE = re.compile(rb"""\st\s*=\s*(["'])e\1""")


_VALUE_TEXT = re.compile(rb"<(?:[^\s/>=<:]+:)?v>([^<]*)<")


_CELL_END = re.compile(rb"</(?:[^\s/>=<:]+:)?c\s*>")


def _outside_claim(canon: bytes, start: int, end: int, rows: int, cols: int) -> bool:
    """Whether a cell of the canonical copy lies outside the claim, or does not start with
    ``r="…"`` (any case; calamine's parser reads a–z as A–Z).

    One regex per claim, cached. A claim of 100–999 rows is rounded up to two significant figures
    (287 → 289), the rows past it within the rounding looked for among the cells that share its
    first figures: the merge meets hundreds of such sizes, and compiling cost more than searching
    small sheets twice. Larger sheets are few and costly to search: their claim is kept."""
    digits = str(rows)
    top = rows if not 100 <= rows <= 999 else int(digits[:2] + "9")
    if _claim(top, cols).search(canon, start, end):
        return True
    if top > rows:
        near = _rows_starting(digits[:2])
        return any(int(m.group(1)) > rows for m in near.finditer(canon, start, end))
    return False


@functools.lru_cache(maxsize=1024)
def _claim(rows: int, cols: int) -> re.Pattern[bytes]:
    ref = _letters_up_to(column_letter(cols - 1)) + _number_up_to(rows)
    return re.compile(rb'<c(?!r="' + ref + rb'")')


@functools.lru_cache(maxsize=128)
def _rows_starting(prefix: str) -> re.Pattern[bytes]:
    """Cells in a row of three digits starting with ``prefix``."""
    return re.compile(rb'<cr="[A-Za-z]{1,3}(' + prefix.encode() + rb'[0-9])"')


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
) -> SheetScan | None:
    """The scan of a sheet whose cells are all written the usual way, or None if the sheet
    needs the exact walk."""
    rows, cols = claim
    if start == end:
        return SheetScan(0, 0)
    canon = xml.translate(_CANON, b" \t\n\r")
    region = _region(canon)
    if region is None:
        return None
    if _outside_claim(canon, *region, rows, cols) or _DUPLICATE_R.search(canon, *region):
        return None
    # the special cell types, however they are quoted: one search for any, then one find per
    # type, so that only the scans a type needs run (inline strings are common: openpyxl)
    first = _SPECIAL_TYPE.search(canon, *region)
    kinds: set[bytes] = set()
    if first is not None:
        kinds = {first.group(1)} | {
            kind
            for kind in (b"e", b"str", b"inlineStr")
            if kind != first.group(1) and canon.find(b't="' + kind + b'"', *region) >= 0
        }
    del canon
    scan = SheetScan(rows, cols, formula_cells(xml))
    if b"e" in kinds:
        for m in _ERROR_TYPE.finditer(xml, start, end):
            cell = _enclosing_cell(xml, m.start())
            if cell is None:
                return None
            close = _CELL_END.search(xml, m.end(), end)
            value = _VALUE_TEXT.search(xml, m.end(), close.start() if close else end)
            if value is not None and value.group(1).strip():
                scan.errors[cell] = value.group(1).strip().decode("utf-8", errors="replace")
    limit = CONTENT_LIMITS["max_cell_chars"]
    texts = [kind for kind in (b"inlineStr", b"str") if kind in kinds]
    if not texts or not _long_span(xml, start, end, limit + 1):
        return scan
    for kind in texts:
        for m in _long_cell(kind, limit).finditer(xml, start, end):
            cell = _enclosing_cell(xml, m.start())
            if cell is None:
                return None
            close = _CELL_END.search(xml, m.end(), end)
            stop = close.start() if close else end
            chars = text_chars(xml[xml.find(b">", m.start()) + 1 : stop])
            if chars > limit:
                raise UnreadableWorkbook(_too_long(name, *cell, chars, limit))
    return scan


def _long_span(xml: bytes, start: int, end: int, n: int) -> bool:
    """Whether ``xml[start:end]`` may hold ``n`` bytes in a row without a ``</c>``: only then can a
    cell's text be longer than ``n - 1`` characters (a character takes at least one byte).

    Any ``n`` bytes contain a whole block of ``n // 2`` bytes counted from ``start``; if every
    such block holds a ``</c>``, no span of ``n`` bytes lacks one — one short find per block."""
    block = max(n // 2, 1)
    blocks = range(start, end - block + 1, block)
    return any(xml.find(b"</c>", lo, lo + block) < 0 for lo in blocks)


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
    return row, column_index(letters)


def _local_name(name: bytes) -> bytes:
    return name.partition(b":")[2] or name


def _walk(xml: bytes, start: int, end: int, name: str, budget: Budget) -> SheetScan:
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
                        chars = text_chars(xml[cell_start : m.start()])
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
                R_SHEET_XML.format(sheet=name, detail=f"第 {m.start()} 字节处的标签无法识别")
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
    return SheetScan(used_rows, used_cols, frozenset(formulas), errors)


_PREFIX = re.compile(rb"(?:[A-Za-z_][\w.-]*:)?")


_CELL_OPEN = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?c(\s[^>]*)?>")


_CELL_REF = re.compile(rb"""\sr\s*=\s*["']\$?([A-Za-z]{1,3})\$?([0-9]+)["']""")


_ROW_REF = re.compile(rb"""\sr\s*=\s*["']([0-9]+)["']""")


_TAG = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?(row|c|f)(?=[\s/>])([^>]*)>")


_AFTER_F = frozenset(b" \t\r\n/>")


_PLAIN_F = re.compile(rb"<f")


def formula_cells(xml: bytes) -> Cells:
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
    return int(ref.group(2)), column_index(ref.group(1))


def _formula_cells_in_order(xml: bytes, start: int, end: int) -> Cells:
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
                row, col = int(ref.group(2)), column_index(ref.group(1))
            else:
                col += 1
        elif col >= 0:
            cells.add((row, col))
    return frozenset(cells)
