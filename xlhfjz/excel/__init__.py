"""The Excel adapter (excel.md): the buttons of the community and the office workbook.

Each button is a thin xlwings wrapper around the pure functions of :mod:`xlhfjz.excel.plan`
(re-exported here):
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

from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from xlhfjz.excel.plan import (
    CLEAR_TITLE,
    FOLDER_LABEL,
    MERGE_TITLE,
    OFFICE_INPUT_SHEETS,
    RESULT_SHEET,
    SCORE_FORMAT,
    SCORE_SHEET,
    SCORE_TITLE,
    VALIDATE_TITLE,
    Mark,
    block,
    marks_for,
    marks_from_values,
    marks_rows,
    merge_message,
    paint_plan,
    raw_from_values,
    resolve_folder,
    result_links,
    result_rows,
    score_formats,
    score_message,
    score_rows,
    summary_blocks,
    summary_file_name,
    validation_message,
    wanted_sheets,
)
from xlhfjz.model.rawbook import RawWorkbook
from xlhfjz.model.schema import MARKS_HEADER, MARKS_SHEET, META_SHEET, OFFICE_SETTINGS
from xlhfjz.model.values import column_letter
from xlhfjz.xlsx.style import DATE_FORMAT

if TYPE_CHECKING:  # pragma: no cover
    from xlhfjz.checks.validate import Report

__all__ = ["clear_button", "merge_button", "read_sheet", "score_button", "validate_button"]


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
    for address in score_formats(rows):
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

    result = merge_folder(folder, office, keep_rows=True, signals=True)
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
