"""The JSON documents of cli.md (``validate --json``, ``merge --json``) as plain dicts, shared by
the command line and the server (whose answers are the same documents)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from xlhfjz.checks.validate import Report
from xlhfjz.office.resolve import MergeResult


def report_json(report: Report) -> dict[str, Any]:
    """One file of ``validate --json`` (cli.md)."""
    return {
        "file": report.path,
        "readable": report.readable,
        "community_code": report.community_code,
        "community_name": report.community_name,
        "template_version": report.template_version,
        "counts": {"error": report.errors, "warning": report.warnings},
        "rows": report.rows,
        "issues": [i.to_dict() for i in report.issues],
    }


def merge_json(result: MergeResult, summary: Path) -> dict[str, Any]:
    """``merge --json`` (cli.md)."""
    t = result.target
    return {
        "summary": str(summary),
        "target": {"n": t.n, "passed": t.passed, "required": t.required, "rate": round(t.rate, 4)},
        "communities": [
            {
                "community_code": c.code,
                "community_name": c.name,
                "status": c.status,
                "total": None if c.total is None else round(c.total, 6),
                "file": c.file,
                "errors": c.errors,
                "warnings": c.warnings,
                **_review_json(result, c.code),
            }
            for c in result.communities
        ],
        "files": [
            {
                "file": log.file,
                "outcome": log.outcome,
                "reason": log.reason,
                "sha256": log.sha256,
                "rows": log.rows,
            }
            for log in result.logs
        ],
    }


def _review_json(result: MergeResult, code: str) -> dict[str, Any]:
    """``"previous"`` and ``"review"`` of one community (``merge --previous``, review.md)."""
    if result.reviews is None:
        return {}
    r = result.reviews.get(code)
    prev = r.previous if r else None
    return {
        "previous": None
        if prev is None
        else {"result": prev.result, "total": prev.total, "review": prev.conclusion},
        "review": None
        if r is None
        else {
            "conclusion": r.conclusion or None,
            "change": None if r.change is None else round(r.change, 6),
        },
    }
