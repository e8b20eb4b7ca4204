"""The Excel adapter (excel.md): the buttons of the community and the office workbook.

Each button is a thin xlwings wrapper around pure functions of this module:
``xw.Book.caller()`` → one bulk read per sheet (:func:`read_sheet`) → :func:`raw_from_values` →
the same core as the CLI (:func:`~xlhfjz.checks.validate.validate_workbook`,
:func:`~xlhfjz.scoring.score_report`, :func:`~xlhfjz.office.inputs.read_office`,
:func:`~xlhfjz.batch.merge_folder`) → pure "what to write" functions (:func:`marks_for`,
:func:`paint_plan`, :func:`result_rows`, :func:`score_rows`, :func:`dashboard_rows`, …) → writes.

Writes use only the actions that xlwings' remote VBA client (``RunRemotePython``) can replay —
:data:`ALLOWED_ACTIONS` — so the very same functions run behind ``RunPython`` (COM, Python on the
PC) and behind a server. Nothing written is read back in the same click. xlwings is imported only
inside the button functions: importing this module and its pure helpers does not need it.

Decisions and limits (what Excel itself would have to confirm is marked *unverified*):

- **Marks.** Validation fills the exact cell of each issue: E light red ``#FFC7CE``, W yellow
  ``#FFEB9C``; a cell with both is red. A data issue marks (its row, its field's column); a
  基本信息 issue the value cell (column 值, normally B) of its key's row; a header-row issue the
  header cell of its column when the label is found there, else the first header cell; an issue
  without a row (missing sheet, template version) marks nothing. Vertically adjacent cells of one
  colour are filled with one action.
- **Clearing a mark** sets the fill to white ``#FFFFFF``: the VBA client cannot remove a fill
  (``range.color = None`` sends ``null``, which its ``HexToRgb`` cannot convert) and
  ``rangeClearFormats`` would also wipe the cell's number format, borders and *unlocked* flag on
  the protected ledger sheets. So a cleared cell is white, not "no fill": on 基本信息 (cells with
  borders) it looks as before, on a ledger's data cells (no borders) the white also hides that
  cell's gridlines; a colour the user had put on a cell that was later marked is not restored.
  Cells that were never marked are never touched.
- **Where marks are remembered**: the sheet ``_marks`` (columns 工作表 | 地址, one cell per row,
  header in row 1), hidden in the template and not protected. If it is missing, the button adds
  it — visibly, since no allowed action can hide a sheet. A second validation whitens the marks
  that are no longer issues and paints the current ones; 【清除标记】 whitens them all.
- **校验结果** is emptied with ``sheetClear``, not ``sheetClearContents``: Excel's ClearContents
  keeps a cell's hyperlink (*unverified* here; the test replayer models it so), so links of a
  longer previous list would survive on blank rows. Columns 工作表 | 行 | 列 | 级别 | 说明 | 单元格;
  the last one holds a hyperlink (``#'志愿者'!E4``, text ``E4``) to the cell. 校验结果 and 创建评分
  are added after the last sheet. The ledgers are protected with "format cells" allowed, which
  is what lets VBA fill their cells (*unverified* in Excel); nothing is ever written into them.
- **Merge** writes its sheets (汇总看板 as a values block, 社区评分, 问题清单, the merged ledgers,
  线索统计, 重点人员统计, 合并日志) with ``sheetClearContents`` + one ``setValues`` each, so the
  office's own formatting of those sheets survives; the charts are in the ``.xlsx`` summary.
- **Score** writes 创建评分 only (no marks: only 【校验台账】 colours the ledgers); it scores the
  file alone, without the office's 督导检查 (C4 shows 待检查), exactly as ``xlhfjz score`` does.
- **Text stays text.** ``setValues`` ends in VBA ``Range.Value = array``: Excel parses a string as
  if typed (``=1+1`` becomes a formula, ``001`` the number 1, ``2020-13-05`` a date), and the
  VBA client first turns every ``a-b-c`` string it can into a date. :func:`excel_text` prefixes
  such strings with an apostrophe, which is how Excel stores text that looks like something
  else (the apostrophe is not part of the value). The rules cover formulas (= + - @), numbers,
  percentages, currency, dates, times, booleans and error literals; English month names
  (``Jan-20``) and locale-specific forms may still be missed (*unverified* in Excel).
- **What the read cannot see**: remote mode has no formulas (so no ``formula-cell`` warnings
  from the button), and the VBA client sends a text of 16–100 digits (an ID number typed as
  text) as a number. Everything else arrives as the CLI's reader sees it.
"""

from __future__ import annotations

import datetime as dt
import math
import os
import re
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple

from xlhfjz.checks.validate import find_sheet, key_value_columns, norm_label
from xlhfjz.model.issues import SEVERITY_ZH, E, Issue
from xlhfjz.model.rawbook import RawSheet, RawWorkbook
from xlhfjz.model.schema import (
    BY_NAME,
    INSPECTIONS,
    MARKS_HEADER,
    MARKS_SHEET,
    META_SHEET,
    OFFICE_SETTINGS,
    PARAMETERS_SHEET,
    ROSTER,
)
from xlhfjz.model.values import column_index, column_letter
from xlhfjz.scoring import GATES, VETOES
from xlhfjz.xlsx.style import DATE_FORMAT, ERROR_FILL, WARNING_FILL

if TYPE_CHECKING:  # pragma: no cover
    from xlhfjz.checks.validate import Report
    from xlhfjz.office.resolve import MergeResult
    from xlhfjz.scoring import ScoreCard

__all__ = [
    "ALLOWED_ACTIONS",
    "Mark",
    "block",
    "cell_address",
    "clear_button",
    "column_index",
    "column_letter",
    "dashboard_rows",
    "excel_text",
    "find_sheet",
    "issue_cell",
    "link_target",
    "marks_for",
    "marks_from_values",
    "marks_rows",
    "merge_button",
    "merge_message",
    "paint_plan",
    "parse_cells",
    "raw_from_values",
    "read_sheet",
    "resolve_folder",
    "result_links",
    "result_rows",
    "score_button",
    "score_message",
    "score_rows",
    "summary_blocks",
    "summary_file_name",
    "validate_button",
    "validation_message",
    "wanted_sheets",
]

#: The only actions the buttons emit: what xlwings' remote VBA client can replay (excel.md).
ALLOWED_ACTIONS = frozenset(
    {
        "setValues", "setRangeColor", "setNumberFormat", "addSheet", "activateSheet",
        "addHyperlink", "rangeClear", "rangeClearContents", "rangeClearFormats", "sheetClear",
        "sheetClearContents", "sheetClearFormats", "setAutofit", "alert",
    }
)  # fmt: skip

CLEARED_FILL = "#FFFFFF"

RESULT_SHEET = "校验结果"
RESULT_HEADER = ("工作表", "行", "列", "级别", "说明", "单元格")
SCORE_SHEET = "创建评分"
SCORE_HEADER = ("编号", "项目", "得分", "满分", "依据", "还需")

VALIDATE_TITLE = "校验台账"
SCORE_TITLE = "计算评分"
CLEAR_TITLE = "清除标记"
MERGE_TITLE = "合并汇总"

#: 设置's key for the folder the 【合并汇总】 button reads.
FOLDER_LABEL = OFFICE_SETTINGS.field("folder").label
OFFICE_INPUT_SHEETS = (OFFICE_SETTINGS.name, ROSTER.name, INSPECTIONS.name, PARAMETERS_SHEET)

SCORE_FORMAT = "0.0"

Values = Sequence[Sequence[Any]]


# ── text that Excel would not keep as text ──────────────────────────────────────────────────

_FORMULA_START = ("=", "+", "-", "@", "'", "#")
_NUMERIC_CHARS = re.compile(r"^[\d\s.,:/%$¥￥()+\-年月日时分秒]+$")
_EXPONENT = re.compile(r"^\s*[+-]?(\d+\.?\d*|\.\d+)[eE][+-]?\d+\s*$")
_TIME_AMPM = re.compile(r"^\s*\d{1,2}(:\d{1,2}){0,2}\s*[AaPp][Mm]?\s*$")
_MONTH_NAME = re.compile(r"(?i)\b(jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\b")
_MONTH_TEXT = re.compile(r"^[A-Za-z\d\s\-/,.]+$")
_CINT = re.compile(r"^\s*[+-]?(\d+\.?\d*|\.\d+)\s*$")
_BOOLEANS = {"TRUE", "FALSE"}


def excel_text(value: Any) -> Any:
    """A value for ``setValues``: a string Excel (or the VBA client) would turn into a formula,
    number, date, boolean or error gets a leading apostrophe; everything else is unchanged."""
    if not isinstance(value, str) or not value:
        return value
    if _would_convert(value):
        return "'" + value
    return value


def _would_convert(text: str) -> bool:
    stripped = text.strip()
    if not stripped:
        return False
    if stripped.startswith(_FORMULA_START):
        return True
    if stripped.upper() in _BOOLEANS:
        return True
    if _vba_parses_as_date(text):
        return True
    has_digit = any(c.isdigit() for c in stripped)
    if not has_digit:
        return False
    if _NUMERIC_CHARS.match(stripped) or _EXPONENT.match(stripped) or _TIME_AMPM.match(stripped):
        return True
    return bool(_MONTH_NAME.search(stripped) and _MONTH_TEXT.match(stripped))


def _vba_parses_as_date(text: str) -> bool:
    """What the VBA client's ``WebHelpers.ParseIso`` accepts: ``y-m-d[T…]`` with CInt-able parts."""
    parts = text.split("T")[0].split("-")
    return len(parts) >= 3 and all(_CINT.match(p) for p in parts[:3])


def _cell(value: Any) -> Any:
    """One value of a written block: JSON-able for the remote client, text kept as text."""
    if value is None or isinstance(value, bool | int | dt.date):
        return value
    if isinstance(value, float):
        return None if math.isnan(value) or math.isinf(value) else value
    if isinstance(value, dt.time | dt.timedelta):
        return str(value)
    return excel_text(value if isinstance(value, str) else str(value))


def block(rows: Iterable[Sequence[Any]]) -> list[list[Any]]:
    """Rows as a rectangle of safe values (short rows padded with ``None``)."""
    out = [[_cell(v) for v in row] for row in rows]
    width = max((len(r) for r in out), default=0)
    for row in out:
        row.extend([None] * (width - len(row)))
    return out


# ── addresses ───────────────────────────────────────────────────────────────────────────────

_ADDRESS = re.compile(r"^\$?([A-Za-z]{1,3})\$?(\d{1,7})(?::\$?([A-Za-z]{1,3})\$?(\d{1,7}))?$")


def cell_address(row: int, col: int) -> str:
    """Excel row (1-based) and 0-based column → ``E4``."""
    return f"{column_letter(col)}{row}"


def parse_cells(address: str) -> list[tuple[int, int]]:
    """``E4`` or ``E4:F6`` → every (row, 0-based column) it covers; ``[]`` if not an address."""
    m = _ADDRESS.match(address.strip())
    if not m:
        return []
    c1, r1 = column_index(m.group(1)), int(m.group(2))
    c2, r2 = (column_index(m.group(3)), int(m.group(4))) if m.group(3) else (c1, r1)
    if (r2 - r1 + 1) * (c2 - c1 + 1) > 100_000 or r1 < 1 or r2 < r1 or c2 < c1:
        return []
    return [(r, c) for r in range(r1, r2 + 1) for c in range(c1, c2 + 1)]


def link_target(sheet: str, address: str) -> str:
    """An in-workbook hyperlink: ``#'志愿者'!E4``."""
    return "#'" + sheet.replace("'", "''") + "'!" + address


# ── reading ─────────────────────────────────────────────────────────────────────────────────


def raw_from_values(path: str, sheets: Mapping[str, tuple[Values | None, int, int]]) -> RawWorkbook:
    """A :class:`RawWorkbook` from bulk reads: sheet name → (values, row, column), where row and
    column are the 1-based position of the values' top-left cell (``used_range.row``/``.column``
    in xlwings; the remote client always sends from A1, real Excel may not)."""
    book = RawWorkbook(path)
    for name, (values, row, column) in sheets.items():
        rows = [list(r) for r in values or ()]
        book.sheets[name] = RawSheet(name, rows, first_row=row, first_col=column - 1)
    return book


def wanted_sheets(names: Iterable[str], contract: Iterable[str]) -> list[str]:
    """The workbook sheets the validator looks at (matched as it matches them), in file order."""
    exact = set(contract)
    labels = {norm_label(n) for n in exact}
    return [n for n in names if n in exact or norm_label(n) in labels]


# ── validate: where each issue is ───────────────────────────────────────────────────────────


class Mark(NamedTuple):
    """A fill to apply: sheet name as in the workbook, an address (``E4`` or ``E4:E6``), colour."""

    sheet: str
    address: str
    colour: str


def issue_cell(issue: Issue, report: Report, book: RawWorkbook) -> tuple[str, int, int] | None:
    """The cell an issue is about: (workbook sheet name, Excel row, 0-based column), or None."""
    if issue.sheet is None or issue.row is None:
        return None
    raw = find_sheet(book, issue.sheet)
    schema = BY_NAME.get(issue.sheet)
    if raw is None or schema is None:
        return None
    table = next((t for t in report.tables.values() if t.sheet.name == schema.name), None)
    if table is None:
        return None
    if schema.key_value:
        return raw.name, issue.row, key_value_columns(raw.rows)[2] + raw.first_col
    header = table.header_row
    if header is not None and issue.row == header:
        return raw.name, issue.row, _header_cell(raw, header, issue)
    if issue.field in table.columns:
        return raw.name, issue.row, table.columns[issue.field] + raw.first_col
    return raw.name, issue.row, _first_header_col(raw, header)


def _header_cell(raw: RawSheet, header_row: int, issue: Issue) -> int:
    """The header cell an issue on the header row names; the duplicate of a duplicate-column."""
    labels = [norm_label(v) for v in raw.rows[header_row - raw.first_row]]
    wanted = norm_label(issue.column) if issue.column else ""
    hits = [c for c, label in enumerate(labels) if wanted and label == wanted]
    if hits:
        pick = hits[1] if issue.code == "duplicate-column" and len(hits) > 1 else hits[0]
        return pick + raw.first_col
    return _first_header_col(raw, header_row)


def _first_header_col(raw: RawSheet, header_row: int | None) -> int:
    if header_row is not None:
        row = raw.rows[header_row - raw.first_row]
        for c, value in enumerate(row):
            if value is not None and str(value).strip():
                return c + raw.first_col
    return raw.first_col


def marks_for(report: Report, book: RawWorkbook) -> list[Mark]:
    """One mark per issue cell (E wins over W), in workbook order, row by row."""
    colours: dict[tuple[str, int, int], str] = {}
    for issue in report.issues:
        where = issue_cell(issue, report, book)
        if where is None:
            continue
        if issue.severity == E or colours.get(where) != ERROR_FILL:
            colours[where] = ERROR_FILL if issue.severity == E else WARNING_FILL
    order = {name: k for k, name in enumerate(book.sheets)}
    cells = sorted(colours, key=lambda w: (order.get(w[0], len(order)), w[1], w[2]))
    return [Mark(s, cell_address(r, c), colours[(s, r, c)]) for s, r, c in cells]


def marks_from_values(values: Values | None) -> list[tuple[str, str]]:
    """(sheet, address) rows of ``_marks`` as read back (header and junk rows skipped)."""
    out = []
    for row in values or ():
        if len(row) < 2 or not isinstance(row[0], str) or not isinstance(row[1], str):
            continue
        if (row[0], row[1]) == MARKS_HEADER or not parse_cells(row[1]):
            continue
        out.append((row[0], row[1].strip().replace("$", "").upper()))
    return out


def marks_rows(marks: Sequence[Mark]) -> list[list[str]]:
    """The ``_marks`` sheet: header, then one (sheet, cell) per marked cell."""
    rows = [list(MARKS_HEADER)]
    for m in marks:
        rows += [[m.sheet, cell_address(r, c)] for r, c in parse_cells(m.address)]
    return rows


def paint_plan(
    previous: Iterable[tuple[str, str]], marks: Sequence[Mark], sheets: Sequence[str]
) -> list[Mark]:
    """The fills of one click: white on previous marks that are not marked again, then the new
    marks; vertically adjacent cells of one colour become one range. Sheets not in ``sheets``
    (renamed or deleted since) are skipped."""
    known = set(sheets)
    now = {(m.sheet, r, c) for m in marks for r, c in parse_cells(m.address)}
    cleared = {
        (s, r, c)
        for s, address in previous
        if s in known
        for r, c in parse_cells(address)
        if (s, r, c) not in now
    }
    fills = {cell: CLEARED_FILL for cell in cleared}
    for m in marks:
        for r, c in parse_cells(m.address):
            fills[(m.sheet, r, c)] = m.colour
    order = {name: k for k, name in enumerate(sheets)}
    white = [cell for cell in fills if fills[cell] == CLEARED_FILL]
    coloured = [cell for cell in fills if fills[cell] != CLEARED_FILL]
    return _runs(white, fills, order) + _runs(coloured, fills, order)


def _runs(
    cells: Iterable[tuple[str, int, int]],
    fills: Mapping[tuple[str, int, int], str],
    order: Mapping[str, int],
) -> list[Mark]:
    out: list[Mark] = []
    start: tuple[str, int, int] | None = None
    prev: tuple[str, int, int] | None = None
    for cell in sorted(cells, key=lambda w: (order.get(w[0], 0), w[2], w[1])):
        if (
            start is not None
            and prev is not None
            and cell[0] == prev[0]
            and cell[2] == prev[2]
            and cell[1] == prev[1] + 1
            and fills[cell] == fills[start]
        ):
            prev = cell
            continue
        if start is not None and prev is not None:
            out.append(_run_mark(start, prev, fills[start]))
        start = prev = cell
    if start is not None and prev is not None:
        out.append(_run_mark(start, prev, fills[start]))
    return out


def _run_mark(first: tuple[str, int, int], last: tuple[str, int, int], colour: str) -> Mark:
    a = cell_address(first[1], first[2])
    b = cell_address(last[1], last[2])
    return Mark(first[0], a if a == b else f"{a}:{b}", colour)


# ── validate: the result sheet and the message ──────────────────────────────────────────────


def _sorted_issues(report: Report, book: RawWorkbook) -> list[tuple[Issue, Any]]:
    """Issues with their cells, by sheet (file order; sheets not in the file first), row, column."""
    order = {name: k for k, name in enumerate(book.sheets)}
    located = [(i, issue_cell(i, report, book)) for i in report.issues]

    def key(item: tuple[Issue, Any]) -> tuple[int, int, int]:
        issue, where = item
        raw = find_sheet(book, issue.sheet) if issue.sheet else None
        return (order[raw.name] if raw else -1, issue.row or 0, where[2] if where else -1)

    return sorted(located, key=key)


def result_rows(report: Report, book: RawWorkbook) -> list[list[Any]]:
    """校验结果: header, then one row per issue (sheet, row, column label, 级别, message, cell)."""
    rows: list[list[Any]] = [list(RESULT_HEADER)]
    for issue, where in _sorted_issues(report, book):
        sheet = where[0] if where else issue.sheet
        address = cell_address(where[1], where[2]) if where else None
        rows.append(
            [sheet, issue.row, issue.column, SEVERITY_ZH[issue.severity], issue.message, address]
        )
    return rows


def result_links(rows: Sequence[Sequence[Any]]) -> list[tuple[str, str, str]]:
    """(address in 校验结果, link target, text) for every row of :func:`result_rows` with a cell."""
    col = RESULT_HEADER.index("单元格")
    out = []
    for k, row in enumerate(rows[1:], start=2):
        sheet, address = row[0], row[col]
        if address:
            out.append((cell_address(k, col), link_target(sheet, address), address))
    return out


def validation_message(report: Report, marked: int) -> str:
    """The message box: ``发现 3 个错误、1 个提醒`` (and where to look) or ``校验通过``."""
    if not report.issues:
        return "校验通过"
    head = f"发现 {report.errors} 个错误、{report.warnings} 个提醒"
    where = f"已在台账中标出 {marked} 个单元格（红色为错误，黄色为提醒）；" if marked else ""
    return f"{head}\n{where}逐条说明见“{RESULT_SHEET}”表，点“单元格”列的链接可跳到该单元格。"


# ── score ───────────────────────────────────────────────────────────────────────────────────


def score_rows(card: ScoreCard, report: Report | None = None) -> list[list[Any]]:
    """创建评分: the result block, then the 19 items (scores as numbers, one decimal shown).

    The items' header is the row right after the first empty row (:data:`SCORE_HEADER`).
    """
    p = card.parameters
    who = ""
    if report is not None:
        who = "，".join(x for x in (report.community_name, report.community_code) if x)
    rows: list[list[Any]] = [
        ["创建评分（本社区自评；群众知晓率需街道督导检查后评分）"],
        ["社区", who or None],
        ["创建结果", card.result],
        ["总分", round(card.total, 1), f"满分 100；达标 {p['pass_line']:g} 分，优秀 {p['excellent_line']:g} 分"],
    ]  # fmt: skip
    if card.reasons:
        rows.append(["原因", "；".join(card.reasons)])
    for gid, label in GATES.items():
        ok = card.gates.get(gid, False)
        rows.append([f"基本条件 {gid}", "满足" if ok else "未满足", label])
    vetoes = "；".join(f"{v} {VETOES[v]}" for v in card.vetoes) if card.vetoes else "无"
    rows.append(["一票否决", vetoes])
    if report is not None:
        check = f"错误 {report.errors} 个、提醒 {report.warnings} 个"
        if report.errors:
            check += "（有错误的行不计分，请点【校验台账】查看并改正）"
        rows.append(["台账校验", check])
    rows.append([])
    rows.append(list(SCORE_HEADER))
    for item in card.items.values():
        full = item.score >= item.max - 1e-9
        rows.append(
            [item.id, item.name, round(item.score, 1), item.max, item.detail or None,
             None if full else (item.missing or None)]
        )  # fmt: skip
    rows.append(["合计", None, round(card.total, 1), sum(i.max for i in card.items.values())])
    return rows


def score_message(card: ScoreCard) -> str:
    """The message box of 【计算评分】."""
    text = f"创建结果：{card.result}\n总分：{card.total:.1f} 分（满分 100）"
    if card.reasons:
        text += "\n" + "\n".join(card.reasons)
    return text + f"\n各项得分和还需做的工作见“{SCORE_SHEET}”表。"


def _score_formats(rows: Sequence[Sequence[Any]]) -> list[str]:
    """Addresses in 创建评分 that show one decimal: the total and the items' 得分 column."""
    start = next(k for k, row in enumerate(rows) if list(row) == list(SCORE_HEADER)) + 2
    total_row = next(k for k, row in enumerate(rows, start=1) if row and row[0] == "总分")
    return [f"B{total_row}", f"C{start}:C{len(rows)}"]


# ── merge: the summary sheets as values ─────────────────────────────────────────────────────


def dashboard_rows(result: MergeResult, summary_path: str | None = None) -> list[list[Any]]:
    """汇总看板 as a block of values: KPIs, result counts, every community, nearest candidates,
    files with problems (the charts are in the ``.xlsx`` summary)."""
    from xlhfjz.office.summary import (
        OUTCOME_ZH,
        candidates,
        progress_figures,
        shortfall_text,
        status_counts,
    )

    t = result.target
    street = result.office.settings.get("street") or ""
    pass_line = result.office.parameters["pass_line"]
    comms = result.communities
    rows: list[list[Any]] = [
        [f"{street}创建“无非法集资社区（村居）”汇总看板"],
        [f"生成时间 {dt.datetime.now():%Y-%m-%d %H:%M}；台账文件夹 {result.folder}"],
    ]
    if summary_path:
        rows.append([f"含图表的汇总文件：{summary_path}"])
    rows += [
        [],
        ["总体进度"],
        *([label, n] for label, n in progress_figures(comms, t, result.office.roster_codes)),
        ["完成率", t.sentence()],
        [],
        ["结果分布"],
        *([label, n] for label, n in status_counts(comms)),
        [],
        ["各社区结果"],
        ["社区代码", "社区名称", "创建结果", "总分", "错误数", "提醒数"],
    ]
    for c in comms:
        total = None if c.total is None else round(c.total, 1)
        errors = c.errors if c.report else None
        warnings = c.warnings if c.report else None
        rows.append([c.code, c.name, c.status, total, errors, warnings])
    rows += [
        [],
        ["最接近达标的社区（未达标，按总分从高到低）"],
        ["社区名称", "社区代码", "总分", "距达标线", "失分最多的三项（还需做什么）"],
    ]
    near = candidates(comms)
    for c in near:
        total = c.total or 0.0
        rows.append([c.name, c.code, round(total, 1), round(pass_line - total, 1),
                     shortfall_text(c.card) if c.card else None])  # fmt: skip
    if not near:
        rows.append(["（无）"])
    rows += [[], ["有问题的文件（未合并、被替代或已跳过）"], ["文件", "结果", "原因"]]
    problems = [log for log in result.logs if log.outcome != "merged"]
    for log in problems:
        rows.append([log.file, OUTCOME_ZH[log.outcome], log.reason])
    if not problems:
        rows.append(["（无）"])
    return rows


def summary_blocks(
    result: MergeResult, summary_path: str | None = None
) -> list[tuple[str, list[list[Any]], list[int]]]:
    """Every summary sheet of office.md as (sheet name, rows with header, date columns)."""
    from xlhfjz.office.summary import (
        issue_table,
        lead_table,
        ledger_table,
        log_table,
        merged_sheets,
        person_table,
        score_table,
    )
    from xlhfjz.xlsx.summary import DASHBOARD, ISSUES, LEADS, LOG, PERSONS, SCORES

    def table(header: Sequence[str], rows: Iterable[Sequence[Any]]) -> list[list[Any]]:
        return [list(header), *(list(r) for r in rows)]

    comms = result.communities
    blocks = [
        (DASHBOARD, dashboard_rows(result, summary_path), []),
        (SCORES, table(*score_table(comms)), []),
        (ISSUES, table(*issue_table(comms)), []),
    ]
    for sheet in merged_sheets():
        header, rows = ledger_table(sheet, comms)
        dates = [c for c, f in enumerate(sheet.fields) if f.type == "date"]
        blocks.append((sheet.name, table(header, rows), dates))
    blocks += [
        (LEADS, table(*lead_table(comms)), []),
        (PERSONS, table(*person_table(comms)), []),
        (LOG, table(*log_table(result.logs)), []),
    ]
    return blocks


def summary_file_name(today: dt.date | None = None) -> str:
    """``汇总_2020-12-31.xlsx``."""
    return f"汇总_{(today or dt.date.today()).isoformat()}.xlsx"


def resolve_folder(text: Any, workbook_path: str) -> Path | None:
    """设置.台账文件夹 as a path; a relative one is taken from the workbook's own folder."""
    if not isinstance(text, str) or not text.strip():
        return None
    folder = Path(os.path.expandvars(text.strip().strip('"'))).expanduser()
    if not folder.is_absolute() and os.path.isabs(workbook_path):
        folder = Path(workbook_path).parent / folder
    return folder


def merge_message(result: MergeResult, summary: Path | None, problem: str | None) -> str:
    """The message box of 【合并汇总】."""
    merged = sum(log.outcome == "merged" for log in result.logs)
    others = len(result.logs) - merged
    lines = [
        f"合并完成：合并了 {merged} 个社区台账"
        + (f"，另有 {others} 个文件未合并（原因见“合并日志”）。" if others else "。"),
        f"创建成功 {result.target.sentence()}。",
        "汇总表已写入本工作簿（汇总看板、社区评分、问题清单等）。",
    ]
    if summary is not None:
        lines.append(f"含图表的汇总文件：{summary}")
    if problem:
        lines.append(problem)
    errors = [i for i in result.office.issues if i.severity == E]
    if errors:
        lines.append(
            f"注意：本工作簿中有 {len(errors)} 处填写错误（相应行未使用），请检查督导检查等表。"
        )
    return "\n".join(lines)


# ══ the xlwings wrappers ════════════════════════════════════════════════════════════════════


def _caller() -> Any:
    import xlwings as xw

    return xw.Book.caller()


def read_sheet(sheet: Any) -> tuple[list[list[Any]], int, int]:
    """One bulk read: the used range's values (always 2-D) and its top-left (row, column)."""
    used = sheet.used_range
    return used.options(ndim=2).value, used.row, used.column


def _read_book(book: Any, names: Iterable[str]) -> RawWorkbook:
    sheets = {s.name: s for s in book.sheets}
    return raw_from_values(book.fullname, {n: read_sheet(sheets[n]) for n in names if n in sheets})


def _fresh_sheet(book: Any, name: str, clear: str = "contents") -> Any:
    """The sheet ``name``, emptied (``clear`` = "contents" or "all"), or added after the last."""
    existing = {s.name: s for s in book.sheets}
    if name in existing:
        sheet = existing[name]
        if clear == "all":
            sheet.clear()
        else:
            sheet.clear_contents()
        return sheet
    return book.sheets.add(name, after=book.sheets[-1])


def _write(sheet: Any, rows: Sequence[Sequence[Any]], top_left: str = "A1") -> None:
    values = block(rows)
    if values and values[0]:
        sheet.range(top_left).value = values


def _paint(book: Any, plan: Iterable[Mark]) -> None:
    sheets = {s.name: s for s in book.sheets}
    for sheet, address, colour in plan:
        sheets[sheet].range(address).color = colour


def _alert(book: Any, text: str, title: str, mode: str = "info") -> None:
    book.app.alert(text, title=title, mode=mode)


def _validate(book: Any) -> tuple[Report, RawWorkbook, list[tuple[str, str]]]:
    from xlhfjz.checks.validate import validate_workbook
    from xlhfjz.model.schema import SHEETS

    names = [s.name for s in book.sheets]
    raw = _read_book(book, wanted_sheets(names, [s.name for s in SHEETS] + [META_SHEET]))
    previous: list[tuple[str, str]] = []
    if MARKS_SHEET in names:
        previous = marks_from_values(read_sheet(book.sheets[MARKS_SHEET])[0])
    return validate_workbook(raw), raw, previous


def validate_button() -> None:
    """【校验台账】: validate the calling workbook, mark the cells, list the issues."""
    book = _caller()
    report, raw, previous = _validate(book)
    marks = marks_for(report, raw)
    sheet_names = [s.name for s in book.sheets]
    _paint(book, paint_plan(previous, marks, sheet_names))

    marks_sheet = _fresh_sheet(book, MARKS_SHEET)
    _write(marks_sheet, marks_rows(marks))

    out = _fresh_sheet(book, RESULT_SHEET, clear="all")
    rows = result_rows(report, raw)
    _write(out, rows)
    for address, target, text in result_links(rows):
        out.range(address).add_hyperlink(target, text, f"跳到 {text}")
    out.activate()
    _alert(book, validation_message(report, len({(m.sheet, m.address) for m in marks})),
           VALIDATE_TITLE)  # fmt: skip


def score_button() -> None:
    """【计算评分】: validate and score the calling workbook, write 创建评分."""
    from xlhfjz.scoring import score_report

    book = _caller()
    report, _raw, _previous = _validate(book)
    card = score_report(report)
    out = _fresh_sheet(book, SCORE_SHEET, clear="all")
    rows = score_rows(card, report)
    _write(out, rows)
    for address in _score_formats(rows):
        out.range(address).number_format = SCORE_FORMAT
    out.activate()
    _alert(book, score_message(card), SCORE_TITLE)


def clear_button() -> None:
    """【清除标记】: whiten the cells of the last validation, empty ``_marks`` and 校验结果."""
    book = _caller()
    names = [s.name for s in book.sheets]
    previous: list[tuple[str, str]] = []
    if MARKS_SHEET in names:
        previous = marks_from_values(read_sheet(book.sheets[MARKS_SHEET])[0])
        plan = paint_plan(previous, [], names)
        _paint(book, plan)
        marks_sheet = book.sheets[MARKS_SHEET]
        marks_sheet.clear_contents()
        _write(marks_sheet, [list(MARKS_HEADER)])
    if RESULT_SHEET in names:
        book.sheets[RESULT_SHEET].clear()
    cells = {(s, a) for s, a in previous if s in names}
    text = f"已清除 {len(cells)} 个单元格的校验标记。" if cells else "没有需要清除的校验标记。"
    _alert(book, text, CLEAR_TITLE)


def merge_button() -> None:
    """【合并汇总】 (office workbook): merge the folder named in 设置.台账文件夹 into this workbook's
    summary sheets, and write the ``.xlsx`` summary with charts (``汇总_<date>.xlsx``) into the
    folder's parent, beside the folder rather than in it (so the next merge does not find it)."""
    from xlhfjz.batch import merge_folder
    from xlhfjz.office.inputs import read_office
    from xlhfjz.xlsx.summary import DASHBOARD, SummaryWriteError, write_summary

    book = _caller()
    names = [s.name for s in book.sheets]
    raw = _read_book(book, [n for n in names if n in OFFICE_INPUT_SHEETS])
    office = read_office(raw)
    folder = resolve_folder(office.settings.get("folder"), book.fullname)
    if folder is None:
        _alert(book, f"请先在“{OFFICE_SETTINGS.name}”表的“{FOLDER_LABEL}”中填写存放各社区台账的文件夹路径，"
               "再点【合并汇总】。", MERGE_TITLE, "critical")  # fmt: skip
        return
    if not folder.is_dir():
        _alert(book, f"找不到文件夹“{folder}”，请检查“{OFFICE_SETTINGS.name}”表的“{FOLDER_LABEL}”。",
               MERGE_TITLE, "critical")  # fmt: skip
        return

    result = merge_folder(folder, office, keep_rows=True)
    summary: Path | None = None
    problem = None
    try:
        summary = write_summary(folder.resolve().parent / summary_file_name(), result)
    except SummaryWriteError as exc:
        problem = f"含图表的汇总文件未能写出：{exc}"

    for name, rows, date_cols in summary_blocks(result, str(summary) if summary else None):
        sheet = _fresh_sheet(book, name)
        _write(sheet, rows)
        if len(rows) > 1:
            for c in date_cols:
                letter = column_letter(c)
                sheet.range(f"{letter}2:{letter}{len(rows)}").number_format = DATE_FORMAT
    {s.name: s for s in book.sheets}[DASHBOARD].activate()
    _alert(book, merge_message(result, summary, problem), MERGE_TITLE)
