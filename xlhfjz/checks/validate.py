"""Validation of a community workbook (ledgers.md): raw workbook → typed tables + every issue.

Lazy: it never stops at the first problem. Structure problems (``missing-sheet``,
``missing-column``, ``template-version`` …) and data problems (cell types, row rules, keys,
references, sheet rules) are all collected in one pass per sheet.

Order: 基本信息 first (it gives the period, 网格数, 辖区户数), then each ledger's cells and row
rules, then keys and cross-sheet references, then — on the rows left valid — the sheet rules.
"""

from __future__ import annotations

import contextlib
import dataclasses
import functools
import gc
import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from xlhfjz.checks.cells import Bad, half_width, parser_for, plain_parser
from xlhfjz.model.issues import E, Issue, Severity, W, default_severity, display
from xlhfjz.model.rawbook import RawSheet, RawWorkbook
from xlhfjz.model.rules import INVALID, Context, Finding
from xlhfjz.model.schema import (
    BASIC_INFO,
    LEDGERS,
    META_SHEET,
    REFERENCES,
    REMARK,
    SERIAL_LABEL,
    TEMPLATE_VERSION,
    Field,
    Sheet,
)

HEADER_SCAN_ROWS = 30


@dataclass(slots=True)
class Record:
    """One non-empty data row: its Excel row, typed values and raw cells by field id."""

    row: int
    values: dict[str, Any]
    cells: dict[str, Any]
    errors: int = 0
    warnings: int = 0

    @property
    def valid(self) -> bool:
        """No E-severity issue: the row counts toward the score."""
        return self.errors == 0


@dataclass
class Table:
    """One sheet after validation."""

    sheet: Sheet
    present: bool = False
    header_row: int | None = None
    columns: dict[str, int] = field(default_factory=dict)
    """Field id (and ``remark``) → 0-based column index in the file."""
    records: list[Record] = field(default_factory=list)
    key_rows: dict[str, int] = field(default_factory=dict)
    """Key–value sheets (基本信息): field id → the Excel row of its key."""

    @property
    def size(self) -> int:
        """Non-empty rows."""
        return len(self.records)

    def valid_values(self) -> list[dict[str, Any]]:
        return [r.values for r in self.records if r.valid]


@dataclass
class Report:
    """Everything validation found out about one file."""

    path: str
    readable: bool = True
    issues: list[Issue] = field(default_factory=list)
    tables: dict[str, Table] = field(default_factory=dict)
    basic: dict[str, Any] = field(default_factory=dict)
    context: Context = field(default_factory=Context)
    template_version: str | None = None
    sheet_names: list[str] = field(default_factory=list)
    """Every sheet of the file, in file order."""

    @property
    def missing_sheets(self) -> list[str]:
        return [t.sheet.name for t in self.tables.values() if not t.present]

    @property
    def community_code(self) -> str | None:
        return _text_or_none(self.basic.get("community_code"))

    @property
    def community_name(self) -> str | None:
        return _text_or_none(self.basic.get("community_name"))

    @property
    def errors(self) -> int:
        return sum(i.severity == E for i in self.issues)

    @property
    def warnings(self) -> int:
        return sum(i.severity == W for i in self.issues)

    @property
    def rows(self) -> dict[str, int]:
        """Non-empty rows per ledger sheet name."""
        return {t.sheet.name: t.size for t in self.tables.values() if not t.sheet.key_value}


def _text_or_none(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


def unreadable_report(path: str, reason: str) -> Report:
    """The report of a file that is not a readable workbook: one ``not-a-workbook`` issue."""
    return Report(path=path, readable=False, issues=[Issue.new("not-a-workbook", reason)])


# ── labels ──────────────────────────────────────────────────────────────────────────────────

_LABEL_NOISE = re.compile(r"[\s*＊:：]")


def norm_label(value: Any) -> str:
    """A header cell as a comparable label: half-width, no spaces, no ``*`` marks or colons."""
    if not isinstance(value, str):
        value = display(value) or ""
    return _LABEL_NOISE.sub("", half_width(value))


def find_header(rows: Sequence[Sequence[Any]], labels: Iterable[str]) -> int | None:
    """Index in ``rows`` of the row holding most of ``labels`` (None if no row holds two)."""
    wanted = {norm_label(x) for x in labels}
    need = min(2, len(wanted))
    blank = "" in wanted  # only a blank label could match an empty cell
    best, best_hits = None, 0
    for i, row in enumerate(rows[:HEADER_SCAN_ROWS]):
        texts = [v for v in row if isinstance(v, str) and (v or blank)]
        if len(texts) <= best_hits:
            continue  # cannot beat the best row (mostly data rows): skip normalising its cells
        hits = sum(1 for v in texts if norm_label(v) in wanted)
        if hits > best_hits:
            best, best_hits = i, hits
    return best if best_hits >= need else None


# ── privacy ─────────────────────────────────────────────────────────────────────────────────

_MOBILE_IN_TEXT = re.compile(r"(?<!\d)1[3-9]\d{9}(?!\d)")
#: Between the digits of a phone number as people write them: spaces (also no-break and
#: full-width), line breaks, hyphens and dashes, dots, slashes, brackets — up to three at a time.
_PHONE_SEPARATOR = r"[\s\-\u2010-\u2015\u2212\ufe63.·/()\[\]【】]{0,3}"
#: A mobile number with any of those separators, and an optional country code (+86, 86, 0086).
_SPELLED_MOBILE = re.compile(
    rf"(?<![\d.])(?:(?:\+|00)?86{_PHONE_SEPARATOR})?1{_PHONE_SEPARATOR}[3-9](?:{_PHONE_SEPARATOR}\d){{9}}(?!\d)"
)
_ID_IN_TEXT = re.compile(r"(?<![0-9A-Za-z])\d{17}[\dXx](?![0-9A-Za-z])")
_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_NAME_LIKE = re.compile(r"^[\u4e00-\u9fff]{2,4}$")


def valid_id_number(text: str) -> bool:
    """An 18-character resident ID number with a valid check digit (GB 11643)."""
    total = sum(int(c) * w for c, w in zip(text[:17], _ID_WEIGHTS, strict=True))
    return "10X98765432"[total % 11] == text[17].upper()


@functools.lru_cache(maxsize=4096)
def personal_data_in(text: str) -> str | None:
    """What personal data a free text holds ("手机号码" / "身份证号码"), if any."""
    half = half_width(text)
    flat = half.replace(" ", "").replace("-", "")
    if _MOBILE_IN_TEXT.search(flat) or _SPELLED_MOBILE.search(half):
        return "手机号码"
    if any(valid_id_number(m.group()) for m in _ID_IN_TEXT.finditer(flat)):
        return "身份证号码"
    return None


# ── the validator ───────────────────────────────────────────────────────────────────────────


class Collector:
    """Collects issues and counts them on the records they belong to."""

    def __init__(self) -> None:
        self.issues: list[Issue] = []

    def add(
        self,
        code: str,
        message: str,
        *,
        sheet: Sheet | None = None,
        row: int | None = None,
        field: Field | None = None,
        value: Any = None,
        record: Record | None = None,
        column: str | None = None,
        severity: Severity | None = None,
    ) -> None:
        """One issue of ``code`` at (sheet, Excel row, field — or a ``column`` label without a
        field), quoting ``value``; counted on ``record``. The severity is the code's default
        (see :data:`~xlhfjz.model.issues.ISSUE_TYPES`) unless a rule gives it."""
        severity = severity or default_severity(code)
        self.issues.append(
            Issue(
                code,
                severity,
                sheet.name if sheet else None,
                row,
                field.label if field else column,
                field.id if field else None,
                display(value) if value is not None and value != "" else None,
                message,
            )
        )
        if record is not None:
            if severity == E:
                record.errors += 1
            else:
                record.warnings += 1


def find_sheet(book: RawWorkbook, name: str) -> RawSheet | None:
    """The workbook's sheet for a contract name: exact, else the first whose label matches
    (``norm_label``: spaces, full-width characters and ``*`` marks ignored)."""
    if name in book.sheets:
        return book.sheets[name]
    wanted = norm_label(name)
    return next((s for n, s in book.sheets.items() if norm_label(n) == wanted), None)


def validate_workbook(book: RawWorkbook) -> Report:
    """Validate a raw workbook against the schema; collects every issue, raises nothing."""
    with paused_gc():
        return _validate_workbook(book)


@contextlib.contextmanager
def paused_gc() -> Iterator[None]:
    """No cyclic garbage collection inside: the objects made here are freed by reference
    counting as usual, only the collector's passes wait until the end.

    Validating a file builds a few objects per cell (the rows, when the workbook reads its
    sheets as they are asked for, and each row's values and cells) and no reference cycles,
    but the collector walks the young ones every 700 and all of them each time they have grown
    by a quarter: ``validate_file`` of 18 sheets × 5,000 rows ran 517 passes, four of them
    full, 0.12–0.15 s of about 1.1 s on the thread that validates; paused, one pass over the
    young objects when the collector resumes, 0.03 s. Nested or concurrent uses leave the
    collector as the outermost found it.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _validate_workbook(book: RawWorkbook) -> Report:
    out = Collector()
    report = Report(path=book.path, sheet_names=list(book.names or book.sheets))

    basic_table, basic_raw = _validate_basic(book, out)
    report.tables[BASIC_INFO.id] = basic_table
    report.basic = basic_raw
    ctx = _context(basic_raw)

    for sheet in LEDGERS:
        report.tables[sheet.id] = validate_table(book, sheet, ctx, out)

    for table in report.tables.values():
        check_keys(table, out)
    _check_references(report.tables, out)

    ctx = dataclasses.replace(
        ctx, row_counts={sid: len(t.records) for sid, t in report.tables.items()}
    )
    report.context = ctx
    for table in report.tables.values():
        check_sheet_rules(table, ctx, out)

    # _meta last: it is the file's last sheet, and the sheets are read as they are asked for
    # (xlsx.reader.open_workbook); its issue still comes first
    meta = Collector()
    report.template_version = _check_meta(book, meta)
    report.issues = meta.issues + out.issues
    return report


def _check_meta(book: RawWorkbook, out: Collector) -> str | None:
    meta = book.sheets.get(META_SHEET)
    version = None
    if meta is not None:
        for row in meta.rows:
            if len(row) >= 2 and norm_label(row[0]) == "template_version":
                version = display(row[1])
    if version != TEMPLATE_VERSION:
        found = "缺少 _meta 工作表" if meta is None else f"模板版本为“{version or '未知'}”"
        message = f"{found}，不是标准模板 {TEMPLATE_VERSION} 版；请用最新模板重新填报或联系街道"
        out.issues.append(
            Issue.new("template-version", message, sheet=META_SHEET, value=version or None)
        )
    return version


# ── 基本信息 (key–value) ─────────────────────────────────────────────────────────────────────


def _validate_basic(book: RawWorkbook, out: Collector) -> tuple[Table, dict[str, Any]]:
    return validate_key_value(book, BASIC_INFO, out)


def validate_key_value(
    book: RawWorkbook, sheet: Sheet, out: Collector
) -> tuple[Table, dict[str, Any]]:
    """A key–value sheet (项目 | 值 | 说明): its one record and its typed values by field id."""
    table = Table(sheet)
    raw = find_sheet(book, sheet.name)
    typed: dict[str, Any] = {f.id: None for f in sheet.fields}
    if raw is None:
        out.add("missing-sheet", _missing_sheet_message(sheet), sheet=sheet)
        return table, typed
    table.present = True
    labels = {norm_label(f.label): f for f in sheet.fields}
    header, key_col, value_col = key_value_columns(raw.rows)
    start = 0 if header is None else header + 1
    table.header_row = None if header is None else raw.first_row + header
    rows_of: dict[str, int] = {}
    cells: dict[str, Any] = {}
    for i in range(start, len(raw.rows)):
        row = raw.rows[i]
        key = norm_label(row[key_col]) if key_col < len(row) else ""
        f = labels.get(key)
        if f is None or f.id in rows_of:
            continue
        rows_of[f.id] = raw.first_row + i
        cells[f.id] = row[value_col] if value_col < len(row) else None
        if (raw.first_row + i, value_col + raw.first_col) in raw.formulas:
            out.add("formula-cell", _FORMULA_MESSAGE, sheet=sheet, row=rows_of[f.id], field=f,
                    value=cells[f.id])  # fmt: skip

    record = Record(row=table.header_row or 1, values=typed, cells=cells)
    for f in sheet.fields:
        row_no = rows_of.get(f.id)
        value = cells.get(f.id)
        if value is None or value == "" or (isinstance(value, str) and not value.strip()):
            if f.required is True:
                where = "" if row_no else "（表中找不到这一项，请用标准模板）"
                out.add("required-missing", f"请填写{f.label}{where}" + (f"：{f.hint}" if f.hint else ""),
                        sheet=sheet, row=row_no, field=f, record=record)  # fmt: skip
            continue
        result = parser_for(f)(value)
        if isinstance(result, Bad):
            out.add(result.code, result.message, sheet=sheet, row=row_no, field=f, value=value,
                    record=record)  # fmt: skip
            result = result.value
        typed[f.id] = result
    for finding in _row_findings(sheet, typed):
        _add_finding(out, sheet, rows_of.get(finding[0] or ""), finding, cells, record)
    table.records = [record]
    table.key_rows = rows_of
    return table, {k: (None if v is INVALID else v) for k, v in typed.items()}


def key_value_columns(rows: Sequence[Sequence[Any]]) -> tuple[int | None, int, int]:
    """A key–value sheet's header (index in ``rows``, None if absent) and the indices of its
    项目 and 值 columns (default A and B; 值 right of 项目 when only 项目 is found)."""
    header = find_header(rows, ("项目", "值", "说明"))
    key_col, value_col = 0, 1
    if header is not None:
        cols = [norm_label(v) for v in rows[header]]
        key_col = cols.index("项目") if "项目" in cols else 0
        value_col = cols.index("值") if "值" in cols else key_col + 1
    return header, key_col, value_col


def _context(basic: dict[str, Any]) -> Context:
    return Context(
        period_start=basic.get("period_start"),
        period_end=basic.get("period_end"),
        report_date=basic.get("report_date"),
        households=basic.get("households"),
        grid_count=basic.get("grid_count"),
        has_involved=basic.get("has_involved"),
        key_domains=tuple(basic.get("key_domains") or ()),
    )


# ── ledgers ─────────────────────────────────────────────────────────────────────────────────

_FORMULA_MESSAGE = "这个单元格是公式，已按显示的计算结果使用；台账请直接填写数值或文字"


def _missing_sheet_message(sheet: Sheet) -> str:
    return f"缺少“{sheet.name}”工作表，请用标准模板填报，不要删除或改名工作表"


def validate_table(book: RawWorkbook, sheet: Sheet, ctx: Context, out: Collector) -> Table:
    """A ledger-like sheet (title, header, data rows): typed records; issues go to ``out``."""
    table = Table(sheet)
    raw = find_sheet(book, sheet.name)
    if raw is None:
        out.add("missing-sheet", _missing_sheet_message(sheet), sheet=sheet)
        return table
    table.present = True
    fields = (*sheet.fields, REMARK)
    header = find_header(raw.rows, [f.label for f in sheet.fields])
    if header is None:
        for f in sheet.fields:
            if f.required is not False:
                out.add("missing-column", f"找不到表头“{f.label}”（表头行缺失），请用标准模板的表头",
                        sheet=sheet, field=f)  # fmt: skip
        return table
    header_row = raw.first_row + header
    table.header_row = header_row
    columns, content_cols = _map_columns(raw.rows[header], sheet, fields, header_row, out)
    table.columns = columns
    for f in sheet.fields:
        if f.id not in columns and f.required is not False:
            out.add("missing-column", f"缺少“{f.label}”列，请按标准模板补上这一列（该列的检查已跳过）",
                    sheet=sheet, row=header_row, field=f)  # fmt: skip

    ledger_fields = [(f, columns[f.id]) for f in fields if f.id in columns]
    plan = [
        (f, f.id, c, _Memo(plain_parser(f, grid_count=ctx.grid_count, date1904=book.date1904)),
         f.required is True)
        for f, c in ledger_fields
    ]  # fmt: skip
    conditional = [f for f, _ in ledger_fields if f.required not in (True, False)]
    missing_required = [f.id for f in sheet.fields if f.id not in columns and f.required is True]
    bounds = _date_bounds(ctx)
    date_checks = [
        (f, bounds[f.date_rule])
        for f, _ in ledger_fields
        if f.type == "date" and f.date_rule != "any"
    ]
    month_checks = [f for f, _ in ledger_fields if f.type == "month"]
    privacy = [f for f, _ in ledger_fields if f.privacy_checked]
    row_rules = sheet.row_rules
    labels = _labels(sheet)
    formulas = raw.formulas
    first_col = raw.first_col
    records = table.records
    add = out.add

    for i in range(header + 1, len(raw.rows)):
        row = raw.rows[i]
        width = len(row)
        for c in content_cols:
            if c < width:
                v = row[c]
                if v is not None and v != "" and (v.__class__ is not str or not v.isspace()):
                    break
        else:
            continue  # an empty row (or one with only a 序号)
        excel_row = raw.first_row + i
        values: dict[str, Any] = {}
        cells: dict[str, Any] = {}
        record = Record(excel_row, values, cells)
        for f, fid, c, memo, required in plan:
            v = row[c] if c < width else None
            result = memo[v if v.__class__ is str else (v.__class__, v)]
            if result is _NO_VALUE:
                values[fid] = None  # an error value (#N/A …) is no value: kept, but not typed
                cells[fid] = v or None
                if required:
                    message = (
                        _error_value_message(f, v) if v in EXCEL_ERRORS else _required_message(f)
                    )
                    add("required-missing", message, sheet=sheet, row=excel_row, field=f,
                        value=v or None, record=record)  # fmt: skip
                if v and formulas and (excel_row, c + first_col) in formulas:
                    add("formula-cell", _FORMULA_MESSAGE, sheet=sheet, row=excel_row, field=f,
                        value=v, record=record)  # fmt: skip
                continue
            cells[fid] = v
            if result.__class__ is Bad:
                add(result.code, result.message, sheet=sheet, row=excel_row, field=f, value=v,
                    record=record)  # fmt: skip
                result = result.value
            values[fid] = result
            if formulas and (excel_row, c + first_col) in formulas:
                add("formula-cell", _FORMULA_MESSAGE, sheet=sheet, row=excel_row, field=f,
                    value=v, record=record)  # fmt: skip
        for fid in missing_required:
            values[fid] = None
        for f in conditional:
            if values.get(f.id) is None and f.required.holds(values):  # type: ignore[union-attr]
                cond = f.required.describe(labels)  # type: ignore[union-attr]
                add("required-missing", f"{cond}时，{f.label}必须填写", sheet=sheet,
                    row=excel_row, field=f, record=record)  # fmt: skip
        for f, (low, high) in date_checks:
            value = values[f.id]
            if (
                value is not None
                and value is not INVALID
                and not ((low is None or value >= low) and (high is None or value <= high))
            ):
                _check_period(f, value, ctx, out, sheet, excel_row, cells, record)
        for f in month_checks:
            value = values[f.id]
            if value is not None and value is not INVALID:
                _check_period(f, value, ctx, out, sheet, excel_row, cells, record)
        for f in privacy:
            _check_privacy(f, values.get(f.id), out, sheet, excel_row, record)
        for rule in row_rules:
            for finding in rule.check(values, labels):
                _add_finding(out, sheet, excel_row, finding, cells, record)
        records.append(record)
    return table


_NO_VALUE = object()  # a blank cell or an Excel error value: nothing to parse


class _Memo(dict[Any, Any]):
    """One column's parse results by raw value, filled on first sight (ledger columns repeat
    their values a lot). A text is its own key; any other value is keyed by ``(type, value)``,
    so that ``1``, ``1.0`` and ``True`` stay apart."""

    def __init__(self, parse: Callable[[Any], Any]) -> None:
        super().__init__()
        self.parse = parse

    def __missing__(self, key: Any) -> Any:
        v = key if key.__class__ is str else key[1]
        blank = v is None or (v.__class__ is str and (not v or v.isspace() or v in EXCEL_ERRORS))
        result = self[key] = _NO_VALUE if blank else self.parse(v)
        return result


def _date_bounds(ctx: Context) -> dict[str, tuple[Any, Any]]:
    """Per date rule, the (lowest, highest) date that needs no further check (None = open)."""
    start, end, report, as_of = ctx.period_start, ctx.period_end, ctx.report_date, ctx.as_of
    ends = [d for d in (end, report) if d is not None]
    return {
        "in_period": (start if as_of else None, as_of),
        "by_end": (None, min(ends) if ends else None),
        "by_report": (None, report),
    }


#: Excel's error values (the reader gives them as text): never a usable value.
EXCEL_ERRORS = frozenset(
    ("#N/A", "#REF!", "#DIV/0!", "#VALUE!", "#NAME?", "#NUM!", "#NULL!", "#SPILL!", "#CALC!")
)


def _error_value_message(f: Field, value: str) -> str:
    return f"“{f.label}”是错误值“{value}”（公式出错），请直接填写正确的内容"


def _required_message(f: Field) -> str:
    return f"“{f.label}”不能为空，请填写" + (f"（{f.hint}）" if f.hint else "")


def _map_columns(
    header: Sequence[Any], sheet: Sheet, fields: Sequence[Field], header_row: int, out: Collector
) -> tuple[dict[str, int], list[int]]:
    """Field id → column index; the indices of every content column (all but 序号)."""
    by_label = {norm_label(f.label): f for f in fields}
    columns: dict[str, int] = {}
    content: list[int] = []
    for c, value in enumerate(header):
        label = norm_label(value)
        if not label:
            content.append(c)
            continue
        if label == SERIAL_LABEL:
            continue
        content.append(c)
        f = by_label.get(label)
        if f is None:
            out.add("unknown-column", f"“{display(value)}”不是标准表头，这一列不参与校验和评分（内容保留）",
                    sheet=sheet, row=header_row, value=value, column=display(value))  # fmt: skip
        elif f.id in columns:
            out.add("duplicate-column", f"表头“{f.label}”出现了两次，请删除或改名重复的一列（已使用第一列）",
                    sheet=sheet, row=header_row, field=f, value=value)  # fmt: skip
        else:
            columns[f.id] = c
    return columns, content


def _row_findings(sheet: Sheet, values: dict[str, Any]) -> Iterator[Finding]:
    labels = _labels(sheet)
    for rule in sheet.row_rules:
        yield from rule.check(values, labels)


_LABELS: dict[str, dict[str, str]] = {}


def _labels(sheet: Sheet) -> dict[str, str]:
    labels = _LABELS.get(sheet.id)
    if labels is None:
        labels = _LABELS[sheet.id] = {f.id: f.label for f in sheet.fields}
    return labels


def _add_finding(
    out: Collector,
    sheet: Sheet,
    row: int | None,
    finding: Finding,
    cells: dict[str, Any],
    record: Record | None,
) -> None:
    fid, code, severity, message = finding
    f = sheet.field(fid) if fid else None
    value = cells.get(fid) if fid else None
    out.add(code, message, sheet=sheet, row=row, field=f, value=value, record=record,
            severity=severity)  # fmt: skip


def _check_period(
    f: Field,
    value: Any,
    ctx: Context,
    out: Collector,
    sheet: Sheet,
    row: int,
    cells: dict[str, Any],
    record: Record,
) -> None:
    if value is None or value is INVALID or f.date_rule == "any":
        return
    start, end, report, as_of = ctx.period_start, ctx.period_end, ctx.report_date, ctx.as_of
    if f.type == "month":
        if start is None or as_of is None:
            return
        if not (start.year, start.month) <= value <= (as_of.year, as_of.month):
            out.add("date-out-of-period",
                    f"{f.label}应在 {start:%Y-%m} 至 {as_of:%Y-%m} 之间，现为 {value[0]}-{value[1]:02d}",
                    sheet=sheet, row=row, field=f, value=cells[f.id], record=record)  # fmt: skip
        return
    if report is not None and value > report:
        out.add("date-in-future",
                f"{f.label}晚于报送日期（{report.isoformat()}），请核实，现为 {value.isoformat()}",
                sheet=sheet, row=row, field=f, value=cells[f.id], record=record)  # fmt: skip
        return
    if f.date_rule == "in_period" and start is not None and as_of is not None:
        if not start <= value <= as_of:
            out.add("date-out-of-period",
                    f"{f.label}应在创建期间（{start.isoformat()} 至 {as_of.isoformat()}）内，"
                    f"现为 {value.isoformat()}",
                    sheet=sheet, row=row, field=f, value=cells[f.id], record=record)  # fmt: skip
    elif f.date_rule == "by_end" and end is not None and value > end:
        out.add("date-out-of-period",
                f"{f.label}应不晚于创建截止日期（{end.isoformat()}），现为 {value.isoformat()}",
                sheet=sheet, row=row, field=f, value=cells[f.id], record=record)  # fmt: skip


def _check_privacy(
    f: Field, value: Any, out: Collector, sheet: Sheet, row: int, record: Record
) -> None:
    if not isinstance(value, str):
        return
    kind = personal_data_in(value)
    if kind is None and f.looks_like_name_is_personal and _NAME_LIKE.match(value):
        kind = "姓名"
    if kind:
        out.add("personal-data-in-text",
                f"{f.label}中疑似含有{kind}，为保护举报人和群众隐私，请删去，改写为编号或概括描述",
                sheet=sheet, row=row, field=f, value=value, record=record)  # fmt: skip


# ── keys, references, sheet rules ───────────────────────────────────────────────────────────


def check_keys(table: Table, out: Collector) -> None:
    sheet = table.sheet
    for key in sheet.keys:
        seen: dict[tuple[Any, ...], int] = {}
        for record in table.records:
            values = tuple(record.values.get(fid) for fid in key.fields)
            if any(v is None or v is INVALID for v in values):
                continue
            first = seen.setdefault(values, record.row)
            if first != record.row:
                f = sheet.field(key.fields[0])
                what = "、".join(sheet.field(fid).label for fid in key.fields)
                extra = "，同一事项只登记一行" if key.severity == W else "，不能重复"
                out.add("duplicate-row", f"{what}与第{first}行重复{extra}", sheet=sheet,
                        row=record.row, field=f, value=record.cells.get(f.id), record=record,
                        severity=key.severity)  # fmt: skip


def _ref_key(value: Any) -> Any:
    return half_width(value).strip().upper() if isinstance(value, str) else value


def _check_references(tables: dict[str, Table], out: Collector) -> None:
    for (sid, fid), (tid, tfid) in REFERENCES.items():
        table, target = tables[sid], tables[tid]
        if not table.records:
            continue
        known = {
            _ref_key(r.values.get(tfid))
            for r in target.records
            if r.values.get(tfid) not in (None, INVALID)
        }
        f = table.sheet.field(fid)
        target_f = target.sheet.field(tfid)
        for record in table.records:
            value = record.values.get(fid)
            if value is None or value is INVALID or _ref_key(value) in known:
                continue
            out.add("unknown-reference",
                    f"{f.label}“{value}”在“{target.sheet.name}”表的{target_f.label}中找不到，"
                    f"请先在“{target.sheet.name}”表登记或改正",
                    sheet=table.sheet, row=record.row, field=f, value=record.cells.get(fid),
                    record=record)  # fmt: skip


def check_sheet_rules(table: Table, ctx: Context, out: Collector) -> None:
    sheet = table.sheet
    if not sheet.sheet_rules or not table.present:
        return
    rows = table.valid_values()
    for rule in sheet.sheet_rules:
        for fid, code, severity, message in rule.check(rows, ctx):
            f = sheet.field(fid) if fid else None
            row = table.key_rows.get(fid or "", table.header_row)
            out.add(code, message, sheet=sheet, row=row, field=f, severity=severity)


__all__ = [
    "Collector",
    "Record",
    "Report",
    "Table",
    "check_keys",
    "check_sheet_rules",
    "find_header",
    "find_sheet",
    "key_value_columns",
    "norm_label",
    "paused_gc",
    "personal_data_in",
    "unreadable_report",
    "validate_key_value",
    "validate_table",
    "validate_workbook",
]
