"""``POST /api/marked``: the user's own workbook back with its issues marked (server.md).

openpyxl edits the uploaded file in place (imported only here, in a worker process). Where each
issue is comes from :mod:`xlhfjz.excel.plan` — the same cells, colours, 校验结果 rows and links
as the 【校验台账】 button — and the marked cells are remembered in the same hidden ``_marks``
sheet, so a second marking (by this page or by the button) first takes the previous one away:

- a previously marked cell that is not marked again gets no fill (the button paints it white);
- comments written by us (author :data:`AUTHOR`) are removed; a user's own comment is never
  touched, and a cell that has one keeps it (the issue is still in 校验结果 and still coloured);
- 校验结果 is replaced.

Everything else is what openpyxl keeps of a workbook it loads and saves (README, 限制).
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from xlhfjz.excel.plan import (
    RESULT_SHEET,
    issue_cell,
    marks_for,
    marks_from_values,
    marks_rows,
    parse_cells,
    result_links,
    result_rows,
)
from xlhfjz.model.issues import SEVERITY_ZH
from xlhfjz.model.schema import MARKS_SHEET

__all__ = ["AUTHOR", "mark_workbook"]

#: The author of the comments we write (how a second marking finds and removes them).
AUTHOR = "xlhfjz 校验"
_WIDTHS = (12, 8, 16, 8, 70, 10)


def mark_workbook(source: str, target: str, macros: bool) -> dict[str, Any]:
    """Validate ``source`` and save it marked as ``target`` (``macros``: keep the VBA project,
    for ``.xlsm``). Returns ``{"community_code", "errors", "warnings", "marked"}``.

    Raises :class:`~xlhfjz.model.rawbook.UnreadableWorkbook` for a file the reader refuses."""
    from openpyxl import load_workbook

    from xlhfjz.checks.validate import validate_workbook
    from xlhfjz.xlsx.files import _ledger_sheet
    from xlhfjz.xlsx.reader import read_workbook

    raw = read_workbook(source, sheets=_ledger_sheet)
    report = validate_workbook(raw)
    marks = marks_for(report, raw)

    _vml_prefixes()
    wb = load_workbook(source, keep_vba=macros, keep_links=True, rich_text=True)
    _unmark(wb, {(m.sheet, r, c) for m in marks for r, c in parse_cells(m.address)})
    _paint(wb, marks)
    _comment(wb, report, raw)
    _remember(wb, marks_rows(marks))
    _results(wb, result_rows(report, raw))
    wb.save(target)
    wb.close()
    if macros:
        _restore_drawings(source, target)
    return {
        "community_code": report.community_code,
        "errors": report.errors,
        "warnings": report.warnings,
        "marked": len(marks),
    }


def _vml_prefixes() -> None:
    """Serialise VML with its usual prefixes (``v:``, ``o:``, ``x:``) rather than ElementTree's
    ``ns0:``: openpyxl re-serialises a sheet's drawing (its buttons) when it adds comments to that
    sheet, and Excel's VML reader is known to expect the usual prefixes."""
    from xml.etree.ElementTree import register_namespace

    register_namespace("v", "urn:schemas-microsoft-com:vml")
    register_namespace("o", "urn:schemas-microsoft-com:office:office")
    register_namespace("x", "urn:schemas-microsoft-com:office:excel")


def _restore_drawings(source: str, target: str) -> None:
    """Put back the VML drawings (the Form Control buttons) openpyxl 3.1 leaves out although the
    sheets still refer to them: it copies ``vmlDrawing1.vml`` to ``vmlDrawing9.vml`` only, so a workbook's
    tenth and later ones are lost and Excel would report the file damaged."""
    import re
    import zipfile

    with zipfile.ZipFile(target) as out:
        present = set(out.namelist())
        wanted = set()
        for name in present:
            if name.startswith("xl/worksheets/_rels/"):
                rels = out.read(name).decode("utf-8")
                for t in re.findall(r'Target="/(xl/drawings/[^"]+\.vml)"', rels):
                    wanted.add(t)
    missing = sorted(wanted - present)
    if not missing:
        return
    with zipfile.ZipFile(source) as src, zipfile.ZipFile(target, "a", zipfile.ZIP_DEFLATED) as out:
        for name in missing:
            if name in src.namelist():
                out.writestr(name, src.read(name))


def _unmark(wb: Any, keep: set[tuple[str, int, int]]) -> None:
    """Take the previous marking away: its fills (unless marked again) and our comments."""
    from openpyxl.styles import PatternFill

    if MARKS_SHEET in wb.sheetnames:
        ws = wb[MARKS_SHEET]
        values = [list(r) for r in ws.iter_rows(values_only=True)]
        for sheet, address in marks_from_values(values):
            if sheet not in wb.sheetnames:
                continue
            for r, c in parse_cells(address):
                if (sheet, r, c) not in keep:
                    wb[sheet].cell(r, c + 1).fill = PatternFill(fill_type=None)
    for ws in wb.worksheets:
        for row in ws.iter_rows():
            for cell in row:
                if cell.comment is not None and cell.comment.author == AUTHOR:
                    cell.comment = None


def _paint(wb: Any, marks: list[Any]) -> None:
    from openpyxl.styles import PatternFill

    for m in marks:
        colour = m.colour.lstrip("#").upper()
        fill = PatternFill(fill_type="solid", start_color=colour, end_color=colour)
        ws = wb[m.sheet]
        for r, c in parse_cells(m.address):
            ws.cell(r, c + 1).fill = fill


def _comment(wb: Any, report: Any, raw: Any) -> None:
    """One comment per marked cell: each of its issues as 错误/提醒 and what to type instead."""
    from openpyxl.comments import Comment

    texts: dict[tuple[str, int, int], list[str]] = defaultdict(list)
    for issue in report.issues:
        where = issue_cell(issue, report, raw)
        if where is not None:
            texts[where].append(f"【{SEVERITY_ZH[issue.severity]}】{issue.message}")
    for (sheet, r, c), lines in texts.items():
        cell = wb[sheet].cell(r, c + 1)
        if cell.comment is not None:  # the user's own comment: kept as it is
            continue
        text = "\n".join(dict.fromkeys(lines))
        comment = Comment(text, AUTHOR)
        comment.width = 300
        comment.height = min(60 + 40 * len(lines), 400)
        cell.comment = comment


def _remember(wb: Any, rows: list[list[str]]) -> None:
    """``_marks`` (hidden): the cells marked now, for the next marking or 【清除标记】."""
    if MARKS_SHEET in wb.sheetnames:
        ws = wb[MARKS_SHEET]
        ws.delete_rows(1, ws.max_row)
    else:
        ws = wb.create_sheet(MARKS_SHEET)
        ws.sheet_state = "hidden"
    for row in rows:
        ws.append(row)
        for cell in ws[ws.max_row]:
            cell.data_type = "s"


def _results(wb: Any, rows: list[list[Any]]) -> None:
    """校验结果, replaced: one row per issue, the 单元格 column a link to the cell; the sheet the
    workbook opens on."""
    from openpyxl.styles import Font, PatternFill
    from openpyxl.utils import get_column_letter
    from openpyxl.worksheet.hyperlink import Hyperlink

    index = None
    if RESULT_SHEET in wb.sheetnames:
        index = wb.sheetnames.index(RESULT_SHEET)
        wb.remove(wb[RESULT_SHEET])
    ws = wb.create_sheet(RESULT_SHEET, index)
    bold = Font(bold=True)
    head_fill = PatternFill(fill_type="solid", start_color="DDEBF7", end_color="DDEBF7")
    for row in rows:
        ws.append(row)
        for cell in ws[ws.max_row]:
            if isinstance(cell.value, str):
                cell.data_type = "s"  # text from a workbook is never a formula
    for cell in ws[1]:
        cell.font = bold
        cell.fill = head_fill
    link = Font(color="0563C1", underline="single")
    for address, target, text in result_links(rows):
        cell = ws[address]
        cell.hyperlink = Hyperlink(ref=address, location=target.lstrip("#"), display=text,
                                   tooltip=f"跳到 {text}")  # fmt: skip
        cell.font = link
    for k, width in enumerate(_WIDTHS, start=1):
        ws.column_dimensions[get_column_letter(k)].width = width
    ws.freeze_panes = "A2"
    for sheet in wb.worksheets:
        sheet.sheet_view.tabSelected = False
    ws.sheet_view.tabSelected = True
    wb.active = wb.worksheets.index(ws)
