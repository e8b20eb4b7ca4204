"""Shared test helpers: hand-made workbooks written with XlsxWriter (independent of our template
writer), and the CLI run as a user runs it."""

from __future__ import annotations

import datetime as dt
import subprocess
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import xlsxwriter

from xlhfjz.model.schema import BASIC_INFO, LEDGERS, TEMPLATE_VERSION
from xlhfjz.sample import CommunitySample

Rows = list[list[Any]]


def standard_sheets(sample: CommunitySample) -> dict[str, Rows]:
    """A sample laid out like the contract: title row, header row, data from row 3."""
    sheets: dict[str, Rows] = {
        "基本信息": [["项目", "值", "说明"]]
        + [[f.label, sample.basic.get(f.id), ""] for f in BASIC_INFO.fields]
    }
    for sheet in LEDGERS:
        rows: Rows = [[sheet.title], [f.label for f in sheet.fields]]
        rows += [list(r) for r in sample.data.get(sheet.name, [])]
        sheets[sheet.name] = rows
    sheets["_meta"] = [["template_version", TEMPLATE_VERSION]]
    return sheets


def write_xlsx(
    path: Path,
    sheets: Mapping[str, Sequence[Sequence[Any]]],
    *,
    formulas: Mapping[tuple[str, int, int], tuple[str, Any]] | None = None,
    hidden_columns: Mapping[str, Sequence[int]] | None = None,
    merged_title: bool = False,
    date1904: bool = False,
) -> Path:
    """Write rows as given (strings stay strings, dates are real dates).

    ``formulas[(sheet, excel_row, col0)] = (formula, cached value)``.
    """
    wb = xlsxwriter.Workbook(
        str(path),
        {"strings_to_formulas": False, "strings_to_urls": False, "date_1904": date1904},
    )
    date_fmt = wb.add_format({"num_format": "yyyy-mm-dd"})
    for name, rows in sheets.items():
        ws = wb.add_worksheet(name)
        for r, row in enumerate(rows):
            for c, v in enumerate(row):
                if v is None:
                    continue
                if isinstance(v, str):
                    ws.write_string(r, c, v)
                elif isinstance(v, dt.date | dt.datetime):
                    ws.write_datetime(r, c, v, date_fmt)
                elif isinstance(v, bool):
                    ws.write_boolean(r, c, v)
                else:
                    ws.write_number(r, c, v)
        if merged_title and len(rows) > 1 and rows[0] and len(rows[1]) > 1:
            ws.merge_range(0, 0, 0, len(rows[1]) - 1, rows[0][0])
        for col in (hidden_columns or {}).get(name, ()):
            ws.set_column(col, col, None, None, {"hidden": True})
        for (sheet, row, col), (formula, cached) in (formulas or {}).items():
            if sheet == name:
                ws.write_formula(row - 1, col, formula, None, cached)
    wb.close()
    return path


def run_cli(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    """``python -m xlhfjz ARGS`` as a user runs it: a real process, UTF-8 output captured."""
    return subprocess.run(
        [sys.executable, "-m", "xlhfjz", *args],
        capture_output=True,
        text=True,
        encoding="utf-8",
        cwd=cwd,
        timeout=120,
    )
