"""Row rules, sheet rules and conditions that the schema declares by name (ledgers.md).

Each rule is a small frozen record (so the schema stays data and hashes stably) with a ``check``
method. A check *returns* findings, it never raises: ``(field id or None, code, severity, message)``.

Row rules see one row's typed values: ``None`` for a blank cell and :data:`INVALID` for a cell that
failed its type check (a rule skips when one of its operands is either). Sheet rules see the valid
rows of their sheet.
"""

from __future__ import annotations

import datetime as dt
import operator
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from dataclasses import field as dc_field
from typing import Any, Protocol

from xlhfjz.model.issues import E, Severity, W


class _Invalid:
    __slots__ = ()

    def __repr__(self) -> str:
        return "INVALID"

    def __bool__(self) -> bool:
        return False


INVALID: Any = _Invalid()
"""The typed value of a cell that failed its type check."""

Finding = tuple[str | None, str, Severity, str]
Values = Mapping[str, Any]


@dataclass(frozen=True)
class Context:
    """What the rules need from 基本信息 (``None`` where it is missing or invalid)."""

    period_start: dt.date | None = None
    period_end: dt.date | None = None
    report_date: dt.date | None = None
    households: int | None = None
    grid_count: int | None = None
    has_involved: str | None = None
    key_domains: tuple[str, ...] = ()
    row_counts: Mapping[str, int] = dc_field(default_factory=dict)
    """Non-empty rows per sheet id (filled in before the sheet rules run)."""

    @property
    def as_of(self) -> dt.date | None:
        """``min(创建截止日期, 报送日期)`` — the evaluation date."""
        dates = [d for d in (self.period_end, self.report_date) if d is not None]
        return min(dates) if dates else None


# ── conditions (for "required if …") ───────────────────────────────────────────────────────


class Condition(Protocol):
    def holds(self, values: Values) -> bool: ...

    def describe(self, labels: Mapping[str, str]) -> str: ...


@dataclass(frozen=True)
class Eq:
    field: str
    value: str

    def holds(self, values: Values) -> bool:
        return values.get(self.field) == self.value

    def describe(self, labels: Mapping[str, str]) -> str:
        return f"{labels[self.field]}为“{self.value}”"


@dataclass(frozen=True)
class In:
    field: str
    values: tuple[str, ...]

    def holds(self, values: Values) -> bool:
        return values.get(self.field) in self.values

    def describe(self, labels: Mapping[str, str]) -> str:
        return f"{labels[self.field]}为“{'/'.join(self.values)}”"


@dataclass(frozen=True)
class Present:
    field: str

    def holds(self, values: Values) -> bool:
        return values.get(self.field) is not None

    def describe(self, labels: Mapping[str, str]) -> str:
        return f"已填写{labels[self.field]}"


# ── row rules ───────────────────────────────────────────────────────────────────────────────


class RowRule(Protocol):
    def check(self, values: Values, labels: Mapping[str, str]) -> tuple[Finding, ...]: ...


_OPS = {">": operator.gt, ">=": operator.ge, "<": operator.lt, "<=": operator.le}


# Row rules run once per row of every ledger: each returns a tuple (usually empty) rather than
# being a generator, and tests its operands inline — a measurable share of validation time.


def _unknown(v: Any) -> bool:
    return v is None or v is INVALID


@dataclass(frozen=True)
class Order:
    """A date that must not precede another (``date-order``, E); ``strict`` also forbids equal."""

    later: str
    earlier: str
    strict: bool = False

    def check(self, values: Values, labels: Mapping[str, str]) -> tuple[Finding, ...]:
        a, b = values.get(self.later), values.get(self.earlier)
        if a is None or b is None or a is INVALID or b is INVALID:
            return ()
        if not (a <= b if self.strict else a < b):
            return ()
        word = "晚于" if self.strict else "不早于"
        message = (
            f"{labels[self.later]}应{word}{labels[self.earlier]}（{b.isoformat()}），"
            f"现为 {a.isoformat()}"
        )
        return ((self.later, "date-order", E, message),)


@dataclass(frozen=True)
class Compare:
    """``field op other`` where other is a field id or a constant (``inconsistent``)."""

    field: str
    op: str
    other: str | float
    severity: Severity
    message: str

    def check(self, values: Values, labels: Mapping[str, str]) -> tuple[Finding, ...]:
        a = values.get(self.field)
        if a is INVALID:
            return ()
        if isinstance(self.other, str):
            b = values.get(self.other)
            if a is None or b is None or b is INVALID:
                return ()
        else:
            b = self.other
            if a is None:
                a = 0  # a blank optional count next to a condition that asks for one
        if _OPS[self.op](a, b):
            return ()
        return ((self.field, "inconsistent", self.severity, self.message),)


@dataclass(frozen=True)
class IfHas:
    """Apply ``rule`` only when the multi field ``field`` contains ``value``."""

    field: str
    value: str
    rule: Compare

    def check(self, values: Values, labels: Mapping[str, str]) -> tuple[Finding, ...]:
        chosen: Any = values.get(self.field)
        if _unknown(chosen) or self.value not in chosen:
            return ()
        return self.rule.check(values, labels)


@dataclass(frozen=True)
class Exclusive:
    """A multi value that cannot be combined with others (未发现异常, 无)."""

    field: str
    value: str
    severity: Severity

    def check(self, values: Values, labels: Mapping[str, str]) -> tuple[Finding, ...]:
        chosen: Any = values.get(self.field)
        if _unknown(chosen) or len(chosen) < 2 or self.value not in chosen:
            return ()
        message = f"“{self.value}”不能与其他选项同时填写，请只保留“{self.value}”或删去它"
        return ((self.field, "inconsistent", self.severity, message),)


@dataclass(frozen=True)
class Forbidden:
    """A combination of choice values that must not occur together."""

    combination: dict[str, str]
    severity: Severity
    message: str

    def check(self, values: Values, labels: Mapping[str, str]) -> tuple[Finding, ...]:
        for k, v in self.combination.items():
            if values.get(k) != v:
                return ()
        return ((list(self.combination)[-1], "inconsistent", self.severity, self.message),)


@dataclass(frozen=True)
class SensitiveName:
    """条例第九条: a name with 金融/理财/… must be marked 名称含敏感字样 = 是 (W)."""

    name_field: str
    flag_field: str
    words: tuple[str, ...]

    def check(self, values: Values, labels: Mapping[str, str]) -> tuple[Finding, ...]:
        name: Any = values.get(self.name_field)
        flag = values.get(self.flag_field)
        if flag != "否" or _unknown(name):
            return ()
        hit = next((w for w in self.words if w in name), None)
        if hit is None:
            return ()
        message = f"{labels[self.name_field]}含“{hit}”字样，{labels[self.flag_field]}应填“是”"
        return ((self.flag_field, "inconsistent", W, message),)


@dataclass(frozen=True)
class CalmButRisky:
    """Findings say only 未发现异常 but the risk level is 中/高 (W)."""

    findings: str
    calm: str
    level: str
    risky: tuple[str, ...]

    def check(self, values: Values, labels: Mapping[str, str]) -> tuple[Finding, ...]:
        found: Any = values.get(self.findings)
        level = values.get(self.level)
        if level not in self.risky or _unknown(found) or tuple(found) != (self.calm,):
            return ()
        message = f"发现情况为“{self.calm}”，风险等级却为“{level}”，请核实其中之一"
        return ((self.level, "inconsistent", W, message),)


@dataclass(frozen=True)
class ReportedLate:
    """A report more than ``days`` after the event (W)."""

    reported: str
    event: str
    days: int

    def check(self, values: Values, labels: Mapping[str, str]) -> tuple[Finding, ...]:
        a: Any = values.get(self.reported)
        b: Any = values.get(self.event)
        if _unknown(a) or _unknown(b) or (a - b).days <= self.days:
            return ()
        message = (
            f"{labels[self.reported]}比{labels[self.event]}晚 {(a - b).days} 天，"
            f"中高风险应在 {self.days} 天内上报"
        )
        return ((self.reported, "inconsistent", W, message),)


# ── keys ────────────────────────────────────────────────────────────────────────────────────


@dataclass(frozen=True)
class UniqueKey:
    """Fields whose combined value must not repeat within the sheet (``duplicate-row``)."""

    fields: tuple[str, ...]
    severity: Severity


# ── sheet rules (on valid rows; reported on the header row) ──────────────────────────────────


class SheetRule(Protocol):
    def check(self, rows: Sequence[Values], ctx: Context) -> Iterable[Finding]: ...


def _matches(values: Values, where: Mapping[str, str]) -> bool:
    return all(values.get(k) == v for k, v in where.items())


@dataclass(frozen=True)
class NeedsRow:
    """At least one valid row matching ``where``."""

    where: dict[str, str]
    severity: Severity
    message: str

    def check(self, rows: Sequence[Values], ctx: Context) -> Iterable[Finding]:
        if not any(_matches(v, self.where) for v in rows):
            yield None, "sheet-rule", self.severity, self.message


@dataclass(frozen=True)
class ExactlyOne:
    """Exactly one valid row matching ``where``: none is E, more than one is W."""

    where: dict[str, str]
    what: str

    def check(self, rows: Sequence[Values], ctx: Context) -> Iterable[Finding]:
        n = sum(_matches(v, self.where) for v in rows)
        if n == 0:
            yield None, "sheet-rule", E, f"没有{self.what}，请登记一名"
        elif n > 1:
            yield None, "sheet-rule", W, f"{self.what}有 {n} 名，应只有一名"


@dataclass(frozen=True)
class GridsCovered:
    """Every grid 1..网格数 has an 在岗 grid-role row (one W per missing grid)."""

    roles: tuple[str, ...] = ("网格长", "专职网格员", "兼职网格员")

    def check(self, rows: Sequence[Values], ctx: Context) -> Iterable[Finding]:
        if not ctx.grid_count:
            return
        covered = {
            v["grid_no"] for v in rows if v.get("status") == "在岗" and v.get("role") in self.roles
        }
        for grid in range(1, ctx.grid_count + 1):
            if grid not in covered:
                yield None, "sheet-rule", W, f"第{grid}网格没有在岗的网格长或网格员"


@dataclass(frozen=True)
class HouseholdsCap:
    """Σ 覆盖户数 ≤ 1.1 × 辖区户数 (W)."""

    field: str
    ratio: float = 1.1

    def check(self, rows: Sequence[Values], ctx: Context) -> Iterable[Finding]:
        if not ctx.households:
            return
        total = sum(v.get(self.field) or 0 for v in rows)
        if total > self.ratio * ctx.households:
            yield (
                self.field,
                "sheet-rule",
                W,
                f"覆盖户数合计 {total} 户，超过辖区户数 {ctx.households} 户的 {self.ratio:g} 倍，请核实是否重复登记",
            )


@dataclass(frozen=True)
class KindsPresent:
    """Each listed value of ``field`` needs a valid row (one W per missing value)."""

    field: str
    kinds: tuple[str, ...]

    def check(self, rows: Sequence[Values], ctx: Context) -> Iterable[Finding]:
        present = {v.get(self.field) for v in rows}
        for kind in self.kinds:
            if kind not in present:
                yield self.field, "sheet-rule", W, f"缺少“{kind}”类制度，请补充登记"


@dataclass(frozen=True)
class InvolvedPersonsListed:
    """基本信息.有无重点人员 = 有 → the 重点人员 sheet must have a row (E)."""

    def check(self, rows: Sequence[Values], ctx: Context) -> Iterable[Finding]:
        if ctx.has_involved == "有" and not ctx.row_counts.get("involved_persons"):
            yield (
                "has_involved",
                "sheet-rule",
                E,
                "有无重点人员为“有”，但“重点人员”表没有登记，请登记跟踪情况或改为“无”",
            )
