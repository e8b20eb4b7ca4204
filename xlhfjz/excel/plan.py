"""What the Excel buttons write, as pure functions (excel.md; the decisions are in
:mod:`xlhfjz.excel`): values made safe for ``setValues``, cell addresses, where each issue is,
the fills of one click, 校验结果, 创建评分, the summary sheets as values and the message boxes.

Importing this needs neither xlwings nor a file library: it is tested without Excel.
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
from xlhfjz.model.rubric import GATES, VETOES
from xlhfjz.model.schema import (
    BY_NAME,
    INSPECTIONS,
    MARKS_HEADER,
    OFFICE_SETTINGS,
    PARAMETERS_SHEET,
    ROSTER,
)
from xlhfjz.model.values import column_index, column_letter
from xlhfjz.xlsx.style import DATE_FORMAT, ERROR_FILL, WARNING_FILL

if TYPE_CHECKING:  # pragma: no cover
    from xlhfjz.checks.validate import Report
    from xlhfjz.office.resolve import MergeResult
    from xlhfjz.scoring import ScoreCard

__all__ = [
    "ALLOWED_ACTIONS",
    "CLEARED_FILL",
    "CLEAR_TITLE",
    "DATE_FORMAT",
    "ERROR_FILL",
    "FOLDER_LABEL",
    "MERGE_TITLE",
    "OFFICE_INPUT_SHEETS",
    "RESULT_HEADER",
    "RESULT_SHEET",
    "SCORE_FORMAT",
    "SCORE_HEADER",
    "SCORE_SHEET",
    "SCORE_TITLE",
    "VALIDATE_TITLE",
    "WARNING_FILL",
    "Mark",
    "Values",
    "block",
    "cell_address",
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
    "merge_message",
    "paint_plan",
    "parse_cells",
    "raw_from_values",
    "resolve_folder",
    "result_links",
    "result_rows",
    "score_formats",
    "score_message",
    "score_rows",
    "summary_blocks",
    "summary_file_name",
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
    raw = {}
    for name, (values, row, column) in sheets.items():
        rows = [list(r) for r in values or ()]
        raw[name] = RawSheet(name, rows, first_row=row, first_col=column - 1)
    return RawWorkbook(path, raw)


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
        detail = "；".join(x for x in (item.verified_text(), item.detail) if x)
        rows.append(
            [item.id, item.name, round(item.score, 1), item.max, detail or None,
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


def score_formats(rows: Sequence[Sequence[Any]]) -> list[str]:
    """Addresses in 创建评分 that show one decimal: the total and the items' 得分 column."""
    start = next(k for k, row in enumerate(rows) if list(row) == list(SCORE_HEADER)) + 2
    total_row = next(k for k, row in enumerate(rows, start=1) if row and row[0] == "总分")
    return [f"B{total_row}", f"C{start}:C{len(rows)}"]


# ── merge: the summary sheets as values ─────────────────────────────────────────────────────


def dashboard_rows(result: MergeResult, summary_path: str | None = None) -> list[list[Any]]:
    """汇总看板 as a block of values: KPIs, result counts, every community, nearest candidates,
    files with problems (the charts are in the ``.xlsx`` summary)."""

    from xlhfjz.office.dashboard import dashboard, review_sections

    d = dashboard(result)
    rows: list[list[Any]] = [
        [d.title],
        [f"生成时间 {d.generated:%Y-%m-%d %H:%M}；台账文件夹 {d.folder}"],
    ]
    if summary_path:
        rows.append([f"含图表的汇总文件：{summary_path}"])
    rows += [
        [],
        ["总体进度"],
        *([label, n] for label, n in d.progress),
        ["完成率", d.target.sentence()],
        [],
        ["结果分布"],
        *([label, n] for label, n in d.counts),
        [],
        ["各社区结果"],
        ["社区代码", "社区名称", "创建结果", "总分", "错误数", "提醒数"],
    ]
    for c in d.communities:
        total = None if c.total is None else round(c.total, 1)
        rows.append([c.code, c.name, c.status, total, c.errors, c.warnings])
    rows += [
        [],
        ["最接近达标的社区（未达标，按总分从高到低）"],
        ["社区名称", "社区代码", "总分", "距达标线", "失分最多的三项（还需做什么）"],
    ]
    for n in d.candidates:
        rows.append([n.name, n.code, round(n.total, 1), round(n.short_by, 1), n.shortfalls or None])
    if not d.candidates:
        rows.append(["（无）"])
    rows += [[], ["有问题的文件（未合并、被替代或已跳过）"], ["文件", "结果", "原因"]]
    for f in d.problems:
        rows.append([f.file, f.outcome, f.reason])
    if not d.problems:
        rows.append(["（无）"])
    for title, header, block_rows in review_sections(d):
        rows += [[], [title], list(header), *(list(r) for r in block_rows)]
        if not block_rows:
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
    blocks: list[tuple[str, list[list[Any]], list[int]]] = [
        (DASHBOARD, dashboard_rows(result, summary_path), []),
        (SCORES, table(*score_table(comms, result.reviews)), []),
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
    if result.signals is not None:
        from xlhfjz.office.fingerprints import SIGNAL_HEADER
        from xlhfjz.xlsx.summary import SIGNALS

        blocks.append((SIGNALS, table(SIGNAL_HEADER, (s.cells() for s in result.signals)), []))
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
