"""What the 疑点提示 (review.md) need of one file, taken in its merge worker: fingerprints of free
texts, of 佐证材料, of whole rows and of mobile numbers, each row's date, a few numbers — never
the texts or the numbers themselves, so that nothing personal travels or is kept. The signals
are computed over every community at once by :mod:`xlhfjz.analysis.signals`."""

from __future__ import annotations

import datetime as dt
import hashlib
import operator
import re
import unicodedata
from dataclasses import dataclass, field
from typing import Any

from xlhfjz.checks.validate import Report
from xlhfjz.model.schema import LEDGERS, REMARK, Sheet

#: Free-text columns compared across communities (review.md 跨社区雷同文字), by label.
FREE_TEXT_LABELS = ("活动主题", "简要情况", "主要进展", "存在问题", "情况说明", "备注")
MIN_TEXT = 15
MIN_EVIDENCE = 6
EVIDENCE_LABEL = "佐证材料"
#: Sheets whose mobile numbers are compared (跨社区同一号码).
PHONE_SHEETS = ("volunteers", "grid_staff", "liaison")

_DROP = re.compile(r"[\s\W_]+", re.UNICODE)

#: 疑点提示's columns (review.md).
SIGNAL_HEADER = ("编号", "类型", "社区代码", "社区名称", "台账", "行", "说明")


@dataclass(frozen=True)
class Signal:
    """One line of 疑点提示: a warning for a human to check, never a verdict."""

    number: str
    """e.g. "Y001"; the lines of one finding share it."""
    kind: str
    code: str
    name: str
    sheet: str
    row: int | None
    note: str

    def cells(self) -> list[Any]:
        return [self.number, self.kind, self.code, self.name, self.sheet, self.row, self.note]


@dataclass
class SignalFacts:
    """One file's inputs of the signals (small: integers and dates, no text), column by column:
    each list attribute holds one list per column named in its docstring."""

    texts: list[list[Any]] = field(default_factory=lambda: [[] for _ in range(5)])
    """(sheet, row, column label, fingerprint, normalised length) of long free texts."""
    evidence: list[list[Any]] = field(default_factory=lambda: [[] for _ in range(3)])
    """(sheet, row, fingerprint) of 佐证材料 texts of ≥ 6 characters."""
    records: list[list[Any]] = field(default_factory=lambda: [[] for _ in range(3)])
    """(sheet, row, fingerprint of the row's columns) of every non-empty row."""
    dates: list[list[Any]] = field(default_factory=lambda: [[] for _ in range(3)])
    """(sheet, row, the row's first date) of every row that has one."""
    phones: list[list[Any]] = field(default_factory=lambda: [[] for _ in range(3)])
    """(sheet, row, fingerprint) of the mobile numbers of 志愿者 / 网格力量 / 联络员."""
    numbers: list[list[Any]] = field(default_factory=lambda: [[] for _ in range(4)])
    """(sheet, row, column label, value) of 受众人数 and 实训人数."""
    reached: dict[str, int] = field(default_factory=dict)
    """Sheet → Σ 覆盖户数 of 公开信 / 联系卡."""
    population: int | None = None
    households: int | None = None


_digest = hashlib.blake2b


def normalise(text: str) -> str:
    """The text without spaces and punctuation (full-width folded)."""
    return _DROP.sub("", unicodedata.normalize("NFKC", text))


def fingerprint(text: str) -> int:
    return int.from_bytes(
        hashlib.blake2b(text.encode(), digest_size=8).digest(), "big", signed=True
    )


def _cell_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()[:10]
    return str(value).strip()


def signal_facts(report: Report, merged: list[Sheet]) -> SignalFacts:
    """The signals' inputs of one validated file (its merged sheets and 基本信息)."""
    out = SignalFacts()
    out.population = _int(report.basic.get("population"))
    out.households = _int(report.basic.get("households"))
    for sheet in merged:
        table = report.tables.get(sheet.id)
        if table is None or not table.records:
            continue
        fields = (*sheet.fields, REMARK)
        texts = [f for f in fields if f.label in FREE_TEXT_LABELS]
        evidence = [f for f in fields if f.label == EVIDENCE_LABEL]
        first_date = next((f for f in sheet.fields if f.type == "date"), None)
        mobiles = (
            [f for f in sheet.fields if f.type == "mobile"] if sheet.id in PHONE_SHEETS else []
        )
        counted = [f for f in sheet.fields if f.id in ("audience", "attended")]
        reach = next((f for f in sheet.fields if f.id == "households_reached"), None)
        name = sheet.name
        take = operator.itemgetter(*[f.id for f in fields])
        whole = all(f.id in table.columns for f in fields)
        rec_sheet, rec_row, rec_fp = out.records
        day_sheet, day_row, day_value = out.dates
        date_id = first_date.id if first_date is not None else None
        reached = 0
        first = len(rec_fp)
        for rec in table.records:
            cells, values = rec.cells, rec.values
            row = rec.row
            for f in texts:
                norm = normalise(_cell_text(cells.get(f.id)))
                if len(norm) >= MIN_TEXT:
                    _add(out.texts, name, row, f.label, fingerprint(norm), len(norm))
            for f in evidence:
                norm = normalise(_cell_text(cells.get(f.id)))
                if len(norm) >= MIN_EVIDENCE:
                    _add(out.evidence, name, row, fingerprint(norm))
            key = take(cells) if whole else [cells.get(f.id) for f in fields]
            rec_sheet.append(name)
            rec_row.append(row)
            rec_fp.append(_digest(repr(key).encode(), digest_size=8).digest())
            if date_id is not None:
                day = values.get(date_id)
                if isinstance(day, dt.date):
                    day_sheet.append(name)
                    day_row.append(row)
                    day_value.append(day)
            for f in mobiles:
                number = re.sub(r"\D", "", _cell_text(cells.get(f.id)))
                if len(number) == 11:
                    _add(out.phones, name, row, fingerprint(number))
            for f in counted:
                n = _int(values.get(f.id))
                if n is not None:
                    _add(out.numbers, name, row, f.label, n)
            if reach is not None:
                reached += _int(values.get(reach.id)) or 0
        if reach is not None:
            out.reached[name] = reached
        rec_fp[first:] = [int.from_bytes(d, "big", signed=True) for d in rec_fp[first:]]
    return out


def _add(columns: list[list[Any]], *values: Any) -> None:
    for column, value in zip(columns, values, strict=True):
        column.append(value)


def _int(value: Any) -> int | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    return int(value)


#: The ledgers the signals look at: the merged ones (an officer finds every row in the summary).
def signal_sheets() -> list[Sheet]:
    return [s for s in LEDGERS if not s.restricted]
