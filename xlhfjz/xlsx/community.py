"""The community workbook (ledgers.md "Conventions"), written from the schema with XlsxWriter.

Sheets: ``使用说明`` (how to fill, one row per sheet), ``基本信息`` (key–value), the 17 ledgers in
schema order, then the hidden ``_meta`` and ``_marks`` (where the Excel buttons keep the addresses
of the colour marks they made). A ledger sheet has its title and one-line hint in row 1,
the header labels in row 2 (required columns marked by the header fill, never by a ``*``) and data
from row 3, with dropdowns, input hints, text/date formats and sheet protection that locks only
the two top rows.

Every sheet name, label, choice and hint comes from :mod:`xlhfjz.model.schema`; the only Chinese written
here is sheet-independent UI text. The same inputs always give the same bytes (fixed document
dates; XlsxWriter fixes the zip timestamps; the VBA project is compiled deterministically), and
files are replaced atomically.

A ``.xlsm`` path gives the macro-enabled workbook (excel.md): the same sheets, plus the VBA project
compiled from ``macros/*.bas`` and xlwings' standalone module (:mod:`xlhfjz.xlsx.vba`), Form Control
buttons bound to its macros, and a hidden ``xlwings.conf`` sheet (:data:`XLWINGS_CONFIG`).

The committed templates and workbooks are rebuilt with ``python -m xlhfjz.build``.
"""

from __future__ import annotations

import datetime as dt
import math
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any

import xlsxwriter
from xlsxwriter.format import Format
from xlsxwriter.worksheet import Worksheet

from xlhfjz.model.schema import (
    BASIC_INFO,
    GUIDE_SHEET,
    LEDGERS,
    MARKS_HEADER,
    MARKS_SHEET,
    META_SHEET,
    REMARK,
    SERIAL_LABEL,
    SHEETS,
    TEMPLATE_VERSION,
    Sheet,
    schema_hash,
)
from xlhfjz.xlsx.buttons import (
    BUTTON_HEIGHT,
    BUTTON_WIDTH,
    BUTTONS,
    LEDGER_BUTTON_HEIGHT,
    LEDGER_BUTTON_WIDTH,
    SUBMIT_BUTTON,
    RemoteServer,
    add_macros,
    insert_button,
    macros_for,
)
from xlhfjz.xlsx.layout import (
    GRID_COLOUR,
    MARK_ERROR,
    MARK_WARNING,
    PROTECTION,
    TEXT_FORMAT,
    Styles,
    atomic_workbook,
    col_pixels,
    print_setup,
    row_pixels,
    text_height,
    text_lines,
)
from xlhfjz.xlsx.live_checks import add_live_checks
from xlhfjz.xlsx.sheets import (
    TITLE_ROW_POINTS,
    column_width,
    ledger_columns,
    required_columns,
    title_units,
    write_key_value,
    write_ledger,
)
from xlhfjz.xlsx.vba import remote_project_modules

__all__ = ["GUIDE_BUTTON_ROW", "CommunityInfo", "add_community_sheets", "write_community_workbook"]

#: 0-based row of 使用说明 where the buttons start in the .xlsm: 【校验台账】 there, 【计算评分】 and
#: 【清除标记】 in the two rows below, each beside what it does.
GUIDE_BUTTON_ROW = 2


@dataclass
class CommunityInfo:
    """The 基本信息 values known when a workbook is created (the options of ``xlhfjz new``)."""

    name: str
    code: str
    street: str = ""
    start: dt.date | None = None
    end: dt.date | None = None
    households: int | None = None
    grids: int | None = None
    community_type: str | None = None
    report_date: dt.date | None = None
    population: int | None = None
    leader_name: str | None = None
    leader_phone: str | None = None
    filled_by: str | None = None
    filler_phone: str | None = None

    def basic_values(self) -> dict[str, Any]:
        """The non-empty values by 基本信息 field id."""
        values = {_INFO_FIELDS[f.name]: getattr(self, f.name) for f in fields(self)}
        if values["community_code"] is not None:
            values["community_code"] = str(values["community_code"])
        return {k: v for k, v in values.items() if v is not None and v != ""}


#: CommunityInfo attribute → 基本信息 field id.
_INFO_FIELDS = {
    "name": "community_name",
    "code": "community_code",
    "street": "street",
    "start": "period_start",
    "end": "period_end",
    "households": "households",
    "grids": "grid_count",
    "community_type": "community_type",
    "report_date": "report_date",
    "population": "population",
    "leader_name": "leader_name",
    "leader_phone": "leader_phone",
    "filled_by": "filled_by",
    "filler_phone": "filler_phone",
}


def write_community_workbook(
    path: str | os.PathLike[str],
    info: CommunityInfo | None = None,
    data: Mapping[str, Sequence[Sequence[Any]]] | None = None,
    basic: Mapping[str, Any] | None = None,
    *,
    macros: bool | None = None,
    vba_modules: Sequence[tuple[str, str, str]] | None = None,
    live_checks: bool = True,
    remote: RemoteServer | None = None,
) -> Path:
    """Write a community workbook to ``path`` (atomically) and return the path.

    ``info`` pre-fills 基本信息 and ``basic`` (field id → value) overrides or extends it.
    ``data`` maps a ledger sheet name to rows of values in the schema's field order, optionally
    followed by the 备注 value; a ``str`` is always written as text, ``int``/``float`` as a number,
    a date as a date, ``None`` is left blank. Rows get 序号 1, 2, 3, ….

    ``macros`` (default: whether ``path`` ends in ``.xlsm``) adds the VBA project, the buttons
    【校验台账】【计算评分】【清除标记】 on 使用说明 (and 【校验台账】 in each ledger's title row) and the
    hidden ``xlwings.conf``; ``vba_modules`` replaces :func:`xlhfjz.xlsx.vba.project_modules` (tests
    swap xlwings' module for a stub). ``live_checks=False`` leaves out the conditional formats
    of :mod:`xlhfjz.xlsx.live_checks` (the benchmark compares both).

    ``remote`` (a ``.xlsm`` only) makes the buttons call the street's server instead of Python
    on the PC (server.md): :func:`xlhfjz.xlsx.vba.remote_project_modules`, the server's address
    and token in ``xlwings.conf``, and a fourth button 【报送街道】 on 使用说明.
    """
    target = Path(path)
    with_macros = macros_for(target, macros)
    if remote is not None and not with_macros:
        raise ValueError(f"{target.name}: a workbook calling a server needs macros (.xlsm)")
    with atomic_workbook(target) as workbook:
        sheets = add_community_sheets(
            workbook,
            info,
            data,
            basic,
            macros=with_macros,
            live_checks=live_checks,
            remote=remote is not None,
        )
        if with_macros:
            _add_ledger_buttons(sheets)
            if remote is not None and vba_modules is None:
                vba_modules = remote_project_modules()
            add_macros(workbook, vba_modules, config=remote.config() if remote else None)
    return target


#: The widest title row in which a button is still on screen without scrolling right (a window
#: about 1100 pixels wide).
_VISIBLE_PIXELS = 1000


def _add_ledger_buttons(sheets: Mapping[str, Worksheet]) -> None:
    """【校验台账】 in each ledger's title row, right-aligned in the visible part of the row, where
    it leaves the title text clear (every ledger title fits on one line)."""
    for sheet in LEDGERS:
        place = ledger_button_x(sheet)
        if place is not None:
            y = (row_pixels(TITLE_ROW_POINTS) - LEDGER_BUTTON_HEIGHT) // 2
            insert_button(sheets[sheet.name], 0, BUTTONS["validate"], x=place, y=y,
                          width=LEDGER_BUTTON_WIDTH, height=LEDGER_BUTTON_HEIGHT)  # fmt: skip


def ledger_button_x(sheet: Sheet) -> int | None:
    """The x offset of the title-row button of ``sheet``, or ``None`` where it would cover text."""
    widths = [6] + [column_width(f) for f in ledger_columns(sheet)]
    row_px = sum(col_pixels(w) for w in widths)
    text_units = title_units(sheet)
    if math.ceil(text_units / max(sum(widths) - 2, 1)) > 1:
        return None  # a wrapped title fills the row
    text_px = 7 * text_units
    x = min(row_px, _VISIBLE_PIXELS) - LEDGER_BUTTON_WIDTH - 8
    return x if x >= text_px + 24 else None


def add_community_sheets(
    workbook: xlsxwriter.Workbook,
    info: CommunityInfo | None = None,
    data: Mapping[str, Sequence[Sequence[Any]]] | None = None,
    basic: Mapping[str, Any] | None = None,
    *,
    macros: bool = False,
    live_checks: bool = True,
    remote: bool = False,
) -> dict[str, Worksheet]:
    """Add every sheet of the community workbook to an open XlsxWriter workbook.

    With ``macros``, 使用说明 explains the buttons and carries them at :data:`GUIDE_BUTTON_ROW`
    (the caller adds the VBA project, :func:`add_macros`); without, it explains the command line.
    Returns the worksheets by name.
    """
    data = dict(data or {})
    ledgers = {s.name: s for s in LEDGERS}
    for name in data:
        if name == BASIC_INFO.name:
            raise ValueError(f"{name}: pass its values as `basic` (field id → value), not as rows")
        if name not in ledgers:
            raise KeyError(f"unknown ledger sheet {name!r}")
    values = info.basic_values() if info is not None else {}
    if basic:
        unknown = set(basic) - {f.id for f in BASIC_INFO.fields}
        if unknown:
            raise KeyError(f"unknown 基本信息 field id(s): {sorted(unknown)}")
        values.update(basic)

    styles = Styles(workbook)
    sheets: dict[str, Worksheet] = {}
    sheets[GUIDE_SHEET] = workbook.add_worksheet(GUIDE_SHEET)
    sheets[BASIC_INFO.name] = workbook.add_worksheet(BASIC_INFO.name)
    for sheet in LEDGERS:
        sheets[sheet.name] = workbook.add_worksheet(sheet.name)
    sheets[META_SHEET] = workbook.add_worksheet(META_SHEET)
    sheets[MARKS_SHEET] = workbook.add_worksheet(MARKS_SHEET)

    _write_guide(sheets[GUIDE_SHEET], styles, macros=macros, remote=remote)
    write_key_value(sheets[BASIC_INFO.name], styles, values)
    for sheet in LEDGERS:
        write_ledger(
            sheets[sheet.name], sheet, styles, data.get(sheet.name, ()),
            owner=str(values.get("community_name") or ""),
        )  # fmt: skip
    if live_checks:
        add_live_checks(sheets, styles)
    _write_meta(sheets[META_SHEET], styles)
    _write_marks(sheets[MARKS_SHEET], styles)
    sheets[GUIDE_SHEET].activate()
    return sheets


# ── formats ─────────────────────────────────────────────────────────────────────────────────


# ── column rules from the schema ────────────────────────────────────────────────────────────


# ── ledger sheets ───────────────────────────────────────────────────────────────────────────


# ── 基本信息 ────────────────────────────────────────────────────────────────────────────────


# ── _meta ───────────────────────────────────────────────────────────────────────────────────


def _write_meta(ws: Worksheet, styles: Styles) -> None:
    rows = (
        ("key", "value"),
        ("template_version", TEMPLATE_VERSION),
        ("schema_hash", schema_hash()),
    )
    for r, (key, value) in enumerate(rows):
        ws.write_string(r, 0, key)
        ws.write_string(r, 1, value, styles.get(num_format=TEXT_FORMAT))
    ws.set_column(0, 1, 20)
    ws.hide()
    ws.protect("", PROTECTION)


def _write_marks(ws: Worksheet, styles: Styles) -> None:
    """The header of ``_marks``; hidden, not protected (the buttons write to it)."""
    for c, text in enumerate(MARKS_HEADER):
        ws.write_string(0, c, text)
    ws.set_column(0, 1, 20, styles.get(num_format=TEXT_FORMAT))
    ws.hide()


# ── 使用说明 ────────────────────────────────────────────────────────────────────────────────

_GUIDE_WIDTHS = (18, 34, 44, 52)


def _how_to() -> list[str]:
    """The numbered "how to fill" lines of 使用说明 (labels taken from the schema)."""
    basic = "、".join(
        BASIC_INFO.field(i).label
        for i in ("community_name", "period_start", "period_end", "report_date", "households",
                  "grid_count")
    )  # fmt: skip
    return [
        f"先填“{BASIC_INFO.name}”表（{basic}等）；其他表的日期、网格编号都以它为准。",
        "每张台账表第 1 行是表名和填写提示，第 2 行是表头，从第 3 行起每行填一条记录"
        f"（每张表“怎么填”见下表）。“{SERIAL_LABEL}”列可填可不填。",
        "不要修改工作表名称和表头文字；不用的列可以隐藏，列的顺序可以调整，可以插入、删除、排序和筛选行。"
        f"每张表最后的“{REMARK.label}”列可自由填写。",
        "日期填成 2020-06-15 的样式（2020/6/15、2020年6月15日 也可以）；月份填成 2020-07。",
        "带下拉箭头的单元格从列表中选择；标明“可多选”的列，多个值用顿号（、）分隔，"
        "如“甲、乙”。数量列只填数字，不带“人”“份”等单位。",
        "手机号、代码、统一社会信用代码等按文本保存，直接输入即可，开头的 0 不会丢失。",
        f"姓名、电话等个人信息只用于本社区台账；“{REMARK.label}”等文字栏中不要写他人手机号、身份证号。",
    ]


def _write_guide(
    ws: Worksheet, styles: Styles, *, macros: bool = False, remote: bool = False
) -> None:
    total = sum(_GUIDE_WIDTHS)
    for c, w in enumerate(_GUIDE_WIDTHS):
        ws.set_column(c, c, w)
    row = 0

    def para(text: str, fmt: Format = styles.para, *, gap: int = 0) -> None:
        nonlocal row
        ws.merge_range(row, 0, row, 3, "", fmt)
        ws.write_string(row, 0, text, fmt)
        ws.set_row(row, text_height(text, total) + gap)
        row += 1

    def heading(text: str) -> None:
        nonlocal row
        row += 1
        ws.write_string(row, 0, text, styles.heading)
        ws.set_row(row, 22)
        row += 1

    ws.merge_range(row, 0, row, 3, "", styles.title)
    ws.write_rich_string(
        row, 0,
        styles.title_big, "创建“无非法集资社区（村居）”登记台账",
        styles.title_hint, f"　使用说明（模板版本 {TEMPLATE_VERSION}）",
        styles.title,
    )  # fmt: skip
    ws.set_row(row, 32)
    row += 1
    para(
        "本工作簿用于社区（村居）登记创建“无非法集资社区（村居）”工作的各项台账，对应实施方案中的"
        "“十个一”和四项标准。填好后报送街道处非办，由街道校验、评分并汇总。",
        gap=4,
    )
    assert row == GUIDE_BUTTON_ROW
    if macros:
        row = _write_guide_buttons(ws, styles, row, remote=remote)
    else:
        para(
            "校验：在命令行运行  xlhfjz validate 文件名.xlsx  ，会逐条列出问题所在的工作表、行和列；"
            "“错误”所在的行不计入评分，“提醒”计入但请核实。",
            styles.note,
            gap=10,
        )

    heading("一、怎样填写")
    how_to = _how_to()
    for n, text in enumerate(how_to, start=1):
        para(f"{n}. {text}")
    secret = "、".join(f"“{s.name}”" for s in SHEETS if s.restricted)
    para(
        f"{len(how_to) + 1}. {secret}为内部保密台账（工作表标签为红色）：只在本社区保存和报送，"
        "不得外传、不得填写举报人姓名和联系方式，街道汇总时只统计数量、不逐行合并。",
        styles.get(text_wrap=True, valign="top", font_color="#C00000"),
    )

    heading("二、表头颜色")
    samples = (
        ("required", "必填", "每行都要填写。"),
        ("conditional", "条件必填", "满足条件时必填，条件见该列的输入提示和下表“必填列”。"),
        ("optional", "选填", "有就填，没有可以空着。"),
    )
    for key, name, text in samples:
        ws.write_string(row, 0, name, styles.header[key])
        ws.merge_range(row, 1, row, 3, "", styles.note)
        ws.write_string(row, 1, text, styles.note)
        ws.set_row(row, 20)
        row += 1

    heading("三、各工作表说明")
    for c, text in enumerate(("工作表", "对应“十个一”/标准", "怎么填", "必填列")):
        ws.write_string(row, c, text, styles.header["required"])
    ws.set_row(row, 22)
    ws.repeat_rows(row)
    row += 1
    for sheet in SHEETS:
        cells = (sheet.serves, sheet.guide, required_columns(sheet))
        link = f"internal:'{sheet.name}'!A1"
        ws.write_url(row, 0, link, styles.link, sheet.name, f"转到“{sheet.name}”表")
        for c, text in enumerate(cells, start=1):
            fmt = styles.secret if (sheet.restricted and c == 2) else styles.cell
            ws.write_string(row, c, text, fmt)
        needed = max(text_lines(text, _GUIDE_WIDTHS[c]) for c, text in enumerate(cells, start=1))
        ws.set_row(row, 16 * needed + 6)
        row += 1

    ws.protect("", PROTECTION)
    print_setup(ws, landscape=False, title=f"{GUIDE_SHEET}（模板版本 {TEMPLATE_VERSION}）")
    ws.hide_gridlines(2)  # a page of text: no grid lines on screen or on paper


#: 使用说明 of the .xlsm: what each button does, what the mark colours mean, what the buttons need.
GUIDE_BUTTON_TEXT = {
    "validate": "检查全部台账，把有问题的单元格标上颜色（见下面两行），问题清单写入“校验结果”表。",
    "score": "按评分细则打分，结果写入“创建评分”表：总分、每项得分和还差什么。",
    "clear": "去掉校验标上的颜色（改回白色），并清空“校验结果”表；没有被标过的单元格不受影响。",
}
GUIDE_MARKS = (
    ("错误", MARK_ERROR, "红色＝错误：填写有误，该行不计入评分，请改正后重新校验。"),
    (
        "提醒",
        MARK_WARNING,
        "黄色＝提醒：计入评分，但请核实。在“校验结果”表中点链接可跳到该单元格。",
    ),
)
GUIDE_BUTTONS_NOTE = (
    "按钮需要本机装有 Python 和 xlhfjz；打开文件时请点“启用内容”（启用宏）。"
    "不用按钮也可以在命令行运行  xlhfjz validate 文件名.xlsm  。"
)
#: 使用说明 of a workbook whose buttons call the street's server (``xlhfjz new --server``).
GUIDE_SUBMIT_TEXT = (
    "把本工作簿的台账报送到街道服务器，弹出报送时间、创建结果和校验情况；可以多次报送，"
    "街道以最后一次为准。"
)
GUIDE_REMOTE_NOTE = (
    "按钮由街道服务器处理，本机不需要安装 Python；打开文件时请点“启用内容”（启用宏），"
    "电脑需能连上单位内网。连不上服务器时会弹出提示，填写的内容不受影响，稍后再点即可。"
)
_GUIDE_BUTTON_ROW_POINTS = 36


def _write_guide_buttons(ws: Worksheet, styles: Styles, row: int, *, remote: bool = False) -> int:
    """From ``row``: one button per row in column A with what it does in B–D, then the two mark
    colours (a sample cell and its meaning, like the header colours below) and a note on what
    the buttons need; returns the next free row."""
    y = (row_pixels(_GUIDE_BUTTON_ROW_POINTS) - BUTTON_HEIGHT) // 2
    x = (col_pixels(_GUIDE_WIDTHS[0]) - BUTTON_WIDTH) // 2
    texts = {**GUIDE_BUTTON_TEXT, "submit": GUIDE_SUBMIT_TEXT} if remote else GUIDE_BUTTON_TEXT
    for role, text in texts.items():
        insert_button(ws, row, SUBMIT_BUTTON if role == "submit" else BUTTONS[role], x=x, y=y)
        ws.merge_range(row, 1, row, 3, "", styles.note)
        ws.write_string(row, 1, text, styles.note)
        ws.set_row(row, _GUIDE_BUTTON_ROW_POINTS)
        row += 1
    for name, colours, text in GUIDE_MARKS:
        sample = styles.get(bold=True, align="center", valign="vcenter", border=1,
                            border_color=GRID_COLOUR, **colours)  # fmt: skip
        ws.write_string(row, 0, name, sample)
        ws.merge_range(row, 1, row, 3, "", styles.note)
        ws.write_string(row, 1, text, styles.note)
        ws.set_row(row, 20)
        row += 1
    ws.merge_range(row, 0, row, 3, "", styles.note)
    ws.write_string(row, 0, GUIDE_REMOTE_NOTE if remote else GUIDE_BUTTONS_NOTE, styles.note)
    ws.set_row(row, 24)
    return row + 1
