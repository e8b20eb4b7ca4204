"""The merged ledgers as pandas DataFrames, for people who analyse in Python (review.md).

``merged(folder, office=None)`` runs the same merge as ``xlhfjz merge`` and returns every merged
sheet exactly as the summary holds it — masked, with the provenance columns and 校验状态 — with
honest dtypes: text stays text (a phone is never an integer), dates are datetimes, counts are
nullable integers. A cell that does not parse as its column's type (its row is 有误) becomes
``<NA>``/``NaT`` in a typed column; the text of every cell is in the community's own file.
"""

from __future__ import annotations

import datetime as dt
import os
from typing import Any

import pandas as pd

from xlhfjz.batch import merge_folder
from xlhfjz.model.schema import REMARK, Sheet
from xlhfjz.office.inputs import OfficeData, read_office
from xlhfjz.office.summary import PROVENANCE, ledger_table, merged_sheets
from xlhfjz.xlsx.reader import read_workbook

_INTEGER = {"int"}
_DECIMAL = {"number", "percent"}


def _text(value: Any) -> Any:
    if value is None or value == "":
        return pd.NA
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, (dt.datetime, dt.date)):
        return value.isoformat()
    return str(value)


def _column(values: list[Any], kind: str) -> pd.Series:
    if kind == "date":
        dates = [v if isinstance(v, (dt.date, dt.datetime)) else None for v in values]
        return pd.Series(pd.to_datetime(pd.Series(dates, dtype="object")), dtype="datetime64[ns]")
    if kind in _INTEGER or kind in _DECIMAL:
        raw = [None if isinstance(v, bool) or v == "" else v for v in values]
        numbers = pd.to_numeric(pd.Series(raw, dtype="object"), errors="coerce")
        if kind in _DECIMAL:
            return numbers.astype("Float64")
        whole = numbers.where(numbers == numbers.round())
        return whole.astype("Float64").astype("Int64")
    return pd.Series([_text(v) for v in values], dtype="string")


def _frame(sheet: Sheet, header: list[str], rows: list[list[Any]]) -> pd.DataFrame:
    kinds = [f.type for f in (*sheet.fields, REMARK)] + ["text", "text", "text", "int", "text"]
    assert len(kinds) == len(header) == len(sheet.fields) + 1 + len(PROVENANCE)
    columns = list(zip(*rows, strict=True)) if rows else [() for _ in header]
    data = {
        label: _column(list(col), kind)
        for label, col, kind in zip(header, columns, kinds, strict=True)
    }
    return pd.DataFrame(data)


def merged(
    folder: str | os.PathLike[str],
    office: str | os.PathLike[str] | OfficeData | None = None,
    **merge_options: Any,
) -> dict[str, pd.DataFrame]:
    """Merge ``folder`` (with the office workbook, a path or read data) and return sheet name →
    DataFrame of every merged ledger (not 线索 / 重点人员, which are never merged row by row)."""
    if office is not None and not isinstance(office, OfficeData):
        office = read_office(read_workbook(office))
    result = merge_folder(folder, office, keep_rows=True, **merge_options)
    out = {}
    for sheet in merged_sheets():
        header, rows = ledger_table(sheet, result.communities)
        out[sheet.name] = _frame(sheet, header, list(rows))
    return out


__all__ = ["merged"]
