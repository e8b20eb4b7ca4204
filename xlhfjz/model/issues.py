"""The one issue record used by everything that reports a problem (CLI, Excel, office summary)."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any, Literal

Severity = Literal["error", "warning"]
E: Severity = "error"
W: Severity = "warning"

SEVERITY_ZH: dict[str, str] = {E: "错误", W: "提醒"}

#: Every issue code of ledgers.md with its default severity. The codes are a contract.
CODES: dict[str, Severity | None] = {
    "too-long": W,
    "invalid-date": E,
    "invalid-number": E,
    "invalid-choice": E,
    "invalid-phone": E,
    "invalid-uscc": E,
    "invalid-grid": E,
    "invalid-code": E,
    "required-missing": E,
    "not-a-workbook": E,
    "missing-sheet": E,
    "missing-column": E,
    "unknown-column": W,
    "duplicate-column": E,
    "template-version": W,
    "date-out-of-period": E,
    "date-in-future": E,
    "date-order": E,
    "inconsistent": None,  # E or W, by rule
    "duplicate-row": None,  # W, or E where a key must be unique
    "unknown-reference": E,
    "sheet-rule": None,  # E or W, by rule
    "personal-data-in-text": W,
    "formula-cell": W,
}


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
