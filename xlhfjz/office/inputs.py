"""The office workbook's inputs (office.md, review.md): 设置, 社区名单, 督导检查, 评分核定, 评分参数.

All optional: a missing office workbook, or a missing sheet in it, means defaults. The
督导检查 sheet is validated like a ledger (same cell types, row rules and issue records).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from xlhfjz.checks.cells import Bad, parse_number
from xlhfjz.checks.validate import (
    Collector,
    check_keys,
    find_header,
    norm_label,
    validate_key_value,
    validate_table,
)
from xlhfjz.model.issues import Issue
from xlhfjz.model.rawbook import RawWorkbook
from xlhfjz.model.rubric import DEFAULTS, PARAMETERS
from xlhfjz.model.rules import Context
from xlhfjz.model.schema import (
    INSPECTIONS,
    OFFICE_SETTINGS,
    PARAMETERS_SHEET,
    ROSTER,
    VERIFICATIONS,
    Field,
    Sheet,
)
from xlhfjz.scoring import ITEMS, Verification

#: Parameters that live in 设置 (not repeated in 评分参数).
SETTINGS_PARAMETERS = ("target_ratio", "pass_line", "excellent_line")


@dataclass
class OfficeData:
    """What the merge and the scorer take from the office workbook."""

    path: str | None = None
    settings: dict[str, Any] = field(default_factory=dict)
    roster: list[dict[str, Any]] = field(default_factory=list)
    inspections: list[dict[str, Any]] = field(default_factory=list)
    """Valid 督导检查 rows (typed, plus ``_row``)."""
    verifications: list[dict[str, Any]] = field(default_factory=list)
    """Valid 评分核定 rows (typed, plus ``_row``)."""
    parameters: dict[str, float] = field(default_factory=lambda: dict(DEFAULTS))
    issues: list[Issue] = field(default_factory=list)

    def inspections_for(self, code: str | None) -> list[dict[str, Any]]:
        return [x for x in self.inspections if x.get("community_code") == code]

    def verifications_for(self, code: str | None) -> dict[str, Verification]:
        """Item id → the office's 核定 of it for this community: of several rows, the latest
        核定日期 wins, then the lower row (review.md)."""
        out: dict[str, Verification] = {}
        rows = [x for x in self.verifications if x.get("community_code") == code]
        for x in sorted(rows, key=lambda x: (x["verified_on"], x["_row"])):
            out[x["item"]] = Verification(
                float(x["verified"]), x["method"], x["reason"], x["verifier"], x["verified_on"],
                x["_row"],
            )  # fmt: skip
        return out

    @property
    def eval_date(self) -> dt.date | None:
        """设置's 评估日期 (None: the day of the merge)."""
        value = self.settings.get("eval_date")
        return value if isinstance(value, dt.date) else None

    @property
    def roster_codes(self) -> dict[str, str]:
        """社区代码 → 社区名称 of the list (empty when there is no list)."""
        return {x["community_code"]: x.get("community_name") or "" for x in self.roster}


def not_an_office_workbook(book: RawWorkbook) -> str | None:
    """Why ``book`` cannot be the office workbook (a summary, a community ledger, something
    else), in Chinese; None when it holds at least one of the office's sheets."""
    names = set(book.names or book.sheets)
    if "汇总看板" in names:
        return (
            "这是合并生成的汇总文件，不是街道汇总工作簿（应含设置、社区名单、督导检查、评分参数）"
        )
    office = {OFFICE_SETTINGS.name, ROSTER.name, INSPECTIONS.name, PARAMETERS_SHEET}
    if names & office:
        return None
    if "基本信息" in names:
        return "这是社区台账，不是街道汇总工作簿（应含设置、社区名单、督导检查、评分参数）"
    return "没有设置、社区名单、督导检查、评分参数中的任何一张表，不是街道汇总工作簿"


def read_office(book: RawWorkbook) -> OfficeData:
    """Typed office inputs and their issues (a missing sheet just means defaults)."""
    out = Collector()
    data = OfficeData(path=book.path)
    if OFFICE_SETTINGS.name in book.sheets:
        _table, data.settings = validate_key_value(book, OFFICE_SETTINGS, out)
    if ROSTER.name in book.sheets:
        roster = validate_table(book, ROSTER, Context(), out)
        check_keys(roster, out)
        data.roster = roster.valid_values()
    if INSPECTIONS.name in book.sheets:
        table = validate_table(book, INSPECTIONS, Context(), out)
        codes = data.roster_codes
        code_field = INSPECTIONS.field("community_code")
        for rec in table.records:
            code = rec.values.get("community_code")
            if codes and isinstance(code, str) and code not in codes:
                out.add("unknown-reference", f"社区代码“{code}”不在社区名单中，请核对",
                        sheet=INSPECTIONS, row=rec.row, field=code_field, value=code,
                        record=rec)  # fmt: skip
        data.inspections = [{**rec.values, "_row": rec.row} for rec in table.records if rec.valid]
    if VERIFICATIONS.name in book.sheets:
        table = validate_table(book, VERIFICATIONS, Context(), out)
        _check_codes(table.records, VERIFICATIONS, data.roster_codes, out)
        maxima = {iid: mx for iid, _, mx in ITEMS}
        verified = VERIFICATIONS.field("verified")
        for rec in table.records:
            score, iid = rec.values.get("verified"), rec.values.get("item")
            if isinstance(score, (int, float)) and iid in maxima and score > maxima[iid]:
                out.add("invalid-number", f"核定分不能超过{iid}的满分 {maxima[iid]} 分",
                        sheet=VERIFICATIONS, row=rec.row, field=verified, value=score,
                        record=rec)  # fmt: skip
        data.verifications = [{**rec.values, "_row": rec.row} for rec in table.records if rec.valid]
    data.parameters = _parameters(book, data.settings, out)
    data.issues = out.issues
    return data


def _check_codes(records: Any, sheet: Sheet, codes: dict[str, str], out: Collector) -> None:
    code_field = sheet.field("community_code")
    for rec in records:
        code = rec.values.get("community_code")
        if codes and isinstance(code, str) and code not in codes:
            out.add("unknown-reference", f"社区代码“{code}”不在社区名单中，请核对",
                    sheet=sheet, row=rec.row, field=code_field, value=code,
                    record=rec)  # fmt: skip


def _parameters(book: RawWorkbook, settings: dict[str, Any], out: Collector) -> dict[str, float]:
    params = dict(DEFAULTS)
    sheet = book.sheets.get(PARAMETERS_SHEET)
    if sheet is not None:
        by_label = {norm_label(p.label): p for p in PARAMETERS}
        header = find_header(sheet.rows, ("参数", "值"))
        for i, row in enumerate(sheet.rows[(header or -1) + 1 :], start=(header or -1) + 1):
            p = by_label.get(norm_label(row[0])) if row else None
            if p is None or len(row) < 2 or row[1] in (None, ""):
                continue
            number = parse_number(row[1], Field(p.id, p.label, "number"))
            if isinstance(number, Bad):
                message = number.message + f"（已使用默认值 {p.default:g}）"
                out.issues.append(
                    Issue.new("invalid-number", message, sheet=PARAMETERS_SHEET,
                              row=sheet.first_row + i, column=p.label, field=p.id,
                              value=str(row[1]))
                )  # fmt: skip
            else:
                params[p.id] = number
    for pid in SETTINGS_PARAMETERS:
        if settings.get(pid) is not None:
            params[pid] = settings[pid]
    return params
