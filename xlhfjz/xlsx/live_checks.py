"""Checks that need no macros: conditional formats derived from the schema.

Each column of a ledger (and each value cell of 基本信息) gets at most two formula rules — one red
(error, ``#FFC7CE``) and one yellow (warning, ``#FFEB9C``), the colours of 【校验台账】 — that say
in a spreadsheet formula what :mod:`xlhfjz.checks.validate` says about one cell: a required cell
left empty in a row that has other values, a required-if condition, a phone or code of the wrong
shape, a date after 报送日期 or outside the creation period (the formulas read 基本信息's cells), a
choice not on the list, a number below its bound, a grid above 网格数, text too long, and the row
rules that compare cells of one row.

The validator stays the truth. A formula flags a *subset* of what the validator reports, never a
value the validator accepts: where a formula cannot tell (a date typed as text, a number typed as
text with separators, a multi-choice written without separators) it stays silent. Keys, references
between sheets and whole-sheet rules need the validator. Only functions that Excel 2010, WPS and
LibreOffice all have are used (AND OR NOT IF LEN TRIM SUBSTITUTE LEFT MID VALUE ISNUMBER ISERROR
FIND SEARCH INT N COUNTA COUNT MIN); every reference to another sheet is absolute.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

from xlsxwriter.utility import xl_col_to_name
from xlsxwriter.worksheet import Worksheet

from xlhfjz.model import rules as r
from xlhfjz.model.issues import ISSUE_TYPES, E, W
from xlhfjz.model.schema import BASIC_INFO, LEDGERS, Field, Sheet
from xlhfjz.xlsx.layout import MARK_ERROR, MARK_WARNING, Styles
from xlhfjz.xlsx.sheets import DATA_FIRST_ROW, VALIDATION_LAST_ROW, ledger_columns

#: Excel serials the validator reads as dates (``SERIAL_MIN``–``SERIAL_MAX`` of cells.py) and
#: the numbers it reads as a typed ``20200615``.
_SERIAL_LOW, _SERIAL_HIGH = 20000, 80000
_YMD_LOW, _YMD_HIGH = 19000101, 20991231
#: Multi-choice separators of cells.py (newline is CHAR(10)).
_SEPARATORS = ("；", ";", "、", ",", "，", " ", "　")


def _q(text: str) -> str:
    """A formula string literal."""
    return '"' + text.replace('"', '""') + '"'


def _filled(x: str) -> str:
    return f"LEN(TRIM({x}))>0"


def _blank(x: str) -> str:
    return f"LEN(TRIM({x}))=0"


def _is_date(x: str) -> str:
    return f"AND(ISNUMBER({x}),{x}>={_SERIAL_LOW},{x}<={_SERIAL_HIGH})"


def _number(x: str) -> str:
    """The value of a number cell or of a number typed as text (an error when it is neither)."""
    return f"IF(ISNUMBER({x}),{x},VALUE(TRIM({x})))"


def _compact(x: str) -> str:
    """The cell as text without spaces (half- and full-width)."""
    return f'SUBSTITUTE(SUBSTITUTE(TRIM({x})," ",""),"　","")'


def _digits_only(s: str) -> str:
    return f'AND(ISNUMBER(VALUE({s})),ISERROR(FIND(".",{s})),ISERROR(SEARCH("e",{s})))'


def _mobile_ok(s: str) -> str:
    return f'AND(LEN({s})=11,LEFT({s},1)="1",MID({s},2,1)>="3",{_digits_only(s)})'


def _multi_rest(x: str, choices: tuple[str, ...]) -> str:
    """What is left of a multi cell once every choice and separator is taken out ("" when every
    part is a choice). Longest choices first, so no choice is cut out of a longer one."""
    expr = f"TRIM({x})"
    for c in sorted(choices, key=len, reverse=True):
        expr = f'SUBSTITUTE({expr},{_q(c)},"")'
    for sep in _SEPARATORS:
        expr = f'SUBSTITUTE({expr},{_q(sep)},"")'
    return f'SUBSTITUTE({expr},CHAR(10),"")'


@dataclass(frozen=True)
class Refs:
    """How the formulas of one sheet name cells: ``cell(fid)`` in the rule's row, ``basic(fid)``
    on 基本信息 (absolute), ``row_has`` true when the row has any value (``None``: always)."""

    cell: Callable[[str], str]
    basic: Callable[[str], str]
    row_has: str | None


def _condition(cond: object, refs: Refs) -> str:
    if isinstance(cond, r.Eq):
        return f"TRIM({refs.cell(cond.field)})={_q(cond.value)}"
    if isinstance(cond, r.In):
        return "OR(" + ",".join(f"TRIM({refs.cell(cond.field)})={_q(v)}" for v in cond.values) + ")"
    if isinstance(cond, r.Present):
        return _filled(refs.cell(cond.field))
    raise TypeError(f"no formula for condition {cond!r}")


def field_rules(f: Field, sheet: Sheet, refs: Refs) -> list[tuple[str, str]]:
    """(severity, condition) pairs for the cell of ``f`` (named by ``refs.cell(f.id)``)."""
    x = refs.cell(f.id)
    out: list[tuple[str, str]] = []
    guard = [refs.row_has] if refs.row_has else []
    if f.required is True:
        out.append((E, "AND(" + ",".join([*guard, _blank(x)]) + ")"))
    elif f.required is not False:
        out.append((E, f"AND({_blank(x)},{_condition(f.required, refs)})"))
    filled = _filled(x)
    t = f.type
    if t == "choice":
        others = ",".join(f"TRIM({x})<>{_q(c)}" for c in f.choices)
        out.append((E, f"AND({filled},{others})"))
    elif t == "multi":
        out.append((E, f"AND({filled},LEN({_multi_rest(x, f.choices)})>0)"))
    elif t in ("int", "number", "grid"):
        n = _number(x)
        low = 1 if t == "grid" else (f.min_value or 0)
        below = f"{n}<={low:g}" if f.min_exclusive else f"{n}<{low:g}"
        wrong = [below]
        if t != "number":
            wrong.append(f"{n}<>INT({n})")
        if t == "grid":
            g = refs.basic("grid_count")
            wrong.append(f"AND(ISNUMBER({g}),{n}>{g})")
        out.append((E, f"AND({filled},IF(ISERROR({n}),TRUE,OR({','.join(wrong)})))"))
    elif t == "mobile":
        s = f'SUBSTITUTE({_compact(x)},"-","")'
        out.append((E, f"AND({filled},NOT({_mobile_ok(s)}))"))
    elif t == "phone":
        d = f'SUBSTITUTE({_compact(x)},"-","")'
        landline = f'AND(LEFT({d},1)="0",LEN({d})>=10,LEN({d})<=18,{_digits_only(d)})'
        out.append((E, f"AND({filled},NOT(OR({_mobile_ok(d)},{landline})))"))
    elif t == "code":
        s = _compact(x)
        out.append((E, f"AND({filled},OR(LEN({s})<>12,NOT({_digits_only(s)})))"))
    elif t == "uscc":
        out.append((E, f"AND({filled},LEN({_compact(x)})<>18)"))
    elif t == "date":
        out.extend(_date_rules(f, x, refs))
    elif t == "text" and f.max_len:
        out.append((ISSUE_TYPES["too-long"].severity or W, f"LEN(TRIM({x}))>{f.max_len}"))
    return out


def _date_rules(f: Field, x: str, refs: Refs) -> list[tuple[str, str]]:
    """A number that is no date; a date after 报送日期; before/after the creation period."""
    out: list[tuple[str, str]] = [
        (
            E,
            f"AND(ISNUMBER({x}),OR({x}<{_SERIAL_LOW},{x}>{_SERIAL_HIGH}),"
            f"OR({x}<{_YMD_LOW},{x}>{_YMD_HIGH},{x}<>INT({x})))",
        )
    ]
    if f.date_rule == "any":
        return out
    start, end, report = (refs.basic(k) for k in ("period_start", "period_end", "report_date"))
    d = _is_date(x)
    out.append((E, f"AND({d},ISNUMBER({report}),{x}>{report})"))
    if f.date_rule == "in_period":
        as_of = f"MIN({end},{report})"
        out.append(
            (E, f"AND({d},ISNUMBER({start}),COUNT({end},{report})>0,OR({x}<{start},{x}>{as_of}))")
        )
    elif f.date_rule == "by_end":
        out.append((E, f"AND({d},ISNUMBER({end}),{x}>{end})"))
    return out


_OPS_NOT = {">": "<=", ">=": "<", "<": ">=", "<=": ">"}


def row_rules(sheet: Sheet, refs: Refs) -> list[tuple[str, str, str]]:
    """(field id, severity, condition) for the row rules a formula can say."""
    out: list[tuple[str, str, str]] = []
    for rule in sheet.row_rules:
        found = _row_rule(rule, sheet, refs)
        if found is not None:
            out.append(found)
    return out


def _compare(rule: r.Compare, refs: Refs, extra: str = "") -> tuple[str, str, str]:
    a = refs.cell(rule.field)
    bad = _OPS_NOT[rule.op]
    if isinstance(rule.other, str):
        b = refs.cell(rule.other)
        cond = f"AND({extra}ISNUMBER({a}),ISNUMBER({b}),{a}{bad}{b})"
    else:
        # A blank count next to a condition that asks for one counts as 0 (as the validator).
        guard = f"{refs.row_has}," if refs.row_has else ""
        cond = f"AND({guard}{extra}OR({_blank(a)},ISNUMBER({a})),N({a}){bad}{rule.other:g})"
    return rule.field, rule.severity, cond


def _row_rule(rule: object, sheet: Sheet, refs: Refs) -> tuple[str, str, str] | None:
    if isinstance(rule, r.Order):
        a, b = refs.cell(rule.later), refs.cell(rule.earlier)
        op = "<=" if rule.strict else "<"
        return rule.later, E, f"AND({_is_date(a)},{_is_date(b)},{a}{op}{b})"
    if isinstance(rule, r.Compare):
        return _compare(rule, refs)
    if isinstance(rule, r.IfHas):
        multi = sheet.field(rule.field)
        if any(rule.value in c for c in multi.choices if c != rule.value):
            return None  # a substring search could not tell the choices apart
        m = refs.cell(rule.field)
        has = f"LEN({_multi_rest(m, multi.choices)})=0,ISNUMBER(SEARCH({_q(rule.value)},{m})),"
        return _compare(rule.rule, refs, has)
    if isinstance(rule, r.Forbidden):
        parts = ",".join(f"TRIM({refs.cell(k)})={_q(v)}" for k, v in rule.combination.items())
        return list(rule.combination)[-1], rule.severity, f"AND({parts})"
    if isinstance(rule, r.SensitiveName):
        name = refs.cell(rule.name_field)
        hits = ",".join(f"ISNUMBER(SEARCH({_q(w)},{name}))" for w in rule.words)
        return rule.flag_field, W, f'AND(TRIM({refs.cell(rule.flag_field)})="否",OR({hits}))'
    if isinstance(rule, r.CalmButRisky):
        level = refs.cell(rule.level)
        risky = ",".join(f"TRIM({level})={_q(v)}" for v in rule.risky)
        calm = f"TRIM({refs.cell(rule.findings)})={_q(rule.calm)}"
        return rule.level, W, f"AND({calm},OR({risky}))"
    if isinstance(rule, r.ReportedLate):
        a, b = refs.cell(rule.reported), refs.cell(rule.event)
        return rule.reported, W, f"AND({_is_date(a)},{_is_date(b)},{a}-{b}>{rule.days})"
    return None  # Exclusive: a token test without regular expressions is not worth its cost


def _basic_row(field_id: str) -> int:
    """The Excel row of a 基本信息 value (field i of the schema is on row i + 2)."""
    return next(i for i, f in enumerate(BASIC_INFO.fields) if f.id == field_id) + 2


def basic_ref(field_id: str) -> str:
    """The absolute reference of a 基本信息 value from another sheet."""
    return f"'{BASIC_INFO.name}'!$B${_basic_row(field_id)}"


def sheet_rules(sheet: Sheet) -> dict[int, list[tuple[str, str]]]:
    """Per 0-based column, the (severity, formula) rules of a ledger, formulas written for the
    first data row (Excel row 3); or, for 基本信息, per 0-based *row* of its value column."""
    per: dict[int, list[tuple[str, str]]] = {}
    if sheet.key_value:
        local = {f.id: f"$B${_basic_row(f.id)}" for f in sheet.fields}
        refs = Refs(local.__getitem__, local.__getitem__, None)
        for f in sheet.fields:
            per.setdefault(_basic_row(f.id) - 1, []).extend(field_rules(f, sheet, refs))
        for fid, sev, cond in row_rules(sheet, refs):
            per.setdefault(_basic_row(fid) - 1, []).append((sev, cond))
        return per
    columns = ledger_columns(sheet)
    row = DATA_FIRST_ROW + 1
    col_of = {f.id: i + 1 for i, f in enumerate(columns)}
    cell = {fid: f"${xl_col_to_name(c)}{row}" for fid, c in col_of.items()}
    last = xl_col_to_name(len(columns))
    refs = Refs(cell.__getitem__, basic_ref, f"COUNTA($B{row}:${last}{row})>0")
    for f in columns:
        per.setdefault(col_of[f.id], []).extend(field_rules(f, sheet, refs))
    for fid, sev, cond in row_rules(sheet, refs):
        per.setdefault(col_of[fid], []).append((sev, cond))
    return per


def _combine(rules: list[tuple[str, str]], severity: str) -> str | None:
    conds = [c for s, c in rules if s == severity]
    if not conds:
        return None
    return "=" + (conds[0] if len(conds) == 1 else f"OR({','.join(conds)})")


def add_live_checks(sheets: Mapping[str, Worksheet], styles: Styles) -> None:
    """The red and yellow formula rules on 基本信息 and every ledger of a community workbook."""
    error, warning = styles.get(**MARK_ERROR), styles.get(**MARK_WARNING)
    for sheet in (BASIC_INFO, *LEDGERS):
        ws = sheets[sheet.name]
        for key, rules in sorted(sheet_rules(sheet).items()):
            if sheet.key_value:
                area = (key, 1, key, 1)
            else:
                area = (DATA_FIRST_ROW, key, VALIDATION_LAST_ROW, key)
            # Red first: where both apply the cell shows the error (as the button's marks).
            for severity, fmt in ((E, error), (W, warning)):
                formula = _combine(rules, severity)
                if formula is not None:
                    ws.conditional_format(
                        *area, {"type": "formula", "criteria": formula, "format": fmt}
                    )
