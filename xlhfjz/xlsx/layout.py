"""The look shared by every workbook we write with XlsxWriter: options, formats, widths, print
setup, and the atomic replacement of the file."""

from __future__ import annotations

import datetime as dt
import math
import os
import unicodedata
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import xlsxwriter
from xlsxwriter.format import Format
from xlsxwriter.worksheet import Worksheet

from xlhfjz.model.schema import BASIC_INFO, GUIDE_SHEET, TEMPLATE_VERSION, Field, schema_hash
from xlhfjz.xlsx.tempfiles import remove_stale_temps, temp_token
from xlhfjz.xlsx.vml import print_buttons

#: XlsxWriter options: a text is always a text (``=1+1``, ``http://…``, ``007`` stay as typed).
WORKBOOK_OPTIONS: dict[str, Any] = {
    "strings_to_formulas": False,
    "strings_to_urls": False,
    "strings_to_numbers": False,
}


#: The document date written to docProps (fixed, so the same inputs give the same bytes).
CREATED = dt.datetime(2020, 1, 1)


# The validation marks (excel.md) with Excel's matching "Bad" / "Neutral" font colours.
MARK_ERROR = {"bg_color": "#FFC7CE", "font_color": "#9C0006"}


MARK_WARNING = {"bg_color": "#FFEB9C", "font_color": "#9C5700"}


DATE_MIN = dt.date(2000, 1, 1)


DATE_MAX = dt.date(2099, 12, 31)


DATE_FORMAT = "yyyy-mm-dd"


MONTH_FORMAT = "yyyy-mm"


TEXT_FORMAT = "@"


# Header fills: required / required under a condition / optional (explained in 使用说明).
# Kept clear of the validation marks (#FFC7CE error, #FFEB9C warning).
FILL_REQUIRED = "#1F4E78"


FILL_CONDITIONAL = "#9BC2E6"


FILL_OPTIONAL = "#DDEBF7"


GRID_COLOUR = "#8EA9C1"


#: Ledgers wider than this (in column units) print on A3 landscape, the others on A4.
A3_FROM_WIDTH = 220


PROTECTION = {
    "format_cells": True,
    "format_columns": True,
    "format_rows": True,
    "insert_rows": True,
    "delete_rows": True,
    "sort": True,
    "autofilter": True,
    "select_locked_cells": True,
    "select_unlocked_cells": True,
}


# Text types: stored as text so 13812345678 and leading zeros survive.
TEXT_TYPES = frozenset({"text", "mobile", "phone", "uscc", "code", "month", "choice", "multi"})


def col_pixels(width: float) -> int:
    """The pixel width of a column of ``width`` character units (as XlsxWriter and Excel)."""
    return int(width * 7 + 0.5) + 5 if width >= 1 else int(width * 12 + 0.5)


def row_pixels(points: float) -> int:
    return int(4 / 3 * points)


@contextmanager
def atomic_workbook(path: str | os.PathLike[str]) -> Iterator[xlsxwriter.Workbook]:
    """An XlsxWriter workbook that replaces ``path`` only once it has been written completely.

    It is written to a hidden temporary file in the same folder and moved over ``path`` with
    :func:`os.replace`; on any error the temporary file is removed and ``path`` is untouched.
    """
    target = Path(path)
    remove_stale_temps(target)
    tmp = target.with_name(f".{target.stem}.{temp_token()}.tmp{target.suffix}")
    workbook = xlsxwriter.Workbook(str(tmp), WORKBOOK_OPTIONS)
    workbook.set_properties(
        {
            "title": BASIC_INFO.title,
            "subject": GUIDE_SHEET,
            "author": "xlhfjz",
            "comments": f"template_version={TEMPLATE_VERSION}; schema_hash={schema_hash()}",
            "created": CREATED,
        }
    )
    try:
        yield workbook
        printed = [i for i, ws in enumerate(workbook.worksheets()) if ws.name == GUIDE_SHEET]
        workbook.close()
        print_buttons(tmp, printed)
        os.replace(tmp, target)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


class Styles:
    """The workbook's formats, created once each (in a fixed order, so output is stable)."""

    def __init__(self, workbook: xlsxwriter.Workbook) -> None:
        self.workbook = workbook
        self._cache: dict[tuple[tuple[str, Any], ...], Format] = {}
        border = {"border": 1, "border_color": GRID_COLOUR}
        header = {"bold": True, "align": "center", "valign": "vcenter", "text_wrap": True, **border}
        self.header = {
            "required": self.get(**header, bg_color=FILL_REQUIRED, font_color="#FFFFFF"),
            "conditional": self.get(**header, bg_color=FILL_CONDITIONAL),
            "optional": self.get(**header, bg_color=FILL_OPTIONAL),
        }
        self.title = self.get(
            valign="vcenter", text_wrap=True, bottom=2, bottom_color=FILL_REQUIRED
        )
        self.title_big = self.get(bold=True, font_size=14, font_color=FILL_REQUIRED)
        self.title_hint = self.get(font_size=10, font_color="#595959")
        self.heading = self.get(bold=True, font_size=12, font_color=FILL_REQUIRED, valign="vcenter")
        self.para = self.get(text_wrap=True, valign="top")
        self.note = self.get(text_wrap=True, valign="vcenter", font_color="#595959")
        self.cell = self.get(text_wrap=True, valign="top", **border)
        self.link = self.get(
            text_wrap=True, valign="top", font_color="#0563C1", underline=1, bold=True, **border
        )
        self.secret = self.get(text_wrap=True, valign="top", font_color="#C00000", **border)
        self.locked_text = self.get(
            num_format=TEXT_FORMAT, text_wrap=True, valign="vcenter", **border
        )
        self.serial = self.get(locked=False, align="center", valign="vcenter")

    def get(self, **props: Any) -> Format:
        key = tuple(sorted(props.items()))
        fmt = self._cache.get(key)
        if fmt is None:
            fmt = self._cache[key] = self.workbook.add_format(props)
        return fmt

    def header_for(self, f: Field) -> Format:
        return self.header[requirement(f)]

    def data_for(self, f: Field, **extra: Any) -> Format:
        """The unlocked format of a data cell of ``f`` (text ``@``, date, or general)."""
        extra = {"valign": "vcenter", **extra}
        if f.type == "date":
            return self.get(**{"align": "left", **extra}, locked=False, num_format=DATE_FORMAT)
        if f.type in TEXT_TYPES:
            return self.get(locked=False, num_format=TEXT_FORMAT, **extra)
        return self.get(locked=False, **extra)

    def date_for(self, f: Field, **extra: Any) -> Format:
        """The format of a date value in ``f`` (in a 月份 column a date shows its month)."""
        number = MONTH_FORMAT if f.type == "month" else DATE_FORMAT
        extra = {"valign": "vcenter", "align": "left", **extra}
        return self.get(locked=False, num_format=number, **extra)


def requirement(f: Field) -> str:
    if f.required is True:
        return "required"
    return "optional" if f.required is False else "conditional"


def units(text: str) -> int:
    """Display width of ``text`` in Excel column units (a CJK character counts as 2)."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def clip(text: str, limit: int) -> str:
    """``text`` cut to ``limit`` characters (Excel counts UTF-16 units), ending in "…"."""
    if len(text.encode("utf-16-le")) // 2 <= limit:
        return text
    while len(text.encode("utf-16-le")) // 2 > limit - 1:
        text = text[:-1]
    return text + "…"


def text_lines(text: str, width: int) -> int:
    return max(1, math.ceil(units(text) * 1.05 / max(width - 1, 1)))


def text_height(text: str, width: int) -> int:
    return 16 * text_lines(text, width) + 4


def print_setup(ws: Worksheet, *, landscape: bool, width: int = 0) -> None:
    """A4 (A3 for very wide ledgers), one page wide, footer with sheet name and page number."""
    if landscape:
        ws.set_landscape()
    else:
        ws.set_portrait()
    ws.set_paper(8 if width > A3_FROM_WIDTH else 9)
    ws.fit_to_pages(1, 0)
    ws.set_margins(left=0.4, right=0.4, top=0.6, bottom=0.6)
    ws.set_footer("&C&A　第 &P 页 / 共 &N 页")
