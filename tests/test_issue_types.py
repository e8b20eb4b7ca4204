"""The registry of issue types: every code the package can emit is registered, with the severity
and the structure/data kind the spec gives it."""

from __future__ import annotations

import ast
from pathlib import Path

from xlhfjz.model.issues import ISSUE_TYPES, E, Issue, W

PACKAGE = Path(__file__).resolve().parents[1] / "xlhfjz"

#: ledgers.md (cell types, "Issue codes beyond the cell types") and office.md (the merge).
SPEC_SEVERITIES = {
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
    "inconsistent": None,
    "duplicate-row": None,
    "unknown-reference": E,
    "sheet-rule": None,
    "personal-data-in-text": W,
    "formula-cell": W,
    "duplicate-community": E,
    "unknown-community": W,
}

#: Calls that take an issue code first: ``Issue(…)``, ``Issue.new(…)``, ``Bad(…)`` of a cell
#: parser, and the collector's ``out.add(code, message, …)``.
_CODE_FIRST = {"Issue", "new", "Bad"}


def _is_severity(node: ast.expr) -> bool:
    return (isinstance(node, ast.Name) and node.id in ("E", "W", "severity")) or (
        isinstance(node, ast.Attribute) and node.attr == "severity"
    )


def _emitted_codes() -> dict[str, list[str]]:
    """Every literal code in the package passed to an issue-making call, or in a rule's finding
    ``(field, code, severity, message)``, with the files it appears in."""
    found: dict[str, list[str]] = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            code = None
            if isinstance(node, ast.Call) and node.args:
                func = node.func
                name = func.id if isinstance(func, ast.Name) else getattr(func, "attr", None)
                if name in _CODE_FIRST or (name == "add" and len(node.args) >= 2):
                    code = getattr(node.args[0], "value", None)
            elif isinstance(node, ast.Tuple) and len(node.elts) == 4 and _is_severity(node.elts[2]):
                code = getattr(node.elts[1], "value", None)
            if isinstance(code, str):
                found.setdefault(code, []).append(path.name)
    return found


def test_the_registry_holds_exactly_the_codes_of_the_spec_with_their_severities() -> None:
    assert {code: t.severity for code, t in ISSUE_TYPES.items()} == SPEC_SEVERITIES


def test_every_code_the_package_emits_is_registered() -> None:
    emitted = _emitted_codes()
    assert {
        "missing-sheet",
        "sheet-rule",
        "date-order",
        "invalid-phone",
        "duplicate-community",
    } <= (set(emitted))  # the search finds each way of emitting an issue
    assert {code: files for code, files in emitted.items() if code not in ISSUE_TYPES} == {}


def test_template_issues_are_told_apart_from_data_issues() -> None:
    structure = {code for code, t in ISSUE_TYPES.items() if t.structure}
    assert structure == {
        "not-a-workbook",
        "missing-sheet",
        "missing-column",
        "unknown-column",
        "duplicate-column",
        "template-version",
    }


def test_every_type_has_a_chinese_title() -> None:
    for t in ISSUE_TYPES.values():
        assert t.title and all("\u4e00" <= ch <= "\u9fff" for ch in t.title), t


def test_a_new_issue_takes_its_code_default_severity_unless_given() -> None:
    assert Issue.new("unknown-community", "x").severity == W
    assert Issue.new("duplicate-community", "x").severity == E
    assert Issue.new("sheet-rule", "x").severity == E
    assert Issue.new("sheet-rule", "x", severity=W).severity == W
    assert Issue.new("missing-sheet", "缺少", sheet="线索").to_dict() == {
        "code": "missing-sheet",
        "severity": E,
        "sheet": "线索",
        "row": None,
        "column": None,
        "field": None,
        "value": None,
        "message": "缺少",
    }
