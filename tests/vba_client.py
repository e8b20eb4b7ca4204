"""Test helper: xlwings' remote VBA client, played without Excel.

- :func:`payload_from_xlsx` builds the JSON a click on a ``RunRemotePython`` button posts, from a
  real ``.xlsx``, exactly as ``RunServerPython`` in xlwings' ``addin/Remote.bas`` builds it: one
  entry per worksheet (hidden ones too, chart sheets not) in tab order; values = the block from
  A1 to the bottom-right cell of the used range, empty cells ``null``, dates
  ``yyyy-mm-ddTHH:MM:SS.000Z``, whole numbers without ``.0``; and VBA-JSON's quirk of sending a
  text of 16–100 characters from ``[0-9.Ee]`` unquoted (an ID number typed as text arrives as a
  number).
- :func:`run_button` runs a button function against a payload through xlwings' own remote
  engine (``xw.Book(json=…)`` + ``set_mock_caller``) and returns the actions it would send back.
- :func:`replay` applies those actions to an openpyxl workbook with the semantics of the VBA
  client's Subs (``Remote.bas``) and of Excel's ``Range.Value = …`` (a string is parsed as if
  typed: a leading apostrophe keeps it text, ``=`` makes a formula, a number-looking text a
  number), so a test can check the end state of the file.

``XLWINGS_LICENSE_KEY=noncommercial`` must be set before xlwings is imported (the remote engine
is part of xlwings PRO; its non-commercial licence covers government use).
"""

from __future__ import annotations

import copy
import datetime as dt
import json
import os
import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

os.environ.setdefault("XLWINGS_LICENSE_KEY", "noncommercial")

import openpyxl
import xlwings as xw
from openpyxl.cell.cell import Cell
from openpyxl.styles import PatternFill
from openpyxl.workbook.workbook import Workbook
from openpyxl.worksheet.hyperlink import Hyperlink


def _remote_engine() -> None:
    """Register xlwings' remote engine even if xlwings was imported before the licence key was
    set (another test module importing it first): xlwings only looks at the key on import."""
    if "remote" in [e.name for e in xw.engines]:
        return
    from xlwings.pro import _xlremote

    xw.engines.add(xw.main.Engine(impl=_xlremote.engine))
    xw.__pro__ = True


_remote_engine()

from xlwings.pro import _xlremote  # noqa: E402

Action = dict[str, Any]

#: Every Sub of ``Remote.bas`` an action can name (an action with another ``func`` fails in Excel).
VBA_SUBS = frozenset(
    {
        "setValues", "rangeClearContents", "rangeClearFormats", "rangeClear", "addSheet",
        "setSheetName", "setAutofit", "setRangeColor", "activateSheet", "addHyperlink",
        "setNumberFormat", "setPictureName", "setPictureHeight", "setPictureWidth",
        "deletePicture", "addPicture", "updatePicture", "alert", "setRangeName", "namesAdd",
        "nameDelete", "runMacro", "rangeDelete", "rangeInsert", "rangeSelect", "addTable",
        "setTableName", "resizeTable", "showAutofilterTable", "showHeadersTable",
        "showTotalsTable", "setTableStyle", "copyRange", "sheetDelete", "sheetClear",
        "sheetClearContents", "sheetClearFormats",
    }
)  # fmt: skip

_LARGE_NUMBER = re.compile(r"^[0-9.Ee]{16,100}$")


# ── the request ─────────────────────────────────────────────────────────────────────────────


def _json_value(value: Any) -> Any:
    """A cell's ``Range.Value`` as the VBA client's JSON writer prints it."""
    if value is None or isinstance(value, bool):
        return value
    if isinstance(value, dt.datetime):
        return value.strftime("%Y-%m-%dT%H:%M:%S.000Z")
    if isinstance(value, dt.date):
        return value.strftime("%Y-%m-%dT00:00:00.000Z")
    if isinstance(value, dt.time):  # a VBA Date on 1899-12-30
        return "1899-12-30T" + value.strftime("%H:%M:%S") + ".000Z"
    if isinstance(value, dt.timedelta):
        return (dt.datetime(1899, 12, 30) + value).strftime("%Y-%m-%dT%H:%M:%S.000Z")
    if isinstance(value, float):
        return int(value) if value.is_integer() and abs(value) < 1e15 else value
    if isinstance(value, int):
        return value
    text = str(value)
    if text == "":
        return None
    if _LARGE_NUMBER.match(text):
        try:
            return json.loads(text)  # VBA-JSON prints it unquoted
        except ValueError:
            return text
    return text


def payload_from_xlsx(path: str | os.PathLike[str], *, active_sheet: str | None = None) -> dict:
    """The request body of a click on a ``RunRemotePython`` button in workbook ``path``."""
    wb = openpyxl.load_workbook(path, data_only=True)  # cached values, as Range.Value gives
    sheets = []
    for ws in wb.worksheets:
        if ws.max_row == 1 and ws.max_column == 1 and ws.cell(1, 1).value is None:
            values: list[list[Any]] = [[]]
        else:
            values = [
                [_json_value(v) for v in row]
                for row in ws.iter_rows(
                    min_row=1, max_row=ws.max_row, max_col=ws.max_column, values_only=True
                )
            ]
        sheets.append({"name": ws.title, "pictures": [], "tables": [], "values": values})
    active = wb[active_sheet] if active_sheet else wb.active
    payload = {
        "client": "VBA",
        "version": xw.__version__,
        "book": {
            "name": Path(path).name,
            "active_sheet_index": wb.worksheets.index(active) if active in wb.worksheets else 0,
            "selection": "A1",
        },
        "names": [],
        "sheets": sheets,
    }
    return json.loads(json.dumps(payload, ensure_ascii=False))  # exactly JSON's types


def run_button(func: Callable[[], None], payload: dict) -> list[Action]:
    """Run a button function as a click with ``payload`` would; return the actions as JSON."""
    book = xw.Book(json=copy.deepcopy(payload))  # the engine mutates the payload
    book.set_mock_caller()
    try:
        func()
        return json.loads(json.dumps(book.json()["actions"], ensure_ascii=False))
    finally:
        del xw.Book._mock_caller
        book.close()
        _xlremote.get_range_api.cache_clear()


# ── the response ────────────────────────────────────────────────────────────────────────────


def _cells(ws: Any, action: Action) -> Iterator[Cell]:
    r0, c0 = action["start_row"] + 1, action["start_column"] + 1
    for r in range(r0, r0 + action["row_count"]):
        for c in range(c0, c0 + action["column_count"]):
            yield ws.cell(r, c)


_CINT = re.compile(r"^\s*[+-]?\d+(\.\d+)?\s*$")
_NUMBER = re.compile(r"^\s*[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?\s*$")


def _date_serial(year: int, month: int, day: int) -> dt.date:
    """VBA ``DateSerial``: two-digit years as Excel reads them, months and days roll over."""
    if 0 <= year < 30:
        year += 2000
    elif 30 <= year < 100:
        year += 1900
    year += (month - 1) // 12
    month = (month - 1) % 12 + 1
    return dt.date(year, month, 1) + dt.timedelta(days=day - 1)


def _parse_iso(text: str) -> dt.datetime | None:
    """``WebHelpers.ParseIso`` as the VBA client calls it on every value before writing."""
    parts = text.split("T")
    date_parts = parts[0].split("-")
    if len(date_parts) < 3 or not all(_CINT.match(p) for p in date_parts[:3]):
        return None
    y, m, d = (round(float(p)) for p in date_parts[:3])
    try:
        day = _date_serial(y, m, d)
    except (ValueError, OverflowError):
        return None
    when = dt.datetime(day.year, day.month, day.day)
    if len(parts) > 1:
        clock = re.split(r"[+\-Z]", parts[1])[0].split(":")
        try:
            h, mi, s = ([int(float(x)) for x in clock] + [0, 0, 0])[:3]
        except ValueError:
            return None
        when += dt.timedelta(hours=h, minutes=mi, seconds=s)
    return when


def typed(value: Any) -> tuple[Any, bool]:
    """What one ``setValues`` value becomes in the cell: (value, entered as quoted text).

    ParseIso first (a success is a date); then Excel's parsing of a typed string: a leading
    apostrophe keeps the rest as text, ``=…`` is a formula (openpyxl keeps it as ``"=…"``),
    a number-looking text or TRUE/FALSE becomes a number or boolean.
    """
    if not isinstance(value, str):
        return value, False
    if value == "":
        return None, False
    iso = _parse_iso(value)
    if iso is not None:
        return iso, False
    if value.startswith("'"):
        return value[1:], True
    if _NUMBER.match(value):
        number = float(value)
        return (int(number) if number.is_integer() else number), False
    if value.strip().upper() in ("TRUE", "FALSE"):
        return value.strip().upper() == "TRUE", False
    return value, False


def _set(cell: Cell, value: Any) -> None:
    value, quoted = typed(value)
    cell.value = value
    if quoted:
        cell.data_type = "s"  # never a formula, even if it starts with "="
        cell.quotePrefix = True


def _clear_format(cell: Cell) -> None:
    cell.fill = PatternFill()
    cell.number_format = "General"


def _add_sheet(wb: Workbook, position: int, name: str) -> None:
    """``addSheet``: ``Sheets.Add`` inserts before the active sheet (and activates the new one),
    then ``Move After:=Worksheets(position + 1)``."""
    ws = wb.create_sheet(name, index=wb.index(wb.active))
    sheets = wb._sheets
    after = sheets[position]
    if after is not ws:
        sheets.remove(ws)
        sheets.insert(sheets.index(after) + 1, ws)
    wb.active = sheets.index(ws)


def replay(wb: Workbook, actions: list[Action]) -> list[list[Any]]:
    """Apply the actions to ``wb`` in order; return the ``alert`` calls' args."""
    alerts: list[list[Any]] = []
    for a in actions:
        func, args = a["func"], a["args"]
        if func not in VBA_SUBS:
            raise AssertionError(f"the VBA client has no Sub {func!r}")
        pos = a.get("sheet_position")
        ws = wb.worksheets[pos] if pos is not None else None
        if func == "setValues":
            for i, row in enumerate(a["values"]):
                for j, value in enumerate(row):
                    _set(ws.cell(a["start_row"] + 1 + i, a["start_column"] + 1 + j), value)
        elif func == "setRangeColor":
            if not isinstance(args[0], str):
                raise AssertionError(f"HexToRgb cannot convert {args[0]!r}")
            for cell in _cells(ws, a):
                cell.fill = PatternFill("solid", fgColor="FF" + args[0].lstrip("#").upper())
        elif func == "setNumberFormat":
            for cell in _cells(ws, a):
                cell.number_format = args[0]
        elif func in ("rangeClearContents", "rangeClear", "rangeClearFormats"):
            for cell in _cells(ws, a):
                if func != "rangeClearFormats":
                    cell.value = None
                if func != "rangeClearContents":
                    _clear_format(cell)
                    cell.hyperlink = None
        elif func in ("sheetClear", "sheetClearContents", "sheetClearFormats"):
            for row in ws.iter_rows():
                for cell in row:
                    if func != "sheetClearFormats":
                        cell.value = None  # ClearContents keeps hyperlinks, as Excel does
                    if func != "sheetClearContents":
                        _clear_format(cell)
                        cell.hyperlink = None
        elif func == "addSheet":
            _add_sheet(wb, args[0], args[1])
        elif func == "activateSheet":
            wb.active = args[0]
        elif func == "addHyperlink":
            cell = next(_cells(ws, a))
            address, text, tip = args
            if address.startswith("#"):
                cell.hyperlink = Hyperlink(ref=cell.coordinate, location=address[1:], tooltip=tip)
            else:
                cell.hyperlink = address
            cell.value = text
        elif func == "setAutofit":
            pass  # column widths only
        elif func == "alert":
            alerts.append(list(args))
        else:
            raise NotImplementedError(f"replay does not model {func!r}")
    return alerts


def fill(cell: Cell) -> str | None:
    """A cell's solid fill as ``#RRGGBB`` (None without one)."""
    if cell.fill is None or cell.fill.fill_type != "solid":
        return None
    return "#" + str(cell.fill.fgColor.rgb)[-6:].upper()
