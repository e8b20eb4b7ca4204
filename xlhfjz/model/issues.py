"""The one issue record used by everything that reports a problem (CLI, Excel, office summary),
and the registry of issue types: every code with its default severity, Chinese title, and whether
it is about the template (structure) or the data."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any, Literal

Severity = Literal["error", "warning"]
E: Severity = "error"
W: Severity = "warning"

SEVERITY_ZH: dict[str, str] = {E: "错误", W: "提醒"}


@dataclass(frozen=True, slots=True)
class IssueType:
    """One kind of issue: its stable code, default severity, Chinese title, and whether it is
    about the template (a sheet, a column, the file) rather than the data in the cells."""

    code: str
    severity: Severity | None
    """The default severity; None where each rule says (``sheet-rule``, ``inconsistent`` …)."""
    title: str
    structure: bool = False


def _types(*types: IssueType) -> dict[str, IssueType]:
    return {t.code: t for t in types}


#: Every issue code (ledgers.md, office.md) by code. The codes are a contract.
ISSUE_TYPES: dict[str, IssueType] = _types(
    # the file and its template (ledgers.md "Issue codes beyond the cell types")
    IssueType("not-a-workbook", E, "不是可读取的工作簿", structure=True),
    IssueType("missing-sheet", E, "缺少工作表", structure=True),
    IssueType("missing-column", E, "缺少列", structure=True),
    IssueType("unknown-column", W, "不是标准表头", structure=True),
    IssueType("duplicate-column", E, "表头重复", structure=True),
    IssueType("template-version", W, "不是标准模板", structure=True),
    # cells (ledgers.md cell types)
    IssueType("too-long", W, "内容过长"),
    IssueType("invalid-date", E, "日期格式不正确"),
    IssueType("invalid-number", E, "数字格式不正确"),
    IssueType("invalid-choice", E, "不是可选值"),
    IssueType("invalid-phone", E, "电话号码格式不正确"),
    IssueType("invalid-uscc", E, "统一社会信用代码不正确"),
    IssueType("invalid-grid", E, "网格编号不正确"),
    IssueType("invalid-code", E, "社区代码不正确"),
    IssueType("required-missing", E, "必填项为空"),
    IssueType("formula-cell", W, "单元格是公式"),
    IssueType("personal-data-in-text", W, "疑似含有个人信息"),
    # rows, keys, references, whole sheets
    IssueType("date-out-of-period", E, "日期不在创建期间内"),
    IssueType("date-in-future", E, "日期晚于报送日期"),
    IssueType("date-order", E, "日期先后顺序不对"),
    IssueType("inconsistent", None, "与同一行其他内容不一致"),  # E or W, by rule
    IssueType("duplicate-row", None, "重复登记"),  # W, or E where a key must be unique
    IssueType("unknown-reference", E, "引用的编号或名称不存在"),
    IssueType("sheet-rule", None, "整表要求未满足"),  # E or W, by rule
    # the merge (office.md "What the merge does")
    IssueType("duplicate-community", E, "同一社区提交了多个文件"),
    IssueType("unknown-community", W, "社区代码不在社区名单中"),
)


def issue_type(code: str) -> IssueType:
    """The registered type of an issue code (a KeyError names an unregistered code)."""
    return ISSUE_TYPES[code]


def default_severity(code: str) -> Severity:
    """The severity of an issue of this code where no rule says otherwise (by rule → E)."""
    return ISSUE_TYPES[code].severity or E


@dataclass(frozen=True, slots=True)
class Issue:
    """One problem: where it is (sheet, Excel row, column label, field id), what, and what to do."""

    code: str
    severity: Severity
    sheet: str | None
    row: int | None
    column: str | None
    field: str | None
    value: str | None
    message: str

    @classmethod
    def new(
        cls,
        code: str,
        message: str,
        *,
        severity: Severity | None = None,
        sheet: str | None = None,
        row: int | None = None,
        column: str | None = None,
        field: str | None = None,
        value: str | None = None,
    ) -> Issue:
        """An issue of a registered code; its severity is the code's default unless given."""
        return cls(
            code, severity or default_severity(code), sheet, row, column, field, value, message
        )

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @property
    def is_error(self) -> bool:
        return self.severity == E


def display(value: Any) -> str | None:
    """A cell value as the user sees it (``13812345678.0`` → ``"13812345678"``)."""
    if value is None:
        return None
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float):
        if value.is_integer() and abs(value) < 1e16:
            return str(int(value))
        return repr(value)
    if hasattr(value, "isoformat"):
        text = value.isoformat()
        return text[:10] if text.endswith("T00:00:00") else text.replace("T", " ")
    return str(value)
