"""What the 疑点提示 (review.md) need of one file, taken in its merge worker: fingerprints of free
texts, of 佐证材料, of whole rows and of mobile numbers, each row's date, a few numbers — never
the texts or the numbers themselves, so that nothing personal travels or is kept. The signals
are computed over every community at once by :mod:`xlhfjz.analysis.signals`."""

from __future__ import annotations

import datetime as dt
import hashlib
import operator
import re
import sys
import unicodedata
from array import array
from collections.abc import Callable, Iterable
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
    """One file's inputs of the signals, column by column in typed arrays (a few bytes a row,
    however many communities the main process holds: no text, no Python object per row).

    A sheet is its index in :data:`SHEETS` (sorted by name, so that sorting by the index sorts
    by the name), a column label its index in :data:`LABELS`, a date its proleptic ordinal."""

    texts: list[array[int]] = field(default_factory=lambda: _columns("B", "i", "B", "q", "i"))
    """(sheet, row, column label, fingerprint, normalised length) of long free texts."""
    evidence: list[array[int]] = field(default_factory=lambda: _columns("B", "i", "q"))
    """(sheet, row, fingerprint) of 佐证材料 texts of ≥ 6 characters."""
    records: list[array[int]] = field(default_factory=lambda: _columns("B", "i", "q"))
    """(sheet, row, fingerprint of the row's columns) of every non-empty row."""
    dates: list[array[int]] = field(default_factory=lambda: _columns("B", "i", "i"))
    """(sheet, row, the ordinal of the row's first date) of every row that has one."""
    phones: list[array[int]] = field(default_factory=lambda: _columns("B", "i", "q"))
    """(sheet, row, fingerprint) of the mobile numbers of 志愿者 / 网格力量 / 联络员."""
    numbers: list[array[Any]] = field(default_factory=lambda: _columns("B", "i", "B", "d"))
    """(sheet, row, column label, value) of 受众人数 and 实训人数."""
    reached: dict[str, int] = field(default_factory=dict)
    """Sheet → Σ 覆盖户数 of 公开信 / 联系卡."""
    population: int | None = None
    households: int | None = None


@dataclass(frozen=True)
class Source:
    """A used community as the signals see it."""

    code: str
    name: str
    facts: Callable[[], SignalFacts]
    """Its facts, read each time they are needed (a city's do not fit in memory at once)."""


def _columns(*types: str) -> list[array[Any]]:
    return [array(t) for t in types]


def signal_sheets() -> list[Sheet]:
    """The ledgers the signals look at: the merged ones (an officer finds every row in the
    summary)."""
    return [s for s in LEDGERS if not s.restricted]


#: Their names, sorted: a sheet's index here stands for it in :class:`SignalFacts`.
SHEETS = tuple(sorted(s.name for s in signal_sheets()))
_SHEET_INDEX = {name: k for k, name in enumerate(SHEETS)}
#: The compared and counted columns' labels: a label's index here stands for it.
COUNTED = ("audience", "attended")
LABELS = FREE_TEXT_LABELS + tuple(
    dict.fromkeys(f.label for s in LEDGERS for f in s.fields if f.id in COUNTED)
)
_LABEL_INDEX = {label: k for k, label in enumerate(LABELS)}


_digest = hashlib.blake2b


def normalise(text: str) -> str:
    """The text without spaces and punctuation (full-width folded)."""
    return _DROP.sub("", unicodedata.normalize("NFKC", text))


def _fingerprints(texts: Iterable[str]) -> array[int]:
    """:func:`fingerprint` of each text, at once (the same numbers)."""
    digest = _digest
    out = array("q")
    out.frombytes(b"".join([digest(t.encode(), digest_size=8).digest() for t in texts]))
    if sys.byteorder == "little":
        out.byteswap()  # the digests are big-endian numbers
    return out


def fingerprint(text: str) -> int:
    """A 64-bit fingerprint of a text, the same in every process (unlike ``hash``)."""
    return int.from_bytes(_digest(text.encode(), digest_size=8).digest(), "big", signed=True)


_PROBE = "xlhfjz：疑点提示"


def hash_salt() -> int:
    """This process's ``hash`` of a fixed text. Python salts the hashes of texts and dates per
    process; two processes with the same salt (a worker forked from the merge, or the merge
    itself) give every row the same ``hash``, which is ten times cheaper than a digest of its
    ``repr``. A worker whose salt differs (spawned) falls back to the digest."""
    return hash(_PROBE)


def _cell_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()[:10]
    return str(value).strip()


def signal_facts(report: Report, merged: list[Sheet], salt: int | None = None) -> SignalFacts:
    """The signals' inputs of one validated file (its merged sheets and 基本信息), taken column
    by column: a text is normalised and fingerprinted once however many rows repeat it. A whole
    row is fingerprinted by ``hash`` when ``salt`` is the merge's :func:`hash_salt` (every
    community of one merge must be fingerprinted alike), else by a digest."""
    same_salt = salt is not None and salt == hash_salt()
    out = SignalFacts()
    out.population = _int(report.basic.get("population"))
    out.households = _int(report.basic.get("households"))
    for sheet in merged:
        table = report.tables.get(sheet.id)
        if table is None or not table.records:
            continue
        records = table.records
        name = _SHEET_INDEX[sheet.name]
        rows = [rec.row for rec in records]
        cells = [rec.cells for rec in records]
        fields = (*sheet.fields, REMARK)
        for f in fields:
            if f.label in FREE_TEXT_LABELS:
                found = _texts(rows, cells, f.id, MIN_TEXT)
                label = _LABEL_INDEX[f.label]
                _extend(out.texts, (name,), [(r, label, fp, n) for r, (fp, n) in found])
            elif f.label == EVIDENCE_LABEL:
                found = _texts(rows, cells, f.id, MIN_EVIDENCE)
                _extend(out.evidence, (name,), [(r, fp) for r, (fp, _) in found])
        # the whole row: every column but 序号 (which is not a field)
        if all(f.id in table.columns for f in fields):
            keys: list[Any] = list(map(operator.itemgetter(*[f.id for f in fields]), cells))
        else:
            keys = [tuple([c.get(f.id) for f in fields]) for c in cells]
        whole = array("q", map(hash, keys)) if same_salt else _fingerprints(map(repr, keys))
        _extend(out.records, (name,), [rows, whole], True)
        first_date = next((f for f in sheet.fields if f.type == "date"), None)
        if first_date is not None:
            days = [(rec.row, rec.values.get(first_date.id)) for rec in records]
            _extend(
                out.dates, (name,), [(r, d.toordinal()) for r, d in days if isinstance(d, dt.date)]
            )
        if sheet.id in PHONE_SHEETS:
            for f in sheet.fields:
                if f.type == "mobile":
                    found = _texts(rows, cells, f.id, 11, 11, _digits)
                    _extend(out.phones, (name,), [(r, fp) for r, (fp, _) in found])
        for f in sheet.fields:
            if f.id in COUNTED:
                label = _LABEL_INDEX[f.label]
                counts = [(rec.row, _int(rec.values.get(f.id))) for rec in records]
                _extend(out.numbers, (name,), [(r, label, n) for r, n in counts if n is not None])
            elif f.id == "households_reached":
                out.reached[sheet.name] = sum(_int(rec.values.get(f.id)) or 0 for rec in records)
    return out


def _digits(text: str) -> str:
    """A phone number's digits: the number ``1 38-0013 8000`` is ``13800138000``."""
    return re.sub(r"\D", "", text)


def _texts(
    rows: list[int],
    cells: list[dict[str, Any]],
    fid: str,
    minimum: int,
    maximum: int | None = None,
    norm: Callable[[str], str] = normalise,
) -> list[tuple[int, tuple[int, int]]]:
    """(row, (fingerprint, length)) of the column's texts of ``minimum``–``maximum`` characters
    once normalised (``norm``); each distinct value is worked on once."""
    values = [c.get(fid) for c in cells]
    found: dict[Any, tuple[int, int] | None] = dict.fromkeys(values)
    for value in found:
        if value.__class__ is not str and value is not None:
            return _texts_typed(rows, values, minimum, maximum, norm)
        if value:
            found[value] = _text_print(value, minimum, maximum, norm)
    return [(row, fp) for row, value in zip(rows, values, strict=True) if (fp := found[value])]


def _text_print(
    value: Any, minimum: int, maximum: int | None, norm: Callable[[str], str]
) -> tuple[int, int] | None:
    """(fingerprint, length) of a value's normalised text, if its length is within bounds."""
    text = norm(_cell_text(value))
    if minimum <= len(text) and (maximum is None or len(text) <= maximum):
        return fingerprint(text), len(text)
    return None


def _texts_typed(
    rows: list[int],
    values: list[Any],
    minimum: int,
    maximum: int | None,
    norm: Callable[[str], str],
) -> list[tuple[int, tuple[int, int]]]:
    """:func:`_texts` of a column that holds numbers or dates too (``1``, ``1.0`` and ``True``
    are equal keys of a dict, not equal texts)."""
    seen: dict[Any, tuple[int, int] | None] = {}
    out = []
    for row, value in zip(rows, values, strict=True):
        if value is None or value == "":
            continue
        key = value if value.__class__ is str else (value.__class__, value)
        if key in seen:
            found = seen[key]
        else:
            found = seen[key] = _text_print(value, minimum, maximum, norm)
        if found is not None:
            out.append((row, found))
    return out


def _extend(
    columns: list[array[Any]], same: tuple[Any, ...], items: Any, by_column: bool = False
) -> None:
    """Append to ``columns``: ``same`` (one value for every item) in the first ones, then the
    items' values — ``items`` a list of tuples, or (``by_column``) a list of columns."""
    values = items if by_column else list(zip(*items, strict=True))
    if not values or not values[0]:
        return
    n = len(values[0])
    for column, value in zip(columns, same, strict=False):
        column.extend([value] * n)
    for column, value in zip(columns[len(same) :], values, strict=True):
        column.extend(value)


def _int(value: Any) -> int | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    return int(value)
