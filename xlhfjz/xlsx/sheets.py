"""A schema sheet written as a worksheet: the key–value layout (基本信息, 设置) and the ledger
layout (title row, header row, data from row 3) with dropdowns, input hints, text/date formats
and header-only protection, all from :mod:`xlhfjz.model.schema`."""

from __future__ import annotations

import datetime as dt
import math
import numbers
from collections.abc import Mapping, Sequence
from typing import Any

from xlsxwriter.format import Format
from xlsxwriter.worksheet import Worksheet

from xlhfjz.model.schema import BASIC_INFO, REMARK, SERIAL_LABEL, Field, Sheet
from xlhfjz.model.values import EXCEL_EPOCH, display_width
from xlhfjz.xlsx.layout import (
    A4,
    DATE_MAX,
    DATE_MIN,
    GRID_COLOUR,
    PROTECTION,
    Styles,
    clip,
    print_setup,
    requirement,
    text_lines,
)

#: 0-based row of a ledger's first data row (Excel row 3); row 1 = title, row 2 = header.
DATA_FIRST_ROW = 2
#: The height of a ledger's title row in points (at least; a long hint makes it taller).
TITLE_ROW_POINTS = 30


#: 0-based last row covered by the column validations: the whole sheet (Excel row 1,048,576).
VALIDATION_LAST_ROW = 1_048_575


_TYPE_WIDTH = {
    "date": 12, "month": 10, "mobile": 14, "phone": 16, "uscc": 22, "code": 16, "int": 10,
    "number": 10, "grid": 10, "multi": 30,
}  # fmt: skip


_MAX_INPUT = 255


_MAX_TITLE = 32


_LIST_LIMIT = 255


def column_width(f: Field) -> int:
    """A readable width for ``f``'s column, from its type, label and length."""
    if f.width:
        return f.width
    if f.type == "choice":
        base = min(max(display_width(c) for c in f.choices) + 4, 24)
    elif f.type == "text":
        n = f.max_len
        base = 16 if n is None else 12 if n <= 20 else 20 if n <= 40 else 26 if n <= 60 else 32
    else:
        base = _TYPE_WIDTH[f.type]
    return min(max(base, display_width(f.label) + 4), 40)


def _condition(f: Field, sheet: Sheet) -> str:
    """ "状态为“已更换”时" for a conditionally required field, else ""."""
    if isinstance(f.required, bool):
        return ""
    labels = {x.id: x.label for x in sheet.fields}
    return f"{f.required.describe(labels)}时"


def _type_hint(f: Field) -> str:
    """What to type into ``f`` (sheet-independent wording)."""
    if f.type == "date":
        return "日期，如 2020-06-15"
    if f.type == "month":
        return "月份，如 2020-07"
    if f.type == "choice":
        return "从下拉列表选择：" + "、".join(f.choices)
    if f.type == "multi":
        return "可多选，多个用顿号（、）分隔；可选：" + "、".join(f.choices)
    if f.type == "int":
        low = int(f.min_value or 0)
        return f"整数，不小于 {low}"
    if f.type == "number":
        return "数字，大于 0" if f.min_exclusive else f"数字，不小于 {f.min_value or 0:g}"
    if f.type == "grid":
        return "网格编号，1 到 网格数 的整数"
    if f.type == "mobile":
        return "11位手机号"
    if f.type == "phone":
        return "手机号或带区号的固话，如 0533-1234567"
    if f.type == "uscc":
        return "18位统一社会信用代码"
    if f.type == "code":
        return "12位数字代码"
    if f.max_len:
        return f"不超过 {f.max_len} 个字"
    return ""


def input_message(f: Field, sheet: Sheet) -> str:
    """The hint shown when a cell of ``f`` is selected ("" for none), at most 255 characters."""
    parts = [f.hint] if f.hint else []
    cond = _condition(f, sheet)
    if cond and "必填" not in f.hint:
        parts.append(f"{cond}必填")
    if f.type == "multi":
        if "顿号" not in f.hint:
            parts.append("多个用顿号（、）分隔")
        parts.append("可选：" + "、".join(f.choices))
    elif f.type == "month" and not f.hint:
        parts.append("如 2020-07")
    return clip("\n".join(parts), _MAX_INPUT)


def validation(f: Field, sheet: Sheet) -> dict[str, Any] | None:
    """The XlsxWriter data-validation options of ``f``'s cells (warnings only: forgiving)."""
    label = f.label
    opts: dict[str, Any]
    if f.type == "choice":
        source = ",".join(f.choices)
        assert all("," not in c and '"' not in c for c in f.choices), f"{label}: comma in choice"
        assert len(source.encode("utf-16-le")) // 2 <= _LIST_LIMIT, f"{label}: list too long"
        opts = {
            "validate": "list",
            "source": list(f.choices),
            "error_title": "请从下拉列表选择",
            "error_message": f"“{label}”应为下列之一：{'、'.join(f.choices)}。\n"
            "点“是”保留当前输入，点“否”重新填写。",
        }
    elif f.type == "date":
        opts = {
            "validate": "date",
            "criteria": "between",
            "minimum": DATE_MIN,
            "maximum": DATE_MAX,
            "error_title": "日期格式",
            "error_message": "请填写日期，如 2020-06-15",
        }
    elif f.type in ("int", "grid"):
        low: float = 1 if f.type == "grid" else int(f.min_value or 0)
        opts = {
            "validate": "integer",
            "criteria": ">=",
            "value": low,
            "error_title": "请填写整数",
            "error_message": f"“{label}”应为不小于 {low} 的整数（只填数字，不带单位）",
        }
    elif f.type == "number":
        low = f.min_value or 0
        opts = {
            "validate": "decimal",
            "criteria": ">" if f.min_exclusive else ">=",
            "value": low,
            "error_title": "请填写数字",
            "error_message": f"“{label}”应为{'大于' if f.min_exclusive else '不小于'} {low:g} "
            "的数字（只填数字，不带单位）",
        }
    elif f.type in ("uscc", "code"):
        n = 18 if f.type == "uscc" else 12
        opts = {
            "validate": "length",
            "criteria": "==",
            "value": n,
            "error_title": "位数不对",
            "error_message": f"“{label}”应为 {n} 位",
        }
    elif f.type == "text" and f.max_len:
        opts = {
            "validate": "length",
            "criteria": "<=",
            "value": f.max_len,
            "error_title": "内容过长",
            "error_message": f"“{label}”不超过 {f.max_len} 个字",
        }
    else:
        opts = {"validate": "any"}
    message = input_message(f, sheet)
    if message:
        opts["input_title"] = clip(label, _MAX_TITLE)
        opts["input_message"] = message
    if opts["validate"] == "any" and not message:
        return None
    if "error_message" in opts:
        opts["error_type"] = "warning"
        opts["error_message"] = clip(opts["error_message"], _MAX_INPUT)
    return opts


def ledger_columns(sheet: Sheet) -> list[Field]:
    """The data columns of a ledger after 序号: its fields, then 备注."""
    return [*sheet.fields, REMARK]


def write_ledger(
    ws: Worksheet,
    sheet: Sheet,
    styles: Styles,
    rows: Sequence[Sequence[Any]],
    *,
    owner: str = "",
) -> None:
    """A ledger sheet; ``owner`` (the community's name) goes into the printed page header."""
    columns = ledger_columns(sheet)
    last = len(columns)  # 0-based index of 备注 (序号 is column 0)
    widths = [6] + [column_width(f) for f in columns]

    ws.set_column(0, 0, widths[0], styles.serial)
    data_formats = [styles.data_for(f) for f in columns]
    date_formats = [styles.date_for(f) for f in columns]
    for c in range(1, last + 1):
        ws.set_column(c, c, widths[c], data_formats[c - 1])

    # Row 1: title + one-line guide; row 2: header labels coloured by requirement.
    ws.merge_range(0, 0, 0, last, "", styles.title)
    ws.write_rich_string(
        0, 0, styles.title_big, sheet.title, styles.title_hint, "　" + sheet.guide, styles.title
    )
    lines = math.ceil(title_units(sheet) / max(sum(widths) - 2, 1))
    ws.set_row(0, max(TITLE_ROW_POINTS, 15 * lines + 10))
    ws.set_row(1, 30)
    ws.set_default_row(18)
    ws.write_string(1, 0, SERIAL_LABEL, styles.header["optional"])
    for c, f in enumerate(columns, start=1):
        ws.write_string(1, c, f.label, styles.header_for(f))

    for c, f in enumerate(columns, start=1):
        opts = validation(f, sheet)
        if opts is not None:
            ws.data_validation(DATA_FIRST_ROW, c, VALIDATION_LAST_ROW, c, opts)

    n = _write_rows(ws, columns, rows, data_formats, date_formats, styles.serial)

    ws.freeze_panes(DATA_FIRST_ROW, 1)
    ws.autofilter(1, 0, 1 + n, last)
    ws.protect("", PROTECTION)
    print_setup(ws, landscape=True, width=sum(widths), title=sheet.title, owner=owner)
    ws.repeat_rows(0, 1)
    if sheet.restricted:
        ws.set_tab_color("#C00000")


def _write_rows(
    ws: Worksheet,
    columns: Sequence[Field],
    rows: Sequence[Sequence[Any]],
    data_formats: Sequence[Format],
    date_formats: Sequence[Format],
    serial_format: Format,
) -> int:
    """Write ``rows`` from row 3 with 序号; return how many were written."""
    width = len(columns)
    write_string, write_number = ws.write_string, ws.write_number
    for i, row in enumerate(rows):
        if len(row) > width:
            raise ValueError(f"{ws.name} row {i + 1}: {len(row)} values for {width} columns")
        r = DATA_FIRST_ROW + i
        write_number(r, 0, i + 1, serial_format)
        for j, value in enumerate(row):
            if value is None:
                continue
            c = j + 1
            kind = type(value)
            if kind is str:
                write_string(r, c, value, data_formats[j])
            elif kind is int or (kind is float and value == value):  # NaN stays blank
                write_number(r, c, value, data_formats[j])
            elif kind is dt.date and value >= _SERIAL_FROM:
                # What write_datetime writes, without its per-cell conversion cost.
                write_number(r, c, value.toordinal() - _EXCEL_EPOCH, date_formats[j])
            else:
                _write_other(ws, r, c, value, data_formats[j], date_formats[j])
    return len(rows)


_EXCEL_EPOCH = EXCEL_EPOCH.toordinal()


_SERIAL_FROM = dt.date(1900, 3, 1)  # Excel's fictitious 1900-02-29 lies before this


def _write_other(ws: Worksheet, r: int, c: int, value: Any, fmt: Format, date_fmt: Format) -> None:
    if isinstance(value, str):
        ws.write_string(r, c, value, fmt)
    elif isinstance(value, bool):
        ws.write_boolean(r, c, value, fmt)
    elif isinstance(value, numbers.Real):  # numpy numbers too; NaN stays blank
        if value == value:
            ws.write_number(r, c, float(value) if not isinstance(value, int) else value, fmt)
    elif isinstance(value, dt.date):  # date and datetime
        ws.write_datetime(r, c, value, date_fmt)
    else:
        raise TypeError(f"{ws.name}: cannot write {type(value).__name__} value {value!r}")


_BASIC_WIDTHS = (max(display_width(f.label) for f in BASIC_INFO.fields) + 4, 34, 72)


def write_key_value(
    ws: Worksheet, styles: Styles, values: Mapping[str, Any], sheet: Sheet = BASIC_INFO
) -> None:
    """A key–value sheet (项目 | 值 | 说明): one row per field, values editable in column B."""
    for c, w in enumerate(_BASIC_WIDTHS):
        ws.set_column(c, c, w)
    for c, text in enumerate(("项目", "值", "说明")):
        ws.write_string(0, c, text, styles.header["optional"])
    ws.set_row(0, 24)
    for i, f in enumerate(sheet.fields, start=1):
        ws.write_string(i, 0, f.label, styles.header_for(f))
        border = {"border": 1, "border_color": GRID_COLOUR, "align": "left"}
        fmt, date_fmt = styles.data_for(f, **border), styles.date_for(f, **border)
        value = values.get(f.id)
        if value is None:
            ws.write_blank(i, 1, None, fmt)
        else:
            _write_other(ws, i, 1, value, fmt, date_fmt)
        note = _basic_note(f, sheet)
        ws.write_string(i, 2, note, styles.locked_text)
        ws.set_row(i, 16 * text_lines(note, _BASIC_WIDTHS[2]) + 6)
        opts = validation(f, sheet)
        if opts is not None:
            ws.data_validation(i, 1, i, 1, opts)
    ws.freeze_panes(1, 0)
    ws.protect("", PROTECTION)
    owner = values.get("community_name") if sheet is BASIC_INFO else values.get("street")
    print_setup(ws, landscape=False, title=sheet.title, owner=str(owner or ""), paper=A4)
    ws.repeat_rows(0)


def _basic_note(f: Field, sheet: Sheet) -> str:
    """The 说明 cell: "（必填）" / "（选填）" / "（…时必填）", the field's hint and what to type."""
    req = requirement(f)
    head = {"required": "（必填）", "optional": "（选填）"}.get(
        req, f"（{_condition(f, sheet)}必填）"
    )
    if "必填" in f.hint or "选填" in f.hint:
        head = ""
    hint = f.hint
    if f.type == "multi":
        extra = "可选：" + "、".join(f.choices)
        if "顿号" not in hint:
            extra = "可多选，多个用顿号（、）分隔；" + extra
    elif hint and f.type in ("code", "mobile", "phone", "uscc", "grid", "month"):
        extra = ""  # the hint already says what to type
    elif f.type == "date":
        extra = "如 2020-06-15"
    elif f.type == "int" and "整数" in hint:
        extra = f"不小于 {int(f.min_value or 0)}"
    else:
        extra = _type_hint(f)
    return head + "；".join(p for p in (hint, extra) if p)


def required_columns(sheet: Sheet) -> str:
    parts = []
    for f in sheet.fields:
        if f.required is True:
            parts.append(f.label)
        elif f.required is not False:
            parts.append(f"{f.label}（{_condition(f, sheet)}）")
    return "、".join(parts)


def title_units(sheet: Sheet) -> float:
    """The estimated width of a ledger's title row text (14-pt title, 10-pt guide) in units."""
    return display_width(sheet.title) * 1.3 + display_width(sheet.guide) * 0.9 + 4
