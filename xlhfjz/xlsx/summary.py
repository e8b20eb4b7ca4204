"""Writes the office summary workbook (and the separate contacts workbook) with XlsxWriter.

The tables come from :mod:`xlhfjz.office.summary` already masked and aggregated; this module only lays
them out. Every text is written with ``write_string`` semantics (``strings_to_formulas`` off), so
a cell typed ``=HYPERLINK(…)`` in a community file stays visible text. Sheet names come from the
contract, never from cell text. The file is written to a temporary name and renamed into place.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import xlsxwriter
import xlsxwriter.exceptions
from xlsxwriter.format import Format
from xlsxwriter.worksheet import Worksheet

from xlhfjz import __version__
from xlhfjz.checks.validate import Table
from xlhfjz.model.schema import BY_ID, Sheet
from xlhfjz.office.resolve import MergeResult
from xlhfjz.office.summary import (
    OUTCOME_ZH,
    candidates,
    issue_table,
    lead_table,
    ledger_header,
    ledger_rows,
    log_table,
    merged_sheets,
    person_table,
    progress_figures,
    score_table,
    shortfall_text,
    status_counts,
)
from xlhfjz.xlsx.sheetdata import (
    DATE_STYLE,
    BulkSheet,
    Chunk,
    Template,
    number_rows,
    place,
    render_template,
    splice,
)
from xlhfjz.xlsx.tempfiles import remove_stale_temps, temp_token

DASHBOARD = "汇总看板"
SCORES = "社区评分"
ISSUES = "问题清单"
LEADS = "线索统计"
PERSONS = "重点人员统计"
LOG = "合并日志"
CONTACTS_FILE = "联络员通讯录.xlsx"

OPTIONS: dict[str, Any] = {
    "strings_to_formulas": False,
    "strings_to_urls": False,
    "strings_to_numbers": False,
    "default_date_format": "yyyy-mm-dd",
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
    remove_stale_temps(path)
    token = temp_token()
    tmp = path.with_name(f".{path.stem}.{token}.tmp.xlsx")
    spliced = path.with_name(f".{path.stem}.{token}.tmp2.xlsx")
    wb = xlsxwriter.Workbook(str(tmp), OPTIONS)
    date_format = wb.add_format({"num_format": OPTIONS["default_date_format"]})
    # the merge workers rendered the dates of the big sheets with this style index already
    if date_format._get_xf_index() != DATE_STYLE:
        raise RuntimeError(f"date format has xf index {date_format.xf_index}, not {DATE_STYLE}")
    try:
        yield wb, date_format
        try:
            wb.close()
            final = tmp
            if bulk:
                splice(tmp, spliced, bulk)
                final = spliced
        except (OSError, xlsxwriter.exceptions.FileCreateError) as exc:
            raise SummaryWriteError(
                f"无法在“{path.parent}”写入文件（没有写权限或磁盘已满）"
            ) from exc
        except OverflowError as exc:
            raise SummaryWriteError("合并的台账数据太多（单张表超过 4 GB），请分批合并") from exc
        try:
            os.replace(final, path)
        except PermissionError as exc:
            raise SummaryLocked(f"汇总文件正被占用，请先关闭：{path}") from exc
    finally:
        tmp.unlink(missing_ok=True)
        spliced.unlink(missing_ok=True)


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
        self.bad = wb.add_format({**base, "bg_color": "#FFC7CE"})


def write_summary(path: str | os.PathLike[str], result: MergeResult) -> Path:
    """Write the summary workbook of a merge; returns its path."""
    target = Path(path)
    bulk: dict[str, BulkSheet] = {}
    with _atomic(target, bulk) as (wb, date_format):
        wb.set_properties({"title": "街道汇总", "author": f"xlhfjz {__version__}"})
        fmt = _Formats(wb)
        dash = wb.add_worksheet(DASHBOARD)
        header, rows = score_table(result.communities)
        # code, name, result, total, 19 items, 3 gates, vetoes, reasons, E, W, file
        widths = [14, 12, 16, 7] + [7] * (len(header) - 10) + [18, 30, 6, 6, 30]
        _table_sheet(wb, SCORES, header, rows, fmt, widths=dict(enumerate(widths)))
        _table_sheet(wb, ISSUES, *issue_table(result.communities), fmt, widths={8: 70})
        for sheet, parts in merged_parts(result):
            header = ledger_header(sheet)
            for k, placed in enumerate(parts):
                chunks = [_numbered(table, first) for table, first in placed]
                count = sum(chunk.rows for chunk in chunks)
                name = sheet.name if k == 0 else f"{sheet.name}({k + 1})"
                ws = _table_sheet(wb, name, header, (), fmt, last_row=count)
                for c, f in enumerate(sheet.fields):
                    if f.type == "date":
                        ws.set_column(c, c, 12, date_format)
                # XlsxWriter names the parts after the order the sheets were added in
                part = f"xl/worksheets/sheet{len(wb.worksheets())}.xml"
                bulk[part] = BulkSheet(chunks, len(header))
        _table_sheet(wb, LEADS, *lead_table(result.communities), fmt)
        _table_sheet(wb, PERSONS, *person_table(result.communities), fmt)
        _write_log(wb, result, fmt)
        _write_dashboard(wb, dash, result, fmt)
        dash.activate()
    return target


def merged_parts(result: MergeResult) -> list[tuple[Sheet, list[list[tuple[Table, int]]]]]:
    """Each merged sheet with its parts: the used files' tables in community order, each with
    the Excel row its rows start at; a part is full before Excel's 1,048,576 rows would be
    passed, and the rest continues in the next (``宣传活动(2)`` …). Tables a merge worker did not
    render are rendered here (as :class:`~xlhfjz.xlsx.sheetdata.Template`)."""
    out = []
    for sheet in merged_sheets():
        tables = []
        for c in result.communities:
            if c.report and sheet.id in c.report.tables:
                table = c.report.tables[sheet.id]
                if table.rendered is None:
                    table.rendered = render_template(ledger_rows(table, c.code, c.name, c.file))
                tables.append(table)
        parts: list[list[tuple[Table, int]]] = [[]]
        for table, (k, first) in zip(tables, place([t.rendered.rows for t in tables]), strict=True):
            while len(parts) <= k:
                parts.append([])
            parts[k].append((table, first))
        out.append((sheet, parts))
    return out


def _numbered(table: Table, first_row: int) -> Chunk:
    """A table's rows numbered from ``first_row`` (the merge numbered them already, in parallel,
    where it could)."""
    rendered = table.rendered
    if isinstance(rendered, Chunk) and (rendered.first_row == first_row or not rendered.rows):
        return rendered
    if not isinstance(rendered, Template):
        raise RuntimeError(f"rows numbered from {rendered.first_row}, not {first_row}")
    table.rendered = number_rows(rendered, first_row)
    return table.rendered


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
    if total > 160:
        ws.set_paper(8)  # A3: a wide table stays legible when printed one page wide
    n = 0
    for n, row in enumerate(rows, start=1):
        ws.write_row(n, 0, row)
    ws.autofilter(0, 0, max(last_row or n, 1), len(header) - 1)
    ws.set_landscape()
    ws.fit_to_pages(1, 0)
    ws.repeat_rows(0)
    return ws


def _write_log(wb: xlsxwriter.Workbook, result: MergeResult, fmt: _Formats) -> None:
    header, rows = log_table(result.logs)
    ws = _table_sheet(wb, LOG, header, rows, fmt, widths={0: 36, 2: 66, 4: 50})
    last = len(rows) + 2
    ws.write_string(last, 0, "合并时间", fmt.key)
    ws.write_string(last, 1, dt.datetime.now().strftime("%Y-%m-%d %H:%M:%S"), fmt.value)
    ws.write_string(last + 1, 0, "程序版本", fmt.key)
    ws.write_string(last + 1, 1, f"xlhfjz {__version__}", fmt.value)
    ws.write_string(last + 2, 0, "台账文件夹", fmt.key)
    ws.write_string(last + 2, 1, result.folder, fmt.value)


def _write_dashboard(
    wb: xlsxwriter.Workbook, ws: Worksheet, result: MergeResult, fmt: _Formats
) -> None:
    """KPIs and result counts (left), the results chart (right), the scores chart across,
    then the nearest candidates and the problem files; chart data in columns G:I."""
    street = result.office.settings.get("street") or ""
    t = result.target
    comms = result.communities
    pass_line = result.office.parameters["pass_line"]
    for col, width in enumerate((24, 16, 12, 12, 64, 2, 16, 8, 8)):
        ws.set_column(col, col, width)
    ws.write_string(0, 0, f"{street}创建“无非法集资社区（村居）”汇总看板", fmt.title)
    ws.write_string(
        1,
        0,
        f"生成时间 {dt.datetime.now():%Y-%m-%d %H:%M}；每个数字可在“{SCORES}”表逐社区核对",
        fmt.cell,
    )

    kpis = progress_figures(comms, t, result.office.roster_codes)
    ws.write_string(3, 0, "总体进度", fmt.h2)
    for k, (label, value) in enumerate(kpis):
        ws.write_string(4 + k, 0, label, fmt.key)
        ws.write_number(4 + k, 1, value, fmt.value)
    row = 4 + len(kpis)
    ws.write_string(row, 0, "完成率", fmt.key)
    ws.merge_range(row, 1, row, 3, "", fmt.big)
    ws.write_string(row, 1, t.sentence(), fmt.big)

    row += 2
    ws.write_string(row, 0, "结果分布", fmt.h2)
    counts = status_counts(result.communities)
    first_count = row + 1
    for k, (label, n) in enumerate(counts):
        ws.write_string(first_count + k, 0, label, fmt.key)
        ws.write_number(first_count + k, 1, n, fmt.value)
    last_count = first_count + len(counts) - 1

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
    scored = [c for c in comms if c.card and c.card.result != "无法评分"]
    ws.write_row(3, 6, ["社区名称", "总分", "达标线"], fmt.header)
    for k, c in enumerate(scored):
        ws.write_string(4 + k, 6, c.name or c.code, fmt.cell)
        ws.write_number(4 + k, 7, round(c.total or 0, 1), fmt.score)
        ws.write_number(4 + k, 8, pass_line, fmt.score)
    if scored:
        last = 3 + len(scored)
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
            "name": f"达标线 {pass_line:g} 分",
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
    near = candidates(comms)
    for c in near:
        row += 1
        ws.write_string(row, 0, c.name, fmt.cell)
        ws.write_string(row, 1, c.code, fmt.cell)
        ws.write_number(row, 2, round(c.total or 0, 1), fmt.score)
        ws.write_number(row, 3, round(pass_line - (c.total or 0), 1), fmt.score)
        ws.write_string(row, 4, shortfall_text(c.card), fmt.wrap)  # type: ignore[arg-type]
        ws.set_row(row, 15 * max(1, len(shortfall_text(c.card)) // 34 + 1))  # type: ignore[arg-type]
    if not near:
        row += 1
        ws.write_string(row, 0, "（无）", fmt.cell)

    row += 2
    ws.write_string(row, 0, "有问题的文件（未合并、被替代或已跳过）", fmt.h2)
    row += 1
    ws.write_row(row, 0, ["文件", "结果", "原因"], fmt.header)
    ws.merge_range(row, 2, row, 4, "原因", fmt.header)
    problems = [log for log in result.logs if log.outcome != "merged"]
    for log in problems:
        row += 1
        ws.write_string(row, 0, log.file, fmt.bad)
        ws.write_string(row, 1, OUTCOME_ZH[log.outcome], fmt.cell)
        ws.merge_range(row, 2, row, 4, "", fmt.wrap)
        ws.write_string(row, 2, log.reason or "", fmt.wrap)
        ws.set_row(row, 15 * max(1, len(log.reason or "") // 50 + 1))
    if not problems:
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
        if not c.report:
            continue
        for rec in c.report.tables["liaison"].records if "liaison" in c.report.tables else []:
            v = rec.values
            rows_l.append([c.code, c.name, v.get("name"), v.get("position"), v.get("mobile"),
                           v.get("office_phone"), v.get("status")])  # fmt: skip
        for rec in (
            c.report.tables["monitoring_points"].records
            if "monitoring_points" in c.report.tables
            else []
        ):
            v = rec.values
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


__all__ = ["CONTACTS_FILE", "SummaryLocked", "SummaryWriteError", "write_contacts", "write_summary"]
