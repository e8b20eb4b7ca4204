"""Writes the office summary workbook (and the separate contacts workbook) with XlsxWriter.

The tables come from :mod:`xlhfjz.office.summary` already masked and aggregated; this module only lays
them out. Every text is written with ``write_string`` semantics (``strings_to_formulas`` off), so
a cell typed ``=HYPERLINK(…)`` in a community file stays visible text. Sheet names come from the
contract, never from cell text. The file is written to a temporary name and renamed into place.
"""

from __future__ import annotations

import datetime as dt
import itertools
import os
from array import array
from collections.abc import Iterable, Iterator, Sequence
from contextlib import closing, contextmanager
from pathlib import Path
from typing import Any

import xlsxwriter
import xlsxwriter.exceptions
from xlsxwriter.format import Format
from xlsxwriter.worksheet import Worksheet

from xlhfjz import __version__
from xlhfjz.checks.validate import Report
from xlhfjz.model.schema import BY_ID, Sheet
from xlhfjz.office.dashboard import Dashboard, dashboard, review_sections
from xlhfjz.office.fileresult import FileResult
from xlhfjz.office.fingerprints import SIGNAL_HEADER
from xlhfjz.office.resolve import MergeResult
from xlhfjz.office.summary import (
    ISSUE_HEADER,
    issue_rows,
    lead_table,
    ledger_header,
    ledger_rows,
    log_header,
    log_rows,
    merged_sheets,
    pack_rows,
    person_table,
    score_header,
    score_rows,
)
from xlhfjz.xlsx.atomic import replacing, temporary_sibling
from xlhfjz.xlsx.layout import A3, A4, PAGE_FOOTER, header_text
from xlhfjz.xlsx.sheetdata import (
    DATE_STYLE,
    BulkSheet,
    Chunk,
    Spool,
    Template,
    number_rows,
    place,
    render_rows,
    render_template,
    splice,
    spooled,
)
from xlhfjz.xlsx.sheets import column_width, ledger_columns
from xlhfjz.xlsx.style import DATE_FORMAT, ERROR_FILL

DASHBOARD = "汇总看板"
SCORES = "社区评分"
ISSUES = "问题清单"
LEADS = "线索统计"
PERSONS = "重点人员统计"
LOG = "合并日志"
SIGNALS = "疑点提示"
CONTACTS_FILE = "联络员通讯录.xlsx"

OPTIONS: dict[str, Any] = {
    "strings_to_formulas": False,
    "strings_to_urls": False,
    "strings_to_numbers": False,
    "default_date_format": DATE_FORMAT,
}


class SummaryWriteError(Exception):
    """The output cannot be written; the message is one Chinese sentence for the user."""


class SummaryLocked(SummaryWriteError):
    """The summary file cannot be replaced (it is open in Excel)."""


@contextmanager
def _atomic(
    path: Path, bulk: dict[str, BulkSheet] | None = None
) -> Iterator[tuple[xlsxwriter.Workbook, Format]]:
    """An XlsxWriter workbook written to a temporary file and renamed over ``path`` when done.

    ``bulk`` (zip part → rows), filled while the workbook is built, is streamed into those
    sheets after XlsxWriter has closed the file (see :mod:`xlhfjz.xlsx.sheetdata`).
    """
    if not path.parent.is_dir():
        raise SummaryWriteError(f"输出文件夹“{path.parent}”不存在，请先创建或换一个位置")
    written = False
    try:
        with replacing(path) as final:
            tmp = temporary_sibling(path, "raw")  # XlsxWriter's file, then spliced into final
            try:
                wb = xlsxwriter.Workbook(str(tmp), OPTIONS)
                date_format = wb.add_format({"num_format": OPTIONS["default_date_format"]})
                # the merge workers rendered the dates of the big sheets with this style already
                if date_format._get_xf_index() != DATE_STYLE:
                    raise RuntimeError(
                        f"date format has xf index {date_format.xf_index}, not {DATE_STYLE}"
                    )
                yield wb, date_format
                try:
                    wb.close()
                    if bulk:
                        splice(tmp, final, bulk)
                    else:
                        os.replace(tmp, final)
                except (OSError, xlsxwriter.exceptions.FileCreateError) as exc:
                    raise SummaryWriteError(
                        f"无法在“{path.parent}”写入文件（没有写权限或磁盘已满）"
                    ) from exc
                except OverflowError as exc:
                    raise SummaryWriteError(
                        "合并的台账数据太多（单张表超过 4 GB），请分批合并"
                    ) from exc
                written = True
            finally:
                tmp.unlink(missing_ok=True)
    except PermissionError as exc:
        if not written:
            raise
        raise SummaryLocked(f"汇总文件正被占用，请先关闭：{path}") from exc


class _Formats:
    def __init__(self, wb: xlsxwriter.Workbook) -> None:
        base = {"font_name": "等线", "font_size": 10, "valign": "vcenter"}
        self.title = wb.add_format({**base, "bold": True, "font_size": 16, "font_color": "#1F4E78"})
        self.h2 = wb.add_format({**base, "bold": True, "font_size": 12, "font_color": "#1F4E78"})
        self.header = wb.add_format({**base, "bold": True, "bg_color": "#1F4E78", "font_color": "#FFFFFF",
                                     "border": 1, "text_wrap": True, "align": "center"})  # fmt: skip
        self.cell = wb.add_format({**base})
        self.wrap = wb.add_format({**base, "text_wrap": True, "valign": "top"})
        self.key = wb.add_format({**base, "bold": True, "bg_color": "#DDEBF7", "border": 1})
        self.value = wb.add_format({**base, "border": 1})
        self.big = wb.add_format(
            {**base, "bold": True, "font_size": 13, "border": 1, "font_color": "#C00000"}
        )
        self.score = wb.add_format({**base, "num_format": "0.0"})
        self.pct = wb.add_format({**base, "num_format": "0.0%"})
        self.bad = wb.add_format({**base, "bg_color": ERROR_FILL})
        self.date = wb.add_format({**base, "num_format": DATE_FORMAT})


def write_summary(path: str | os.PathLike[str], result: MergeResult) -> Path:
    """Write the summary workbook of a merge; returns its path."""
    target = Path(path)
    bulk: dict[str, BulkSheet] = {}
    with closing(Spool()) as spool, _atomic(target, bulk) as (wb, date_format):
        wb.set_properties({"title": "街道汇总", "author": f"xlhfjz {__version__}"})
        fmt = _Formats(wb)
        dash = wb.add_worksheet(DASHBOARD)
        header = score_header(result.reviews)
        # code, name, result, total, 19 items, 4 gates, vetoes, reasons, 核定, E, W, file, 复核…
        extra = 4 if result.reviews is not None else 0
        score_widths = [14, 12, 16, 7] + [7] * (len(header) - 11 - extra) + [18, 30, 30, 6, 6, 30]
        score_widths += [16, 8, 7, 10][:extra]
        # one row a community, one an issue: made and rendered a block at a time, as the
        # ledgers are (a city's communities and a messy street's issues are many, and
        # XlsxWriter keeps every cell it is given until it closes the file)
        rows = score_rows(result.communities, result.reviews)
        widths = dict(enumerate(score_widths))
        _bulk_sheet(wb, bulk, SCORES, header, _chunks(rows, spool), fmt, widths)
        rows = issue_rows(result.communities)
        _bulk_sheet(wb, bulk, ISSUES, ISSUE_HEADER, _chunks(rows, spool), fmt, ISSUE_WIDTHS)
        for sheet, parts in merged_parts(result):
            header = ledger_header(sheet)
            widths = merged_widths(sheet)
            for k, placed in enumerate(parts):
                chunks = _Numbered(sheet.id, placed)
                name = sheet.name if k == 0 else f"{sheet.name}({k + 1})"
                ws = _bulk_sheet(wb, bulk, name, header, chunks, fmt, widths)
                for c, f in enumerate(sheet.fields):
                    if f.type == "date":
                        ws.set_column(c, c, widths[c], date_format)
        # one row a community each: rendered too (a city's are 200,000 cells XlsxWriter would keep)
        header, table = lead_table(result.communities)
        _bulk_sheet(wb, bulk, LEADS, header, _chunks(table, spool), fmt, CODE_NAME_WIDTHS)
        header, table = person_table(result.communities)
        _bulk_sheet(wb, bulk, PERSONS, header, _chunks(table, spool), fmt, CODE_NAME_WIDTHS)
        del table
        _write_log(wb, result, fmt, bulk, spool)
        if result.signals is not None:  # up to 100,000 lines: rendered as the ledgers are
            signals = _chunks((s.cells() for s in result.signals), spool)
            _bulk_sheet(wb, bulk, SIGNALS, SIGNAL_HEADER, signals, fmt, SIGNAL_WIDTHS)
        _write_dashboard(wb, dash, dashboard(result), fmt)
        print_pages(wb, result.office.settings.get("street") or "")
        dash.activate()
    return target


def _chunks(rows: Iterable[Sequence[Any]], spool: Spool | None = None) -> list[Chunk]:
    """A table's rows under its header, rendered :data:`_BLOCK` at a time (all their XML as
    one text would be about 3 KB a 疑点提示 line), waiting in ``spool`` if given."""
    chunks: list[Chunk] = []
    rows = iter(rows)
    while block := list(itertools.islice(rows, _BLOCK)):
        chunk = render_rows(block, first_row=2 + _BLOCK * len(chunks))
        chunks.append(spooled(chunk, spool) if spool is not None else chunk)
    return chunks


_BLOCK = 2_000
"""Rows rendered at a time."""
#: 编号, 类型, 社区代码, 社区名称, 台账, 行, 说明.
SIGNAL_WIDTHS = dict(enumerate((7, 14, 14, 14, 10, 6, 80)))
#: 社区代码, 社区名称 of 线索统计 and 重点人员统计 (the rest by their labels): the code shown whole.
CODE_NAME_WIDTHS = {0: 14, 1: 14}
#: 文件, SHA-256, 原因 and 社区代码 of 合并日志 (the rows per ledger by their labels).
LOG_WIDTHS = {0: 36, 2: 66, 4: 50, 5: 14}
#: 社区代码, 社区名称, 文件, 工作表, 行, 列, 级别, 代码, 说明: a 12-digit code shown whole.
ISSUE_WIDTHS = dict(enumerate((14, 14, 30, 10, 6, 14, 6, 22, 70)))
#: The provenance columns of a merged sheet (社区代码, 社区名称, 来源文件, 来源行, 校验状态).
PROVENANCE_WIDTHS = (14, 14, 30, 7, 10)


def merged_widths(sheet: Sheet) -> dict[int, int]:
    """Column widths of a merged sheet: the template's widths of its fields and 备注 (a date is
    12, never ``####``; a phone 14-16; text by its length), then the provenance columns."""
    widths = [column_width(f) for f in ledger_columns(sheet)] + list(PROVENANCE_WIDTHS)
    return dict(enumerate(widths))


def print_pages(wb: xlsxwriter.Workbook, street: str) -> None:
    """Every sheet prints one page wide with grid lines, the street and the sheet's name in the
    page header and "第 1 页 共 N 页" below; the dashboard on A4 landscape."""
    for ws in wb.worksheets():
        head = (f"&L{header_text(street)}" if street else "") + f"&C{header_text(ws.name)}"
        ws.set_header(head[:255], {"margin": 0.3})
        ws.set_footer(PAGE_FOOTER, {"margin": 0.3})
        ws.set_margins(left=0.4, right=0.4, top=0.75, bottom=0.6)
        if ws.name == DASHBOARD:
            ws.set_landscape()
            ws.set_paper(A4)
            ws.fit_to_pages(1, 0)
        else:
            ws.hide_gridlines(0)


def render_ledgers(
    report: Report, code: str, name: str, file: str, keep_rows: bool = False
) -> tuple[dict[str, Template], dict[str, bytes] | None]:
    """One file's rows of every merged sheet, masked, rendered (row numbers still open) for :func:`write_summary` (in the
    merge's worker: :mod:`xlhfjz.xlsx.sheetdata`), and with ``keep_rows`` packed as values too
    (:func:`~xlhfjz.office.summary.pack_rows`). Sheets without rows are left out."""
    chunks: dict[str, Template] = {}
    packed: dict[str, bytes] | None = {} if keep_rows else None
    for sheet in merged_sheets():
        table = report.tables.get(sheet.id)
        if table is None or not table.records:
            continue
        rows = ledger_rows(table, code, name, file)
        chunks[sheet.id] = render_template(rows)
        if packed is not None:
            packed[sheet.id] = pack_rows(rows)
    return chunks, packed


def merged_parts(result: MergeResult) -> list[tuple[Sheet, list[Placed]]]:
    """Each merged sheet with its parts: the used files (in community order) that have rows on
    it, each with the Excel row its rows start at; a part is full before Excel's 1,048,576 rows
    would be passed, and the rest continues in the next (``宣传活动(2)`` …)."""
    out = []
    for sheet in merged_sheets():
        used = [c.result for c in result.communities if c.result and sheet.id in c.result.chunks]
        counts = [res.chunks[sheet.id].rows for res in used]
        parts = [Placed()]
        for res, (k, first) in zip(used, place(counts), strict=True):
            while len(parts) <= k:
                parts.append(Placed())
            parts[k].append(res, first)
        out.append((sheet, parts))
    return out


class Placed:
    """A part's files, each with the Excel row its rows start at: ``(file, first row)`` pairs
    kept as a list and an array (a city's 75,000 pairs would be 7 MB of tuples and numbers)."""

    def __init__(self) -> None:
        self.files: list[FileResult] = []
        self.firsts = array("q")

    def append(self, res: FileResult, first: int) -> None:
        self.files.append(res)
        self.firsts.append(first)

    def __len__(self) -> int:
        return len(self.files)

    def __iter__(self) -> Iterator[tuple[FileResult, int]]:
        return zip(self.files, self.firsts, strict=True)


def _numbered(res: FileResult, sheet_id: str, first_row: int) -> Chunk:
    """A file's rows of one merged sheet numbered from ``first_row`` (the merge numbered them
    already, in parallel, where it could)."""
    rendered = res.chunks[sheet_id]
    if isinstance(rendered, Chunk) and (rendered.first_row == first_row or not rendered.rows):
        return rendered
    if not isinstance(rendered, Template):
        raise RuntimeError(f"rows numbered from {rendered.first_row}, not {first_row}")
    chunk = res.chunks[sheet_id] = number_rows(rendered, first_row)
    return chunk


class _Numbered:
    """A part of a merged sheet: its files' rows numbered (:func:`_numbered`), each made when it
    is taken, by the splice: the merge keeps them packed (a city has 75,000)."""

    def __init__(self, sheet_id: str, placed: Placed) -> None:
        self.sheet_id, self.placed = sheet_id, placed

    def __iter__(self) -> Iterator[Chunk]:
        return (_numbered(res, self.sheet_id, first) for res, first in self.placed)


def _bulk_sheet(
    wb: xlsxwriter.Workbook,
    bulk: dict[str, BulkSheet],
    name: str,
    header: Sequence[str],
    chunks: Iterable[Chunk],
    fmt: _Formats,
    widths: dict[int, int],
) -> Worksheet:
    """A :func:`_table_sheet` whose rows are ``chunks`` (rendered XML), spliced in when the file
    is written (:func:`~xlhfjz.xlsx.sheetdata.splice`)."""
    count = sum(chunk.rows for chunk in chunks)
    ws = _table_sheet(wb, name, header, (), fmt, widths=widths, last_row=count)
    # XlsxWriter names the parts after the order the sheets were added in
    bulk[f"xl/worksheets/sheet{len(wb.worksheets())}.xml"] = BulkSheet(chunks, len(header))
    return ws


def _table_sheet(
    wb: xlsxwriter.Workbook,
    name: str,
    header: Sequence[str],
    rows: Iterable[Sequence[Any]],
    fmt: _Formats,
    widths: dict[int, int] | None = None,
    last_row: int | None = None,
) -> Worksheet:
    """A sheet with a header row, frozen and filtered; ``last_row`` when rows come later."""
    ws = wb.add_worksheet(name)
    ws.write_row(0, 0, header, fmt.header)
    ws.freeze_panes(1, 0)
    ws.set_row(0, 42)
    total = 0
    for c, label in enumerate(header):
        width = (widths or {}).get(c, max(8, min(24, len(label) * 2 + 2)))
        ws.set_column(c, c, width)
        total += width
    # A3 for a wide table, so that it stays legible when printed one page wide
    ws.set_paper(A3 if total > 160 else A4)
    n = 0
    for n, row in enumerate(rows, start=1):
        ws.write_row(n, 0, row)
    ws.autofilter(0, 0, max(last_row or n, 1), len(header) - 1)
    ws.set_landscape()
    ws.fit_to_pages(1, 0)
    ws.repeat_rows(0)
    return ws


def _write_log(
    wb: xlsxwriter.Workbook,
    result: MergeResult,
    fmt: _Formats,
    bulk: dict[str, BulkSheet],
    spool: Spool,
) -> None:
    """合并日志: a row a file, rendered as 社区评分 is (a city's files are 100,000 cells), then
    when, by what and from where, below the table."""
    chunks = _chunks(log_rows(result.logs), spool)
    ws = _bulk_sheet(wb, bulk, LOG, log_header(), chunks, fmt, LOG_WIDTHS)
    last = len(result.logs) + 2  # a row a file under the header
    ws.write_string(last, 0, "合并时间", fmt.key)
    ws.write_string(last, 1, dt.datetime.now().strftime("%Y-%m-%d %H:%M:%S"), fmt.value)
    ws.write_string(last + 1, 0, "程序版本", fmt.key)
    ws.write_string(last + 1, 1, f"xlhfjz {__version__}", fmt.value)
    ws.write_string(last + 2, 0, "台账文件夹", fmt.key)
    ws.write_string(last + 2, 1, result.folder, fmt.value)


def _write_dashboard(wb: xlsxwriter.Workbook, ws: Worksheet, d: Dashboard, fmt: _Formats) -> None:
    """KPIs and result counts (left), the results chart (right), the scores chart across,
    then the nearest candidates and the problem files; chart data in columns G:I."""
    t = d.target
    for col, width in enumerate((24, 16, 12, 12, 64, 2, 16, 8, 8)):
        ws.set_column(col, col, width)
    ws.write_string(0, 0, d.title, fmt.title)
    ws.write_string(
        1, 0, f"生成时间 {d.generated:%Y-%m-%d %H:%M}；每个数字可在“{SCORES}”表逐社区核对", fmt.cell
    )

    ws.write_string(3, 0, "总体进度", fmt.h2)
    for k, (label, value) in enumerate(d.progress):
        ws.write_string(4 + k, 0, label, fmt.key)
        ws.write_number(4 + k, 1, value, fmt.value)
    row = 4 + len(d.progress)
    ws.write_string(row, 0, "完成率", fmt.key)
    ws.merge_range(row, 1, row, 3, "", fmt.big)
    ws.write_string(row, 1, t.sentence(), fmt.big)

    row += 2
    ws.write_string(row, 0, "结果分布", fmt.h2)
    first_count = row + 1
    for k, (label, n) in enumerate(d.counts):
        ws.write_string(first_count + k, 0, label, fmt.key)
        ws.write_number(first_count + k, 1, n, fmt.value)
    last_count = first_count + len(d.counts) - 1

    results_chart = wb.add_chart({"type": "bar"})
    results_chart.add_series({
        "name": "社区数",
        "categories": [DASHBOARD, first_count, 0, last_count, 0],
        "values": [DASHBOARD, first_count, 1, last_count, 1],
        "data_labels": {"value": True},
        "fill": {"color": "#70AD47"},
    })  # fmt: skip
    results_chart.set_title({"name": "创建结果分布", "name_font": {"size": 11}})
    results_chart.set_legend({"none": True})
    results_chart.set_y_axis({"reverse": True})
    results_chart.set_x_axis({"min": 0, "major_unit": 1, "num_format": "0"})
    results_chart.set_size({"width": 440, "height": 20 * (last_count - 2)})
    ws.insert_chart(3, 4, results_chart, {"x_offset": 10})

    row = last_count + 2
    ws.write_row(3, 6, ["社区名称", "总分", "达标线"], fmt.header)
    for k, (label, total) in enumerate(d.scores):
        ws.write_string(4 + k, 6, label, fmt.cell)
        ws.write_number(4 + k, 7, round(total, 1), fmt.score)
        ws.write_number(4 + k, 8, d.pass_line, fmt.score)
    if d.scores:
        last = 3 + len(d.scores)
        bars = wb.add_chart({"type": "column"})
        bars.add_series({
            "name": "总分",
            "categories": [DASHBOARD, 4, 6, last, 6],
            "values": [DASHBOARD, 4, 7, last, 7],
            "fill": {"color": "#4472C4"},
            "data_labels": {"value": True, "num_format": "0.0"},
        })  # fmt: skip
        line = wb.add_chart({"type": "line"})
        line.add_series({
            "name": f"达标线 {d.pass_line:g} 分",
            "categories": [DASHBOARD, 4, 6, last, 6],
            "values": [DASHBOARD, 4, 8, last, 8],
            "line": {"color": "#C00000", "width": 2, "dash_type": "dash"},
            "marker": {"type": "none"},
        })  # fmt: skip
        bars.combine(line)
        bars.set_title({"name": "各社区创建评分", "name_font": {"size": 11}})
        bars.set_y_axis({"min": 0, "max": 100, "major_unit": 20})
        bars.set_legend({"position": "bottom"})
        bars.set_size({"width": 1000, "height": 300})
        ws.insert_chart(row, 0, bars)
        row += 16

    ws.write_string(row, 0, "最接近达标的社区（未达标，按总分从高到低）", fmt.h2)
    row += 1
    ws.write_row(
        row,
        0,
        ["社区名称", "社区代码", "总分", "距达标线", "失分最多的三项（还需做什么）"],
        fmt.header,
    )
    for c in d.candidates:
        row += 1
        ws.write_string(row, 0, c.name, fmt.cell)
        ws.write_string(row, 1, c.code, fmt.cell)
        ws.write_number(row, 2, round(c.total, 1), fmt.score)
        ws.write_number(row, 3, round(c.short_by, 1), fmt.score)
        ws.write_string(row, 4, c.shortfalls, fmt.wrap)
        ws.set_row(row, 15 * max(1, len(c.shortfalls) // 34 + 1))
    if not d.candidates:
        row += 1
        ws.write_string(row, 0, "（无）", fmt.cell)

    row += 2
    ws.write_string(row, 0, "有问题的文件（未合并、被替代或已跳过）", fmt.h2)
    row += 1
    ws.write_row(row, 0, ["文件", "结果", "原因"], fmt.header)
    ws.merge_range(row, 2, row, 4, "原因", fmt.header)
    for f in d.problems:
        row += 1
        ws.write_string(row, 0, f.file, fmt.bad)
        ws.write_string(row, 1, f.outcome, fmt.cell)
        ws.merge_range(row, 2, row, 4, "", fmt.wrap)
        ws.write_string(row, 2, f.reason or "", fmt.wrap)
        ws.set_row(row, 15 * max(1, len(f.reason or "") // 50 + 1))
    if not d.problems:
        row += 1
        ws.write_string(row, 0, "（无）", fmt.cell)
    for title, header, rows in review_sections(d):
        row += 2
        ws.write_string(row, 0, title, fmt.h2)
        row += 1
        ws.write_row(row, 0, header, fmt.header)
        for values in rows:
            row += 1
            for col, value in enumerate(values):
                if isinstance(value, dt.date):
                    ws.write_datetime(row, col, value, fmt.date)
                elif value is not None:
                    ws.write(row, col, value, fmt.wrap if isinstance(value, str) else fmt.cell)
        if not rows:
            row += 1
            ws.write_string(row, 0, "（无）", fmt.cell)
    ws.hide_gridlines(2)
    ws.set_landscape()
    ws.set_paper(9)
    ws.fit_to_pages(1, 0)


# ── contacts ────────────────────────────────────────────────────────────────────────────────


def write_contacts(path: str | os.PathLike[str], result: MergeResult) -> Path:
    """The separate 联络员通讯录 (full phones), written only when asked for (the merge must have
    kept the contact records: ``merge_folder(..., contacts=True)``)."""
    if not result.contacts:
        raise ValueError("write_contacts needs merge_folder(..., contacts=True)")
    target = Path(path)
    liaison, points = BY_ID["liaison"], BY_ID["monitoring_points"]
    rows_l: list[list[Any]] = []
    rows_p: list[list[Any]] = []
    for c in result.communities:
        kept = c.result.contacts if c.result else None
        if not kept:
            continue
        for v in kept.get("liaison", []):
            rows_l.append([c.code, c.name, v.get("name"), v.get("position"), v.get("mobile"),
                           v.get("office_phone"), v.get("status")])  # fmt: skip
        for v in kept.get("monitoring_points", []):
            rows_p.append([c.code, c.name, v.get("point_name"), v.get("location"), v.get("keeper"),
                           v.get("keeper_phone")])  # fmt: skip
    with _atomic(target) as (wb, _):
        wb.set_properties({"title": "联络员通讯录", "author": f"xlhfjz {__version__}"})
        fmt = _Formats(wb)
        header_l = [
            "社区代码",
            "社区名称",
            *(
                liaison.field(f).label
                for f in ("name", "position", "mobile", "office_phone", "status")
            ),
        ]
        header_p = [
            "社区代码",
            "社区名称",
            *(points.field(f).label for f in ("point_name", "location", "keeper", "keeper_phone")),
        ]
        _table_sheet(wb, "联络员", header_l, rows_l, fmt)
        _table_sheet(wb, "监测点负责人", header_p, rows_p, fmt)
    return target


__all__ = [
    "CONTACTS_FILE",
    "SummaryLocked",
    "SummaryWriteError",
    "render_ledgers",
    "write_contacts",
    "write_summary",
]
